//! API tokens as API Entreprise issues them: JWTs signed with Ed25519, with
//! the claims `uid` (the token's id), `jti` (the string's id: the token's id
//! for its first string, a new one after each rotation), `sub` (the
//! request's title),
//! `scopes`, `iat`, `exp` and `version`.
//!
//! The string is never stored: it is minted again, identical, whenever its
//! holder asks to see it. The authority is the `tokens` row found through
//! the `token_strings` row of its `jti`
//! (scopes, expiry, revocation, rate limit); a signature only proves the
//! string came from here. The public keys are published as a JWKS
//! (`/.well-known/jwks.json`) for API gateways.
//!
//! Keys live in a folder, one PKCS#8 PEM file per key, owner-only. The key
//! whose file name sorts last signs; every key verifies, so that after a
//! rotation (`guichet cle-jwt`, then a restart) the strings already copied
//! stay valid until their expiry. Several instances share the folder.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `version` claim of API Entreprise's tokens.
pub const CLAIMS_VERSION: &str = "1.0";

/// The claims of a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub uid: String,
    pub jti: String,
    pub sub: String,
    pub scopes: Vec<String>,
    /// Seconds since the epoch.
    pub iat: i64,
    pub exp: i64,
    pub version: String,
}

impl Claims {
    /// The claims of a token's first string (its `jti` is the token's id).
    pub fn of(row: &crate::server::db::spaces::TokenRow) -> Claims {
        Claims::of_string(row, &row.id, row.issued_at)
    }

    /// The claims of the token's string `jti`, issued at `issued_at` (ms):
    /// what the string says (the row can say more since: a renewal, an
    /// update of its scopes, a revocation).
    pub fn of_string(
        row: &crate::server::db::spaces::TokenRow,
        jti: &str,
        issued_at: i64,
    ) -> Claims {
        Claims {
            uid: row.id.clone(),
            jti: jti.to_owned(),
            sub: row.name.clone(),
            scopes: row.scope_list(),
            iat: issued_at / 1000,
            exp: row.expires_at / 1000,
            version: CLAIMS_VERSION.to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("dossier des clés de signature {path} inutilisable : {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("clé de signature {path} illisible : {reason}")]
    Invalid { path: String, reason: String },
    #[error("génération de clé impossible")]
    Random,
}

struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    public: Vec<u8>,
}

/// The signing key and every key that verifies.
pub struct Keys {
    /// Sorted by kid; the last one signs.
    keys: Vec<Key>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("Keys").field("kids", &kids).finish()
    }
}

fn key_from_pkcs8(kid: String, der: &[u8], path: &str) -> Result<Key, KeyError> {
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|e| KeyError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let public = pair.public_key().as_ref().to_vec();
    Ok(Key {
        kid,
        encoding: EncodingKey::from_ed_der(der),
        decoding: DecodingKey::from_ed_der(&public),
        public,
    })
}

fn new_pkcs8() -> Result<Vec<u8>, KeyError> {
    let rng = ring::rand::SystemRandom::new();
    Ed25519KeyPair::generate_pkcs8(&rng)
        .map(|d| d.as_ref().to_vec())
        .map_err(|_| KeyError::Random)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a new key in `dir` (created owner-only when missing) under
/// `name.pem`, never over an existing file (`AlreadyExists`); answers its
/// path.
pub fn write_new_key(dir: &Path, name: &str) -> Result<PathBuf, KeyError> {
    use std::io::Write;
    create_private_dir(dir)?;
    let path = dir.join(format!("{name}.pem"));
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", new_pkcs8()?));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // Written aside, then linked under its name: the name appears complete
    // or not at all, and never replaces a key (another instance's).
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
    let mut file = options.open(&temp).map_err(io(&temp))?;
    file.write_all(pem.as_bytes()).map_err(io(&temp))?;
    file.sync_all().map_err(io(&temp))?;
    let linked = std::fs::hard_link(&temp, &path);
    let _ = std::fs::remove_file(&temp);
    linked.map_err(io(&path))?;
    Ok(path)
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io(dir))
}

/// The name of a key made now: its date, so that a newer key sorts last.
pub fn key_name_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "cle-{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

impl Keys {
    /// Reads every `*.pem` key of `dir`; with none, makes the first one
    /// (`cle-0-initiale.pem`: a fixed name, so that instances starting together
    /// on a shared folder end with one key, not one each).
    pub fn load_or_create(dir: &Path) -> Result<Keys, KeyError> {
        create_private_dir(dir)?;
        let keys = Self::load(dir)?;
        if !keys.keys.is_empty() {
            return Ok(keys);
        }
        match write_new_key(dir, "cle-0-initiale") {
            Ok(_) => {}
            // Another instance wrote it first: use that one.
            Err(KeyError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        Self::load(dir)
    }

    fn load(dir: &Path) -> Result<Keys, KeyError> {
        let mut keys = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("pem") {
                continue;
            }
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let parsed = pem::parse(text.as_bytes()).map_err(|e| KeyError::Invalid {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
            let kid = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            keys.push(key_from_pkcs8(kid, parsed.contents(), &shown)?);
        }
        keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        Ok(Keys { keys })
    }

    /// A key made in memory (tests, and states not started by `serve`).
    pub fn ephemeral() -> Keys {
        let key = new_pkcs8()
            .and_then(|der| key_from_pkcs8("ephemere".to_owned(), &der, "mémoire"))
            .map(|k| vec![k])
            .unwrap_or_default();
        Keys { keys: key }
    }

    /// The key ids, signing key last.
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.kid.clone()).collect()
    }

    /// The public keys as a JSON Web Key Set (RFC 8037: OKP, Ed25519).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": k.kid,
                    "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&k.public),
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The token string for these claims, signed by the current key.
    pub fn mint(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let key = self
            .keys
            .last()
            .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding)
    }

    /// The claims of a string signed by one of the keys. The expiry is not
    /// checked here: the token's row decides it (a renewal moves it).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::EdDSA {
            return None;
        }
        let key = match &header.kid {
            Some(kid) => self.keys.iter().find(|k| &k.kid == kid)?,
            None => self.keys.last()?,
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            uid: "0b5c1a3e-0000-4000-8000-000000000001".into(),
            jti: "0b5c1a3e-0000-4000-8000-000000000001".into(),
            sub: "Pré-remplissage".into(),
            scopes: vec!["unites_legales_etablissements_insee".into()],
            iat: 1_700_000_000,
            exp: 1_747_000_000,
            version: CLAIMS_VERSION.into(),
        }
    }

    #[test]
    fn minted_again_the_string_is_the_same_and_verifies() {
        let keys = Keys::ephemeral();
        let a = keys.mint(&claims()).expect("mint");
        let b = keys.mint(&claims()).expect("mint");
        assert_eq!(
            a, b,
            "Ed25519 is deterministic: the string can be shown again"
        );
        assert_eq!(keys.verify(&a), Some(claims()));
        // Changed claims under the old signature, or another key: refused.
        let mut c = claims();
        c.scopes.push("open_data".into());
        let tampered = keys.mint(&c).expect("mint");
        let t: Vec<&str> = tampered.split('.').collect();
        let franken = format!("{}.{}.{}", t[0], t[1], a.split('.').nth(2).unwrap_or(""));
        assert_eq!(keys.verify(&franken), None, "signature of other claims");
        assert_eq!(Keys::ephemeral().verify(&a), None, "another key");
        assert_eq!(keys.verify("pas.un.jeton"), None);
    }

    #[test]
    fn keys_are_kept_owner_only_and_rotation_keeps_old_tokens() {
        let dir = tempfile::tempdir().expect("tmp");
        let folder = dir.path().join("cles");
        let first = Keys::load_or_create(&folder).expect("create");
        assert_eq!(first.kids(), ["cle-0-initiale"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&folder), 0o700);
            assert_eq!(mode(&folder.join("cle-0-initiale.pem")), 0o600);
        }
        let old = first.mint(&claims()).expect("mint");
        // Same folder again: the same key.
        let again = Keys::load_or_create(&folder).expect("load");
        assert_eq!(again.mint(&claims()).expect("mint"), old);
        // Rotation: the new key signs, the old one still verifies.
        write_new_key(&folder, "cle-20991231-000000").expect("rotate");
        let rotated = Keys::load_or_create(&folder).expect("load");
        assert_eq!(rotated.kids(), ["cle-0-initiale", "cle-20991231-000000"]);
        let new = rotated.mint(&claims()).expect("mint");
        assert_ne!(new, old);
        assert_eq!(rotated.verify(&old), Some(claims()));
        assert_eq!(rotated.verify(&new), Some(claims()));
        assert_eq!(rotated.jwks()["keys"].as_array().map(Vec::len), Some(2));
    }
}
