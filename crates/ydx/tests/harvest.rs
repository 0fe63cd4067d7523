//! Harvest end to end: a real ydx web app serves the sample catalog over HTTP on a loopback
//! port (the source), and the harvester, with the real HTTP client, imports it into a second
//! database; re-runs change nothing; a change, a deletion and a rename on the source are
//! followed.

#![allow(clippy::unwrap_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../src/harvest_client.rs"]
mod harvest_client;

use std::sync::Arc;

use harvest_client::HttpCkan;
use ydx_accounts::{Accounts, OrgKind, Organization, PasswordCost, Principal, Role, UserKind, Via};
use ydx_catalog::harvest::{self, HarvestedDatasets, NewHarvestSource};
use ydx_catalog::{Catalog, CatalogLimits, DatasetFields, DatasetPatch, sample};
use ydx_storage::FsBlobStore;
use ydx_storage::testing::TestDb;

struct Side {
    catalog: Catalog,
    accounts: Accounts,
    admin: Principal,
    db: TestDb,
    blobs: Arc<FsBlobStore>,
    _dir: tempfile::TempDir,
}

/// A migrated SQLite database with the sample organisations, the prefecture, and a
/// prefecture admin.
async fn side(admin_email: &str) -> Side {
    let db = ydx_storage::testing::sqlite(&[ydx_accounts::migrations(), ydx_catalog::migrations()])
        .await
        .unwrap();
    let accounts = Accounts::new(db.db.clone(), PasswordCost::TestOnly).unwrap();
    let mut orgs = sample::required_organizations();
    orgs.push(Organization {
        id: "yamaguchi-pref".into(),
        kind: OrgKind::Prefecture,
        name_ja: "山口県".into(),
        name_en: "Yamaguchi Prefecture".into(),
        municipality_code: None,
        description: String::new(),
        created_at: String::new(),
    });
    for o in &orgs {
        accounts.create_org(o).await.unwrap();
    }
    let user = accounts
        .create_user(admin_email, "管理者", "test password 1", UserKind::Staff)
        .await
        .unwrap();
    accounts
        .set_membership(&user.id, "yamaguchi-pref", Role::Admin)
        .await
        .unwrap();
    let admin = Principal {
        memberships: accounts.memberships(&user.id).await.unwrap(),
        user,
        via: Via::Session,
    };
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(FsBlobStore::open(dir.path()).unwrap());
    let catalog = Catalog::new(db.db.clone(), blobs.clone(), CatalogLimits::default());
    Side {
        catalog,
        accounts,
        admin,
        db,
        blobs,
        _dir: dir,
    }
}

/// Adds resident@example.jp, who administers nothing.
async fn add_resident(side: &Side) {
    side.accounts
        .create_user(
            "resident@example.jp",
            "住民",
            "test password 1",
            UserKind::Resident,
        )
        .await
        .unwrap();
}

/// Serves `side` as a ydx web app on 127.0.0.1 (an ephemeral port); returns its base URL.
async fn serve(side: &Side) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = ydx_web::AppState::new(
        side.db.db.clone(),
        side.accounts.clone(),
        ydx_region::Region::bundled().unwrap(),
        side.blobs.clone(),
        ydx_web::WebConfig {
            base_url: base.clone(),
            ..ydx_web::WebConfig::default()
        },
        vec![Arc::new(ydx_web::catalog::CatalogEngine::new(
            side.catalog.clone(),
        ))],
    );
    let app = ydx_web::app(state);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    base
}

async fn get(url: &str) -> (u16, Vec<u8>) {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let mut r = ureq::get(&url).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harvest_a_second_ydx_over_http() {
    // The source: a ydx with the sample catalog, served over HTTP.
    let source = side("admin@source.example.jp").await;
    let populated = sample::populate(&source.catalog, &source.admin)
        .await
        .unwrap();
    let base = serve(&source).await;
    let names = source.catalog.package_list(None, 0).await.unwrap();
    assert!(names.len() >= 10, "sample data: {names:?}");
    assert_eq!(names.len(), populated.datasets);

    // The target: another database; one local dataset already uses a sample name.
    let target = side("admin@target.example.jp").await;
    let taken = names[0].clone();
    target
        .catalog
        .create_dataset(
            &target.admin,
            DatasetFields {
                name: taken.clone(),
                title: "ローカルのデータセット".into(),
                owner_org: "hagi-city".into(),
                ..DatasetFields::default()
            },
        )
        .await
        .unwrap();
    target
        .catalog
        .create_harvest_source(
            &target.admin,
            NewHarvestSource {
                id: "src".into(),
                name: "もう一つの ydx".into(),
                url: base.clone(),
                target_org: "hagi-city".into(),
                filter: None,
                schedule_minutes: 60,
                enabled: true,
            },
        )
        .await
        .unwrap();
    let client = HttpCkan::new(&base);
    let t = &target.catalog;

    // First run: every public dataset of the source is added.
    let r1 = harvest::run(t, &client, "src").await.unwrap();
    println!("{}", harvest_client::format_report(&r1));
    assert_eq!(r1.error, None);
    assert_eq!(r1.remote_count, names.len());
    assert_eq!(r1.added.len(), names.len(), "{}", r1.summary());
    assert!(r1.failed.is_empty() && r1.updated.is_empty() && r1.removed.is_empty());
    let renamed = r1.added.iter().find(|i| i.remote_name == taken).unwrap();
    assert_eq!(renamed.local_name, format!("src-{taken}"));
    assert_eq!(
        t.show(None, &taken).await.unwrap().title,
        "ローカルのデータセット"
    );

    // Metadata and resources came over; uploads became links to the source's downloads.
    let remote = source.catalog.show(None, &names[1]).await.unwrap();
    let local = t.show(None, &names[1]).await.unwrap();
    assert_eq!(local.title, remote.title);
    assert_eq!(local.notes, remote.notes);
    assert_eq!(local.tags, remote.tags);
    assert_eq!(local.license_id, remote.license_id);
    assert_eq!(local.spatial, remote.spatial);
    assert_eq!(local.frequency, remote.frequency);
    assert_eq!(local.owner_org, "hagi-city");
    assert_eq!(local.resources.len(), remote.resources.len());
    let extra = |k: &str| {
        local
            .extras
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(extra("harvest_source").as_deref(), Some("src"));
    assert_eq!(
        extra("harvest_url"),
        Some(format!("{base}/dataset/{}", names[1]))
    );
    assert_eq!(
        extra("harvest_metadata_modified"),
        Some(remote.metadata_modified.clone())
    );
    let link = &local.resources[0];
    assert_eq!(link.url_type, "", "a link, not an upload");
    assert!(link.url.starts_with(&base), "{}", link.url);
    let (status, bytes) = get(&link.url).await;
    assert_eq!(status, 200);
    assert!(!bytes.is_empty());

    // Second run: nothing changed on the source, nothing is written here.
    let audits = target
        .accounts
        .audit_log(None, 100_000)
        .await
        .unwrap()
        .len();
    let before = t.show(None, &names[1]).await.unwrap();
    let r2 = harvest::run(t, &client, "src").await.unwrap();
    assert!(r2.no_changes(), "{}", r2.summary());
    assert!(r2.failed.is_empty());
    assert_eq!(r2.unchanged, names.len());
    assert_eq!(
        target
            .accounts
            .audit_log(None, 100_000)
            .await
            .unwrap()
            .len(),
        audits
    );
    assert_eq!(t.show(None, &names[1]).await.unwrap(), before);

    // One dataset changes on the source: one update.
    source
        .catalog
        .patch_dataset(
            &source.admin,
            &names[1],
            DatasetPatch {
                title: Some("更新されたタイトル".into()),
                ..DatasetPatch::default()
            },
        )
        .await
        .unwrap();
    let r3 = harvest::run(t, &client, "src").await.unwrap();
    assert_eq!(r3.updated.len(), 1, "{}", r3.summary());
    assert_eq!(r3.updated[0].remote_name, names[1]);
    assert!(r3.added.is_empty() && r3.removed.is_empty() && r3.failed.is_empty());
    let after = t.show(None, &names[1]).await.unwrap();
    assert_eq!(after.title, "更新されたタイトル");
    assert_eq!(after.id, before.id);

    // One is deleted on the source: one removal here (soft).
    source
        .catalog
        .delete_dataset(&source.admin, &names[2])
        .await
        .unwrap();
    let r4 = harvest::run(t, &client, "src").await.unwrap();
    assert_eq!(r4.removed.len(), 1, "{}", r4.summary());
    assert_eq!(r4.removed[0].remote_name, names[2]);
    assert!(r4.added.is_empty() && r4.updated.is_empty() && r4.failed.is_empty());
    assert!(t.show(None, &names[2]).await.is_err());

    // And then it is quiet again.
    let r5 = harvest::run(t, &client, "src").await.unwrap();
    assert!(r5.no_changes(), "{}", r5.summary());
    assert_eq!(t.harvest_runs("src", 100).await.unwrap().len(), 5);

    // A source that does not answer: the run reports it and removes nothing.
    let dead = HttpCkan::new("http://127.0.0.1:9");
    let r6 = harvest::run(t, &dead, "src").await.unwrap();
    assert!(r6.error.is_some());
    assert!(r6.no_changes());
    assert!(t.show(None, &names[1]).await.is_ok());
}

/// `ydx harvest …` as typed: the subcommands parse like the binary's.
#[derive(clap::Parser)]
struct HarvestCli {
    #[command(subcommand)]
    command: harvest_client::HarvestCommand,
}

fn command(args: &[&str]) -> harvest_client::HarvestCommand {
    use clap::Parser;
    let mut argv = vec!["harvest"];
    argv.extend_from_slice(args);
    HarvestCli::try_parse_from(argv).unwrap().command
}

#[tokio::test]
async fn pause_and_resume_from_the_command_line() {
    let side = side("admin@pref.example.jp").await;
    let c = &side.catalog;
    c.create_harvest_source(
        &side.admin,
        NewHarvestSource {
            id: "src".into(),
            name: "隣県".into(),
            url: "https://remote.example.jp".into(),
            target_org: "hagi-city".into(),
            filter: None,
            schedule_minutes: 60,
            enabled: true,
        },
    )
    .await
    .unwrap();
    let cli = |args: &[&str]| {
        let db = side.db.db.clone();
        let blobs: Arc<dyn ydx_storage::BlobStore> = side.blobs.clone();
        harvest_client::cli(db, blobs, command(args))
    };
    let due = || async {
        c.due_harvest_sources()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(due().await, vec!["src"]);

    cli(&["pause", "src"]).await.unwrap();
    assert!(!c.harvest_source("src").await.unwrap().enabled);
    assert!(due().await.is_empty());
    let log = side.accounts.audit_log(Some("hagi-city"), 1).await.unwrap();
    assert_eq!(log[0].action, "harvest_source.update");
    assert_eq!(log[0].actor_label, "admin@pref.example.jp");
    cli(&["list"]).await.unwrap();

    cli(&["resume", "src", "--as", "Admin@pref.example.jp"])
        .await
        .unwrap();
    assert!(c.harvest_source("src").await.unwrap().enabled);
    assert_eq!(due().await, vec!["src"]);

    // An unknown source, or someone who does not administer its organisation: refused.
    assert!(cli(&["pause", "nope"]).await.is_err());
    add_resident(&side).await;
    assert!(
        cli(&["pause", "src", "--as", "resident@example.jp"])
            .await
            .is_err()
    );
    assert!(c.harvest_source("src").await.unwrap().enabled);
}

/// A CKAN catalog in memory listing one dataset per organisation it is filtered on.
struct OneDatasetEach;

impl harvest::CkanClient for OneDatasetEach {
    fn package_search(
        &self,
        page: &harvest::PageRequest,
    ) -> impl std::future::Future<Output = Result<harvest::SearchPage, String>> + Send {
        let org = page
            .fq
            .as_deref()
            .and_then(|f| f.strip_prefix("organization:"))
            .unwrap_or("all")
            .to_string();
        let results = if page.start == 0 {
            vec![serde_json::json!({
                "id": format!("r-{org}"),
                "name": format!("data-of-{org}"),
                "title": format!("{org} のデータ"),
            })]
        } else {
            Vec::new()
        };
        async move { Ok(harvest::SearchPage { count: 1, results }) }
    }
}

#[tokio::test]
async fn edit_and_delete_from_the_command_line() {
    let side = side("admin@pref.example.jp").await;
    let c = &side.catalog;
    for id in ["src", "two"] {
        c.create_harvest_source(
            &side.admin,
            NewHarvestSource {
                id: id.into(),
                name: "隣県".into(),
                url: "https://remote.example.jp".into(),
                target_org: "hagi-city".into(),
                filter: Some(format!("organization:{id}")),
                schedule_minutes: 60,
                enabled: true,
            },
        )
        .await
        .unwrap();
        harvest::run(c, &OneDatasetEach, id).await.unwrap();
    }
    let cli = |args: &[&str]| {
        let db = side.db.db.clone();
        let blobs: Arc<dyn ydx_storage::BlobStore> = side.blobs.clone();
        harvest_client::cli(db, blobs, command(args))
    };
    let audits = || async { side.accounts.audit_log(Some("hagi-city"), 1).await.unwrap() };

    // What must be said: a change to make; keep or remove, not both; a filter or none.
    use clap::Parser;
    for args in [
        &["harvest", "edit", "src"][..],
        &["harvest", "edit", "src", "--filter", "x", "--no-filter"],
        &["harvest", "delete", "src"],
        &[
            "harvest",
            "delete",
            "src",
            "--keep-datasets",
            "--remove-datasets",
        ],
    ] {
        assert!(HarvestCli::try_parse_from(args).is_err(), "{args:?}");
    }

    // Edit: only what is given changes; audited under the admin; what changed is printed.
    cli(&["edit", "src", "--name", "隣県（新）", "--every", "30"])
        .await
        .unwrap();
    let s = c.harvest_source("src").await.unwrap();
    assert_eq!((s.name.as_str(), s.schedule_minutes), ("隣県（新）", 30));
    assert_eq!(s.url, "https://remote.example.jp");
    assert_eq!(s.filter.as_deref(), Some("organization:src"));
    let log = audits().await;
    assert_eq!(log[0].action, "harvest_source.update");
    assert_eq!(log[0].actor_label, "admin@pref.example.jp");
    // The printed line says each change, old → new.
    let said = harvest_client::edit_source(
        c,
        "src",
        None,
        harvest::HarvestSourceChanges {
            url: Some("https://mirror.example.jp/".into()),
            filter: Some(None),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        said,
        "harvest source src changed (url: https://remote.example.jp → https://mirror.example.jp; \
         filter: organization:src → (none)), recorded as admin@pref.example.jp"
    );
    let again = harvest_client::edit_source(
        c,
        "src",
        None,
        harvest::HarvestSourceChanges {
            filter: Some(None),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(again, "harvest source src: nothing changed");
    // --no-filter and --fq parse as the brief says.
    cli(&[
        "edit",
        "src",
        "--fq",
        "organization:src",
        "--every-minutes",
        "45",
    ])
    .await
    .unwrap();
    let s = c.harvest_source("src").await.unwrap();
    assert_eq!(
        (s.filter.as_deref(), s.schedule_minutes),
        (Some("organization:src"), 45)
    );
    cli(&["edit", "src", "--no-filter"]).await.unwrap();
    assert_eq!(c.harvest_source("src").await.unwrap().filter, None);

    // Wrong values, someone who does not administer the organisation, an unknown source:
    // refused with the reason, nothing changed.
    let before = c.harvest_source("src").await.unwrap();
    let n = audits().await[0].id;
    let e = cli(&["edit", "src", "--url", "ftp://x", "--every", "0"])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("url: Must start with http:// or https://"),
        "{e}"
    );
    assert!(
        e.contains("schedule_minutes: Must be 1 to 527040 minutes"),
        "{e}"
    );
    add_resident(&side).await;
    for args in [
        &["edit", "src", "--name", "x", "--as", "resident@example.jp"][..],
        &[
            "delete",
            "src",
            "--remove-datasets",
            "--as",
            "resident@example.jp",
        ],
        &["edit", "nope", "--name", "x"],
        &["delete", "nope", "--keep-datasets"],
    ] {
        assert!(cli(args).await.is_err(), "{args:?}");
    }
    assert_eq!(c.harvest_source("src").await.unwrap(), before);
    assert_eq!(audits().await[0].id, n);

    // Delete while a run holds the source: refused, saying why.
    let ydx_storage::Db::Sqlite(pool) = &side.db.db else {
        unreachable!("the test database is SQLite")
    };
    let lock = |since: Option<String>| {
        sqlx::query("UPDATE harvest_sources SET running_since = $1 WHERE id = 'src'")
            .bind(since)
            .execute(pool)
    };
    lock(Some(ydx_storage::now())).await.unwrap();
    let e = cli(&["delete", "src", "--keep-datasets"])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("is running"), "{e}");
    assert!(c.harvest_source("src").await.is_ok());
    lock(None).await.unwrap();

    // Keep: the source goes, its dataset stays; what was done is printed.
    let said = harvest_client::delete_source(c, "src", None, HarvestedDatasets::Keep)
        .await
        .unwrap();
    assert_eq!(
        said,
        "deleted harvest source src (隣県（新）) and the records of its 1 run(s); its 1 \
         dataset(s) kept as ordinary datasets of hagi-city, no longer harvested; recorded as \
         admin@pref.example.jp"
    );
    assert!(c.harvest_source("src").await.is_err());
    assert!(c.show(None, "data-of-src").await.is_ok());
    assert_eq!(audits().await[0].action, "harvest_source.delete");

    // Remove, through the command as typed: the dataset is deleted, and can be restored.
    cli(&[
        "delete",
        "two",
        "--remove-datasets",
        "--as",
        "admin@pref.example.jp",
    ])
    .await
    .unwrap();
    assert!(c.harvest_source("two").await.is_err());
    assert!(c.show(None, "data-of-two").await.is_err());
    c.undelete_dataset(&side.admin, "data-of-two")
        .await
        .unwrap();
    assert!(c.show(None, "data-of-two").await.is_ok());
    assert!(c.harvest_sources().await.unwrap().is_empty());
}
