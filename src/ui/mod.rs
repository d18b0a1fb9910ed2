//! Components, by screen. Every text is French; markup follows the DSFR.

pub mod accessibility;
pub mod account;
pub mod admin;
pub mod attachments;
pub mod cgu;
pub mod dev;
pub mod forms;
pub mod home;
pub mod instruction;
pub mod layout;
pub mod not_found;
pub mod renewal;
pub mod requests;
pub mod second_factor;
pub mod space;
pub mod templates;
pub mod usage;
pub mod wizard;
