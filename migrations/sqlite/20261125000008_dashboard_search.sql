-- The dashboard at 100,000 requests.
--
-- 1. Counts per state, kept by triggers in the transaction of every insert,
--    state change and deletion (the dashboard and the home page read seven
--    rows instead of counting the table).
CREATE TABLE request_counts (
    state TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO request_counts (state, n) VALUES
    ('draft', 0), ('submitted', 0), ('changes_requested', 0), ('accepted', 0),
    ('refused', 0), ('archived', 0), ('revoked', 0);
UPDATE request_counts SET n = (SELECT COUNT(*) FROM requests r WHERE r.state = request_counts.state);
CREATE TRIGGER request_counts_insert AFTER INSERT ON requests BEGIN
    UPDATE request_counts SET n = n + 1 WHERE state = new.state;
END;
CREATE TRIGGER request_counts_update AFTER UPDATE OF state ON requests
WHEN old.state IS NOT new.state BEGIN
    UPDATE request_counts SET n = n - 1 WHERE state = old.state;
    UPDATE request_counts SET n = n + 1 WHERE state = new.state;
END;
CREATE TRIGGER request_counts_delete AFTER DELETE ON requests BEGIN
    UPDATE request_counts SET n = n - 1 WHERE state = old.state;
END;

-- 2. Search. `search` holds the organisation's name, the context's title
--    (both lower-cased, accents removed, by the application at every write),
--    the SIRET and the applicant's email. Rows written before this migration
--    are filled by the application when it starts (`fill_search`).
--    A trigram full-text index (FTS5) over it, for submitted requests only
--    (the dashboard never shows drafts; their autosaves do not touch it).
ALTER TABLE requests ADD COLUMN search TEXT NOT NULL DEFAULT '';
CREATE VIRTUAL TABLE requests_search USING fts5(
    search, content = 'requests', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER requests_search_insert AFTER INSERT ON requests
WHEN new.submitted_at IS NOT NULL BEGIN
    INSERT INTO requests_search (rowid, search) VALUES (new.id, new.search);
END;
-- One trigger, so that the old entry always leaves before the new one comes.
CREATE TRIGGER requests_search_update AFTER UPDATE OF search, submitted_at ON requests BEGIN
    INSERT INTO requests_search (requests_search, rowid, search)
        SELECT 'delete', old.id, old.search
        WHERE old.submitted_at IS NOT NULL
          AND (new.submitted_at IS NULL OR old.search IS NOT new.search);
    INSERT INTO requests_search (rowid, search)
        SELECT new.id, new.search
        WHERE new.submitted_at IS NOT NULL
          AND (old.submitted_at IS NULL OR old.search IS NOT new.search);
END;
CREATE TRIGGER requests_search_delete AFTER DELETE ON requests
WHEN old.submitted_at IS NOT NULL BEGIN
    INSERT INTO requests_search (requests_search, rowid, search)
        VALUES ('delete', old.id, old.search);
END;
-- Existing submitted rows: indexed with their (empty) search until filled,
-- so that the update trigger's 'delete' always finds what it removes.
INSERT INTO requests_search (rowid, search)
    SELECT id, search FROM requests WHERE submitted_at IS NOT NULL;

-- 3. Who took a request. "Assigned to me" reads the instructor's own rows;
--    "unassigned" its own small indexes (most requests are taken sooner or
--    later), so that the planner never reads the NULLs of the first one and
--    sorts them.
DROP INDEX requests_assigned_idx;
CREATE INDEX requests_assigned_idx ON requests (assigned_to, submitted_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX requests_unassigned_idx ON requests (submitted_at, id)
    WHERE assigned_to IS NULL AND submitted_at IS NOT NULL;
CREATE INDEX requests_unassigned_updated_idx ON requests (updated_at, id)
    WHERE assigned_to IS NULL AND submitted_at IS NOT NULL;
