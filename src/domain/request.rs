//! The request (dossier) model: every field of the six wizard steps, kept as
//! typed (strings) so that nothing a user enters is ever lost, and a
//! validation per step that returns every error at once, field by field, in
//! French. The same code runs in the browser and on the server.

use super::legal_category::{Eligibility, LegalCategory};
use super::scopes;
use super::siret::Siret;
use super::time::parse_date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the terms of use (CGU) an applicant accepts today.
pub const CURRENT_CGU_VERSION: &str = "2026-11";

/// At most this many PDF attachments per request.
pub const MAX_ATTACHMENTS: usize = 6;
/// Largest PDF attachment, in bytes (10 MB).
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Above this retention period (months), a justification is required.
pub const RETENTION_JUSTIFY_ABOVE_MONTHS: u32 = 36;

/// Length limits (characters) of every free-text field.
pub mod limits {
    pub const SHORT: usize = 200;
    pub const NAME: usize = 100;
    pub const EMAIL: usize = 254;
    pub const PHONE: usize = 30;
    pub const URL: usize = 2_000;
    pub const MEDIUM: usize = 2_000;
    pub const LONG: usize = 10_000;
    pub const MAX_URLS: usize = 10;
}

/// The six steps of the wizard, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Organisation,
    Context,
    Data,
    Legal,
    Contacts,
    Terms,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Organisation,
        Step::Context,
        Step::Data,
        Step::Legal,
        Step::Contacts,
        Step::Terms,
    ];

    /// 1-based number, for "Étape 2 sur 6".
    pub fn number(self) -> usize {
        Step::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(0, |i| i + 1)
    }

    /// How many steps the wizard has.
    pub const COUNT: usize = Step::ALL.len();

    /// The step of number `n` (1-based), if there is one.
    pub fn from_number(n: usize) -> Option<Step> {
        n.checked_sub(1).and_then(|i| Step::ALL.get(i)).copied()
    }

    /// The step whose block holds the field at `path` ("contacts.dpo.email":
    /// the contacts step): the block names the step, in the same order.
    pub fn of_field(path: &str) -> Option<Step> {
        let block = path.split('.').next()?;
        BLOCKS
            .iter()
            .position(|b| *b == block)
            .map(|i| Step::ALL[i])
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Organisation => "Votre organisation",
            Step::Context => "Contexte et public concerné",
            Step::Data => "Données demandées",
            Step::Legal => "Cadre juridique",
            Step::Contacts => "Contacts",
            Step::Terms => "Conditions d’utilisation et envoi",
        }
    }
}

/// Step 1: the organisation, resolved from its SIRET by the directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Organisation {
    pub siret: String,
    /// Name resolved by the directory.
    pub name: String,
    /// INSEE legal category (4 digits) resolved by the directory; empty when
    /// no directory knows the SIRET. The server never trusts it: it resolves
    /// the SIRET again (`organisation::OrganisationCheck`).
    pub legal_category: String,
    /// `Some(false)` when the directory says the organisation is closed.
    pub active: Option<bool>,
    /// Public-service mission, required when the category is not public law.
    pub justification: String,
}

/// Step 2: the business context and its end users.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Context {
    /// Intitulé: names the request and, later, its token.
    pub title: String,
    pub description: String,
    /// Public utilisateur final.
    pub end_users: String,
    /// Expected calls per day, as typed.
    pub expected_volume: String,
    /// Planned go-live date, `YYYY-MM-DD`.
    pub go_live: String,
}

/// Step 3: the scopes asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Data {
    pub scopes: Vec<String>,
    /// Justification per sensitive scope.
    pub justifications: BTreeMap<String, String>,
}

/// An uploaded PDF, as the request refers to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachmentRef {
    pub id: String,
    pub file_name: String,
    pub size_bytes: u64,
}

/// Step 4: the legal framework.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Legal {
    /// Nature of the legal basis.
    pub basis: String,
    pub urls: Vec<String>,
    pub attachments: Vec<AttachmentRef>,
    /// Recipients of the personal data.
    pub recipients: String,
    /// Retention period in months, as typed.
    pub retention_months: String,
    pub retention_justification: String,
}

/// One contact person or generic mailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub job_title: String,
}

/// Step 5: the four contacts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contacts {
    /// Délégué·e à la protection des données.
    pub dpo: Contact,
    /// Responsable de traitement.
    pub controller: Contact,
    /// Contact métier.
    pub business: Contact,
    /// Contact technique.
    pub technical: Contact,
}

impl Contacts {
    /// The four contacts with their French role, in the wizard's order.
    pub fn with_roles(&self) -> [(&'static str, &Contact); 4] {
        [
            ("Délégué à la protection des données", &self.dpo),
            ("Responsable de traitement", &self.controller),
            ("Contact métier", &self.business),
            ("Contact technique", &self.technical),
        ]
    }
}

/// Step 6: acceptance of the terms of use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Terms {
    pub accepted: bool,
    /// The CGU version accepted (recorded with the time by the server).
    pub version: String,
    /// Milliseconds since the epoch, set by the server.
    pub accepted_at: Option<i64>,
}

/// Everything a request holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestData {
    pub organisation: Organisation,
    pub context: Context,
    pub data: Data,
    pub legal: Legal,
    pub contacts: Contacts,
    pub terms: Terms,
}

/// One validation error: the field's path (e.g. `contacts.dpo.email`) and a
/// French message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Required text with a length limit; returns the trimmed value when
    /// present.
    fn required<'a>(
        &mut self,
        field: &str,
        value: &'a str,
        max: usize,
        what: &str,
    ) -> Option<&'a str> {
        let v = value.trim();
        if v.is_empty() {
            self.add(field, format!("{what} est obligatoire."));
            None
        } else {
            self.max_len(field, v, max);
            Some(v)
        }
    }

    fn max_len(&mut self, field: &str, value: &str, max: usize) {
        let n = value.chars().count();
        if n > max {
            self.add(field, format!("{n} caractères saisis : {max} au maximum."));
        }
    }
}

impl RequestData {
    /// A new draft: the open-data scopes ticked, as the catalogue says.
    pub fn new_draft() -> RequestData {
        RequestData {
            data: Data {
                scopes: scopes::default_selection(),
                justifications: BTreeMap::new(),
            },
            ..RequestData::default()
        }
    }

    /// Every error of one step.
    pub fn validate_step(&self, step: Step) -> Vec<FieldError> {
        let mut e = Errors::default();
        match step {
            Step::Organisation => self.validate_organisation(&mut e),
            Step::Context => self.validate_context(&mut e),
            Step::Data => self.validate_data(&mut e),
            Step::Legal => self.validate_legal(&mut e),
            Step::Contacts => self.validate_contacts(&mut e),
            Step::Terms => self.validate_terms(&mut e),
        }
        e.0
    }

    /// Every error of every step, for submission.
    pub fn validate_all(&self) -> Vec<(Step, Vec<FieldError>)> {
        Step::ALL
            .into_iter()
            .map(|s| (s, self.validate_step(s)))
            .filter(|(_, errors)| !errors.is_empty())
            .collect()
    }

    /// Limits that hold even for drafts (a draft may be incomplete, never
    /// oversized): checked on every save.
    pub fn validate_limits(&self) -> Vec<FieldError> {
        let mut e = Errors::default();
        let o = &self.organisation;
        for (f, v, max) in [
            ("organisation.siret", &o.siret, limits::PHONE),
            ("organisation.name", &o.name, limits::SHORT),
            ("organisation.legal_category", &o.legal_category, 4),
            ("organisation.justification", &o.justification, limits::LONG),
            ("context.title", &self.context.title, limits::SHORT),
            (
                "context.description",
                &self.context.description,
                limits::LONG,
            ),
            ("context.end_users", &self.context.end_users, limits::MEDIUM),
            ("context.expected_volume", &self.context.expected_volume, 20),
            ("context.go_live", &self.context.go_live, 10),
            ("legal.basis", &self.legal.basis, limits::LONG),
            ("legal.recipients", &self.legal.recipients, limits::MEDIUM),
            ("legal.retention_months", &self.legal.retention_months, 10),
            (
                "legal.retention_justification",
                &self.legal.retention_justification,
                limits::MEDIUM,
            ),
            ("terms.version", &self.terms.version, 20),
        ] {
            e.max_len(f, v, max);
        }
        if self.legal.urls.len() > limits::MAX_URLS {
            e.add(
                "legal.urls",
                format!("{} liens au maximum.", limits::MAX_URLS),
            );
        }
        for (i, u) in self.legal.urls.iter().enumerate() {
            e.max_len(&format!("legal.urls.{i}"), u, limits::URL);
        }
        if self.legal.attachments.len() > MAX_ATTACHMENTS {
            e.add(
                "legal.attachments",
                format!("{MAX_ATTACHMENTS} pièces jointes au maximum."),
            );
        }
        if self.data.scopes.len() > scopes::catalogue().len() {
            e.add("data.scopes", "Trop de données demandées.");
        }
        for (scope, text) in &self.data.justifications {
            e.max_len(
                &format!("data.justifications.{scope}"),
                text,
                limits::MEDIUM,
            );
        }
        for (name, c) in self.contacts.all() {
            for (f, v, max) in [
                ("given_name", &c.given_name, limits::NAME),
                ("family_name", &c.family_name, limits::NAME),
                ("email", &c.email, limits::EMAIL),
                ("phone", &c.phone, limits::PHONE),
                ("job_title", &c.job_title, limits::SHORT),
            ] {
                e.max_len(&format!("contacts.{name}.{f}"), v, max);
            }
        }
        e.0
    }

    fn validate_organisation(&self, e: &mut Errors) {
        let o = &self.organisation;
        match Siret::parse(&o.siret) {
            Err(err) => e.add("organisation.siret", err.message("SIRET")),
            Ok(_) => {
                // On the name, below the search button: a message that
                // appeared above it when the SIRET field is left would move
                // the button away from the click that left it.
                if o.name.trim().is_empty() {
                    e.add(
                        "organisation.name",
                        "Indiquez le nom de l’organisation : « Rechercher l’organisation » \
                         le reprend de l’annuaire.",
                    );
                }
                match LegalCategory::from_code(&o.legal_category) {
                    // Not in the directory: it may apply, with a
                    // justification the instructor checks.
                    None if o.justification.trim().is_empty() => e.add(
                        "organisation.justification",
                        "Votre organisation ne figure pas dans l’annuaire : décrivez sa mission \
                         de service public ; l’instructeur vérifiera son éligibilité.",
                    ),
                    None => e.max_len("organisation.justification", &o.justification, limits::LONG),
                    Some(cat) => match Eligibility::of(&cat, o.active != Some(false)) {
                        Eligibility::Eligible => {}
                        Eligibility::NeedsJustification => {
                            e.required(
                                "organisation.justification",
                                &o.justification,
                                limits::LONG,
                                "La description de votre mission de service public",
                            );
                        }
                        not @ Eligibility::NotEligible { .. } => {
                            e.add("organisation.siret", not.message());
                        }
                    },
                }
            }
        }
    }

    fn validate_context(&self, e: &mut Errors) {
        let c = &self.context;
        e.required("context.title", &c.title, limits::SHORT, "L’intitulé");
        e.required(
            "context.description",
            &c.description,
            limits::LONG,
            "La description du cas d’usage",
        );
        e.required(
            "context.end_users",
            &c.end_users,
            limits::MEDIUM,
            "Le public utilisateur final",
        );
        if let Some(v) = e.required(
            "context.expected_volume",
            &c.expected_volume,
            20,
            "La volumétrie attendue",
        ) {
            let compact: String = v.chars().filter(|ch| !ch.is_whitespace()).collect();
            match compact.parse::<u64>() {
                Ok(n) if n > 0 => {}
                _ => e.add(
                    "context.expected_volume",
                    "Indiquez un nombre d’appels par jour (un nombre entier supérieur à 0).",
                ),
            }
        }
        if let Some(v) = e.required(
            "context.go_live",
            &c.go_live,
            10,
            "La date de mise en production",
        ) && parse_date(v).is_none()
        {
            e.add(
                "context.go_live",
                "Indiquez une date valide au format AAAA-MM-JJ.",
            );
        }
    }

    fn validate_data(&self, e: &mut Errors) {
        let d = &self.data;
        if d.scopes.is_empty() {
            e.add("data.scopes", "Choisissez au moins une donnée.");
        }
        let mut seen = Vec::new();
        for value in &d.scopes {
            if seen.contains(&value) {
                continue;
            }
            seen.push(value);
            match scopes::find(value) {
                None => e.add(
                    "data.scopes",
                    format!("La donnée « {value} » n’existe pas."),
                ),
                Some(scope) if scope.sensitive => {
                    let text = d.justifications.get(value).map_or("", String::as_str);
                    e.required(
                        &format!("data.justifications.{value}"),
                        text,
                        limits::MEDIUM,
                        &format!("La justification de la donnée sensible « {} »", scope.label),
                    );
                }
                Some(_) => {}
            }
        }
    }

    fn validate_legal(&self, e: &mut Errors) {
        let l = &self.legal;
        e.required(
            "legal.basis",
            &l.basis,
            limits::LONG,
            "La nature du fondement juridique",
        );
        let urls: Vec<(usize, &str)> = l
            .urls
            .iter()
            .enumerate()
            .map(|(i, u)| (i, u.trim()))
            .filter(|(_, u)| !u.is_empty())
            .collect();
        if urls.is_empty() && l.attachments.is_empty() {
            e.add(
                "legal.urls",
                "Donnez au moins un lien vers le texte ou joignez-le en PDF.",
            );
        }
        for (i, u) in urls {
            if !is_web_url(u) {
                e.add(
                    format!("legal.urls.{i}"),
                    "Le lien doit être une adresse web complète commençant par https:// ou http://.",
                );
            }
        }
        if l.attachments.len() > MAX_ATTACHMENTS {
            e.add(
                "legal.attachments",
                format!("{MAX_ATTACHMENTS} pièces jointes au maximum."),
            );
        }
        for (i, a) in l.attachments.iter().enumerate() {
            if a.size_bytes > MAX_ATTACHMENT_BYTES {
                e.add(
                    format!("legal.attachments.{i}"),
                    format!("« {} » dépasse 10 Mo.", a.file_name),
                );
            }
        }
        e.required(
            "legal.recipients",
            &l.recipients,
            limits::MEDIUM,
            "La liste des destinataires des données",
        );
        if let Some(v) = e.required(
            "legal.retention_months",
            &l.retention_months,
            10,
            "La durée de conservation",
        ) {
            match v.parse::<u32>() {
                Ok(n) if (1..=1_200).contains(&n) => {
                    if n > RETENTION_JUSTIFY_ABOVE_MONTHS {
                        e.required(
                            "legal.retention_justification",
                            &l.retention_justification,
                            limits::MEDIUM,
                            "Au-delà de 36 mois, la justification de la durée de conservation",
                        );
                    }
                }
                _ => e.add(
                    "legal.retention_months",
                    "Indiquez une durée en mois (nombre entier entre 1 et 1 200).",
                ),
            }
        }
    }

    fn validate_contacts(&self, e: &mut Errors) {
        for (name, c) in self.contacts.all() {
            let f = |field: &str| format!("contacts.{name}.{field}");
            e.required(&f("given_name"), &c.given_name, limits::NAME, "Le prénom");
            e.required(&f("family_name"), &c.family_name, limits::NAME, "Le nom");
            if let Some(v) = e.required(
                &f("email"),
                &c.email,
                limits::EMAIL,
                "L’adresse électronique",
            ) && !is_email(v)
            {
                e.add(
                    f("email"),
                    "L’adresse électronique n’est pas valide (exemple : nom@collectivite.fr).",
                );
            }
            if let Some(v) = e.required(
                &f("phone"),
                &c.phone,
                limits::PHONE,
                "Le numéro de téléphone",
            ) && !is_phone(v)
            {
                e.add(
                    f("phone"),
                    "Le numéro de téléphone n’est pas valide (exemple : 01 23 45 67 89 ou +33 1 23 45 67 89).",
                );
            }
            e.required(&f("job_title"), &c.job_title, limits::SHORT, "La fonction");
        }
    }

    fn validate_terms(&self, e: &mut Errors) {
        if !self.terms.accepted {
            e.add(
                "terms.accepted",
                "Vous devez accepter les conditions générales d’utilisation.",
            );
        } else if self.terms.version != CURRENT_CGU_VERSION {
            e.add(
                "terms.accepted",
                "Les conditions générales d’utilisation ont changé : relisez-les et acceptez la nouvelle version.",
            );
        }
    }
}

impl Contacts {
    /// The four contacts with their field-path names.
    pub fn all(&self) -> [(&'static str, &Contact); 4] {
        [
            ("dpo", &self.dpo),
            ("controller", &self.controller),
            ("business", &self.business),
            ("technical", &self.technical),
        ]
    }
}

/// A pragmatic email check: one `@`, a non-empty local part, a domain with a
/// dot, no spaces, none of the characters an address may hold only quoted
/// (`<>()[]\,;:"`), which no one types in practice.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !value.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '(' | ')' | '[' | ']' | '\\' | ',' | ';' | ':' | '"'
                )
        })
}

/// Digits with optional spaces, dots, dashes and a leading `+`; 10 to 15 digits.
pub fn is_phone(value: &str) -> bool {
    let rest = value.strip_prefix('+').unwrap_or(value);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    rest.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '\u{a0}'))
        && (10..=15).contains(&digits)
}

/// An absolute http(s) URL with a host.
pub fn is_web_url(value: &str) -> bool {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn example_contact(tag: &str) -> Contact {
    Contact {
        given_name: "Camille".into(),
        family_name: format!("Martin-{tag}"),
        email: format!("{tag}@occitanie.fr"),
        phone: "05 61 33 50 50".into(),
        job_title: "Chargée de mission".into(),
    }
}

impl RequestData {
    /// A complete, valid request: the seed's example of the Région Occitanie
    /// (tests, demo data).
    pub fn example() -> RequestData {
        let mut r = RequestData::new_draft();
        r.organisation = Organisation {
            siret: "200 053 791 00014".into(),
            name: "Région Occitanie".into(),
            legal_category: "7230".into(),
            active: Some(true),
            justification: String::new(),
        };
        r.context = Context {
            title: "Pré-remplissage des formulaires d’aides".into(),
            description: "Pré-remplir les formulaires à partir du SIRET.".into(),
            end_users: "Entreprises demandant une aide régionale".into(),
            expected_volume: "2 000".into(),
            go_live: "2027-03-01".into(),
        };
        r.data
            .scopes
            .push("unites_legales_etablissements_insee".into());
        r.data.justifications.insert(
            "unites_legales_etablissements_insee".into(),
            "Identifier les entreprises non diffusibles.".into(),
        );
        r.legal = Legal {
            basis: "Code des relations entre le public et l’administration, art. L113-12".into(),
            urls: vec![
                "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367364".into(),
            ],
            attachments: vec![],
            recipients: "Agents instructeurs des aides".into(),
            retention_months: "36".into(),
            retention_justification: String::new(),
        };
        r.contacts = Contacts {
            dpo: example_contact("dpo"),
            controller: example_contact("responsable"),
            business: example_contact("metier"),
            technical: example_contact("technique"),
        };
        r.terms = Terms {
            accepted: true,
            version: CURRENT_CGU_VERSION.into(),
            accepted_at: None,
        };
        r
    }
}

/// The request's blocks, in the wizard's order (the first part of a field path).
pub const BLOCKS: [&str; 6] = [
    "organisation",
    "context",
    "data",
    "legal",
    "contacts",
    "terms",
];

/// Checks a field path pointed at by a request for changes: one of the
/// request's blocks, then lower-case names, digits and dots.
pub fn is_field_path(path: &str) -> bool {
    let block = path.split('.').next().unwrap_or_default();
    path.len() <= 80
        && BLOCKS.contains(&block)
        && path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        && !path.ends_with('.')
        && !path.contains("..")
}

/// The fields an instructor can point at when asking for changes.
pub const POINTABLE_FIELDS: [&str; 17] = [
    "organisation.siret",
    "organisation.name",
    "organisation.justification",
    "context.title",
    "context.description",
    "context.end_users",
    "context.expected_volume",
    "context.go_live",
    "data.scopes",
    "legal.basis",
    "legal.urls",
    "legal.attachments",
    "legal.recipients",
    "legal.retention_months",
    "legal.retention_justification",
    "contacts.dpo.email",
    "contacts.technical.email",
];

/// One field whose value differs between two versions of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's path (`context.title`, `contacts.dpo.email`…).
    pub field: String,
    /// Its French label ("Intitulé de la demande", "DPO : adresse électronique"…).
    pub label: String,
    pub before: String,
    pub after: String,
}

/// The French label of a field path, for diffs and highlights.
pub fn field_label(path: &str) -> String {
    let contact = |who: &str| match who {
        "dpo" => Some("DPO"),
        "controller" => Some("Responsable de traitement"),
        "business" => Some("Contact métier"),
        "technical" => Some("Contact technique"),
        _ => None,
    };
    let simple = match path {
        "organisation.siret" => Some("SIRET"),
        "organisation.name" => Some("Nom de l’organisation"),
        "organisation.legal_category" => Some("Catégorie juridique"),
        "organisation.active" => Some("Établissement actif"),
        "organisation.justification" => Some("Mission de service public"),
        "context.title" => Some("Intitulé de la demande"),
        "context.description" => Some("Description du cas d’usage"),
        "context.end_users" => Some("Public concerné"),
        "context.expected_volume" => Some("Volumétrie attendue"),
        "context.go_live" => Some("Mise en service prévue"),
        "data.scopes" => Some("Données demandées"),
        "legal.basis" => Some("Fondement juridique"),
        "legal.urls" => Some("Liens vers les textes"),
        "legal.attachments" => Some("Textes joints"),
        "legal.recipients" => Some("Destinataires des données"),
        "legal.retention_months" => Some("Durée de conservation"),
        "legal.retention_justification" => Some("Justification de la durée de conservation"),
        "terms.accepted" => Some("Conditions générales acceptées"),
        "terms.version" => Some("Version des conditions générales"),
        "terms.accepted_at" => Some("Date d’acceptation des conditions"),
        _ => None,
    };
    if let Some(label) = simple {
        return label.to_owned();
    }
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["contacts", who, field] => {
            let field = match *field {
                "given_name" => "prénom",
                "family_name" => "nom",
                "email" => "adresse électronique",
                "phone" => "téléphone",
                "job_title" => "fonction",
                other => other,
            };
            match contact(who) {
                Some(who) => format!("{who} : {field}"),
                None => path.to_owned(),
            }
        }
        ["data", "justifications", scope] => format!(
            "Justification de « {} »",
            crate::domain::scopes::find(scope).map_or(*scope, |s| s.label.as_str())
        ),
        _ => path.to_owned(),
    }
}

/// The fields whose values differ between `before` and `after`, block by
/// block in the wizard's order (fields of a block by name). Lists are
/// compared whole (scopes, links, attachments by name).
pub fn differences(before: &RequestData, after: &RequestData) -> Vec<FieldChange> {
    fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&p, v, out);
                }
            }
            serde_json::Value::Array(items) => {
                let shown: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Object(o) => o
                            .get("file_name")
                            .and_then(|n| n.as_str())
                            .map_or_else(|| i.to_string(), str::to_owned),
                        other => other.to_string(),
                    })
                    .collect();
                out.push((prefix.to_owned(), shown.join(", ")));
            }
            serde_json::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
            serde_json::Value::Null => out.push((prefix.to_owned(), String::new())),
            serde_json::Value::Bool(b) => {
                out.push((prefix.to_owned(), if *b { "oui" } else { "non" }.to_owned()))
            }
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten(
        "",
        &serde_json::to_value(before).unwrap_or_default(),
        &mut a,
    );
    flatten("", &serde_json::to_value(after).unwrap_or_default(), &mut b);
    // Dates as a person reads them, data by their names.
    let shown = |field: &str, value: String| match field {
        "context.go_live" => super::time::french_date_of_iso(&value),
        "data.scopes" => value
            .split(", ")
            .filter(|v| !v.is_empty())
            .map(|v| super::scopes::find(v).map_or_else(|| v.to_owned(), |s| s.label.clone()))
            .collect::<Vec<_>>()
            .join(", "),
        _ => value,
    };
    let mut out = Vec::new();
    let mut push = |field: &str, before: String, after: String| {
        out.push(FieldChange {
            label: field_label(field),
            field: field.to_owned(),
            before: shown(field, before),
            after: shown(field, after),
        })
    };
    // When the terms were accepted changes at every submission: not a change
    // of the request.
    a.retain(|(p, _)| p != "terms.accepted_at");
    b.retain(|(p, _)| p != "terms.accepted_at");
    for (path, va) in &a {
        let vb = b
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if *va != vb {
            push(path, va.clone(), vb);
        }
    }
    for (path, vb) in &b {
        if !a.iter().any(|(p, _)| p == path) && !vb.is_empty() {
            push(path, String::new(), vb.clone());
        }
    }
    out.sort_by_key(|c| {
        let block = c.field.split('.').next().unwrap_or_default();
        BLOCKS
            .iter()
            .position(|b| *b == block)
            .unwrap_or(BLOCKS.len())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_s_block_names_its_step() {
        assert_eq!(
            Step::of_field("organisation.siret"),
            Some(Step::Organisation)
        );
        assert_eq!(Step::of_field("contacts.dpo.email"), Some(Step::Contacts));
        assert_eq!(Step::of_field("terms.accepted"), Some(Step::Terms));
        assert_eq!(Step::of_field("password"), None);
        for (i, step) in Step::ALL.into_iter().enumerate() {
            assert_eq!(Step::of_field(BLOCKS[i]), Some(step));
            assert_eq!(Step::from_number(step.number()), Some(step));
        }
        assert_eq!(Step::from_number(0), None);
        assert_eq!(Step::from_number(Step::COUNT + 1), None);
        // Every error a step reports is about a field of that step.
        let data = RequestData::new_draft();
        for step in Step::ALL {
            for e in data.validate_step(step) {
                assert_eq!(Step::of_field(&e.field), Some(step), "{}", e.field);
            }
        }
    }

    #[test]
    fn field_paths() {
        assert!(is_field_path("context.title"));
        assert!(is_field_path("legal.urls.0"));
        assert!(is_field_path("contacts.dpo.email"));
        assert!(!is_field_path("password_hash"));
        assert!(!is_field_path("context."));
        assert!(!is_field_path("context..title"));
        assert!(!is_field_path("context.<script>"));
        assert!(!is_field_path(&format!("context.{}", "a".repeat(100))));
    }

    fn complete() -> RequestData {
        RequestData::example()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_complete_request_has_no_error() {
        assert_eq!(complete().validate_all(), vec![]);
        assert_eq!(complete().validate_limits(), vec![]);
    }

    #[test]
    fn an_empty_draft_reports_every_missing_field_at_once() {
        let all = RequestData::new_draft().validate_all();
        let steps: Vec<Step> = all.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            steps,
            vec![
                Step::Organisation,
                Step::Context,
                Step::Legal,
                Step::Contacts,
                Step::Terms
            ],
            "the data step is complete: open-data scopes are ticked by default"
        );
        let context = &all[1].1;
        assert_eq!(
            fields(context),
            vec![
                "context.title",
                "context.description",
                "context.end_users",
                "context.expected_volume",
                "context.go_live"
            ]
        );
        let contacts = &all[3].1;
        assert_eq!(
            contacts.len(),
            4 * 5,
            "five fields for each of the four contacts"
        );
        assert!(
            contacts
                .iter()
                .all(|e| e.message.ends_with("est obligatoire."))
        );
    }

    #[test]
    fn organisation_rules() {
        let mut r = complete();
        r.organisation.siret = "1300273760001".into();
        let errs = r.validate_step(Step::Organisation);
        assert_eq!(
            errs[0].message,
            "Le SIRET doit comporter 14 chiffres (13 chiffres saisis)."
        );

        let mut r = complete();
        r.organisation.legal_category = "5710".into();
        assert_eq!(
            fields(&r.validate_step(Step::Organisation)),
            vec!["organisation.justification"]
        );
        r.organisation.justification = "Délégation de service public de transport.".into();
        assert!(r.validate_step(Step::Organisation).is_empty());

        let mut r = complete();
        r.organisation.active = Some(false);
        let errs = r.validate_step(Step::Organisation);
        assert!(errs[0].message.contains("fermée"), "{errs:?}");

        let mut r = complete();
        r.organisation.name.clear();
        assert_eq!(
            fields(&r.validate_step(Step::Organisation)),
            vec!["organisation.name"],
            "said on the name, below the search button"
        );
    }

    #[test]
    fn context_rules() {
        let mut r = complete();
        r.context.expected_volume = "beaucoup".into();
        r.context.go_live = "2027-02-30".into();
        let errs = r.validate_step(Step::Context);
        assert_eq!(
            fields(&errs),
            vec!["context.expected_volume", "context.go_live"]
        );
        r.context.title = "x".repeat(201);
        let errs = r.validate_step(Step::Context);
        assert_eq!(errs[0].field, "context.title");
        assert_eq!(errs[0].message, "201 caractères saisis : 200 au maximum.");
    }

    #[test]
    fn data_rules() {
        let mut r = complete();
        r.data.scopes.clear();
        assert_eq!(
            r.validate_step(Step::Data)[0].message,
            "Choisissez au moins une donnée."
        );
        let mut r = complete();
        r.data.justifications.clear();
        r.data.scopes.push("inexistante".into());
        let errs = r.validate_step(Step::Data);
        assert_eq!(
            fields(&errs),
            vec![
                "data.justifications.unites_legales_etablissements_insee",
                "data.scopes"
            ]
        );
    }

    #[test]
    fn legal_rules() {
        let mut r = complete();
        r.legal.urls = vec!["legifrance".into(), "  ".into()];
        assert_eq!(fields(&r.validate_step(Step::Legal)), vec!["legal.urls.0"]);
        r.legal.urls.clear();
        assert_eq!(fields(&r.validate_step(Step::Legal)), vec!["legal.urls"]);
        r.legal.attachments.push(AttachmentRef {
            id: "a1".into(),
            file_name: "deliberation.pdf".into(),
            size_bytes: 1_000,
        });
        assert!(r.validate_step(Step::Legal).is_empty());
        r.legal.attachments[0].size_bytes = MAX_ATTACHMENT_BYTES + 1;
        let errs = r.validate_step(Step::Legal);
        assert_eq!(fields(&errs), vec!["legal.attachments.0"]);
        assert_eq!(errs[0].message, "« deliberation.pdf » dépasse 10 Mo.");
        r.legal.attachments[0].size_bytes = MAX_ATTACHMENT_BYTES;
        r.legal.retention_months = "48".into();
        assert_eq!(
            fields(&r.validate_step(Step::Legal)),
            vec!["legal.retention_justification"]
        );
        r.legal.retention_months = "0".into();
        assert_eq!(
            fields(&r.validate_step(Step::Legal)),
            vec!["legal.retention_months"]
        );
    }

    #[test]
    fn contact_rules() {
        let mut r = complete();
        r.contacts.dpo.email = "dpo@occitanie".into();
        r.contacts.technical.phone = "12".into();
        assert_eq!(
            fields(&r.validate_step(Step::Contacts)),
            vec!["contacts.dpo.email", "contacts.technical.phone"]
        );
    }

    #[test]
    fn terms_rules() {
        let mut r = complete();
        r.terms.version = "2020-01".into();
        assert!(
            r.validate_step(Step::Terms)[0]
                .message
                .contains("ont changé")
        );
        r.terms.accepted = false;
        assert_eq!(
            fields(&r.validate_step(Step::Terms)),
            vec!["terms.accepted"]
        );
    }

    #[test]
    fn limits_hold_for_drafts() {
        let mut r = RequestData::new_draft();
        r.context.description = "é".repeat(limits::LONG + 1);
        r.legal.urls = vec!["https://a.fr".into(); limits::MAX_URLS + 1];
        assert_eq!(
            fields(&r.validate_limits()),
            vec!["context.description", "legal.urls"]
        );
    }

    #[test]
    fn checks_of_dates_emails_phones_urls() {
        assert_eq!(parse_date("2028-02-29"), Some((2028, 2, 29)));
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "27-01-01",
            "2027-1-01",
            "2027-01-01-01",
            "",
            "1999-12-31",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        for ok in ["a@b.fr", "prenom.nom+tag@sous.domaine.gouv.fr"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["a@b", "@b.fr", "a b@c.fr", "a@@b.fr", "a@.fr", "a@b..fr"] {
            assert!(!is_email(bad), "{bad}");
        }
        for ok in [
            "0561335050",
            "05 61 33 50 50",
            "+33 5 61 33 50 50",
            "05.61.33.50.50",
        ] {
            assert!(is_phone(ok), "{ok}");
        }
        for bad in ["0561", "05 61 33 50 5O", "+33 (0)5 61"] {
            assert!(!is_phone(bad), "{bad}");
        }
        for ok in [
            "https://www.legifrance.gouv.fr/loda/id/JORFTEXT000000886460",
            "http://exemple.fr:8080/a?b#c",
        ] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "legifrance.gouv.fr",
            "javascript:alert(1)",
            "https://",
            "https://localhost/x",
            "https://a b.fr",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }

    #[test]
    fn steps_are_numbered_and_serialised() {
        assert_eq!(Step::Organisation.number(), 1);
        assert_eq!(Step::Terms.number(), 6);
        let json = serde_json::to_string(&complete()).expect("json");
        let back: RequestData = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, complete());
        // Missing fields (older drafts) default instead of failing.
        let partial: RequestData =
            serde_json::from_str(r#"{"context":{"title":"Brouillon"}}"#).expect("partial");
        assert_eq!(partial.context.title, "Brouillon");
    }

    #[test]
    fn differences_name_fields_in_french() {
        let before = RequestData::example();
        let mut after = before.clone();
        after.context.title = "Nouveau titre".into();
        after.contacts.dpo.email = "nouveau.dpo@occitanie.fr".into();
        after
            .legal
            .urls
            .push("https://www.legifrance.gouv.fr/x".into());
        let changes = differences(&before, &after);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["context.title", "legal.urls", "contacts.dpo.email"]
        );
        assert_eq!(changes[0].label, "Intitulé de la demande");
        assert_eq!(changes[0].before, before.context.title);
        assert_eq!(changes[0].after, "Nouveau titre");
        assert_eq!(changes[2].label, "DPO : adresse électronique");
        assert!(
            changes[1]
                .after
                .ends_with(", https://www.legifrance.gouv.fr/x")
        );
        assert!(differences(&before, &before).is_empty());
    }

    #[test]
    fn a_changed_date_reads_in_french() {
        let before = RequestData::example();
        let mut after = before.clone();
        after.context.go_live = "2027-09-15".into();
        let changes = differences(&before, &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].before, "1er mars 2027");
        assert_eq!(changes[0].after, "15 septembre 2027");
    }
}
