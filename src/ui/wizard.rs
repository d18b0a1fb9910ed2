//! The applicant's wizard: six steps on one draft, saved without any button.
//!
//! The draft lives in the parent route (`/demandes/:id/etape`), so moving
//! between steps keeps it. Every change is written at once to the browser's
//! storage (localStorage, through gloo-storage) and saved to the server
//! 800 ms after the last keystroke, or at once when a field is left; saves go
//! one at a time, in order, each over the version the last one produced, each
//! with an id that makes a retry harmless. Offline, the changes wait in the
//! browser and go when the connection is back; a reload restores them. A save
//! over a version changed elsewhere stops with both versions shown. A save
//! whose answer never came (network cut, page reloaded meanwhile) may still
//! have been written: the next one names it (`earlier`), so the server lets
//! it go over it instead of calling the device's own save a conflict.

use crate::api::requests::{
    RequestView, SAVE_EARLIER_MAX, SubmitRequest, get_request, lookup_organisation,
};
use crate::domain::request::{CURRENT_CGU_VERSION, FieldError, RequestData, Step};
use crate::domain::scopes;
use crate::error::{AppError, ErrorCode};
use crate::ui::account::last_error;
use crate::ui::forms::{ErrorSummary, go_to};
use crate::ui::requests::{ChangesMessage, RequestSummaryView, request_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_params_map;
use std::collections::HashSet;

/// Where a save stands, as shown to the applicant.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveStatus {
    /// Nothing typed since the page opened.
    Idle,
    /// Changes not yet sent.
    Pending,
    Saving,
    /// Saved at this time (ms since the epoch).
    Saved(i64),
    /// The server cannot be reached: changes kept in the browser.
    Offline,
    /// The server answers but cannot save now (its database is down):
    /// changes kept in the browser, sent again until it can.
    Unavailable,
    /// The draft was saved elsewhere meanwhile: both versions shown.
    Conflict(Box<RequestView>),
    /// The server refused (session over, limit…): the message says why.
    Refused(String),
}

/// The draft being edited, shared by the steps.
#[derive(Clone, Copy)]
pub struct Draft {
    pub id: i64,
    pub data: RwSignal<RequestData>,
    pub version: RwSignal<i64>,
    pub status: RwSignal<SaveStatus>,
    pub editable: StoredValue<bool>,
    /// The instructor's request for changes, shown on every step.
    pub changes_message: StoredValue<Option<String>>,
    /// The fields the instructor asked to change, highlighted.
    pub changes_fields: StoredValue<Vec<String>>,
    /// Fields the applicant has left: their errors are shown.
    pub touched: RwSignal<HashSet<String>>,
    /// Show every error of the step (after "Vérifier").
    pub show_all: RwSignal<bool>,
    engine: StoredValue<Engine>,
}

/// The save machinery's own state (not reactive).
#[derive(Clone, Debug, Default)]
struct Engine {
    /// Incremented at every change.
    generation: u64,
    /// The generation the server has.
    saved_generation: u64,
    in_flight: bool,
    /// A change came while a save was in flight.
    again: bool,
    /// The save being retried: its id and the generation it carries.
    retry: Option<(String, u64)>,
    /// Ids of the saves sent over the current version whose answer never
    /// came: any of them may have been written.
    unacked: Vec<String>,
    /// Makes this page's save ids its own (two tabs count alike).
    prefix: String,
    counter: u64,
}

/// What the browser keeps of a draft between visits.
#[cfg(feature = "hydrate")]
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Buffer {
    /// The server version the changes were made on.
    base: i64,
    data: RequestData,
    /// Saves sent over `base` whose answer never came.
    #[serde(default)]
    sent: Vec<String>,
}

#[cfg(feature = "hydrate")]
fn buffer_key(id: i64) -> String {
    format!("guichet:demande:{id}")
}

#[cfg(feature = "hydrate")]
fn buffer_write(id: i64, base: i64, data: &RequestData, sent: &[String]) {
    use gloo_storage::Storage;
    let _ = gloo_storage::LocalStorage::set(
        buffer_key(id),
        Buffer {
            base,
            data: data.clone(),
            sent: sent.to_vec(),
        },
    );
}

#[cfg(feature = "hydrate")]
fn buffer_read(id: i64) -> Option<Buffer> {
    use gloo_storage::Storage;
    gloo_storage::LocalStorage::get(buffer_key(id)).ok()
}

#[cfg(feature = "hydrate")]
fn buffer_clear(id: i64) {
    use gloo_storage::Storage;
    gloo_storage::LocalStorage::delete(buffer_key(id));
}

/// "14:02" in the browser's time zone.
pub fn local_time(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        crate::domain::time::format_paris_time(ms)
    }
}

/// A prefix for this page's save ids: random, so that two tabs or devices
/// never name a save alike (the server takes a known id as already written).
fn page_prefix() -> String {
    #[cfg(feature = "hydrate")]
    {
        // 52 random bits are plenty to tell a user's pages apart.
        format!(
            "{:x}",
            (js_sys::Math::random() * 4_503_599_627_370_496.0) as u64
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// How long after the last keystroke a save starts.
pub const DEBOUNCE_MS: u64 = 800;
/// How long an offline draft waits before trying again.
pub const RETRY_MS: u64 = 5_000;

impl Draft {
    fn new(view: &RequestView) -> Draft {
        Draft {
            id: view.id,
            data: RwSignal::new(view.data.clone()),
            version: RwSignal::new(view.version),
            status: RwSignal::new(SaveStatus::Idle),
            editable: StoredValue::new(view.editable),
            changes_message: StoredValue::new(view.changes_message.clone()),
            changes_fields: StoredValue::new(view.changes_fields.clone()),
            touched: RwSignal::new(HashSet::new()),
            show_all: RwSignal::new(false),
            engine: StoredValue::new(Engine {
                prefix: page_prefix(),
                ..Engine::default()
            }),
        }
    }

    /// Applies a change typed by the applicant and schedules its save.
    pub fn change(self, f: impl FnOnce(&mut RequestData)) {
        if !self.editable.get_value() {
            return;
        }
        self.data.update(f);
        let generation = self.engine.with_value(|e| e.generation) + 1;
        self.engine.update_value(|e| e.generation = generation);
        #[cfg(feature = "hydrate")]
        self.write_buffer(self.version.get_untracked());
        if !matches!(self.status.get_untracked(), SaveStatus::Conflict(_)) {
            self.status.set(SaveStatus::Pending);
        }
        set_timeout(
            move || {
                if self.engine.with_value(|e| e.generation) == generation {
                    self.flush();
                }
            },
            std::time::Duration::from_millis(DEBOUNCE_MS),
        );
    }

    /// Marks a field as left and saves at once.
    pub fn leave(self, field: &str) {
        let field = field.to_owned();
        self.touched.update(|t| {
            t.insert(field);
        });
        self.flush();
    }

    /// Sends the unsaved changes, if any, unless a save is in flight (it will
    /// send them when it ends) or a conflict waits for the applicant.
    pub fn flush(self) {
        let (generation, saved, in_flight) = self
            .engine
            .with_value(|e| (e.generation, e.saved_generation, e.in_flight));
        if generation == saved || matches!(self.status.get_untracked(), SaveStatus::Conflict(_)) {
            return;
        }
        if in_flight {
            self.engine.update_value(|e| e.again = true);
            return;
        }
        let save_id = self.engine.with_value(|e| match &e.retry {
            Some((id, g)) if *g == generation => id.clone(),
            _ => format!("{}-{}-{}", e.prefix, generation, e.counter),
        });
        // The saves sent before this one without an answer; this one joins
        // them until its own answer comes (the buffer keeps them for a reload).
        let earlier = self.engine.with_value(|e| {
            e.unacked
                .iter()
                .filter(|u| **u != save_id)
                .cloned()
                .collect::<Vec<_>>()
        });
        self.engine.update_value(|e| {
            e.in_flight = true;
            e.again = false;
            e.counter += 1;
            if !e.unacked.contains(&save_id) {
                e.unacked.push(save_id.clone());
                let extra = e.unacked.len().saturating_sub(SAVE_EARLIER_MAX);
                e.unacked.drain(..extra);
            }
        });
        let version = self.version.get_untracked();
        #[cfg(feature = "hydrate")]
        self.write_buffer(version);
        self.status.set(SaveStatus::Saving);
        let data = self.data.get_untracked();
        let id = self.id;
        leptos::task::spawn_local(async move {
            let result =
                crate::api::requests::save_request(id, version, save_id.clone(), earlier, data)
                    .await;
            self.engine.update_value(|e| e.in_flight = false);
            match result {
                Ok(saved) => {
                    self.version.set(saved.version);
                    self.engine.update_value(|e| {
                        e.saved_generation = generation;
                        e.retry = None;
                        e.unacked.clear();
                    });
                    let current = self.engine.with_value(|e| e.generation);
                    #[cfg(feature = "hydrate")]
                    if current == generation {
                        buffer_clear(id);
                    } else {
                        self.write_buffer(saved.version);
                    }
                    if current == generation {
                        self.status.set(SaveStatus::Saved(saved.saved_at));
                    } else {
                        self.flush();
                    }
                }
                Err(e) => self.failed(e, save_id, generation),
            }
        });
    }

    fn failed(self, e: AppError, save_id: String, generation: u64) {
        match e.code {
            ErrorCode::Network | ErrorCode::DatabaseUnavailable | ErrorCode::Internal => {
                self.engine
                    .update_value(|en| en.retry = Some((save_id, generation)));
                self.status.set(if e.code == ErrorCode::Network {
                    SaveStatus::Offline
                } else {
                    SaveStatus::Unavailable
                });
                set_timeout(
                    move || self.flush(),
                    std::time::Duration::from_millis(RETRY_MS),
                );
            }
            ErrorCode::Conflict => {
                let id = self.id;
                leptos::task::spawn_local(async move {
                    match get_request(id).await {
                        Ok(server) => self.status.set(SaveStatus::Conflict(Box::new(server))),
                        Err(e) => self.status.set(SaveStatus::Refused(e.message)),
                    }
                });
            }
            ErrorCode::Unauthenticated => self.status.set(SaveStatus::Refused(
                "Votre session a expiré : reconnectez-vous dans un autre onglet, vos saisies \
                 sont gardées sur cet appareil et partiront ensuite."
                    .to_owned(),
            )),
            _ => self.status.set(SaveStatus::Refused(e.message)),
        }
    }

    /// Conflict resolved by keeping this device's version: it is saved over
    /// the server's.
    pub fn keep_mine(self, server_version: i64) {
        self.version.set(server_version);
        self.status.set(SaveStatus::Pending);
        self.engine.update_value(|e| {
            e.retry = None;
            e.unacked.clear();
            e.saved_generation = e.generation.wrapping_sub(1);
        });
        self.flush();
    }

    /// Conflict resolved by taking the server's version.
    pub fn take_theirs(self, server: &RequestView) {
        self.data.set(server.data.clone());
        self.version.set(server.version);
        self.engine.update_value(|e| {
            e.retry = None;
            e.unacked.clear();
            e.saved_generation = e.generation;
        });
        #[cfg(feature = "hydrate")]
        buffer_clear(self.id);
        self.status.set(SaveStatus::Saved(server.updated_at));
    }

    /// After a reload: changes kept in the browser are put back and sent, or,
    /// when the server moved on meanwhile, shown as a conflict.
    #[cfg(feature = "hydrate")]
    fn restore(self, server: RequestView) {
        let Some(buffer) = buffer_read(self.id) else {
            return;
        };
        if buffer.data == server.data || !server.editable {
            buffer_clear(self.id);
            return;
        }
        self.data.set(buffer.data);
        self.engine.update_value(|e| {
            e.generation += 1;
            e.unacked = buffer.sent.clone();
        });
        if buffer.base == server.version || !buffer.sent.is_empty() {
            // Over the version the changes were made on; when the server
            // moved on, it decides whether that was this device's own save
            // sent before the reload (then it goes over it) or a conflict.
            self.version.set(buffer.base);
            self.status.set(SaveStatus::Pending);
            self.flush();
        } else {
            self.status.set(SaveStatus::Conflict(Box::new(server)));
        }
    }

    /// Keeps the changes in the browser, made over `base`, with the saves
    /// sent over it that are still unanswered.
    #[cfg(feature = "hydrate")]
    fn write_buffer(self, base: i64) {
        let sent = self.engine.with_value(|e| e.unacked.clone());
        self.data
            .with_untracked(|d| buffer_write(self.id, base, d, &sent));
    }

    /// The errors of a step, those the applicant should see now.
    pub fn visible_errors(self, step: Step) -> Vec<FieldError> {
        let all = self.data.with(|d| d.validate_step(step));
        if self.show_all.get() {
            return all;
        }
        let touched = self.touched.get();
        all.into_iter()
            .filter(|e| touched.contains(&e.field))
            .collect()
    }
}

/// The status line.
#[component]
fn SaveIndicator(draft: Draft) -> impl IntoView {
    move || {
        let (class, text) = match draft.status.get() {
            SaveStatus::Idle => (
                "fr-text--sm guichet-save",
                "Enregistrement automatique".to_owned(),
            ),
            SaveStatus::Pending | SaveStatus::Saving => {
                ("fr-text--sm guichet-save", "Enregistrement…".to_owned())
            }
            SaveStatus::Saved(at) => (
                "fr-text--sm guichet-save fr-icon-check-line",
                format!("Enregistré à {}", local_time(at)),
            ),
            SaveStatus::Offline => (
                "fr-text--sm guichet-save guichet-save--warning",
                "Hors ligne — vos saisies sont gardées sur cet appareil".to_owned(),
            ),
            SaveStatus::Unavailable => (
                "fr-text--sm guichet-save guichet-save--warning",
                "Enregistrement momentanément impossible — vos saisies sont gardées sur cet \
                 appareil et seront enregistrées dès que possible"
                    .to_owned(),
            ),
            SaveStatus::Conflict(_) => (
                "fr-text--sm guichet-save guichet-save--error",
                "Conflit".to_owned(),
            ),
            SaveStatus::Refused(m) => ("fr-text--sm guichet-save guichet-save--error", m),
        };
        view! {
            <p class=class role="status" aria-live="polite" data-testid="save-status">
                {text}
            </p>
        }
    }
}

/// Both versions of a conflicting draft, and the choice.
#[component]
fn ConflictPanel(draft: Draft) -> impl IntoView {
    move || {
        let SaveStatus::Conflict(server) = draft.status.get() else {
            return None;
        };
        let mine = draft.data.get_untracked();
        let differences = crate::domain::request::differences(&mine, &server.data);
        let server_for_take = server.clone();
        Some(view! {
            <div class="fr-alert fr-alert--warning fr-mb-3w" role="alert">
                <h2 class="fr-alert__title">"Conflit : cette demande a été modifiée ailleurs"</h2>
                <p>
                    "Elle a été enregistrée depuis un autre onglet ou un autre appareil pendant \
                     que vous la modifiiez ici. Rien n’a été écrasé : choisissez la version à garder."
                </p>
                <div class="fr-table fr-table--sm fr-mt-2w">
                    <table>
                        <caption>"Champs qui diffèrent"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Champ"</th>
                                <th scope="col">"Votre version (cet appareil)"</th>
                                <th scope="col">"Version enregistrée"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {differences
                                .into_iter()
                                .map(|c| view! { <tr><td>{c.label}</td><td>{c.before}</td><td>{c.after}</td></tr> })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
                <ul class="fr-btns-group fr-btns-group--inline-md">
                    <li>
                        <button class="fr-btn" type="button" on:click={
                            let v = server.version;
                            move |_| draft.keep_mine(v)
                        }>"Garder ma version"</button>
                    </li>
                    <li>
                        <button class="fr-btn fr-btn--secondary" type="button" on:click=move |_| draft.take_theirs(&server_for_take)>
                            "Reprendre la version enregistrée"
                        </button>
                    </li>
                </ul>
            </div>
        })
    }
}

/// The parent of the steps: loads the draft once and keeps it.
#[component]
pub fn WizardShell() -> impl IntoView {
    let request = Resource::new_blocking(request_id_param(), get_request);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match request.await {
                    Ok(view) => {
                        let draft = Draft::new(&view);
                        provide_context(draft);
                        #[cfg(feature = "hydrate")]
                        {
                            let server = view.clone();
                            request_animation_frame(move || draft.restore(server));
                            let _ = window_event_listener(leptos::ev::online, move |_| draft.flush());
                        }
                        view! { <Outlet /> }.into_any()
                    }
                    Err(e) if e.code == ErrorCode::Unauthenticated => {
                        view! { <Redirect path="/connexion" /> }.into_any()
                    }
                    Err(e) => view! {
                        <div class="fr-container fr-my-6w">
                            <h1>"Demande introuvable"</h1>
                            <ErrorSummary error=Signal::derive(move || Some(e.clone())) />
                            <a class="fr-link" href="/demandes">"Mes demandes"</a>
                        </div>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// A text field bound to the draft.
#[component]
fn Field(
    draft: Draft,
    label: &'static str,
    /// The field's path, as the domain's errors name it.
    field: &'static str,
    get: fn(&RequestData) -> String,
    set: fn(&mut RequestData, String),
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = Step::Organisation)] step: Step,
) -> impl IntoView {
    let id = format!("champ-{}", field.replace('.', "-"));
    let msg_id = format!("{id}-erreur");
    let error = Memo::new(move |_| {
        draft
            .visible_errors(step)
            .into_iter()
            .find(|e| e.field == field)
            .map(|e| e.message)
    });
    let has_error = move || error.get().is_some();
    let value = move || draft.data.with(get);
    let initial = draft.data.with_untracked(get);
    let readonly = !draft.editable.get_value();
    let to_change = draft
        .changes_fields
        .with_value(|f| f.iter().any(|x| x == field));
    let input = if multiline {
        view! {
            <textarea
                class="fr-input"
                class:fr-input--error=has_error
                id=id.clone()
                name=field
                rows="4"
                readonly=readonly
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=msg_id.clone()
                prop:value=value
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    draft.change(|d| set(d, v));
                }
                on:blur=move |_| draft.leave(field)
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
                name=field
                readonly=readonly
                value=initial.clone()
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=msg_id.clone()
                prop:value=value
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    draft.change(|d| set(d, v));
                }
                on:blur=move |_| draft.leave(field)
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

/// Accessor pair for a text field of the request.
macro_rules! lens {
    ($($path:ident).+) => {
        (
            (|d: &RequestData| d.$($path).+.clone()) as fn(&RequestData) -> String,
            (|d: &mut RequestData, v: String| d.$($path).+ = v) as fn(&mut RequestData, String),
        )
    };
}

/// One step's page: stepper, status, conflict, errors, fields, navigation.
#[component]
pub fn StepPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || {
        params
            .read()
            .get("n")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| (1..=6).contains(n))
            .unwrap_or(1)
    };
    let Some(draft) = use_context::<Draft>() else {
        return view! { <p>"Brouillon indisponible."</p> }.into_any();
    };
    view! {
        {move || {
            let n = number();
            let step = Step::ALL[n - 1];
            let id = draft.id;
            draft.show_all.set(false);
            view! {
                <Title text=format!("Étape {n} sur 6 : {} – demande n° {id}", step.title()) />
                <div class="fr-container fr-my-6w">
                    <p class="fr-mb-1w"><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/demandes">"Mes demandes"</a></p>
                    <div class="fr-stepper">
                        <h1 class="fr-stepper__title">
                            {step.title()}
                            <span class="fr-stepper__state">{format!("Étape {n} sur 6")}</span>
                        </h1>
                        <div class="fr-stepper__steps" data-fr-current-step=n data-fr-steps="6"></div>
                        {(n < 6).then(|| view! {
                            <p class="fr-stepper__details">
                                <span class="fr-text--bold">"Étape suivante : "</span>
                                {Step::ALL[n].title()}
                            </p>
                        })}
                    </div>
                    <ChangesMessage message=draft.changes_message.get_value() fields=draft.changes_fields.get_value() id=draft.id />
                    <SaveIndicator draft />
                    <ConflictPanel draft />
                    <StepErrors draft step />
                    {step_fields(draft, step)}
                    <nav class="fr-mt-4w" aria-label="Étapes de la demande">
                        <ul class="fr-btns-group fr-btns-group--inline-md">
                            {(n > 1).then(|| view! {
                                <li>
                                    <a class="fr-btn fr-btn--secondary" href=format!("/demandes/{id}/etape/{}", n - 1)
                                        on:click=move |_| draft.flush()>
                                        "Étape précédente"
                                    </a>
                                </li>
                            })}
                            {(n < 6).then(|| view! {
                                <li>
                                    <button class="fr-btn fr-btn--tertiary" type="button" on:click=move |_| {
                                        draft.show_all.set(true);
                                        focus_errors();
                                    }>
                                        "Vérifier cette étape"
                                    </button>
                                </li>
                                <li>
                                    <a class="fr-btn" href=format!("/demandes/{id}/etape/{}", n + 1)
                                        on:click=move |_| draft.flush()>
                                        "Étape suivante"
                                    </a>
                                </li>
                            })}
                        </ul>
                    </nav>
                </div>
            }
        }}
    }
    .into_any()
}

/// Moves the focus to the error summary once it is drawn (screen readers read it).
fn focus_errors() {
    #[cfg(feature = "hydrate")]
    request_animation_frame(|| {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id("erreurs-etape")
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// The summary of a step's errors (DSFR alert) with links to the fields.
#[component]
fn StepErrors(draft: Draft, step: Step) -> impl IntoView {
    let errors = Memo::new(move |_| draft.visible_errors(step));
    move || {
        let list = errors.get();
        (!list.is_empty() && draft.show_all.get()).then(|| {
            view! {
                <div class="fr-alert fr-alert--error fr-mb-3w" role="alert" tabindex="-1" id="erreurs-etape">
                    <h2 class="fr-alert__title">{format!("{} point(s) à compléter dans cette étape", list.len())}</h2>
                    <ul>
                        {list
                            .into_iter()
                            .map(|e| {
                                let href = format!("#champ-{}", e.field.replace('.', "-"));
                                view! { <li><a href=href>{e.message}</a></li> }
                            })
                            .collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

fn step_fields(draft: Draft, step: Step) -> AnyView {
    match step {
        Step::Organisation => organisation_step(draft).into_any(),
        Step::Context => context_step(draft).into_any(),
        Step::Data => data_step(draft).into_any(),
        Step::Legal => legal_step(draft).into_any(),
        Step::Contacts => contacts_step(draft).into_any(),
        Step::Terms => terms_step(draft).into_any(),
    }
}

fn organisation_step(draft: Draft) -> impl IntoView {
    let (get_siret, set_siret) = lens!(organisation.siret);
    let (get_name, set_name) = lens!(organisation.name);
    let (get_just, set_just) = lens!(organisation.justification);
    let lookup = Action::new(move |siret: &String| lookup_organisation(siret.clone()));
    let found = lookup.value();
    Effect::new(move |_| match found.get() {
        Some(Ok(Some(org))) => draft.change(|d| {
            d.organisation.name = org.name.clone();
            d.organisation.legal_category = org.legal_category.clone();
            d.organisation.active = Some(org.active);
        }),
        // Unknown to the directory: no category (a justification is asked);
        // the name is the applicant's to type.
        Some(Ok(None)) => draft.change(|d| {
            d.organisation.legal_category.clear();
            d.organisation.active = None;
        }),
        _ => {}
    });
    view! {
        <Field draft label="Numéro SIRET de l’organisation" field="organisation.siret" get=get_siret set=set_siret
            hint="14 chiffres, espaces acceptés. Exemple : 213 401 722 01787" />
        <button class="fr-btn fr-btn--secondary fr-mb-3w" type="button"
            on:click=move |_| { lookup.dispatch(draft.data.with_untracked(|d| d.organisation.siret.clone())); }>
            "Rechercher l’organisation"
        </button>
        {move || match found.get() {
            Some(Ok(Some(org))) => Some(view! {
                <div class="fr-callout fr-mb-3w">
                    <h2 class="fr-callout__title fr-h6">{org.name.clone()}</h2>
                    <p class="fr-callout__text">
                        {format!("Catégorie juridique {} ({}). ", org.legal_category, org.legal_category_label)}
                        {org.eligibility_message.clone()}
                    </p>
                </div>
            }.into_any()),
            Some(Ok(None)) => Some(view! {
                <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w">
                    <p>"Cette organisation ne figure pas dans l’annuaire : indiquez son nom et décrivez sa mission de service public ; l’instructeur vérifiera son éligibilité."</p>
                </div>
            }.into_any()),
            Some(Err(e)) => Some(view! {
                <div class="fr-alert fr-alert--error fr-alert--sm fr-mb-3w" role="alert"><p>{e.message}</p></div>
            }.into_any()),
            None => None,
        }}
        <Field draft label="Nom de l’organisation" field="organisation.name" get=get_name set=set_name />
        <Field draft label="Mission de service public" field="organisation.justification" get=get_just set=set_just multiline=true
            hint="Obligatoire pour un organisme privé chargé d’une mission de service public, ou pour une organisation absente de l’annuaire : décrivez cette mission et son fondement." />
    }
}

fn context_step(draft: Draft) -> impl IntoView {
    let s = Step::Context;
    let (g1, s1) = lens!(context.title);
    let (g2, s2) = lens!(context.description);
    let (g3, s3) = lens!(context.end_users);
    let (g4, s4) = lens!(context.expected_volume);
    let (g5, s5) = lens!(context.go_live);
    view! {
        <Field draft step=s label="Intitulé de la demande" field="context.title" get=g1 set=s1
            hint="Il nommera aussi le jeton d’accès. Exemple : Pré-remplissage des formulaires d’aides" />
        <Field draft step=s label="Description du cas d’usage" field="context.description" get=g2 set=s2 multiline=true />
        <Field draft step=s label="Public concerné (utilisateurs finaux)" field="context.end_users" get=g3 set=s3 multiline=true />
        <Field draft step=s label="Volumétrie attendue (appels par jour)" field="context.expected_volume" get=g4 set=s4 />
        <Field draft step=s label="Date de mise en service prévue" field="context.go_live" get=g5 set=s5 kind="date" />
    }
}

fn data_step(draft: Draft) -> impl IntoView {
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

fn legal_step(draft: Draft) -> impl IntoView {
    let s = Step::Legal;
    let (g1, s1) = lens!(legal.basis);
    let (g3, s3) = lens!(legal.recipients);
    let (g4, s4) = lens!(legal.retention_months);
    let (g5, s5) = lens!(legal.retention_justification);
    let get_urls: fn(&RequestData) -> String = |d| d.legal.urls.join("\n");
    let set_urls: fn(&mut RequestData, String) = |d, v| {
        d.legal.urls = v
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
    };
    view! {
        <Field draft step=s label="Fondement juridique" field="legal.basis" get=g1 set=s1 multiline=true
            hint="Le texte (loi, décret, délibération…) qui vous autorise à traiter ces données." />
        <Field draft step=s label="Liens vers les textes (un par ligne)" field="legal.urls" get=get_urls set=set_urls multiline=true
            hint="Adresses https, par exemple sur legifrance.gouv.fr" />
        <crate::ui::attachments::AttachmentsField draft />
        <Field draft step=s label="Destinataires des données" field="legal.recipients" get=g3 set=s3 multiline=true />
        <Field draft step=s label="Durée de conservation (en mois)" field="legal.retention_months" get=g4 set=s4 />
        <Field draft step=s label="Justification de la durée de conservation" field="legal.retention_justification" get=g5 set=s5 multiline=true
            hint="Obligatoire au-delà de 36 mois." />
    }
}

fn contact_fields(
    draft: Draft,
    title: &'static str,
    role: &'static str,
    paths: [&'static str; 5],
) -> impl IntoView {
    let s = Step::Contacts;
    macro_rules! contact_lens {
        ($field:ident) => {{
            let get: fn(&RequestData) -> String = match role {
                "dpo" => |d| d.contacts.dpo.$field.clone(),
                "controller" => |d| d.contacts.controller.$field.clone(),
                "business" => |d| d.contacts.business.$field.clone(),
                _ => |d| d.contacts.technical.$field.clone(),
            };
            let set: fn(&mut RequestData, String) = match role {
                "dpo" => |d, v| d.contacts.dpo.$field = v,
                "controller" => |d, v| d.contacts.controller.$field = v,
                "business" => |d, v| d.contacts.business.$field = v,
                _ => |d, v| d.contacts.technical.$field = v,
            };
            (get, set)
        }};
    }
    let (g1, s1) = contact_lens!(given_name);
    let (g2, s2) = contact_lens!(family_name);
    let (g3, s3) = contact_lens!(email);
    let (g4, s4) = contact_lens!(phone);
    let (g5, s5) = contact_lens!(job_title);
    view! {
        <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend">{title}</legend>
            <div class="fr-fieldset__element"><Field draft step=s label="Prénom" field=paths[0] get=g1 set=s1 /></div>
            <div class="fr-fieldset__element"><Field draft step=s label="Nom" field=paths[1] get=g2 set=s2 /></div>
            <div class="fr-fieldset__element"><Field draft step=s label="Adresse électronique" field=paths[2] get=g3 set=s3 kind="email" /></div>
            <div class="fr-fieldset__element"><Field draft step=s label="Téléphone" field=paths[3] get=g4 set=s4 kind="tel" /></div>
            <div class="fr-fieldset__element"><Field draft step=s label="Fonction" field=paths[4] get=g5 set=s5 /></div>
        </fieldset>
    }
}

/// The error paths of one contact's five fields.
macro_rules! contact_paths {
    ($role:literal) => {
        [
            concat!("contacts.", $role, ".given_name"),
            concat!("contacts.", $role, ".family_name"),
            concat!("contacts.", $role, ".email"),
            concat!("contacts.", $role, ".phone"),
            concat!("contacts.", $role, ".job_title"),
        ]
    };
}

/// "Mêmes coordonnées que …": copies one contact into another.
fn copy_contact(
    draft: Draft,
    label: &'static str,
    from: fn(&RequestData) -> crate::domain::request::Contact,
    to: fn(&mut RequestData, crate::domain::request::Contact),
) -> impl IntoView {
    view! {
        <button class="fr-btn fr-btn--sm fr-btn--tertiary fr-mb-2w" type="button"
            disabled=!draft.editable.get_value()
            on:click=move |_| {
                let c = draft.data.with_untracked(from);
                draft.change(move |d| to(d, c));
                draft.flush();
            }>
            {label}
        </button>
    }
}

fn contacts_step(draft: Draft) -> impl IntoView {
    view! {
        {contact_fields(draft, "Délégué·e à la protection des données (DPO)", "dpo", contact_paths!("dpo"))}
        {contact_fields(draft, "Responsable de traitement", "controller", contact_paths!("controller"))}
        {copy_contact(draft, "Contact métier : mêmes coordonnées que le responsable de traitement",
            |d| d.contacts.controller.clone(), |d, c| d.contacts.business = c)}
        {contact_fields(draft, "Contact métier", "business", contact_paths!("business"))}
        {copy_contact(draft, "Contact technique : mêmes coordonnées que le contact métier",
            |d| d.contacts.business.clone(), |d, c| d.contacts.technical = c)}
        {contact_fields(draft, "Contact technique", "technical", contact_paths!("technical"))}
    }
}

fn terms_step(draft: Draft) -> impl IntoView {
    let submit = ServerAction::<SubmitRequest>::new();
    let error = last_error(submit.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = submit.value().get() {
            go_to(&format!("/demandes/{}", draft.id));
        }
    });
    let missing = Memo::new(move |_| draft.data.with(|d| d.validate_all()));
    view! {
        <h2 class="fr-h4">"Récapitulatif"</h2>
        {move || view! { <RequestSummaryView id=draft.id data=draft.data.get() edit=draft.editable.get_value() /> }}
        <h2 class="fr-h4">"Conditions générales d’utilisation"</h2>
        <div class="fr-checkbox-group fr-mb-3w">
            <input type="checkbox" id="cgu" name="cgu"
                disabled=!draft.editable.get_value()
                prop:checked=move || draft.data.with(|d| d.terms.accepted && d.terms.version == CURRENT_CGU_VERSION)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    draft.change(move |d| {
                        d.terms.accepted = on;
                        d.terms.version = if on { CURRENT_CGU_VERSION.to_owned() } else { String::new() };
                    });
                    draft.flush();
                } />
            <label class="fr-label" for="cgu">
                "J’ai lu et j’accepte les "
                <a href="/conditions-generales" target="_blank" rel="noopener" title="conditions générales d’utilisation – nouvelle fenêtre">"conditions générales d’utilisation"</a>
                {format!(" (version {CURRENT_CGU_VERSION})")}
            </label>
        </div>
        {move || {
            let list = missing.get();
            (!list.is_empty()).then(|| view! {
                <div class="fr-alert fr-alert--info fr-mb-3w">
                    <h3 class="fr-alert__title">"Avant de déposer la demande, complétez :"</h3>
                    <ul>
                        {list.into_iter().map(|(step, errors)| view! {
                            <li>
                                <a href=format!("/demandes/{}/etape/{}", draft.id, step.number())>
                                    {format!("Étape {} « {} » : {} point(s)", step.number(), step.title(), errors.len())}
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            })
        }}
        <ErrorSummary error />
        {move || draft.editable.get_value().then(|| view! {
            <button class="fr-btn" type="button"
                disabled=move || {
                    !missing.get().is_empty()
                        || submit.pending().get()
                        || !matches!(draft.status.get(), SaveStatus::Idle | SaveStatus::Saved(_))
                }
                on:click=move |_| {
                    submit.dispatch(SubmitRequest { id: draft.id, version: draft.version.get_untracked() });
                }>
                "Déposer la demande"
            </button>
        })}
    }
}
