-- Use-case templates (issue 18): the current text of each (JSON of
-- domain::template::Template) and every version ever saved, with who saved it.
CREATE TABLE request_templates (
    slug TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    position BIGINT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);
CREATE TABLE request_template_versions (
    slug TEXT NOT NULL,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    saved_at BIGINT NOT NULL,
    saved_by BIGINT,
    PRIMARY KEY (slug, version)
);
-- The template a request started from, and which version of it.
ALTER TABLE requests ADD COLUMN template_slug TEXT;
ALTER TABLE requests ADD COLUMN template_version BIGINT;
CREATE INDEX requests_template_idx ON requests (template_slug);
