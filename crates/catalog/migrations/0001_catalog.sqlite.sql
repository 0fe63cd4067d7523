-- The catalog's tables (SQLite). The PostgreSQL file has the same tables and columns;
-- only types differ (BIGINT for INTEGER, COLLATE "C" so text sorts byte-wise as here).
CREATE TABLE catalog_groups (
    name TEXT PRIMARY KEY,
    title_ja TEXT NOT NULL,
    title_en TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    owner_org TEXT NOT NULL REFERENCES organizations(id),
    state TEXT NOT NULL,
    private INTEGER NOT NULL DEFAULT 0,
    license_id TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    author_email TEXT NOT NULL DEFAULT '',
    maintainer TEXT NOT NULL DEFAULT '',
    maintainer_email TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    extras_json TEXT NOT NULL DEFAULT '[]',
    temporal_start TEXT,
    temporal_end TEXT,
    frequency TEXT,
    standard TEXT,
    series INTEGER NOT NULL DEFAULT 0,
    metadata_created TEXT NOT NULL,
    metadata_modified TEXT NOT NULL,
    creator_user_id TEXT
);
CREATE INDEX datasets_org ON datasets(owner_org);
CREATE INDEX datasets_modified ON datasets(metadata_modified);
CREATE INDEX datasets_state ON datasets(state, private);
CREATE TABLE dataset_tags (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, tag)
);
CREATE INDEX dataset_tags_tag ON dataset_tags(tag);
CREATE TABLE dataset_groups (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    group_name TEXT NOT NULL REFERENCES catalog_groups(name),
    position INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, group_name)
);
CREATE INDEX dataset_groups_group ON dataset_groups(group_name);
CREATE TABLE dataset_spatial (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, code)
);
CREATE INDEX dataset_spatial_code ON dataset_spatial(code);
CREATE TABLE resources (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'active',
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    mimetype TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    url_type TEXT NOT NULL DEFAULT '',
    size INTEGER,
    hash TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    period TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    table_json TEXT
);
CREATE INDEX resources_dataset ON resources(dataset_id, position);
CREATE INDEX resources_format ON resources(format, dataset_id);
CREATE TABLE resource_versions (
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    filename TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    created_by TEXT,
    change_json TEXT,
    table_json TEXT,
    PRIMARY KEY (resource_id, version)
);
-- The search index: one row per (term, dataset) with the summed weight of the fields the
-- term occurs in. Plain SQL, the same on both backends, so results cannot differ.
CREATE TABLE catalog_terms (
    term TEXT NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    weight INTEGER NOT NULL,
    PRIMARY KEY (term, dataset_id)
);
CREATE INDEX catalog_terms_dataset ON catalog_terms(dataset_id);
