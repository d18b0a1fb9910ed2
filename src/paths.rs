//! Every page's address, in one place: the constants of the fixed pages and
//! the builders of those with a parameter. Links, redirections and emails
//! take them from here; the router's own patterns (`path!`) are macros and
//! name the same addresses in `app.rs`.

pub const HOME: &str = "/";
pub const SIGN_IN: &str = "/connexion";
pub const REGISTER: &str = "/inscription";
/// Sign-in with ProConnect: the redirection to the provider (`?suite=`).
pub const PROCONNECT_START: &str = "/connexion/proconnect";
/// The return from ProConnect (the redirect URI registered there).
pub const PROCONNECT_CALLBACK: &str = "/connexion/proconnect/retour";
/// Staff: the second factor's code, after the password.
pub const SECOND_FACTOR: &str = "/connexion/code";
/// Staff: setting up the authenticator app, at the first sign-in.
pub const SECOND_FACTOR_SETUP: &str = "/connexion/double-authentification";
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
/// The API usage of token `token_id`.
pub fn token_usage(token_id: &str) -> String {
    format!("{SPACE}/utilisation/{token_id}")
}

/// The renewal's check of token `token_id`.
pub fn renewal(token_id: &str) -> String {
    format!("{SPACE}/renouveler/{token_id}")
}

/// Accepting a request handed over (`?jeton=`).
pub const TRANSFER: &str = "/transfert";
/// The instructors' dashboard.
pub const DASHBOARD: &str = "/instruction";
/// The dashboard's live stream (server-sent events).
pub const LIVE: &str = "/instruction/flux";
/// The administrators' list of staff accounts.
pub const ACCOUNTS: &str = "/admin/comptes";
/// Administrators: the use-case templates.
pub const ADMIN_TEMPLATES: &str = "/admin/modeles";
/// The gateways' credentials (administrators).
pub const GATEWAYS: &str = "/admin/passerelles";
/// Administrators: a new template.
pub const ADMIN_NEW_TEMPLATE: &str = "/admin/modeles/nouveau";

/// Administrators: the edit page of template `slug`.
pub fn admin_template(slug: &str) -> String {
    format!("{ADMIN_TEMPLATES}/{slug}")
}

/// The development mailbox.
pub const DEV_MAILS: &str = "/dev/mails";

/// The new request page: the templates, then "Demande libre".
pub const NEW_REQUEST: &str = "/demandes/nouvelle";
/// The public list of use-case templates.
pub const TEMPLATES: &str = "/modeles";

/// A template's public page.
pub fn template(slug: &str) -> String {
    format!("{TEMPLATES}/{slug}")
}

/// Most characters of a page address kept to come back to after signing in.
const RETURN_MAX: usize = 600;

/// `path` when it is an address of this site to come back to after signing
/// in (`/demandes/nouvelle?modele=…`): a path, never another site
/// (`//exemple.fr`, `/\exemple.fr`) nor a sign-in page.
pub fn safe_return(path: &str) -> Option<&str> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= RETURN_MAX
        && !path.chars().any(|c| c.is_control() || c == '\\')
        && !path.starts_with(SIGN_IN);
    ok.then_some(path)
}

/// The sign-in page, coming back to `path` once signed in (when it is a
/// safe address of this site).
pub fn sign_in_then(path: &str) -> String {
    with_suite(SIGN_IN, Some(path))
}

/// The second factor's page (`setup`: the app's setup), then `suite`.
pub fn second_factor(setup: bool, suite: Option<&str>) -> String {
    let page = if setup {
        SECOND_FACTOR_SETUP
    } else {
        SECOND_FACTOR
    };
    with_suite(page, suite)
}

/// `page?suite=…` when `suite` is a safe address of this site.
pub fn with_suite(page: &str, suite: Option<&str>) -> String {
    match suite.and_then(safe_return) {
        Some(p) if p != HOME => format!(
            "{page}?suite={}",
            form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>()
        ),
        _ => page.to_owned(),
    }
}

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
        assert_eq!(template("marches-publics"), "/modeles/marches-publics");
    }

    #[test]
    fn the_sign_in_comes_back_only_to_this_site() {
        assert_eq!(
            sign_in_then("/demandes/nouvelle?modele=gru&siret=200 053"),
            "/connexion?suite=%2Fdemandes%2Fnouvelle%3Fmodele%3Dgru%26siret%3D200+053"
        );
        assert_eq!(sign_in_then("/"), "/connexion");
        for foreign in [
            "https://exemple.fr/",
            "//exemple.fr/x",
            "/\\exemple.fr",
            "/a\\b",
            "/a\nb",
            "/connexion?suite=/x",
            "",
            "demandes",
        ] {
            assert_eq!(safe_return(foreign), None, "{foreign:?}");
            assert_eq!(sign_in_then(foreign), "/connexion", "{foreign:?}");
        }
        assert_eq!(safe_return(&format!("/{}", "a".repeat(700))), None);
    }
}
