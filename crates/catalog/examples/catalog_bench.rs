//! Measures the catalog's hot paths (a benchmark, not a test):
//! - the data API on a generated 100,000-row CSV: parse + load into the cache, then pages
//!   (plain, filtered, full-text, sorted — the first sort builds the column's order);
//! - search over N generated datasets (`BENCH_DATASETS`, default 5000) on SQLite, and on
//!   PostgreSQL too when `YDX_TEST_DATABASE_URL` is set: ingest time, p50/p99 of Japanese
//!   queries (one client), rows=1000, then `BENCH_CLIENTS` (50) concurrent clients for
//!   `BENCH_SECONDS` (10): requests/s and p50/p99; and whether both backends agree. Also the
//!   in-memory search index's build time and size, each measured query checked against the
//!   SQL search (the oracle), and the cost of the first search after a write.
//!
//! Both databases use a pool of 8 connections (the server's default). `BENCH_SQLITE_FILE`
//! (a path) and `BENCH_PG_SCHEMA` (a schema name) keep the generated data for the next run,
//! which then skips ingest (100,000 datasets take minutes to create through the real path).
//! `BENCH_SKIP_TABLE=1` skips the data-API part, `BENCH_CONCURRENT_ONLY=1` the one-client
//! searches (and the backends' comparison); `BENCH_DIGEST_FILE` (a path) writes each
//! query's count and facets per backend there, to compare two builds on the same data.
//!
//! `cargo run --release -p ydx-catalog --example catalog_bench`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ydx_accounts::{
    Accounts, Membership, OrgKind, PasswordCost, Principal, Role, User, UserKind, Via,
};
use ydx_catalog::{
    Catalog, CatalogLimits, DatasetFields, LoadedTable, SearchFilters, SearchQuery, TableQuery,
    TableSort, sample,
};

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn table_bench() {
    let n = 100_000;
    let mut csv = String::from("ID,名称,市町名,緯度,経度,人数,日付,区分,備考,金額\n");
    let towns = [
        "山口市",
        "下関市",
        "萩市",
        "宇部市",
        "周南市",
        "岩国市",
        "防府市",
        "長門市",
    ];
    let kinds = ["公民館", "小学校", "体育館", "図書館", "公園"];
    for i in 0..n {
        csv.push_str(&format!(
            "{i},{}第{}{},{},{:.6},{:.6},{},2024-{:02}-{:02},{},備考{},{}\n",
            towns[i % 8],
            i % 97,
            kinds[i % 5],
            towns[(i / 8) % 8],
            34.0 + (i % 1000) as f64 / 1000.0,
            131.0 + (i % 777) as f64 / 1000.0,
            (i * 7919) % 5000,
            i % 12 + 1,
            i % 28 + 1,
            ["A", "B", "C"][i % 3],
            i % 13,
            (i * 31) % 100_000
        ));
    }
    println!("table: {n} rows, {} MB", csv.len() / 1_000_000);
    let t = Instant::now();
    let parsed = ydx_catalog::table::read_table(csv.as_bytes()).unwrap();
    let parse = t.elapsed();
    let t = Instant::now();
    let table = LoadedTable::new(parsed.info.columns, parsed.rows);
    println!("  parse {} + load {} ", ms(parse), ms(t.elapsed()));
    let run = |label: &str, q: &TableQuery| {
        let t = Instant::now();
        let r = table.query(q).unwrap();
        let first = t.elapsed();
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            table.query(q).unwrap();
            times.push(t.elapsed());
        }
        println!(
            "  {label}: first {}, then p50 {} p99 {} (total {})",
            ms(first),
            ms(percentile(times.clone(), 0.5)),
            ms(percentile(times, 0.99)),
            r.total
        );
    };
    run(
        "page 500 of 100",
        &TableQuery {
            offset: 50_000,
            limit: 100,
            ..Default::default()
        },
    );
    run(
        "filter 市町名=萩市",
        &TableQuery {
            filters: vec![("市町名".into(), "萩市".into())],
            ..Default::default()
        },
    );
    run(
        "q=図書館",
        &TableQuery {
            q: Some("図書館".into()),
            ..Default::default()
        },
    );
    run(
        "sort 人数 desc",
        &TableQuery {
            sort: Some(TableSort {
                column: "人数".into(),
                descending: true,
            }),
            offset: 1000,
            ..Default::default()
        },
    );
    run(
        "sort 日付 + filter",
        &TableQuery {
            sort: TableSort::parse("日付"),
            filters: vec![("区分".into(), "B".into())],
            ..Default::default()
        },
    );
}

/// The Japanese queries of the concurrent run (rows=10, all six facets, as a search page asks).
const CONCURRENT_QUERIES: [&str; 8] = [
    "避難",
    "クマ",
    "公共施設 一覧",
    "萩市",
    "保育所",
    "観光施設",
    "医療機関 データ",
    "子育て",
];

fn bench_admin() -> Principal {
    Principal {
        user: User {
            id: "admin".into(),
            email: "admin@example.jp".into(),
            display_name: "admin".into(),
            kind: UserKind::Staff,
        },
        memberships: vec![Membership {
            org_id: "pref".into(),
            org_kind: OrgKind::Prefecture,
            org_name_ja: "山口県".into(),
            org_name_en: String::new(),
            role: Role::Admin,
        }],
        via: Via::Session,
    }
}

/// The fields of generated dataset `i`.
fn bench_fields(i: usize, orgs: &[String]) -> DatasetFields {
    let subjects = [
        "指定緊急避難場所",
        "AED設置箇所",
        "公共施設",
        "ツキノワグマ出没情報",
        "人口統計",
        "観光施設",
        "子育て支援施設",
        "医療機関",
        "文化財",
        "バス停留所",
        "ごみ収集日",
        "道路工事",
        "保育所",
        "介護施設",
        "公衆トイレ",
        "Wi-Fiスポット",
    ];
    let suffix = ["一覧", "情報", "データ", "マップ", "集計"];
    let s = subjects[i % subjects.len()];
    let m = &ydx_region::MUNICIPALITIES[i % 19];
    DatasetFields {
        name: format!("bench-{i}"),
        title: format!("{s}{}（{}）{}", suffix[i % 5], m.name_ja, i / 1000),
        notes: format!(
            "{}が公開する{s}のデータです。年度ごとに更新します。番号{i}。",
            m.name_ja
        ),
        owner_org: orgs[i % 19].clone(),
        license_id: if i.is_multiple_of(4) {
            "gdl-1.0".into()
        } else {
            "cc-by-4.0".into()
        },
        tags: vec![
            s.chars().take(4).collect(),
            ["防災", "福祉", "観光", "統計"][i % 4].into(),
        ],
        groups: vec![
            [
                "bousai",
                "health-welfare",
                "facilities",
                "nature",
                "population",
            ][i % 5]
                .into(),
        ],
        spatial: vec![m.code.into()],
        ..DatasetFields::default()
    }
}

/// Creates the organisations, the sample data and `n` generated datasets through the real
/// create path (`Catalog::create_dataset`: validation, rows, search terms, audit, one
/// transaction each), with `BENCH_INGEST_TASKS` (default 4) creating concurrently. A database
/// that already holds them (kept with `BENCH_SQLITE_FILE` / `BENCH_PG_SCHEMA`) is reused.
async fn prepare(catalog: &Catalog, db: &ydx_storage::Db, label: &str, n: usize) {
    let have: i64 = ydx_storage::with_db!(db, |p| {
        sqlx::query_scalar("SELECT COUNT(*) FROM datasets WHERE name LIKE 'bench-%'")
            .fetch_one(p)
            .await
            .unwrap()
    });
    if have as usize >= n {
        println!("{label}: reusing {have} generated datasets");
        return;
    }
    let admin = bench_admin();
    if have == 0 {
        let accounts = Accounts::new(db.clone(), PasswordCost::TestOnly).unwrap();
        for o in sample::required_organizations() {
            accounts.create_org(&o).await.unwrap();
        }
        accounts
            .create_org(&ydx_accounts::Organization {
                id: "pref".into(),
                kind: OrgKind::Prefecture,
                name_ja: "山口県".into(),
                name_en: "Yamaguchi Prefecture".into(),
                municipality_code: None,
                description: String::new(),
                created_at: String::new(),
            })
            .await
            .unwrap();
        sample::populate(catalog, &admin).await.unwrap();
    }
    let orgs: Arc<Vec<String>> = Arc::new(
        ydx_region::MUNICIPALITIES
            .iter()
            .map(|m| sample::municipality_org_id(m.code))
            .collect(),
    );
    let tasks: usize = std::env::var("BENCH_INGEST_TASKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(have as usize));
    let t = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let catalog = catalog.clone();
        let next = next.clone();
        let orgs = orgs.clone();
        let admin = admin.clone();
        handles.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                catalog
                    .create_dataset(&admin, bench_fields(i, &orgs))
                    .await
                    .unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let ingest = t.elapsed();
    let made = n - have as usize;
    println!(
        "{label}: ingest {made} datasets in {:.1} s ({:.2} ms each, {tasks} concurrent creators, \
         one transaction per dataset through create_dataset)",
        ingest.as_secs_f64(),
        ingest.as_secs_f64() * 1000.0 / made as f64
    );
    // What an operator runs after a bulk load (and what PostgreSQL's autovacuum does later).
    ydx_storage::with_db!(db, |p| {
        let sql = match db.backend() {
            ydx_storage::Backend::Sqlite => "ANALYZE",
            ydx_storage::Backend::Postgres => "VACUUM ANALYZE",
        };
        sqlx::query(sql).execute(p).await.unwrap();
    });
}

/// A digest of a result that must be the same on both backends: count and facets (the page
/// order depends on ingest timestamps and random ids, which differ between the two databases;
/// each backend's page order is checked against its own SQL search instead).
fn digest(r: &ydx_catalog::SearchResult) -> String {
    let facets: Vec<String> = r
        .facets
        .iter()
        .map(|(k, v)| {
            let vals: Vec<String> = v
                .iter()
                .map(|f| format!("{}={}", f.value, f.count))
                .collect();
            format!("{k}:[{}]", vals.join(","))
        })
        .collect();
    format!("count={} {}", r.count, facets.join(" "))
}

/// Resident set size of this process, in MB (Linux).
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}

async fn search_bench(catalog: Catalog, label: &str) -> Vec<String> {
    let rss = rss_mb();
    let t = Instant::now();
    catalog.warm_search_index().await.unwrap();
    let build = t.elapsed();
    let stats = catalog.search_index_stats().await.unwrap();
    println!(
        "{label}: search index built in {:.2} s: {} datasets, {} terms, {} postings, {} facet \
         values; ~{:.1} MB of structures, RSS +{:.0} MB ({:.0} → {:.0} MB)",
        build.as_secs_f64(),
        stats.datasets,
        stats.terms,
        stats.postings,
        stats.values,
        stats.approx_bytes as f64 / 1e6,
        rss_mb() - rss,
        rss,
        rss_mb()
    );
    let mut digests = Vec::new();
    if std::env::var("BENCH_CONCURRENT_ONLY").is_ok() {
        println!("{label}: search (concurrent only)");
        concurrent(&catalog).await;
        return digests;
    }
    println!("{label}: search (one client; then concurrent)");
    for (q, rows, filters) in [
        ("避難", 10, SearchFilters::default()),
        ("クマ", 10, SearchFilters::default()),
        ("公共施設 一覧", 10, SearchFilters::default()),
        ("萩市", 10, SearchFilters::default()),
        (
            "保育所",
            10,
            SearchFilters {
                license_id: vec!["cc-by-4.0".into()],
                ..Default::default()
            },
        ),
        (
            "避難",
            10,
            SearchFilters {
                tags: vec!["防災".into()],
                ..Default::default()
            },
        ),
        ("", 10, SearchFilters::default()),
        ("", 1000, SearchFilters::default()),
        ("データ", 1000, SearchFilters::default()),
        ("避難", 1000, SearchFilters::default()),
    ] {
        let query = SearchQuery {
            q: q.into(),
            rows,
            filters,
            ..Default::default()
        };
        let mut times = Vec::new();
        let mut count = 0;
        let iters = if rows > 100 { 10 } else { 30 };
        let first = catalog.search(None, &query).await.unwrap();
        digests.push(format!("q={q:?} rows={rows}: {}", digest(&first)));
        // The SQL oracle on the same data: the same count, facets and page, in order.
        let t = Instant::now();
        let oracle = catalog.search_sql(None, &query).await.unwrap();
        let sql_time = t.elapsed();
        assert!(
            oracle == first,
            "{label}: index and SQL search disagree on q={q:?} rows={rows}"
        );
        for _ in 0..iters {
            let t = Instant::now();
            count = catalog.search(None, &query).await.unwrap().count;
            times.push(t.elapsed());
        }
        let no_facets = SearchQuery {
            facet_fields: Vec::new(),
            ..query.clone()
        };
        let mut bare = Vec::new();
        for _ in 0..iters {
            let t = Instant::now();
            catalog.search(None, &no_facets).await.unwrap();
            bare.push(t.elapsed());
        }
        // The same search without a page: what loading the page's datasets costs.
        let no_page = SearchQuery {
            rows: 0,
            ..query.clone()
        };
        let mut unpaged = Vec::new();
        for _ in 0..iters {
            let t = Instant::now();
            catalog.search(None, &no_page).await.unwrap();
            unpaged.push(t.elapsed());
        }
        println!(
            "  q={q:?} rows={rows}: p50 {} p99 {} ({count} matches, all 6 facets); without facets p50 {} p99 {}; rows=0 p50 {}; SQL search (oracle, once) {}",
            ms(percentile(times.clone(), 0.5)),
            ms(percentile(times, 0.99)),
            ms(percentile(bare.clone(), 0.5)),
            ms(percentile(bare, 0.99)),
            ms(percentile(unpaged, 0.5)),
            ms(sql_time)
        );
    }
    after_writes(&catalog, label).await;
    concurrent(&catalog).await;
    digests
}

/// What a write costs the next search: the index reloads the changed dataset (one change-log
/// fetch and the dataset's rows) before answering.
async fn after_writes(catalog: &Catalog, label: &str) {
    let admin = bench_admin();
    let query = SearchQuery {
        q: "避難".into(),
        ..Default::default()
    };
    let mut times = Vec::new();
    for i in 0..20 {
        catalog
            .patch_dataset(
                &admin,
                "bench-0",
                ydx_catalog::DatasetPatch {
                    notes: Some(format!("更新{i}回目のデータです。")),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let t = Instant::now();
        catalog.search(None, &query).await.unwrap();
        times.push(t.elapsed());
    }
    let mut steady = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        catalog.search(None, &query).await.unwrap();
        steady.push(t.elapsed());
    }
    println!(
        "  {label}: first search after a write (reloads 1 dataset) p50 {} p99 {}; with no write between p50 {}",
        ms(percentile(times.clone(), 0.5)),
        ms(percentile(times, 0.99)),
        ms(percentile(steady, 0.5))
    );
}

/// `BENCH_CLIENTS` (default 50) tasks, each sending Japanese queries (rows=10, all facets)
/// back to back for `BENCH_SECONDS` (default 10): p50/p99 latency and requests per second.
async fn concurrent(catalog: &Catalog) {
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let secs: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let before = catalog.search_index_stats().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let t = Instant::now();
    let mut handles = Vec::new();
    for c in 0..clients {
        let catalog = catalog.clone();
        handles.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut i = c;
            while Instant::now() < deadline {
                let query = SearchQuery {
                    q: CONCURRENT_QUERIES[i % CONCURRENT_QUERIES.len()].into(),
                    ..Default::default()
                };
                // From the request's arrival: it first waits its turn behind the other
                // clients' (yielding also stands for the network between requests, without
                // which a search that needs no database round trip would never let the
                // others run), then is answered.
                let t = Instant::now();
                tokio::task::yield_now().await;
                catalog.search(None, &query).await.unwrap();
                times.push(t.elapsed());
                i += 1;
            }
            times
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let wall = t.elapsed();
    let stats = catalog.search_index_stats().await.unwrap();
    println!(
        "  {clients} concurrent clients, Japanese queries rows=10 + 6 facets: {} requests in {:.1} s = {:.0} req/s, p50 {} p99 {}; {} change-log probes{}, {} datasets read for pages",
        all.len(),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        ms(percentile(all.clone(), 0.5)),
        ms(percentile(all, 0.99)),
        stats.probes - before.probes,
        if stats.listening { " (listening)" } else { "" },
        stats.page_loads - before.page_loads
    );
}

/// Pool size of the bench's databases (the server's default `database.max_connections`).
const POOL: u32 = 8;

#[tokio::main]
async fn main() {
    if std::env::var("BENCH_SKIP_TABLE").is_err() {
        table_bench();
    }
    let n: usize = std::env::var("BENCH_DATASETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let engines = [ydx_accounts::migrations(), ydx_catalog::migrations()];
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(ydx_storage::FsBlobStore::open(dir.path()).unwrap());
    let sqlite_path = std::env::var("BENCH_SQLITE_FILE")
        .unwrap_or_else(|_| dir.path().join("bench.db").display().to_string());
    let sqlite = ydx_storage::Db::connect(&format!("sqlite://{sqlite_path}"), POOL)
        .await
        .unwrap();
    sqlite.migrate(&engines).await.unwrap();
    let catalog = Catalog::new(sqlite.clone(), blobs.clone(), CatalogLimits::default());
    prepare(&catalog, &sqlite, "sqlite", n).await;
    let lite = search_bench(catalog, "sqlite").await;
    if let Ok(url) = std::env::var("YDX_TEST_DATABASE_URL") {
        let schema = std::env::var("BENCH_PG_SCHEMA")
            .unwrap_or_else(|_| format!("bench_{}", std::process::id()));
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&admin)
        .await
        .unwrap();
        let opts = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(POOL)
            .connect_with(opts)
            .await
            .unwrap();
        let pg = ydx_storage::Db::Postgres(pool);
        pg.migrate(&engines).await.unwrap();
        let catalog = Catalog::new(pg.clone(), blobs.clone(), CatalogLimits::default());
        prepare(&catalog, &pg, "postgres", n).await;
        let post = search_bench(catalog, "postgres").await;
        if let Ok(path) = std::env::var("BENCH_DIGEST_FILE") {
            let text = format!(
                "sqlite\n{}\npostgres\n{}\n",
                lite.join("\n"),
                post.join("\n")
            );
            std::fs::write(path, text).unwrap();
        }
        let same = lite == post;
        if !lite.is_empty() {
            println!("sqlite and postgres give the same counts and facets: {same}");
        }
        if !same {
            for (a, b) in lite.iter().zip(&post) {
                if a != b {
                    println!("  sqlite:   {a}\n  postgres: {b}");
                }
            }
        }
        if std::env::var("BENCH_PG_SCHEMA").is_err() {
            pg.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&admin)
                .await
                .unwrap();
        }
    }
}
