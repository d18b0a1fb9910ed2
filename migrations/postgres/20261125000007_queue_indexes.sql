-- The dashboard's queue without a state filter is "everything ever submitted"
-- (submitted_at set), read in submission or last-change order; by
-- instructor, in submission order.
DROP INDEX requests_assigned_idx;
CREATE INDEX requests_assigned_idx ON requests (assigned_to, submitted_at, id);
CREATE INDEX requests_updated_idx ON requests (updated_at, id);
