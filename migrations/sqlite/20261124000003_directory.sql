-- The offline directory of public bodies (communes and EPCI), imported from
-- the npm package @etalab/decoupage-administratif, shared by every instance.
CREATE TABLE directory_entries (
    siren TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    departement TEXT,
    population BIGINT,
    imported_at BIGINT NOT NULL
);
