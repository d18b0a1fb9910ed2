//! API Entreprise's contract, as Guichet serves it: every operation of the
//! OpenAPI file (`data/api_entreprise_contract.json`, built from it by
//! `scripts/contract.py`), the scopes that open each one, the rules of its
//! parameters with their documented error codes, and the identifiers the
//! contract documents (the sandbox answers them with the contract's own
//! examples).

use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

const CONTRACT_JSON: &str = include_str!("data/api_entreprise_contract.json");

/// What an operation answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// `GET /privileges`: the token's own rights.
    Privileges,
    /// Data about a company, from a provider.
    Data,
}

/// What a path parameter holds, and so how it is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    Siren,
    Siret,
    Year,
    Month,
    SiretOrRna,
    SirenOrRna,
    SirenOrSiretOrRna,
    SiretOrEori,
}

/// A path parameter and the values the contract documents for it.
#[derive(Clone, Debug, Deserialize)]
pub struct PathParam {
    pub name: String,
    pub kind: ParamKind,
    #[serde(default)]
    pub examples: Vec<String>,
}

/// An optional query parameter and its schema in the contract.
#[derive(Clone, Debug, Deserialize)]
pub struct QueryParam {
    pub name: String,
    #[serde(default)]
    pub schema: Value,
}

/// One operation of the contract.
#[derive(Clone, Debug, Deserialize)]
pub struct Operation {
    /// The OpenAPI path (`/v3/dgfip/etablissements/{siret}/chiffres_affaires`).
    pub path: String,
    #[serde(default)]
    pub operation_id: String,
    pub summary: String,
    pub kind: OperationKind,
    /// The provider's two-digit prefix of error codes (`03` for the DGFIP).
    #[serde(default)]
    pub provider_code: String,
    #[serde(default)]
    pub provider_name: String,
    /// The token scopes that open it (any one is enough).
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub path_params: Vec<PathParam>,
    #[serde(default)]
    pub query_params: Vec<QueryParam>,
    /// The sandbox's answer: the contract's examples, marked as fictitious.
    #[serde(default)]
    pub sample: Value,
    /// The contract's documented 404, marked as fictitious.
    #[serde(default)]
    pub not_found: Value,
}

#[derive(Deserialize)]
struct ContractFile {
    operations: Vec<Operation>,
}

static CONTRACT: LazyLock<Vec<Operation>> = LazyLock::new(|| {
    // Compiled in and checked by the tests below: an empty list would mean a
    // broken build, never a caller's input.
    serde_json::from_str::<ContractFile>(CONTRACT_JSON)
        .map(|f| f.operations)
        .unwrap_or_default()
});

/// Per parameter name, every value the contract documents for it on any
/// operation: an operation documenting none answers those.
static DOCUMENTED: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    let mut all: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for op in CONTRACT.iter() {
        for p in &op.path_params {
            let values = all.entry(p.name.as_str()).or_default();
            values.extend(p.examples.iter().map(String::as_str));
            values.sort_unstable();
            values.dedup();
        }
    }
    all
});

/// Every operation, in the contract's order.
pub fn operations() -> &'static [Operation] {
    &CONTRACT
}

/// A refused parameter: API Entreprise's code, its French detail, and the
/// parameter named in `source` (none where the contract names none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub detail: &'static str,
    pub parameter: Option<&'static str>,
}

const fn invalid(code: &'static str, detail: &'static str, parameter: &'static str) -> Invalid {
    Invalid {
        code,
        detail,
        parameter: Some(parameter),
    }
}

fn all_digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

fn siren_ok(value: &str) -> bool {
    all_digits(value, 9) && crate::domain::siret::Siren::parse(value).is_ok()
}

fn siret_ok(value: &str) -> bool {
    all_digits(value, 14) && crate::domain::siret::Siret::parse(value).is_ok()
}

/// An association's number in the RNA: `W` and nine digits or letters.
fn rna_ok(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 10 && b[0] == b'W' && b[1..].iter().all(u8::is_ascii_alphanumeric)
}

/// An EORI number: a country code and up to 15 digits or letters.
fn eori_ok(value: &str) -> bool {
    // Bytes, not characters: a multibyte character is refused, never split.
    let b = value.as_bytes();
    b.len() > 2
        && b.len() <= 17
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..].iter().all(u8::is_ascii_alphanumeric)
}

impl ParamKind {
    /// The documented 422 when `value` is not of this kind.
    pub fn check(self, value: &str) -> Result<(), Invalid> {
        let ok = match self {
            ParamKind::Siren => siren_ok(value),
            ParamKind::Siret => siret_ok(value),
            ParamKind::Year => {
                all_digits(value, 4) && value.parse::<u16>().is_ok_and(|y| y >= 1900)
            }
            ParamKind::Month => {
                all_digits(value, 2) && value.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
            }
            // The composite identifiers are checked for their shape (as the
            // contract's own example of a SIRET there fails the checksum).
            ParamKind::SiretOrRna => all_digits(value, 14) || rna_ok(value),
            ParamKind::SirenOrRna => siren_ok(value) || rna_ok(value),
            ParamKind::SirenOrSiretOrRna => {
                all_digits(value, 9) || all_digits(value, 14) || rna_ok(value)
            }
            ParamKind::SiretOrEori => siret_ok(value) || eori_ok(value),
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            ParamKind::Siren => invalid(
                "00301",
                "Le numéro de siren n'est pas correctement formatté",
                "siren",
            ),
            ParamKind::Siret => invalid(
                "00302",
                "Le numéro de siret n'est pas correctement formatté",
                "siret",
            ),
            ParamKind::Year => Invalid {
                code: "00307",
                detail: "L'année n'est pas correctement formatée",
                parameter: None,
            },
            ParamKind::Month => invalid("00305", "Le format du mois n'est pas valide", "month"),
            ParamKind::SiretOrRna => invalid(
                "00303",
                "Le numéro de siret ou le numéro d'association indiqué n'est pas correctement \
                 formatté",
                "id",
            ),
            ParamKind::SirenOrRna => invalid(
                "00333",
                "Le numéro de siren ou le numéro d'association indiqué n'est pas correctement \
                 formatté",
                "id",
            ),
            ParamKind::SirenOrSiretOrRna => invalid(
                "00330",
                "Le numéro de siren ou le numéro de siret ou le numéro d'association indiqué \
                 n'est pas correctement formatté",
                "id",
            ),
            ParamKind::SiretOrEori => invalid(
                "00304",
                "Le numéro de siret ou le numéro EORI n'est pas correctement formatté",
                "id",
            ),
        })
    }

    /// Whether the parameter names a company or an association (a year or a
    /// month does not).
    pub fn identifies(self) -> bool {
        !matches!(self, ParamKind::Year | ParamKind::Month)
    }
}

/// The code of each optional query parameter's 422 (`limit`'s is the
/// contract's; it documents none for the two others).
fn query_code(name: &str) -> (&'static str, &'static str, &'static str) {
    match name {
        "limit" => (
            "00313",
            "Le paramètre limit n'est pas correctement formatté",
            "limit",
        ),
        "profondeur" => (
            "00314",
            "Le paramètre profondeur doit être un nombre entier de 0 à 12",
            "profondeur",
        ),
        "nature_effectif" => (
            "00315",
            "Le paramètre nature_effectif doit valoir moyen, boeth, ecap ou \
             assujettissement_oeth",
            "nature_effectif",
        ),
        _ => (
            "00200",
            "Un paramètre n'est pas correctement formatté",
            "query",
        ),
    }
}

/// Whether `value` fits a query parameter's schema (type, bounds, values).
fn fits(schema: &Value, value: &str) -> bool {
    let number = value.parse::<f64>().ok().filter(|n| n.is_finite());
    let in_bounds = |n: f64| {
        schema["minimum"].as_f64().is_none_or(|m| n >= m)
            && schema["maximum"].as_f64().is_none_or(|m| n <= m)
    };
    if let Some(values) = schema["enum"].as_array() {
        return values.iter().any(|v| v.as_str() == Some(value));
    }
    match schema["type"].as_str() {
        Some("integer") => value
            .parse::<i64>()
            .ok()
            .is_some_and(|n| in_bounds(n as f64)),
        Some("number") => number.is_some_and(in_bounds),
        _ => true,
    }
}

/// `limit` is documented as 1 to 1000 in its description, not its schema.
fn query_schema<'a>(p: &'a QueryParam) -> std::borrow::Cow<'a, Value> {
    if p.name == "limit" {
        let mut s = p.schema.clone();
        s["minimum"] = 1.into();
        s["maximum"] = 1000.into();
        return std::borrow::Cow::Owned(s);
    }
    std::borrow::Cow::Borrowed(&p.schema)
}

/// The mandatory `context`, `object` and `recipient` of a data call, with
/// the identifier called (the recipient must be another organisation).
pub fn check_caller(query: &HashMap<String, String>, subject: &str) -> Result<(), Invalid> {
    let given = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    if given("context").is_none() {
        return Err(invalid(
            "00201",
            "Le paramètre context est obligatoire",
            "context",
        ));
    }
    let Some(object) = given("object") else {
        return Err(invalid(
            "00202",
            "Le paramètre object est obligatoire",
            "object",
        ));
    };
    if object.chars().count() >= 50 {
        return Err(invalid(
            "00202",
            "Le paramètre object doit faire moins de 50 caractères",
            "object",
        ));
    }
    let Some(recipient) = given("recipient") else {
        return Err(invalid(
            "00203",
            "Le paramètre recipient est obligatoire",
            "recipient",
        ));
    };
    if !siret_ok(recipient) {
        return Err(invalid(
            "00210",
            "Le paramètre recipient doit être le numéro de SIRET valide de l'organisme \
             destinataire des données",
            "recipient",
        ));
    }
    if !subject.is_empty() && recipient.starts_with(subject) {
        return Err(invalid(
            "00210",
            "Le paramètre recipient doit être différent de l'entité appelée : c'est le SIRET \
             de l'organisme public qui utilise les données",
            "recipient",
        ));
    }
    Ok(())
}

impl Operation {
    /// The first of the token's scopes that opens this operation.
    pub fn opened_by<'a>(&self, held: &'a [String]) -> Option<&'a str> {
        held.iter()
            .find(|s| self.scopes.contains(s))
            .map(String::as_str)
    }

    /// The identifier called (the first that names a company), for the
    /// recipient check.
    pub fn subject<'a>(&self, params: &'a HashMap<String, String>) -> &'a str {
        self.path_params
            .iter()
            .filter(|p| p.kind.identifies())
            .find_map(|p| params.get(&p.name))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Checks a data call's parameters, in the order API Entreprise does:
    /// the caller's (`context`, `object`, `recipient`), then the path's,
    /// then the optional query parameters.
    pub fn check(
        &self,
        params: &HashMap<String, String>,
        query: &HashMap<String, String>,
    ) -> Result<(), Invalid> {
        check_caller(query, self.subject(params))?;
        for p in &self.path_params {
            p.kind
                .check(params.get(&p.name).map_or("", String::as_str))?;
        }
        for p in &self.query_params {
            if let Some(value) = query.get(&p.name)
                && !fits(&query_schema(p), value.trim())
            {
                let (code, detail, parameter) = query_code(&p.name);
                return Err(invalid(code, detail, parameter));
            }
        }
        Ok(())
    }

    /// Whether every identifier of the call is one the contract documents
    /// (for this operation, or for its parameter anywhere in the contract
    /// when this operation documents none).
    pub fn documented(&self, params: &HashMap<String, String>) -> bool {
        self.path_params
            .iter()
            .filter(|p| p.kind.identifies())
            .all(|p| {
                let Some(value) = params.get(&p.name) else {
                    return false;
                };
                if p.examples.is_empty() {
                    DOCUMENTED
                        .get(p.name.as_str())
                        .is_some_and(|all| all.contains(&value.as_str()))
                } else {
                    p.examples.contains(value)
                }
            })
    }

    /// The identifiers the sandbox answers, per parameter.
    pub fn documented_values(&self) -> BTreeMap<&str, Vec<&str>> {
        self.path_params
            .iter()
            .filter(|p| p.kind.identifies())
            .map(|p| {
                let values = if p.examples.is_empty() {
                    DOCUMENTED.get(p.name.as_str()).cloned().unwrap_or_default()
                } else {
                    p.examples.iter().map(String::as_str).collect()
                };
                (p.name.as_str(), values)
            })
            .collect()
    }
}

/// The data operations a token's scopes open, in the contract's order.
pub fn opened_by(held: &[String]) -> impl Iterator<Item = &'static Operation> + '_ {
    operations()
        .iter()
        .filter(move |op| op.kind == OperationKind::Data && op.opened_by(held).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const CALLER: &[(&str, &str)] = &[
        ("context", "Aides"),
        ("object", "Dossier 42"),
        ("recipient", "13002526500013"),
    ];

    #[test]
    fn every_operation_of_the_contract_is_there_with_its_scopes() {
        let all = operations();
        assert_eq!(all.len(), 52);
        let privileges: Vec<_> = all
            .iter()
            .filter(|o| o.kind == OperationKind::Privileges)
            .collect();
        assert_eq!(privileges.len(), 1);
        assert_eq!(privileges[0].path, "/privileges");
        let token_scopes: Vec<String> = crate::domain::scopes::catalogue()
            .iter()
            .flat_map(|s| crate::domain::scopes::token_scopes(std::slice::from_ref(&s.value)))
            .collect();
        let mut unmarked = 0;
        for op in all.iter().filter(|o| o.kind == OperationKind::Data) {
            assert!(!op.scopes.is_empty(), "{}", op.path);
            // Every scope that opens it is one a token can hold.
            for s in &op.scopes {
                assert!(token_scopes.contains(s), "{}: {s}", op.path);
            }
            assert_eq!(op.provider_code.len(), 2, "{}", op.path);
            assert!(op.sample.is_object(), "{}", op.path);
            if op.sample["meta"]["donnees_fictives"] != true
                && op.sample["links"]["donnees_fictives"] != true
            {
                unmarked += 1;
            }
            assert_eq!(
                op.not_found["errors"][0]["title"], "Entité non trouvée",
                "{}",
                op.path
            );
            // Each documented identifier passes the checks.
            for (name, values) in op.documented_values() {
                assert!(!values.is_empty(), "{}: {name}", op.path);
                for v in values {
                    let kind = op
                        .path_params
                        .iter()
                        .find(|p| p.name == name)
                        .map(|p| p.kind)
                        .unwrap_or(ParamKind::Siren);
                    assert_eq!(kind.check(v), Ok(()), "{}: {name}={v}", op.path);
                }
            }
        }
        // The INSEE operations close both `meta` and `links`: only the
        // header marks their answers.
        assert_eq!(unmarked, 14);
        // Every form scope opens at least one operation.
        for s in &token_scopes {
            assert!(
                opened_by(std::slice::from_ref(s)).next().is_some(),
                "{s} opens nothing"
            );
        }
    }

    #[test]
    fn parameters_are_checked_with_the_documented_codes() {
        let op = operations()
            .iter()
            .find(|o| o.path.ends_with("effectifs_mensuels/{month}/annee/{year}"))
            .expect("effectifs mensuels");
        let query = map(CALLER);
        let ok = map(&[
            ("siret", "41816609600069"),
            ("month", "01"),
            ("year", "2020"),
        ]);
        assert_eq!(op.check(&ok, &query), Ok(()));
        assert!(op.documented(&ok));
        let code = |params: &HashMap<String, String>, query: &HashMap<String, String>| {
            op.check(params, query).err().map(|e| e.code)
        };
        let mut bad = ok.clone();
        bad.insert("month".into(), "13".into());
        assert_eq!(code(&bad, &query), Some("00305"));
        bad = ok.clone();
        bad.insert("year".into(), "20x0".into());
        assert_eq!(code(&bad, &query), Some("00307"));
        bad = ok.clone();
        bad.insert("siret".into(), "41816609600068".into());
        assert_eq!(code(&bad, &query), Some("00302"));
        let mut q = query.clone();
        q.insert("profondeur".into(), "13".into());
        assert_eq!(code(&ok, &q), Some("00314"));
        q.insert("profondeur".into(), "12".into());
        q.insert("nature_effectif".into(), "boeth".into());
        assert_eq!(code(&ok, &q), None);
        q.insert("nature_effectif".into(), "autre".into());
        assert_eq!(code(&ok, &q), Some("00315"));
        q = query.clone();
        q.remove("context");
        assert_eq!(code(&ok, &q), Some("00201"));
        q = query.clone();
        q.insert("recipient".into(), "41816609600069".into());
        assert_eq!(code(&ok, &q), Some("00210"));
        // A well-formed SIRET the contract does not document.
        let other = map(&[
            ("siret", "21340172200011"),
            ("month", "01"),
            ("year", "2020"),
        ]);
        assert_eq!(op.check(&other, &query), Ok(()));
        assert!(!op.documented(&other));
    }

    #[test]
    fn composite_identifiers() {
        assert!(ParamKind::SiretOrRna.check("W751212517").is_ok());
        assert!(ParamKind::SirenOrRna.check("775672272").is_ok());
        assert!(ParamKind::SiretOrEori.check("FR16002307300010").is_ok());
        assert!(ParamKind::SiretOrEori.check("ESA08536583").is_ok());
        assert_eq!(
            ParamKind::SiretOrEori.check("fr1").map_err(|e| e.code),
            Err("00304")
        );
        assert_eq!(
            ParamKind::SirenOrSiretOrRna.check("12").map_err(|e| e.code),
            Err("00330")
        );
        // Multibyte characters are refused, never split (schemathesis found
        // a panic here).
        for odd in ["\u{800}", "FRé", "Wéééé", "é"] {
            assert!(ParamKind::SiretOrEori.check(odd).is_err());
            assert!(ParamKind::SiretOrRna.check(odd).is_err());
            assert!(ParamKind::SirenOrRna.check(odd).is_err());
        }
    }
}
