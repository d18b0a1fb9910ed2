//! Email delivery: the outbox (see `db::outbox`) is emptied by a background
//! worker through SMTP (`SMTP_URL`, with lettre) or, in development, into
//! `.eml` files in the data directory.

pub mod templates;

use crate::server::db::{self, Db, outbox::OutboxEmail};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// How long a claimed email is reserved for one delivery attempt.
const LEASE_MS: i64 = 60_000;
/// Longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 3_600_000;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("configuration SMTP invalide : {0}")]
    Config(String),
    #[error("adresse d’expéditeur invalide : {0}")]
    From(String),
}

/// Where emails go.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development: one `.eml` file per email.
    Files(PathBuf),
}

impl Transport {
    /// SMTP when `smtp_url` is set (`smtp://host:port`, `smtps://…`,
    /// `smtp://…?tls=required`), files in `dir` otherwise.
    pub fn new(smtp_url: Option<&str>, dir: PathBuf) -> Result<Transport, MailError> {
        match smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Transport::Smtp(b.timeout(Some(Duration::from_secs(10))).build()))
                .map_err(|e| MailError::Config(e.to_string())),
            None => Ok(Transport::Files(dir)),
        }
    }
}

/// Backoff after `attempts` failed attempts: 30 s, 1 min, 2 min… up to 1 h.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 20) as u32;
    (30_000i64.saturating_mul(2i64.saturating_pow(exp))).min(MAX_BACKOFF_MS)
}

fn build(email: &OutboxEmail, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = email
        .to_address
        .parse()
        .map_err(|e| format!("destinataire invalide : {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            email.body_text.clone(),
            email.body_html.clone(),
        ))
        .map_err(|e| e.to_string())
}

async fn send(transport: &Transport, message: Message) -> Result<(), String> {
    match transport {
        Transport::Smtp(smtp) => smtp
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Transport::Files(dir) => {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| e.to_string())?;
            AsyncFileTransport::<Tokio1Executor>::new(dir)
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

/// Delivers every due email once; returns (sent, failed).
pub async fn deliver_due(
    db: &Db,
    transport: &Transport,
    from: &Mailbox,
) -> Result<(usize, usize), db::DbError> {
    let now = db::now_ms();
    let due = db::outbox::claim_due(db, now, LEASE_MS, 50).await?;
    let (mut sent, mut failed) = (0, 0);
    for email in due {
        let result = match build(&email, from) {
            Ok(message) => send(transport, message).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                // Once it has left by SMTP, its one-time links are not kept
                // readable (the development mailbox, files on this machine,
                // is the mailbox itself: kept whole for /dev/mails).
                let masked = match transport {
                    Transport::Smtp(_) => {
                        Some((mask_links(&email.body_text), mask_links(&email.body_html)))
                    }
                    Transport::Files(_) => None,
                };
                let kept = masked.as_ref().map(|(t, h)| (t.as_str(), h.as_str()));
                db::outbox::mark_sent(db, email.id, db::now_ms(), kept).await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(id = email.id, attempts = email.attempts + 1, error = %e, "email not delivered");
                let next = db::now_ms() + backoff_ms(email.attempts);
                db::outbox::mark_failed(db, email.id, next, &e).await?;
                failed += 1;
            }
        }
    }
    Ok((sent, failed))
}

/// What replaces a one-time token in a sent email.
pub const MASKED_TOKEN: &str = "masque-apres-envoi";

/// `body` with every one-time token of its links (`jeton=…`) masked.
pub fn mask_links(body: &str) -> String {
    const MARK: &str = "jeton=";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i + MARK.len()]);
        rest = &rest[i + MARK.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            out.push_str(MASKED_TOKEN);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Runs `deliver_due` every `interval` until the process ends.
pub fn spawn_worker(db: Db, transport: Transport, from: Mailbox, interval: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&db, &transport, &from).await {
                tracing::warn!(error = %e, "email worker: outbox unreachable");
            }
        }
    });
}

/// Parses the sender address.
pub fn parse_from(from: &str) -> Result<Mailbox, MailError> {
    from.parse()
        .map_err(|e: lettre::address::AddressError| MailError::From(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_tokens_are_masked_once_sent() {
        let text = "Choisissez : https://g.fr/choisir-mot-de-passe?jeton=Ab_3-x9 (7 jours).\n\
                    <a href=\"https://g.fr/x?jeton=QQ\">lien</a> jeton= seul";
        let masked = mask_links(text);
        assert!(
            !masked.contains("Ab_3-x9") && !masked.contains("jeton=QQ"),
            "{masked}"
        );
        assert_eq!(
            masked.matches("jeton=masque-apres-envoi").count(),
            2,
            "{masked}"
        );
        assert!(masked.ends_with("jeton= seul"));
        assert_eq!(mask_links("rien à masquer"), "rien à masquer");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(0), 30_000);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(3), 240_000);
        assert_eq!(backoff_ms(10), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(1_000), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(-5), 30_000);
    }

    #[test]
    fn sender_and_transport_configuration() {
        assert!(parse_from("Guichet API Entreprise <ne-pas-repondre@guichet.example>").is_ok());
        assert!(parse_from("pas une adresse").is_err());
        assert!(Transport::new(Some("smtp://127.0.0.1:2525"), PathBuf::from("x")).is_ok());
        assert!(Transport::new(Some("ftp://x"), PathBuf::from("x")).is_err());
        assert!(matches!(
            Transport::new(None, PathBuf::from("x")),
            Ok(Transport::Files(_))
        ));
    }
}
