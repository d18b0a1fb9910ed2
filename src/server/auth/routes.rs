//! The two addresses of a ProConnect sign-in: the redirection to the
//! provider, and the return from it. Both end in a redirection: to the
//! provider, to the page to go to, or to the sign-in page with a flag
//! saying what went wrong (`?proconnect=`).

use crate::error::ErrorCode;
use crate::paths::{self, PROCONNECT_CALLBACK, PROCONNECT_START, SIGN_IN};
use crate::server::auth::federation::{self, Landing};
use crate::server::auth::proconnect::{Failure, Started};
use crate::server::auth::session;
use crate::server::db;
use crate::server::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

/// The routes, under the session layer.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PROCONNECT_START, get(start))
        .route(PROCONNECT_CALLBACK, get(callback))
}

fn back_to_sign_in(flag: &str) -> Response {
    Redirect::to(&format!("{SIGN_IN}?proconnect={flag}")).into_response()
}

#[derive(Deserialize)]
struct StartQuery {
    suite: Option<String>,
}

async fn start(State(state): State<AppState>, s: Session, Query(q): Query<StartQuery>) -> Response {
    let Some(pc) = state.proconnect.as_ref() else {
        return back_to_sign_in(Failure::Unavailable.flag());
    };
    let suite = q
        .suite
        .as_deref()
        .and_then(paths::safe_return)
        .map(str::to_owned);
    match pc
        .start(&state.link(PROCONNECT_CALLBACK), suite, db::now_ms())
        .await
    {
        Ok((url, started)) => match session::keep_started(&s, &started).await {
            Ok(()) => Redirect::to(&url).into_response(),
            Err(e) => e.into_response(),
        },
        Err(f) => back_to_sign_in(f.flag()),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(pc) = state.proconnect.as_ref() else {
        return back_to_sign_in(Failure::Unavailable.flag());
    };
    let started = match session::take_started::<Started>(&s).await {
        Ok(Some(started)) => started,
        Ok(None) => return back_to_sign_in(Failure::State.flag()),
        Err(e) => return e.into_response(),
    };
    if let Some(error) = q.error {
        tracing::info!(error, "ProConnect answered an error");
        let f = if error == "access_denied" {
            Failure::Cancelled
        } else {
            Failure::Rejected
        };
        return back_to_sign_in(f.flag());
    }
    let (Some(code), Some(returned_state)) = (q.code, q.state) else {
        return back_to_sign_in(Failure::Rejected.flag());
    };
    let suite = started.suite.clone();
    let agent = match pc
        .finish(
            started,
            &code,
            &returned_state,
            &state.link(PROCONNECT_CALLBACK),
            db::now_ms(),
        )
        .await
    {
        Ok(agent) => agent,
        Err(f) => return back_to_sign_in(f.flag()),
    };
    match federation::sign_in(&state, &s, agent, suite.clone()).await {
        Ok(Landing::SignedIn(target)) => Redirect::to(&target).into_response(),
        Ok(Landing::SecondFactor { setup, suite }) => {
            Redirect::to(&paths::second_factor(setup, suite.as_deref())).into_response()
        }
        Ok(Landing::ProveAccount) => {
            let page = format!("{SIGN_IN}?lier=proconnect");
            Redirect::to(&match suite.as_deref().and_then(paths::safe_return) {
                Some(p) => format!(
                    "{page}&suite={}",
                    form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>()
                ),
                None => page,
            })
            .into_response()
        }
        Err(e) if e.code == ErrorCode::Forbidden => back_to_sign_in("desactive"),
        Err(e) if e.code == ErrorCode::Conflict => back_to_sign_in("deja_lie"),
        Err(e) => e.into_response(),
    }
}
