//! `guichet demo`: the seed's example, ready to be visited. The Région
//! Occitanie with three accepted requests (pre-filling forms from a SIRET;
//! pre-qualifying public-aid files, with a few sensitive data; instructing
//! aid files, with many), one client space and three tokens with different
//! scopes; an instructor; and requests in the other states. Every write goes
//! through the same functions as the site (acceptance included).

use crate::domain::lifecycle::Role;
use crate::domain::request::RequestData;
use crate::server::auth::session::Viewer;
use crate::server::db::{self, spaces};
use crate::server::flows::{
    self,
    decide::{Decision, Verdict},
};
use crate::server::state::AppState;

// Reserved domain (RFC 2606): the demo's emails can reach nobody.
pub const APPLICANT: &str = "demandeur@occitanie.example";
pub const TECHNICAL: &str = "technique@occitanie.example";
pub const INSTRUCTOR: &str = "instructeur@guichet.example";

/// What the demo holds, to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demo {
    /// (request id, title, token id) of the accepted requests.
    pub accepted: Vec<(i64, String, String)>,
    /// The demo was already there: nothing written.
    pub already: bool,
}

fn sensitive_scopes() -> Vec<String> {
    crate::domain::scopes::catalogue()
        .iter()
        .filter(|s| s.sensitive && s.value != "unites_legales_etablissements_insee")
        .map(|s| s.value.clone())
        .collect()
}

/// A request of the Région with this title and these scopes (each
/// sensitive one justified).
fn request(title: &str, description: &str, scopes: &[String]) -> RequestData {
    let mut data = RequestData::example();
    data.context.title = title.to_owned();
    data.context.description = description.to_owned();
    data.contacts.technical.email = TECHNICAL.to_owned();
    for s in scopes {
        if !data.data.scopes.contains(s) {
            data.data.scopes.push(s.clone());
        }
        if crate::domain::scopes::find(s).is_some_and(|sc| sc.sensitive) {
            data.data.justifications.insert(
                s.clone(),
                "Vérifier la situation de l’entreprise avant l’attribution de l’aide.".to_owned(),
            );
        }
    }
    data
}

async fn account(state: &AppState, email: &str, role: Role, password: &str) -> Result<i64, String> {
    let hash = crate::server::auth::password::hash(password).map_err(|e| e.to_string())?;
    let now = db::now_ms();
    let mut tx = state.db.begin().await.map_err(|e| e.to_string())?;
    let id = match db::users::insert_if_absent_in(&mut tx, email, role, Some(&hash), now)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(id) => id,
        None => {
            db::users::find_by_email_in(&mut tx, email)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("compte introuvable")?
                .id
        }
    };
    db::users::set_password_in(&mut tx, id, &hash, true, now)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(id)
}

/// The viewer `id` is, to act as them.
async fn as_viewer(state: &AppState, id: i64) -> Result<Viewer, String> {
    let user = db::users::get(&state.db, id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("compte introuvable")?;
    Ok(Viewer {
        id,
        has_password: user.password_hash.is_some(),
        email: user.email,
        role: user.role,
    })
}

/// The instructor's decision on request `id`, as the review page sends it.
async fn decide(
    state: &AppState,
    instructor: i64,
    id: i64,
    verdict: Verdict,
) -> Result<(), String> {
    let by = as_viewer(state, instructor).await?;
    let decision = Decision {
        id,
        version: None,
        verdict,
    };
    flows::decide::decide(state, &by, decision)
        .await
        .map(|_| ())
        .map_err(|e| e.message)
}

/// A draft of the applicant's with `data`, submitted if `submit`.
async fn draft(
    state: &AppState,
    applicant: i64,
    data: &RequestData,
    submit: bool,
) -> Result<i64, String> {
    let id = db::requests::create_draft(&state.db, applicant, data, db::now_ms())
        .await
        .map_err(|e| e.to_string())?;
    // What the directory says of the Région, as a save would keep it.
    let check = state.check_siret(&data.organisation.siret, None).await;
    db::requests::set_organisation_check(&state.db, id, check.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    if submit {
        let by = as_viewer(state, applicant).await?;
        let r = db::requests::get(&state.db, id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("demande introuvable")?;
        flows::submit::submit(state, &by, &r, r.version)
            .await
            .map_err(|e| e.message)?;
    }
    Ok(id)
}

/// Seeds the demo with `password` for its three accounts. Run twice, the
/// second run finds the demo and writes nothing.
pub async fn seed(state: &AppState, password: &str) -> Result<Demo, String> {
    let db = &state.db;
    if let Some(user) = db::users::find_by_email(db, APPLICANT)
        .await
        .map_err(|e| e.to_string())?
    {
        let lines = db::requests::list_for_applicant(db, user.id)
            .await
            .map_err(|e| e.to_string())?;
        let mut accepted = Vec::new();
        for l in lines {
            if let Some(t) = spaces::token_of_request(db, l.id)
                .await
                .map_err(|e| e.to_string())?
            {
                accepted.push((l.id, l.title, t.id));
            }
        }
        accepted.sort();
        return Ok(Demo {
            accepted,
            already: true,
        });
    }
    let applicant = account(state, APPLICANT, Role::Applicant, password).await?;
    account(state, TECHNICAL, Role::Applicant, password).await?;
    let instructor = account(state, INSTRUCTOR, Role::Instructor, password).await?;
    let sensitive = sensitive_scopes();
    let few: Vec<String> = sensitive.iter().take(2).cloned().collect();
    let many: Vec<String> = sensitive.iter().take(8).cloned().collect();
    let plans: [(&str, &str, Vec<String>); 3] = [
        (
            "Pré-remplissage des formulaires d’aides à partir du SIRET",
            "Pré-remplir les formulaires de demande d’aide à partir du SIRET saisi.",
            vec![],
        ),
        (
            "Pré-qualification des dossiers d’aides publiques",
            "Vérifier l’éligibilité des entreprises avant l’instruction.",
            few,
        ),
        (
            "Instruction des dossiers d’aides économiques",
            "Instruire les demandes d’aides : régularité fiscale et sociale, finances.",
            many,
        ),
    ];
    let mut accepted = Vec::new();
    for (title, description, scopes) in plans {
        let data = request(title, description, &scopes);
        if let Some((step, errors)) = data.validate_all().into_iter().next() {
            return Err(format!(
                "données de démonstration incomplètes ({step:?}) : {errors:?}"
            ));
        }
        let id = draft(state, applicant, &data, true).await?;
        let accept = Verdict::Accept {
            scopes: data.data.scopes.clone(),
            message: "Demande validée pour la démonstration.".to_owned(),
        };
        decide(state, instructor, id, accept).await?;
        let token = spaces::token_of_request(db, id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("jeton manquant")?;
        accepted.push((id, title.to_owned(), token.id));
    }
    // The other states: waiting, changes asked, refused, a draft.
    let others: [(&str, bool, Option<Verdict>); 4] = [
        ("Contrôle des marchés publics", true, None),
        (
            "Suivi des subventions aux associations",
            true,
            Some(Verdict::RequestChanges {
                message: "Précisez le fondement juridique du traitement.".to_owned(),
                fields: Vec::new(),
            }),
        ),
        (
            "Fichier de prospection",
            true,
            Some(Verdict::Refuse {
                reason: "Ce cas d’usage n’entre pas dans les missions de service public."
                    .to_owned(),
            }),
        ),
        ("Brouillon : tableau de bord économique", false, None),
    ];
    for (title, submit, verdict) in others {
        let data = request(title, "Cas d’usage de démonstration.", &[]);
        let id = draft(state, applicant, &data, submit).await?;
        if let Some(verdict) = verdict {
            decide(state, instructor, id, verdict).await?;
        }
    }
    Ok(Demo {
        accepted,
        already: false,
    })
}
