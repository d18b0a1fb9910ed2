//! Use-case templates ("modèles"): a ready-made request for a common use of
//! API Entreprise (public procurement, public aid, fraud detection…), that
//! pre-fills the context, the scopes and the legal basis. Templates are data,
//! kept in the database and edited by administrators; the rules live here.

use super::request::{FieldError, RETENTION_JUSTIFY_ABOVE_MONTHS, RequestData};
use super::scopes;
use serde::{Deserialize, Serialize};

/// The address of the administrators' "new template" page, which no
/// template may take.
pub const RESERVED_SLUG: &str = "nouveau";

/// Longest slug, in characters.
pub const SLUG_MAX: usize = 60;

/// One use-case template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Template {
    /// Its address: `/modeles/<slug>`, `/demandes/nouvelle?modele=<slug>`.
    pub slug: String,
    /// "Marchés publics".
    pub title: String,
    /// Who it is for.
    pub audience: String,
    /// What the use case is, in a sentence or two.
    pub summary: String,
    /// Pre-filled request: step 2.
    pub context_title: String,
    pub context_description: String,
    pub end_users: String,
    /// Pre-filled request: step 3 (sensitive ones still to be justified).
    pub scopes: Vec<String>,
    /// Pre-filled request: step 4.
    pub legal_basis: String,
    pub legal_urls: Vec<String>,
    pub recipients: String,
    /// Months, as the wizard takes it ("36").
    pub retention_months: String,
    /// Why data are kept that long (needed above 36 months, as in the
    /// wizard).
    pub retention_justification: String,
}

/// A template as stored: its text and its version (1, 2… one per edit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTemplate {
    pub template: Template,
    pub version: i64,
    /// Hidden from applicants (kept for the requests that used it).
    pub archived: bool,
    pub updated_at: i64,
}

/// Whether `slug` is a template's address: lowercase letters, digits and
/// single hyphens.
pub fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= SLUG_MAX
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

impl Template {
    /// What is wrong with the template, field by field, in French.
    pub fn errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut add = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.to_owned(),
                message,
            })
        };
        if self.slug == RESERVED_SLUG {
            add(
                "slug",
                format!("L’adresse « {RESERVED_SLUG} » est réservée : choisissez-en une autre."),
            );
        } else if !is_slug(&self.slug) {
            add(
                "slug",
                format!(
                    "L’adresse du modèle ne peut contenir que des minuscules sans accent, des \
                     chiffres et des tirets simples ({SLUG_MAX} caractères au plus)."
                ),
            );
        }
        for (field, value, label, max) in [
            ("title", &self.title, "le nom du modèle", 120),
            ("audience", &self.audience, "à qui il s’adresse", 600),
            ("summary", &self.summary, "le cas d’usage", 1_200),
            (
                "context_title",
                &self.context_title,
                "l’intitulé proposé",
                120,
            ),
            (
                "context_description",
                &self.context_description,
                "la description proposée",
                4_000,
            ),
            (
                "legal_basis",
                &self.legal_basis,
                "le fondement juridique",
                4_000,
            ),
        ] {
            let n = value.trim().chars().count();
            if n == 0 {
                add(field, format!("Indiquez {label}."));
            } else if n > max {
                add(field, format!("{max} caractères au plus ({n} saisis)."));
            }
        }
        if self.scopes.is_empty() {
            add("scopes", "Choisissez au moins une donnée.".to_owned());
        }
        for s in &self.scopes {
            if scopes::find(s).is_none() {
                add("scopes", format!("Donnée inconnue du catalogue : « {s} »."));
            }
        }
        for url in &self.legal_urls {
            if !(url.starts_with("https://") && url.len() > "https://".len() && !url.contains(' '))
            {
                add(
                    "legal_urls",
                    format!("Lien invalide : « {url} » (une adresse en https:// attendue)."),
                );
            }
        }
        match self.retention_months.parse::<u32>() {
            _ if self.retention_months.is_empty() => {}
            Ok(m) if (1..=120).contains(&m) => {
                if m > RETENTION_JUSTIFY_ABOVE_MONTHS
                    && self.retention_justification.trim().is_empty()
                {
                    add(
                        "retention_justification",
                        format!(
                            "Au-delà de {RETENTION_JUSTIFY_ABOVE_MONTHS} mois, la demande doit \
                             justifier la durée : proposez cette justification."
                        ),
                    );
                }
            }
            _ => add(
                "retention_months",
                "La durée de conservation est un nombre de mois, de 1 à 120.".to_owned(),
            ),
        }
        errors
    }

    /// Pre-fills a new draft: the context, the scopes (with the open data the
    /// catalogue includes by default) and the legal framework. The
    /// organisation, the contacts and the justifications of sensitive scopes
    /// stay the applicant's to write.
    pub fn apply(&self, data: &mut RequestData) {
        data.context.title = self.context_title.clone();
        data.context.description = self.context_description.clone();
        data.context.end_users = self.end_users.clone();
        let mut wanted = scopes::default_selection();
        for s in &self.scopes {
            if scopes::find(s).is_some() && !wanted.contains(s) {
                wanted.push(s.clone());
            }
        }
        // The catalogue's order, as step 3 lists them.
        data.data.scopes = scopes::catalogue()
            .iter()
            .map(|s| s.value.to_owned())
            .filter(|v| wanted.contains(v))
            .collect();
        data.legal.basis = self.legal_basis.clone();
        data.legal.urls = self.legal_urls.clone();
        data.legal.recipients = self.recipients.clone();
        data.legal.retention_months = self.retention_months.clone();
        data.legal.retention_justification = self.retention_justification.clone();
    }

    /// The scopes a request has that the template does not propose, and
    /// those it proposes that the request dropped (open data, included by
    /// default, counts as proposed).
    pub fn scope_changes(&self, asked: &[String]) -> ScopeChanges {
        let mut proposed = scopes::default_selection();
        proposed.extend(self.scopes.iter().cloned());
        ScopeChanges {
            added: asked
                .iter()
                .filter(|s| !proposed.contains(s))
                .cloned()
                .collect(),
            removed: self
                .scopes
                .iter()
                .filter(|s| !asked.contains(s))
                .cloned()
                .collect(),
        }
    }
}

/// A text field of a template that changed from one version to the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's name on the edit form ("Intitulé proposé").
    pub label: String,
    pub before: String,
    pub after: String,
}

/// What changed between two versions of a template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChanges {
    pub fields: Vec<FieldChange>,
    /// Scopes the newer version proposes and the older did not, and the
    /// reverse.
    pub scopes: ScopeChanges,
}

impl TemplateChanges {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.scopes.added.is_empty() && self.scopes.removed.is_empty()
    }
}

/// The text fields of a template with their names on the edit form, in the
/// form's order: the one list the form, the history and the checks share.
pub const TEXT_FIELDS: [(&str, &str); 12] = [
    ("title", "Nom du modèle"),
    ("slug", "Adresse"),
    ("audience", "À qui il s’adresse"),
    ("summary", "Cas d’usage"),
    ("context_title", "Intitulé proposé"),
    ("context_description", "Description proposée"),
    ("end_users", "Public utilisateur final"),
    ("legal_basis", "Fondement juridique"),
    ("legal_urls", "Liens vers les textes"),
    ("recipients", "Destinataires des données"),
    ("retention_months", "Durée de conservation (mois)"),
    (
        "retention_justification",
        "Justification de la durée de conservation",
    ),
];

impl Template {
    /// The text of field `name` of [`TEXT_FIELDS`] (links one per line).
    pub fn text(&self, name: &str) -> String {
        match name {
            "slug" => self.slug.clone(),
            "title" => self.title.clone(),
            "audience" => self.audience.clone(),
            "summary" => self.summary.clone(),
            "context_title" => self.context_title.clone(),
            "context_description" => self.context_description.clone(),
            "end_users" => self.end_users.clone(),
            "legal_basis" => self.legal_basis.clone(),
            "legal_urls" => self.legal_urls.join("\n"),
            "recipients" => self.recipients.clone(),
            "retention_months" => self.retention_months.clone(),
            "retention_justification" => self.retention_justification.clone(),
            _ => String::new(),
        }
    }

    /// Sets field `name` of [`TEXT_FIELDS`] from what the form holds (links
    /// one per line, kept as typed until [`Template::trimmed`]).
    pub fn set_text(&mut self, name: &str, value: String) {
        match name {
            "slug" => self.slug = value,
            "title" => self.title = value,
            "audience" => self.audience = value,
            "summary" => self.summary = value,
            "context_title" => self.context_title = value,
            "context_description" => self.context_description = value,
            "end_users" => self.end_users = value,
            "legal_basis" => self.legal_basis = value,
            "legal_urls" => {
                self.legal_urls = value
                    .split('\n')
                    .map(|l| l.trim_end_matches('\r').to_owned())
                    .collect()
            }
            "recipients" => self.recipients = value,
            "retention_months" => self.retention_months = value,
            "retention_justification" => self.retention_justification = value,
            _ => {}
        }
    }

    /// The template as it is saved: every text trimmed, blank links dropped.
    pub fn trimmed(mut self) -> Template {
        for (name, _) in TEXT_FIELDS {
            let value = self.text(name).trim().to_owned();
            self.set_text(name, value);
        }
        self.legal_urls = self
            .legal_urls
            .iter()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .collect();
        let mut seen: Vec<String> = Vec::new();
        self.scopes.retain(|s| {
            let first = !seen.contains(s);
            seen.push(s.clone());
            first
        });
        self
    }

    /// What changed from `self` (the older version) to `newer`.
    pub fn changes_to(&self, newer: &Template) -> TemplateChanges {
        let fields = TEXT_FIELDS
            .iter()
            .filter_map(|(name, label)| {
                let (before, after) = (self.text(name), newer.text(name));
                (before != after).then(|| FieldChange {
                    label: (*label).to_owned(),
                    before,
                    after,
                })
            })
            .collect();
        TemplateChanges {
            fields,
            scopes: ScopeChanges {
                added: newer
                    .scopes
                    .iter()
                    .filter(|s| !self.scopes.contains(s))
                    .cloned()
                    .collect(),
                removed: self
                    .scopes
                    .iter()
                    .filter(|s| !newer.scopes.contains(s))
                    .cloned()
                    .collect(),
            },
        }
    }
}

/// How a request's scopes differ from its template's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Template {
        Template {
            slug: "marches-publics".into(),
            title: "Marchés publics".into(),
            audience: "Acheteurs publics".into(),
            summary: "Vérifier les candidatures.".into(),
            context_title: "Candidatures aux marchés publics".into(),
            context_description: "Récupérer les attestations des candidats.".into(),
            end_users: "Agents des achats".into(),
            scopes: vec![
                "attestation_fiscale_dgfip".into(),
                "attestation_sociale_urssaf".into(),
            ],
            legal_basis: "Code de la commande publique, art. R2143-13".into(),
            legal_urls: vec![
                "https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000037701019".into(),
            ],
            recipients: "Service des achats".into(),
            retention_months: "60".into(),
            retention_justification: "Pièces des marchés gardées cinq ans.".into(),
        }
    }

    #[test]
    fn slugs_are_plain_addresses() {
        for ok in ["marches-publics", "gru", "aides-2027"] {
            assert!(is_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "Marchés",
            "a b",
            "-a",
            "a-",
            "a--b",
            "a/b",
            &"a".repeat(61),
        ] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn a_template_is_checked_field_by_field_in_french() {
        assert_eq!(sample().errors(), vec![]);
        let mut t = sample();
        t.slug = "Marchés publics".into();
        t.title = "  ".into();
        t.scopes = vec!["inconnue".into()];
        t.legal_urls = vec!["http://exemple.fr".into()];
        t.retention_months = "0".into();
        let fields: Vec<String> = t.errors().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["slug", "title", "scopes", "legal_urls", "retention_months"]
        );
        let mut empty = sample();
        empty.scopes.clear();
        assert_eq!(empty.errors()[0].message, "Choisissez au moins une donnée.");
        // Above 36 months, the template proposes why, as the wizard asks.
        let mut long = sample();
        long.retention_justification = " ".into();
        assert_eq!(long.errors()[0].field, "retention_justification");
        long.retention_months = "36".into();
        assert_eq!(long.errors(), vec![]);
    }

    #[test]
    fn applying_a_template_prefills_context_scopes_and_legal_basis() {
        let mut data = RequestData::new_draft();
        data.organisation.siret = "20005379100014".into();
        sample().apply(&mut data);
        assert_eq!(data.context.title, "Candidatures aux marchés publics");
        assert_eq!(data.organisation.siret, "20005379100014", "kept");
        for s in scopes::default_selection() {
            assert!(data.data.scopes.contains(&s), "open data kept: {s}");
        }
        assert!(
            data.data
                .scopes
                .contains(&"attestation_fiscale_dgfip".to_owned())
        );
        assert!(data.data.justifications.is_empty(), "still to be justified");
        assert_eq!(data.legal.retention_months, "60");
        assert_eq!(
            data.legal.retention_justification,
            "Pièces des marchés gardées cinq ans."
        );
        assert_eq!(data.legal.urls.len(), 1);
    }

    #[test]
    fn what_a_request_changed_from_its_template() {
        let t = sample();
        let mut asked = scopes::default_selection();
        asked.push("attestation_fiscale_dgfip".into());
        asked.push("bilans_bdf".into());
        let changes = t.scope_changes(&asked);
        assert_eq!(changes.added, ["bilans_bdf"]);
        assert_eq!(changes.removed, ["attestation_sociale_urssaf"]);
    }

    #[test]
    fn what_changed_between_two_versions() {
        let old = sample();
        let mut new = sample();
        new.title = "Achats publics".into();
        new.legal_urls
            .push("https://www.legifrance.gouv.fr/loda/id/JORFTEXT000037730625".into());
        new.scopes = vec!["attestation_fiscale_dgfip".into(), "bilans_bdf".into()];
        let changes = old.changes_to(&new);
        let labels: Vec<&str> = changes.fields.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(labels, ["Nom du modèle", "Liens vers les textes"]);
        assert_eq!(changes.fields[0].before, "Marchés publics");
        assert_eq!(changes.fields[0].after, "Achats publics");
        assert_eq!(changes.scopes.added, ["bilans_bdf"]);
        assert_eq!(changes.scopes.removed, ["attestation_sociale_urssaf"]);
        assert!(old.changes_to(&old).is_empty());
    }

    #[test]
    fn the_form_reads_links_one_per_line_and_saves_trimmed_texts() {
        let mut t = sample();
        let typed = "  https://a.fr/1 \r\n\n https://a.fr/2\n";
        t.set_text("legal_urls", typed.into());
        // As typed while editing (a new line stays there to be filled)…
        assert_eq!(t.text("legal_urls"), typed.replace('\r', ""));
        t.set_text("title", "  Achats  ".into());
        t.scopes.push("attestation_fiscale_dgfip".into());
        // …and clean once saved.
        let saved = t.trimmed();
        assert_eq!(saved.legal_urls, ["https://a.fr/1", "https://a.fr/2"]);
        assert_eq!(saved.title, "Achats");
        assert_eq!(
            saved.scopes,
            ["attestation_fiscale_dgfip", "attestation_sociale_urssaf"]
        );
    }
}
