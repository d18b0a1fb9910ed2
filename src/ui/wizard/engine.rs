//! The wizard's save engine, as a plain state machine: no signals, no
//! timers, no network. The page feeds it what happens (an edit, a timer
//! that fires, the server's answer, a reload) and carries out the commands
//! it answers (send a save, start a timer, write the browser's buffer, show
//! a status). Every rule of autosaving lives here and is tested on the host.
//!
//! The rules: a save goes 800 ms after the last keystroke, or at once when a
//! field is left; one save at a time, in order, each over the version the
//! last one produced; each save has an id, so a retry after a lost answer is
//! answered again rather than written twice; the saves sent over the current
//! version whose answer never came are named (`earlier`) by the next one, so
//! the server lets it go over them; offline or with the database down, the
//! changes wait in the browser and go again every 5 s; a conflict stops
//! everything until the applicant chooses a version.

use crate::error::{AppError, ErrorCode};

/// How long after the last keystroke a save starts.
pub const DEBOUNCE_MS: u64 = 800;
/// How long an offline draft waits before trying again.
pub const RETRY_MS: u64 = 5_000;
/// How many unanswered saves a save names (the server takes no more).
pub const EARLIER_MAX: usize = crate::api::requests::SAVE_EARLIER_MAX;

/// Where a save stands, as shown to the applicant; `V` is the server's
/// version of the draft, shown beside this device's on a conflict.
#[derive(Clone, Debug, PartialEq)]
pub enum Status<V> {
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
    Conflict(Box<V>),
    /// The server refused (session over, limit…): the message says why.
    Refused(String),
}

/// What the page must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command<V> {
    /// Send the draft's data as save `save_id` over `version`; answer with
    /// `Engine::answered(save_id, generation, …)`.
    Send {
        save_id: String,
        version: i64,
        earlier: Vec<String>,
        generation: u64,
    },
    /// Call `Engine::debounced(generation)` in `DEBOUNCE_MS`.
    Debounce {
        generation: u64,
    },
    /// Call `Engine::flush` in `RETRY_MS`.
    RetryLater,
    /// Keep the data in the browser, as changed over `base`, with the saves
    /// sent over it still unanswered.
    WriteBuffer {
        base: i64,
        sent: Vec<String>,
    },
    ClearBuffer,
    /// Put the data kept in the browser back in the form.
    UseBuffer,
    /// Read the server's version of the draft; answer with
    /// `Engine::server_loaded`.
    FetchServer,
    /// Show this status.
    Show(Status<V>),
    /// The draft is now at this server version.
    Version(i64),
}

/// A save's answer, as the engine needs it.
pub type Answer = Result<(i64, i64), AppError>;

/// What the browser kept of a draft, for `Engine::restore`.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    /// The server version the changes were made on.
    pub base: i64,
    /// Saves sent over `base` whose answer never came.
    pub sent: Vec<String>,
    /// The kept data is the server's, as is.
    pub same_as_server: bool,
}

/// The engine's state.
#[derive(Clone, Debug)]
pub struct Engine<V> {
    /// Incremented at every change.
    generation: u64,
    /// The generation the server has.
    saved_generation: u64,
    in_flight: bool,
    /// The save being retried: its id and the generation it carries.
    retry: Option<(String, u64)>,
    /// Ids of the saves sent over the current version whose answer never
    /// came: any of them may have been written.
    unacked: Vec<String>,
    /// Makes this page's save ids its own (two tabs count alike).
    prefix: String,
    counter: u64,
    version: i64,
    status: Status<V>,
    editable: bool,
}

impl<V: Clone> Engine<V> {
    /// A draft at server `version`; `prefix` makes the page's save ids its
    /// own (random in the browser).
    pub fn new(version: i64, editable: bool, prefix: String) -> Self {
        Engine {
            generation: 0,
            saved_generation: 0,
            in_flight: false,
            retry: None,
            unacked: Vec::new(),
            prefix,
            counter: 0,
            version,
            status: Status::Idle,
            editable,
        }
    }

    pub fn editable(&self) -> bool {
        self.editable
    }

    pub fn version(&self) -> i64 {
        self.version
    }

    pub fn status(&self) -> &Status<V> {
        &self.status
    }

    fn in_conflict(&self) -> bool {
        matches!(self.status, Status::Conflict(_))
    }

    fn show(&mut self, status: Status<V>, out: &mut Vec<Command<V>>) {
        self.status = status.clone();
        out.push(Command::Show(status));
    }

    fn set_version(&mut self, version: i64, out: &mut Vec<Command<V>>) {
        self.version = version;
        out.push(Command::Version(version));
    }

    fn buffer(&self, base: i64) -> Command<V> {
        Command::WriteBuffer {
            base,
            sent: self.unacked.clone(),
        }
    }

    /// The applicant changed the data (the page has applied the change):
    /// kept in the browser at once, saved after the debounce.
    pub fn edited(&mut self) -> Vec<Command<V>> {
        let mut out = Vec::new();
        if !self.editable {
            return out;
        }
        self.generation += 1;
        out.push(self.buffer(self.version));
        if !self.in_conflict() {
            self.show(Status::Pending, &mut out);
        }
        out.push(Command::Debounce {
            generation: self.generation,
        });
        out
    }

    /// The debounce of the edit that made `generation` ended: saved, unless
    /// the applicant typed again since.
    pub fn debounced(&mut self, generation: u64) -> Vec<Command<V>> {
        if generation == self.generation {
            self.flush()
        } else {
            Vec::new()
        }
    }

    /// Sends the unsaved changes, if any, unless a save is in flight (its
    /// answer sends them) or a conflict waits for the applicant.
    pub fn flush(&mut self) -> Vec<Command<V>> {
        let mut out = Vec::new();
        if self.generation == self.saved_generation || self.in_conflict() || self.in_flight {
            return out;
        }
        let generation = self.generation;
        let save_id = match &self.retry {
            Some((id, g)) if *g == generation => id.clone(),
            _ => format!("{}-{}-{}", self.prefix, generation, self.counter),
        };
        // The saves sent before this one without an answer; this one joins
        // them until its own answer comes (the buffer keeps them for a reload).
        let earlier: Vec<String> = self
            .unacked
            .iter()
            .filter(|u| **u != save_id)
            .cloned()
            .collect();
        self.in_flight = true;
        self.counter += 1;
        if !self.unacked.contains(&save_id) {
            self.unacked.push(save_id.clone());
            let extra = self.unacked.len().saturating_sub(EARLIER_MAX);
            self.unacked.drain(..extra);
        }
        out.push(self.buffer(self.version));
        self.show(Status::Saving, &mut out);
        out.push(Command::Send {
            save_id,
            version: self.version,
            earlier,
            generation,
        });
        out
    }

    /// The server answered save `save_id`, which carried `generation`:
    /// `Ok((version, saved_at))` or its error.
    pub fn answered(
        &mut self,
        save_id: String,
        generation: u64,
        answer: Answer,
    ) -> Vec<Command<V>> {
        let mut out = Vec::new();
        self.in_flight = false;
        match answer {
            Ok((version, saved_at)) => {
                self.set_version(version, &mut out);
                self.saved_generation = generation;
                self.retry = None;
                self.unacked.clear();
                if self.generation == generation {
                    out.push(Command::ClearBuffer);
                    self.show(Status::Saved(saved_at), &mut out);
                } else {
                    out.push(self.buffer(version));
                    out.extend(self.flush());
                }
            }
            Err(e) => match e.code {
                ErrorCode::Network | ErrorCode::DatabaseUnavailable | ErrorCode::Internal => {
                    self.retry = Some((save_id, generation));
                    let status = if e.code == ErrorCode::Network {
                        Status::Offline
                    } else {
                        Status::Unavailable
                    };
                    self.show(status, &mut out);
                    out.push(Command::RetryLater);
                }
                ErrorCode::Conflict => out.push(Command::FetchServer),
                ErrorCode::Unauthenticated => self.show(
                    Status::Refused(
                        "Votre session a expiré : reconnectez-vous dans un autre onglet, vos \
                         saisies sont gardées sur cet appareil et partiront ensuite."
                            .to_owned(),
                    ),
                    &mut out,
                ),
                _ => self.show(Status::Refused(e.message), &mut out),
            },
        }
        out
    }

    /// The server's version, read after a conflict.
    pub fn server_loaded(&mut self, server: Result<V, AppError>) -> Vec<Command<V>> {
        let mut out = Vec::new();
        match server {
            Ok(v) => self.show(Status::Conflict(Box::new(v)), &mut out),
            Err(e) => self.show(Status::Refused(e.message), &mut out),
        }
        out
    }

    /// Conflict resolved by keeping this device's version: it is saved over
    /// the server's (`server_version`).
    pub fn keep_mine(&mut self, server_version: i64) -> Vec<Command<V>> {
        let mut out = Vec::new();
        self.set_version(server_version, &mut out);
        self.show(Status::Pending, &mut out);
        self.retry = None;
        self.unacked.clear();
        self.saved_generation = self.generation.wrapping_sub(1);
        out.extend(self.flush());
        out
    }

    /// Conflict resolved by taking the server's version (the page puts its
    /// data in the form), saved at `updated_at`.
    pub fn take_theirs(&mut self, server_version: i64, updated_at: i64) -> Vec<Command<V>> {
        let mut out = Vec::new();
        self.set_version(server_version, &mut out);
        self.retry = None;
        self.unacked.clear();
        self.saved_generation = self.generation;
        out.push(Command::ClearBuffer);
        self.show(Status::Saved(updated_at), &mut out);
        out
    }

    /// After a reload: the changes the browser kept are put back and sent,
    /// or, when the server moved on meanwhile, shown as a conflict with
    /// `server` (at `server_version`, editable or not).
    pub fn restore(
        &mut self,
        kept: Option<Kept>,
        server: V,
        server_version: i64,
        server_editable: bool,
    ) -> Vec<Command<V>> {
        let mut out = Vec::new();
        let Some(kept) = kept else {
            return out;
        };
        if kept.same_as_server || !server_editable {
            out.push(Command::ClearBuffer);
            return out;
        }
        out.push(Command::UseBuffer);
        self.generation += 1;
        let own_saves_pending = !kept.sent.is_empty();
        self.unacked = kept.sent;
        if kept.base == server_version || own_saves_pending {
            // Over the version the changes were made on; when the server
            // moved on, it decides whether that was this device's own save
            // sent before the reload (then it goes over it) or a conflict.
            self.set_version(kept.base, &mut out);
            self.show(Status::Pending, &mut out);
            out.extend(self.flush());
        } else {
            self.show(Status::Conflict(Box::new(server)), &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type E = Engine<&'static str>;
    type C = Command<&'static str>;

    fn engine() -> E {
        Engine::new(1, true, "p".to_owned())
    }

    /// The save the commands send: (id, version, earlier, generation).
    fn sent(cmds: &[C]) -> Option<(String, i64, Vec<String>, u64)> {
        cmds.iter().find_map(|c| match c {
            Command::Send {
                save_id,
                version,
                earlier,
                generation,
            } => Some((save_id.clone(), *version, earlier.clone(), *generation)),
            _ => None,
        })
    }

    fn shown(cmds: &[C]) -> Option<Status<&'static str>> {
        cmds.iter().rev().find_map(|c| match c {
            Command::Show(s) => Some(s.clone()),
            _ => None,
        })
    }

    fn offline() -> AppError {
        AppError::new(ErrorCode::Network)
    }

    #[test]
    fn an_edit_is_kept_in_the_browser_and_saved_after_the_debounce() {
        let mut e = engine();
        let cmds = e.edited();
        assert_eq!(
            cmds[0],
            Command::WriteBuffer {
                base: 1,
                sent: vec![]
            }
        );
        assert_eq!(shown(&cmds), Some(Status::Pending));
        assert!(cmds.contains(&Command::Debounce { generation: 1 }));
        assert_eq!(sent(&cmds), None, "nothing sent before the debounce");
        // Typed again before the debounce ended: only the last one saves.
        let cmds = e.edited();
        assert!(cmds.contains(&Command::Debounce { generation: 2 }));
        assert!(e.debounced(1).is_empty());
        let cmds = e.debounced(2);
        let (id, version, earlier, generation) = sent(&cmds).expect("sent");
        assert_eq!((id.as_str(), version, generation), ("p-2-0", 1, 2));
        assert!(earlier.is_empty());
        assert_eq!(shown(&cmds), Some(Status::Saving));
        let cmds = e.answered(id, 2, Ok((2, 1_000)));
        assert!(cmds.contains(&Command::Version(2)));
        assert!(cmds.contains(&Command::ClearBuffer));
        assert_eq!(shown(&cmds), Some(Status::Saved(1_000)));
        assert!(e.flush().is_empty(), "nothing more to save");
    }

    #[test]
    fn a_read_only_draft_is_never_saved() {
        let mut e: E = Engine::new(3, false, "p".to_owned());
        assert!(e.edited().is_empty());
        assert!(e.flush().is_empty());
    }

    #[test]
    fn one_save_at_a_time_and_the_changes_typed_meanwhile_go_next_over_its_version() {
        let mut e = engine();
        e.edited();
        let (first, ..) = sent(&e.flush()).expect("first");
        e.edited();
        assert!(
            e.flush().is_empty(),
            "no second save while one is in flight"
        );
        assert_eq!(e.debounced(2), vec![]);
        let cmds = e.answered(first, 1, Ok((2, 10)));
        // Kept in the browser over the new version, then sent over it.
        assert!(cmds.contains(&Command::WriteBuffer {
            base: 2,
            sent: vec![]
        }));
        let (id, version, earlier, generation) = sent(&cmds).expect("next");
        assert_eq!((version, generation), (2, 2));
        assert!(earlier.is_empty());
        assert_ne!(id, "p-1-0");
    }

    #[test]
    fn a_lost_answer_is_retried_with_the_same_id() {
        let mut e = engine();
        e.edited();
        let (id, ..) = sent(&e.flush()).expect("sent");
        let cmds = e.answered(id.clone(), 1, Err(offline()));
        assert_eq!(shown(&cmds), Some(Status::Offline));
        assert!(cmds.contains(&Command::RetryLater));
        let (again, version, earlier, _) = sent(&e.flush()).expect("retry");
        assert_eq!(
            again, id,
            "same id: the server answers it again, never twice"
        );
        assert_eq!(version, 1);
        assert!(earlier.is_empty(), "a save does not name itself");
    }

    #[test]
    fn a_change_after_a_lost_answer_names_the_earlier_save() {
        let mut e = engine();
        e.edited();
        let (first, ..) = sent(&e.flush()).expect("sent");
        e.answered(first.clone(), 1, Err(offline()));
        // Typed while offline: a new save, which names the unanswered one
        // (the server may have written it).
        e.edited();
        let cmds = e.flush();
        assert!(cmds.contains(&Command::WriteBuffer {
            base: 1,
            sent: vec![first.clone(), "p-2-1".to_owned()]
        }));
        let (id, version, earlier, generation) = sent(&cmds).expect("sent");
        assert_eq!((id.as_str(), version, generation), ("p-2-1", 1, 2));
        assert_eq!(earlier, vec![first]);
    }

    #[test]
    fn the_database_down_is_said_and_retried() {
        let mut e = engine();
        e.edited();
        let (id, ..) = sent(&e.flush()).expect("sent");
        let cmds = e.answered(id, 1, Err(AppError::new(ErrorCode::DatabaseUnavailable)));
        assert_eq!(shown(&cmds), Some(Status::Unavailable));
        assert!(cmds.contains(&Command::RetryLater));
        let (retry, ..) = sent(&e.flush()).expect("retry");
        let cmds = e.answered(retry, 1, Ok((2, 20)));
        assert_eq!(shown(&cmds), Some(Status::Saved(20)));
    }

    #[test]
    fn the_unacknowledged_list_is_bounded() {
        let mut e = engine();
        for g in 1..=(EARLIER_MAX as u64 + 5) {
            e.edited();
            let (id, ..) = sent(&e.flush()).expect("sent");
            e.answered(id, g, Err(offline()));
        }
        e.edited();
        let (_, _, earlier, _) = sent(&e.flush()).expect("sent");
        assert_eq!(earlier.len(), EARLIER_MAX);
    }

    #[test]
    fn a_conflict_stops_every_save_until_the_applicant_chooses() {
        let mut e = engine();
        e.edited();
        let (id, ..) = sent(&e.flush()).expect("sent");
        let cmds = e.answered(id, 1, Err(AppError::new(ErrorCode::Conflict)));
        assert_eq!(cmds, vec![Command::FetchServer]);
        let cmds = e.server_loaded(Ok("theirs"));
        assert_eq!(shown(&cmds), Some(Status::Conflict(Box::new("theirs"))));
        // Typing goes on, kept in the browser, never sent.
        let cmds = e.edited();
        assert_eq!(shown(&cmds), None, "the conflict stays shown");
        assert!(e.debounced(2).is_empty());
        assert!(e.flush().is_empty());
        // Keeping mine: saved over the server's version.
        let cmds = e.keep_mine(5);
        let (_, version, earlier, generation) = sent(&cmds).expect("sent");
        assert_eq!((version, generation), (5, 2));
        assert!(earlier.is_empty(), "their version is not one of mine");
    }

    #[test]
    fn taking_theirs_drops_mine() {
        let mut e = engine();
        e.edited();
        let (id, ..) = sent(&e.flush()).expect("sent");
        e.answered(id, 1, Err(AppError::new(ErrorCode::Conflict)));
        e.server_loaded(Ok("theirs"));
        let cmds = e.take_theirs(7, 70);
        assert!(cmds.contains(&Command::Version(7)));
        assert!(cmds.contains(&Command::ClearBuffer));
        assert_eq!(shown(&cmds), Some(Status::Saved(70)));
        assert!(e.flush().is_empty());
    }

    #[test]
    fn an_unreadable_server_version_is_a_refusal() {
        let mut e = engine();
        e.edited();
        let (id, ..) = sent(&e.flush()).expect("sent");
        e.answered(id, 1, Err(AppError::new(ErrorCode::Conflict)));
        let cmds = e.server_loaded(Err(AppError::with_message(ErrorCode::Forbidden, "non")));
        assert_eq!(shown(&cmds), Some(Status::Refused("non".to_owned())));
    }

    #[test]
    fn refusals_say_why_and_an_expired_session_keeps_the_changes() {
        let mut e = engine();
        e.edited();
        let (id, ..) = sent(&e.flush()).expect("sent");
        let cmds = e.answered(id, 1, Err(AppError::new(ErrorCode::Unauthenticated)));
        let Some(Status::Refused(m)) = shown(&cmds) else {
            panic!("{cmds:?}");
        };
        assert!(m.contains("gardées sur cet appareil"));
        let mut e = engine();
        e.edited();
        let (id, ..) = sent(&e.flush()).expect("sent");
        let cmds = e.answered(id, 1, Err(AppError::invalid("context.title", "Trop long.")));
        assert_eq!(shown(&cmds), Some(Status::Refused("Trop long.".to_owned())));
        assert!(!cmds.contains(&Command::RetryLater));
    }

    #[test]
    fn a_reload_sends_the_kept_changes_over_their_base() {
        let mut e = engine();
        let kept = Kept {
            base: 1,
            sent: vec![],
            same_as_server: false,
        };
        let cmds = e.restore(Some(kept), "server", 1, true);
        assert_eq!(cmds[0], Command::UseBuffer);
        let (_, version, earlier, _) = sent(&cmds).expect("sent");
        assert_eq!(version, 1);
        assert!(earlier.is_empty());
    }

    #[test]
    fn a_reload_after_an_unanswered_save_lets_the_server_decide() {
        // The save sent before the reload may have been written (the
        // server moved to version 2): the kept changes go over version 1
        // naming it, and the server lets them through if it was ours.
        let mut e = engine();
        let kept = Kept {
            base: 1,
            sent: vec!["old-1-0".to_owned()],
            same_as_server: false,
        };
        let cmds = e.restore(Some(kept), "server", 2, true);
        let (_, version, earlier, _) = sent(&cmds).expect("sent");
        assert_eq!(version, 1);
        assert_eq!(earlier, vec!["old-1-0".to_owned()]);
    }

    #[test]
    fn a_reload_after_someone_else_saved_is_a_conflict() {
        let mut e = engine();
        let kept = Kept {
            base: 1,
            sent: vec![],
            same_as_server: false,
        };
        let cmds = e.restore(Some(kept), "server", 2, true);
        assert_eq!(shown(&cmds), Some(Status::Conflict(Box::new("server"))));
        assert_eq!(sent(&cmds), None);
    }

    #[test]
    fn a_reload_forgets_what_the_server_already_has_or_cannot_take() {
        let mut e = engine();
        let same = Kept {
            base: 1,
            sent: vec![],
            same_as_server: true,
        };
        assert_eq!(
            e.restore(Some(same), "s", 1, true),
            vec![Command::ClearBuffer]
        );
        let kept = Kept {
            base: 1,
            sent: vec![],
            same_as_server: false,
        };
        assert_eq!(
            e.restore(Some(kept), "s", 1, false),
            vec![Command::ClearBuffer]
        );
        assert!(e.restore(None, "s", 1, true).is_empty());
    }
}
