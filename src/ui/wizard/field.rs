//! A text field of the request, bound to the draft by a lens that carries
//! the field's path: the path names its errors, its element ids, and the
//! step whose errors it shows (the path's block), so none of them can be
//! forgotten or written twice.

use super::Draft;
use crate::domain::request::{RequestData, Step};
use leptos::prelude::*;

/// A text field of the request: its path and how to read and write it.
#[derive(Clone, Copy)]
pub struct Lens {
    /// The field's path, as the domain's errors name it ("context.title").
    pub path: &'static str,
    pub get: fn(&RequestData) -> String,
    pub set: fn(&mut RequestData, String),
}

/// The lens of a text field of the request: `lens!(context.title)`.
macro_rules! lens {
    ($($path:ident).+) => {
        $crate::ui::wizard::field::Lens {
            path: stringify!($($path).+),
            get: |d: &$crate::domain::request::RequestData| d.$($path).+.clone(),
            set: |d: &mut $crate::domain::request::RequestData, v: String| d.$($path).+ = v,
        }
    };
}
pub(crate) use lens;

/// A text field bound to the draft.
#[component]
pub fn Field(
    draft: Draft,
    label: &'static str,
    lens: Lens,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let Lens { path, get, set } = lens;
    let step = Step::of_field(path).unwrap_or(Step::Organisation);
    let id = format!("champ-{}", path.replace('.', "-"));
    let msg_id = format!("{id}-erreur");
    let error = Memo::new(move |_| {
        draft
            .visible_errors(step)
            .into_iter()
            .find(|e| e.field == path)
            .map(|e| e.message)
    });
    let has_error = move || error.get().is_some();
    let value = move || draft.data.with(get);
    let initial = draft.data.with_untracked(get);
    let readonly = !draft.editable.get_value();
    let to_change = draft
        .changes_fields
        .with_value(|f| f.iter().any(|x| x == path));
    let on_input = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        draft.change(|d| set(d, v));
    };
    let input = if multiline {
        view! {
            <textarea
                class="fr-input"
                class:fr-input--error=has_error
                id=id.clone()
                name=path
                rows="4"
                readonly=readonly
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=msg_id.clone()
                prop:value=value
                on:input=on_input
                on:blur=move |_| draft.leave(path)
            >
                {crate::ui::forms::textarea_value(initial.clone())}
            </textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                class="fr-input"
                class:fr-input--error=has_error
                type=kind
                id=id.clone()
                name=path
                readonly=readonly
                value=initial.clone()
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=msg_id.clone()
                prop:value=value
                on:input=on_input
                on:blur=move |_| draft.leave(path)
            />
        }
        .into_any()
    };
    view! {
        <div class="fr-input-group" class:fr-input-group--error=has_error>
            <label class="fr-label" for=id>
                {label}
                {to_change.then(|| view! { <span class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">"À modifier"</span> })}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
            {input}
            <p class="fr-error-text" id=msg_id hidden=move || !has_error()>{move || error.get()}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::request::{RequestData, Step};

    #[test]
    fn a_lens_carries_its_path_and_reaches_its_field() {
        let l = lens!(contacts.dpo.email);
        assert_eq!(l.path, "contacts.dpo.email");
        assert_eq!(Step::of_field(l.path), Some(Step::Contacts));
        let mut d = RequestData::new_draft();
        (l.set)(&mut d, "dpo@ville.fr".to_owned());
        assert_eq!(d.contacts.dpo.email, "dpo@ville.fr");
        assert_eq!((l.get)(&d), "dpo@ville.fr");
    }
}
