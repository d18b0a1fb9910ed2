-- The read-only "rapporteur" role (issue 19): sees the dashboard and the
-- requests, decides nothing.
--
-- SQLite cannot alter a CHECK constraint, and the usual rebuild of the
-- table needs foreign keys off, which sqlx's transaction forbids (a rename
-- with foreign keys on rewrites every reference to `users`). Widening the
-- list of values changes nothing stored, so the table's definition is
-- edited in place, as SQLite's documentation allows for such changes
-- ("ALTER TABLE", making other kinds of schema changes). The table created
-- and dropped after bumps the schema version: every other connection
-- reads the new definition; `Db::migrate` closes the one that ran this.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
    SET sql = replace(sql,
        'CHECK (role IN (''applicant'', ''instructor'', ''admin''))',
        'CHECK (role IN (''applicant'', ''instructor'', ''admin'', ''reporter''))')
    WHERE type = 'table' AND name = 'users';
PRAGMA writable_schema = OFF;
CREATE TABLE schema_version_bump (x INTEGER);
DROP TABLE schema_version_bump;
