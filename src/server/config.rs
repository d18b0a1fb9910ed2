//! Runtime configuration: `Leptos.toml` (its `[package.metadata.leptos]` table
//! for Leptos, its `[guichet]` table for the app), then environment variables.
//!
//! | setting       | file key (`[guichet]`) | environment        | default                      |
//! |---------------|------------------------|--------------------|------------------------------|
//! | data dir      | `data-dir`             | `GUICHET_DATA_DIR` | `data`                       |
//! | database      | `database-url`         | `DATABASE_URL`     | SQLite file `<data dir>/guichet.db` |
//! | directory     | `directory-data`       | `GUICHET_DIRECTORY_DATA` | `node_modules/@etalab/decoupage-administratif/data` |
//! | online search | `directory-online-url` | `GUICHET_DIRECTORY_ONLINE_URL` | off |
//! | its timeout   | `directory-online-timeout-ms` | `GUICHET_DIRECTORY_ONLINE_TIMEOUT_MS` | 3000 |
//! | SMTP          | `smtp-url`             | `SMTP_URL`         | off: `.eml` files in `<data dir>/mails` |
//! | sender        | `mail-from`            | `MAIL_FROM`        | `DEFAULT_MAIL_FROM` |
//! | proxy hops    | `trust-proxy`          | `GUICHET_TRUST_PROXY` | 0: the peer address (a number of proxies, or `true` for one) |
//! | proxies       | `trusted-proxies`      | `GUICHET_TRUSTED_PROXIES` | none (addresses or networks, comma-separated; wins over the hops) |
//! | public URL    | `public-url`           | `GUICHET_PUBLIC_URL` | none (`https://…` turns HSTS on) |
//! | attachments   | `attachments-store`    | `GUICHET_ATTACHMENTS_STORE` | folder `<data dir>/pieces-jointes` (or `s3://bucket/prefix`) |
//! | token keys    | `jwt-keys-dir`         | `GUICHET_JWT_KEYS_DIR`      | folder `<data dir>/cles-jwt` (made with one key when empty) |
//! | auth limit    | `auth-per-minute`      | `GUICHET_AUTH_PER_MINUTE` | 10 sign-in/registration/reset attempts per client address and minute |
//! | antivirus     | `clamd-address`        | `CLAMD_ADDRESS`    | Debian's clamd socket when it exists (`host:port`, a socket path, or `off`) |
//! | API mode      | `api-mode`             | `GUICHET_API_MODE` | `sandbox` (the contract's examples) or `proxy` |
//! | upstream      | `api-upstream-url`     | `GUICHET_API_UPSTREAM_URL` | none; required by `proxy` (`https://entreprise.api.gouv.fr`) |
//! | its token     | `api-upstream-token`   | `GUICHET_API_UPSTREAM_TOKEN` | none; required by `proxy` (Guichet's own token there) |
//! | its timeout   | `api-upstream-timeout-ms` | `GUICHET_API_UPSTREAM_TIMEOUT_MS` | 10000 |
//! | its calls in flight | `api-upstream-concurrency` | `GUICHET_API_UPSTREAM_CONCURRENCY` | 64 |
//! | ProConnect issuer | `proconnect-issuer`   | `GUICHET_PROCONNECT_ISSUER` | none: no ProConnect button |
//! | its client id | `proconnect-client-id`    | `GUICHET_PROCONNECT_CLIENT_ID` | none; required with the issuer |
//! | its secret    | `proconnect-client-secret`| `GUICHET_PROCONNECT_CLIENT_SECRET` | none; required with the issuer |
//! | `acr_values` asked | `proconnect-acr-values` | `GUICHET_PROCONNECT_ACR_VALUES` | `eidas1` (`none`: not sent) |
//! | staff's strong `acr` | `proconnect-staff-acr` | `GUICHET_PROCONNECT_STAFF_ACR` | `DEFAULT_STAFF_ACR` (comma-separated) |
//! | applicants' passwords | `applicant-password` | `GUICHET_APPLICANT_PASSWORD` | `true` (`false`: ProConnect only for applicants) |
//!
//! The `LEPTOS_*` variables (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, …) override
//! the Leptos table as usual.

use leptos::config::{LeptosOptions, get_configuration};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Config {
    pub leptos: LeptosOptions,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The data folder of the npm package `@etalab/decoupage-administratif`.
    pub directory_data: PathBuf,
    /// Base URL of the online company search; `None`: off.
    pub directory_online_url: Option<String>,
    /// Timeout of each online directory call.
    pub directory_online_timeout_ms: u64,
    /// SMTP server (`smtp://…`, `smtps://…`); `None`: emails go to
    /// `<data dir>/mails` as `.eml` files (development).
    pub smtp_url: Option<String>,
    /// Sender of every email.
    pub mail_from: String,
    /// Behind reverse proxies: how the client address is read from
    /// `X-Forwarded-For`.
    pub proxy: crate::server::client_ip::ProxyTrust,
    /// The address users reach the service at (links in emails; `https://…`
    /// turns on HSTS).
    pub public_url: Option<String>,
    /// Where attachments are stored: a folder, `file://…` or `s3://bucket/prefix`;
    /// `None`: `<data dir>/pieces-jointes`.
    pub attachments_store: Option<String>,
    /// The folder of the keys signing API tokens (PKCS#8 PEM files, the
    /// newest name signs); `None`: `<data dir>/cles-jwt`.
    pub jwt_keys_dir: Option<std::path::PathBuf>,
    /// The ClamAV daemon (`host:port` or socket path, `off`); `None`: the
    /// Debian socket when it exists.
    pub clamd_address: Option<String>,
    /// Sign-in, registration and reset attempts per client address and minute.
    pub auth_per_minute: u32,
    /// The upstream of the proxy mode; none: the sandbox.
    pub api_upstream: Option<crate::server::api_entreprise::upstream::UpstreamConfig>,
    /// Sign-in with ProConnect; none: off.
    pub proconnect: Option<crate::server::auth::proconnect::ProConnectConfig>,
    /// Whether applicants may register and sign in with a password.
    pub applicant_password: bool,
}

/// The `acr` values of ProConnect that count as the staff's second factor:
/// those where the identity provider itself asked for a second factor.
pub const DEFAULT_STAFF_ACR: &str = "eidas2,eidas3,\
https://proconnect.gouv.fr/assurance/self-asserted-2fa,\
https://proconnect.gouv.fr/assurance/consistency-checked-2fa";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("fichier de configuration {path} illisible : {reason}")]
    File { path: String, reason: String },
    #[error("configuration Leptos invalide dans {path} : {reason}")]
    Leptos { path: String, reason: String },
    #[error("DATABASE_URL doit commencer par sqlite:// ou postgres:// (reçu : {0})")]
    DatabaseUrl(String),
    #[error("{key} invalide : {value} ({reason})")]
    Invalid {
        key: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// `trust-proxy` in the file: `true`/`false`, or a number of proxies.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ProxyHops {
    Flag(bool),
    Count(u8),
}

/// The app's own settings, the `[guichet]` table of the configuration file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileSettings {
    pub api_mode: Option<String>,
    pub api_upstream_url: Option<String>,
    pub api_upstream_token: Option<String>,
    pub api_upstream_timeout_ms: Option<u64>,
    pub api_upstream_concurrency: Option<usize>,
    pub applicant_password: Option<bool>,
    pub proconnect_issuer: Option<String>,
    pub proconnect_client_id: Option<String>,
    pub proconnect_client_secret: Option<String>,
    pub proconnect_acr_values: Option<String>,
    pub proconnect_staff_acr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub directory_data: Option<PathBuf>,
    pub directory_online_url: Option<String>,
    pub directory_online_timeout_ms: Option<u64>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub trust_proxy: Option<ProxyHops>,
    pub trusted_proxies: Option<String>,
    pub public_url: Option<String>,
    pub attachments_store: Option<String>,
    pub jwt_keys_dir: Option<String>,
    pub clamd_address: Option<String>,
    pub auth_per_minute: Option<u32>,
}

#[derive(Deserialize)]
struct FileRoot {
    #[serde(default)]
    guichet: FileSettings,
}

impl Config {
    /// Loads the configuration file at `path` and applies the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let root: FileRoot = toml::from_str(&text).map_err(|e| ConfigError::File {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let leptos = get_configuration(Some(&shown))
            .map_err(|e| ConfigError::Leptos {
                path: shown.clone(),
                reason: e.to_string(),
            })?
            .leptos_options;
        let mut config = resolve(leptos, root.guichet, |key| std::env::var(key).ok())?;
        config.leptos.hash_files = hashed_bundle_beside_binary(&config.leptos);
        Ok(config)
    }
}

/// Whether the browser bundle has content-hashed file names: `cargo leptos
/// build` (with `hash-files = true` in Cargo.toml) writes their list,
/// `hash.txt`, beside the server binary it builds. Hashed names let a browser
/// that still runs an older bundle fail cleanly on a module of a newer one
/// (the old name is gone) instead of loading a part of another build. A
/// binary without that file (tests, examples) serves unhashed names.
fn hashed_bundle_beside_binary(options: &LeptosOptions) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
        .is_some_and(|file| file.is_file())
}

/// Applies environment overrides (`env`) to the file settings.
pub fn resolve(
    leptos: LeptosOptions,
    file: FileSettings,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let non_empty = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let api_upstream = api_upstream(&file, &non_empty)?;
    let proconnect = proconnect(&file, &non_empty)?;
    let applicant_password = match non_empty("GUICHET_APPLICANT_PASSWORD") {
        Some(v) => match v.trim() {
            "true" | "1" | "oui" => true,
            "false" | "0" | "non" => false,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "GUICHET_APPLICANT_PASSWORD",
                    value: v,
                    reason: "true ou false attendu",
                });
            }
        },
        None => file.applicant_password.unwrap_or(true),
    };
    let data_dir = non_empty("GUICHET_DATA_DIR")
        .map(PathBuf::from)
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("data"));
    let database_url = match non_empty("DATABASE_URL").or(file.database_url) {
        Some(url) => {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(ConfigError::DatabaseUrl(url));
            }
            url
        }
        None => default_sqlite_url(&data_dir),
    };
    let directory_data = non_empty("GUICHET_DIRECTORY_DATA")
        .map(PathBuf::from)
        .or(file.directory_data)
        .unwrap_or_else(|| PathBuf::from(crate::server::directory::DEFAULT_DATA_DIR));
    let directory_online_url = non_empty("GUICHET_DIRECTORY_ONLINE_URL")
        .or(file.directory_online_url)
        .filter(|u| !u.trim().is_empty());
    let directory_online_url = directory_online_url
        .map(|u| http_url("GUICHET_DIRECTORY_ONLINE_URL", u))
        .transpose()?;
    let directory_online_timeout_ms = match non_empty("GUICHET_DIRECTORY_ONLINE_TIMEOUT_MS") {
        Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
            key: "GUICHET_DIRECTORY_ONLINE_TIMEOUT_MS",
            value: v.clone(),
            reason: "nombre de millisecondes attendu",
        })?,
        None => file.directory_online_timeout_ms.unwrap_or(3_000),
    };
    let auth_per_minute = match non_empty("GUICHET_AUTH_PER_MINUTE") {
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError::Invalid {
                key: "GUICHET_AUTH_PER_MINUTE",
                value: v.clone(),
                reason: "nombre entier positif attendu",
            })?,
        None => file
            .auth_per_minute
            .unwrap_or(crate::server::state::AUTH_PER_MINUTE),
    };
    let smtp_url = non_empty("SMTP_URL").or(file.smtp_url);
    let mail_from = non_empty("MAIL_FROM")
        .or(file.mail_from)
        .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned());
    Ok(Config {
        leptos,
        data_dir,
        database_url,
        directory_data,
        directory_online_url,
        directory_online_timeout_ms,
        smtp_url,
        mail_from,
        public_url: non_empty("GUICHET_PUBLIC_URL")
            .or(file.public_url)
            .map(|u| http_url("GUICHET_PUBLIC_URL", u))
            .transpose()?,
        attachments_store: non_empty("GUICHET_ATTACHMENTS_STORE").or(file.attachments_store),
        jwt_keys_dir: non_empty("GUICHET_JWT_KEYS_DIR")
            .or(file.jwt_keys_dir)
            .map(std::path::PathBuf::from),
        clamd_address: non_empty("CLAMD_ADDRESS").or(file.clamd_address),
        auth_per_minute,
        api_upstream,
        proconnect,
        applicant_password,
        proxy: {
            let hops = non_empty("GUICHET_TRUST_PROXY").or(file.trust_proxy.map(|v| match v {
                ProxyHops::Flag(b) => b.to_string(),
                ProxyHops::Count(n) => n.to_string(),
            }));
            let networks = non_empty("GUICHET_TRUSTED_PROXIES").or(file.trusted_proxies);
            crate::server::client_ip::ProxyTrust::parse(hops.as_deref(), networks.as_deref())
                .map_err(|value| ConfigError::Invalid {
                    key: "GUICHET_TRUST_PROXY / GUICHET_TRUSTED_PROXIES",
                    value,
                    reason: "nombre de mandataires, ou adresses et réseaux séparés par des virgules attendus",
                })?
        },
    })
}

/// A positive number setting, from the environment or the file.
fn positive<T: std::str::FromStr + PartialOrd + Default>(
    key: &'static str,
    env: Option<String>,
    file: Option<T>,
    default: T,
) -> Result<T, ConfigError> {
    match env {
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| *n > T::default())
            .ok_or(ConfigError::Invalid {
                key,
                value: v,
                reason: "nombre entier positif attendu",
            }),
        None => Ok(file.unwrap_or(default)),
    }
}

/// ProConnect's settings: none without an issuer; the client id and secret
/// are then required.
fn proconnect(
    file: &FileSettings,
    non_empty: &impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::server::auth::proconnect::ProConnectConfig>, ConfigError> {
    let Some(issuer) = non_empty("GUICHET_PROCONNECT_ISSUER").or(file.proconnect_issuer.clone())
    else {
        return Ok(None);
    };
    let missing = |key: &'static str| ConfigError::Invalid {
        key,
        value: String::new(),
        reason: "obligatoire avec GUICHET_PROCONNECT_ISSUER",
    };
    let client_id = non_empty("GUICHET_PROCONNECT_CLIENT_ID")
        .or(file.proconnect_client_id.clone())
        .ok_or_else(|| missing("GUICHET_PROCONNECT_CLIENT_ID"))?;
    let client_secret = non_empty("GUICHET_PROCONNECT_CLIENT_SECRET")
        .or(file.proconnect_client_secret.clone())
        .ok_or_else(|| missing("GUICHET_PROCONNECT_CLIENT_SECRET"))?;
    let acr_values = non_empty("GUICHET_PROCONNECT_ACR_VALUES")
        .or(file.proconnect_acr_values.clone())
        .unwrap_or_else(|| "eidas1".to_owned());
    let staff_acr = non_empty("GUICHET_PROCONNECT_STAFF_ACR")
        .or(file.proconnect_staff_acr.clone())
        .unwrap_or_else(|| DEFAULT_STAFF_ACR.to_owned());
    Ok(Some(crate::server::auth::proconnect::ProConnectConfig {
        // Kept exactly as written: it must equal the provider's `issuer`.
        issuer: if issuer.starts_with("https://") || issuer.starts_with("http://") {
            issuer.trim().to_owned()
        } else {
            return Err(ConfigError::Invalid {
                key: "GUICHET_PROCONNECT_ISSUER",
                value: issuer,
                reason: "adresse http(s) attendue",
            });
        },
        client_id: client_id.trim().to_owned(),
        client_secret: client_secret.trim().to_owned(),
        acr_values: Some(acr_values.trim().to_owned()).filter(|a| !a.is_empty() && a != "none"),
        staff_acr: staff_acr
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect(),
    }))
}

/// The API's mode: `sandbox` (none), or `proxy` with its upstream.
fn api_upstream(
    file: &FileSettings,
    non_empty: &impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::server::api_entreprise::upstream::UpstreamConfig>, ConfigError> {
    let mode = non_empty("GUICHET_API_MODE")
        .or(file.api_mode.clone())
        .unwrap_or_else(|| "sandbox".to_owned());
    match mode.trim() {
        "sandbox" => return Ok(None),
        "proxy" => {}
        _ => {
            return Err(ConfigError::Invalid {
                key: "GUICHET_API_MODE",
                value: mode,
                reason: "sandbox ou proxy attendu",
            });
        }
    }
    let missing = |key: &'static str| ConfigError::Invalid {
        key,
        value: String::new(),
        reason: "obligatoire en mode proxy",
    };
    let base_url = non_empty("GUICHET_API_UPSTREAM_URL")
        .or(file.api_upstream_url.clone())
        .ok_or_else(|| missing("GUICHET_API_UPSTREAM_URL"))?;
    let token = non_empty("GUICHET_API_UPSTREAM_TOKEN")
        .or(file.api_upstream_token.clone())
        .ok_or_else(|| missing("GUICHET_API_UPSTREAM_TOKEN"))?;
    let timeout_ms = positive(
        "GUICHET_API_UPSTREAM_TIMEOUT_MS",
        non_empty("GUICHET_API_UPSTREAM_TIMEOUT_MS"),
        file.api_upstream_timeout_ms,
        10_000,
    )?;
    let concurrency = positive(
        "GUICHET_API_UPSTREAM_CONCURRENCY",
        non_empty("GUICHET_API_UPSTREAM_CONCURRENCY"),
        file.api_upstream_concurrency,
        64,
    )?;
    Ok(Some(
        crate::server::api_entreprise::upstream::UpstreamConfig {
            base_url: http_url("GUICHET_API_UPSTREAM_URL", base_url)?,
            token: token.trim().to_owned(),
            timeout: std::time::Duration::from_millis(timeout_ms),
            concurrency,
        },
    ))
}

/// An http(s) address setting, without its trailing slash.
fn http_url(key: &'static str, url: String) -> Result<String, ConfigError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(ConfigError::Invalid {
            key,
            value: url,
            reason: "adresse http(s) attendue",
        })
    }
}

/// The sender when none is configured.
pub const DEFAULT_MAIL_FROM: &str = "Guichet API Entreprise <ne-pas-repondre@guichet.localhost>";

/// The embedded default: a SQLite file in the data directory, created if missing.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("guichet.db").display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn opts() -> LeptosOptions {
        LeptosOptions::builder().output_name("guichet").build()
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn default_is_sqlite_file_in_data_dir() {
        let c = resolve(opts(), FileSettings::default(), env(&[])).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert_eq!(c.database_url, "sqlite://data/guichet.db?mode=rwc");
    }

    #[test]
    fn data_dir_from_env_overrides_file() {
        let file = FileSettings {
            data_dir: Some("from-file".into()),
            ..FileSettings::default()
        };
        let c = resolve(opts(), file, env(&[("GUICHET_DATA_DIR", "/srv/g")])).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/g"));
        assert_eq!(c.database_url, "sqlite:///srv/g/guichet.db?mode=rwc");
    }

    #[test]
    fn proconnect_needs_its_client_and_keeps_the_issuer_as_written() {
        assert_eq!(
            resolve(opts(), FileSettings::default(), env(&[]))
                .unwrap()
                .proconnect,
            None
        );
        let issuer = "https://fca.integ01.dev-agentconnect.fr/api/v2";
        let e = resolve(
            opts(),
            FileSettings::default(),
            env(&[("GUICHET_PROCONNECT_ISSUER", issuer)]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("GUICHET_PROCONNECT_CLIENT_ID"),
            "{e}"
        );
        let c = resolve(
            opts(),
            FileSettings::default(),
            env(&[
                ("GUICHET_PROCONNECT_ISSUER", issuer),
                ("GUICHET_PROCONNECT_CLIENT_ID", "id"),
                ("GUICHET_PROCONNECT_CLIENT_SECRET", "secret"),
                ("GUICHET_APPLICANT_PASSWORD", "false"),
            ]),
        )
        .unwrap();
        let pc = c.proconnect.expect("proconnect");
        assert_eq!(pc.issuer, issuer);
        assert_eq!(pc.acr_values.as_deref(), Some("eidas1"));
        assert!(pc.staff_acr.contains(&"eidas2".to_owned()));
        assert!(!c.applicant_password);
        assert!(
            resolve(
                opts(),
                FileSettings::default(),
                env(&[("GUICHET_APPLICANT_PASSWORD", "peut-etre")])
            )
            .is_err()
        );
    }

    #[test]
    fn database_url_from_env_wins_and_is_checked() {
        let file = FileSettings {
            database_url: Some("sqlite://x.db".into()),
            directory_data: Some("annuaire".into()),
            ..FileSettings::default()
        };
        let c = resolve(
            opts(),
            file.clone(),
            env(&[("DATABASE_URL", "postgres://u@127.0.0.1/test")]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://u@127.0.0.1/test");

        let c = resolve(opts(), file.clone(), env(&[("DATABASE_URL", "  ")])).unwrap();
        assert_eq!(
            c.database_url, "sqlite://x.db",
            "an empty variable does not override"
        );

        let err = resolve(opts(), file, env(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("sqlite://"));
    }

    #[test]
    fn online_directory_is_off_by_default_and_checked() {
        let c = resolve(opts(), FileSettings::default(), env(&[])).unwrap();
        assert_eq!(c.directory_online_url, None);
        assert_eq!(c.directory_online_timeout_ms, 3_000);
        let c = resolve(
            opts(),
            FileSettings::default(),
            env(&[
                (
                    "GUICHET_DIRECTORY_ONLINE_URL",
                    "https://recherche-entreprises.api.gouv.fr",
                ),
                ("GUICHET_DIRECTORY_ONLINE_TIMEOUT_MS", "1500"),
            ]),
        )
        .unwrap();
        assert_eq!(c.directory_online_timeout_ms, 1_500);
        assert!(c.directory_online_url.is_some());
        let err = resolve(
            opts(),
            FileSettings::default(),
            env(&[("GUICHET_DIRECTORY_ONLINE_TIMEOUT_MS", "vite")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("millisecondes"));
        let err = resolve(
            opts(),
            FileSettings::default(),
            env(&[("GUICHET_DIRECTORY_ONLINE_URL", "ftp://x")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("http(s)"));
    }

    #[test]
    fn public_url_is_checked_and_normalised() {
        let c = resolve(
            opts(),
            FileSettings::default(),
            env(&[("GUICHET_PUBLIC_URL", "https://guichet.example/")]),
        )
        .unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://guichet.example"));
        let err = resolve(
            opts(),
            FileSettings::default(),
            env(&[("GUICHET_PUBLIC_URL", "guichet.example")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("GUICHET_PUBLIC_URL"));
    }

    #[test]
    fn project_file_parses() {
        let c = Config::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/Leptos.toml"
        )))
        .expect("Leptos.toml is valid");
        assert_eq!(&*c.leptos.output_name, "guichet");
    }

    #[test]
    fn unknown_keys_in_guichet_table_are_refused() {
        let err = toml::from_str::<FileRoot>("[guichet]\ndata_dir = \"x\"\n").err();
        assert!(
            err.is_some(),
            "snake_case key must be refused: the file uses kebab-case"
        );
    }

    #[test]
    fn auth_limit_is_configurable_and_checked() {
        let c = resolve(opts(), FileSettings::default(), env(&[])).unwrap();
        assert_eq!(c.auth_per_minute, 10);
        let c = resolve(
            opts(),
            FileSettings::default(),
            env(&[("GUICHET_AUTH_PER_MINUTE", "50")]),
        )
        .unwrap();
        assert_eq!(c.auth_per_minute, 50);
        for bad in ["0", "beaucoup", "-3"] {
            let err = resolve(
                opts(),
                FileSettings::default(),
                env(&[("GUICHET_AUTH_PER_MINUTE", bad)]),
            )
            .unwrap_err();
            assert!(err.to_string().contains("GUICHET_AUTH_PER_MINUTE"), "{bad}");
        }
    }
}
