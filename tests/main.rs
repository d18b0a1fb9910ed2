//! Every integration test, in one binary: a change of the crate links one
//! test executable instead of one per file. Each module drives the real
//! router (or the real binary) on a real SQLite file and on PostgreSQL.

mod common;

mod attachments;
mod auth;
mod cli;
mod contract;
mod deactivation;
mod directory;
mod directory_online;
mod faults;
mod hostile;
mod http;
mod instruction;
mod integrators;
mod links;
mod listen;
mod live;
mod mail;
mod persistence;
mod policy;
mod proconnect;
mod proxy;
mod renewals;
mod reporter;
mod requests;
mod rotation;
mod second_factor;
mod templates;
mod tokens;
mod transfers;
mod trust;
mod updates;
