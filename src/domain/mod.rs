//! Pure domain types and rules, compiled for the server and the browser. No I/O.

pub mod request_state;

pub use request_state::RequestState;
