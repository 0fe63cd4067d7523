-- The change log (SQLite). Same table and columns as the PostgreSQL file.
--
-- Every write of a dataset appends one row here inside the write's own transaction (the
-- reindex step, Catalog::reindex), so a committed change and its log row appear together.
-- Every process keeps an in-memory search index (src/search_index.rs); before each search it
-- asks `SELECT MAX(seq)` and, when that moved past what it has applied, reloads just the
-- datasets logged since. Several servers on one database therefore stay exact.
CREATE TABLE catalog_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id TEXT NOT NULL,
    at TEXT NOT NULL
);
