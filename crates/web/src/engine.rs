//! How an engine plugs into ydx: one implementation of [`Engine`], listed once in the binary.
//! The spine then mounts its routes, applies its migrations, documents its JSON APIs in the
//! OpenAPI document, shows its navigation entry and loads its sample data for `ydx demo`.

use std::future::Future;
use std::pin::Pin;

use utoipa_axum::router::OpenApiRouter;
use ydx_storage::EngineMigrations;

use crate::AppState;
use crate::i18n::Lang;

/// A link in the site's navigation.
#[derive(Debug, Clone)]
pub struct NavEntry {
    pub path: &'static str,
    pub label_ja: &'static str,
    pub label_en: &'static str,
    pub label_easy: &'static str,
    /// Shown only to those who administer an organisation (the page refuses everyone else).
    pub admins_only: bool,
}

impl NavEntry {
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.label_ja,
            Lang::En => self.label_en,
            Lang::EasyJa => self.label_easy,
        }
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait Engine: Send + Sync + 'static {
    /// A short name: `catalog`, `layers`…
    fn id(&self) -> &'static str;

    /// The engine's tables, per backend.
    fn migrations(&self) -> Vec<&'static EngineMigrations>;

    /// Routes: pages and JSON APIs. JSON APIs registered with `utoipa_axum::routes!` appear
    /// in `/api/openapi.json` without further work.
    fn router(&self) -> OpenApiRouter<AppState>;

    /// Entries in the public navigation.
    fn nav(&self) -> Vec<NavEntry>;

    /// Entries in the staff area's menu.
    fn staff_nav(&self) -> Vec<NavEntry> {
        Vec::new()
    }

    /// Prepares in-memory state (e.g. search indexes) at start-up, so the first request does
    /// not pay for it.
    fn warm<'a>(&'a self) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    /// Starts the engine's periodic work (flushing counters, say) on the server's runtime.
    /// Called once by the server after start-up, not by one-shot commands.
    fn start_background(&self) {}

    /// Finishes what must not be lost at shutdown (pending counters, say). Called after the
    /// last request, before the database closes.
    fn stop<'a>(&'a self) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// Loads the engine's sample data (for `ydx demo`); called once on an empty database,
    /// after the region's organisations and the demo accounts exist.
    fn load_sample<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, Result<String, String>>;
}
