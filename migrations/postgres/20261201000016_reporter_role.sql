-- The read-only "rapporteur" role (issue 19): sees the dashboard and the
-- requests, decides nothing.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('applicant', 'instructor', 'admin', 'reporter'));
