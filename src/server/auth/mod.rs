//! Accounts' building blocks: password rules and hashing, one-time links.

pub mod links;
pub mod password;
