-- Requests (dossiers): the walking skeleton's first table. Later migrations
-- add the wizard's fields, versions, events and the rest of the schema.
CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL CHECK (state IN (
        'draft', 'submitted', 'changes_requested', 'accepted',
        'refused', 'archived', 'revoked')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX requests_state_idx ON requests (state);
