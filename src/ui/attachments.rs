//! The PDF attachments of the legal framework (wizard step 4): the list with
//! download links, removal, and the upload field. Files are sent one at a
//! time, as they are, to `POST /demandes/{id}/pieces-jointes` (see
//! `server::attachments`); the server checks their content and answers the
//! attachment or a French error.

use crate::domain::request::{AttachmentRef, MAX_ATTACHMENTS};
use crate::ui::wizard::Draft;
use leptos::prelude::*;

/// "1,2 Mo", "350 ko".
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        format!("{},{} Mo", tenths / 10, tenths % 10)
    } else {
        format!("{} ko", bytes.div_ceil(1024).max(1))
    }
}

/// A list of attachments with their download links; with `on_remove`, each
/// has a "Retirer" button.
#[component]
pub fn AttachmentLinks(
    attachments: Vec<AttachmentRef>,
    #[prop(default = None)] on_remove: Option<Callback<AttachmentRef>>,
) -> impl IntoView {
    if attachments.is_empty() {
        return view! { <p class="fr-mb-1w">"Aucune pièce jointe."</p> }.into_any();
    }
    view! {
        <ul class="guichet-attachments">
            {attachments
                .into_iter()
                .map(|a| {
                    let label = format!("Retirer {}", a.file_name);
                    let target = a.clone();
                    view! {
                        <li>
                            <DownloadLink attachment=a />
                            {on_remove.map(|remove| view! {
                                <button type="button"
                                    class="fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-delete-line fr-btn--icon-left fr-ml-2w"
                                    title=label.clone()
                                    on:click=move |_| remove.run(target.clone())>
                                    "Retirer"
                                    <span class="fr-sr-only">{label.clone()}</span>
                                </button>
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DownloadLink(attachment: AttachmentRef) -> impl IntoView {
    let detail = format!("PDF – {}", human_size(attachment.size_bytes));
    view! {
        <a class="fr-link fr-link--download" href=crate::paths::attachment(&attachment.id) download=attachment.file_name.clone()>
            {format!("Télécharger {}", attachment.file_name)}
            <span class="fr-link__detail">{detail}</span>
        </a>
    }
}

/// What the upload field is doing.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Upload {
    Idle,
    Sending(String),
    Done(String),
}

/// The attachments block of step 4.
#[component]
pub fn AttachmentsField(draft: Draft) -> impl IntoView {
    let editable = draft.editable.get_value();
    let status = RwSignal::new(Upload::Idle);
    let errors = RwSignal::new(Vec::<String>::new());
    let list = move || draft.data.with(|d| d.legal.attachments.clone());
    let count = move || draft.data.with(|d| d.legal.attachments.len());
    let remove = Callback::new(move |a: AttachmentRef| {
        errors.set(vec![]);
        let id = draft.id;
        leptos::task::spawn_local(async move {
            match crate::api::requests::remove_attachment(id, a.id.clone()).await {
                Ok(()) => {
                    draft
                        .data
                        .update(|d| d.legal.attachments.retain(|x| x.id != a.id));
                    status.set(Upload::Done(format!("« {} » a été retiré.", a.file_name)));
                }
                Err(e) => errors.set(vec![e.message]),
            }
        });
    });
    let on_change = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = _ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let files: Vec<web_sys::File> = input
                .files()
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            input.set_value("");
            errors.set(vec![]);
            leptos::task::spawn_local(async move {
                let mut problems = Vec::new();
                let mut added = Vec::new();
                for file in files {
                    let name = file.name();
                    if draft.data.with_untracked(|d| d.legal.attachments.len()) >= MAX_ATTACHMENTS {
                        problems.push(format!(
                            "« {name} » n’a pas été joint : {MAX_ATTACHMENTS} pièces jointes au \
                             maximum."
                        ));
                        continue;
                    }
                    if file.size() > crate::domain::request::MAX_ATTACHMENT_BYTES as f64 {
                        problems.push(format!(
                            "« {name} » dépasse 10 Mo, la taille maximale d’une pièce jointe."
                        ));
                        continue;
                    }
                    status.set(Upload::Sending(name.clone()));
                    match send(draft.id, &file).await {
                        Ok(a) => {
                            added.push(a.file_name.clone());
                            draft.data.update(|d| d.legal.attachments.push(a));
                        }
                        Err(e) => problems.push(e.message),
                    }
                }
                status.set(if added.is_empty() {
                    Upload::Idle
                } else {
                    Upload::Done(format!(
                        "Pièce(s) jointe(s) enregistrée(s) : {}.",
                        added.join(", ")
                    ))
                });
                errors.set(problems);
            });
        }
    };
    let has_errors = move || !errors.with(Vec::is_empty);
    view! {
        <fieldset class="fr-fieldset fr-mb-3w" id="champ-legal-attachments-groupe" aria-labelledby="pieces-jointes-titre">
            <legend class="fr-fieldset__legend" id="pieces-jointes-titre">
                "Textes joints en PDF"
                <span class="fr-hint-text">
                    {format!("Facultatif si vous avez donné un lien. Format PDF uniquement, 10 Mo au maximum par fichier, {MAX_ATTACHMENTS} fichiers au maximum.")}
                </span>
            </legend>
            <div class="fr-fieldset__element">
                {move || view! { <AttachmentLinks attachments=list() on_remove=editable.then_some(remove) /> }}
            </div>
            {editable.then(|| view! {
                <div class="fr-fieldset__element">
                    <div class="fr-upload-group" class:fr-input-group--error=has_errors>
                        <label class="fr-label" for="champ-legal-attachments">
                            "Ajouter des fichiers PDF"
                            <span class="fr-hint-text">{move || format!("{} sur {MAX_ATTACHMENTS} fichiers joints.", count())}</span>
                        </label>
                        <input class="fr-upload" type="file" id="champ-legal-attachments" name="legal.attachments"
                            accept=".pdf,application/pdf" multiple=true
                            aria-describedby="champ-legal-attachments-erreur champ-legal-attachments-etat"
                            disabled=move || matches!(status.get(), Upload::Sending(_))
                            on:change=on_change />
                        <div id="champ-legal-attachments-erreur">
                            {move || errors.get().into_iter().map(|m| view! { <p class="fr-error-text">{m}</p> }).collect_view()}
                        </div>
                    </div>
                </div>
            })}
            <p class="fr-fieldset__element fr-text--sm" id="champ-legal-attachments-etat" role="status" aria-live="polite">
                {move || match status.get() {
                    Upload::Idle => String::new(),
                    Upload::Sending(name) => format!("Envoi de « {name} » et vérification en cours…"),
                    Upload::Done(msg) => msg,
                }}
            </p>
        </fieldset>
    }
}

/// Sends one file; answers the attachment or the server's error.
#[cfg(feature = "hydrate")]
async fn send(
    request_id: i64,
    file: &web_sys::File,
) -> Result<AttachmentRef, crate::error::AppError> {
    use crate::error::{AppError, ErrorCode};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let network = |_| AppError::new(ErrorCode::Network);
    let url = crate::paths::upload(
        request_id,
        &String::from(js_sys::encode_uri_component(&file.name())),
    );
    let headers = web_sys::Headers::new().map_err(network)?;
    headers
        .set("Content-Type", "application/pdf")
        .map_err(network)?;
    headers.set("Accept", "application/json").map_err(network)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(file);
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str_and_init(&url, &init))
        .await
        .map_err(network)?
        .dyn_into()
        .map_err(network)?;
    let text = JsFuture::from(response.text().map_err(network)?)
        .await
        .map_err(network)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| AppError::new(ErrorCode::Internal))
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|_| {
            let code = if response.status() == 413 {
                ErrorCode::TooLarge
            } else {
                ErrorCode::Internal
            };
            AppError::new(code)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(0), "1 ko");
        assert_eq!(human_size(1500), "2 ko");
        assert_eq!(human_size(1024 * 1024), "1,0 Mo");
        assert_eq!(human_size(10 * 1024 * 1024), "10,0 Mo");
        assert_eq!(human_size(1_300_000), "1,2 Mo");
    }
}
