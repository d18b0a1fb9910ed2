//! The authorization matrix: every registered server function, called by an
//! anonymous visitor, an applicant, another applicant, an instructor and an
//! administrator, is allowed or refused exactly as `server::policy` says.
//! A server function without a policy entry, or without a sample call here,
//! fails this test.

use crate::common;

use common::*;
use guichet::domain::lifecycle::Role;
use guichet::server::policy;
use std::sync::atomic::{AtomicU8, Ordering};

const PASSWORD: &str = "cheval agrafe batterie correcte";

/// A sample call's body.
enum Body {
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
}

/// Functions on one request: only its applicant (and staff, to read) may
/// call them; another applicant is refused.
const OWNED: &[&str] = &[
    "/api/requests/get",
    "/api/requests/save",
    "/api/requests/duplicate",
    "/api/requests/start_update",
    "/api/requests/transfer",
    "/api/requests/archive",
    "/api/requests/submit",
    "/api/requests/remove_attachment",
    "/api/messages/send",
    "/api/messages/list",
];

/// Arguments that reach the function's own checks (they need not succeed);
/// `id` is a request of the applicant.
fn sample(path: &str, id: i64) -> Option<Body> {
    let id_s = id.to_string();
    Some(match path {
        "/api/requests/mine" | "/api/requests/create" => Body::Form(vec![]),
        "/api/requests/lookup_organisation" => {
            Body::Form(vec![("siret", "21340172201787".to_owned())])
        }
        "/api/requests/search_organisations" => {
            Body::Form(vec![("q", "région occitanie".to_owned())])
        }
        "/api/templates/list" => Body::Form(vec![]),
        "/api/templates/get" => Body::Form(vec![("slug", "marches-publics".to_owned())]),
        "/api/requests/start_from_template" => {
            Body::Form(vec![("modele", "marches-publics".to_owned())])
        }
        "/api/admin/templates/list" => Body::Form(vec![]),
        "/api/admin/templates/get" => Body::Form(vec![("slug", "marches-publics".to_owned())]),
        // An unchanged copy of a template, at a version that does not exist:
        // the function's own answer is a conflict, after the gate.
        "/api/admin/templates/save" => Body::Json(serde_json::json!({
            "template": {
                "slug": "marches-publics", "title": "Marchés publics", "audience": "Acheteurs",
                "summary": "Vérifier.", "context_title": "Marchés", "context_description": "Vérifier.",
                "scopes": ["attestation_fiscale_dgfip"], "legal_basis": "Code de la commande publique"
            },
            "expected": 999
        })),
        "/api/admin/templates/archive" => Body::Form(vec![
            ("slug", "marches-publics".to_owned()),
            ("expected", "999".to_owned()),
            ("archived", "true".to_owned()),
        ]),
        "/api/requests/get"
        | "/api/requests/duplicate"
        | "/api/requests/archive"
        | "/api/requests/start_update" => Body::Form(vec![("id", id_s)]),
        "/api/requests/submit" => Body::Form(vec![("id", id_s), ("version", "1".to_owned())]),
        "/api/requests/transfer" => Body::Form(vec![
            ("id", id_s),
            ("email", "collegue@ville.fr".to_owned()),
        ]),
        "/api/requests/remove_attachment" => Body::Form(vec![
            ("id", id_s),
            (
                "attachment_id",
                "00000000000000000000000000000000".to_owned(),
            ),
        ]),
        "/api/instruction/request_changes" => Body::Json(serde_json::json!({
            "id": id, "version": 1, "message": "Précisez le fondement juridique.",
            "fields": ["legal.basis"]
        })),
        "/api/instruction/refuse" => Body::Json(serde_json::json!({
            "id": id, "version": 1, "reason": "Hors du champ d’API Entreprise."
        })),
        "/api/instruction/revoke" => Body::Json(serde_json::json!({
            "id": id, "version": 1, "reason": "Usage non conforme."
        })),
        "/api/instruction/accept" => Body::Json(serde_json::json!({
            "id": id, "version": 1, "scopes": [], "message": ""
        })),
        "/api/instruction/dashboard" => Body::Form(vec![("q", "occitanie".to_owned())]),
        "/api/instruction/review" => Body::Form(vec![("id", id_s)]),
        "/api/instruction/assign" => Body::Form(vec![("id", id_s), ("take", "true".to_owned())]),
        "/api/messages/send" => Body::Form(vec![("id", id_s), ("body", "Bonjour".to_owned())]),
        "/api/messages/list" => Body::Form(vec![("id", id_s)]),
        "/api/space/overview" => Body::Form(vec![]),
        "/api/space/reveal" | "/api/space/renewal" | "/api/space/usage" => {
            Body::Form(vec![("id", "jeton-inconnu".to_owned())])
        }
        "/api/space/renew" => Body::Json(serde_json::json!({
            "id": "jeton-inconnu",
            "check": { "purpose": true, "contacts": true, "data": true },
            "remove": []
        })),
        "/api/space/rotate" => Body::Form(vec![
            ("id", "jeton-inconnu".to_owned()),
            ("grace", "24h".to_owned()),
        ]),
        "/api/requests/save" => Body::Json(serde_json::json!({
            "id": id, "version": 1, "save_id": "matrice", "data": {}
        })),
        other => Body::Form(
            form_sample(other)?
                .into_iter()
                .map(|(k, v)| (k, v.to_owned()))
                .collect(),
        ),
    })
}

fn form_sample(path: &str) -> Option<Vec<(&'static str, &'static str)>> {
    Some(match path {
        "/api/public/request_counts"
        | "/api/auth/whoami"
        | "/api/auth/logout"
        | "/api/auth/options"
        | "/api/auth/second_factor_setup"
        | "/api/admin/accounts"
        | "/api/admin/gateways"
        | "/api/dev/mails" => vec![],
        "/api/admin/gateways/create" => vec![("name", "Passerelle de test")],
        "/api/admin/gateways/revoke" => vec![("id", "passerelle-inconnue")],
        "/api/auth/register" => vec![("email", "nouveau@ville.fr"), ("password", PASSWORD)],
        "/api/auth/confirm_email" | "/api/requests/accept_transfer" => {
            vec![("token", "inconnu")]
        }
        "/api/auth/login" => vec![("email", "personne@ville.fr"), ("password", "x")],
        "/api/auth/request_password_reset" => vec![("email", "personne@ville.fr")],
        "/api/auth/reset_password" | "/api/auth/choose_password" => {
            vec![("token", "inconnu"), ("password", PASSWORD)]
        }
        "/api/auth/change_password" => vec![("current", "pas le bon"), ("password", PASSWORD)],
        "/api/admin/invite" => vec![("email", "invite@beta.gouv.fr"), ("role", "instructor")],
        "/api/auth/activate_second_factor" | "/api/auth/verify_second_factor" => {
            vec![("code", "123456")]
        }
        "/api/admin/reset_second_factor" => vec![("email", "personne@beta.gouv.fr")],
        "/api/admin/set_account_active" => {
            vec![("email", "personne@beta.gouv.fr"), ("active", "true")]
        }
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Applicant,
    OtherApplicant,
    Instructor,
    Admin,
    Reporter,
}

impl Caller {
    const ALL: [Caller; 6] = [
        Caller::Anonymous,
        Caller::Applicant,
        Caller::OtherApplicant,
        Caller::Instructor,
        Caller::Admin,
        Caller::Reporter,
    ];

    fn account(self) -> Option<(&'static str, Role)> {
        match self {
            Caller::Anonymous => None,
            Caller::Applicant => Some(("demandeur@ville.fr", Role::Applicant)),
            Caller::OtherApplicant => Some(("autre@commune.fr", Role::Applicant)),
            Caller::Instructor => Some(("instructeur@beta.gouv.fr", Role::Instructor)),
            Caller::Admin => Some(("admin@beta.gouv.fr", Role::Admin)),
            Caller::Reporter => Some(("rapporteur@beta.gouv.fr", Role::Reporter)),
        }
    }
}

/// A new client address per call, so that rate limits do not blur the matrix.
fn next_ip() -> [u8; 4] {
    static N: AtomicU8 = AtomicU8::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    [10, 9, n / 200, n % 200 + 1]
}

#[tokio::test]
async fn every_server_function_is_in_the_policy_and_enforced() {
    let paths: Vec<&'static str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p)
        .collect();
    assert!(paths.len() >= 12, "server functions registered: {paths:?}");
    let missing_policy: Vec<_> = paths
        .iter()
        .filter(|p| policy::rule_for(p).is_none())
        .collect();
    assert!(
        missing_policy.is_empty(),
        "server functions without a policy entry (add them to server::policy::RULES): {missing_policy:?}"
    );
    let missing_sample: Vec<_> = paths.iter().filter(|p| sample(p, 1).is_none()).collect();
    assert!(
        missing_sample.is_empty(),
        "server functions without a sample call in tests/policy.rs: {missing_sample:?}"
    );
    for rule in policy::RULES {
        assert!(
            paths.contains(&rule.path),
            "policy entry for a function that does not exist: {}",
            rule.path
        );
    }

    for t in TestDb::all().await {
        let app = app(t.db.clone());
        let mut applicant_id = 0;
        for caller in Caller::ALL {
            if let Some((email, role)) = caller.account() {
                let id = create_account(&t.db, email, PASSWORD, role).await;
                if matches!(caller, Caller::Applicant) {
                    applicant_id = id;
                }
            }
        }
        let request_id = guichet::server::db::requests::create_draft(
            &t.db,
            applicant_id,
            &guichet::domain::request::RequestData::new_draft(),
            guichet::server::db::now_ms(),
        )
        .await
        .expect("draft");
        let mut sessions: std::collections::HashMap<&str, String> =
            std::collections::HashMap::new();
        for path in &paths {
            let rule = policy::rule_for(path).expect("checked above");
            for caller in Caller::ALL {
                // A live session per caller: signed in again when a cell
                // (logout, a password change) ended it. Staff sign in with
                // their app's code, which serves once: not once per cell.
                let cookie = match caller.account() {
                    Some((email, _)) => {
                        let kept = sessions.get(email).cloned();
                        let cookie = match kept {
                            Some(c) if whoami(&app, Some(&c)).await.is_some() => c,
                            _ => sign_in(&app, email, PASSWORD, next_ip()).await,
                        };
                        sessions.insert(email, cookie.clone());
                        Some(cookie)
                    }
                    None => None,
                };
                let a = match sample(path, request_id).expect("checked above") {
                    Body::Form(args) => {
                        let args: Vec<(&str, &str)> =
                            args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        post_form_from(&app, path, &args, cookie.as_deref(), next_ip()).await
                    }
                    Body::Json(body) => post_json(&app, path, &body, cookie.as_deref()).await,
                };
                let refused = matches!(a.code(), "unauthenticated" | "forbidden")
                    && matches!(a.status.as_u16(), 401 | 403);
                let role = caller.account().map(|(_, r)| r);
                let object_refused =
                    OWNED.contains(path) && matches!(caller, Caller::OtherApplicant);
                assert_eq!(
                    refused,
                    !rule.access.allows(role) || object_refused,
                    "{}: {path} called by {caller:?} answered {} {}",
                    t.name,
                    a.status,
                    a.json
                );
                assert!(
                    a.status.as_u16() < 500,
                    "{}: {path} by {caller:?}: {} {}",
                    t.name,
                    a.status,
                    a.json
                );
            }
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_unlisted_api_path_is_refused_not_run() {
    let t = TestDb::sqlite().await;
    let a = post_form(&app(t.db.clone()), "/api/auth/inconnue", &[], None).await;
    assert_eq!((a.status.as_u16(), a.code()), (403, "forbidden"));
    t.cleanup().await;
}
