-- Search speed (SQLite). Same tables and columns as the PostgreSQL file.
--
-- catalog_facets: every facet value of every dataset, one row per (dataset, field, value), so
-- a search counts all six facets in one GROUP BY over the matching datasets instead of one
-- query per facet. Written with the search terms inside each write's transaction
-- (index::write_facets), so it never disagrees with the tables it copies. WITHOUT ROWID
-- clusters a dataset's rows under its id: one probe per matching dataset.
CREATE TABLE catalog_facets (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (dataset_id, field, value)
) WITHOUT ROWID;
INSERT INTO catalog_facets (dataset_id, field, value)
    SELECT id, 'organization', owner_org FROM datasets;
INSERT INTO catalog_facets (dataset_id, field, value)
    SELECT id, 'license_id', license_id FROM datasets WHERE license_id <> '';
INSERT INTO catalog_facets (dataset_id, field, value)
    SELECT dataset_id, 'tags', tag FROM dataset_tags;
INSERT INTO catalog_facets (dataset_id, field, value)
    SELECT dataset_id, 'groups', group_name FROM dataset_groups;
INSERT INTO catalog_facets (dataset_id, field, value)
    SELECT dataset_id, 'municipality', code FROM dataset_spatial;
INSERT INTO catalog_facets (dataset_id, field, value)
    SELECT DISTINCT dataset_id, 'res_format', format FROM resources
    WHERE state = 'active' AND format <> '';
-- The term index clustered by (term, dataset_id): a term's postings, weight included, are one
-- contiguous range (before, each posting was an index entry plus a lookup of its row).
CREATE TABLE catalog_terms_clustered (
    term TEXT NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    weight INTEGER NOT NULL,
    PRIMARY KEY (term, dataset_id)
) WITHOUT ROWID;
INSERT INTO catalog_terms_clustered (term, dataset_id, weight)
    SELECT term, dataset_id, weight FROM catalog_terms;
DROP TABLE catalog_terms;
ALTER TABLE catalog_terms_clustered RENAME TO catalog_terms;
CREATE INDEX catalog_terms_dataset ON catalog_terms(dataset_id);
-- What search reads of a matching dataset (visibility, the organisation and licence filters,
-- the default order) from a small index instead of the wide rows: the join from the postings
-- to datasets becomes an index-only lookup.
CREATE INDEX datasets_search ON datasets(id, state, private, owner_org, license_id, metadata_modified);
