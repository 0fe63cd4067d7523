-- The catalog's tables (PostgreSQL). Same tables and columns as the SQLite file; BIGINT
-- for its INTEGER, and COLLATE "C" on every column the catalog sorts or facets by, so text
-- orders byte-wise exactly as SQLite's default BINARY collation does.
CREATE TABLE catalog_groups (
    name TEXT COLLATE "C" PRIMARY KEY,
    title_ja TEXT NOT NULL,
    title_en TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE TABLE datasets (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    title TEXT COLLATE "C" NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    owner_org TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    state TEXT NOT NULL,
    private BIGINT NOT NULL DEFAULT 0,
    license_id TEXT COLLATE "C" NOT NULL,
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
    series BIGINT NOT NULL DEFAULT 0,
    metadata_created TEXT NOT NULL,
    metadata_modified TEXT COLLATE "C" NOT NULL,
    creator_user_id TEXT
);
CREATE INDEX datasets_org ON datasets(owner_org);
CREATE INDEX datasets_modified ON datasets(metadata_modified);
CREATE INDEX datasets_state ON datasets(state, private);
CREATE TABLE dataset_tags (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    tag TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, tag)
);
CREATE INDEX dataset_tags_tag ON dataset_tags(tag);
CREATE TABLE dataset_groups (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    group_name TEXT COLLATE "C" NOT NULL REFERENCES catalog_groups(name),
    position BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, group_name)
);
CREATE INDEX dataset_groups_group ON dataset_groups(group_name);
CREATE TABLE dataset_spatial (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    code TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, code)
);
CREATE INDEX dataset_spatial_code ON dataset_spatial(code);
CREATE TABLE resources (
    id TEXT COLLATE "C" PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'active',
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    format TEXT COLLATE "C" NOT NULL DEFAULT '',
    mimetype TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    url_type TEXT NOT NULL DEFAULT '',
    size BIGINT,
    hash TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL,
    period TEXT COLLATE "C",
    version BIGINT NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    table_json TEXT
);
CREATE INDEX resources_dataset ON resources(dataset_id, position);
CREATE INDEX resources_format ON resources(format, dataset_id);
CREATE TABLE resource_versions (
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    blob TEXT NOT NULL,
    size BIGINT NOT NULL,
    filename TEXT NOT NULL,
    format TEXT COLLATE "C" NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    created_by TEXT,
    change_json TEXT,
    table_json TEXT,
    PRIMARY KEY (resource_id, version)
);
-- The search index: one row per (term, dataset) with the summed weight of the fields the
-- term occurs in. Plain SQL, the same on both backends, so results cannot differ.
CREATE TABLE catalog_terms (
    term TEXT COLLATE "C" NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    weight BIGINT NOT NULL,
    PRIMARY KEY (term, dataset_id)
);
CREATE INDEX catalog_terms_dataset ON catalog_terms(dataset_id);
