-- The instructors' dashboard: who took a request ("Je m'en occupe"), the
-- organisation's name and whether sensitive scopes are asked (copied from the
-- data at every save, so that the dashboard filters and sorts on columns),
-- and the indexes of its queue (state, then oldest submission first).
ALTER TABLE requests ADD COLUMN assigned_to BIGINT REFERENCES users (id);
ALTER TABLE requests ADD COLUMN organisation_name TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN sensitive BIGINT NOT NULL DEFAULT 0;
CREATE INDEX requests_queue_idx ON requests (state, submitted_at, id);
CREATE INDEX requests_assigned_idx ON requests (assigned_to, state, submitted_at, id);
CREATE INDEX requests_submitted_idx ON requests (submitted_at, id);
CREATE INDEX messages_unread_idx ON messages (request_id, read_by_instructors_at);
