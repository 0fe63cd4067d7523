//! Harvesting other CKAN catalogs from the binary: the HTTP client behind
//! [`ydx_catalog::harvest::CkanClient`], the scheduler the server runs, and `ydx harvest …`
//! (add, run, list, pause, resume, edit, delete).
//!
//! The client is `ureq` (blocking, rustls with the webpki roots, gzip) run in
//! `spawn_blocking`: a handful of requests per run does not need an async HTTP stack.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use serde_json::Value;
use ydx_accounts::Principal;
use ydx_catalog::harvest::{
    self, CkanClient, HarvestReport, HarvestSource, HarvestSourceChanges, HarvestedDatasets,
    NewHarvestSource, PageRequest, SearchPage,
};
use ydx_catalog::{Catalog, CatalogError, CatalogLimits};
use ydx_storage::{BlobStore, Db};

/// Largest `package_search` answer read (a page of 100 datasets is well under 1 MB).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// Tries per page when the source fails transiently (network, 429, 5xx).
const ATTEMPTS: u32 = 3;

/// A CKAN site's Action API over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpCkan {
    agent: ureq::Agent,
    /// `{base}/api/3/action/package_search`.
    search_url: String,
}

impl HttpCkan {
    /// A client for the CKAN site at `base_url` (e.g. `https://opendata.example.lg.jp`).
    pub fn new(base_url: &str) -> HttpCkan {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .user_agent(concat!("ydx-harvester/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpCkan {
            agent: ureq::Agent::new_with_config(config),
            search_url: format!(
                "{}/api/3/action/package_search",
                base_url.trim_end_matches('/')
            ),
        }
    }

    /// One `package_search` request, retried on transient failures.
    fn search_blocking(&self, page: &PageRequest) -> Result<SearchPage, String> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(Duration::from_secs(u64::from(attempt) * 2));
            }
            match self.try_search(page) {
                Ok(p) => return Ok(p),
                Err((message, transient)) => {
                    last = message;
                    if !transient {
                        break;
                    }
                }
            }
        }
        Err(last)
    }

    /// The error is (message, worth retrying).
    fn try_search(&self, page: &PageRequest) -> Result<SearchPage, (String, bool)> {
        let mut req = self
            .agent
            .get(&self.search_url)
            .query("start", page.start.to_string())
            .query("rows", page.rows.to_string())
            .query("sort", page.sort)
            .header("Accept", "application/json");
        if let Some(fq) = &page.fq {
            req = req.query("fq", fq);
        }
        let mut resp = req
            .call()
            .map_err(|e| (format!("{}: {e}", self.search_url), true))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| {
                (
                    format!("{}: reading the answer: {e}", self.search_url),
                    true,
                )
            })?;
        let transient = status == 429 || status >= 500;
        let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
            (
                format!("{}: HTTP {status}, not CKAN's JSON: {e}", self.search_url),
                transient,
            )
        })?;
        if status != 200 || body.get("success") != Some(&Value::Bool(true)) {
            let detail = body
                .get("error")
                .map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| e.to_string())
                })
                .unwrap_or_default();
            return Err((
                format!("{}: HTTP {status} {detail}", self.search_url),
                transient,
            ));
        }
        let result = &body["result"];
        let count = result
            .get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| (format!("{}: no result.count", self.search_url), false))?;
        let results = result
            .get("results")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| (format!("{}: no result.results", self.search_url), false))?;
        Ok(SearchPage {
            count: usize::try_from(count).unwrap_or(usize::MAX),
            results,
        })
    }
}

impl CkanClient for HttpCkan {
    fn package_search(
        &self,
        page: &PageRequest,
    ) -> impl Future<Output = Result<SearchPage, String>> + Send {
        let client = self.clone();
        let page = page.clone();
        async move {
            tokio::task::spawn_blocking(move || client.search_blocking(&page))
                .await
                .map_err(|e| format!("harvest request task failed: {e}"))?
        }
    }
}

/// Runs every due source once (sources run one after the other).
pub async fn run_due(catalog: &Catalog) {
    let due = match catalog.due_harvest_sources().await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "harvest: cannot read the sources");
            return;
        }
    };
    for source in due {
        let client = HttpCkan::new(&source.url);
        match harvest::run(catalog, &client, &source.id).await {
            Ok(r) if r.error.is_some() => tracing::warn!(
                source = %source.id,
                error = r.error.as_deref().unwrap_or(""),
                "harvest run failed"
            ),
            Ok(_) => {}
            Err(CatalogError::Forbidden(m)) => tracing::info!(source = %source.id, "harvest: {m}"),
            Err(e) => tracing::warn!(source = %source.id, error = %e, "harvest run failed"),
        }
    }
}

/// The server's harvest scheduler: every minute, runs the enabled sources whose schedule is
/// due. Lives as long as the runtime.
pub fn spawn_scheduler(db: Db, blobs: Arc<dyn BlobStore>) -> tokio::task::JoinHandle<()> {
    let catalog = Catalog::new(db, blobs, CatalogLimits::default());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            run_due(&catalog).await;
        }
    })
}

#[derive(Subcommand)]
pub enum HarvestCommand {
    /// Adds a CKAN catalog to harvest into an organisation on a schedule.
    Add {
        /// The source's id (2-40 of a-z0-9-_); also the prefix of renamed datasets.
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// The CKAN site's base URL (its API is at URL/api/3/action/).
        #[arg(long)]
        url: String,
        /// The organisation here that owns the harvested datasets.
        #[arg(long)]
        org: String,
        #[arg(long, default_value_t = 1440)]
        every_minutes: i64,
        /// A package_search filter on the source, e.g. organization:hagi-city.
        #[arg(long)]
        fq: Option<String>,
        /// The administrator of ORG the harvester writes as (default: the first admin of
        /// ORG, else a prefecture admin).
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: Option<String>,
        /// Add it without scheduling it (`ydx harvest run` still runs it).
        #[arg(long)]
        disabled: bool,
    },
    /// Harvests a source now and prints the report.
    Run {
        id: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pauses a source's schedule (`ydx harvest run` and "run now" on its page still run it).
    Pause {
        id: String,
        /// The administrator of the source's organisation this is recorded under (default:
        /// the first admin of it, else a prefecture admin).
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: Option<String>,
    },
    /// Resumes a paused source's schedule.
    Resume {
        id: String,
        /// As for `pause`.
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: Option<String>,
    },
    /// Changes a source's settings: those given (its id and organisation cannot change).
    #[command(group(
        clap::ArgGroup::new("changes")
            .required(true)
            .multiple(true)
            .args(["name", "url", "filter", "no_filter", "every"])
    ))]
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// The CKAN site's base URL.
        #[arg(long)]
        url: Option<String>,
        /// A package_search filter on the source, e.g. organization:hagi-city.
        #[arg(long, alias = "fq", conflicts_with = "no_filter")]
        filter: Option<String>,
        /// Harvest everything the source lists.
        #[arg(long)]
        no_filter: bool,
        /// Run every this many minutes.
        #[arg(long, alias = "every-minutes", value_name = "MINUTES")]
        every: Option<i64>,
        /// As for `pause`.
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: Option<String>,
    },
    /// Deletes a source with its run history, keeping or deleting the datasets it harvested
    /// (refused while it runs).
    #[command(group(
        clap::ArgGroup::new("datasets")
            .required(true)
            .args(["keep_datasets", "remove_datasets"])
    ))]
    Delete {
        id: String,
        /// Keep its datasets as ordinary datasets of the organisation (no longer updated).
        #[arg(long)]
        keep_datasets: bool,
        /// Delete its datasets (an administrator can restore them).
        #[arg(long)]
        remove_datasets: bool,
        /// As for `pause`.
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: Option<String>,
    },
    /// Lists the sources and their last runs.
    List,
}

pub async fn cli(db: Db, blobs: Arc<dyn BlobStore>, command: HarvestCommand) -> anyhow::Result<()> {
    let catalog = Catalog::new(db, blobs, CatalogLimits::default());
    match command {
        HarvestCommand::Add {
            id,
            name,
            url,
            org,
            every_minutes,
            fq,
            as_email,
            disabled,
        } => {
            let admin = catalog.harvest_admin(&org, as_email.as_deref()).await?;
            let s = catalog
                .create_harvest_source(
                    &admin,
                    NewHarvestSource {
                        id,
                        name,
                        url,
                        target_org: org,
                        filter: fq,
                        schedule_minutes: every_minutes,
                        enabled: !disabled,
                    },
                )
                .await?;
            println!(
                "added harvest source {} ({}) into {}, every {} min{}, acting as {}",
                s.id,
                s.url,
                s.target_org,
                s.schedule_minutes,
                if s.enabled { "" } else { " (disabled)" },
                admin.user.email
            );
            Ok(())
        }
        HarvestCommand::Run { id, json } => {
            let source = catalog.harvest_source(&id).await?;
            let report = harvest::run(&catalog, &HttpCkan::new(&source.url), &id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", format_report(&report));
            }
            match report.error {
                Some(e) => anyhow::bail!("harvest of {id} stopped: {e}"),
                None => Ok(()),
            }
        }
        HarvestCommand::Pause { id, as_email } => {
            set_enabled(&catalog, &id, as_email.as_deref(), false).await
        }
        HarvestCommand::Resume { id, as_email } => {
            set_enabled(&catalog, &id, as_email.as_deref(), true).await
        }
        HarvestCommand::Edit {
            id,
            name,
            url,
            filter,
            no_filter,
            every,
            as_email,
        } => {
            let changes = HarvestSourceChanges {
                name,
                url,
                filter: if no_filter {
                    Some(None)
                } else {
                    filter.map(Some)
                },
                schedule_minutes: every,
            };
            println!(
                "{}",
                edit_source(&catalog, &id, as_email.as_deref(), changes).await?
            );
            Ok(())
        }
        HarvestCommand::Delete {
            id,
            keep_datasets,
            remove_datasets,
            as_email,
        } => {
            let datasets = match (keep_datasets, remove_datasets) {
                (true, false) => HarvestedDatasets::Keep,
                (false, true) => HarvestedDatasets::Remove,
                _ => anyhow::bail!("give one of --keep-datasets and --remove-datasets"),
            };
            println!(
                "{}",
                delete_source(&catalog, &id, as_email.as_deref(), datasets).await?
            );
            Ok(())
        }
        HarvestCommand::List => {
            for st in catalog
                .harvest_source_statuses(None)
                .await
                .context("reading the sources")?
            {
                let s = st.source;
                let mut state = String::new();
                if !s.enabled {
                    state.push_str(" (paused)");
                }
                if st.running {
                    state.push_str(" (running)");
                }
                if let Some(at) = &st.run_requested {
                    state.push_str(&format!(" (run requested {at})"));
                }
                println!(
                    "{}\t{}\t{} -> {}\tevery {} min{}{}\t{}",
                    s.id,
                    s.name,
                    s.url,
                    s.target_org,
                    s.schedule_minutes,
                    state,
                    s.filter.map(|f| format!("\tfq={f}")).unwrap_or_default(),
                    match st.last_run {
                        Some(r) if r.finished.is_none() => format!("run started {}", r.started),
                        Some(r) => format!("last run {}: {}", r.started, r.report.summary()),
                        None => "never run".into(),
                    }
                );
            }
            Ok(())
        }
    }
}

/// The source `id` and the administrator of its organisation a command acts as: the account
/// with `as_email`, else the first admin of the organisation, else a prefecture admin.
async fn source_admin(
    catalog: &Catalog,
    id: &str,
    as_email: Option<&str>,
) -> anyhow::Result<(HarvestSource, Principal)> {
    let source = catalog.harvest_source(id).await?;
    let admin = catalog.harvest_admin(&source.target_org, as_email).await?;
    Ok((source, admin))
}

/// `ydx harvest pause|resume`: as an administrator of the source's organisation, audited.
async fn set_enabled(
    catalog: &Catalog,
    id: &str,
    as_email: Option<&str>,
    enabled: bool,
) -> anyhow::Result<()> {
    let (_, admin) = source_admin(catalog, id, as_email).await?;
    let s = catalog
        .set_harvest_source_enabled(&admin, id, enabled)
        .await?;
    println!(
        "harvest source {} {}, recorded as {}",
        s.id,
        if s.enabled {
            format!("resumed: runs every {} min", s.schedule_minutes)
        } else {
            "paused".to_string()
        },
        admin.user.email
    );
    Ok(())
}

/// `ydx harvest edit`: as an administrator of the source's organisation, audited. Returns
/// what changed, old → new, for the terminal.
pub async fn edit_source(
    catalog: &Catalog,
    id: &str,
    as_email: Option<&str>,
    changes: HarvestSourceChanges,
) -> anyhow::Result<String> {
    let (before, admin) = source_admin(catalog, id, as_email).await?;
    let after = catalog.update_harvest_source(&admin, id, changes).await?;
    let shown = |s: &HarvestSource| {
        [
            ("name", s.name.clone()),
            ("url", s.url.clone()),
            (
                "filter",
                s.filter.clone().unwrap_or_else(|| "(none)".into()),
            ),
            ("every", format!("{} min", s.schedule_minutes)),
        ]
    };
    let changed: Vec<String> = shown(&before)
        .into_iter()
        .zip(shown(&after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| format!("{field}: {old} → {new}"))
        .collect();
    Ok(if changed.is_empty() {
        format!("harvest source {id}: nothing changed")
    } else {
        format!(
            "harvest source {id} changed ({}), recorded as {}",
            changed.join("; "),
            admin.user.email
        )
    })
}

/// `ydx harvest delete`: as an administrator of the source's organisation, audited. Returns
/// what was done, for the terminal.
pub async fn delete_source(
    catalog: &Catalog,
    id: &str,
    as_email: Option<&str>,
    datasets: HarvestedDatasets,
) -> anyhow::Result<String> {
    let (source, admin) = source_admin(catalog, id, as_email).await?;
    let done = catalog.delete_harvest_source(&admin, id, datasets).await?;
    let what = match datasets {
        HarvestedDatasets::Keep => format!(
            "kept as ordinary datasets of {}, no longer harvested",
            source.target_org
        ),
        HarvestedDatasets::Remove => "deleted (an administrator can restore them)".to_string(),
    };
    Ok(format!(
        "deleted harvest source {id} ({}) and the records of its {} run(s); its {} dataset(s) {what}; recorded as {}",
        source.name, done.runs_deleted, done.dataset_count, admin.user.email
    ))
}

/// The report as lines for a terminal.
pub fn format_report(r: &HarvestReport) -> String {
    let mut out = format!(
        "harvest {} ({} → {}): {} listed; {}\n",
        r.source_id,
        r.started,
        r.finished,
        r.remote_count,
        r.summary()
    );
    for (label, items) in [
        ("added", &r.added),
        ("updated", &r.updated),
        ("removed", &r.removed),
        ("failed", &r.failed),
    ] {
        for i in items {
            out.push_str(&format!("  {label:<8} {}", i.remote_name));
            if !i.local_name.is_empty() && i.local_name != i.remote_name {
                out.push_str(&format!(" → {}", i.local_name));
            }
            if !i.message.is_empty() {
                out.push_str(&format!(": {}", i.message));
            }
            out.push('\n');
        }
    }
    for n in &r.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    if let Some(e) = &r.error {
        out.push_str(&format!("  error: {e}\n"));
    }
    out
}
