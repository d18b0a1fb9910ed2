//! Server-only code: configuration, database, HTTP wiring, CLI.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod directory;
pub mod http;
pub mod mail;
pub mod state;

use crate::error::AppError;

/// Sets the HTTP status of the current server-function response from the
/// error's code and hands the error back, so that callers can write
/// `.map_err(respond_error)?`.
pub fn respond_error(err: impl Into<AppError>) -> AppError {
    let err = err.into();
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(err.status())
    {
        res.set_status(status);
    }
    err
}
