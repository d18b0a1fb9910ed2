-- The dashboard at 100,000 requests.
--
-- 1. Counts per state, kept by a trigger in the transaction of every insert,
--    state change and deletion (the dashboard and the home page read seven
--    rows instead of counting the table). Both rows of a change are updated
--    by one statement, in key order, so that two changes cannot deadlock.
CREATE TABLE request_counts (
    state TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO request_counts (state, n)
SELECT s, (SELECT COUNT(*) FROM requests r WHERE r.state = s)
FROM unnest(ARRAY['draft', 'submitted', 'changes_requested', 'accepted',
                  'refused', 'archived', 'revoked']) AS s;
CREATE FUNCTION request_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE request_counts SET n = n + 1 WHERE state = NEW.state;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE request_counts SET n = n - 1 WHERE state = OLD.state;
    ELSIF OLD.state IS DISTINCT FROM NEW.state THEN
        UPDATE request_counts
        SET n = n + CASE WHEN state = NEW.state THEN 1 ELSE -1 END
        WHERE state IN (OLD.state, NEW.state);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER request_counts_insert_delete AFTER INSERT OR DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION request_counts_keep();
CREATE TRIGGER request_counts_update AFTER UPDATE OF state ON requests
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION request_counts_keep();

-- 2. Search. `search` holds the organisation's name, the context's title
--    (both lower-cased, accents removed, by the application at every write),
--    the SIRET and the applicant's email. Rows written before this migration
--    are filled by the application when it starts (`fill_search`).
ALTER TABLE requests ADD COLUMN search TEXT NOT NULL DEFAULT '';
-- A trigram index over it (pg_trgm, in PostgreSQL's contrib, trusted since
-- PostgreSQL 13), for submitted requests only. Where the extension cannot be
-- installed, search still works, by a sequential scan.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX requests_search_idx ON requests USING gin (search gin_trgm_ops)
        WHERE submitted_at IS NOT NULL;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pg_trgm indisponible (%), la recherche du tableau de bord sera lente', SQLERRM;
END;
$$;

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
