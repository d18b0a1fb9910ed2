-- Requests that change an accepted authorisation (issue 19): an update is
-- a request of its own, instructed like any other, whose `parent_id` is
-- the accepted request it updates; accepting it changes the parent's data
-- and its token's scopes (the same token, the same strings).
ALTER TABLE requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'initial';
ALTER TABLE requests ADD COLUMN parent_id BIGINT REFERENCES requests (id);
CREATE INDEX requests_parent_idx ON requests (parent_id);
