//! Accounts' building blocks: password rules and hashing, one-time links.

pub mod accounts;
pub mod links;
pub mod password;
pub mod session;
