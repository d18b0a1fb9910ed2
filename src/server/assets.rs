//! The site's static files (the site root: the bundle under `/pkg`, the DSFR
//! files under `/dsfr`): cached by browsers, compressed once at build time.
//!
//! - Content-hashed files (cargo-leptos's `hash-files`: `guichet.<hash>.wasm`,
//!   `.js`, `.css`) never change under their name: `immutable`, for a year.
//! - The others (DSFR fonts and icons, favicons, the DSFR script, the split
//!   bundle's chunks) are kept an hour, then revalidated by their `ETag` (the
//!   hash of their content, the same on every instance): `304` and no body.
//! - `guichet precompress` writes a `.br` (brotli 11) and a `.gz` (gzip 9)
//!   beside each compressible file; the browser gets the one it accepts.
//!   Pages and JSON are still compressed on the fly (`http.rs`).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// For the content-hashed bundle files.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the other static files: an hour, then a revalidation by `ETag`.
pub const REVALIDATE: &str = "public, max-age=3600";

/// The files of the site root, each with its `ETag`, read once at startup.
#[derive(Clone)]
pub struct Assets {
    files: Arc<HashMap<String, Asset>>,
    serve: ServeDir,
}

#[derive(Clone, Debug)]
struct Asset {
    etag: HeaderValue,
    cache: &'static str,
}

impl Assets {
    /// Indexes `root` (a missing folder gives no file: every path goes on to
    /// the pages).
    pub fn load(root: &Path) -> Assets {
        let mut files = HashMap::new();
        for path in walk(root) {
            let (Ok(rel), Ok(bytes)) = (path.strip_prefix(root), std::fs::read(&path)) else {
                continue;
            };
            let Some(rel) = rel.to_str().map(|r| r.replace('\\', "/")) else {
                continue;
            };
            if is_variant(&rel) {
                continue;
            }
            let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(&Sha256::digest(bytes)[..12]);
            let Ok(etag) = HeaderValue::from_str(&format!("\"{hash}\"")) else {
                continue;
            };
            let cache = if is_content_hashed(&rel) {
                IMMUTABLE
            } else {
                REVALIDATE
            };
            files.insert(rel, Asset { etag, cache });
        }
        Assets {
            files: Arc::new(files),
            serve: ServeDir::new(root)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false),
        }
    }

    /// Compressible files without their precompressed variants (a build
    /// that skipped `guichet precompress`).
    pub fn missing_variants(root: &Path) -> usize {
        walk(root)
            .into_iter()
            .filter(|p| worth_compressing(p))
            .filter(|p| !variant(p, "br").exists())
            .count()
    }
}

/// Serves a GET or HEAD of a known static file; anything else goes on.
pub async fn serve(State(assets): State<Assets>, request: Request, next: Next) -> Response {
    let known = matches!(*request.method(), Method::GET | Method::HEAD)
        .then(|| {
            assets
                .files
                .get(request.uri().path().trim_start_matches('/'))
        })
        .flatten()
        .cloned();
    let Some(asset) = known else {
        return next.run(request).await;
    };
    if matches_etag(request.headers(), &asset.etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        decorate(response.headers_mut(), &asset);
        return response;
    }
    let mut response = match assets.serve.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(infallible) => match infallible {},
    };
    if response.status().is_success() {
        decorate(response.headers_mut(), &asset);
    }
    response
}

fn decorate(headers: &mut HeaderMap, asset: &Asset) {
    headers.insert(header::ETAG, asset.etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(asset.cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
}

/// `If-None-Match: "a", W/"b"` or `*` names this file's current content.
fn matches_etag(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(current) = etag.to_str().ok() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == current)
}

/// `guichet.0f3a…9c.wasm`: a name cargo-leptos gave with the content's hash
/// (a part of at least 16 hexadecimal or base64url characters).
fn is_content_hashed(rel: &str) -> bool {
    rel.starts_with("pkg/")
        && rel.rsplit('/').next().is_some_and(|name| {
            let parts: Vec<&str> = name.split('.').collect();
            parts.len() >= 3
                && parts[1..parts.len() - 1].iter().any(|p| {
                    p.len() >= 16
                        && p.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
        })
}

/// Files whose compression is worth it: text formats and WebAssembly, over
/// a kilobyte (fonts and images are compressed already).
fn worth_compressing(path: &Path) -> bool {
    const TEXT: [&str; 9] = [
        "js",
        "mjs",
        "wasm",
        "css",
        "svg",
        "json",
        "webmanifest",
        "html",
        "ico",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT.contains(&e))
        && std::fs::metadata(path).is_ok_and(|m| m.len() > 1024)
}

fn is_variant(rel: &str) -> bool {
    rel.ends_with(".br") || rel.ends_with(".gz")
}

fn variant(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// What `precompress` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Precompressed {
    pub files: usize,
    pub bytes: u64,
    pub brotli_bytes: u64,
    pub gzip_bytes: u64,
}

/// Writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip, level 9)
/// beside every compressible file of `root` whose variants are missing or
/// older; removes the variants of files no longer worth compressing.
pub fn precompress(root: &Path) -> std::io::Result<Precompressed> {
    let mut report = Precompressed::default();
    for path in walk(root) {
        let name = path.to_string_lossy();
        if is_variant(&name) {
            // A variant whose original is gone: stale.
            let original = PathBuf::from(&name[..name.len() - 3]);
            if !original.exists() {
                std::fs::remove_file(&path)?;
            }
            continue;
        }
        if !worth_compressing(&path) {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let (br, gz) = (variant(&path, "br"), variant(&path, "gz"));
        if !(is_fresh(&br, &path) && is_fresh(&gz, &path)) {
            let mut brotli = Vec::new();
            {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    lgwin: 24,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut bytes.as_slice(), &mut brotli, &params)?;
            }
            let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gzip.write_all(&bytes)?;
            let gzip = gzip.finish()?;
            std::fs::write(&br, &brotli)?;
            std::fs::write(&gz, &gzip)?;
        }
        report.files += 1;
        report.bytes += bytes.len() as u64;
        report.brotli_bytes += std::fs::metadata(&br)?.len();
        report.gzip_bytes += std::fs::metadata(&gz)?.len();
    }
    Ok(report)
}

/// `variant` exists and was written after `original`.
fn is_fresh(variant: &Path, original: &Path) -> bool {
    match (
        std::fs::metadata(variant).and_then(|m| m.modified()),
        std::fs::metadata(original).and_then(|m| m.modified()),
    ) {
        (Ok(v), Ok(o)) => v >= o,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_content_hashed("pkg/guichet.GmY0bQnSXXgT3m1cLWf1xg.wasm"));
        assert!(is_content_hashed("pkg/guichet.0f3a9b8c7d6e5f4a3b2c.js"));
        assert!(!is_content_hashed("pkg/guichet.wasm"));
        assert!(!is_content_hashed("pkg/snippets/leptos/inline0.js"));
        assert!(!is_content_hashed("dsfr/dsfr.module.min.js"));
        assert!(!is_content_hashed("dsfr/fonts/Marianne-Regular.woff2"));
    }

    #[test]
    fn if_none_match_lists() {
        let etag = HeaderValue::from_static("\"abc\"");
        let mut h = HeaderMap::new();
        assert!(!matches_etag(&h, &etag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(matches_etag(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abd\""));
        assert!(!matches_etag(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_etag(&h, &etag));
    }
}
