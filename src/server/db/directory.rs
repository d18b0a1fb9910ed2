//! The stored directory of public bodies.

use super::{Db, DbError};
use crate::server::directory::index::{Entry, EntryKind};

/// Rows per INSERT statement (7 parameters each, well under both backends'
/// parameter limits).
const BATCH: usize = 500;

/// Replaces the whole directory in one transaction; returns the row count.
pub async fn replace_all(db: &Db, entries: &[Entry], now: i64) -> Result<usize, DbError> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM directory_entries")
        .execute(&mut *tx)
        .await?;
    for chunk in entries.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO directory_entries (siren, name, kind, code, departement, population, imported_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 7;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7
            ));
        }
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(e.siren.as_str())
                .bind(e.name.as_str())
                .bind(e.kind.as_str())
                .bind(e.code.as_str())
                .bind(e.departement.as_deref())
                .bind(e.population)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(entries.len())
}

type Row = (String, String, String, String, Option<String>, Option<i64>);

/// Every stored entry (kinds unknown to this build are skipped).
pub async fn load_all(db: &Db) -> Result<Vec<Entry>, DbError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT siren, name, kind, code, departement, population FROM directory_entries ORDER BY siren",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(siren, name, kind, code, departement, population)| {
            Some(Entry {
                siren,
                siret: None,
                name,
                kind: EntryKind::parse(&kind)?,
                code,
                departement,
                population,
            })
        })
        .collect())
}

pub async fn count(db: &Db) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM directory_entries")
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}
