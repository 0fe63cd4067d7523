//! The catalog's records: datasets and their resources, in CKAN's terms plus what Japanese
//! municipalities need (spatial coverage by municipality, 和暦-aware temporal coverage,
//! update frequency, the standard dataset a file follows, series over fiscal years).

use serde::{Deserialize, Serialize};

/// Where a dataset is in its life. CKAN's `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetState {
    /// Being written by its publisher; visible to its organisation only.
    Draft,
    Active,
    /// Deleted; an admin can undo it.
    Deleted,
}

impl DatasetState {
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetState::Draft => "draft",
            DatasetState::Active => "active",
            DatasetState::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<DatasetState> {
        match s {
            "draft" => Some(DatasetState::Draft),
            "active" => Some(DatasetState::Active),
            "deleted" => Some(DatasetState::Deleted),
            _ => None,
        }
    }
}

/// How often a dataset is meant to be updated (the EU frequency vocabulary's common terms,
/// which DCAT-AP uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Continuous,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Annual,
    Irregular,
    Never,
}

impl Frequency {
    pub const ALL: [Frequency; 8] = [
        Frequency::Continuous,
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Annual,
        Frequency::Irregular,
        Frequency::Never,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Continuous => "continuous",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Annual => "annual",
            Frequency::Irregular => "irregular",
            Frequency::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The longest gap, in days, that still counts as kept up to date.
    pub fn max_age_days(self) -> Option<i64> {
        match self {
            Frequency::Continuous | Frequency::Daily => Some(2),
            Frequency::Weekly => Some(8),
            Frequency::Monthly => Some(32),
            Frequency::Quarterly => Some(93),
            Frequency::Annual => Some(366),
            Frequency::Irregular | Frequency::Never => None,
        }
    }
}

/// A licence a dataset may carry. Ids follow CKAN's licence register where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct License {
    pub id: &'static str,
    pub title_ja: &'static str,
    pub title_en: &'static str,
    pub url: &'static str,
    pub open: bool,
}

pub const LICENSES: &[License] = &[
    License {
        id: "cc-by-4.0",
        title_ja: "クリエイティブ・コモンズ 表示 4.0 国際",
        title_en: "Creative Commons Attribution 4.0",
        url: "https://creativecommons.org/licenses/by/4.0/",
        open: true,
    },
    License {
        id: "gdl-1.0",
        title_ja: "公共データ利用規約（第1.0版）",
        title_en: "Public Data License (Version 1.0)",
        url: "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
        open: true,
    },
    License {
        id: "cc0-1.0",
        title_ja: "CC0 1.0 全世界 パブリック・ドメイン提供",
        title_en: "Creative Commons CC0 1.0",
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        open: true,
    },
    License {
        id: "cc-by-sa-4.0",
        title_ja: "クリエイティブ・コモンズ 表示-継承 4.0 国際",
        title_en: "Creative Commons Attribution Share-Alike 4.0",
        url: "https://creativecommons.org/licenses/by-sa/4.0/",
        open: true,
    },
    License {
        id: "other-closed",
        title_ja: "その他（非オープン）",
        title_en: "Other (Not Open)",
        url: "",
        open: false,
    },
];

pub fn license(id: &str) -> Option<&'static License> {
    LICENSES.iter().find(|l| l.id == id)
}

/// A dataset: metadata and its resources. Field names follow CKAN's package where CKAN has
/// the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: String,
    /// URL slug, unique: 2–100 of `a-z0-9-_` (CKAN's rule).
    pub name: String,
    pub title: String,
    /// Markdown; rendered with raw HTML stripped.
    pub notes: String,
    pub owner_org: String,
    pub state: DatasetState,
    pub private: bool,
    pub license_id: String,
    pub author: String,
    pub author_email: String,
    pub maintainer: String,
    pub maintainer_email: String,
    pub version: String,
    /// A page about the dataset elsewhere (CKAN's `url`).
    pub url: String,
    pub tags: Vec<String>,
    /// Group (theme) names.
    pub groups: Vec<String>,
    /// Free key/value pairs (CKAN's `extras`), in order.
    pub extras: Vec<(String, String)>,
    /// 5-digit municipality codes the data covers; empty means the whole prefecture.
    pub spatial: Vec<String>,
    /// ISO dates (YYYY-MM-DD), inclusive.
    pub temporal_start: Option<String>,
    pub temporal_end: Option<String>,
    pub frequency: Option<Frequency>,
    /// The standard dataset (自治体標準オープンデータセット) this dataset follows, by id
    /// (see `standard`).
    pub standard: Option<String>,
    /// A series publishes one resource per period (e.g. per fiscal year); see
    /// [`Resource::period`].
    pub series: bool,
    pub metadata_created: String,
    pub metadata_modified: String,
    pub creator_user_id: Option<String>,
    pub resources: Vec<Resource>,
}

/// A file or link in a dataset. The bytes of an upload live in the blob store; every upload
/// is a new [`ResourceVersion`] and the old ones stay downloadable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub package_id: String,
    pub name: String,
    pub description: String,
    /// Upper-case format, CKAN style: CSV, TSV, XLSX, JSON, GEOJSON, PDF, ZIP…
    pub format: String,
    pub mimetype: String,
    /// For a link: the URL. For an upload: empty (the download URL is derived).
    pub url: String,
    /// "upload" for files kept by ydx, "" for links (CKAN's `url_type`).
    pub url_type: String,
    pub size: Option<i64>,
    /// `sha256:<hex>` of the current version's bytes.
    pub hash: String,
    pub position: i64,
    /// The period of a series resource, sortable as text: "2024" for fiscal year 2024.
    pub period: Option<String>,
    /// The current version number (1 for the first upload).
    pub version: i64,
    pub created: String,
    pub last_modified: String,
    /// The table read from the current version, for CSV/TSV/XLSX uploads that parsed.
    pub table: Option<TableInfo>,
}

impl Resource {
    /// Whether the current version was read as a table (preview, data API, series view).
    pub fn has_table(&self) -> bool {
        self.table.is_some() && crate::table::is_tabular(&self.format)
    }
}

/// What was learned reading a tabular file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Text tables: "utf-8", "utf-8-bom", "shift_jis", "utf-16le" or "utf-16be". Empty for
    /// XLSX, which has no text encoding.
    pub encoding: String,
    /// Text tables: the delimiter ("," or "\t" or ";"). Empty for XLSX.
    pub delimiter: String,
    /// XLSX: the worksheet the table was read from. Absent for text tables (and in tables
    /// stored before XLSX was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Rows above the table taken for its title (「AED設置箇所一覧」, a date line) and skipped;
    /// the original file keeps them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub title_rows: u32,
    /// Text tables: rows below the table with one value each and the wrong number of fields
    /// (「※出典：…」), taken for notes and skipped; the original file keeps them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub note_rows: u32,
    pub columns: Vec<Column>,
    pub row_count: i64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// "integer", "decimal", "date", "latitude", "longitude", "boolean", "text".
    pub kind: String,
}

/// One upload of a resource, kept forever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceVersion {
    pub resource_id: String,
    pub version: i64,
    pub blob: String,
    pub size: i64,
    pub filename: String,
    /// The format this version was uploaded as (and read as, for tables): "CSV", "XLSX"…
    #[serde(default)]
    pub format: String,
    pub created: String,
    pub created_by: Option<String>,
    /// What changed against the previous version, for tables: rows added/removed/changed.
    pub change: Option<TableChange>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TableChange {
    pub rows_added: i64,
    pub rows_removed: i64,
    pub rows_changed: i64,
    pub columns_added: Vec<String>,
    pub columns_removed: Vec<String>,
}

/// A group (theme) of datasets, CKAN's group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub title_ja: String,
    pub title_en: String,
    pub description: String,
}
