//! Pure domain types and rules, compiled for the server and the browser. No I/O.

pub mod contract;
pub mod dashboard;
pub mod identity;
pub mod legal_category;
pub mod lifecycle;
pub mod organisation;
pub mod renewal;
pub mod request;
pub mod request_state;
pub mod scopes;
pub mod siret;
pub mod template;
pub mod time;
pub mod token;
pub mod usage;

pub use request_state::RequestState;
