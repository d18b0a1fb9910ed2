//! The instructors' side of the database: the dashboard's queue (filters,
//! sort, bounded pages), assignment, and the messages between applicant and
//! instructors (internal notes included).

use super::{Db, DbError};
use crate::domain::RequestState;

/// Above this many matching requests the dashboard says "more than".
pub const COUNT_CAP: i64 = MAX_PAGE * PAGE_SIZE;

/// A search counts its matches up to this many (a wider search is refined
/// rather than paged through; counting further costs more than the page).
pub const SEARCH_COUNT_CAP: i64 = 1_000;

pub use crate::domain::dashboard::{MAX_PAGE, PAGE_SIZE};

/// Whose requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Assigned {
    #[default]
    Anyone,
    Me,
    Nobody,
}

/// The order of the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Waiting longest first (oldest submission).
    #[default]
    Waiting,
    /// Newest submission first.
    Newest,
    /// Last changed first.
    Updated,
}

/// The dashboard's filters, as its address carries them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub q: String,
    pub state: Option<RequestState>,
    pub assigned: Assigned,
    pub sensitive: bool,
    /// Requests started from this use-case template (its slug).
    pub template: Option<String>,
    /// First requests only, or updates only.
    pub kind: Option<crate::domain::lifecycle::RequestKind>,
    /// Applicants shown by ProConnect to be agents of the organisation, or
    /// not.
    pub agent_link: Option<crate::domain::identity::AgentLink>,
    pub sort: Sort,
    /// From 1.
    pub page: i64,
}

/// One line of the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub organisation: String,
    pub siret: Option<String>,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
    pub sensitive: i64,
    pub assigned_to: Option<i64>,
    pub assigned_email: Option<String>,
    pub applicant_email: Option<String>,
    /// Applicant messages no instructor has read.
    pub unread: i64,
    /// What the directory said of the SIRET (JSON), see `requests`.
    pub organisation_check: Option<String>,
    #[sqlx(try_from = "String")]
    pub kind: crate::domain::lifecycle::RequestKind,
    pub parent_id: Option<i64>,
    pub agent_link: Option<String>,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Lower-case, without accents or ligatures, whitespace collapsed: the form
/// of the `search` column and of what is searched ("Région  Île" and
/// "region ile" meet).
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            '’' | 'ʼ' | '‘' => out.push('\''),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// `%term%` for LIKE, with the wildcards of the (folded) term escaped.
fn like(term: &str) -> String {
    let mut out = String::from("%");
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A full-text phrase for SQLite's trigram index: the exact substring.
fn phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// What the search box asks, folded: digits alone (a SIRET typed with or
/// without spaces, or a request number) or words.
struct Term {
    text: String,
    number: Option<i64>,
    /// Words and a number: the number (`anchor`), looked up in the trigram
    /// index; the rows found are then checked for the whole of `text`.
    /// Words found in most requests ("usage n°") would otherwise make the
    /// index intersect its longest lists.
    anchor: Option<String>,
}

/// The longest number in `text`, when it has three digits at least (a
/// trigram of digits is rare; "n° 4" would find a tenth of the requests)
/// and `text` has more than it.
fn anchor(text: &str) -> Option<String> {
    let longest = text
        .split(|c: char| !c.is_ascii_digit())
        .max_by_key(|run| run.len())?;
    (longest.len() >= 3 && longest.len() < text.len()).then(|| longest.to_owned())
}

fn term(q: &str) -> Option<Term> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        let number = digits.parse::<i64>().ok();
        return Some(Term {
            text: digits,
            number,
            anchor: None,
        });
    }
    let text = fold(q);
    Some(Term {
        anchor: anchor(&text),
        text,
        number: None,
    })
}

/// How a search reaches the rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// `search LIKE '%…%'` on the row: PostgreSQL (its trigram index and
    /// its planner choose), and SQLite when the term is too short for the
    /// trigram index or matches so many requests that walking the queue in
    /// its order finds a page sooner.
    Column,
    /// SQLite: the rows the trigram index (FTS5) finds.
    Index,
}

/// Above this many matches, SQLite reads a search's page by walking the
/// queue's order rather than sorting every match.
const BROAD: i64 = 1_000;

/// Where the queue's filters read: the requests themselves, or the counts
/// the triggers keep of them (`queue_counts`), which store "nobody", "no
/// template" and "no link" as 0 and '' where `requests` has NULL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Requests,
    Counts,
}

impl Source {
    /// Every request ever submitted, and only those (drafts and archived
    /// drafts never are): the indexes of the queue are on that condition.
    /// The kept counts hold only those, with rows at zero left behind.
    fn base(self) -> &'static str {
        match self {
            Source::Requests => "r.submitted_at IS NOT NULL",
            Source::Counts => "c.n <> 0",
        }
    }

    fn column(self, name: &str) -> String {
        match self {
            Source::Requests => format!("r.{name}"),
            Source::Counts => format!("c.{name}"),
        }
    }

    /// `name` holds nothing.
    fn unset(self, name: &str) -> String {
        match (self, name) {
            (Source::Requests, _) => format!("r.{name} IS NULL"),
            (Source::Counts, "assigned_to") => "c.assigned_to = 0".to_owned(),
            (Source::Counts, _) => format!("c.{name} = ''"),
        }
    }
}

/// The filters but the search, on `source`.
fn filters(source: Source, viewer_id: i64, f: &Filters, binds: &mut Vec<Bind>) -> Vec<String> {
    let mut param = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let col = |name| source.column(name);
    let mut all = vec![source.base().to_owned()];
    if let Some(s) = f.state {
        let p = param(Bind::Text(s.as_str().to_owned()));
        all.push(format!("{} = {p}", col("state")));
    }
    match f.assigned {
        Assigned::Anyone => {}
        Assigned::Me => {
            let p = param(Bind::Int(viewer_id));
            all.push(format!("{} = {p}", col("assigned_to")));
        }
        Assigned::Nobody => all.push(source.unset("assigned_to")),
    }
    if f.sensitive {
        all.push(format!("{} = 1", col("sensitive")));
    }
    if let Some(slug) = &f.template {
        let p = param(Bind::Text(slug.clone()));
        all.push(format!("{} = {p}", col("template_slug")));
    }
    if let Some(kind) = f.kind {
        let p = param(Bind::Text(kind.as_str().to_owned()));
        all.push(format!("{} = {p}", col("kind")));
    }
    match f.agent_link.map(crate::domain::identity::AgentLink::stored) {
        Some(Some(stored)) => all.push(format!("{} = '{stored}'", col("agent_link"))),
        Some(None) => all.push(source.unset("agent_link")),
        None => {}
    }
    all
}

/// The WHERE clause of the queue for these filters.
fn conditions(
    viewer_id: i64,
    f: &Filters,
    search: Option<(&Term, Reach)>,
    binds: &mut Vec<Bind>,
) -> String {
    let mut all = filters(Source::Requests, viewer_id, f, binds);
    let mut param = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some((t, reach)) = search {
        let whole = |param: &mut dyn FnMut(Bind) -> String| {
            format!(
                "(r.search || '') LIKE {} ESCAPE '\\'",
                param(Bind::Text(like(&t.text)))
            )
        };
        let looked_up = t.anchor.as_deref().unwrap_or(&t.text);
        let mut found = match reach {
            // The anchor through the index, the whole term on its rows
            // (`|| ''`: PostgreSQL's planner does not take it to the index).
            Reach::Column => format!(
                "r.search LIKE {} ESCAPE '\\'",
                param(Bind::Text(like(looked_up)))
            ),
            Reach::Index => format!(
                "r.id IN (SELECT rowid FROM requests_search WHERE requests_search MATCH {})",
                param(Bind::Text(phrase(looked_up)))
            ),
        };
        if t.anchor.is_some() {
            found = format!("{found} AND {}", whole(&mut param));
        }
        let mut any = vec![format!("({found})")];
        if let Some(n) = t.number {
            any.push(format!("r.id = {}", param(Bind::Int(n))));
        }
        all.push(format!("({})", any.join(" OR ")));
    }
    all.join(" AND ")
}

async fn count(db: &Db, sql: &str, binds: &[Bind]) -> Result<i64, DbError> {
    // Not prepared once for all: PostgreSQL then plans each search with its
    // term (a generic plan cannot tell a rare term from one in every row).
    let mut query = sqlx::query_as::<_, (i64,)>(sql).persistent(false);
    for b in binds {
        query = match b {
            Bind::Text(t) => query.bind(t.clone()),
            Bind::Int(i) => query.bind(*i),
        };
    }
    Ok(query.fetch_one(&db.pool).await?.0)
}

/// The number of requests matching `f`, counted up to the cap + 1, and
/// how to reach a search's rows.
async fn matching(
    db: &Db,
    viewer_id: i64,
    f: &Filters,
    term: Option<&Term>,
) -> Result<(i64, Reach), DbError> {
    let cap = match term {
        Some(_) => SEARCH_COUNT_CAP + 1,
        None => COUNT_CAP + 1,
    };
    match term {
        // No search: the counts the triggers keep for every combination of
        // the other filters (`queue_counts`).
        None => {
            let mut binds = Vec::new();
            let sql = format!(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM queue_counts c WHERE {}",
                filters(Source::Counts, viewer_id, f, &mut binds).join(" AND ")
            );
            Ok((count(db, &sql, &binds).await?, Reach::Column))
        }
        // SQLite, a term the trigram index can take (three characters at
        // least): count what it finds, joined to the other filters, lazily
        // (the index gives its matches one by one, the count stops at the cap).
        Some(t) if db.backend == super::Backend::Sqlite && t.text.chars().count() >= 3 => {
            let mut binds = Vec::new();
            let mut filters = conditions(viewer_id, f, None, &mut binds);
            if let Some(anchor) = &t.anchor {
                binds.push(Bind::Text(like(&t.text)));
                filters = format!("{filters} AND r.search LIKE ${} ESCAPE '\\'", binds.len());
                binds.push(Bind::Text(phrase(anchor)));
            } else {
                binds.push(Bind::Text(phrase(&t.text)));
            }
            let mut sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM requests_search CROSS JOIN requests r \
                 ON r.id = requests_search.rowid WHERE requests_search MATCH ${} AND {filters} \
                 LIMIT {cap}) AS matching",
                binds.len()
            );
            let mut found = count(db, &sql, &binds).await?;
            if let Some(n) = t.number {
                // The request of that number, when the index did not find it.
                binds.clear();
                let filters = conditions(viewer_id, f, None, &mut binds);
                binds.push(Bind::Int(n));
                let id = binds.len();
                binds.push(Bind::Text(phrase(&t.text)));
                sql = format!(
                    "SELECT COUNT(*) FROM requests r WHERE r.id = ${id} AND {filters} \
                     AND r.id NOT IN (SELECT rowid FROM requests_search \
                     WHERE requests_search MATCH ${})",
                    binds.len()
                );
                found += count(db, &sql, &binds).await?;
            }
            let reach = if found >= BROAD {
                Reach::Column
            } else {
                Reach::Index
            };
            Ok((found, reach))
        }
        _ => {
            let mut binds = Vec::new();
            let filters = conditions(viewer_id, f, term.map(|t| (t, Reach::Column)), &mut binds);
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 AS one FROM requests r WHERE {filters} \
                 LIMIT {cap}) AS matching"
            );
            Ok((count(db, &sql, &binds).await?, Reach::Column))
        }
    }
}

/// One page of the queue.
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    /// Requests matching, counted up to `cap` + 1 (counting 100,000 rows for
    /// every page would cost more than the page itself).
    pub total: i64,
    /// `COUNT_CAP`, or `SEARCH_COUNT_CAP` for a search.
    pub cap: i64,
}

/// One page of the queue and the number of requests matching.
pub async fn queue(db: &Db, viewer_id: i64, f: &Filters) -> Result<QueuePage, DbError> {
    let term = term(&f.q);
    let cap = if term.is_some() {
        SEARCH_COUNT_CAP
    } else {
        COUNT_CAP
    };
    let (total, reach) = matching(db, viewer_id, f, term.as_ref()).await?;
    let mut binds = Vec::new();
    let filters = conditions(viewer_id, f, term.as_ref().map(|t| (t, reach)), &mut binds);
    let order = match f.sort {
        Sort::Waiting => "r.submitted_at ASC, r.id ASC",
        Sort::Newest => "r.submitted_at DESC, r.id DESC",
        Sort::Updated => "r.updated_at DESC, r.id DESC",
    };
    let page = f.page.clamp(1, cap / PAGE_SIZE);
    let sql = format!(
        "SELECT r.id, r.organisation_name AS organisation, r.siret, r.title, r.state, \
         r.submitted_at, r.updated_at, r.sensitive, r.assigned_to, \
         (SELECT a.email FROM users a WHERE a.id = r.assigned_to) AS assigned_email, \
         (SELECT u.email FROM users u WHERE u.id = r.applicant_id) AS applicant_email, \
         (SELECT COUNT(*) FROM messages m WHERE m.request_id = r.id \
          AND m.author_role = 'applicant' AND m.read_by_instructors_at IS NULL) AS unread, \
         r.organisation_check, r.kind, r.parent_id, r.agent_link \
         FROM requests r WHERE {filters} ORDER BY {order} LIMIT {PAGE_SIZE} OFFSET {}",
        (page - 1) * PAGE_SIZE
    );
    let mut query = sqlx::query_as::<_, QueueRow>(&sql).persistent(term.is_none());
    for b in &binds {
        query = match b {
            Bind::Text(t) => query.bind(t.clone()),
            Bind::Int(i) => query.bind(*i),
        };
    }
    let rows = query.fetch_all(&db.pool).await?;
    Ok(QueuePage { rows, total, cap })
}

/// "Je m'en occupe": assigns the request to `instructor_id` (or frees it
/// with `None`). `false` when the request does not exist or is a draft.
pub async fn assign(
    db: &Db,
    request_id: i64,
    instructor_id: Option<i64>,
    now: i64,
) -> Result<bool, DbError> {
    let list: Vec<String> = crate::domain::lifecycle::SUBMITTED_STATES
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let sql = format!(
        "UPDATE requests SET assigned_to = $1, updated_at = $2 WHERE id = $3 AND state IN ({})",
        list.join(", ")
    );
    let done = sqlx::query(&sql)
        .bind(instructor_id)
        .bind(now)
        .bind(request_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One message of a request's conversation.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredMessage {
    pub id: i64,
    pub request_id: i64,
    pub author_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub author_role: crate::domain::lifecycle::Role,
    pub author_email: Option<String>,
    pub body: String,
    /// An instructors' note, never shown to the applicant.
    pub internal: i64,
    pub created_at: i64,
    pub read_by_applicant_at: Option<i64>,
    pub read_by_instructors_at: Option<i64>,
}

/// Who took a request: their id and address (`None`: nobody).
pub async fn assignment(db: &Db, id: i64) -> Result<(Option<i64>, Option<String>), DbError> {
    let row: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT r.assigned_to, u.email FROM requests r LEFT JOIN users u ON u.id = r.assigned_to \
         WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.unwrap_or_default())
}

/// An event the live dashboards were told of, as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AnnouncedEvent {
    pub id: i64,
    pub kind: String,
    pub request_id: i64,
    pub created_at: i64,
    /// Its request's kind.
    #[sqlx(try_from = "String")]
    pub nature: crate::domain::lifecycle::RequestKind,
}

/// The kind of request `id` (an unknown id: a first request).
pub async fn kind_of(db: &Db, id: i64) -> Result<crate::domain::lifecycle::RequestKind, DbError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT kind FROM requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row
        .and_then(|(k,)| crate::domain::lifecycle::RequestKind::parse(&k))
        .unwrap_or_default())
}

/// The events of `kinds` after id `after`, oldest first, at most `limit`.
pub async fn events_since(
    db: &Db,
    after: i64,
    kinds: &[crate::domain::lifecycle::EventKind],
    limit: i64,
) -> Result<Vec<AnnouncedEvent>, DbError> {
    let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    Ok(sqlx::query_as(&format!(
        "SELECT e.id, e.kind, e.request_id, e.created_at, r.kind AS nature FROM events e \
         JOIN requests r ON r.id = e.request_id WHERE e.id > $1 \
         AND e.kind IN ({}) ORDER BY e.id LIMIT $2",
        list.join(", ")
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Sends `payload` on PostgreSQL's channel `channel` (every listening
/// instance receives it).
pub async fn notify(db: &Db, channel: &str, payload: &str) -> Result<(), DbError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A message to write.
#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    pub request_id: i64,
    pub author_id: i64,
    pub author_role: crate::domain::lifecycle::Role,
    pub body: &'a str,
    /// A note between instructors.
    pub internal: bool,
    pub now: i64,
}

/// Writes a message in the caller's transaction; a message to the other
/// side (not a note) also writes a `message_sent` event, whose id is
/// answered second.
pub async fn add_message_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    m: &NewMessage<'_>,
) -> Result<(i64, Option<i64>), DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO messages (request_id, author_id, author_role, body, internal, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(m.request_id)
    .bind(m.author_id)
    .bind(m.author_role.as_str())
    .bind(m.body)
    .bind(i64::from(m.internal))
    .bind(m.now)
    .fetch_one(&mut **tx)
    .await?;
    if m.internal {
        return Ok((id, None));
    }
    let state = super::requests::state_in(tx, m.request_id)
        .await?
        .unwrap_or(RequestState::Submitted);
    let payload = format!("{{\"message_id\":{id}}}");
    let event_id = super::requests::insert_event(
        tx,
        &super::requests::NewEvent {
            request_id: m.request_id,
            kind: crate::domain::lifecycle::EventKind::MessageSent,
            from: Some(state),
            to: state,
            actor_id: Some(m.author_id),
            role: m.author_role,
            message: None,
            payload: Some(&payload),
            now: m.now,
        },
    )
    .await?;
    Ok((id, Some(event_id)))
}

/// The conversation of a request, oldest first; `with_internal` adds the
/// instructors' notes (staff only).
pub async fn messages(
    db: &Db,
    request_id: i64,
    with_internal: bool,
) -> Result<Vec<StoredMessage>, DbError> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.request_id, m.author_id, m.author_role, u.email AS author_email, m.body, \
         m.internal, m.created_at, m.read_by_applicant_at, m.read_by_instructors_at \
         FROM messages m LEFT JOIN users u ON u.id = m.author_id \
         WHERE m.request_id = $1 AND (m.internal = 0 OR $2 = 1) ORDER BY m.id",
    )
    .bind(request_id)
    .bind(i64::from(with_internal))
    .fetch_all(&db.pool)
    .await?)
}

/// Marks the other side's messages as read: by the applicant (`staff` false:
/// the instructors' messages) or by the instructors (`staff` true: the
/// applicant's).
pub async fn mark_read(db: &Db, request_id: i64, staff: bool, now: i64) -> Result<(), DbError> {
    let sql = if staff {
        "UPDATE messages SET read_by_instructors_at = $1 WHERE request_id = $2 \
         AND author_role = 'applicant' AND read_by_instructors_at IS NULL"
    } else {
        "UPDATE messages SET read_by_applicant_at = $1 WHERE request_id = $2 \
         AND author_role <> 'applicant' AND internal = 0 AND read_by_applicant_at IS NULL"
    };
    sqlx::query(sql)
        .bind(now)
        .bind(request_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Messages from the instructors the applicant has not read, per request.
pub async fn unread_for_applicant(db: &Db, applicant_id: i64) -> Result<Vec<(i64, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT m.request_id, COUNT(*) FROM messages m JOIN requests r ON r.id = m.request_id \
         WHERE r.applicant_id = $1 AND m.author_role <> 'applicant' AND m.internal = 0 \
         AND m.read_by_applicant_at IS NULL GROUP BY m.request_id",
    )
    .bind(applicant_id)
    .fetch_all(&db.pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like(&fold("Région")), "%region%");
        assert_eq!(like("50%_x"), "%50\\%\\_x%");
    }

    #[test]
    fn folding_meets_what_users_type() {
        assert_eq!(fold("  Région  Île-de-France "), "region ile-de-france");
        assert_eq!(fold("ÉCOLE Œcuménique"), "ecole oecumenique");
        assert_eq!(fold("Côte d’Azur"), "cote d'azur");
        assert_eq!(fold("Cas d'usage n° 42"), "cas d'usage n° 42");
    }

    #[test]
    fn search_terms() {
        let t = term(" 130 025 265 ").expect("term");
        assert_eq!(
            (t.text.as_str(), t.number),
            ("130025265", Some(130_025_265))
        );
        let t = term("Mairie de Saint-Étienne").expect("term");
        assert_eq!(
            (t.text.as_str(), t.number),
            ("mairie de saint-etienne", None)
        );
        assert!(term("   ").is_none());
        // Words and a number of three digits at least: the number is
        // looked up; the whole term is checked on the rows found.
        let anchors = ["usage n° 4242", "commune n° 42", "2024 : 12 345", "commune"]
            .map(|q| term(q).and_then(|t| t.anchor));
        assert_eq!(
            anchors,
            [Some("4242".to_owned()), None, Some("2024".to_owned()), None]
        );
        assert_eq!(phrase("a\"b"), "\"a\"\"b\"");
    }
}
