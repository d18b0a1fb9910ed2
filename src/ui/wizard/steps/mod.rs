//! The six steps' fields, one file each.

mod contacts;
mod context;
mod data;
mod legal;
mod organisation;
mod terms;

use super::Draft;
use crate::domain::request::Step;
use leptos::prelude::*;

/// The fields of `step`.
pub fn step_fields(draft: Draft, step: Step) -> AnyView {
    match step {
        Step::Organisation => organisation::organisation_step(draft).into_any(),
        Step::Context => context::context_step(draft).into_any(),
        Step::Data => data::data_step(draft).into_any(),
        Step::Legal => legal::legal_step(draft).into_any(),
        Step::Contacts => contacts::contacts_step(draft).into_any(),
        Step::Terms => terms::terms_step(draft).into_any(),
    }
}
