//! Sign-in with ProConnect through a real OpenID Connect provider
//! (`oidc-provider` from npm, started on loopback as ProConnect is
//! configured): first sign-in, linking an existing account, the SIRET
//! pre-filled and the requests marked for instructors, tampered `state` or
//! `nonce` and expired codes refused, staff's second factor, sign-out at
//! the provider too. On SQLite and PostgreSQL.

use crate::common::oidc::{Browser, Provider, param, path_of};
use crate::common::world::{PASSWORD, World, submitted_with};
use crate::common::*;
use guichet::domain::lifecycle::Role;
use guichet::domain::request::RequestData;
use guichet::server::auth::proconnect::ProConnect;
use serde_json::json;
use std::sync::Arc;

const AGENT_SIRET: &str = "20005379100014";

fn accounts() -> serde_json::Value {
    json!({
        "camille": {
            "email": "Camille.Martin@occitanie.fr",
            "given_name": "Camille",
            "usual_name": "Martin",
            "siret": AGENT_SIRET,
            "uid": "agent-42",
        },
        "alice": { "email": "alice@occitanie.fr", "given_name": "Alice", "usual_name": "Durand", "siret": AGENT_SIRET, "uid": "a-1" },
        "bob": { "email": "bob@herault.fr", "given_name": "Bob", "usual_name": "Petit", "siret": "22340001700015", "uid": "b-1" },
        "instructeur": { "email": "instructeur@beta.gouv.fr", "given_name": "Ines", "usual_name": "Tructeur", "siret": "13002526500013", "uid": "i-1" },
        "sans-adresse": { "given_name": "Anonyme", "siret": AGENT_SIRET, "uid": "x" },
    })
}

/// The app with ProConnect on `provider`, and the provider itself.
fn with_provider(t: &TestDb, code_ttl: u64, applicant_password: bool) -> (axum::Router, Provider) {
    let mut state = state(t.db.clone());
    let provider = Provider::start(&state.public_url, accounts(), code_ttl);
    state.proconnect = Some(Arc::new(
        ProConnect::new(provider.config(&["eidas2"])).expect("relying party"),
    ));
    state.applicant_password = applicant_password;
    (guichet::server::http::router(state), provider)
}

async fn whoami_of(app: &axum::Router, b: &Browser) -> Option<String> {
    whoami(app, b.guichet.as_deref()).await
}

#[tokio::test]
async fn first_sign_in_creates_the_account_prefills_the_siret_and_marks_the_requests() {
    for t in TestDb::all().await {
        let (app, provider) = with_provider(&t, 60, true);
        let mut w: World = crate::common::world::world_on(&t, app.clone()).await;
        let mut b = Browser::default();
        // From the page that asked for a sign-in, and back to it.
        let hop = b
            .sign_in(&app, &provider, "camille", Some("/demandes/nouvelle"))
            .await;
        assert_eq!(hop.status, 303, "{}", hop.body);
        assert_eq!(hop.location.as_deref(), Some("/demandes/nouvelle"));
        assert_eq!(
            whoami_of(&app, &b).await.as_deref(),
            Some("camille.martin@occitanie.fr"),
            "{}",
            t.name
        );
        // A confirmed applicant account without password, and the link.
        let (role, hash, verified): (String, Option<String>, Option<i64>) = sqlx::query_as(
            "SELECT role, password_hash, email_verified_at FROM users WHERE email = $1",
        )
        .bind("camille.martin@occitanie.fr")
        .fetch_one(&t.db.pool)
        .await
        .expect("account");
        assert_eq!(role, "applicant");
        assert!(hash.is_none() && verified.is_some());
        let (siret, uid): (Option<String>, Option<String>) =
            sqlx::query_as("SELECT siret, uid FROM user_identities WHERE provider = 'proconnect'")
                .fetch_one(&t.db.pool)
                .await
                .expect("identity");
        assert_eq!(siret.as_deref(), Some(AGENT_SIRET));
        assert_eq!(uid.as_deref(), Some("agent-42"));
        // Step 1 of a new request holds the agent's organisation.
        let cookie = b.guichet.clone().expect("session");
        let a = post_form(&app, "/api/requests/create", &[], Some(&cookie)).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let id = a.json.as_i64().expect("id");
        let r = post_form(
            &app,
            "/api/requests/get",
            &[("id", &id.to_string())],
            Some(&cookie),
        )
        .await;
        assert_eq!(
            r.json["data"]["organisation"]["siret"], AGENT_SIRET,
            "{}",
            r.json
        );

        // Camille's request for her organisation is marked; one for another
        // organisation, and Bob's (password), are not.
        w.alice = cookie;
        let (mine, _) = submitted_with(&w, &RequestData::example()).await;
        let mut other = RequestData::example();
        other.organisation.siret = "21340172201787".into();
        other.organisation.name = "Commune de Montpellier".into();
        other.organisation.legal_category = "7210".into();
        other.organisation.justification = "Commune : collectivité territoriale.".into();
        let (elsewhere, _) = submitted_with(&w, &other).await;
        let review = post_form(
            &app,
            "/api/instruction/review",
            &[("id", &mine.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(review.status, 200, "{}", review.json);
        assert_eq!(review.json["agent_link"], "ProConnect");
        assert_eq!(review.json["agent"]["name"], "Camille Martin");
        let review = post_form(
            &app,
            "/api/instruction/review",
            &[("id", &elsewhere.to_string())],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(review.json["agent_link"], "Unverified");
        assert_eq!(review.json["agent"]["siret"], AGENT_SIRET);
        // The dashboard filters on it.
        let ids = |a: &Answer| -> Vec<i64> {
            a.json["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| l["id"].as_i64().expect("id"))
                .collect()
        };
        let d = post_form(
            &app,
            "/api/instruction/dashboard",
            &[("rattachement", "proconnect")],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(ids(&d), vec![mine], "{}", d.json);
        let d = post_form(
            &app,
            "/api/instruction/dashboard",
            &[("rattachement", "non_verifie")],
            Some(&w.instructor),
        )
        .await;
        assert_eq!(ids(&d), vec![elsewhere]);
        let d = post_form(&app, "/api/instruction/dashboard", &[], Some(&w.instructor)).await;
        assert_eq!(d.json["total"], 2);
        drop(provider);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_existing_account_is_linked_only_after_its_owner_proves_it() {
    for t in TestDb::all().await {
        let (app, provider) = with_provider(&t, 60, true);
        let _w = crate::common::world::world_on(&t, app.clone()).await;
        let mut b = Browser::default();
        let hop = b.sign_in(&app, &provider, "alice", None).await;
        assert_eq!(hop.location.as_deref(), Some("/connexion?lier=proconnect"));
        assert_eq!(whoami_of(&app, &b).await, None, "not signed in yet");
        let options = post_form(&app, "/api/auth/options", &[], b.guichet.as_deref()).await;
        assert_eq!(options.json["link_email"], "alice@occitanie.fr");
        assert_eq!(options.json["proconnect"], true);
        // Someone else's password on this browser links nothing.
        let a = post_form_from(
            &app,
            "/api/auth/login",
            &[("email", "bob@herault.fr"), ("password", PASSWORD)],
            b.guichet.as_deref(),
            [10, 2, 0, 1],
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let linked: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM user_identities")
            .fetch_all(&t.db.pool)
            .await
            .expect("identities");
        assert!(
            linked.is_empty(),
            "Bob's password does not link Alice's identity"
        );

        // Alice's password links it.
        let mut b = Browser::default();
        b.sign_in(&app, &provider, "alice", None).await;
        let a = post_form_from(
            &app,
            "/api/auth/login",
            &[("email", "alice@occitanie.fr"), ("password", PASSWORD)],
            b.guichet.as_deref(),
            [10, 2, 0, 2],
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let (email,): (String,) = sqlx::query_as(
            "SELECT u.email FROM user_identities i JOIN users u ON u.id = i.user_id",
        )
        .fetch_one(&t.db.pool)
        .await
        .expect("linked");
        assert_eq!(email, "alice@occitanie.fr");
        // From then on, ProConnect alone signs Alice in.
        let mut b = Browser::default();
        let hop = b.sign_in(&app, &provider, "alice", None).await;
        assert_eq!(hop.location.as_deref(), Some("/demandes"));
        assert_eq!(
            whoami_of(&app, &b).await.as_deref(),
            Some("alice@occitanie.fr")
        );
        drop(provider);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_tampered_state_or_nonce_and_an_expired_code_sign_nobody_in() {
    let t = TestDb::sqlite().await;
    let (app, provider) = with_provider(&t, 60, true);
    // The state: the provider's answer with another `state`.
    let mut b = Browser::default();
    let hop = b.guichet_get(&app, guichet::paths::PROCONNECT_START).await;
    let authorize = hop.location.expect("authorize");
    assert!(param(&authorize, "code_challenge").is_some(), "PKCE");
    assert_eq!(
        param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(param(&authorize, "nonce").is_some_and(|n| n.len() >= 32));
    assert_eq!(param(&authorize, "acr_values").as_deref(), Some("eidas1"));
    let back = b
        .through_provider(&provider.issuer, &authorize, "camille")
        .await;
    let state = param(&back, "state").expect("state");
    let forged = back.replace(&format!("state={state}"), "state=pas-le-bon-etat");
    let hop = b.guichet_get(&app, path_of(&forged)).await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=expire")
    );
    assert_eq!(whoami_of(&app, &b).await, None);
    // The genuine answer cannot be used afterwards: the sign-in is over.
    let hop = b.guichet_get(&app, path_of(&back)).await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=expire")
    );
    assert_eq!(whoami_of(&app, &b).await, None);
    // An answer reaching another browser (no sign-in started there).
    let mut other = Browser::default();
    let hop = other.guichet_get(&app, path_of(&back)).await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=expire")
    );

    // The nonce: the authorization request altered on its way.
    let mut b = Browser::default();
    let hop = b.guichet_get(&app, guichet::paths::PROCONNECT_START).await;
    let authorize = hop.location.expect("authorize");
    let nonce = param(&authorize, "nonce").expect("nonce");
    let altered = authorize.replace(
        &format!("nonce={nonce}"),
        "nonce=nonce-de-l-attaquant-0123456789abcdef",
    );
    let back = b
        .through_provider(&provider.issuer, &altered, "camille")
        .await;
    let hop = b.guichet_get(&app, path_of(&back)).await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=refuse")
    );
    assert_eq!(whoami_of(&app, &b).await, None);

    // The agent cancelled at the provider.
    let mut b = Browser::default();
    b.guichet_get(&app, guichet::paths::PROCONNECT_START).await;
    let state = b.guichet.clone();
    let _ = state;
    // (the provider sends the browser back with `error=access_denied`)
    let hop = b
        .guichet_get(
            &app,
            &format!(
                "{}?error=access_denied&state=x",
                guichet::paths::PROCONNECT_CALLBACK
            ),
        )
        .await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=annule")
    );

    // An identity without an address.
    let mut b = Browser::default();
    let hop = b.sign_in(&app, &provider, "sans-adresse", None).await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=sans_adresse")
    );
    drop(provider);

    // An expired code (the provider's codes live 1 s here).
    let (app, provider) = with_provider(&t, 1, true);
    let mut b = Browser::default();
    let hop = b.guichet_get(&app, guichet::paths::PROCONNECT_START).await;
    let back = b
        .through_provider(
            &provider.issuer,
            &hop.location.expect("authorize"),
            "camille",
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let hop = b.guichet_get(&app, path_of(&back)).await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=refuse")
    );
    assert_eq!(whoami_of(&app, &b).await, None);
    let accounts: Vec<(String,)> = sqlx::query_as("SELECT email FROM users")
        .fetch_all(&t.db.pool)
        .await
        .expect("users");
    assert!(accounts.is_empty(), "no account made by a refused sign-in");
    drop(provider);
    t.cleanup().await;
}

#[tokio::test]
async fn staff_signing_in_with_proconnect_prove_a_second_factor_unless_the_acr_is_strong() {
    let t = TestDb::sqlite().await;
    let (app, provider) = with_provider(&t, 60, true);
    let w = crate::common::world::world_on(&t, app.clone()).await;
    // The instructor links their identity with password and code.
    let mut b = Browser::default();
    b.sign_in(&app, &provider, "instructeur", None).await;
    let a = post_form_from(
        &app,
        "/api/auth/login",
        &[
            ("email", "instructeur@beta.gouv.fr"),
            ("password", PASSWORD),
        ],
        b.guichet.as_deref(),
        [10, 3, 0, 1],
    )
    .await;
    assert_eq!(a.json, guichet::paths::SECOND_FACTOR, "{}", a.json);
    let linked: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM user_identities")
        .fetch_all(&t.db.pool)
        .await
        .expect("identities");
    assert!(linked.is_empty(), "not linked before the second factor");
    let cookie = cookie_pair(a.set_cookie.as_deref().expect("cookie"));
    let signed = second_factor_on(
        &app,
        guichet::paths::SECOND_FACTOR,
        "instructeur@beta.gouv.fr",
        &cookie,
        [10, 3, 0, 1],
    )
    .await;
    assert_eq!(
        whoami(&app, Some(&signed)).await.as_deref(),
        Some("instructeur@beta.gouv.fr")
    );
    let linked: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM user_identities")
        .fetch_all(&t.db.pool)
        .await
        .expect("identities");
    assert_eq!(linked.len(), 1, "linked once both factors are proved");

    // ProConnect at eidas1: the app's code is still asked.
    let mut b = Browser::default();
    let hop = b.sign_in(&app, &provider, "instructeur", None).await;
    assert_eq!(hop.location.as_deref(), Some(guichet::paths::SECOND_FACTOR));
    assert_eq!(
        whoami_of(&app, &b).await,
        None,
        "no staff session before the code"
    );
    let dashboard = post_form(
        &app,
        "/api/instruction/dashboard",
        &[],
        b.guichet.as_deref(),
    )
    .await;
    assert_eq!(dashboard.status, 401);
    let cookie = b.guichet.clone().expect("cookie");
    let signed = second_factor_on(
        &app,
        guichet::paths::SECOND_FACTOR,
        "instructeur@beta.gouv.fr",
        &cookie,
        [10, 3, 0, 2],
    )
    .await;
    let dashboard = post_form(&app, "/api/instruction/dashboard", &[], Some(&signed)).await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.json);

    // ProConnect at eidas2 (a second factor at the identity provider): in.
    let mut b = Browser::default();
    let hop = b.sign_in(&app, &provider, "instructeur#eidas2", None).await;
    assert_eq!(hop.location.as_deref(), Some(guichet::paths::DASHBOARD));
    let dashboard = post_form(
        &app,
        "/api/instruction/dashboard",
        &[],
        b.guichet.as_deref(),
    )
    .await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.json);
    drop(w);
    drop(provider);
    t.cleanup().await;
}

#[tokio::test]
async fn signing_out_also_ends_the_session_at_the_provider() {
    let t = TestDb::sqlite().await;
    let (app, provider) = with_provider(&t, 60, true);
    let mut b = Browser::default();
    b.sign_in(&app, &provider, "camille", None).await;
    let cookie = b.guichet.clone().expect("session");
    // While the provider's session lives, a new sign-in skips its screen.
    let hop = b.guichet_get(&app, guichet::paths::PROCONNECT_START).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let first = b.provider(http.get(hop.location.expect("authorize"))).await;
    let next = first.location.expect("redirection");
    assert!(
        !next.contains("/interaction/"),
        "provider session alive: {next}"
    );

    let out = post_form(&app, "/api/auth/logout", &[], b.guichet.as_deref()).await;
    assert_eq!(out.status, 200, "{}", out.json);
    let end = out.json.as_str().expect("where to go").to_owned();
    assert!(end.starts_with(&provider.issuer), "{end}");
    assert!(param(&end, "id_token_hint").is_some());
    assert_eq!(
        param(&end, "post_logout_redirect_uri").as_deref(),
        Some(format!("{}/", state(t.db.clone()).public_url).as_str())
    );
    assert_eq!(
        whoami(&app, Some(&cookie)).await,
        None,
        "Guichet's session is over"
    );
    // At the provider: its sign-out page, confirmed, then back to Guichet.
    let page = b.provider(http.get(&end)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let xsrf = page
        .body
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("xsrf")
        .to_owned();
    let done = b
        .provider(
            http.post(format!("{}/session/end/confirm", provider.issuer))
                .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")]),
        )
        .await;
    let back = done.location.expect("back to Guichet");
    assert!(
        back.starts_with(&format!("{}/", state(t.db.clone()).public_url)),
        "{back}"
    );
    // The provider's session is over: its login screen again.
    let hop = b.guichet_get(&app, guichet::paths::PROCONNECT_START).await;
    let first = b.provider(http.get(hop.location.expect("authorize"))).await;
    assert!(
        first
            .location
            .expect("redirection")
            .contains("/interaction/")
    );
    drop(provider);
    t.cleanup().await;
}

#[tokio::test]
async fn applicants_can_be_limited_to_proconnect() {
    let t = TestDb::sqlite().await;
    let (app, provider) = with_provider(&t, 60, false);
    create_account(&t.db, "alice@occitanie.fr", PASSWORD, Role::Applicant).await;
    create_account(
        &t.db,
        "instructeur@beta.gouv.fr",
        PASSWORD,
        Role::Instructor,
    )
    .await;
    let a = post_form(
        &app,
        "/api/auth/register",
        &[("email", "nouveau@ville.fr"), ("password", PASSWORD)],
        None,
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.json);
    assert!(
        a.json["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ProConnect")
    );
    let a = post_form(
        &app,
        "/api/auth/login",
        &[("email", "alice@occitanie.fr"), ("password", PASSWORD)],
        None,
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.json);
    // Staff still sign in with their password (and code).
    sign_in(&app, "instructeur@beta.gouv.fr", PASSWORD, [10, 4, 0, 1]).await;
    // Alice's account is reached with ProConnect, linked by its address.
    let mut b = Browser::default();
    let hop = b.sign_in(&app, &provider, "alice", None).await;
    assert_eq!(hop.location.as_deref(), Some("/demandes"));
    assert_eq!(
        whoami_of(&app, &b).await.as_deref(),
        Some("alice@occitanie.fr")
    );
    let options = post_form(&app, "/api/auth/options", &[], None).await;
    assert_eq!(options.json["applicant_password"], false);
    drop(provider);
    t.cleanup().await;
}

#[tokio::test]
async fn a_deactivated_staff_account_is_not_signed_in_by_proconnect() {
    let t = TestDb::sqlite().await;
    let (app, provider) = with_provider(&t, 60, true);
    let admin = create_account(&t.db, "admin@beta.gouv.fr", PASSWORD, Role::Admin).await;
    let id = create_account(
        &t.db,
        "instructeur@beta.gouv.fr",
        PASSWORD,
        Role::Instructor,
    )
    .await;
    sqlx::query(
        "INSERT INTO user_identities (provider, subject, user_id, email, linked_at, seen_at) \
         VALUES ('proconnect', 'instructeur', $1, 'instructeur@beta.gouv.fr', 0, 0)",
    )
    .bind(id)
    .execute(&t.db.pool)
    .await
    .expect("link");
    guichet::server::db::users::set_deactivated(&t.db, id, Some(1), admin, 1)
        .await
        .expect("deactivate");
    let mut b = Browser::default();
    let hop = b.sign_in(&app, &provider, "instructeur#eidas2", None).await;
    assert_eq!(
        hop.location.as_deref(),
        Some("/connexion?proconnect=desactive")
    );
    assert_eq!(whoami_of(&app, &b).await, None);
    drop(provider);
    t.cleanup().await;
}
