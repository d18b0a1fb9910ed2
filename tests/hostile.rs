//! Hostile input: a property campaign on every server function (random
//! JSON, forms and bytes, signed in with a role the function admits), the
//! SIRET, email, URL and PDF checks under random input, and text holding
//! HTML shown as text everywhere.

use crate::common;

use common::world::{PASSWORD, submitted_with, world_on};
use common::*;
use guichet::domain::lifecycle::Role;
use guichet::server::policy;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// Field names the server functions take, so that random bodies reach
/// their own checks rather than stopping at a missing field.
const KEYS: &[&str] = &[
    "id",
    "version",
    "save_id",
    "earlier",
    "data",
    "scopes",
    "message",
    "reason",
    "fields",
    "email",
    "password",
    "current",
    "token",
    "siret",
    "q",
    "page",
    "state",
    "sort",
    "take",
    "body",
    "role",
    "attachment_id",
    "filter",
];

/// Strings a hostile client would try.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        Just("<script>alert(1)</script>".to_owned()),
        Just("../../../../etc/passwd".to_owned()),
        Just("\u{0}\u{202e}\u{feff}".to_owned()),
        Just("'; DROP TABLE requests; --".to_owned()),
        Just("9".repeat(400)),
        Just("é".repeat(70_000)),
        Just("-1".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("NaN".to_owned()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        nasty_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// A request body and its content type.
#[derive(Debug, Clone)]
enum Input {
    Json(Value),
    /// Fields of the function with random values.
    Object(Vec<(&'static str, Value)>),
    Form(Vec<(&'static str, String)>),
    Bytes(&'static str, Vec<u8>),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        json_value().prop_map(Input::Json),
        prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..8)
            .prop_map(Input::Object),
        prop::collection::vec((prop::sample::select(KEYS), nasty_string()), 0..8)
            .prop_map(Input::Form),
        (
            prop::sample::select(vec![
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "multipart/form-data; boundary=x",
            ]),
            prop::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(|(ct, b)| Input::Bytes(ct, b)),
    ]
}

fn body_of(input: &Input) -> (&'static str, Vec<u8>) {
    match input {
        Input::Json(v) => ("application/json", v.to_string().into_bytes()),
        Input::Object(kv) => {
            let map: serde_json::Map<String, Value> = kv
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect();
            (
                "application/json",
                Value::Object(map).to_string().into_bytes(),
            )
        }
        Input::Form(kv) => {
            let form = kv
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect::<Vec<_>>()
                .join("&");
            ("application/x-www-form-urlencoded", form.into_bytes())
        }
        Input::Bytes(ct, b) => (ct, b.clone()),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What an error answer must be: a stable code and a French message that
/// names no internals.
fn check_answer(path: &str, a: &Answer) -> Result<(), TestCaseError> {
    let status = a.status.as_u16();
    prop_assert!(status < 500, "{path}: {status} {}", a.json);
    if status >= 400 {
        let code = a.code();
        prop_assert!(
            !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{path}: {status} without a stable code: {}",
            a.json
        );
        let message = a.json["message"].as_str().unwrap_or_default();
        prop_assert!(!message.is_empty(), "{path}: no message: {}", a.json);
        for internal in [
            "serde",
            "expected ",
            "invalid type",
            "missing field",
            "at line",
            "Error",
            "panicked",
            "sqlx",
            "unknown variant",
        ] {
            prop_assert!(
                !message.contains(internal),
                "{path}: the message shows internals ({internal}): {message}"
            );
        }
    }
    Ok(())
}

/// Which account calls `path`: one the policy lets in, so that the input
/// reaches the function.
fn caller_for(path: &str) -> Option<(&'static str, Role)> {
    let rule = policy::rule_for(path)?;
    [
        ("demandeur@ville.fr", Role::Applicant),
        ("instructeur@beta.gouv.fr", Role::Instructor),
        ("admin@beta.gouv.fr", Role::Admin),
    ]
    .into_iter()
    .find(|(_, role)| rule.access.allows(Some(*role)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_answers_random_input_with_a_french_4xx() {
    let cases: u32 = std::env::var("GUICHET_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    for t in TestDb::all().await {
        let mut state = state(t.db.clone());
        state.auth_per_minute = 1_000_000;
        let app = guichet::server::http::router(state);
        for (email, role) in [
            ("demandeur@ville.fr", Role::Applicant),
            ("instructeur@beta.gouv.fr", Role::Instructor),
            ("admin@beta.gouv.fr", Role::Admin),
        ] {
            create_account(&t.db, email, PASSWORD, role).await;
        }
        let paths: Vec<&'static str> = leptos::server_fn::axum::server_fn_paths()
            .map(|(p, _)| p)
            .collect();
        let mut total = 0;
        // One live session per account (staff sign in with their app's code,
        // which serves once), signed in again when a call ended it.
        let mut sessions: std::collections::HashMap<&str, String> =
            std::collections::HashMap::new();
        for path in &paths {
            let account = caller_for(path);
            let mut cookie = match account {
                Some((email, _)) => {
                    let kept = sessions.get(email).cloned();
                    let c = match kept {
                        Some(c) if whoami(&app, Some(&c)).await.is_some() => c,
                        _ => sign_in(&app, email, PASSWORD, [10, 7, 0, 1]).await,
                    };
                    sessions.insert(email, c.clone());
                    Some(c)
                }
                None => None,
            };
            // proptest's runner is synchronous: generate the inputs, then send.
            let mut runner = TestRunner::new(Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            });
            let strategy = input();
            let mut inputs = Vec::new();
            for _ in 0..cases {
                let tree = strategy.new_tree(&mut runner).expect("input");
                inputs.push(tree.current());
            }
            for input in inputs {
                let (content_type, bytes) = body_of(&input);
                // As a script sends it, then as a browser does (compression
                // offered): the same status either way.
                let plain = post_bytes_uncompressed(
                    &app,
                    path,
                    content_type,
                    bytes.clone(),
                    cookie.as_deref(),
                )
                .await;
                let a = post_bytes(&app, path, content_type, bytes, cookie.as_deref()).await;
                total += 2;
                // Arguments that cannot be read are refused alike (a call
                // that did something may answer otherwise the second time).
                let unread = plain.code() == "bad_request" || a.code() == "bad_request";
                let same = (!unread || (plain.status == a.status && plain.code() == a.code()))
                    .then_some(())
                    .ok_or_else(|| {
                        TestCaseError::fail(format!(
                            "{path}: {} {} without compression, {} {} with gzip, br",
                            plain.status, plain.json, a.status, a.json
                        ))
                    });
                if let Err(e) = check_answer(path, &plain)
                    .and(check_answer(path, &a))
                    .and(same)
                {
                    let shown = format!("{input:?}");
                    panic!(
                        "{}: {e}\ninput: {}",
                        t.name,
                        shown.chars().take(2000).collect::<String>()
                    );
                }
                // A random call may end the session (logout, password change):
                // sign in again so the campaign keeps reaching the function.
                if a.code() == "unauthenticated"
                    && let Some((email, _)) = account
                {
                    let c = sign_in(&app, email, PASSWORD, [10, 7, 0, 1]).await;
                    sessions.insert(email, c.clone());
                    cookie = Some(c);
                }
            }
        }
        eprintln!(
            "{}: {total} random calls to {} server functions, none answered 5xx",
            t.name,
            paths.len()
        );
        t.cleanup().await;
    }
}

/// 13 digits and the Luhn check digit that makes them a valid SIRET.
fn with_check_digit(first: &[u8]) -> String {
    let mut s: String = first.iter().map(|d| char::from(b'0' + d % 10)).collect();
    for last in 0..10u8 {
        let candidate = format!("{s}{last}");
        let sum: u32 = candidate
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                } else {
                    d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            s.push(char::from(b'0' + last));
            return s;
        }
    }
    unreachable!("one check digit always fits")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn siret_check_never_panics_and_accepts_only_14_digits(input in "\\PC{0,30}|[0-9 .-]{10,20}") {
        use guichet::domain::siret::Siret;
        if let Ok(s) = Siret::parse(&input) {
            prop_assert_eq!(s.as_str().len(), 14);
            prop_assert!(s.as_str().bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(Siret::parse(&s.formatted()).map(|x| x.as_str().to_owned()), Ok(s.as_str().to_owned()));
        }
    }

    #[test]
    fn a_siret_with_its_check_digit_is_accepted_and_one_wrong_digit_refused(
        first in prop::collection::vec(0u8..10, 13),
        at in 0usize..14,
        delta in 1u8..10,
    ) {
        use guichet::domain::siret::Siret;
        let valid = with_check_digit(&first);
        prop_assert!(Siret::parse(&valid).is_ok(), "{}", valid);
        // Spaces as people type them do not matter.
        let spaced = format!("{} {} {} {}", &valid[..3], &valid[3..6], &valid[6..9], &valid[9..]);
        prop_assert!(Siret::parse(&spaced).is_ok());
        // Luhn catches every single wrong digit (La Poste's SIREN has its own rule).
        if !valid.starts_with("356000000") {
            let mut bytes = valid.clone().into_bytes();
            bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
            let wrong = String::from_utf8(bytes).expect("digits");
            prop_assert!(Siret::parse(&wrong).is_err(), "{}", wrong);
        }
    }

    #[test]
    fn email_check_never_panics_and_agrees_with_its_rules(
        input in "\\PC{0,40}",
        local in "[a-z0-9._%+-]{1,20}",
        domain in "[a-z0-9-]{1,20}",
        tld in "[a-z]{2,6}",
    ) {
        use guichet::domain::request::is_email;
        if is_email(&input) {
            prop_assert_eq!(input.matches('@').count(), 1);
            prop_assert!(!input.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
        let email = format!("{local}@{domain}.{tld}");
        prop_assert!(is_email(&email), "{}", email);
        let spaced = format!("{local} @{domain}.{tld}");
        prop_assert!(!is_email(&spaced));
        let html = format!("<script>{local}</script>@{domain}.{tld}");
        prop_assert!(!is_email(&html), "{}", html);
    }

    #[test]
    fn url_check_never_panics_and_takes_only_web_addresses(
        input in "\\PC{0,60}",
        host in "[a-z0-9-]{1,20}",
        tld in "[a-z]{2,6}",
        path in "[a-zA-Z0-9/._~-]{0,30}",
    ) {
        use guichet::domain::request::is_web_url;
        if is_web_url(&input) {
            prop_assert!(input.starts_with("https://") || input.starts_with("http://"));
            prop_assert!(!input.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
        let url = format!("https://{host}.{tld}/{path}");
        prop_assert!(is_web_url(&url), "{}", url);
        for scheme in ["javascript:", "data:", "file://", "ftp://", "//"] {
            let bad = format!("{scheme}{host}.{tld}/{path}");
            prop_assert!(!is_web_url(&bad), "{}", bad);
        }
    }

    #[test]
    fn pdf_check_never_panics_and_wants_a_whole_pdf(
        bytes in prop::collection::vec(any::<u8>(), 0..2_000),
        middle in prop::collection::vec(any::<u8>(), 0..3_000),
    ) {
        use guichet::server::attachments::check_pdf;
        if check_pdf(&bytes).is_ok() {
            prop_assert!(bytes.starts_with(b"%PDF-"));
        }
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend_from_slice(&middle);
        pdf.extend_from_slice(b"\n%%EOF\n");
        prop_assert!(check_pdf(&pdf).is_ok());
        let mut html = b"<!DOCTYPE html><html>".to_vec();
        html.extend_from_slice(&pdf);
        prop_assert!(check_pdf(&html).is_err(), "HTML holding a PDF is not a PDF");
        pdf.truncate(pdf.len() - 7);
        if !pdf[pdf.len().saturating_sub(1024)..].windows(5).any(|w| w == b"%%EOF") {
            prop_assert!(check_pdf(&pdf).is_err(), "a truncated PDF is refused");
        }
    }

    #[test]
    fn attachment_names_never_leave_their_folder(raw in "\\PC{0,300}|([./\\\\]{1,6}[a-z]{0,8}){1,6}") {
        use guichet::server::attachments::{MAX_NAME_CHARS, clean_file_name};
        let name = clean_file_name(&raw);
        prop_assert!(name.ends_with(".pdf"), "{}", name);
        prop_assert!(!name.contains('/') && !name.contains('\\'), "{}", name);
        prop_assert!(!name.starts_with('.'), "{}", name);
        prop_assert!(!name.chars().any(char::is_control), "{}", name);
        prop_assert!(name.chars().count() <= MAX_NAME_CHARS, "{}", name);
    }
}

#[test]
fn path_traversal_names_keep_only_their_last_part() {
    use guichet::server::attachments::clean_file_name;
    assert_eq!(clean_file_name("../../etc/passwd"), "passwd.pdf");
    assert_eq!(clean_file_name("..\\..\\Windows\\win.ini"), "win.ini.pdf");
    assert_eq!(clean_file_name("/.."), "document.pdf");
    assert_eq!(
        clean_file_name("convention <signée>.PDF"),
        "convention signée.pdf"
    );
}

/// What a hostile applicant types in every free-text field.
const PAYLOAD: &str = "<script>alert(1)</script><b>gras</b>";

/// Markup of `PAYLOAD` found unescaped in `html`, if any.
fn raw_markup(html: &str) -> Option<&'static str> {
    ["<script>alert(1)", "<b>gras</b>"]
        .into_iter()
        .find(|m| html.contains(m))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_in_every_text_field_is_shown_as_text_everywhere() {
    for t in TestDb::all().await {
        let w = world_on(&t, app(t.db.clone())).await;
        let mut d = guichet::domain::request::RequestData::example();
        let tag = |s: &mut String| s.push_str(PAYLOAD);
        tag(&mut d.organisation.name);
        tag(&mut d.organisation.justification);
        tag(&mut d.context.title);
        tag(&mut d.context.description);
        tag(&mut d.context.end_users);
        for j in d.data.justifications.values_mut() {
            tag(j);
        }
        tag(&mut d.legal.basis);
        tag(&mut d.legal.recipients);
        tag(&mut d.legal.retention_justification);
        for c in [
            &mut d.contacts.dpo,
            &mut d.contacts.controller,
            &mut d.contacts.business,
            &mut d.contacts.technical,
        ] {
            tag(&mut c.given_name);
            tag(&mut c.family_name);
            tag(&mut c.job_title);
        }
        let (id, version) = submitted_with(&w, &d).await;
        let a = post_form(
            &w.app,
            "/api/messages/send",
            &[("id", &id.to_string()), ("body", PAYLOAD)],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let a = post_json(
            &w.app,
            "/api/instruction/request_changes",
            &json!({ "id": id, "version": version, "message": PAYLOAD, "fields": ["legal.basis"] }),
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);

        let pages = [
            ("/instruction", &w.instructor),
            (
                &*format!("/instruction?q={}", urlencode(PAYLOAD)),
                &w.instructor,
            ),
            (&*format!("/instruction/demandes/{id}"), &w.instructor),
            ("/demandes", &w.alice),
            (&*format!("/demandes/{id}"), &w.alice),
            (&*format!("/demandes/{id}/etape/2"), &w.alice),
            (&*format!("/demandes/{id}/etape/6"), &w.alice),
        ];
        for (path, cookie) in pages {
            let (status, _, body) = get_raw(&w.app, path, Some(cookie)).await;
            let html = String::from_utf8_lossy(&body);
            assert_eq!(status, 200, "{}: {path}", t.name);
            if let Some(m) = raw_markup(&html) {
                let at = html.find(m).unwrap_or(0);
                let from = html.floor_char_boundary(at.saturating_sub(300));
                let to = html.ceil_char_boundary((at + 100).min(html.len()));
                panic!("{}: {path} shows markup: …{}…", t.name, &html[from..to]);
            }
            assert!(
                html.contains("&lt;script&gt;alert(1)") || html.contains("\\u003cscript"),
                "{}: {path} does not show the text at all",
                t.name
            );
        }
        // Emails: the HTML part escapes, the text part is text.
        let mails: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, body_html FROM email_outbox")
                .fetch_all(&t.db.pool)
                .await
                .expect("outbox");
        let mut with_payload = 0;
        for (kind, html) in &mails {
            assert_eq!(raw_markup(html), None, "{}: email {kind}", t.name);
            if html.contains("&lt;script&gt;") {
                with_payload += 1;
            }
        }
        assert!(
            with_payload >= 2,
            "{}: the title and the message reach the emails: {mails:?}",
            t.name
        );
        t.cleanup().await;
    }
}

/// The title of Alice's request: found anywhere Bob looks, it leaked.
const MARK: &str = "Marqueur-Alice-7f3";

/// What Alice's organisation holds, as the database says: any change made
/// by someone else's calls shows here.
async fn holdings(t: &TestDb, id: i64) -> String {
    let request: (String, i64) =
        sqlx::query_as("SELECT state, version FROM requests WHERE id = $1")
            .bind(id)
            .fetch_one(&t.db.pool)
            .await
            .expect("request");
    let token: (String, i64, Option<i64>) =
        sqlx::query_as("SELECT id, expires_at, revoked_at FROM tokens WHERE request_id = $1")
            .bind(id)
            .fetch_one(&t.db.pool)
            .await
            .expect("token");
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM attachments WHERE request_id = $1 AND deleted_at IS NULL), \
         (SELECT COUNT(*) FROM messages WHERE request_id = $1), \
         (SELECT COUNT(*) FROM requests WHERE title = $2)",
    )
    .bind(id)
    .bind(MARK)
    .fetch_one(&t.db.pool)
    .await
    .expect("counts");
    format!("{request:?} {token:?} {counts:?}")
}

/// Bob, an applicant of another organisation, tries every object of
/// Alice's (request, attachment, token, messages) through every server
/// function and every page: nothing is shown, nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisation_reaches_no_object_of_alice_through_any_endpoint() {
    for t in TestDb::all().await {
        let mut st = state(t.db.clone());
        st.auth_per_minute = 1_000_000;
        let w = world_on(&t, guichet::server::http::router(st)).await;
        let id = common::world::create(&w).await;
        let pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n".to_vec();
        let a = post_bytes(
            &w.app,
            &format!("/demandes/{id}/pieces-jointes?nom=convention.pdf"),
            "application/pdf",
            pdf,
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 201, "{}: {}", t.name, a.json);
        let mut data = guichet::domain::request::RequestData::example();
        data.context.title = MARK.to_owned();
        let got = common::world::get(&w, &w.alice, id).await;
        data.legal.attachments =
            serde_json::from_value(got.json["data"]["legal"]["attachments"].clone())
                .expect("attachments");
        let a = common::world::save(&w, &w.alice, id, 1, "complet", &data).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = common::world::submit(&w, id, a.json["version"].as_i64().expect("v")).await;
        assert_eq!(a.status, 200, "{}", a.json);
        let a = post_form(
            &w.app,
            "/api/messages/send",
            &[("id", &id.to_string()), ("body", MARK)],
            Some(&w.alice),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        let version = common::world::get(&w, &w.alice, id).await.json["version"]
            .as_i64()
            .expect("version");
        let a = post_json(
            &w.app,
            "/api/instruction/accept",
            &json!({ "id": id, "version": version,
                "scopes": ["unites_legales_etablissements_insee"], "message": "" }),
            Some(&w.instructor),
        )
        .await;
        assert_eq!(a.status, 200, "{}: {}", t.name, a.json);
        let (token_id,): (String,) = sqlx::query_as("SELECT id FROM tokens WHERE request_id = $1")
            .bind(id)
            .fetch_one(&t.db.pool)
            .await
            .expect("token");
        let (attachment_id,): (String,) =
            sqlx::query_as("SELECT id FROM attachments WHERE request_id = $1")
                .bind(id)
                .fetch_one(&t.db.pool)
                .await
                .expect("attachment");
        let version = common::world::get(&w, &w.alice, id).await.json["version"]
            .as_i64()
            .expect("version");
        let before = holdings(&t, id).await;
        let secrets = [
            MARK,
            token_id.as_str(),
            common::JWT_PREFIX,
            "alice@occitanie.fr",
        ];
        let leaked = |body: &str| secrets.into_iter().find(|s| body.contains(s));

        // Every server function, with Alice's ids in every field it may
        // read, as JSON and as a form.
        let ids = json!({
            "id": id, "version": version, "attachment_id": attachment_id,
            "token": token_id, "save_id": "bob", "data": data,
            "scopes": ["unites_legales_etablissements_insee"], "message": "x",
            "reason": "x", "fields": ["legal.basis"], "body": "x", "take": true,
        });
        let form: Vec<(String, String)> = ids
            .as_object()
            .expect("object")
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.clone(), s.clone())),
                Value::Number(n) => Some((k.clone(), n.to_string())),
                Value::Bool(b) => Some((k.clone(), b.to_string())),
                _ => None,
            })
            .collect();
        let paths: Vec<&'static str> = leptos::server_fn::axum::server_fn_paths()
            .map(|(p, _)| p)
            .filter(|p| !p.starts_with("/api/auth/"))
            .collect();
        let mut tried = 0;
        for path in &paths {
            let bob = sign_in(&w.app, "bob@herault.fr", PASSWORD, [10, 8, 0, 1]).await;
            let with_token_id: Vec<(&str, &str)> = vec![("id", token_id.as_str())];
            let form_ref: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            for a in [
                post_json(&w.app, path, &ids, Some(&bob)).await,
                post_form(&w.app, path, &form_ref, Some(&bob)).await,
                post_form(&w.app, path, &with_token_id, Some(&bob)).await,
            ] {
                tried += 1;
                let body = a.json.to_string();
                assert_eq!(
                    leaked(&body),
                    None,
                    "{}: {path} showed Alice's: {body}",
                    t.name
                );
                if a.status.is_success() && *path != "/api/requests/create" {
                    // What succeeds is about Bob himself (his list, his
                    // space, the public figures).
                    assert!(
                        matches!(
                            *path,
                            "/api/requests/mine"
                                | "/api/space/overview"
                                | "/api/public/request_counts"
                                | "/api/requests/lookup_organisation"
                                | "/api/requests/search_organisations"
                                | "/api/templates/list"
                                | "/api/templates/get"
                        ),
                        "{}: {path} succeeded for Bob: {body}",
                        t.name
                    );
                }
            }
        }
        // Pages and downloads.
        let bob = sign_in(&w.app, "bob@herault.fr", PASSWORD, [10, 8, 0, 2]).await;
        let mut pages: Vec<String> = (1..=6)
            .map(|n| format!("/demandes/{id}/etape/{n}"))
            .collect();
        pages.extend([
            format!("/demandes/{id}"),
            format!("/pieces-jointes/{attachment_id}"),
            format!("/instruction/demandes/{id}"),
            "/espace".to_owned(),
            "/demandes".to_owned(),
            "/instruction".to_owned(),
            format!("/instruction?q={id}"),
            "/admin/comptes".to_owned(),
            "/dev/mails".to_owned(),
        ]);
        for page in &pages {
            let (status, _, body) = get_raw(&w.app, page, Some(&bob)).await;
            let html = String::from_utf8_lossy(&body);
            if let Some(s) = leaked(&html) {
                let at = html.find(s).unwrap_or(0);
                let from = html.floor_char_boundary(at.saturating_sub(600));
                let to = html.ceil_char_boundary((at + 200).min(html.len()));
                panic!(
                    "{}: {page} ({status}) showed Alice's: …{}…",
                    t.name,
                    &html[from..to]
                );
            }
            assert!(!html.contains("%PDF"), "{}: {page}", t.name);
            tried += 1;
        }
        assert_eq!(
            holdings(&t, id).await,
            before,
            "{}: Bob changed Alice's objects",
            t.name
        );
        eprintln!(
            "{}: {tried} attempts on Alice's objects, none reached them",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_oversized_and_undecodable_bodies_get_a_french_4xx() {
    let t = TestDb::sqlite().await;
    let w = world_on(&t, app(t.db.clone())).await;
    let id = common::world::create(&w).await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_data = format!(
        "{{\"id\":{id},\"version\":1,\"save_id\":\"x\",\"data\":{}{}}}",
        "{\"a\":".repeat(50_000),
        "}".repeat(50_000)
    );
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "/api/requests/save",
            "application/json",
            deep.clone().into_bytes(),
            400,
            &w.alice,
        ),
        (
            "/api/requests/save",
            "application/json",
            deep_data.into_bytes(),
            400,
            &w.alice,
        ),
        (
            "/api/instruction/accept",
            "application/json",
            deep.into_bytes(),
            400,
            &w.instructor,
        ),
        // Invalid UTF-8, in JSON and in a form.
        (
            "/api/requests/save",
            "application/json",
            b"{\"id\":\xff\xfe}".to_vec(),
            400,
            &w.alice,
        ),
        (
            "/api/requests/get",
            "application/x-www-form-urlencoded",
            b"id=\xff\xfe%FF".to_vec(),
            400,
            &w.alice,
        ),
        // A NUL character (PostgreSQL cannot store it), raw, escaped, encoded.
        (
            "/api/requests/save",
            "application/json",
            format!("{{\"id\":{id},\"version\":1,\"save_id\":\"nul\",\"data\":{{\"context\":{{\"title\":\"a\\u0000b\"}}}}}}")
                .into_bytes(),
            400,
            &w.alice,
        ),
        (
            "/api/messages/send",
            "application/x-www-form-urlencoded",
            format!("id={id}&body=a%00b").into_bytes(),
            400,
            &w.alice,
        ),
        (
            "/api/instruction/dashboard",
            "application/x-www-form-urlencoded",
            b"q=a\x00b".to_vec(),
            400,
            &w.instructor,
        ),
        // Over the 1 MB limit.
        (
            "/api/requests/save",
            "application/json",
            format!("{{\"pad\":\"{}\"}}", "a".repeat(1_100_000)).into_bytes(),
            413,
            &w.alice,
        ),
    ];
    for (path, content_type, body, expected, cookie) in cases {
        let browser = post_bytes(&w.app, path, content_type, body.clone(), Some(cookie)).await;
        assert_eq!(
            browser.status.as_u16(),
            expected,
            "{path} with gzip, br: {}",
            browser.json
        );
        let a = post_bytes_uncompressed(&w.app, path, content_type, body, Some(cookie)).await;
        assert_eq!(a.status.as_u16(), expected, "{path}: {}", a.json);
        let message = a.json["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("requête") || message.contains("volumineuse"),
            "{path}: {}",
            a.json
        );
        assert!(
            !message.contains("caractère nul") || a.code() == "bad_request",
            "{path}: {}",
            a.json
        );
    }
    // The draft is untouched and still saves.
    let a = common::world::save(
        &w,
        &w.alice,
        id,
        1,
        "apres",
        &guichet::domain::request::RequestData::example(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    t.cleanup().await;
}

/// Random path parameters and query strings on every API-Entreprise-
/// compatible endpoint, with a valid token holding every scope, with a
/// forged one and with none; and random searches of the public directory:
/// no 5xx, every refusal in API Entreprise's error shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_api_and_the_directory_answer_random_parameters_without_5xx() {
    use guichet::domain::contract::operations;
    let t = TestDb::sqlite().await;
    let st = state(t.db.clone());
    let keys = st.tokens.clone();
    let app = guichet::server::http::router(st);
    let w = world_on(&t, app.clone()).await;
    let (id, version) = submitted_with(&w, &guichet::domain::request::RequestData::example()).await;
    let a = post_json(
        &app,
        "/api/instruction/accept",
        &json!({ "id": id, "version": version,
            "scopes": ["unites_legales_etablissements_insee"], "message": "" }),
        Some(&w.instructor),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let every_scope: std::collections::BTreeSet<String> = operations()
        .iter()
        .flat_map(|o| o.scopes.iter().cloned())
        .collect();
    sqlx::query(
        "UPDATE tokens SET scopes = $1, rate_limit_per_minute = 1000000 WHERE request_id = $2",
    )
    .bind(serde_json::to_string(&every_scope).expect("json"))
    .bind(id)
    .execute(&t.db.pool)
    .await
    .expect("scopes");
    let row = guichet::server::db::spaces::token_of_request(&t.db, id)
        .await
        .expect("db")
        .expect("token");
    let token = keys
        .mint(&guichet::server::tokens::Claims::of(&row))
        .expect("mint");
    let bearers = [
        Some(token.as_str()),
        Some("eyJhbGciOiJFZERTQSJ9.e30.AAAA"),
        None,
    ];

    let mut runner = TestRunner::new(Config {
        cases: 1,
        failure_persistence: None,
        ..Config::default()
    });
    let segment = prop_oneof![
        "[0-9]{9}",
        "[0-9]{14}",
        "\\PC{0,20}",
        Just("..%2F..%2Fetc%2Fpasswd".to_owned()),
        Just("%00".to_owned()),
    ];
    let query = prop::collection::vec(
        (
            prop::sample::select(vec![
                "context",
                "object",
                "recipient",
                "siret",
                "q",
                "limit",
                "x",
            ]),
            nasty_string(),
        ),
        0..5,
    );
    let mut calls = 0;
    for op in operations() {
        for _ in 0..12 {
            let seg = segment.new_tree(&mut runner).expect("segment").current();
            let q = query.new_tree(&mut runner).expect("query").current();
            let mut path = op.path.clone();
            for p in &op.path_params {
                path = path.replace(&format!("{{{}}}", p.name), &urlencode(&seg));
            }
            let qs = q
                .iter()
                // An address of more than 64 KB is refused by the HTTP layer
                // before any route: the values are cut to 2,000 characters.
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        urlencode(&v.chars().take(2000).collect::<String>())
                    )
                })
                .collect::<Vec<_>>()
                .join("&");
            for bearer in bearers {
                let mut req = axum::http::Request::get(format!("{path}?{qs}"));
                if let Some(b) = bearer {
                    req = req.header("authorization", format!("Bearer {b}"));
                }
                let (status, _, body) =
                    send_raw(&app, req.body(axum::body::Body::empty()).expect("req")).await;
                calls += 1;
                assert!(status < 500, "{path}?{qs}: {status}");
                if matches!(status, 401 | 403 | 422 | 429) {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    assert!(
                        v["errors"][0]["code"]
                            .as_str()
                            .is_some_and(|c| c.len() == 5),
                        "{path}?{qs}: {status} {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
        }
    }
    for _ in 0..200 {
        let q = nasty_string().new_tree(&mut runner).expect("q").current();
        let q: String = q.chars().take(2000).collect();
        let req = axum::http::Request::get(format!("/api/organisations?q={}", urlencode(&q)))
            .body(axum::body::Body::empty())
            .expect("req");
        let (status, _, _) = send_raw(&app, req).await;
        calls += 1;
        assert!(status < 500, "directory search {q:?}: {status}");
    }
    // The gateways' endpoints: random credentials, tokens and cursors,
    // with a valid credential too.
    guichet::server::db::gateways::insert(
        &t.db,
        "passerelle-hostile",
        "Hostile",
        &guichet::server::auth::links::hash_token("secret-hostile"),
        1,
        0,
    )
    .await
    .expect("gateway");
    for _ in 0..100 {
        let s = nasty_string().new_tree(&mut runner).expect("s").current();
        let s: String = s.chars().take(2000).collect();
        for auth in [
            None,
            Some(format!("Basic {s}")),
            Some("Basic cGFzc2VyZWxsZS1ob3N0aWxlOnNlY3JldC1ob3N0aWxl".to_owned()),
        ] {
            for req in [
                axum::http::Request::post("/oauth/introspect")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(format!("token={}", urlencode(&s)))),
                axum::http::Request::get(format!("/oauth/revocations?since={}", urlencode(&s)))
                    .body(axum::body::Body::empty()),
            ] {
                let mut req = req.expect("req");
                if let Some(a) = &auth
                    && let Ok(v) = axum::http::HeaderValue::from_str(a)
                {
                    req.headers_mut().insert("authorization", v);
                }
                let (status, _, body) = send_raw(&app, req).await;
                calls += 1;
                assert!(status < 500, "gateway endpoint {s:?}: {status}");
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                assert!(
                    v.is_object(),
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
        }
    }
    eprintln!("{calls} random API, gateway and directory calls, none answered 5xx");
    t.cleanup().await;
}

/// Sends a request from a client address, offering compression as every
/// client library does; (status, headers, decompressed body).
async fn send_raw(
    app: &axum::Router,
    mut req: axum::http::Request<axum::body::Body>,
) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [10, 6, 0, 1],
            40_000,
        ))));
    req.headers_mut().insert(
        "accept-encoding",
        axum::http::HeaderValue::from_static(BROWSER_ENCODINGS),
    );
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let body = decoded(&headers, &body);
    (status, headers, body)
}
