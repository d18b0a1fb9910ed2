//! The `guichet` command line: `serve` (default), `migrate`, `precompress`,
//! `demo`, `directory`, `admin`.

use crate::domain::lifecycle::Role;
use crate::server::auth::accounts;
use crate::server::config::Config;
use crate::server::db::{Db, redact};
use crate::server::directory::index::Index;
use crate::server::http::router;
use crate::server::state::AppState;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "guichet",
    version,
    about = "Guichet : le portail d’accès à API Entreprise"
)]
struct Cli {
    /// Fichier de configuration (table [package.metadata.leptos] et table [guichet]).
    #[arg(long, env = "GUICHET_CONFIG", default_value = "Leptos.toml")]
    config: PathBuf,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lance le serveur web (commande par défaut) ; applique d’abord les migrations.
    Serve,
    /// Applique les migrations de la base de données puis s’arrête.
    Migrate,
    /// Gère l’annuaire hors ligne des organismes publics.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Crée les données de démonstration : la Région Occitanie, trois demandes validées,
    /// un espace et trois jetons, un instructeur, des demandes dans les autres états.
    Demo {
        /// Mot de passe des trois comptes de démonstration.
        #[arg(long, default_value = DEMO_PASSWORD)]
        password: String,
    },
    /// Compresse une fois pour toutes (brotli 11 et gzip 9) les fichiers statiques du site,
    /// après `cargo leptos build` : ils sont ensuite servis tels quels.
    Precompress {
        /// Dossier du site (par défaut : `site-root` de la configuration).
        #[arg(long)]
        site_root: Option<PathBuf>,
    },
    /// Administration des comptes.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Crée un compte instructeur et affiche un lien (valable 7 jours, à usage unique)
    /// pour choisir son mot de passe.
    CreateInstructor {
        /// Adresse électronique de l’instructeur.
        #[arg(long)]
        email: String,
    },
    /// Crée un compte administrateur et affiche un lien (valable 7 jours, à usage unique)
    /// pour choisir son mot de passe.
    CreateAdmin {
        /// Adresse électronique de l’administrateur.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum DirectoryCommand {
    /// Importe (ou remplace) l’annuaire depuis le paquet npm @etalab/decoupage-administratif.
    Import {
        /// Dossier `data` du paquet (par défaut : celui de la configuration).
        #[arg(long)]
        from: Option<PathBuf>,
    },
}

/// Entry point of the binary.
pub async fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.config).await,
        Command::Migrate => migrate(&cli.config).await,
        Command::Directory {
            command: DirectoryCommand::Import { from },
        } => directory_import(&cli.config, from).await,
        Command::Demo { password } => demo(&cli.config, &password).await,
        Command::Precompress { site_root } => precompress(&cli.config, site_root),
        Command::Admin { command } => {
            let (email, role) = match command {
                AdminCommand::CreateInstructor { email } => (email, Role::Instructor),
                AdminCommand::CreateAdmin { email } => (email, Role::Admin),
            };
            create_staff(&cli.config, &email, role).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("guichet : {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    // A second initialisation (tests) is harmless.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn precompress(config_path: &std::path::Path, site_root: Option<PathBuf>) -> Result<(), String> {
    let root = match site_root {
        Some(root) => root,
        None => {
            let config = Config::load(config_path).map_err(|e| e.to_string())?;
            PathBuf::from(config.leptos.site_root.as_ref())
        }
    };
    if !root.is_dir() {
        return Err(format!(
            "{} n’est pas un dossier : lancez d’abord `cargo leptos build --release --split`",
            root.display()
        ));
    }
    let done = crate::server::assets::precompress(&root)
        .map_err(|e| format!("compression de {} impossible : {e}", root.display()))?;
    println!(
        "{} fichiers de {} : {} Kio, {} Kio en brotli, {} Kio en gzip",
        done.files,
        root.display(),
        done.bytes / 1024,
        done.brotli_bytes / 1024,
        done.gzip_bytes / 1024
    );
    Ok(())
}

async fn open_database(config: &Config) -> Result<Db, String> {
    let db = Db::connect(&config.database_url).await.map_err(|e| {
        format!(
            "connexion à la base {} impossible : {e}",
            redact(&config.database_url)
        )
    })?;
    db.migrate().await.map_err(|e| e.to_string())?;
    Ok(db)
}

async fn migrate(config_path: &std::path::Path) -> Result<(), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    open_database(&config).await?;
    println!("Migrations appliquées sur {}", redact(&config.database_url));
    Ok(())
}

async fn directory_import(
    config_path: &std::path::Path,
    from: Option<PathBuf>,
) -> Result<(), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let db = open_database(&config).await?;
    let dir = from.unwrap_or(config.directory_data);
    let n = crate::server::directory::import(&db, &dir)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Annuaire importé : {n} organismes publics depuis {}",
        dir.display()
    );
    Ok(())
}

/// Reads the keys signing API tokens from their folder (made with a first
/// key when empty) into `state`; answers the folder.
fn load_keys(config: &Config, state: &mut AppState) -> Result<PathBuf, String> {
    let dir = config
        .jwt_keys_dir
        .clone()
        .unwrap_or_else(|| config.data_dir.join("cles-jwt"));
    state.tokens = std::sync::Arc::new(
        crate::server::tokens::Keys::load_or_create(&dir).map_err(|e| e.to_string())?,
    );
    Ok(dir)
}

/// The demo accounts' password unless `--password` says otherwise.
const DEMO_PASSWORD: &str = "demonstration-guichet-occitanie";

async fn demo(config_path: &std::path::Path, password: &str) -> Result<(), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let db = open_database(&config).await?;
    let mut state = app_state(&config, db, Index::default(), None);
    load_keys(&config, &mut state)?;
    let demo = crate::server::demo::seed(&state, password).await?;
    let url = &state.public_url;
    if demo.already {
        println!(
            "La démonstration est déjà en place sur {}.",
            redact(&config.database_url)
        );
    } else {
        println!("Démonstration créée sur {}.", redact(&config.database_url));
    }
    println!(
        "\nLancez le site (README, commande 1) puis connectez-vous sur {url}/connexion \
         (mot de passe : {password}) :\n  \
         - demandeur : {} → {url}/demandes et {url}/espace\n  \
         - contact technique : {} → {url}/espace\n  \
         - instructeur : {} → {url}/instruction\n\nJetons de l’espace de la Région Occitanie :",
        crate::server::demo::APPLICANT,
        crate::server::demo::TECHNICAL,
        crate::server::demo::INSTRUCTOR,
    );
    for (id, title, token) in &demo.accepted {
        println!("  - demande n° {id} « {title} » : jeton {token}");
    }
    if let Some((_, _, token_id)) = demo.accepted.first()
        && let Some(row) = crate::server::db::spaces::token(&state.db, token_id)
            .await
            .map_err(|e| e.to_string())?
    {
        let jwt = state
            .tokens
            .mint(&crate::server::tokens::Claims::of(&row))
            .map_err(|e| e.to_string())?;
        println!(
            "\nUn appel avec le premier jeton (la commune de Toulouse, dans l’annuaire) :\n  \
             curl -H \"Authorization: Bearer {jwt}\" \\\n    \
             \"{url}/v4/insee/sirene/unites_legales/418166096?context=Aides&object=Demo&recipient=13002737600016\""
        );
    }
    Ok(())
}

async fn create_staff(
    config_path: &std::path::Path,
    email: &str,
    role: Role,
) -> Result<(), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let db = open_database(&config).await?;
    let state = app_state(&config, db, Index::default(), None);
    let email = accounts::check_email(email).map_err(|e| e.message)?;
    let link = accounts::invite(&state, &email, role, false)
        .await
        .map_err(|e| e.message)?;
    println!(
        "Compte {} prêt pour {email}.\nLien pour choisir le mot de passe (valable 7 jours, à usage \
         unique ; le transmettre à la personne seulement) :\n{link}",
        role.label().to_lowercase()
    );
    Ok(())
}

/// The state the server runs with.
fn app_state(
    config: &Config,
    db: Db,
    directory: Index,
    online_directory: Option<crate::server::directory::online::OnlineDirectory>,
) -> AppState {
    let mut state = AppState::new(config.leptos.clone(), db);
    state.directory = std::sync::Arc::new(directory);
    state.online_directory = online_directory;
    state.proxy = config.proxy.clone();
    state.https = config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    if let Some(url) = &config.public_url {
        state.public_url = url.trim_end_matches('/').to_owned();
    }
    state.dev_mode =
        config.leptos.env == leptos::config::Env::DEV && config.smtp_url.is_none() && !state.https;
    state.clamd = crate::server::attachments::Clamd::from_setting(config.clamd_address.as_deref());
    state.auth_per_minute = config.auth_per_minute;
    state
}

async fn serve(config_path: &std::path::Path) -> Result<(), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let db = open_database(&config).await?;
    let directory = crate::server::directory::load(&db, &config.directory_data)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(entries = directory.len(), "annuaire chargé");
    let addr = config.leptos.site_addr;
    let online_directory = match &config.directory_online_url {
        Some(url) => Some(
            crate::server::directory::online::OnlineDirectory::new(
                url,
                std::time::Duration::from_millis(config.directory_online_timeout_ms),
            )
            .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let from = crate::server::mail::parse_from(&config.mail_from).map_err(|e| e.to_string())?;
    let transport = crate::server::mail::Transport::new(
        config.smtp_url.as_deref(),
        config.data_dir.join("mails"),
    )
    .map_err(|e| e.to_string())?;
    crate::server::mail::spawn_worker(
        db.clone(),
        transport,
        from,
        std::time::Duration::from_secs(2),
    );
    crate::server::auth::session::spawn_cleanup(db.clone());
    let mut state = app_state(&config, db, directory, online_directory);
    state.attachments = crate::server::attachments::open_store(
        config.attachments_store.as_deref(),
        &config.data_dir,
    )
    .map_err(|e| format!("stockage des pièces jointes inutilisable : {e}"))?;
    if let Some(upstream) = &config.api_upstream {
        let upstream = crate::server::api_entreprise::upstream::Upstream::new(upstream.clone())
            .map_err(|e| format!("relais vers API Entreprise inutilisable : {e}"))?;
        tracing::info!(upstream = upstream.base_url(), "API : mode relais");
        state.api_mode =
            crate::server::api_entreprise::ApiMode::Proxy(std::sync::Arc::new(upstream));
    } else {
        tracing::info!("API : mode bac à sable (données fictives du contrat)");
    }
    if let Some(pc) = &config.proconnect {
        let pc = crate::server::auth::proconnect::ProConnect::new(pc.clone())
            .map_err(|e| format!("ProConnect inutilisable : {e}"))?;
        tracing::info!(issuer = pc.config.issuer, "connexion avec ProConnect");
        state.proconnect = Some(std::sync::Arc::new(pc));
    }
    state.applicant_password = config.applicant_password;
    let keys_dir = load_keys(&config, &mut state)?;
    tracing::info!(dir = %keys_dir.display(), kids = ?state.tokens.kids(), "clés de signature des jetons");
    crate::server::api_entreprise::spawn_usage_flush(state.clone());
    crate::server::api_entreprise::spawn_revocation_watch(state.clone());
    crate::server::flows::remind::spawn(state.clone());
    if state.db.backend == crate::server::db::Backend::Postgres {
        state.live.start_listener(config.database_url.clone()).await;
    }
    match &state.clamd {
        Some(c) => tracing::info!(clamd = ?c, "pièces jointes analysées par ClamAV"),
        None => tracing::info!("pas d’antivirus configuré : pièces jointes non analysées"),
    }
    if state.dev_mode {
        tracing::info!("mode développement : courriels visibles sur /dev/mails");
    }
    let site_root = std::path::Path::new(state.leptos_options.site_root.as_ref());
    let uncompressed = crate::server::assets::Assets::missing_variants(site_root);
    if uncompressed > 0 {
        tracing::warn!(
            files = uncompressed,
            "fichiers statiques sans version précompressée : lancez `guichet precompress`"
        );
    }
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("impossible d’écouter sur {addr} : {e}"))?;
    tracing::info!(
        %addr,
        database = %redact(&config.database_url),
        "Guichet à l’écoute sur http://{addr}"
    );
    crate::server::listen::serve(listener, app, shutdown_signal()).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("arrêt demandé, fin des requêtes en cours");
}
