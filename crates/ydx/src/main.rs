//! The `ydx` command: runs the server (`serve`, `demo`) and the operator's tasks (migrate,
//! users, backup and restore, config check, region import).

mod config;
mod engines;
mod harvest_client;
mod ops;
mod seed;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use ydx_accounts::{Accounts, PasswordCost, Role, UserKind};
use ydx_storage::{Db, FsBlobStore};
use ydx_web::{AppState, WebConfig};

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "ydx",
    version,
    about = "Digital public services for Yamaguchi Prefecture and its 19 municipalities"
)]
struct Cli {
    /// Configuration file (TOML). Also read from YDX_CONFIG.
    #[arg(long, global = true, env = "YDX_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates a data folder with sample data (if missing) and serves it on 127.0.0.1:8080.
    Demo {
        /// The data folder for the demo.
        #[arg(long, default_value = "ydx-demo")]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Runs the server with the configuration.
    Serve,
    /// Applies database migrations and exits.
    Migrate,
    /// Manages accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manages API tokens for machine clients (CKAN tools, harvesters).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Writes a consistent backup (database and uploaded files) to FILE (a tar archive) while
    /// the server may keep running.
    Backup { file: PathBuf },
    /// Restores a backup made by `ydx backup` into the (empty or --force) data folder.
    Restore {
        file: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Checks the configuration and prints it as in force (passwords hidden).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Region data.
    Region {
        #[command(subcommand)]
        command: RegionCommand,
    },
    /// Harvests other CKAN catalogs: add, run, list, pause, resume, edit and delete sources.
    Harvest {
        #[command(subcommand)]
        command: harvest_client::HarvestCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a person; with --org and --role, a member of that organisation.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The password; read from YDX_NEW_PASSWORD if not given, so it stays out of the
        /// shell history.
        #[arg(long, env = "YDX_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        org: Option<String>,
        /// admin, staff or viewer
        #[arg(long, default_value = "staff")]
        role: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues a token for ORG on behalf of a member (an admin of ORG, or a prefecture admin)
    /// and prints the secret once.
    Create {
        #[arg(long)]
        org: String,
        /// The member the token acts for.
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    Check,
}

#[derive(Subcommand)]
enum RegionCommand {
    /// Loads full-resolution N03 boundaries (GeoJSON) for this deployment.
    Import { file: PathBuf },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn env_vars() -> Vec<(String, String)> {
    std::env::vars().collect()
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut config = Config::load(cli.config.as_deref(), env_vars())?;
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            print!("{}", config.to_redacted_toml());
            println!("# configuration OK");
            Ok(())
        }
        Command::Demo { data, listen } => {
            config.storage.data_dir = data;
            config.server.listen = listen.clone();
            config.server.base_url = format!("http://{listen}");
            config.database.url = String::new();
            init_logging(&config);
            let fresh = !config.storage.data_dir.join("ydx.db").exists();
            let state = start(&config, true).await?;
            if fresh || seed::is_empty(&state).await? {
                seed::load(&state).await?;
            }
            println!();
            println!("ydx demo — sample data (サンプルデータ), not real records");
            println!("  data folder: {}", config.storage.data_dir.display());
            println!("  open: http://{listen}/");
            println!("  demo accounts (email / password):");
            for a in seed::DEMO_ACCOUNTS {
                println!("    {:<21} {} / {}", a.label, a.email, a.password);
            }
            serve(&config, state, started).await
        }
        Command::Serve => {
            init_logging(&config);
            let state = start(&config, false).await?;
            serve(&config, state, started).await
        }
        Command::Migrate => {
            init_logging(&config);
            let applied = open(&config, false).await?.applied;
            println!("{} migration(s) applied", applied.len());
            for m in applied {
                println!("  {m}");
            }
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    password,
                    org,
                    role,
                },
        } => {
            let db = open(&config, false).await?.db;
            let accounts = Accounts::new(db, PasswordCost::Standard)?;
            let kind = if org.is_some() {
                UserKind::Staff
            } else {
                UserKind::Resident
            };
            let user = accounts.create_user(&email, &name, &password, kind).await?;
            if let Some(org) = org {
                let role = Role::parse(&role).with_context(|| {
                    format!("unknown role {role:?}: use admin, staff or viewer")
                })?;
                accounts.set_membership(&user.id, &org, role).await?;
                println!("added {} as {} of {org}", user.email, role.as_str());
            } else {
                println!("added {}", user.email);
            }
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { org, email, name },
        } => {
            let db = open(&config, false).await?.db;
            let accounts = Accounts::new(db, PasswordCost::Standard)?;
            let user = accounts
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no account {email}"))?;
            let memberships = accounts.memberships(&user.id).await?;
            let principal = ydx_accounts::Principal {
                user,
                memberships,
                via: ydx_accounts::Via::Session,
            };
            if !principal.can_admin(&org) {
                anyhow::bail!(
                    "{email} is not an admin of {org}; a token can only be issued by its admins"
                );
            }
            let (_, secret) = accounts.create_token(&org, &principal, &name).await?;
            println!("{secret}");
            Ok(())
        }
        Command::Backup { file } => {
            let db = connect(&config).await?;
            ops::backup(&config, &db, &file).await?;
            println!("backup written to {}", file.display());
            Ok(())
        }
        Command::Restore { file, force } => {
            ops::restore(&config, &file, force)?;
            println!(
                "restored {} into {}",
                file.display(),
                config.storage.data_dir.display()
            );
            Ok(())
        }
        Command::Harvest { command } => {
            let opened = open(&config, false).await?;
            harvest_client::cli(opened.db, opened.blobs, command).await
        }
        Command::Region {
            command: RegionCommand::Import { file },
        } => {
            let dest = ops::import_region(&config, &file)?;
            println!("boundaries imported to {}", dest.display());
            println!(
                "set [region] boundaries_file = {:?} (or YDX_REGION_BOUNDARIES_FILE) and restart",
                dest.display().to_string()
            );
            Ok(())
        }
    }
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{},sqlx=warn", config.log.level)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if config.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn connect(config: &Config) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.storage.data_dir).with_context(|| {
        format!(
            "cannot create data folder {}",
            config.storage.data_dir.display()
        )
    })?;
    let url = config.database_url();
    Db::connect(&url, config.database.max_connections)
        .await
        .with_context(|| format!("cannot open database {}", ydx_storage::redact_url(&url)))
}

/// The database with every migration applied, the blob store, and the engines on them: what
/// the server and every command that touches data start from.
struct Opened {
    db: Db,
    blobs: Arc<dyn ydx_storage::BlobStore>,
    web: WebConfig,
    engines: Vec<Arc<dyn ydx_web::Engine>>,
    applied: Vec<String>,
}

async fn open(config: &Config, demo: bool) -> anyhow::Result<Opened> {
    let db = connect(config).await?;
    let blobs: Arc<dyn ydx_storage::BlobStore> = Arc::new(FsBlobStore::open(config.blob_dir())?);
    let web = WebConfig {
        base_url: config.server.base_url.trim_end_matches('/').to_string(),
        tile_url: config.map.tile_url.clone(),
        tile_attribution_html: config.map.tile_attribution.clone(),
        snap_distance_m: config.map.snap_distance_m,
        secure_cookies: config.server.secure_cookies,
        max_upload_bytes: (config.storage.max_upload_mb as usize).saturating_mul(1024 * 1024),
        demo,
    };
    let engines = engines::engines(&db, &blobs, &web);
    let applied = db.migrate(&engines::migrations(&engines)).await?;
    Ok(Opened {
        db,
        blobs,
        web,
        engines,
        applied,
    })
}

/// Opens everything the server needs and applies pending migrations.
async fn start(config: &Config, demo: bool) -> anyhow::Result<AppState> {
    let Opened {
        db,
        blobs,
        web,
        engines,
        ..
    } = open(config, demo).await?;
    // Boundaries: the configured file, else one imported into the data folder, else the
    // bundled simplified ones.
    let imported = config
        .storage
        .data_dir
        .join("region")
        .join("boundaries.geojson");
    let boundaries = if !config.region.boundaries_file.is_empty() {
        Some(PathBuf::from(&config.region.boundaries_file))
    } else if imported.exists() {
        Some(imported)
    } else {
        None
    };
    let region: &'static ydx_region::Region = match boundaries {
        None => ydx_region::Region::bundled()?,
        Some(path) => {
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let region = ydx_region::Region::from_n03_geojson(&bytes)
                .with_context(|| format!("{} is not usable N03 boundary data", path.display()))?;
            tracing::info!(file = %path.display(), "using imported boundaries");
            Box::leak(Box::new(region))
        }
    };
    ydx_text::search::init()?;
    let accounts = Accounts::new(db.clone(), PasswordCost::Standard)?;
    for engine in &engines {
        engine
            .warm()
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", engine.id()))?;
    }
    Ok(AppState::new(db, accounts, region, blobs, web, engines))
}

async fn serve(config: &Config, state: AppState, started: Instant) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let db = state.db.clone();
    harvest_client::spawn_scheduler(db.clone(), state.blobs.clone());
    let engines = state.engines.clone();
    for engine in &engines {
        engine.start_background();
    }
    let app = ydx_web::app(state);
    tracing::info!(
        listen = %config.server.listen,
        ready_ms = started.elapsed().as_millis() as u64,
        "ydx ready"
    );
    println!(
        "ready in {} ms: http://{}/",
        started.elapsed().as_millis(),
        config.server.listen
    );
    let grace = std::time::Duration::from_secs(config.server.shutdown_grace_secs);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!(
                grace_secs = grace.as_secs(),
                "shutting down: finishing requests in flight"
            );
            // A hard stop if requests do not finish within the grace period.
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                tracing::warn!("grace period over; exiting");
                std::process::exit(0);
            });
        })
        .await?;
    for engine in &engines {
        engine.stop().await;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
