//! The axum router: pages, server functions, static files, health check.

use crate::app::{App, shell};
use crate::error::ErrorCode;
use crate::server::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::time::Duration;
use tower_http::compression::CompressionLayer;

/// How long `/healthz` waits for the database before answering 503.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// Builds the whole HTTP application.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let fallback_state = state.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(fallback_state.clone()), shell
        ))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    let ok = matches!(
        tokio::time::timeout(HEALTH_TIMEOUT, state.db.ping()).await,
        Ok(Ok(()))
    );
    if ok {
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok", "database": "ok" })),
        )
            .into_response()
    } else {
        let code = ErrorCode::DatabaseUnavailable;
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "status": "indisponible",
                "database": "injoignable",
                "code": code.as_str(),
                "message": code.default_message(),
            })),
        )
            .into_response()
    }
}
