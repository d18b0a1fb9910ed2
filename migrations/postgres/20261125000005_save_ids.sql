-- The id the browser gave to the last save of a request: a retried save (same
-- id, over the version it produced) is answered again instead of creating a
-- second version or a false conflict.
ALTER TABLE requests ADD COLUMN last_save_id TEXT;
