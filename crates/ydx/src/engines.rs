//! The list of engines this binary runs. Adding an engine is one line in each function here
//! (and its crate).

use std::sync::Arc;

use ydx_storage::{BlobStore, Db, EngineMigrations};
use ydx_web::{Engine, WebConfig};

pub fn engines(db: &Db, blobs: &Arc<dyn BlobStore>, web: &WebConfig) -> Vec<Arc<dyn Engine>> {
    let catalog = ydx_catalog::Catalog::new(
        db.clone(),
        blobs.clone(),
        ydx_catalog::CatalogLimits {
            max_upload_bytes: web.max_upload_bytes as u64,
            ..Default::default()
        },
    );
    vec![Arc::new(ydx_web::catalog::CatalogEngine::new(catalog))]
}

/// Every migration: the spine's first, then each engine's (an engine's tables may refer to
/// the organisations table).
pub fn migrations() -> Vec<&'static EngineMigrations> {
    vec![ydx_accounts::migrations(), ydx_catalog::migrations()]
}
