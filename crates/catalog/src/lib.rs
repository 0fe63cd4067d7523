//! The open data catalog engine: datasets and resources, Japanese search, tabular previews
//! and the data API, standard-dataset validation, quality scores, DCAT, harvest.
//!
//! No HTTP here: the web crate maps these functions to CKAN's Action API, DCAT documents and
//! pages. Start with [`Catalog`]: [`Catalog::new`] over a migrated database ([`migrations`],
//! after `ydx_accounts::migrations`) and a blob store.

pub mod datastore;
pub mod dcat;
mod error;
pub mod harvest;
pub mod index;
pub mod model;
pub mod quality;
mod resources;
pub mod sample;
pub mod search;
pub mod search_index;
pub mod standard;
mod store;
pub mod table;
pub mod usage;
pub mod validate;
pub mod xlsx;

pub use datastore::{LoadedTable, TableCache, TableQuery, TableQueryResult, TableSort};
pub use error::{CatalogError, FieldError, Result, ValidationErrors};
pub use model::*;
pub use resources::{ResourceFields, ResourcePatch, ResourceSource, latest_resource};
pub use search::{
    Condition, FacetField, FacetValue, FilterField, FilterTest, SearchFilters, SearchQuery,
    SearchResult, SortOrder, TimeBound, TimeField,
};
pub use store::{Catalog, CatalogLimits, DatasetFields, DatasetPatch, can_see, migrations};
pub use usage::{DatasetUsage, RecentUse};
