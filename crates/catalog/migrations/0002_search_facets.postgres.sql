-- Search speed (PostgreSQL). Same tables and columns as the SQLite file.
--
-- catalog_facets: every facet value of every dataset, one row per (dataset, field, value), so
-- a search counts all six facets in one GROUP BY over the matching datasets instead of one
-- query per facet. Written with the search terms inside each write's transaction
-- (index::write_facets), so it never disagrees with the tables it copies.
CREATE TABLE catalog_facets (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    field TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (dataset_id, field, value)
);
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
-- A term's postings with their weights from the index alone (index-only scan).
CREATE INDEX catalog_terms_postings ON catalog_terms(term, dataset_id, weight);
-- What search reads of a matching dataset (visibility, the organisation and licence filters,
-- the default order) from a small index instead of the wide rows: the join from the postings
-- to datasets becomes an index-only lookup.
CREATE INDEX datasets_search ON datasets(id, state, private, owner_org, license_id, metadata_modified);
