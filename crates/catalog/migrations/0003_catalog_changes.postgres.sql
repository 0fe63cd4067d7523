-- The change log (PostgreSQL). Same table and columns as the SQLite file.
--
-- Every write of a dataset appends one row here inside the write's own transaction (the
-- reindex step, Catalog::reindex), so a committed change and its log row appear together.
-- Every process keeps an in-memory search index (src/search_index.rs); before each search it
-- asks `SELECT MAX(seq)` and, when that moved past what it has applied, reloads just the
-- datasets logged since. Several servers on one database therefore stay exact.
--
-- Writers take `LOCK TABLE catalog_changes IN SHARE ROW EXCLUSIVE MODE` before appending
-- (self-conflicting, not conflicting with readers), so sequence numbers become visible in
-- commit order: once a reader sees seq n, every smaller seq is committed or rolled back,
-- and "everything after the last seq I applied" never skips a change.
CREATE TABLE catalog_changes (
    seq BIGSERIAL PRIMARY KEY,
    dataset_id TEXT NOT NULL,
    at TEXT NOT NULL
);
