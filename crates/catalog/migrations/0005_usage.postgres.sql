-- Usage (PostgreSQL): how often each dataset's page was read and its files downloaded, per
-- UTC day. Counts only: no visitor, address or session is recorded. Same table as the SQLite
-- file. Rows are added to (never rewritten) by every process that counted something.
CREATE TABLE dataset_usage (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    downloads BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset_id, day)
);
CREATE INDEX dataset_usage_day ON dataset_usage(day);
