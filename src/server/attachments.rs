//! PDF attachments of the legal framework (wizard step 4): upload, download,
//! the checks in between.
//!
//! - A file is accepted when its content is a PDF (it starts with `%PDF-1.`
//!   or `%PDF-2.` and ends with the `%%EOF` marker), whatever its name; at
//!   most `MAX_ATTACHMENT_BYTES` (10 MB) each and `MAX_ATTACHMENTS` (6) per
//!   request; only the request's applicant adds or removes them, only while
//!   the request is editable.
//! - When a ClamAV daemon is configured (or installed at its Debian socket),
//!   every file is scanned before it is stored; if the daemon cannot be
//!   reached the upload is refused (503) rather than stored unscanned.
//! - Files go to an `object_store` (a local folder by default, any
//!   S3-compatible bucket when configured) under a name the server makes
//!   (`demandes/<request>/<random id>.pdf`); the name the applicant gave is
//!   only shown, and cleaned first.
//! - Downloads: the request's applicant and staff, always as a download
//!   (`Content-Disposition: attachment`), never shown inline.

use crate::domain::request::{AttachmentRef, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use crate::error::{AppError, ErrorCode};
use crate::server::db;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use object_store::ObjectStore;
use object_store::path::Path as StorePath;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// Where uploads are posted: `POST /demandes/{id}/pieces-jointes?nom=…`, the
/// body being the file itself.
pub const UPLOAD_ROUTE: &str = "/demandes/{id}/pieces-jointes";
/// Where a file is downloaded: `GET /pieces-jointes/{id}`.
pub const DOWNLOAD_ROUTE: &str = "/pieces-jointes/{id}";

/// Whether `path` is an upload (it gets the attachment size limit instead of
/// the general one).
pub fn is_upload_path(path: &str) -> bool {
    path.strip_prefix("/demandes/")
        .and_then(|rest| rest.strip_suffix("/pieces-jointes"))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// Largest upload body: the file and nothing else.
pub const MAX_UPLOAD_BODY: usize = MAX_ATTACHMENT_BYTES as usize;

/// Longest file name kept (characters).
pub const MAX_NAME_CHARS: usize = 120;

/// How long the antivirus may take on one file.
const SCAN_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a file's content is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfProblem {
    Empty,
    NotPdf,
    Truncated,
}

impl PdfProblem {
    pub fn message(self) -> &'static str {
        match self {
            PdfProblem::Empty => "Le fichier est vide.",
            PdfProblem::NotPdf => {
                "Ce fichier n’est pas un PDF : seuls les documents PDF sont acceptés, quel que \
                 soit le nom du fichier. Enregistrez ou imprimez le document au format PDF, puis \
                 joignez-le."
            }
            PdfProblem::Truncated => {
                "Ce PDF est incomplet (sa fin manque) : il a sans doute été mal téléchargé ou \
                 mal enregistré. Enregistrez-le de nouveau, puis joignez-le."
            }
        }
    }
}

/// Checks that `bytes` are a PDF by their content: the header a PDF starts
/// with and the end-of-file marker in its last kilobyte.
pub fn check_pdf(bytes: &[u8]) -> Result<(), PdfProblem> {
    if bytes.is_empty() {
        return Err(PdfProblem::Empty);
    }
    let header_ok = bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.");
    if !header_ok {
        return Err(PdfProblem::NotPdf);
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(PdfProblem::Truncated);
    }
    Ok(())
}

/// The name shown for an uploaded file: the last part of what the browser
/// sent (no folders), without control or reserved characters, at most
/// `MAX_NAME_CHARS`, ending in `.pdf`.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .trim()
        .to_owned();
    let stem_len = name.len().saturating_sub(4);
    if name.len() >= 4
        && name.is_char_boundary(stem_len)
        && name[stem_len..].eq_ignore_ascii_case(".pdf")
    {
        name.truncate(stem_len);
    }
    let mut stem: String = name.chars().take(MAX_NAME_CHARS - 4).collect();
    stem = stem.trim().to_owned();
    if stem.is_empty() {
        stem = "document".to_owned();
    }
    format!("{stem}.pdf")
}

/// The `Content-Disposition` of a download: always an attachment, with an
/// ASCII name for old clients and the exact name (RFC 6266 / 5987) for the
/// others.
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A new random attachment id (128 bits, hex).
fn new_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "random source");
        AppError::new(ErrorCode::Internal)
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Storage

/// Builds the file store from its setting: `None` or a folder (or
/// `file://folder`) → that local folder, created if missing;
/// `s3://bucket[/prefix]` → an S3-compatible bucket configured by the usual
/// `AWS_*` variables (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`).
pub fn open_store(
    setting: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn ObjectStore>, String> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        Some(url) if url.starts_with("s3://") => {
            s3_store(url, object_store::aws::AmazonS3Builder::from_env())
        }
        Some(other) => local_store(std::path::Path::new(
            other.strip_prefix("file://").unwrap_or(other),
        )),
        None => local_store(&data_dir.join("pieces-jointes")),
    }
}

/// An S3-compatible bucket from `s3://bucket[/prefix]` and a builder holding
/// the endpoint and credentials.
pub fn s3_store(
    url: &str,
    builder: object_store::aws::AmazonS3Builder,
) -> Result<Arc<dyn ObjectStore>, String> {
    let rest = url.strip_prefix("s3://").unwrap_or(url);
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{url} : nom de bucket manquant"));
    }
    use object_store::ClientConfigKey;
    use object_store::aws::AmazonS3ConfigKey;
    // A user waits on the upload: a few quick retries, then a clear 503,
    // rather than the crate's default of up to 3 minutes.
    let s3 = builder
        .with_bucket_name(bucket)
        .with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
            "5s",
        )
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "60s")
        .with_retry(object_store::RetryConfig {
            backoff: object_store::BackoffConfig::default(),
            max_retries: 3,
            retry_timeout: Duration::from_secs(20),
        })
        .build()
        .map_err(|e| e.to_string())?;
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(object_store::prefix::PrefixStore::new(
            s3,
            prefix.to_owned(),
        )))
    }
}

fn local_store(dir: &std::path::Path) -> Result<Arc<dyn ObjectStore>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{} : {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
        .map_err(|e| format!("{} : {e}", dir.display()))?;
    Ok(Arc::new(store))
}

fn storage_unavailable(e: &object_store::Error) -> AppError {
    tracing::error!(error = %e, "attachment storage");
    AppError::with_message(
        ErrorCode::Unavailable,
        "Le stockage des pièces jointes est momentanément indisponible : réessayez dans \
         quelques minutes.",
    )
}

// ---------------------------------------------------------------------------
// Antivirus

/// Where the ClamAV daemon listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clamd {
    Tcp(String),
    Socket(std::path::PathBuf),
}

/// The socket Debian's `clamav-daemon` package listens on.
pub const DEBIAN_CLAMD_SOCKET: &str = "/run/clamav/clamd.ctl";

impl Clamd {
    /// From the setting (`host:port`, or a socket path); without one, the
    /// Debian socket when it exists ("when ClamAV is installed").
    pub fn from_setting(setting: Option<&str>) -> Option<Clamd> {
        match setting.map(str::trim).filter(|s| !s.is_empty()) {
            Some("off") => None,
            Some(s) if s.starts_with('/') => Some(Clamd::Socket(s.into())),
            Some(s) => Some(Clamd::Tcp(s.trim_start_matches("tcp://").to_owned())),
            None => std::path::Path::new(DEBIAN_CLAMD_SOCKET)
                .exists()
                .then(|| Clamd::Socket(DEBIAN_CLAMD_SOCKET.into())),
        }
    }
}

/// What the antivirus said of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The signature's name.
    Infected(String),
}

/// Scans `bytes` with the daemon (INSTREAM).
pub async fn scan(clamd: &Clamd, bytes: &[u8]) -> Result<Verdict, String> {
    async fn send<T: clamav_client::tokio::TransportProtocol>(
        bytes: &[u8],
        connection: T,
    ) -> Result<Vec<u8>, String> {
        tokio::time::timeout(
            SCAN_TIMEOUT,
            clamav_client::tokio::scan_buffer(bytes, connection, None),
        )
        .await
        .map_err(|_| "délai dépassé".to_owned())?
        .map_err(|e| e.to_string())
    }
    let answer = match clamd {
        Clamd::Tcp(addr) => {
            let host_address = addr.as_str();
            send(bytes, clamav_client::tokio::Tcp { host_address }).await?
        }
        Clamd::Socket(path) => {
            let socket_path = path.as_path();
            send(bytes, clamav_client::tokio::Socket { socket_path }).await?
        }
    };
    let text = String::from_utf8_lossy(&answer);
    let text = text.trim_end_matches(['\0', '\n']).trim();
    if let Some(found) = text.strip_suffix(" FOUND") {
        let name = found.rsplit(": ").next().unwrap_or(found).trim();
        return Ok(Verdict::Infected(name.to_owned()));
    }
    if text.ends_with(": OK") || text == "OK" {
        return Ok(Verdict::Clean);
    }
    Err(format!("réponse inattendue de clamd : {text}"))
}

// ---------------------------------------------------------------------------
// HTTP

/// `?nom=` of an upload: the file's name on the applicant's computer.
#[derive(serde::Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    nom: String,
}

fn refused(code: ErrorCode, message: &str) -> AppError {
    AppError::with_message(code, message).on_field("legal.attachments")
}

/// `POST /demandes/{id}/pieces-jointes?nom=…`: adds a PDF to the request.
/// Answers 201 with the attachment (`AttachmentRef`), or a JSON error with a
/// stable code and a French message.
pub async fn upload(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, AppError> {
    let request_id = request_id
        .parse::<i64>()
        .map_err(|_| AppError::new(ErrorCode::NotFound))?;
    let name = clean_file_name(&query.map(|q| q.0.nom).unwrap_or_default());
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let me = signed_in(&state, session)
        .await?
        .ok_or(AppError::new(ErrorCode::Unauthenticated))?;
    let request = db::requests::get(&state.db, request_id)
        .await?
        .ok_or_else(|| {
            AppError::with_message(
                ErrorCode::NotFound,
                "Cette demande n’existe pas ou a été supprimée.",
            )
        })?;
    if !crate::server::policy::can_edit_request(
        &me,
        crate::server::policy::RequestFacts::of(&request),
    ) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Cette demande ne fait pas partie des vôtres.",
        ));
    }
    if !crate::domain::lifecycle::is_editable(request.state) {
        return Err(refused(
            ErrorCode::NotEditable,
            ErrorCode::NotEditable.default_message(),
        ));
    }
    if request.data.legal.attachments.len() >= MAX_ATTACHMENTS {
        return Err(refused(ErrorCode::Invalid, &too_many_message()));
    }
    let slot = UploadSlot::take(&state.db, me.id).await?.ok_or_else(|| {
        refused(
            ErrorCode::RateLimited,
            "Vous envoyez déjà deux fichiers : attendez la fin d’un envoi pour en ajouter \
             un autre.",
        )
    })?;
    let bytes = axum::body::to_bytes(req.into_body(), MAX_UPLOAD_BODY)
        .await
        .map_err(|_| refused(ErrorCode::TooLarge, &too_large_message(&name)))?;
    let used = db::attachments::account_usage(&state.db, me.id).await?;
    if used + bytes.len() as i64 > state.attachment_quota_bytes {
        return Err(refused(
            ErrorCode::Invalid,
            &format!(
                "Vos pièces jointes occupent déjà {} Mo sur les {} Mo permis par compte : \
                 retirez des fichiers de vos brouillons pour en ajouter.",
                used / (1024 * 1024),
                state.attachment_quota_bytes / (1024 * 1024)
            ),
        ));
    }
    if let Err(p) = check_pdf(&bytes) {
        return Err(refused(ErrorCode::Invalid, p.message()));
    }
    if let Some(clamd) = &state.clamd {
        match scan(clamd, &bytes).await {
            Ok(Verdict::Clean) => {}
            Ok(Verdict::Infected(signature)) => {
                tracing::warn!(request_id, signature, "attachment refused by the antivirus");
                return Err(refused(
                    ErrorCode::Invalid,
                    &format!(
                        "L’antivirus a détecté un contenu malveillant dans « {name} » \
                         ({signature}) : le fichier n’a pas été enregistré."
                    ),
                ));
            }
            Err(e) => {
                tracing::error!(error = %e, "antivirus unreachable: upload refused");
                return Err(refused(
                    ErrorCode::Unavailable,
                    "L’analyse antivirus des pièces jointes est momentanément indisponible : \
                     le fichier n’a pas été enregistré. Réessayez dans quelques minutes.",
                ));
            }
        }
    }
    let id = new_id()?;
    let key = format!("demandes/{request_id}/{id}.pdf");
    let location = StorePath::from(key.as_str());
    let size = bytes.len();
    let sha256 = hex(&Sha256::digest(&bytes));
    state
        .attachments
        .put(&location, bytes.into())
        .await
        .map_err(|e| storage_unavailable(&e))?;
    let added = db::attachments::add(
        &state.db,
        &db::attachments::NewAttachment {
            id: &id,
            request_id,
            file_name: &name,
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            sha256: &sha256,
            storage_key: &key,
            uploaded_by: me.id,
            now: db::now_ms(),
        },
    )
    .await;
    if let Err(e) = added {
        // Not recorded: the stored file is not kept.
        if let Err(del) = state.attachments.delete(&location).await {
            tracing::warn!(error = %del, key, "orphan attachment file left in storage");
        }
        return Err(match e {
            db::attachments::AddError::NotFound => AppError::new(ErrorCode::NotFound),
            db::attachments::AddError::Full => refused(ErrorCode::Invalid, &too_many_message()),
            db::attachments::AddError::NotEditable => refused(
                ErrorCode::NotEditable,
                ErrorCode::NotEditable.default_message(),
            ),
            db::attachments::AddError::Db(e) => e.into(),
        });
    }
    slot.release().await;
    tracing::info!(request_id, id, size, "attachment added");
    Ok((
        StatusCode::CREATED,
        axum::Json(AttachmentRef {
            id,
            file_name: name,
            size_bytes: size as u64,
        }),
    )
        .into_response())
}

/// Deletes from the store the removed files of a request that no submission
/// names, and records it. Failures are logged and left for the next removal:
/// the file then still counts in the quota, nothing is lost.
pub async fn purge_removed(state: &AppState, request_id: i64) {
    let found = match db::attachments::purgeable(&state.db, request_id).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, request_id, "removed attachments not purged");
            return;
        }
    };
    for (id, key) in found {
        match state
            .attachments
            .delete(&StorePath::from(key.as_str()))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                if let Err(e) = db::attachments::mark_purged(&state.db, &id, db::now_ms()).await {
                    tracing::warn!(error = %e, id, "purge not recorded");
                }
            }
            Err(e) => tracing::warn!(error = %e, id, key, "removed attachment not purged"),
        }
    }
}

/// What one account may keep in the store by default (`AppState::
/// attachment_quota_bytes`), removed files that submissions name included:
/// three requests with their six 10 MB files, far more than a request's
/// legal texts need; one person filling the store is stopped.
pub const ACCOUNT_QUOTA_BYTES: i64 = 200 * 1024 * 1024;

/// Uploads one account may run at once, across every instance.
pub const UPLOADS_AT_ONCE: i64 = 2;

/// How long an upload slot is held at most: the body (10 MB), the scan
/// (`SCAN_TIMEOUT`) and the store, with room to spare. A slot whose instance
/// died frees itself then.
const UPLOAD_LEASE_MS: i64 = 5 * 60_000;

/// One upload in progress, holding a slot in the database; given back when
/// dropped (by a task: the answer does not wait for it).
pub struct UploadSlot {
    db: db::Db,
    user_id: i64,
    slot: i64,
    lease_id: String,
}

impl UploadSlot {
    /// A slot for `user_id`, unless it already runs `UPLOADS_AT_ONCE`
    /// uploads on any instance.
    pub async fn take(db: &db::Db, user_id: i64) -> Result<Option<UploadSlot>, AppError> {
        let lease_id = new_id()?;
        let now = db::now_ms();
        let slot = db::attachments::take_upload_slot(
            db,
            user_id,
            UPLOADS_AT_ONCE,
            &lease_id,
            now,
            now + UPLOAD_LEASE_MS,
        )
        .await?;
        Ok(slot.map(|slot| UploadSlot {
            db: db.clone(),
            user_id,
            slot,
            lease_id,
        }))
    }
}

impl UploadSlot {
    /// Gives the slot back now (the upload's answer waits for it).
    pub async fn release(mut self) {
        let lease_id = std::mem::take(&mut self.lease_id);
        if let Err(e) =
            db::attachments::release_upload_slot(&self.db, self.user_id, self.slot, &lease_id).await
        {
            tracing::warn!(error = %e, "upload slot not given back (its lease ends it)");
        }
    }
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let (db, user_id, slot) = (self.db.clone(), self.user_id, self.slot);
        let lease_id = std::mem::take(&mut self.lease_id);
        if lease_id.is_empty() {
            return; // Given back already.
        }
        tokio::spawn(async move {
            if let Err(e) =
                db::attachments::release_upload_slot(&db, user_id, slot, &lease_id).await
            {
                tracing::warn!(error = %e, user_id, "upload slot not given back (its lease ends it)");
            }
        });
    }
}

fn too_many_message() -> String {
    format!(
        "Cette demande a déjà {MAX_ATTACHMENTS} pièces jointes, le maximum : retirez-en une \
         pour en ajouter une autre."
    )
}

fn too_large_message(name: &str) -> String {
    format!(
        "« {name} » dépasse 10 Mo, la taille maximale d’une pièce jointe : réduisez-le ou découpez-le."
    )
}

/// The answer to an upload refused before its body is read (its declared
/// length is over the limit).
pub fn too_large_response() -> Response {
    refused(
        ErrorCode::TooLarge,
        "Le fichier dépasse 10 Mo, la taille maximale d’une pièce jointe : réduisez-le ou \
         découpez-le.",
    )
    .into_response()
}

/// `GET /pieces-jointes/{id}`: the file, for the request's applicant and
/// staff; a visitor who is not signed in is sent to the sign-in page.
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let Some(me) = signed_in(&state, session).await? else {
        return Ok(Redirect::to(crate::paths::SIGN_IN).into_response());
    };
    let not_found = || {
        AppError::with_message(
            ErrorCode::NotFound,
            "Cette pièce jointe n’existe pas ou a été retirée.",
        )
    };
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let a = db::attachments::get(&state.db, &id)
        .await?
        .ok_or_else(not_found)?;
    let facts = crate::server::policy::RequestFacts {
        applicant_id: a.applicant_id,
        submitted: a.submitted_at.is_some(),
    };
    if crate::server::policy::reads_all_requests(me.role) && !facts.submitted {
        return Err(not_found());
    }
    if !crate::server::policy::can_read_request(&me, facts) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Cette pièce jointe appartient à une demande qui ne fait pas partie des vôtres.",
        ));
    }
    // A removed file stays readable by staff (an earlier submission names it).
    if !crate::server::policy::can_download_attachment(&me, facts, a.deleted_at.is_some()) {
        return Err(not_found());
    }
    let bytes = match state
        .attachments
        .get(&StorePath::from(a.storage_key.as_str()))
        .await
    {
        Ok(got) => got.bytes().await.map_err(|e| storage_unavailable(&e))?,
        Err(object_store::Error::NotFound { .. }) => {
            tracing::error!(
                id,
                key = a.storage_key,
                "attachment file missing from storage"
            );
            return Err(not_found());
        }
        Err(e) => return Err(storage_unavailable(&e)),
    };
    let mut res = Response::new(Body::from(bytes));
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&a.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// The signed-in viewer, from the request's session (set by the session layer).
async fn signed_in(
    state: &AppState,
    session: Option<tower_sessions::Session>,
) -> Result<Option<crate::server::auth::session::Viewer>, AppError> {
    let Some(session) = session else {
        return Err(AppError::new(ErrorCode::Internal));
    };
    crate::server::auth::session::viewer(&session, &state.db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_is_recognised_by_content() {
        assert_eq!(check_pdf(b"%PDF-1.7\n1 0 obj\n%%EOF\n"), Ok(()));
        assert_eq!(check_pdf(b"%PDF-2.0\n%%EOF"), Ok(()));
        assert_eq!(check_pdf(b""), Err(PdfProblem::Empty));
        assert_eq!(
            check_pdf(b"<html><body>%PDF-1.4 %%EOF</body></html>"),
            Err(PdfProblem::NotPdf)
        );
        assert_eq!(check_pdf(b"MZ\x90\x00"), Err(PdfProblem::NotPdf));
        assert_eq!(check_pdf(b"%PDF-1.4\n1 0 obj"), Err(PdfProblem::Truncated));
        let mut long = b"%PDF-1.4\n%%EOF\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 2048));
        assert_eq!(
            check_pdf(&long),
            Err(PdfProblem::Truncated),
            "the marker must be in the last kilobyte"
        );
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_file_name("Délibération 2024.pdf"),
            "Délibération 2024.pdf"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd.pdf");
        assert_eq!(clean_file_name("C:\\Users\\a\\arrêté.PDF"), "arrêté.pdf");
        assert_eq!(clean_file_name(".htaccess"), "htaccess.pdf");
        assert_eq!(clean_file_name(""), "document.pdf");
        assert_eq!(clean_file_name("a\u{0}b\r\n\"<c>.pdf"), "abc.pdf");
        let long = "é".repeat(500);
        let cleaned = clean_file_name(&long);
        assert_eq!(cleaned.chars().count(), MAX_NAME_CHARS);
        assert!(cleaned.ends_with(".pdf"));
    }

    #[test]
    fn downloads_are_attachments_with_both_names() {
        assert_eq!(
            content_disposition("arrêté n°2.pdf"),
            "attachment; filename=\"arr_t_ n_2.pdf\"; filename*=UTF-8''arr%C3%AAt%C3%A9%20n%C2%B02.pdf"
        );
    }

    #[test]
    fn upload_paths() {
        assert!(is_upload_path("/demandes/12/pieces-jointes"));
        assert!(!is_upload_path("/demandes//pieces-jointes"));
        assert!(!is_upload_path("/demandes/12/etape/4"));
        assert!(!is_upload_path("/demandes/1x/pieces-jointes"));
    }

    #[test]
    fn clamd_setting() {
        assert_eq!(
            Clamd::from_setting(Some("127.0.0.1:3310")),
            Some(Clamd::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            Clamd::from_setting(Some("tcp://clamav:3310")),
            Some(Clamd::Tcp("clamav:3310".into()))
        );
        assert_eq!(
            Clamd::from_setting(Some("/var/run/clamd.sock")),
            Some(Clamd::Socket("/var/run/clamd.sock".into()))
        );
        assert_eq!(Clamd::from_setting(Some("off")), None);
    }
}
