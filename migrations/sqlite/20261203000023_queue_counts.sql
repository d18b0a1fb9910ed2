-- The dashboard at a million requests (issue 22).
--
-- 1. The queue's counts for every combination of its filters but the
--    search, kept by triggers in the transaction of every change: counting
--    "updates only" or "not vouched for" walked 10,000 rows each time. Only
--    submitted requests count (the queue never shows the others); nobody,
--    no template and no link are stored as 0 and '' so that the key is
--    unique.
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
CREATE TRIGGER queue_counts_insert AFTER INSERT ON requests
WHEN new.submitted_at IS NOT NULL BEGIN
    INSERT INTO queue_counts VALUES (new.state, COALESCE(new.assigned_to, 0), new.sensitive,
        COALESCE(new.template_slug, ''), new.kind, COALESCE(new.agent_link, ''), 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER queue_counts_update
AFTER UPDATE OF state, assigned_to, sensitive, template_slug, kind, agent_link, submitted_at
ON requests
WHEN (old.submitted_at IS NOT NULL OR new.submitted_at IS NOT NULL)
    AND (old.submitted_at IS NULL OR new.submitted_at IS NULL
         OR old.state IS NOT new.state OR old.assigned_to IS NOT new.assigned_to
         OR old.sensitive IS NOT new.sensitive OR old.template_slug IS NOT new.template_slug
         OR old.kind IS NOT new.kind OR old.agent_link IS NOT new.agent_link)
BEGIN
    UPDATE queue_counts SET n = n - 1
    WHERE old.submitted_at IS NOT NULL AND state = old.state
        AND assigned_to = COALESCE(old.assigned_to, 0) AND sensitive = old.sensitive
        AND template_slug = COALESCE(old.template_slug, '') AND kind = old.kind
        AND agent_link = COALESCE(old.agent_link, '');
    INSERT INTO queue_counts
    SELECT new.state, COALESCE(new.assigned_to, 0), new.sensitive,
        COALESCE(new.template_slug, ''), new.kind, COALESCE(new.agent_link, ''), 1
    WHERE new.submitted_at IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER queue_counts_delete AFTER DELETE ON requests
WHEN old.submitted_at IS NOT NULL BEGIN
    UPDATE queue_counts SET n = n - 1
    WHERE state = old.state AND assigned_to = COALESCE(old.assigned_to, 0)
        AND sensitive = old.sensitive AND template_slug = COALESCE(old.template_slug, '')
        AND kind = old.kind AND agent_link = COALESCE(old.agent_link, '');
END;

-- 2. The filters added since the first dashboard, in the queue's order:
--    the page walks the index and stops at its twentieth row, where the
--    single-column indexes read every match and sorted them (333,000 for the
--    ProConnect link). Submitted requests only: the drafts' autosaves do not
--    touch them.
CREATE INDEX requests_template_queue_idx ON requests (template_slug, submitted_at, id)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX requests_kind_queue_idx ON requests (kind, submitted_at, id)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX requests_agent_queue_idx ON requests (agent_link, submitted_at, id)
    WHERE submitted_at IS NOT NULL;
