//! The list of engines this binary runs. Adding an engine is one line here (and its crate);
//! its migrations, routes and sample data come through its `Engine` implementation.

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

/// Every migration: the spine's first, then each engine's as it declares them (an engine's
/// tables may refer to the organisations table).
pub fn migrations(engines: &[Arc<dyn Engine>]) -> Vec<&'static EngineMigrations> {
    let mut all = vec![ydx_accounts::migrations()];
    all.extend(engines.iter().flat_map(|e| e.migrations()));
    all
}
