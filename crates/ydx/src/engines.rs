//! The list of engines this binary runs. Adding an engine is one line here (and its crate).

use std::sync::Arc;

use ydx_storage::{BlobStore, Db, EngineMigrations};
use ydx_web::{Engine, WebConfig};

pub fn engines(db: &Db, blobs: &Arc<dyn BlobStore>, web: &WebConfig) -> Vec<Arc<dyn Engine>> {
    let _ = (db, blobs, web);
    vec![]
}

/// Every migration: the spine's first, then each engine's.
pub fn migrations() -> Vec<&'static EngineMigrations> {
    vec![ydx_accounts::migrations()]
}
