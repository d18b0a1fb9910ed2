//! The draft being edited, shared by the steps: its data and its save
//! status as signals, driven by the save engine (`engine`), whose commands
//! it carries out (network, timers, the browser's storage).

use super::engine::{self, Command, Engine};
use crate::api::requests::{RequestView, get_request};
use crate::domain::request::{FieldError, RequestData, Step};
use leptos::prelude::*;
use std::collections::HashSet;

/// Where a save stands, as shown to the applicant (`engine::Status`).
pub type SaveStatus = engine::Status<RequestView>;

/// The draft being edited, shared by the steps: its data and what the
/// engine says, as signals the page shows.
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
    engine: StoredValue<Engine<RequestView>>,
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

impl Draft {
    pub(super) fn new(view: &RequestView) -> Draft {
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
            engine: StoredValue::new(Engine::new(view.version, view.editable, page_prefix())),
        }
    }

    /// Feeds the engine and carries out what it answers.
    fn step(self, input: impl FnOnce(&mut Engine<RequestView>) -> Vec<Command<RequestView>>) {
        let mut commands = Vec::new();
        self.engine.update_value(|e| commands = input(e));
        for c in commands {
            self.run(c);
        }
    }

    fn run(self, command: Command<RequestView>) {
        match command {
            Command::Show(status) => self.status.set(status),
            Command::Version(v) => self.version.set(v),
            Command::Debounce { generation } => set_timeout(
                move || self.step(|e| e.debounced(generation)),
                std::time::Duration::from_millis(engine::DEBOUNCE_MS),
            ),
            Command::RetryLater => set_timeout(
                move || self.flush(),
                std::time::Duration::from_millis(engine::RETRY_MS),
            ),
            Command::Send {
                save_id,
                version,
                earlier,
                generation,
            } => {
                let data = self.data.get_untracked();
                let id = self.id;
                leptos::task::spawn_local(async move {
                    let answer = crate::api::requests::save_request(
                        id,
                        version,
                        save_id.clone(),
                        earlier,
                        data,
                    )
                    .await
                    .map(|saved| (saved.version, saved.saved_at));
                    self.step(|e| e.answered(save_id, generation, answer));
                });
            }
            Command::FetchServer => {
                let id = self.id;
                leptos::task::spawn_local(async move {
                    let server = get_request(id).await;
                    self.step(|e| e.server_loaded(server));
                });
            }
            #[cfg(feature = "hydrate")]
            Command::WriteBuffer { base, sent } => self
                .data
                .with_untracked(|d| buffer_write(self.id, base, d, &sent)),
            #[cfg(feature = "hydrate")]
            Command::ClearBuffer => buffer_clear(self.id),
            #[cfg(feature = "hydrate")]
            Command::UseBuffer => {
                if let Some(buffer) = buffer_read(self.id) {
                    self.data.set(buffer.data);
                }
            }
            // Nothing is kept on the server's side of the page.
            #[cfg(not(feature = "hydrate"))]
            Command::WriteBuffer { .. } | Command::ClearBuffer | Command::UseBuffer => {}
        }
    }

    /// Applies a change typed by the applicant and schedules its save.
    pub fn change(self, f: impl FnOnce(&mut RequestData)) {
        if !self.editable.get_value() {
            return;
        }
        self.data.update(f);
        self.step(Engine::edited);
    }

    /// Marks a field as left and saves at once.
    pub fn leave(self, field: &str) {
        let field = field.to_owned();
        self.touched.update(|t| {
            t.insert(field);
        });
        self.flush();
    }

    /// Sends the unsaved changes, if any.
    pub fn flush(self) {
        self.step(Engine::flush);
    }

    /// Conflict resolved by keeping this device's version: it is saved over
    /// the server's.
    pub fn keep_mine(self, server_version: i64) {
        self.step(|e| e.keep_mine(server_version));
    }

    /// Conflict resolved by taking the server's version.
    pub fn take_theirs(self, server: &RequestView) {
        self.data.set(server.data.clone());
        self.step(|e| e.take_theirs(server.version, server.updated_at));
    }

    /// After a reload: changes kept in the browser are put back and sent, or,
    /// when the server moved on meanwhile, shown as a conflict.
    #[cfg(feature = "hydrate")]
    pub(super) fn restore(self, server: RequestView) {
        let kept = buffer_read(self.id).map(|b| engine::Kept {
            base: b.base,
            same_as_server: b.data == server.data,
            sent: b.sent,
        });
        let (version, editable) = (server.version, server.editable);
        self.step(|e| e.restore(kept, server, version, editable));
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
