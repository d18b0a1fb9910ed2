//! Components, by screen. Every text is French; markup follows the DSFR.

pub mod accessibility;
pub mod home;
pub mod layout;
pub mod not_found;
