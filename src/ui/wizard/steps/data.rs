//! Step 3: the data scopes, each sensitive one justified.

use super::super::Draft;
use crate::domain::request::Step;
use crate::domain::scopes;
use leptos::prelude::*;

pub fn data_step(draft: Draft) -> impl IntoView {
    let errors = Memo::new(move |_| draft.visible_errors(Step::Data));
    view! {
        <p>"Cochez les données nécessaires à votre cas d’usage, et seulement celles-là. Les données sensibles demandent une justification."</p>
        {scopes::groups()
            .into_iter()
            .map(|(group, list)| {
                view! {
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend">{group}</legend>
                        {list
                            .into_iter()
                            .map(|scope| {
                                let value = scope.value.clone();
                                let id = format!("scope-{}", scope.value);
                                let v1 = value.clone();
                                let v2 = value.clone();
                                let v3 = value.clone();
                                let v4 = value.clone();
                                let checked = move || draft.data.with(|d| d.data.scopes.contains(&v1));
                                let sensitive = scope.sensitive;
                                let just_id = format!("justification-{}", scope.value);
                                let field = format!("data.justifications.{}", scope.value);
                                let err = move || errors.get().into_iter().find(|e| e.field == field).map(|e| e.message);
                                view! {
                                    <div class="fr-fieldset__element">
                                        <div class="fr-checkbox-group">
                                            <input type="checkbox" id=id.clone() name="scopes" value=value.clone()
                                                disabled=!draft.editable.get_value()
                                                prop:checked=checked
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    let v = v2.clone();
                                                    draft.change(move |d| {
                                                        d.data.scopes.retain(|s| *s != v);
                                                        if on { d.data.scopes.push(v); }
                                                    });
                                                    draft.flush();
                                                } />
                                            <label class="fr-label" for=id>
                                                {scope.label.clone()}
                                                {sensitive.then(|| view! { <span class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">"Sensible"</span> })}
                                                {scope.open_data.then(|| view! { <span class="fr-hint-text">"Donnée publique (open data)"</span> })}
                                            </label>
                                        </div>
                                        {move || (sensitive && draft.data.with(|d| d.data.scopes.contains(&v3))).then(|| {
                                            let v = v4.clone();
                                            let v_get = v4.clone();
                                            view! {
                                                <div class="fr-input-group fr-ml-4w fr-mt-1w">
                                                    <label class="fr-label" for=just_id.clone()>"Pourquoi cette donnée sensible est-elle nécessaire ?"</label>
                                                    <textarea class="fr-input" id=just_id.clone() rows="2"
                                                        prop:value=move || draft.data.with(|d| d.data.justifications.get(&v_get).cloned().unwrap_or_default())
                                                        on:input=move |ev| {
                                                            let text = event_target_value(&ev);
                                                            let v = v.clone();
                                                            draft.change(move |d| { d.data.justifications.insert(v, text); });
                                                        }
                                                        on:blur=move |_| draft.flush()></textarea>
                                                    {err().map(|m| view! { <p class="fr-error-text">{m}</p> })}
                                                </div>
                                            }
                                        })}
                                    </div>
                                }
                            })
                            .collect_view()}
                    </fieldset>
                }
            })
            .collect_view()}
    }
}
