-- Staff accounts deactivated by an administrator (issue 19): when, and by
-- whom; NULL for an active account. A deactivated account cannot sign in,
-- its sessions end, and it is told of nothing.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
ALTER TABLE users ADD COLUMN deactivated_by BIGINT;
