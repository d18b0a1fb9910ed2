//! Every page's address, in one place: the constants of the fixed pages and
//! the builders of those with a parameter. Links, redirections and emails
//! take them from here; the router's own patterns (`path!`) are macros and
//! name the same addresses in `app.rs`.

pub const HOME: &str = "/";
pub const SIGN_IN: &str = "/connexion";
pub const REGISTER: &str = "/inscription";
pub const FORGOT_PASSWORD: &str = "/mot-de-passe-oublie";
pub const RESET_PASSWORD: &str = "/nouveau-mot-de-passe";
/// Where a new client-space member or staff member chooses a password.
pub const CHOOSE_PASSWORD: &str = "/choisir-mot-de-passe";
pub const CONFIRM_EMAIL: &str = "/confirmer-email";
/// The terms of use.
pub const TERMS: &str = "/conditions-generales";
pub const ACCESSIBILITY: &str = "/accessibilite";
pub const MY_ACCOUNT: &str = "/mon-compte";
/// "Mes demandes".
pub const MY_REQUESTS: &str = "/demandes";
/// "Mon espace": the tokens.
pub const SPACE: &str = "/espace";
/// The instructors' dashboard.
pub const DASHBOARD: &str = "/instruction";
/// The dashboard's live stream (server-sent events).
pub const LIVE: &str = "/instruction/flux";
/// The administrators' list of staff accounts.
pub const ACCOUNTS: &str = "/admin/comptes";
/// The development mailbox.
pub const DEV_MAILS: &str = "/dev/mails";

/// A request's summary page.
pub fn request(id: i64) -> String {
    format!("/demandes/{id}")
}

/// A step of the wizard (1 to 6).
pub fn wizard_step(id: i64, step: usize) -> String {
    format!("/demandes/{id}/etape/{step}")
}

/// A request as an instructor reviews it.
pub fn review(id: i64) -> String {
    format!("/instruction/demandes/{id}")
}

/// The dashboard with these query parameters (already encoded).
pub fn dashboard_with(query: &str) -> String {
    if query.is_empty() {
        DASHBOARD.to_owned()
    } else {
        format!("{DASHBOARD}?{query}")
    }
}

/// An attachment's download.
pub fn attachment(id: &str) -> String {
    format!("/pieces-jointes/{id}")
}

/// Where a request's attachments are uploaded, with the file's name
/// (already encoded).
pub fn upload(request_id: i64, encoded_name: &str) -> String {
    format!("/demandes/{request_id}/pieces-jointes?nom={encoded_name}")
}

/// `path` with a flag telling the page what just happened (`?envoye=1`…).
pub fn with_flag(path: &str, flag: &str) -> String {
    format!("{path}?{flag}=1")
}

/// The DSFR's script (its modals, menus, tabs), copied from the npm package
/// by `scripts/dsfr.mjs`.
pub const DSFR_SCRIPT: &str = "/dsfr/dsfr.module.min.js";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_write_the_router_s_addresses() {
        assert_eq!(request(7), "/demandes/7");
        assert_eq!(wizard_step(7, 3), "/demandes/7/etape/3");
        assert_eq!(review(7), "/instruction/demandes/7");
        assert_eq!(dashboard_with(""), "/instruction");
        assert_eq!(
            dashboard_with("etat=submitted"),
            "/instruction?etat=submitted"
        );
        assert_eq!(attachment("ab"), "/pieces-jointes/ab");
        assert_eq!(
            upload(7, "a%20b.pdf"),
            "/demandes/7/pieces-jointes?nom=a%20b.pdf"
        );
        assert_eq!(with_flag(REGISTER, "envoye"), "/inscription?envoye=1");
    }
}
