-- The dashboard at a million requests (issue 22).
--
-- 1. The queue's counts for every combination of its filters but the
--    search, kept by a trigger in the transaction of every change: counting
--    "updates only" or "not vouched for" walked 10,000 rows each time. Only
--    submitted requests count (the queue never shows the others); nobody,
--    no template and no link are stored as 0 and '' so that the key is
--    unique. A change that moves a request between two keys updates them in
--    key order, so that two changes cannot deadlock.
CREATE TABLE queue_counts (
    state TEXT NOT NULL,
    assigned_to BIGINT NOT NULL,
    sensitive BIGINT NOT NULL,
    template_slug TEXT NOT NULL,
    kind TEXT NOT NULL,
    agent_link TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (state, assigned_to, sensitive, template_slug, kind, agent_link)
);
INSERT INTO queue_counts
SELECT state, COALESCE(assigned_to, 0), sensitive, COALESCE(template_slug, ''), kind,
       COALESCE(agent_link, ''), COUNT(*)
FROM requests WHERE submitted_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE FUNCTION queue_counts_add(r requests, delta BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO queue_counts VALUES (r.state, COALESCE(r.assigned_to, 0), r.sensitive,
        COALESCE(r.template_slug, ''), r.kind, COALESCE(r.agent_link, ''), delta)
    ON CONFLICT (state, assigned_to, sensitive, template_slug, kind, agent_link)
    DO UPDATE SET n = queue_counts.n + delta;
$$;

CREATE FUNCTION queue_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted_old BOOLEAN := TG_OP <> 'INSERT' AND OLD.submitted_at IS NOT NULL;
    counted_new BOOLEAN := TG_OP <> 'DELETE' AND NEW.submitted_at IS NOT NULL;
BEGIN
    IF counted_old AND counted_new
        AND ROW(OLD.state, COALESCE(OLD.assigned_to, 0), OLD.sensitive,
                COALESCE(OLD.template_slug, ''), OLD.kind, COALESCE(OLD.agent_link, ''))
          > ROW(NEW.state, COALESCE(NEW.assigned_to, 0), NEW.sensitive,
                COALESCE(NEW.template_slug, ''), NEW.kind, COALESCE(NEW.agent_link, ''))
    THEN
        PERFORM queue_counts_add(NEW, 1);
        PERFORM queue_counts_add(OLD, -1);
        RETURN NULL;
    END IF;
    IF counted_old THEN
        PERFORM queue_counts_add(OLD, -1);
    END IF;
    IF counted_new THEN
        PERFORM queue_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER queue_counts_insert_delete AFTER INSERT OR DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION queue_counts_keep();
CREATE TRIGGER queue_counts_update
    AFTER UPDATE OF state, assigned_to, sensitive, template_slug, kind, agent_link, submitted_at
    ON requests
    FOR EACH ROW WHEN ((OLD.submitted_at IS NOT NULL OR NEW.submitted_at IS NOT NULL)
        AND ((OLD.submitted_at IS NULL) <> (NEW.submitted_at IS NULL)
             OR OLD.state IS DISTINCT FROM NEW.state
             OR OLD.assigned_to IS DISTINCT FROM NEW.assigned_to
             OR OLD.sensitive IS DISTINCT FROM NEW.sensitive
             OR OLD.template_slug IS DISTINCT FROM NEW.template_slug
             OR OLD.kind IS DISTINCT FROM NEW.kind
             OR OLD.agent_link IS DISTINCT FROM NEW.agent_link))
    EXECUTE FUNCTION queue_counts_keep();

-- 2. The filters added since the first dashboard, in the queue's order:
--    the page walks the index and stops at its twentieth row. Submitted
--    requests only: the drafts' autosaves do not touch them.
CREATE INDEX requests_template_queue_idx ON requests (template_slug, submitted_at, id)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX requests_kind_queue_idx ON requests (kind, submitted_at, id)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX requests_agent_queue_idx ON requests (agent_link, submitted_at, id)
    WHERE submitted_at IS NOT NULL;
