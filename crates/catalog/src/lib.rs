//! The open data catalog engine: datasets and resources, Japanese search, tabular previews
//! and the data API, standard-dataset validation, quality scores, DCAT, harvest.
//!
//! No HTTP here: the web crate maps these functions to CKAN's Action API, DCAT documents and
//! pages.

pub mod dcat;
pub mod model;
pub mod quality;
pub mod standard;

pub use model::*;
