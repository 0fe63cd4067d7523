//! Measures the catalog's hot paths (a benchmark, not a test):
//! - the data API on a generated 100,000-row CSV: parse + load into the cache, then pages
//!   (plain, filtered, full-text, sorted — the first sort builds the column's order);
//! - search over N generated datasets (`BENCH_DATASETS`, default 5000) on SQLite, and on
//!   PostgreSQL too when `YDX_TEST_DATABASE_URL` is set: ingest time, p50/p99 of Japanese
//!   queries (one client), and rows=1000.
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

async fn search_bench(db: ydx_storage::Db, label: &str, n: usize) {
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
    let admin = Principal {
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
    };
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::new(
        db,
        Arc::new(ydx_storage::FsBlobStore::open(dir.path()).unwrap()),
        CatalogLimits::default(),
    );
    sample::populate(&catalog, &admin).await.unwrap();
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
    let orgs: Vec<String> = ydx_region::MUNICIPALITIES
        .iter()
        .map(|m| sample::municipality_org_id(m.code))
        .collect();
    let t = Instant::now();
    for i in 0..n {
        let s = subjects[i % subjects.len()];
        let m = &ydx_region::MUNICIPALITIES[i % 19];
        catalog
            .create_dataset(
                &admin,
                DatasetFields {
                    name: format!("bench-{i}"),
                    title: format!("{s}{}（{}）{}", suffix[i % 5], m.name_ja, i / 1000),
                    notes: format!(
                        "{}が公開する{s}のデータです。年度ごとに更新します。番号{i}。",
                        m.name_ja
                    ),
                    owner_org: orgs[i % 19].clone(),
                    license_id: if i % 4 == 0 {
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
                },
            )
            .await
            .unwrap();
    }
    let ingest = t.elapsed();
    println!(
        "{label}: ingest {n} datasets in {:.1} s ({:.2} ms each)",
        ingest.as_secs_f64(),
        ingest.as_secs_f64() * 1000.0 / n as f64
    );
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
        ("", 10, SearchFilters::default()),
        ("", 1000, SearchFilters::default()),
        ("データ", 1000, SearchFilters::default()),
    ] {
        let query = SearchQuery {
            q: q.into(),
            rows,
            filters,
            ..Default::default()
        };
        let mut times = Vec::new();
        let mut count = 0;
        let iters = if rows > 100 { 10 } else { 50 };
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
        println!(
            "  q={q:?} rows={rows}: p50 {} p99 {} ({count} matches, all 6 facets); without facets p50 {} p99 {}",
            ms(percentile(times.clone(), 0.5)),
            ms(percentile(times, 0.99)),
            ms(percentile(bare.clone(), 0.5)),
            ms(percentile(bare, 0.99))
        );
    }
}

#[tokio::main]
async fn main() {
    table_bench();
    let n: usize = std::env::var("BENCH_DATASETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let engines = [ydx_accounts::migrations(), ydx_catalog::migrations()];
    let sqlite = ydx_storage::testing::sqlite(&engines).await.unwrap();
    search_bench(sqlite.db.clone(), "sqlite", n).await;
    if let Ok(url) = std::env::var("YDX_TEST_DATABASE_URL") {
        let pg = ydx_storage::testing::postgres(&url, &engines)
            .await
            .unwrap();
        search_bench(pg.db.clone(), "postgres", n).await;
    }
}
