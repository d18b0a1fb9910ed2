//! Accounts' building blocks: password rules and hashing, one-time links.

pub mod accounts;
pub mod federation;
pub mod links;
pub mod password;
pub mod proconnect;
pub mod routes;
pub mod second_factor;
pub mod session;
