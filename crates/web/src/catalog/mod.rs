//! The catalog engine on the web: CKAN's Action API, DCAT documents, the data API and file
//! downloads (`api.rs`), and the catalog's pages for residents, data users and publishers
//! (`pages.rs`, templates under `templates/catalog/`).
//!
//! Handlers reach the engine through `Extension<Catalog>`, added to this engine's routes
//! only, so the shell's state knows nothing of the catalog.

pub mod api;
pub mod pages;
pub mod texts;

use axum::Extension;
use utoipa_axum::router::OpenApiRouter;
use ydx_catalog::{Catalog, CatalogError};
use ydx_storage::EngineMigrations;

use crate::AppState;
use crate::engine::{BoxFuture, Engine, NavEntry};
use crate::error::{ApiError, PageError};
use crate::i18n::Lang;

/// How often counted views and downloads are written to the database.
const USAGE_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether a request counts as use of a dataset: not from a crawler that says what it is
/// (search engines name themselves in User-Agent). Nothing about the visitor is kept.
pub(crate) fn counts_as_use(headers: &axum::http::HeaderMap) -> bool {
    let ua = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    !["bot", "spider", "crawl", "slurp"]
        .iter()
        .any(|w| ua.contains(w))
}

/// How long search change-log rows are kept.
const CHANGE_LOG_KEEP: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

pub struct CatalogEngine {
    catalog: Catalog,
}

impl CatalogEngine {
    pub fn new(catalog: Catalog) -> CatalogEngine {
        CatalogEngine { catalog }
    }
}

impl Engine for CatalogEngine {
    fn id(&self) -> &'static str {
        "catalog"
    }

    fn migrations(&self) -> Vec<&'static EngineMigrations> {
        vec![ydx_catalog::migrations()]
    }

    fn router(&self) -> OpenApiRouter<AppState> {
        api::router()
            .merge(OpenApiRouter::from(pages::router()))
            .layer(Extension(self.catalog.clone()))
    }

    fn nav(&self) -> Vec<NavEntry> {
        vec![NavEntry {
            path: "/catalog",
            label_ja: "オープンデータ",
            label_en: "Open data",
            label_easy: "オープンデータ",
            admins_only: false,
        }]
    }

    fn staff_nav(&self) -> Vec<NavEntry> {
        vec![
            NavEntry {
                path: "/staff/catalog",
                label_ja: "データセットの管理",
                label_en: "Manage datasets",
                label_easy: "データセットの かんり",
                admins_only: false,
            },
            NavEntry {
                path: "/staff/catalog/harvest",
                label_ja: "他のカタログからの取り込み（管理者）",
                label_en: "Harvest from other catalogs (administrators)",
                label_easy: "ほかの カタログから とりこむ（かんりしゃ）",
                admins_only: true,
            },
        ]
    }

    fn warm<'a>(&'a self) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.catalog
                .warm_search_index()
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn start_background(&self) {
        let catalog = self.catalog.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(USAGE_FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u64 = 0;
            loop {
                tick.tick().await;
                if let Err(e) = catalog.flush_usage().await {
                    tracing::warn!(error = %e, "could not write usage counts; keeping them for the next try");
                }
                // Hourly: the search change log keeps a week (a process idle for longer
                // rebuilds its index on its next search).
                if ticks.is_multiple_of(60) {
                    match catalog.prune_change_log(CHANGE_LOG_KEEP).await {
                        Ok(n) if n > 0 => tracing::info!(rows = n, "pruned the search change log"),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "could not prune the search change log")
                        }
                    }
                }
                ticks += 1;
            }
        });
    }

    fn stop<'a>(&'a self) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = self.catalog.flush_usage().await {
                tracing::warn!(error = %e, "usage counts not written at shutdown");
            }
        })
    }

    fn load_sample<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            // The sample datasets are published by the prefecture admin of the demo.
            let admin = sample_admin(state).await?;
            let report = ydx_catalog::sample::populate(&self.catalog, &admin)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("{report:?}"))
        })
    }
}

/// The principal that publishes sample data: the first admin of the prefecture.
async fn sample_admin(state: &AppState) -> Result<ydx_accounts::Principal, String> {
    let email = "admin@pref.yamaguchi.example";
    let user = state
        .accounts
        .user_by_email(email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("demo account {email} missing"))?;
    let memberships = state
        .accounts
        .memberships(&user.id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ydx_accounts::Principal {
        user,
        memberships,
        via: ydx_accounts::Via::Session,
    })
}

/// A catalog error for a JSON API (not CKAN's envelope; see `api.rs` for that).
pub fn api_error(e: CatalogError) -> ApiError {
    match e {
        CatalogError::NotFound { .. } => ApiError::NotFound,
        CatalogError::Forbidden(_) => ApiError::Forbidden,
        CatalogError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
        CatalogError::Validation(_) | CatalogError::BadFile { .. } | CatalogError::BadQuery(_) => {
            ApiError::BadRequest(e.to_string())
        }
        CatalogError::NotTabular(_) => ApiError::BadRequest(e.to_string()),
        CatalogError::Busy(m) => ApiError::Conflict(m),
        other => ApiError::internal(other),
    }
}

/// A catalog error for a page, in the reader's language.
pub fn page_error(lang: Lang, e: CatalogError) -> PageError {
    match e {
        CatalogError::NotFound { .. } => PageError::not_found(lang),
        CatalogError::Forbidden(_) => PageError::forbidden(lang),
        CatalogError::Validation(_)
        | CatalogError::BadFile { .. }
        | CatalogError::BadQuery(_)
        | CatalogError::TooLarge { .. }
        | CatalogError::NotTabular(_) => PageError::bad_request(lang, e.to_string()),
        CatalogError::Busy(_) => PageError {
            message: Some(e.to_string()),
            ..PageError::new(axum::http::StatusCode::CONFLICT, lang)
        },
        other => PageError::internal(lang, other),
    }
}
