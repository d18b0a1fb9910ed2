//! Who may call what: the one authorization table of the server.
//!
//! Every server function is listed here with who may call it and which rate
//! limit applies. The gate in `http` reads this table before any server
//! function runs: an unlisted function is refused (deny by default), so the
//! browser never decides. Checks that depend on the object (whose request,
//! whose token) are the named `can_*` functions at the end of this module,
//! called by every function and handler that reaches such an object.

use crate::domain::lifecycle::Role;
use crate::server::auth::session::Viewer;
use crate::server::db::spaces::TokenHolders;
use leptos::server_fn::ServerFn;

/// Who may call a server function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    SignedIn,
    /// Signed-in accounts with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a caller with this role (`None`: anonymous) may call.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::SignedIn, role) => role.is_some(),
            (Access::Roles(roles), Some(role)) => roles.contains(&role),
            (Access::Roles(_), None) => false,
        }
    }
}

/// The rate limit a server function is under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    None,
    /// Sign-in, registration, reset requests: per client address, see
    /// `state::AUTH_PER_MINUTE`.
    Auth,
}

/// One server function's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its URL (`/api/…`).
    pub path: &'static str,
    pub access: Access,
    pub limit: Limit,
}

/// The rule of server function `F`, at its own path.
const fn rule<F: ServerFn>(access: Access, limit: Limit) -> Rule {
    Rule {
        path: F::PATH,
        access,
        limit,
    }
}

const STAFF: &[Role] = &[Role::Instructor, Role::Admin];
/// Staff and the read-only "rapporteurs".
const READERS: &[Role] = &[Role::Instructor, Role::Admin, Role::Reporter];
const APPLICANT: &[Role] = &[Role::Applicant];
const ADMIN: &[Role] = &[Role::Admin];

/// Every server function. A new one must be added here, or it is refused.
pub const RULES: &[Rule] = {
    use crate::api::{
        auth::*, gateways::*, instruction::*, public::*, requests::*, space::*, templates::*,
    };
    use Access::{Public, Roles, SignedIn};
    &[
        rule::<GetRequestCounts>(Public, Limit::None),
        rule::<Whoami>(Public, Limit::None),
        rule::<Register>(Public, Limit::Auth),
        rule::<ConfirmEmail>(Public, Limit::None),
        rule::<Login>(Public, Limit::Auth),
        rule::<Logout>(Public, Limit::None),
        rule::<SignInOptions>(Public, Limit::None),
        // The sign-in waiting for its second factor on the caller's session
        // (`session::pending`): nobody is signed in yet.
        rule::<SecondFactorSetup>(Public, Limit::Auth),
        rule::<ActivateSecondFactor>(Public, Limit::Auth),
        rule::<VerifySecondFactor>(Public, Limit::Auth),
        rule::<RequestPasswordReset>(Public, Limit::Auth),
        rule::<ResetPassword>(Public, Limit::Auth),
        rule::<ChoosePassword>(Public, Limit::Auth),
        rule::<ChangePassword>(SignedIn, Limit::Auth),
        rule::<ListAccounts>(Roles(ADMIN), Limit::None),
        rule::<Invite>(Roles(ADMIN), Limit::None),
        rule::<SetAccountActive>(Roles(ADMIN), Limit::None),
        rule::<ResetSecondFactor>(Roles(ADMIN), Limit::None),
        rule::<ListGateways>(Roles(ADMIN), Limit::None),
        rule::<CreateGateway>(Roles(ADMIN), Limit::None),
        rule::<RevokeGateway>(Roles(ADMIN), Limit::None),
        rule::<DevMails>(Public, Limit::None),
        rule::<MyRequests>(Roles(APPLICANT), Limit::None),
        rule::<CreateRequest>(Roles(APPLICANT), Limit::None),
        rule::<GetRequest>(SignedIn, Limit::None),
        rule::<SaveRequest>(Roles(APPLICANT), Limit::None),
        rule::<DuplicateRequest>(Roles(APPLICANT), Limit::None),
        rule::<StartUpdate>(Roles(APPLICANT), Limit::None),
        // Its applicant or staff: `can_transfer_request`. The link is the
        // colleague's proof, as for a password reset.
        rule::<TransferRequest>(SignedIn, Limit::None),
        rule::<AcceptTransfer>(Public, Limit::Auth),
        rule::<ArchiveRequest>(Roles(APPLICANT), Limit::None),
        rule::<RemoveAttachment>(Roles(APPLICANT), Limit::None),
        rule::<SubmitRequest>(Roles(APPLICANT), Limit::None),
        rule::<RequestChanges>(Roles(STAFF), Limit::None),
        rule::<RefuseRequest>(Roles(STAFF), Limit::None),
        rule::<AcceptRequest>(Roles(STAFF), Limit::None),
        rule::<RevokeRequest>(Roles(STAFF), Limit::None),
        rule::<Dashboard>(Roles(READERS), Limit::None),
        rule::<Review>(Roles(READERS), Limit::None),
        rule::<Assign>(Roles(STAFF), Limit::None),
        rule::<SendMessage>(SignedIn, Limit::None),
        rule::<ListMessages>(Roles(APPLICANT), Limit::None),
        // A token's own people only (and staff for a rotation):
        // `can_see_token`, `can_reveal_token`, `can_renew_token`,
        // `can_rotate_token` below.
        rule::<SpaceOverview>(SignedIn, Limit::None),
        rule::<RevealToken>(SignedIn, Limit::None),
        rule::<RenewalCheck>(Roles(APPLICANT), Limit::None),
        rule::<TokenUsage>(SignedIn, Limit::None),
        rule::<RenewToken>(SignedIn, Limit::None),
        rule::<RotateToken>(SignedIn, Limit::None),
        rule::<LookupOrganisation>(SignedIn, Limit::None),
        rule::<SearchOrganisations>(SignedIn, Limit::None),
        rule::<ListTemplates>(Public, Limit::None),
        rule::<GetTemplate>(Public, Limit::None),
        rule::<StartFromTemplate>(Roles(APPLICANT), Limit::None),
        rule::<AdminTemplates>(Roles(ADMIN), Limit::None),
        rule::<AdminTemplate>(Roles(ADMIN), Limit::None),
        rule::<SaveTemplate>(Roles(ADMIN), Limit::None),
        rule::<ArchiveTemplate>(Roles(ADMIN), Limit::None),
    ]
};

/// The entry of a server function's path.
pub fn rule_for(path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.path == path)
}

/// Whether `role` decides on requests (instructors and administrators).
pub fn is_staff(role: Role) -> bool {
    STAFF.contains(&role)
}

/// Whether `role` may read every submitted request of every organisation
/// and watch the dashboard: staff and the read-only "rapporteurs".
pub fn reads_all_requests(role: Role) -> bool {
    READERS.contains(&role)
}

/// What the object-level rules need to know of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestFacts {
    pub applicant_id: Option<i64>,
    /// Submitted at least once: a draft never submitted is its applicant's
    /// alone, staff included.
    pub submitted: bool,
}

impl RequestFacts {
    pub fn of(r: &crate::server::db::requests::StoredRequest) -> RequestFacts {
        RequestFacts {
            applicant_id: r.applicant_id,
            submitted: r.submitted_at.is_some(),
        }
    }

    pub fn of_save(r: &crate::server::db::requests::SaveFacts) -> RequestFacts {
        RequestFacts {
            applicant_id: r.applicant_id,
            submitted: r.submitted_at.is_some(),
        }
    }
}

/// How a signed-in person stands towards a request's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRelation {
    /// The request's applicant.
    Applicant,
    /// The request's current technical contact (by address).
    TechnicalContact,
    /// An instructor or an administrator.
    Staff,
    /// Anybody else, another applicant of the same organisation included.
    None,
}

/// `viewer`'s relation to the token of a request with these people.
pub fn token_relation(viewer: &Viewer, holders: &TokenHolders) -> TokenRelation {
    if holders.applicant_id == Some(viewer.id) && viewer.role == Role::Applicant {
        TokenRelation::Applicant
    } else if viewer.role == Role::Applicant
        && holders
            .technical_email
            .as_deref()
            .is_some_and(|e| e == crate::server::db::users::normalise_email(&viewer.email))
    {
        TokenRelation::TechnicalContact
    } else if is_staff(viewer.role) {
        TokenRelation::Staff
    } else {
        TokenRelation::None
    }
}

/// Whether `viewer` may read a request: its applicant, or staff and
/// rapporteurs once it has been submitted.
pub fn can_read_request(viewer: &Viewer, r: RequestFacts) -> bool {
    is_own_request(viewer, r) || (reads_all_requests(viewer.role) && r.submitted)
}

/// Whether `viewer` may change a request (its data, its state as an
/// applicant, its attachments): its applicant only; instructors never edit
/// an applicant's data.
pub fn can_edit_request(viewer: &Viewer, r: RequestFacts) -> bool {
    is_own_request(viewer, r)
}

/// Whether `viewer` may download an attachment of a request (`removed`:
/// taken off the request by its applicant, kept for the submissions that
/// name it): its applicant while it is on the request, staff once the
/// request has been submitted.
pub fn can_download_attachment(viewer: &Viewer, r: RequestFacts, removed: bool) -> bool {
    if removed {
        reads_all_requests(viewer.role) && r.submitted
    } else {
        can_read_request(viewer, r)
    }
}

/// Whether `viewer` may write in a request's conversation: its applicant
/// and staff once submitted; `note` (an instructors' note the applicant
/// never sees): staff only. Rapporteurs read, never write.
pub fn can_write_message(viewer: &Viewer, r: RequestFacts, note: bool) -> bool {
    let staff = is_staff(viewer.role) && r.submitted;
    if note {
        staff
    } else {
        is_own_request(viewer, r) || staff
    }
}

/// Whether `viewer` may see a token (its name, scopes, dates, use): its
/// request's applicant and current technical contact, and staff.
pub fn can_see_token(viewer: &Viewer, holders: &TokenHolders) -> bool {
    token_relation(viewer, holders) != TokenRelation::None
}

/// Whether `viewer` may display (and copy) the token's string: its request's
/// applicant and current technical contact only. Staff see a token's
/// details but never its secret: nobody at the guichet needs it to call the
/// API, and a secret shown to fewer people leaks less.
pub fn can_reveal_token(viewer: &Viewer, holders: &TokenHolders) -> bool {
    matches!(
        token_relation(viewer, holders),
        TokenRelation::Applicant | TokenRelation::TechnicalContact
    )
}

/// Whether `viewer` may renew a token's authorisation (after confirming
/// its purpose, contacts and data): its request's applicant and current
/// technical contact, who know whether it is still right. Staff do not:
/// a renewal is the organisation's word.
pub fn can_renew_token(viewer: &Viewer, holders: &TokenHolders) -> bool {
    matches!(
        token_relation(viewer, holders),
        TokenRelation::Applicant | TokenRelation::TechnicalContact
    )
}

/// Whether `viewer` may start an update of an accepted authorisation: its
/// applicant, or its current technical contact (who checks it at renewal
/// and may find something changed); they own the update they start.
pub fn can_start_update(viewer: &Viewer, r: RequestFacts, holders: Option<&TokenHolders>) -> bool {
    is_own_request(viewer, r)
        || holders.is_some_and(|h| token_relation(viewer, h) == TokenRelation::TechnicalContact)
}

/// Whether `viewer` may give a token a new string (rotation): its
/// request's applicant and current technical contact, who hold the string
/// that may have leaked, and staff, who can force it (they never see the
/// new string either).
pub fn can_rotate_token(viewer: &Viewer, holders: &TokenHolders) -> bool {
    token_relation(viewer, holders) != TokenRelation::None
}

/// Whether `viewer` may hand a request to a colleague: its applicant, and
/// staff once it has been submitted.
pub fn can_transfer_request(viewer: &Viewer, r: RequestFacts) -> bool {
    is_own_request(viewer, r) || (is_staff(viewer.role) && r.submitted)
}

fn is_own_request(viewer: &Viewer, r: RequestFacts) -> bool {
    viewer.role == Role::Applicant && r.applicant_id == Some(viewer.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The people around one accepted request of the Région: its applicant
    /// (1), its technical contact (2), another applicant of the same SIRET
    /// (3), an applicant of another organisation (4), an instructor (5), an
    /// administrator (6).
    fn people() -> [(&'static str, Viewer); 6] {
        let v = |id, email: &str, role| Viewer {
            id,
            email: email.to_owned(),
            role,
            has_password: true,
        };
        [
            ("demandeur", v(1, "alice@occitanie.fr", Role::Applicant)),
            (
                "contact technique",
                v(2, "Tech@Occitanie.fr ", Role::Applicant),
            ),
            ("même SIRET", v(3, "mallory@exemple.fr", Role::Applicant)),
            (
                "autre organisation",
                v(4, "bob@herault.fr", Role::Applicant),
            ),
            (
                "instructeur",
                v(5, "instructeur@beta.gouv.fr", Role::Instructor),
            ),
            ("administrateur", v(6, "admin@beta.gouv.fr", Role::Admin)),
        ]
    }

    fn holders() -> TokenHolders {
        TokenHolders {
            request_id: 10,
            applicant_id: Some(1),
            applicant_email: Some("alice@occitanie.fr".to_owned()),
            technical_email: Some("tech@occitanie.fr".to_owned()),
        }
    }

    /// Every object-level rule against every relation: `true` where the
    /// row's person may.
    #[test]
    fn object_rules_by_relation() {
        let submitted = RequestFacts {
            applicant_id: Some(1),
            submitted: true,
        };
        let draft = RequestFacts {
            applicant_id: Some(1),
            submitted: false,
        };
        type Rule = (&'static str, Box<dyn Fn(&Viewer) -> bool>);
        let h = holders();
        let rules: Vec<Rule> = vec![
            ("voir le jeton", Box::new(move |v| can_see_token(v, &h))),
            ("afficher le jeton", {
                let h = holders();
                Box::new(move |v| can_reveal_token(v, &h))
            }),
            ("prolonger le jeton", {
                let h = holders();
                Box::new(move |v| can_renew_token(v, &h))
            }),
            ("remplacer le jeton", {
                let h = holders();
                Box::new(move |v| can_rotate_token(v, &h))
            }),
            ("commencer une mise à jour", {
                let h = holders();
                Box::new(move |v| can_start_update(v, submitted, Some(&h)))
            }),
            (
                "lire la demande déposée",
                Box::new(move |v| can_read_request(v, submitted)),
            ),
            (
                "lire le brouillon",
                Box::new(move |v| can_read_request(v, draft)),
            ),
            (
                "modifier la demande",
                Box::new(move |v| can_edit_request(v, submitted)),
            ),
            (
                "télécharger une pièce jointe",
                Box::new(move |v| can_download_attachment(v, submitted, false)),
            ),
            (
                "télécharger une pièce retirée",
                Box::new(move |v| can_download_attachment(v, submitted, true)),
            ),
            (
                "télécharger une pièce d’un brouillon",
                Box::new(move |v| can_download_attachment(v, draft, false)),
            ),
            (
                "écrire un message",
                Box::new(move |v| can_write_message(v, submitted, false)),
            ),
            (
                "écrire une note interne",
                Box::new(move |v| can_write_message(v, submitted, true)),
            ),
        ];
        // Columns: demandeur, contact technique, même SIRET, autre
        // organisation, instructeur, administrateur.
        let expected: [[bool; 6]; 13] = [
            [true, true, false, false, true, true],
            [true, true, false, false, false, false],
            [true, true, false, false, false, false],
            [true, true, false, false, true, true],
            [true, true, false, false, false, false],
            [true, false, false, false, true, true],
            [true, false, false, false, false, false],
            [true, false, false, false, false, false],
            [true, false, false, false, true, true],
            [false, false, false, false, true, true],
            [true, false, false, false, false, false],
            [true, false, false, false, true, true],
            [false, false, false, false, true, true],
        ];
        let people = people();
        for ((name, rule), row) in rules.iter().zip(expected) {
            for ((who, viewer), allowed) in people.iter().zip(row) {
                assert_eq!(rule(viewer), allowed, "« {name} » pour {who}");
            }
        }
    }

    #[test]
    fn relations_to_a_token() {
        let [applicant, tech, same_siret, other, instructor, _] = people();
        let h = holders();
        assert_eq!(token_relation(&applicant.1, &h), TokenRelation::Applicant);
        assert_eq!(token_relation(&tech.1, &h), TokenRelation::TechnicalContact);
        assert_eq!(token_relation(&same_siret.1, &h), TokenRelation::None);
        assert_eq!(token_relation(&other.1, &h), TokenRelation::None);
        assert_eq!(token_relation(&instructor.1, &h), TokenRelation::Staff);
        // No technical contact named: nobody matches an empty address.
        let none = TokenHolders {
            technical_email: None,
            ..holders()
        };
        assert_eq!(token_relation(&tech.1, &none), TokenRelation::None);
    }

    #[test]
    fn access_by_role() {
        assert!(Access::Public.allows(None));
        assert!(!Access::SignedIn.allows(None));
        assert!(Access::SignedIn.allows(Some(Role::Applicant)));
        assert!(!Access::Roles(ADMIN).allows(Some(Role::Instructor)));
        assert!(Access::Roles(ADMIN).allows(Some(Role::Admin)));
        assert!(Access::Roles(STAFF).allows(Some(Role::Instructor)));
        assert!(!Access::Roles(STAFF).allows(Some(Role::Applicant)));
        assert!(!Access::Roles(STAFF).allows(None));
    }

    #[test]
    fn paths_are_unique() {
        for (i, a) in RULES.iter().enumerate() {
            assert!(a.path.starts_with("/api/"), "{}", a.path);
            assert!(
                RULES[i + 1..].iter().all(|b| b.path != a.path),
                "{} listed twice",
                a.path
            );
        }
        assert!(rule_for("/api/auth/login").is_some());
        assert!(rule_for("/api/unknown").is_none());
    }
}
