//! Server functions, grouped by who calls them. Each one is thin: authorize,
//! validate with `domain`, call `server`. Every endpoint is listed in docs/API.md.

pub mod auth;
pub mod gateways;
pub mod instruction;
pub mod public;
pub mod requests;
pub mod space;
pub mod templates;
