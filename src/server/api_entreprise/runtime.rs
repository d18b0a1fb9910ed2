//! What each instance keeps for the API: verified token strings, token rows
//! (briefly), its leases of the shared per-token rate limits, and the calls
//! counted since the last flush to the database.

use crate::server::db::{self, Db, DbError};
use std::sync::{Arc, Mutex};

/// The maps of this module are read on every call: a fast hash, randomly
/// seeded for the process (their keys come from callers).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// How long a token's row is used without reading it again. A revocation
/// drops it at once: on this instance directly, on the others through the
/// live events (`spawn_revocation_watch`); this bounds the delay should an
/// event be lost, or for a change made in the database by hand.
pub const ROW_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Verified token strings kept at most (their claims), then forgotten all.
const VERIFIED_MAX: usize = 20_000;

/// A share of a token's budget for one minute, taken from the database
/// (`db::rate`) and spent here without asking again.
#[derive(Clone, Copy, Debug)]
struct Lease {
    window: i64,
    /// Uses of the lease not spent yet.
    left: i64,
    /// The minute's total in the database when the lease was taken (every
    /// instance's leases, whole).
    used: i64,
    /// The budget was exhausted when the lease was taken: refuse without
    /// asking the database again until the next minute.
    exhausted: bool,
}

/// Uses taken from the shared budget at once: few enough that an instance
/// holding an unspent lease leaves little of the limit unused elsewhere,
/// many enough that a busy token asks the database once in many calls.
fn lease_size(per_minute: i64) -> i64 {
    (per_minute / 25).clamp(1, 1000)
}

/// Per-token rate limits (each token its own quota, from its row), the
/// calls counted since the last flush to the database, and the caches that
/// spare most calls a signature check and a database read.
#[derive(Default)]
pub struct ApiRuntime {
    /// Token id → its lease of the current minute's shared budget.
    leases: Mutex<HashMap<String, Lease>>,
    usage: Mutex<Usage>,
    /// Token string → its id (`jti`): the keys do not change while the
    /// process runs, so a string verified once stays verified.
    verified: Mutex<HashMap<String, Arc<str>>>,
    /// String id (`jti`) → its token's row, its end, and when they were read.
    rows: Mutex<HashMap<Arc<str>, Fresh>>,
}

/// A cached row and when it was read.
type Fresh = (Arc<Presented>, std::time::Instant);

/// A token's row as a call needs it, shared by the calls of the next
/// `ROW_TTL` rather than copied for each.
#[derive(Debug)]
pub(super) struct Presented {
    pub(super) token: db::spaces::TokenRow,
    /// The string's end of grace (`None`: the current string).
    pub(super) retired_at: Option<i64>,
    /// The token's scopes, read once from its row.
    pub(super) scopes: Vec<String>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Calls counted since the last flush, per token (one lookup per call).
type Usage = HashMap<String, TokenUsage>;

/// One token's calls since the last flush.
#[derive(Default)]
struct TokenUsage {
    /// (minute, operation, status, code) → calls.
    calls: HashMap<(i64, &'static str, u16, String), i64>,
    /// Time of its last authorised call.
    last: Option<i64>,
    /// Scope that opened a call → time of its last such call.
    scopes: HashMap<String, i64>,
}

/// What one call of a token was and how it was answered, for the usage
/// counts.
pub(super) struct Call<'a> {
    pub(super) operation: &'static str,
    pub(super) status: u16,
    /// API Entreprise's error code ('' for none).
    pub(super) code: &'a str,
    /// Authorised: `Some`, with the scope that opened it (none for
    /// `/privileges`, or refused for lack of one).
    pub(super) authorised: Option<Option<&'a str>>,
    pub(super) now: i64,
}

impl std::fmt::Debug for ApiRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRuntime").finish_non_exhaustive()
    }
}

/// What the rate limiter said.
pub(super) struct Limit {
    pub(super) limit: u32,
    pub(super) remaining: u32,
    /// Seconds until the whole quota is back (or, refused, until one call is).
    pub(super) reset: u64,
    pub(super) allowed: bool,
}

impl ApiRuntime {
    /// The id (`jti`) of a token string whose signature is valid.
    pub(super) fn jti(&self, keys: &crate::server::tokens::Keys, bearer: &str) -> Option<Arc<str>> {
        if let Some(jti) = locked(&self.verified).get(bearer) {
            return Some(jti.clone());
        }
        let jti: Arc<str> = keys.verify(bearer)?.jti.into();
        let mut verified = locked(&self.verified);
        if verified.len() >= VERIFIED_MAX {
            verified.clear();
        }
        verified.insert(bearer.to_owned(), jti.clone());
        Some(jti)
    }

    pub(super) async fn row(
        &self,
        db: &Db,
        jti: &Arc<str>,
    ) -> Result<Option<Arc<Presented>>, DbError> {
        if let Some((row, at)) = locked(&self.rows).get(jti)
            && at.elapsed() < ROW_TTL
        {
            return Ok(Some(row.clone()));
        }
        let Some(found) = db::spaces::token_by_jti(db, jti).await? else {
            return Ok(None);
        };
        let row = Arc::new(Presented {
            scopes: found.token.scope_list(),
            token: found.token,
            retired_at: found.retired_at,
        });
        let mut rows = locked(&self.rows);
        if rows.len() >= VERIFIED_MAX {
            rows.clear();
        }
        rows.insert(jti.clone(), (row.clone(), std::time::Instant::now()));
        Ok(Some(row))
    }

    /// Drops the cached rows of a request's token (revoked, renewed,
    /// rotated…).
    pub fn forget_request(&self, request_id: i64) {
        locked(&self.rows).retain(|_, (p, _)| p.token.request_id != request_id);
    }

    /// Drops every cached row (lost events; tests changing rows by hand)
    /// and this instance's leases of the rate limits (their unspent calls
    /// are not given back: a token may get a few calls less this minute).
    pub fn forget_all(&self) {
        locked(&self.rows).clear();
        locked(&self.leases).clear();
    }

    /// Spends one call of the token's budget for the current minute,
    /// shared by every instance on the database: from this instance's lease
    /// when one is left, else from a new lease taken in one statement.
    pub(super) async fn check(
        &self,
        db: &Db,
        token: &str,
        per_minute: u32,
    ) -> Result<Limit, DbError> {
        let limit = i64::from(per_minute.max(1));
        let now = db::now_ms();
        let window = db::rate::window_of(now);
        let reset = db::rate::seconds_left(now);
        let answer = |lease: &Lease, allowed: bool| Limit {
            limit: per_minute.max(1),
            remaining: u32::try_from((limit - lease.used).max(0) + lease.left).unwrap_or(0),
            reset,
            allowed,
        };
        if let Some(lease) = locked(&self.leases).get_mut(token)
            && lease.window == window
        {
            if lease.left > 0 {
                lease.left -= 1;
                return Ok(answer(lease, true));
            }
            if lease.exhausted {
                return Ok(answer(lease, false));
            }
        }
        let want = lease_size(limit);
        let used = db::rate::take(db, &format!("api:{token}"), window, want).await?;
        let granted = db::rate::granted(limit, want, used);
        let lease = Lease {
            window,
            left: (granted - 1).max(0),
            used,
            exhausted: granted < want,
        };
        let mut leases = locked(&self.leases);
        if leases.len() >= VERIFIED_MAX {
            leases.retain(|_, l| l.window == window);
        }
        leases.insert(token.to_owned(), lease);
        Ok(answer(&lease, granted > 0))
    }

    /// Counts a call of `token`, and when authorised, its last use and the
    /// scope that opened it.
    pub(super) fn record(&self, token: &str, call: &Call<'_>) {
        let mut usage = locked(&self.usage);
        // A busy token is already in the map: no copy of its id per call.
        let entry = match usage.get_mut(token) {
            Some(entry) => entry,
            None => usage.entry(token.to_owned()).or_default(),
        };
        let key = (
            call.now.div_euclid(60_000),
            call.operation,
            call.status,
            call.code.to_owned(),
        );
        *entry.calls.entry(key).or_insert(0) += 1;
        if let Some(scope) = call.authorised {
            entry.last = Some(call.now);
            if let Some(scope) = scope {
                match entry.scopes.get_mut(scope) {
                    Some(at) => *at = call.now,
                    None => {
                        entry.scopes.insert(scope.to_owned(), call.now);
                    }
                }
            }
        }
    }

    /// Writes the calls counted since the last flush (one transaction).
    pub async fn flush(&self, db: &Db) -> Result<(), DbError> {
        let usage = std::mem::take(&mut *locked(&self.usage));
        if usage.is_empty() {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        for (token, counted) in usage {
            for ((minute, operation, status, code), n) in counted.calls {
                let key = db::usage::CallKey {
                    token_id: token.clone(),
                    minute,
                    operation,
                    status,
                    code,
                };
                db::usage::add_in(&mut tx, &key, n).await?;
            }
            if let Some(at) = counted.last {
                db::spaces::mark_used_in(&mut tx, &token, at).await?;
            }
            for (scope, at) in &counted.scopes {
                db::spaces::mark_scope_used_in(&mut tx, &token, scope, *at).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
