//! Who may call what: the one authorization table of the server.
//!
//! Every server function is listed here with who may call it and which rate
//! limit applies. The gate in `http` reads this table before any server
//! function runs: an unlisted function is refused (deny by default), so the
//! browser never decides. Checks that depend on the object (this request
//! belongs to that organisation) live next to the data, through the helpers
//! at the end of this module.

use crate::domain::lifecycle::Role;

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

const fn rule(path: &'static str, access: Access, limit: Limit) -> Rule {
    Rule {
        path,
        access,
        limit,
    }
}

const STAFF: &[Role] = &[Role::Instructor, Role::Admin];
const APPLICANT: &[Role] = &[Role::Applicant];
const ADMIN: &[Role] = &[Role::Admin];

/// Every server function. A new one must be added here, or it is refused.
pub const RULES: &[Rule] = &[
    rule("/api/public/request_counts", Access::Public, Limit::None),
    rule("/api/auth/whoami", Access::Public, Limit::None),
    rule("/api/auth/register", Access::Public, Limit::Auth),
    rule("/api/auth/confirm_email", Access::Public, Limit::None),
    rule("/api/auth/login", Access::Public, Limit::Auth),
    rule("/api/auth/logout", Access::Public, Limit::None),
    rule(
        "/api/auth/request_password_reset",
        Access::Public,
        Limit::Auth,
    ),
    rule("/api/auth/reset_password", Access::Public, Limit::Auth),
    rule("/api/auth/choose_password", Access::Public, Limit::Auth),
    rule("/api/auth/change_password", Access::SignedIn, Limit::Auth),
    rule("/api/admin/accounts", Access::Roles(ADMIN), Limit::None),
    rule("/api/admin/invite", Access::Roles(ADMIN), Limit::None),
    rule("/api/dev/mails", Access::Public, Limit::None),
    rule("/api/requests/mine", Access::Roles(APPLICANT), Limit::None),
    rule(
        "/api/requests/create",
        Access::Roles(APPLICANT),
        Limit::None,
    ),
    rule("/api/requests/get", Access::SignedIn, Limit::None),
    rule("/api/requests/save", Access::Roles(APPLICANT), Limit::None),
    rule(
        "/api/requests/duplicate",
        Access::Roles(APPLICANT),
        Limit::None,
    ),
    rule(
        "/api/requests/archive",
        Access::Roles(APPLICANT),
        Limit::None,
    ),
    rule(
        "/api/requests/remove_attachment",
        Access::Roles(APPLICANT),
        Limit::None,
    ),
    rule(
        "/api/requests/submit",
        Access::Roles(APPLICANT),
        Limit::None,
    ),
    rule(
        "/api/instruction/request_changes",
        Access::Roles(STAFF),
        Limit::None,
    ),
    rule("/api/instruction/refuse", Access::Roles(STAFF), Limit::None),
    rule("/api/instruction/accept", Access::Roles(STAFF), Limit::None),
    rule("/api/instruction/revoke", Access::Roles(STAFF), Limit::None),
    rule(
        "/api/instruction/dashboard",
        Access::Roles(STAFF),
        Limit::None,
    ),
    rule("/api/instruction/review", Access::Roles(STAFF), Limit::None),
    rule("/api/instruction/assign", Access::Roles(STAFF), Limit::None),
    rule("/api/messages/send", Access::SignedIn, Limit::None),
    rule("/api/messages/list", Access::Roles(APPLICANT), Limit::None),
    // Members only: checked against the token's space (`member_token`).
    rule("/api/space/overview", Access::SignedIn, Limit::None),
    rule("/api/space/reveal", Access::SignedIn, Limit::None),
    rule("/api/space/renew", Access::SignedIn, Limit::None),
    rule(
        "/api/requests/lookup_organisation",
        Access::SignedIn,
        Limit::None,
    ),
];

/// The entry of a server function's path.
pub fn rule_for(path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.path == path)
}

/// Whether `role` may read everything of every organisation (instructors and
/// administrators).
pub fn is_staff(role: Role) -> bool {
    STAFF.contains(&role)
}

/// Whether `viewer` may read a request of `applicant_id`: its applicant, or
/// staff.
pub fn can_read_request(viewer_id: i64, role: Role, applicant_id: Option<i64>) -> bool {
    is_staff(role) || (role == Role::Applicant && applicant_id == Some(viewer_id))
}

/// Whether `viewer` may change a request of `applicant_id` (its data, its
/// state as an applicant): its applicant only; instructors never edit an
/// applicant's data.
pub fn can_edit_request(viewer_id: i64, role: Role, applicant_id: Option<i64>) -> bool {
    role == Role::Applicant && applicant_id == Some(viewer_id)
}

#[cfg(test)]
mod tests {
    use super::*;

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
