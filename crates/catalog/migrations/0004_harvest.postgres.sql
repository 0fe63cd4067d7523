-- Harvest (PostgreSQL): other CKAN catalogs whose datasets this catalog imports, what each
-- remote dataset became here, and every run's report. Same tables and columns as the SQLite
-- file; BIGINT for its INTEGER, COLLATE "C" where times are compared as text.
--
-- harvest_sources: one CKAN site (or a filtered part of one: `filter` is a package_search fq)
-- whose datasets are owned here by `target_org`. `created_by` is the user the harvester acts
-- as (the admin who configured the source; every write is audited under that account).
-- `running_since` is the lock a run holds (refreshed as it goes), so a scheduled run and a
-- `ydx harvest run` never work on one source at once.
CREATE TABLE harvest_sources (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    target_org TEXT NOT NULL REFERENCES organizations(id),
    filter TEXT NOT NULL DEFAULT '',
    schedule_minutes BIGINT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created TEXT NOT NULL,
    running_since TEXT COLLATE "C"
);
-- harvest_objects: a remote dataset (by its id on the source) and the local dataset made from
-- it. content_hash is the SHA-256 of the normalised remote JSON as last written; a run that
-- finds the same hash writes nothing. removed = 1 once the dataset left the source and its
-- local copy was deleted (it comes back if the remote dataset does).
CREATE TABLE harvest_objects (
    source_id TEXT NOT NULL REFERENCES harvest_sources(id) ON DELETE CASCADE,
    remote_id TEXT NOT NULL,
    remote_name TEXT NOT NULL,
    local_dataset_id TEXT NOT NULL REFERENCES datasets(id),
    content_hash TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    removed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, remote_id)
);
CREATE UNIQUE INDEX harvest_objects_local ON harvest_objects(local_dataset_id);
CREATE TABLE harvest_runs (
    id TEXT COLLATE "C" PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES harvest_sources(id) ON DELETE CASCADE,
    started TEXT COLLATE "C" NOT NULL,
    finished TEXT,
    added BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    removed BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    report_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX harvest_runs_source ON harvest_runs(source_id, started);
