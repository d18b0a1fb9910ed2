//! Administrators manage the client credentials of other gateways
//! (introspection and revocation feed, `server::gateways`).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A gateway's credential, as the administration page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// A new credential: its secret is shown once, never stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGateway {
    pub id: String,
    pub secret: String,
}

/// Every gateway credential, active first.
#[server(endpoint = "admin/gateways")]
pub async fn list_gateways() -> Result<Vec<GatewayRow>, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    crate::server::caller::<ListGateways>().await?;
    Ok(db::gateways::list(&state.db)
        .await?
        .into_iter()
        .map(|g| GatewayRow {
            id: g.id,
            name: g.name,
            created_at: g.created_at,
            created_by: g.created_by_email,
            revoked_at: g.revoked_at,
            last_used_at: g.last_used_at,
        })
        .collect())
}

/// Creates a credential for the gateway `name`.
#[server(endpoint = "admin/gateways/create")]
pub async fn create_gateway(name: String) -> Result<NewGateway, AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<CreateGateway>().await?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "Indiquez le nom de la passerelle (par exemple « Passerelle de la région Occitanie »).",
        ));
    }
    if name.chars().count() > 120 {
        return Err(AppError::invalid(
            "name",
            "Le nom de la passerelle fait au plus 120 caractères.",
        ));
    }
    let (secret, hash) = crate::server::auth::links::new_token()
        .map_err(|_| AppError::new(crate::error::ErrorCode::Unavailable))?;
    let id = format!("passerelle-{}", uuid::Uuid::new_v4().simple());
    db::gateways::insert(&state.db, &id, name, &hash, me.id, db::now_ms()).await?;
    tracing::info!(gateway = %id, by = me.id, "accès de passerelle créé");
    Ok(NewGateway { id, secret })
}

/// Revokes a gateway's credential: its calls are refused at once.
#[server(endpoint = "admin/gateways/revoke")]
pub async fn revoke_gateway(id: String) -> Result<(), AppError> {
    use crate::server::{app_state, db};
    let state = app_state()?;
    let me = crate::server::caller::<RevokeGateway>().await?;
    if !db::gateways::revoke(&state.db, &id, db::now_ms()).await? {
        return Err(AppError::with_message(
            crate::error::ErrorCode::NotFound,
            "Cet accès n’existe pas ou est déjà révoqué.",
        ));
    }
    tracing::info!(gateway = %id, by = me.id, "accès de passerelle révoqué");
    Ok(())
}
