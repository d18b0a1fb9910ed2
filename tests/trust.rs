//! Trust (issue 15), on SQLite and PostgreSQL, through the real router: a
//! token reaches only its own people (another applicant of the same SIRET
//! included), the organisation an instructor reads is the directory's,
//! an organisation no directory knows can apply, unconfirmed accounts
//! cannot pre-empt anyone, sign-ins are limited per account, drafts are
//! private.

use crate::common;

use common::world::*;
use common::*;
use guichet::domain::lifecycle::Role;
use guichet::domain::request::RequestData;
use guichet::server::db::spaces;
use serde_json::{Value, json};

const TECHNICAL: &str = "technique@occitanie.fr";
const STRANGER: &str = "mallory@exemple.fr";

/// `data` saved and submitted by the applicant signed in with `cookie`;
/// answers the id and the version after submission.
async fn submitted_by(w: &World, cookie: &str, data: &RequestData) -> (i64, i64) {
    let a = post_form(&w.app, "/api/requests/create", &[], Some(cookie)).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let id = a.json.as_i64().expect("id");
    let a = save(w, cookie, id, 1, "complet", data).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let a = post_form(
        &w.app,
        "/api/requests/submit",
        &[("id", &id.to_string()), ("version", "2")],
        Some(cookie),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let version = get(w, cookie, id).await.json["version"]
        .as_i64()
        .expect("version");
    (id, version)
}

/// A sign-in attempt from the client address `ip`.
async fn login(w: &World, email: &str, password: &str, ip: [u8; 4]) -> Answer {
    post_form_from(
        &w.app,
        "/api/auth/login",
        &[("email", email), ("password", password)],
        None,
        ip,
    )
    .await
}

/// The instructor's review of request `id`.
async fn review(w: &World, id: i64) -> Answer {
    post_form(
        &w.app,
        "/api/instruction/review",
        &[("id", &id.to_string())],
        Some(&w.instructor),
    )
    .await
}

/// A registration from the client address 10.3.0.`ip`.
async fn register(w: &World, email: &str, password: &str, ip: u8) -> Answer {
    post_form_from(
        &w.app,
        "/api/auth/register",
        &[("email", email), ("password", password)],
        None,
        [10, 3, 0, ip],
    )
    .await
}

fn token_ids(overview: &Value) -> Vec<String> {
    overview["spaces"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["tokens"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["id"].as_str().map(str::to_owned))
        .collect()
}

async fn overview(w: &World, cookie: &str) -> Value {
    let a = post_form(&w.app, "/api/space/overview", &[], Some(cookie)).await;
    assert_eq!(a.status, 200, "{}", a.json);
    a.json
}

/// Case 1: an account with no link to an organisation files a harmless
/// request with its SIRET and gets it accepted: it sees its own token and
/// nothing of the organisation's other one; neither do the instructor's
/// reveal or another organisation. The technical contact sees the token of
/// their request, each reveal is written in the timeline.
#[tokio::test]
async fn a_token_reaches_only_its_own_people() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        create_account(&t.db, TECHNICAL, PASSWORD, Role::Applicant).await;
        create_account(&t.db, STRANGER, PASSWORD, Role::Applicant).await;
        let tech = sign_in(&w.app, TECHNICAL, PASSWORD, [10, 2, 0, 1]).await;
        let mallory = sign_in(&w.app, STRANGER, PASSWORD, [10, 2, 0, 2]).await;

        // Alice's sensitive request for the Région, accepted.
        let (alice_id, v) = submitted_by(&w, &w.alice, &RequestData::example()).await;
        let a = accept(&w, alice_id, v, &["unites_legales_etablissements_insee"]).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let alice_token = spaces::token_of_request(&t.db, alice_id)
            .await
            .expect("db")
            .expect("token")
            .id;

        // Mallory's harmless request with the same SIRET, accepted too.
        let mut harmless = RequestData::example();
        harmless.context.title = "Données ouvertes".into();
        harmless.data.scopes = vec!["open_data_unites_legales_etablissements_insee".into()];
        harmless.data.justifications.clear();
        harmless.contacts.technical.email = STRANGER.into();
        let (mallory_id, v) = submitted_by(&w, &mallory, &harmless).await;
        let a = accept(
            &w,
            mallory_id,
            v,
            &["open_data_unites_legales_etablissements_insee"],
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let mallory_token = spaces::token_of_request(&t.db, mallory_id)
            .await
            .expect("db")
            .expect("token")
            .id;

        // Each sees their own token, in the one space of the SIRET.
        assert_eq!(
            token_ids(&overview(&w, &mallory).await),
            std::slice::from_ref(&mallory_token)
        );
        assert_eq!(
            token_ids(&overview(&w, &w.alice).await),
            std::slice::from_ref(&alice_token)
        );
        assert_eq!(
            token_ids(&overview(&w, &tech).await),
            std::slice::from_ref(&alice_token)
        );
        assert_eq!(token_ids(&overview(&w, &w.bob).await), Vec::<String>::new());
        assert_eq!(
            token_ids(&overview(&w, &w.instructor).await),
            Vec::<String>::new()
        );
        // Who sees Alice's token, as her space says.
        let o = overview(&w, &w.alice).await;
        let people = &o["spaces"][0]["tokens"][0]["people"];
        assert_eq!(people[0]["email"], "alice@occitanie.fr", "{o}");
        assert_eq!(people[1]["email"], TECHNICAL, "{o}");
        assert_eq!(people[1]["relation"], "contact technique");

        // The stranger of the same SIRET, another organisation, the
        // instructor: Alice's token cannot be shown nor renewed.
        // (The instructor sees the token's details, so is told why not.)
        for (who, cookie, path, expected) in [
            (
                "même SIRET",
                &mallory,
                "/api/space/reveal",
                (404, "not_found"),
            ),
            (
                "même SIRET",
                &mallory,
                "/api/space/renew",
                (404, "not_found"),
            ),
            (
                "autre organisation",
                &w.bob,
                "/api/space/reveal",
                (404, "not_found"),
            ),
            (
                "autre organisation",
                &w.bob,
                "/api/space/renew",
                (404, "not_found"),
            ),
            (
                "instructeur",
                &w.instructor,
                "/api/space/reveal",
                (404, "not_found"),
            ),
            (
                "instructeur",
                &w.instructor,
                "/api/space/renew",
                (403, "forbidden"),
            ),
            // The technical contact may renew, in the last 90 days only.
            (
                "contact technique",
                &tech,
                "/api/space/renew",
                (409, "not_editable"),
            ),
        ] {
            let a = if path == "/api/space/renew" {
                post_json(&w.app, path, &confirmed(&alice_token), Some(cookie)).await
            } else {
                post_form(&w.app, path, &[("id", &alice_token)], Some(cookie)).await
            };
            assert_eq!(
                (a.status.as_u16(), a.code()),
                expected,
                "{}: {who} {path}: {}",
                t.name,
                a.json
            );
            assert!(!a.json.to_string().contains(JWT_PREFIX));
        }

        // Its own people reveal it; each reveal is in the timeline.
        for cookie in [&w.alice, &tech] {
            let a = post_form(
                &w.app,
                "/api/space/reveal",
                &[("id", &alice_token)],
                Some(cookie),
            )
            .await;
            assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
            assert!(a.json.as_str().unwrap_or("").starts_with(JWT_PREFIX));
        }
        let review = review(&w, alice_id).await;
        let reveals: Vec<String> = review.json["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter(|e| e["kind"] == "token_revealed")
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(
            reveals,
            ["par alice@occitanie.fr", &format!("par {TECHNICAL}")],
            "{}",
            t.name
        );

        // A new technical contact: the former one loses the token at once.
        sqlx::query("UPDATE requests SET technical_email = $1 WHERE id = $2")
            .bind("nouveau@occitanie.fr")
            .bind(alice_id)
            .execute(&t.db.pool)
            .await
            .expect("contact");
        assert_eq!(token_ids(&overview(&w, &tech).await), Vec::<String>::new());
        let a = post_form(
            &w.app,
            "/api/space/reveal",
            &[("id", &alice_token)],
            Some(&tech),
        )
        .await;
        assert_eq!(a.status, 404, "{}", a.json);

        // Revoking Mallory's request: her token is no longer shown as a
        // string; she never reached Alice's.
        let version = get(&w, &mallory, mallory_id).await.json["version"].clone();
        let a = post_json(
            &w.app,
            "/api/instruction/revoke",
            &json!({ "id": mallory_id, "version": version, "reason": "Usage non conforme." }),
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = post_form(
            &w.app,
            "/api/space/reveal",
            &[("id", &mallory_token)],
            Some(&mallory),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (409, "not_editable"),
            "{}",
            a.json
        );
        assert_eq!(token_ids(&overview(&w, &mallory).await), [mallory_token]);
        t.cleanup().await;
    }
}

/// Case 2: a company's SIRET saved as a commune, with a commune's name: the
/// instructor reads that the directory does not know it, not "personne
/// morale de droit public", and a justification was required.
#[tokio::test]
async fn the_instructor_reads_what_the_directory_says_not_the_claim() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let mut claim = RequestData::example();
        claim.organisation.siret = "552 032 534 00646".into();
        claim.organisation.name = "Mairie de Danone".into();
        claim.organisation.legal_category = "7210".into();
        claim.organisation.active = Some(true);
        let id = create(&w).await;
        let a = save(&w, &w.alice, id, 1, "danone", &claim).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = submit(&w, id, 2).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (422, "invalid"),
            "{}: a justification is required: {}",
            t.name,
            a.json
        );
        assert!(
            a.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("organisation"),
            "{}",
            a.json
        );
        claim.organisation.justification = "Mission de service public de restauration.".into();
        let a = save(&w, &w.alice, id, 2, "danone-2", &claim).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = submit(&w, id, 3).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let r = review(&w, id).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["eligible"], false, "{}", t.name);
        assert_eq!(r.json["identity"]["verified"], false);
        assert_eq!(
            r.json["identity"]["verdict"],
            "Non trouvé dans l’annuaire : à vérifier"
        );
        assert_eq!(r.json["identity"]["claimed_name"], "Mairie de Danone");
        let message = r.json["eligibility_message"].as_str().unwrap_or("");
        assert!(!message.contains("droit public : elle peut"), "{message}");
        // The page says so too.
        let (_, _, page) = get_raw(
            &w.app,
            &format!("/instruction/demandes/{id}"),
            Some(&w.instructor),
        )
        .await;
        let page = String::from_utf8_lossy(&page);
        assert!(
            page.contains("Non trouvé dans l’annuaire : à vérifier"),
            "{page}"
        );
        assert!(page.contains("Mairie de Danone"));
        t.cleanup().await;
    }
}

/// Case 3: with the online search off (the default), the Région Occitanie
/// (built into the offline directory) is verified, and an organisation no
/// directory knows can apply with a justification, flagged for the
/// instructor.
#[tokio::test]
async fn known_bodies_are_verified_and_unknown_ones_can_apply() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        // The lookup finds the Région offline.
        let a = post_form(
            &w.app,
            "/api/requests/lookup_organisation",
            &[("siret", "200 053 791 00014")],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json["legal_category"], "7230", "{}", a.json);
        // The wizard's name search finds it too, with its SIRET.
        let a = post_form(
            &w.app,
            "/api/requests/search_organisations",
            &[("q", "région occitanie")],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(
            a.json["hits"][0]["name"], "Région — Occitanie",
            "{}",
            a.json
        );
        assert_eq!(a.json["hits"][0]["siret"], "20005379100014");
        assert_eq!(a.json["hits"][0]["online"], false);
        assert_eq!(a.json["online_unavailable"], false);
        // Too short: a French error on the search field, not a 500.
        let a = post_form(
            &w.app,
            "/api/requests/search_organisations",
            &[("q", " r ")],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 422, "{}", a.json);
        assert_eq!(a.json["field"], "recherche", "{}", a.json);
        assert!(
            a.json["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Saisissez au moins 2")),
            "{}",
            a.json
        );
        let (region, _) = submitted_with(&w, &RequestData::example()).await;
        let r = review(&w, region).await;
        assert_eq!(r.json["identity"]["verified"], true, "{}", r.json);
        assert_eq!(r.json["eligible"], true);
        assert_eq!(r.json["identity"]["name"], "Région — Occitanie");
        assert!(
            r.json["identity"]["verdict"]
                .as_str()
                .unwrap_or("")
                .starts_with("Vérifié dans l’annuaire"),
            "{}",
            r.json
        );

        // A CHU the offline directory does not know (no online search).
        let mut chu = RequestData::example();
        chu.organisation.siret = "130 027 376 00016".into();
        chu.organisation.name = "CHU de Montpellier".into();
        chu.organisation.legal_category.clear();
        chu.organisation.active = None;
        let errors = chu.validate_step(guichet::domain::request::Step::Organisation);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("ne figure pas dans l’annuaire"));
        chu.organisation.justification = "Établissement public de santé.".into();
        let (id, _) = submitted_with(&w, &chu).await;
        let r = review(&w, id).await;
        assert_eq!(r.json["identity"]["verified"], false, "{}", r.json);
        assert_eq!(r.json["eligible"], false);
        assert_eq!(
            r.json["identity"]["justification"],
            "Établissement public de santé."
        );
        t.cleanup().await;
    }
}

/// Case 4: bad arguments get their 4xx whether or not the browser offers
/// compression.
#[tokio::test]
async fn bad_arguments_get_the_same_status_with_compression() {
    let t = TestDb::sqlite().await;
    let w = world(&t).await;
    for (path, content_type, body) in [
        (
            "/api/requests/get",
            "application/x-www-form-urlencoded",
            "id=abc",
        ),
        ("/api/requests/save", "application/json", "{\"id\": \"x\""),
        ("/api/requests/save", "application/json", "[]"),
    ] {
        let plain =
            post_bytes_uncompressed(&w.app, path, content_type, body.into(), Some(&w.alice)).await;
        let browser = post_bytes(&w.app, path, content_type, body.into(), Some(&w.alice)).await;
        assert_eq!(plain.status, 400, "{path}: {}", plain.json);
        assert_eq!(
            browser.status, 400,
            "{path} with gzip, br: {}",
            browser.json
        );
        assert_eq!(browser.code(), "bad_request");
        assert!(
            browser.headers.get("content-encoding").is_some()
                || browser.json.to_string().len() < 1024,
            "a small answer may stay uncompressed"
        );
    }
    t.cleanup().await;
}

/// Case 5: registering someone else's address first gives nothing.
#[tokio::test]
async fn unconfirmed_accounts_cannot_pre_empt_anyone() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        const ATTACKER_PASSWORD: &str = "mot de passe de l attaquant 42";
        // The attacker registers the future technical contact's address.
        let a = register(&w, TECHNICAL, ATTACKER_PASSWORD, 1).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let attacker_link = last_token(&t.db, "email_confirmation", TECHNICAL).await;

        // Alice's request naming that address is accepted.
        let (id, v) = submitted_with(&w, &RequestData::example()).await;
        let a = accept(&w, id, v, &["unites_legales_etablissements_insee"]).await;
        assert_eq!(a.status, 200, "{}", a.json);

        // The owner, unaware, clicks the confirmation link the attacker's
        // registration sent: the attacker's password still opens nothing.
        let _ = post_form(
            &w.app,
            "/api/auth/confirm_email",
            &[("token", &attacker_link)],
            None,
        )
        .await;
        let a = login(&w, TECHNICAL, ATTACKER_PASSWORD, [10, 3, 0, 1]).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (401, "invalid_credentials"),
            "{}: {}",
            t.name,
            a.json
        );
        // The owner chooses a password through the acceptance email.
        let a = choose_password_from_acceptance(&w, &t.db, TECHNICAL).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let tech = sign_in(&w.app, TECHNICAL, PASSWORD, [10, 3, 0, 2]).await;
        assert_eq!(token_ids(&overview(&w, &tech).await).len(), 1);

        // Registration over an unconfirmed account takes the new password.
        const VICTIM: &str = "agent@herault.fr";
        for (password, ip) in [(ATTACKER_PASSWORD, 5), (PASSWORD, 6)] {
            let a = register(&w, VICTIM, password, ip).await;
            assert_eq!(a.status, 200, "{}", a.json);
        }
        let link = last_token(&t.db, "email_confirmation", VICTIM).await;
        let a = post_form(&w.app, "/api/auth/confirm_email", &[("token", &link)], None).await;
        assert_eq!(a.status, 200, "{}", a.json);
        sign_in(&w.app, VICTIM, PASSWORD, [10, 3, 0, 7]).await;
        let a = login(&w, VICTIM, ATTACKER_PASSWORD, [10, 3, 0, 1]).await;
        assert_eq!(a.code(), "invalid_credentials", "{}", a.json);

        // An invitation over an unconfirmed account: the password goes.
        const FUTURE: &str = "futur.instructeur@beta.gouv.fr";
        let a = register(&w, FUTURE, ATTACKER_PASSWORD, 8).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let app_state = state(t.db.clone());
        let invited =
            guichet::server::auth::accounts::invite(&app_state, FUTURE, Role::Instructor, true)
                .await;
        assert!(invited.is_ok(), "{invited:?}");
        let user = guichet::server::db::users::find_by_email(&t.db, FUTURE)
            .await
            .expect("db")
            .expect("user");
        assert_eq!((user.role, user.password_hash), (Role::Instructor, None));
        t.cleanup().await;
    }
}

/// Sign-ins are limited per account whatever address they come from; the
/// owner is told once; the lock says so in French and a new password lifts
/// it.
#[tokio::test]
async fn sign_ins_are_limited_per_account() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        for i in 0..5u8 {
            let a = login(&w, "alice@occitanie.fr", "pas le bon", [10, 4, 0, i]).await;
            let expected = if i < 4 {
                "invalid_credentials"
            } else {
                "rate_limited"
            };
            assert_eq!(a.code(), expected, "{}: attempt {i}: {}", t.name, a.json);
        }
        // The right password, from yet another address: still refused.
        let a = login(&w, "alice@occitanie.fr", PASSWORD, [10, 4, 1, 1]).await;
        assert_eq!(
            (a.status.as_u16(), a.code()),
            (429, "rate_limited"),
            "{}",
            a.json
        );
        let message = a.json["message"].as_str().unwrap_or("");
        assert!(
            message.contains("minutes") && message.contains("Mot de passe oublié"),
            "{message}"
        );
        let told: Vec<(String, String)> = outbox(&t.db)
            .await
            .into_iter()
            .filter(|(k, _)| k == "sign_in_locked")
            .collect();
        assert_eq!(told.len(), 1, "{}", t.name);
        assert_eq!(told[0].1, "alice@occitanie.fr");
        // An address without an account is locked alike (the lock tells
        // nothing), and nobody is emailed.
        for i in 0..6u8 {
            login(&w, "personne@nulle-part.fr", "x", [10, 4, 2, i]).await;
        }
        let a = login(&w, "personne@nulle-part.fr", "x", [10, 4, 3, 1]).await;
        assert_eq!(a.code(), "rate_limited");
        assert_eq!(
            outbox(&t.db)
                .await
                .iter()
                .filter(|(k, _)| k == "sign_in_locked")
                .count(),
            1
        );
        // A new password through the emailed link lifts the lock.
        post_form(
            &w.app,
            "/api/auth/request_password_reset",
            &[("email", "alice@occitanie.fr")],
            None,
        )
        .await;
        let link = last_token(&t.db, "password_reset", "alice@occitanie.fr").await;
        let a = post_form(
            &w.app,
            "/api/auth/reset_password",
            &[
                ("token", &link),
                ("password", "une toute nouvelle phrase secrète"),
            ],
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        sign_in(
            &w.app,
            "alice@occitanie.fr",
            "une toute nouvelle phrase secrète",
            [10, 4, 4, 1],
        )
        .await;
        // Counts whose window and lock are over are deleted.
        let later = guichet::server::db::now_ms() + 3_600_000;
        let window = guichet::server::auth::accounts::SIGN_IN_WINDOW_MS;
        let pruned = guichet::server::db::users::prune_sign_in_failures(&t.db, later, window)
            .await
            .expect("prune");
        assert_eq!(pruned, 1, "{}: the address without an account", t.name);
        t.cleanup().await;
    }
}

/// A draft never submitted is its applicant's alone: staff read it neither
/// through the function nor through its attachments.
#[tokio::test]
async fn drafts_are_private_until_submitted() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let id = create(&w).await;
        let a = save(&w, &w.alice, id, 1, "brouillon", &RequestData::example()).await;
        assert_eq!(a.status, 200, "{}", a.json);
        // Staff are not even told it exists; another applicant is refused.
        for (cookie, status) in [(&w.instructor, 404), (&w.bob, 403)] {
            let a = get(&w, cookie, id).await;
            assert_eq!(a.status, status, "{}: {}", t.name, a.json);
            assert!(!a.json.to_string().contains("Occitanie"));
        }
        assert_eq!(get(&w, &w.alice, id).await.status, 200);
        let a = submit(&w, id, 2).await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(get(&w, &w.instructor, id).await.status, 200);
        assert_eq!(get(&w, &w.bob, id).await.status, 403);
        t.cleanup().await;
    }
}

/// Behind one proxy, the client is the right-most forwarded address: what
/// a client writes to the left does not give it new attempts.
#[tokio::test]
async fn forged_forwarded_addresses_do_not_escape_the_limit() {
    let t = TestDb::sqlite().await;
    let mut st = state(t.db.clone());
    st.proxy = guichet::server::client_ip::ProxyTrust::Hops(1);
    st.auth_per_minute = 3;
    let app = guichet::server::http::router(st);
    // Five attempts through our proxy, each with its own forwarded chain:
    // the limit (3) holds after the third.
    let limited_after_three = |chains: Vec<String>| {
        let app = app.clone();
        async move {
            let mut codes = Vec::new();
            for chain in chains {
                let a = post_form_with(
                    &app,
                    "/api/auth/request_password_reset",
                    &[("x-forwarded-for", &chain)],
                    [127, 0, 0, 1],
                )
                .await;
                codes.push(a.status.as_u16());
            }
            assert!(
                codes[..3].iter().all(|c| *c != 429) && codes[3..] == [429, 429],
                "{codes:?}"
            );
        }
    };
    limited_after_three(
        (0..5)
            .map(|i| format!("198.51.100.{i}, 203.0.113.9"))
            .collect(),
    )
    .await;
    // IPv6: one /64, one counter.
    limited_after_three((0..5).map(|i| format!("2001:db8:7:7::{i:x}")).collect()).await;
    t.cleanup().await;
}

/// A renewal's body with the three points confirmed.
pub(crate) fn confirmed(token_id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": token_id,
        "check": { "purpose": true, "contacts": true, "data": true },
        "remove": [],
    })
}
