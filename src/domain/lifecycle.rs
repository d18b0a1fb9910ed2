//! The lifecycle of a request as an explicit state machine: which role may
//! take which action in which state, the state it leads to and the event it
//! records. Illegal moves are errors with a French message, never panics.

use super::RequestState;
use serde::{Deserialize, Serialize};

/// Who acts. The server decides the role; the browser never does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The owner of the request.
    Applicant,
    Instructor,
    /// Sees everything; may take every instructor action.
    Admin,
    /// "Rapporteur": reads the dashboard and the submitted requests,
    /// decides nothing and writes nothing.
    Reporter,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Applicant,
        Role::Instructor,
        Role::Admin,
        Role::Reporter,
    ];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Instructor => "instructor",
            Role::Admin => "admin",
            Role::Reporter => "reporter",
        }
    }

    /// The role of a stored value.
    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// The French name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Role::Applicant => "Demandeur",
            Role::Instructor => "Instructeur",
            Role::Admin => "Administrateur",
            Role::Reporter => "Rapporteur",
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;

    /// Reads a stored value (rows are decoded through this).
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Role::parse(&value).ok_or_else(|| format!("unknown role {value:?}"))
    }
}

/// What a request asks for: a first authorisation, or a change of an
/// accepted one (its `parent`), instructed like any request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    #[default]
    Initial,
    /// Changes an accepted authorisation (data, contacts, purpose): the
    /// current one stays valid while it is instructed; accepting it changes
    /// the same token's scopes.
    Update,
    /// Records a renewal of an accepted authorisation (its `parent`): its
    /// people confirmed its purpose, contacts and data, and it was extended
    /// at once (a removal of scopes only narrows it). Never instructed: the
    /// dashboard shows it so that instructors see who confirmed what.
    Renewal,
}

impl RequestKind {
    pub const ALL: [RequestKind; 3] = [
        RequestKind::Initial,
        RequestKind::Update,
        RequestKind::Renewal,
    ];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Initial => "initial",
            RequestKind::Update => "update",
            RequestKind::Renewal => "renewal",
        }
    }

    /// The kind of a stored value.
    pub fn parse(value: &str) -> Option<RequestKind> {
        RequestKind::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// Its French name (badges, filters).
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Initial => "Première demande",
            RequestKind::Update => "Mise à jour",
            RequestKind::Renewal => "Renouvellement",
        }
    }
}

impl TryFrom<String> for RequestKind {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        RequestKind::parse(&value).ok_or_else(|| format!("unknown request kind {value:?}"))
    }
}

/// What can be done to an existing request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Save changes to the request's data.
    Edit,
    Submit,
    /// Abandon a draft.
    Archive,
    /// Copy the request into a new draft (for another business context).
    Duplicate,
    /// Write to the other side (applicant ↔ instructors).
    SendMessage,
    RequestChanges,
    Refuse,
    Accept,
    Revoke,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Edit,
        Action::Submit,
        Action::Archive,
        Action::Duplicate,
        Action::SendMessage,
        Action::RequestChanges,
        Action::Refuse,
        Action::Accept,
        Action::Revoke,
    ];

    /// The roles that may take this action at all.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::Edit | Action::Submit | Action::Archive | Action::Duplicate => {
                &[Role::Applicant]
            }
            Action::SendMessage => &[Role::Applicant, Role::Instructor, Role::Admin],
            Action::RequestChanges | Action::Refuse | Action::Accept | Action::Revoke => {
                &[Role::Instructor, Role::Admin]
            }
        }
    }

    /// French verb phrase, for messages ("soumettre la demande").
    pub fn label(self) -> &'static str {
        match self {
            Action::Edit => "modifier la demande",
            Action::Submit => "soumettre la demande",
            Action::Archive => "archiver le brouillon",
            Action::Duplicate => "dupliquer la demande",
            Action::SendMessage => "envoyer un message",
            Action::RequestChanges => "demander des modifications",
            Action::Refuse => "refuser la demande",
            Action::Accept => "valider la demande",
            Action::Revoke => "révoquer l’accès",
        }
    }
}

/// What the event log records (append-only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Updated,
    Submitted,
    Resubmitted,
    Archived,
    Duplicated,
    MessageSent,
    ChangesRequested,
    Refused,
    Accepted,
    Revoked,
    /// Someone displayed the request's token (who: the event's actor).
    TokenRevealed,
    /// The token got a new string; the old one is accepted until the end
    /// of the grace its actor chose (the event's message says until when).
    TokenRotated,
    /// On an accepted request: an update of it was started (its number in
    /// the message).
    UpdateStarted,
    /// On an accepted request: an update of it was accepted; its data and
    /// its token's scopes are now the update's (payload: the scopes).
    UpdateAccepted,
    /// On an accepted request and on the renewal recording it: a person of
    /// its token confirmed it and extended it by 18 months (the message
    /// says who, until when, and the data removed).
    Renewed,
    /// The request was offered to a colleague (the message says to whom).
    TransferOffered,
    /// The colleague accepted: they are its applicant now.
    TransferAccepted,
    /// An instructor took or released the request: announced to the live
    /// dashboards, not written in the timeline.
    Assigned,
}

impl EventKind {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Updated => "updated",
            EventKind::Submitted => "submitted",
            EventKind::Resubmitted => "resubmitted",
            EventKind::Archived => "archived",
            EventKind::Duplicated => "duplicated",
            EventKind::MessageSent => "message_sent",
            EventKind::ChangesRequested => "changes_requested",
            EventKind::Refused => "refused",
            EventKind::Accepted => "accepted",
            EventKind::Revoked => "revoked",
            EventKind::TokenRevealed => "token_revealed",
            EventKind::TokenRotated => "token_rotated",
            EventKind::UpdateStarted => "update_started",
            EventKind::UpdateAccepted => "update_accepted",
            EventKind::Renewed => "renewed",
            EventKind::TransferOffered => "transfer_offered",
            EventKind::TransferAccepted => "transfer_accepted",
            EventKind::Assigned => "assigned",
        }
    }

    pub const ALL: [EventKind; 19] = [
        EventKind::Created,
        EventKind::Updated,
        EventKind::Submitted,
        EventKind::Resubmitted,
        EventKind::Archived,
        EventKind::Duplicated,
        EventKind::MessageSent,
        EventKind::ChangesRequested,
        EventKind::Refused,
        EventKind::Accepted,
        EventKind::Revoked,
        EventKind::TokenRevealed,
        EventKind::TokenRotated,
        EventKind::UpdateStarted,
        EventKind::UpdateAccepted,
        EventKind::Renewed,
        EventKind::TransferOffered,
        EventKind::TransferAccepted,
        EventKind::Assigned,
    ];

    /// The kind of a stored value; unknown values are `None`.
    pub fn parse(value: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// Whether the instructors' live dashboards are told of it (a draft's
    /// life and a token's display are not theirs to watch).
    pub fn is_announced(self) -> bool {
        matches!(
            self,
            EventKind::Submitted
                | EventKind::Resubmitted
                | EventKind::ChangesRequested
                | EventKind::Refused
                | EventKind::Accepted
                | EventKind::Revoked
                | EventKind::MessageSent
                | EventKind::Assigned
                | EventKind::Renewed
        )
    }

    /// Whether it changes what a token's strings may do: the API's caches
    /// of every instance forget the request's token when they hear it.
    pub fn changes_token(self) -> bool {
        matches!(
            self,
            EventKind::Revoked
                | EventKind::TokenRotated
                | EventKind::UpdateAccepted
                | EventKind::Renewed
        )
    }

    /// Its French name in a request's timeline.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Created => "Brouillon créé",
            EventKind::Updated => "Demande modifiée",
            EventKind::Submitted => "Demande déposée",
            EventKind::Resubmitted => "Demande déposée de nouveau",
            EventKind::ChangesRequested => "Modifications demandées",
            EventKind::Refused => "Demande refusée",
            EventKind::Accepted => "Demande validée",
            EventKind::MessageSent => "Message",
            EventKind::Duplicated => "Demande dupliquée",
            EventKind::Archived => "Brouillon archivé",
            EventKind::Revoked => "Accès révoqué",
            EventKind::TokenRevealed => "Jeton affiché",
            EventKind::TokenRotated => "Jeton remplacé",
            EventKind::UpdateStarted => "Mise à jour commencée",
            EventKind::UpdateAccepted => "Mise à jour validée",
            EventKind::Renewed => "Habilitation renouvelée",
            EventKind::TransferOffered => "Transfert proposé",
            EventKind::TransferAccepted => "Demande transférée",
            EventKind::Assigned => "Instructeur changé",
        }
    }
}

impl TryFrom<String> for EventKind {
    type Error = String;

    /// Reads a stored value (rows are decoded through this).
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EventKind::parse(&value).ok_or_else(|| format!("unknown event kind {value:?}"))
    }
}

/// The result of a legal action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: RequestState,
    pub to: RequestState,
    pub event: EventKind,
}

/// Why an action was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum LifecycleError {
    #[error("Vous n’avez pas le droit de {}.", action.label())]
    Forbidden { role: Role, action: Action },
    #[error("Impossible de {} : la demande est {}.", action.label(), state_phrase(*state))]
    IllegalState { state: RequestState, action: Action },
}

impl LifecycleError {
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::Forbidden { .. } => "forbidden",
            LifecycleError::IllegalState { .. } => "illegal_transition",
        }
    }
}

fn state_phrase(state: RequestState) -> &'static str {
    match state {
        RequestState::Draft => "au brouillon",
        RequestState::Submitted => "en cours d’instruction",
        RequestState::ChangesRequested => "en attente de vos modifications",
        RequestState::Accepted => "validée",
        RequestState::Refused => "refusée",
        RequestState::Archived => "archivée",
        RequestState::Revoked => "révoquée",
    }
}

/// The state of a new request and the event that records its creation.
pub const INITIAL: (RequestState, EventKind) = (RequestState::Draft, EventKind::Created);

/// Decides an action: the role is checked first, then the state.
pub fn apply(
    state: RequestState,
    action: Action,
    role: Role,
) -> Result<Transition, LifecycleError> {
    use RequestState as S;
    if !action.roles().contains(&role) {
        return Err(LifecycleError::Forbidden { role, action });
    }
    let (to, event) = match (action, state) {
        (Action::Edit, S::Draft | S::ChangesRequested) => (state, EventKind::Updated),
        (Action::Submit, S::Draft) => (S::Submitted, EventKind::Submitted),
        (Action::Submit, S::ChangesRequested) => (S::Submitted, EventKind::Resubmitted),
        (Action::Archive, S::Draft) => (S::Archived, EventKind::Archived),
        (Action::Duplicate, _) => (state, EventKind::Duplicated),
        (
            Action::SendMessage,
            S::Submitted | S::ChangesRequested | S::Accepted | S::Refused | S::Revoked,
        ) => (state, EventKind::MessageSent),
        (Action::RequestChanges, S::Submitted) => {
            (S::ChangesRequested, EventKind::ChangesRequested)
        }
        (Action::Refuse, S::Submitted) => (S::Refused, EventKind::Refused),
        (Action::Accept, S::Submitted) => (S::Accepted, EventKind::Accepted),
        (Action::Revoke, S::Accepted) => (S::Revoked, EventKind::Revoked),
        _ => return Err(LifecycleError::IllegalState { state, action }),
    };
    Ok(Transition {
        from: state,
        to,
        event,
    })
}

/// Whether the applicant may change the request's data in this state.
pub fn is_editable(state: RequestState) -> bool {
    apply(state, Action::Edit, Role::Applicant).is_ok()
}

/// The states in which the applicant may change the request's data
/// (`is_editable`), for queries that filter on them.
pub const EDITABLE_STATES: [RequestState; 2] =
    [RequestState::Draft, RequestState::ChangesRequested];

/// Whether the request has been submitted: the instructors see it and the
/// conversation is open (drafts and archived drafts stay private).
pub fn is_submitted(state: RequestState) -> bool {
    apply(state, Action::SendMessage, Role::Instructor).is_ok()
}

/// The states in which the instructors see a request (`is_submitted`).
pub const SUBMITTED_STATES: [RequestState; 5] = [
    RequestState::Submitted,
    RequestState::ChangesRequested,
    RequestState::Accepted,
    RequestState::Refused,
    RequestState::Revoked,
];

/// Actions the role may take in this state (for showing buttons; the server
/// still decides with `apply`).
pub fn available_actions(state: RequestState, role: Role) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| apply(state, *a, role).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestState as S;

    #[test]
    fn event_kinds_round_trip_through_their_stored_value() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).expect("json"),
                format!("\"{}\"", k.as_str())
            );
            assert!(!k.label().is_empty());
        }
        assert_eq!(EventKind::parse("nope"), None);
    }

    #[test]
    fn the_state_lists_are_the_lifecycle_s() {
        let editable: Vec<S> = S::ALL.into_iter().filter(|s| is_editable(*s)).collect();
        assert_eq!(editable, EDITABLE_STATES);
        let submitted: Vec<S> = S::ALL.into_iter().filter(|s| is_submitted(*s)).collect();
        assert_eq!(submitted, SUBMITTED_STATES);
    }

    /// The expected table, written out independently of `apply`: every legal
    /// (state, action) pair with its target state and event. Roles follow
    /// `expected_roles`.
    fn expected(state: S, action: Action) -> Option<(S, EventKind)> {
        use EventKind as E;
        let table: &[(S, Action, S, E)] = &[
            (S::Draft, Action::Edit, S::Draft, E::Updated),
            (
                S::ChangesRequested,
                Action::Edit,
                S::ChangesRequested,
                E::Updated,
            ),
            (S::Draft, Action::Submit, S::Submitted, E::Submitted),
            (
                S::ChangesRequested,
                Action::Submit,
                S::Submitted,
                E::Resubmitted,
            ),
            (S::Draft, Action::Archive, S::Archived, E::Archived),
            (S::Draft, Action::Duplicate, S::Draft, E::Duplicated),
            (S::Submitted, Action::Duplicate, S::Submitted, E::Duplicated),
            (
                S::ChangesRequested,
                Action::Duplicate,
                S::ChangesRequested,
                E::Duplicated,
            ),
            (S::Accepted, Action::Duplicate, S::Accepted, E::Duplicated),
            (S::Refused, Action::Duplicate, S::Refused, E::Duplicated),
            (S::Archived, Action::Duplicate, S::Archived, E::Duplicated),
            (S::Revoked, Action::Duplicate, S::Revoked, E::Duplicated),
            (
                S::Submitted,
                Action::SendMessage,
                S::Submitted,
                E::MessageSent,
            ),
            (
                S::ChangesRequested,
                Action::SendMessage,
                S::ChangesRequested,
                E::MessageSent,
            ),
            (
                S::Accepted,
                Action::SendMessage,
                S::Accepted,
                E::MessageSent,
            ),
            (S::Refused, Action::SendMessage, S::Refused, E::MessageSent),
            (S::Revoked, Action::SendMessage, S::Revoked, E::MessageSent),
            (
                S::Submitted,
                Action::RequestChanges,
                S::ChangesRequested,
                E::ChangesRequested,
            ),
            (S::Submitted, Action::Refuse, S::Refused, E::Refused),
            (S::Submitted, Action::Accept, S::Accepted, E::Accepted),
            (S::Accepted, Action::Revoke, S::Revoked, E::Revoked),
        ];
        table
            .iter()
            .find(|(s, a, _, _)| *s == state && *a == action)
            .map(|(_, _, to, e)| (*to, *e))
    }

    fn expected_roles(action: Action) -> Vec<Role> {
        match action {
            Action::Edit | Action::Submit | Action::Archive | Action::Duplicate => {
                vec![Role::Applicant]
            }
            Action::SendMessage => vec![Role::Applicant, Role::Instructor, Role::Admin],
            _ => vec![Role::Instructor, Role::Admin],
        }
    }

    #[test]
    fn every_state_action_role_combination() {
        let mut legal = 0;
        for state in S::ALL {
            for action in Action::ALL {
                for role in Role::ALL {
                    let got = apply(state, action, role);
                    let role_ok = expected_roles(action).contains(&role);
                    match (role_ok, expected(state, action)) {
                        (false, _) => assert_eq!(
                            got,
                            Err(LifecycleError::Forbidden { role, action }),
                            "{state:?} {action:?} {role:?}"
                        ),
                        (true, None) => assert_eq!(
                            got,
                            Err(LifecycleError::IllegalState { state, action }),
                            "{state:?} {action:?} {role:?}"
                        ),
                        (true, Some((to, event))) => {
                            legal += 1;
                            assert_eq!(
                                got,
                                Ok(Transition {
                                    from: state,
                                    to,
                                    event
                                }),
                                "{state:?} {action:?} {role:?}"
                            );
                        }
                    }
                }
            }
        }
        // 7 states × 9 actions × 4 roles = 252 cases, of which these are legal.
        assert_eq!(legal, 12 + 5 * 3 + 4 * 2);
    }

    #[test]
    fn errors_speak_french() {
        let e = apply(S::Accepted, Action::Edit, Role::Applicant).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Impossible de modifier la demande : la demande est validée."
        );
        assert_eq!(e.code(), "illegal_transition");
        let e = apply(S::Submitted, Action::Accept, Role::Applicant).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Vous n’avez pas le droit de valider la demande."
        );
        assert_eq!(e.code(), "forbidden");
    }

    #[test]
    fn editable_states_and_available_actions() {
        let editable: Vec<S> = S::ALL.into_iter().filter(|s| is_editable(*s)).collect();
        assert_eq!(editable, vec![S::Draft, S::ChangesRequested]);
        assert_eq!(
            available_actions(S::Submitted, Role::Instructor),
            vec![
                Action::SendMessage,
                Action::RequestChanges,
                Action::Refuse,
                Action::Accept
            ]
        );
        assert_eq!(
            available_actions(S::Draft, Role::Applicant),
            vec![
                Action::Edit,
                Action::Submit,
                Action::Archive,
                Action::Duplicate
            ]
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn step() -> impl Strategy<Value = (Action, Role)> {
            (
                proptest::sample::select(Action::ALL.to_vec()),
                proptest::sample::select(Role::ALL.to_vec()),
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            /// Over any sequence of attempts from a new draft: a refused
            /// attempt changes nothing; terminal states are never left;
            /// acceptance and refusal only follow a submission; every legal
            /// move records exactly one event.
            #[test]
            fn random_action_sequences_keep_the_invariants(steps in proptest::collection::vec(step(), 0..60)) {
                let (mut state, first) = INITIAL;
                let mut events = vec![first];
                for (action, role) in steps {
                    let before = state;
                    match apply(state, action, role) {
                        Ok(t) => {
                            prop_assert_eq!(t.from, before);
                            events.push(t.event);
                            state = t.to;
                            if matches!(t.event, EventKind::Accepted | EventKind::Refused | EventKind::ChangesRequested) {
                                prop_assert_eq!(before, S::Submitted);
                                prop_assert!(role != Role::Applicant);
                            }
                            if before != state {
                                prop_assert!(!matches!(before, S::Refused | S::Archived | S::Revoked),
                                    "left terminal state {:?}", before);
                            }
                        }
                        Err(_) => prop_assert_eq!(state, before),
                    }
                }
                // Accepted or revoked requests have been submitted at least once.
                if matches!(state, S::Accepted | S::Revoked) {
                    prop_assert!(events.contains(&EventKind::Submitted));
                    prop_assert!(events.contains(&EventKind::Accepted));
                }
                if state == S::Revoked {
                    prop_assert!(events.contains(&EventKind::Revoked));
                }
                prop_assert_eq!(events.iter().filter(|e| **e == EventKind::Created).count(), 1);
            }
        }
    }
}
