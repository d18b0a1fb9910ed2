//! Use-case templates: the current version of each, and every version saved.

use super::{Db, DbError};
use crate::domain::template::{StoredTemplate, Template};

type Row = (String, i64, i64, i64);

/// The templates a new database starts with (`server/data/templates.json`);
/// administrators edit them in the app.
const BUILTIN: &str = include_str!("../data/templates.json");

#[derive(serde::Deserialize)]
struct Builtin {
    templates: Vec<Template>,
}

/// The built-in templates (none if the file were unreadable: the build's
/// tests read it).
pub fn builtin() -> Vec<Template> {
    match serde_json::from_str::<Builtin>(BUILTIN) {
        Ok(b) => b.templates,
        Err(e) => {
            tracing::error!(error = %e, "templates.json illisible");
            Vec::new()
        }
    }
}

fn decode(data: &str) -> Result<Template, DbError> {
    serde_json::from_str(data).map_err(|e| DbError::Query(sqlx::Error::Decode(Box::new(e))))
}

fn encode(template: &Template) -> Result<String, DbError> {
    serde_json::to_string(template).map_err(|e| DbError::Query(sqlx::Error::Encode(Box::new(e))))
}

fn stored((data, version, archived, updated_at): Row) -> Result<StoredTemplate, DbError> {
    Ok(StoredTemplate {
        template: decode(&data)?,
        version,
        archived: archived != 0,
        updated_at,
    })
}

/// Inserts `templates` (version 1) that are not there yet, in this order
/// after the existing ones; answers how many were added. Safe to run from
/// several instances at once.
pub async fn seed(db: &Db, templates: &[Template], now: i64) -> Result<usize, DbError> {
    let mut tx = db.begin().await?;
    let mut added = 0;
    for (position, t) in templates.iter().enumerate() {
        let data = encode(t)?;
        let done = sqlx::query(
            "INSERT INTO request_templates (slug, data, version, position, archived, updated_at) \
             VALUES ($1, $2, 1, $3, 0, $4) ON CONFLICT (slug) DO NOTHING",
        )
        .bind(&t.slug)
        .bind(&data)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query(
                "INSERT INTO request_template_versions (slug, version, data, archived, saved_at) \
                 VALUES ($1, 1, $2, 0, $3)",
            )
            .bind(&t.slug)
            .bind(&data)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// The templates in their order; archived ones only when asked.
pub async fn list(db: &Db, with_archived: bool) -> Result<Vec<StoredTemplate>, DbError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT data, version, archived, updated_at FROM request_templates \
         WHERE archived = 0 OR $1 = 1 ORDER BY position, slug",
    )
    .bind(i64::from(with_archived))
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(stored).collect()
}

/// The current version of the template `slug`.
pub async fn get(db: &Db, slug: &str) -> Result<Option<StoredTemplate>, DbError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT data, version, archived, updated_at FROM request_templates WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(&db.pool)
    .await?;
    row.map(stored).transpose()
}

/// Version `version` of the template `slug`, as it was saved.
pub async fn version(db: &Db, slug: &str, version: i64) -> Result<Option<Template>, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT data FROM request_template_versions WHERE slug = $1 AND version = $2",
    )
    .bind(slug)
    .bind(version)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|(data,)| decode(&data)).transpose()
}

/// What became of an administrator's save.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Saved as this version.
    Version(i64),
    /// Someone saved the template since the form was opened: it is now at
    /// this version, and nothing was written.
    Conflict(i64),
    /// A new template's address is another template's.
    SlugTaken,
    /// No template at this address.
    Missing,
}

/// Saves `template` as the next version of its slug, by `by`: a new template
/// when `expected` is `None`, else the template as it was at version
/// `expected` (nothing is written when it moved on since). Every version is
/// kept in the history, archiving included.
pub async fn save(
    db: &Db,
    template: &Template,
    expected: Option<i64>,
    archived: bool,
    by: i64,
    now: i64,
) -> Result<Saved, DbError> {
    let data = encode(template)?;
    let mut tx = db.begin().await?;
    let version = match expected {
        None => {
            let done = sqlx::query(
                "INSERT INTO request_templates \
                 (slug, data, version, position, archived, updated_at, updated_by) \
                 SELECT $1, $2, 1, COALESCE(MAX(position), -1) + 1, $3, $4, $5 \
                 FROM request_templates WHERE TRUE ON CONFLICT (slug) DO NOTHING",
            )
            .bind(&template.slug)
            .bind(&data)
            .bind(i64::from(archived))
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(Saved::SlugTaken);
            }
            1
        }
        Some(expected) => {
            let done = sqlx::query(
                "UPDATE request_templates SET data = $1, version = version + 1, archived = $2, \
                 updated_at = $3, updated_by = $4 WHERE slug = $5 AND version = $6",
            )
            .bind(&data)
            .bind(i64::from(archived))
            .bind(now)
            .bind(by)
            .bind(&template.slug)
            .bind(expected)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let current: Option<(i64,)> =
                    sqlx::query_as("SELECT version FROM request_templates WHERE slug = $1")
                        .bind(&template.slug)
                        .fetch_optional(&mut *tx)
                        .await?;
                return Ok(match current {
                    Some((v,)) => Saved::Conflict(v),
                    None => Saved::Missing,
                });
            }
            expected + 1
        }
    };
    sqlx::query(
        "INSERT INTO request_template_versions (slug, version, data, archived, saved_at, saved_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&template.slug)
    .bind(version)
    .bind(&data)
    .bind(i64::from(archived))
    .bind(now)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Saved::Version(version))
}

/// One saved version of a template, with who saved it (`None`: the
/// built-in seed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedVersion {
    pub version: i64,
    pub template: Template,
    pub archived: bool,
    pub saved_at: i64,
    pub saved_by: Option<String>,
}

/// Every version of the template `slug`, the newest first.
pub async fn history(db: &Db, slug: &str) -> Result<Vec<SavedVersion>, DbError> {
    let rows: Vec<(i64, String, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT v.version, v.data, v.archived, v.saved_at, u.email \
         FROM request_template_versions v LEFT JOIN users u ON u.id = v.saved_by \
         WHERE v.slug = $1 ORDER BY v.version DESC",
    )
    .bind(slug)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|(version, data, archived, saved_at, saved_by)| {
            Ok(SavedVersion {
                version,
                template: decode(&data)?,
                archived: archived != 0,
                saved_at,
                saved_by,
            })
        })
        .collect()
}

/// How many requests started from each template, by slug.
pub async fn use_counts(db: &Db) -> Result<Vec<(String, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT template_slug, COUNT(*) FROM requests WHERE template_slug IS NOT NULL \
         GROUP BY template_slug",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// The template (slug and version) a request started from, if any.
pub async fn origin_of(db: &Db, request_id: i64) -> Result<Option<(String, i64)>, DbError> {
    let row: Option<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT template_slug, template_version FROM requests WHERE id = $1")
            .bind(request_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(match row {
        Some((Some(slug), Some(version))) => Some((slug, version)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_builtin_templates_are_valid_and_cover_the_common_uses() {
        let all = super::builtin();
        assert!(all.len() >= 8, "{} templates", all.len());
        for t in &all {
            assert_eq!(t.errors(), vec![], "{}", t.slug);
        }
        let mut slugs: Vec<&str> = all.iter().map(|t| t.slug.as_str()).collect();
        for slug in [
            "marches-publics",
            "aides-publiques",
            "subventions-associations",
            "detection-fraude",
            "relation-usager",
            "editeur-logiciel",
        ] {
            assert!(slugs.contains(&slug), "{slug}");
        }
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), all.len(), "one slug each");
    }
}
