use ydx_catalog::{DatasetFields, FacetValue, SearchFilters, SearchQuery, SortOrder, sample};

use crate::{Env, envs, fields, same_on_all};

async fn seed(env: &Env) {
    let c = &env.catalog;
    let y = &env.yamaguchi;
    for f in [
        DatasetFields {
            tags: vec!["防災".into(), "避難所".into()],
            spatial: vec!["35203".into()],
            ..fields("evac", "指定緊急避難場所一覧")
        },
        DatasetFields {
            tags: vec!["クマ".into()],
            ..fields("bears", "ツキノワグマ出没情報")
        },
        DatasetFields {
            notes: "東京都の事例を参考にしました。".into(),
            ..fields("tokyo-note", "参考資料")
        },
        DatasetFields {
            notes: "京都市と連携".into(),
            ..fields("kyoto-note", "連携事業")
        },
        DatasetFields {
            tags: vec!["AED".into(), "防災".into()],
            ..fields("aed", "ＡＥＤ設置箇所一覧")
        },
        DatasetFields {
            notes: "ｶﾅ表記の名簿".into(),
            license_id: "gdl-1.0".into(),
            ..fields("kana", "名簿")
        },
        DatasetFields {
            notes: "避難訓練の記録です。".into(),
            ..fields("drill", "訓練記録")
        },
    ] {
        c.create_dataset(y, f).await.unwrap();
    }
}

fn names(r: &ydx_catalog::SearchResult) -> Vec<String> {
    r.datasets.iter().map(|d| d.name.clone()).collect()
}

/// The names an anonymous search for `text` finds through `c`.
async fn search(c: &ydx_catalog::Catalog, text: &str) -> Vec<String> {
    let query = SearchQuery {
        q: text.into(),
        ..Default::default()
    };
    names(&c.search(None, &query).await.unwrap())
}

/// Searches `c` until the answer is `want`, as a process must for another process's write
/// (heard on PostgreSQL, within `SQLITE_UNHEARD` on SQLite); fails after 10 s. Returns how
/// long it took.
async fn search_until(c: &ydx_catalog::Catalog, text: &str, want: &[&str]) -> std::time::Duration {
    let start = std::time::Instant::now();
    let deadline = start + std::time::Duration::from_secs(10);
    loop {
        let got = search(c, text).await;
        if got == want {
            return start.elapsed();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{text}: still {got:?}, not {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Gives the seeded bear dataset a new title and no tags (so クマ no longer finds it), through
/// `c` (this process or another on the same database).
async fn retitle_bears(env: &Env, c: &ydx_catalog::Catalog, title: &str) {
    c.patch_dataset(
        &env.yamaguchi,
        "bears",
        ydx_catalog::DatasetPatch {
            title: Some(title.into()),
            tags: Some(Vec::new()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn q(env: &Env, q: &str) -> Vec<String> {
    names(
        &env.catalog
            .search(
                None,
                &SearchQuery {
                    q: q.into(),
                    rows: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn japanese_search_requirements() {
    let mut per_backend = Vec::new();
    for env in envs().await {
        seed(&env).await;
        let evac = q(&env, "避難").await;
        assert_eq!(
            evac,
            vec!["evac", "drill"],
            "{}: title match first, then notes",
            env.backend
        );
        assert_eq!(q(&env, "クマ").await, vec!["bears"]);
        assert_eq!(
            q(&env, "京都").await,
            vec!["kyoto-note"],
            "京都 must not find 東京都"
        );
        assert_eq!(q(&env, "AED").await, vec!["aed"]);
        assert_eq!(q(&env, "ＡＥＤ").await, vec!["aed"]);
        assert_eq!(
            q(&env, "aed 一覧").await,
            vec!["aed"],
            "every term must match"
        );
        assert_eq!(q(&env, "カナ").await, vec!["kana"], "ｶﾅ = カナ");
        // Every seeded dataset belongs to 山口市 (organisation name); the one also covering it
        // (spatial) ranks first.
        let yamaguchi = q(&env, "山口市").await;
        assert_eq!((yamaguchi.len(), yamaguchi[0].as_str()), (7, "evac"));
        assert!(q(&env, "存在しない言葉").await.is_empty());
        assert_eq!(q(&env, "").await.len(), 7);
        assert_eq!(q(&env, "*:*").await.len(), 7);

        let r = env
            .catalog
            .search(
                None,
                &SearchQuery {
                    q: "防災".into(),
                    filters: SearchFilters {
                        tags: vec!["AED".into()],
                        ..Default::default()
                    },
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(names(&r), vec!["aed"]);
        let all = env
            .catalog
            .search(
                None,
                &SearchQuery {
                    sort: SortOrder::NameAsc,
                    rows: 3,
                    start: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.count, 7);
        assert_eq!(names(&all), vec!["bears", "drill", "evac"]);
        let facets = &all.facets;
        assert_eq!(
            facets["tags"][0],
            FacetValue {
                value: "防災".into(),
                count: 2
            }
        );
        assert_eq!(
            facets["organization"],
            vec![FacetValue {
                value: "yamaguchi-city".into(),
                count: 7
            }]
        );
        assert_eq!(
            facets["license_id"],
            vec![
                FacetValue {
                    value: "cc-by-4.0".into(),
                    count: 6
                },
                FacetValue {
                    value: "gdl-1.0".into(),
                    count: 1
                }
            ]
        );
        assert_eq!(
            facets["municipality"],
            vec![FacetValue {
                value: "35203".into(),
                count: 1
            }]
        );
        assert!(
            env.catalog
                .search(
                    None,
                    &SearchQuery {
                        rows: 1001,
                        ..Default::default()
                    }
                )
                .await
                .is_err()
        );
        per_backend.push((evac, all.facets.clone()));
    }
    same_on_all("search", &per_backend);
}

#[tokio::test]
async fn sample_data_populates_and_is_searchable() {
    let mut per_backend = Vec::new();
    for env in envs().await {
        let c = &env.catalog;
        let report = sample::populate(c, &env.admin).await.unwrap();
        assert_eq!(report.datasets, 6 * 3 + 2);
        assert_eq!(report.resources, 6 * 3 + 3 + 1);
        assert_eq!(
            sample::populate(c, &env.admin).await.unwrap().skipped,
            20,
            "idempotent"
        );
        let bears = c.show(None, "bear-sightings").await.unwrap();
        assert!(bears.series && bears.notes.contains("サンプルデータ"));
        assert_eq!(
            ydx_catalog::latest_resource(&bears)
                .unwrap()
                .period
                .as_deref(),
            Some("2024")
        );
        let hagi_aed = c.show(None, "hagi-city-aed").await.unwrap();
        assert_eq!(
            hagi_aed.resources[0].table.as_ref().unwrap().encoding,
            "shift_jis"
        );
        let kinds: Vec<String> = hagi_aed.resources[0]
            .table
            .as_ref()
            .unwrap()
            .columns
            .iter()
            .map(|c| c.kind.clone())
            .collect();
        assert!(
            kinds.contains(&"latitude".to_string()) && kinds.contains(&"longitude".to_string()),
            "{kinds:?}"
        );
        let r = c
            .search(
                None,
                &SearchQuery {
                    q: "避難".into(),
                    rows: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.count, 6);
        assert!(
            r.datasets
                .iter()
                .all(|d| d.title.starts_with("指定緊急避難場所一覧"))
        );
        let r = c
            .search(
                None,
                &SearchQuery {
                    q: "クマ".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(names(&r), vec!["bear-sightings"]);
        let r = c
            .search(
                None,
                &SearchQuery {
                    filters: SearchFilters {
                        res_format: vec!["csv".into()],
                        groups: vec!["bousai".into()],
                        ..Default::default()
                    },
                    rows: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.count, 6 * 2 + 1);
        per_backend.push((names(&r), r.facets));
        let all = c
            .series_table_query(None, "bear-sightings", &Default::default())
            .await
            .unwrap();
        assert_eq!(all.total, 60 + 85 + 110);
    }
    same_on_all("sample search", &per_backend);
}

/// Every combination of the queries, sorts, filters, pages and viewers below: the in-memory
/// index answers exactly as the SQL search (count, facets, page order, datasets).
async fn assert_index_matches_sql(env: &Env, what: &str) {
    use ydx_catalog::{Condition, FacetField, FilterField, FilterTest, TimeBound, TimeField};
    let c = &env.catalog;
    // Every dataset (drafts and private ones too), oldest change first: range bounds are
    // taken from their times, so that equal, inclusive and exclusive ends are all exercised.
    let every = c
        .search_sql(
            Some(&env.admin),
            &SearchQuery {
                sort: SortOrder::ModifiedAsc,
                rows: 1000,
                include_private: true,
                include_drafts: true,
                facet_fields: Vec::new(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .datasets;
    assert!(every.len() > 10);
    let at = |i: usize| every[i].metadata_modified.clone();
    let created = |i: usize| every[i].metadata_created.clone();
    let (third, half, last) = (every.len() / 3, every.len() / 2, every.len() - 1);
    let bound = |at: String, inclusive: bool| Some(TimeBound { at, inclusive });
    let cond = |test: FilterTest, negate: bool| Condition { test, negate };
    let any = |field: FilterField, values: &[&str]| FilterTest::AnyOf {
        field,
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let modified = |from, to| FilterTest::Within {
        field: TimeField::MetadataModified,
        from,
        to,
    };
    let with = |conditions: Vec<Condition>| SearchFilters {
        conditions,
        ..Default::default()
    };
    let viewers = [
        None,
        Some(&env.resident),
        Some(&env.yamaguchi_viewer),
        Some(&env.hagi),
        Some(&env.admin),
    ];
    let filters = [
        SearchFilters::default(),
        SearchFilters {
            tags: vec!["防災".into()],
            ..Default::default()
        },
        SearchFilters {
            organization: vec!["yamaguchi-city".into(), "hagi-city".into()],
            license_id: vec!["cc-by-4.0".into(), String::new()],
            ..Default::default()
        },
        SearchFilters {
            res_format: vec!["csv".into()],
            groups: vec!["bousai".into()],
            ..Default::default()
        },
        SearchFilters {
            municipality: vec!["35203".into()],
            ..Default::default()
        },
        SearchFilters {
            tags: vec!["存在しないタグ".into()],
            ..Default::default()
        },
        // Conditions (CKAN's fq beyond field:value).
        with(vec![cond(any(FilterField::Tags, &["防災", "クマ"]), false)]),
        with(vec![cond(any(FilterField::Tags, &["防災"]), true)]),
        SearchFilters {
            license_id: vec!["cc-by-4.0".into(), String::new()],
            conditions: vec![
                cond(any(FilterField::Organization, &["hagi-city"]), true),
                cond(any(FilterField::LicenseId, &["", "gdl-1.0"]), true),
            ],
            ..Default::default()
        },
        SearchFilters {
            groups: vec!["bousai".into()],
            conditions: vec![
                cond(any(FilterField::ResFormat, &["csv", "PDF"]), false),
                cond(any(FilterField::Municipality, &["35203", "35204"]), true),
            ],
            ..Default::default()
        },
        with(vec![
            cond(
                any(FilterField::Name, &["evac", "aed", "kana", "no-such"]),
                false,
            ),
            cond(
                any(FilterField::Id, &[every[0].id.as_str(), "no-such"]),
                true,
            ),
            cond(any(FilterField::Tags, &["存在しないタグ"]), true),
        ]),
        with(vec![cond(any(FilterField::Groups, &[]), true)]),
        with(vec![cond(modified(bound(at(half), true), None), false)]),
        with(vec![cond(
            modified(bound(at(third), false), bound(at(half), true)),
            false,
        )]),
        with(vec![cond(
            modified(bound(at(third), true), bound(at(last), false)),
            true,
        )]),
        with(vec![
            cond(
                FilterTest::Within {
                    field: TimeField::MetadataCreated,
                    from: None,
                    to: bound(created(half), false),
                },
                false,
            ),
            cond(any(FilterField::Tags, &["防災"]), false),
        ]),
        with(vec![cond(modified(None, None), false)]),
        with(vec![cond(modified(None, None), true)]),
    ];
    let sorts = [
        SortOrder::Relevance,
        SortOrder::NameAsc,
        SortOrder::NameDesc,
        SortOrder::TitleAsc,
        SortOrder::TitleDesc,
        SortOrder::ModifiedDesc,
        SortOrder::ModifiedAsc,
        SortOrder::CreatedDesc,
        SortOrder::IdAsc,
        SortOrder::IdDesc,
    ];
    let mut compared = 0;
    for q in [
        "",
        "避難",
        "山口市",
        "一覧 データ",
        "AED",
        "の",
        "存在しない言葉",
    ] {
        for (fi, f) in filters.iter().enumerate() {
            for sort in sorts {
                for (rows, start) in [(100, 0), (3, 2), (0, 0)] {
                    for (vi, viewer) in viewers.iter().enumerate() {
                        // Viewers and visibility flags only on a subset, to stay quick.
                        let varied = matches!(sort, SortOrder::Relevance | SortOrder::TitleDesc);
                        // Conditions (from the seventh filter on) only with the varied sorts,
                        // and every third of them with the viewers too.
                        let viewers_too = fi <= 1 || (fi >= 6 && fi % 3 == 0);
                        if vi > 0 && (!viewers_too || rows == 0 || !varied) {
                            continue;
                        }
                        if fi >= 6 && !varied {
                            continue;
                        }
                        for (private, drafts) in [(false, false), (true, true), (true, false)] {
                            if vi == 0 && private {
                                continue;
                            }
                            let query = SearchQuery {
                                q: q.into(),
                                filters: f.clone(),
                                sort,
                                rows,
                                start,
                                include_private: private,
                                include_drafts: drafts,
                                facet_fields: if rows == 3 {
                                    vec![FacetField::Tags, FacetField::LicenseId]
                                } else {
                                    FacetField::ALL.to_vec()
                                },
                                facet_limit: if rows == 3 { 2 } else { 50 },
                            };
                            let a = c.search(*viewer, &query).await.unwrap();
                            let b = c.search_sql(*viewer, &query).await.unwrap();
                            assert_eq!(
                                a, b,
                                "{}/{what}: index and SQL disagree on {query:?} for viewer {vi}",
                                env.backend
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(compared > 300, "{compared}");
}

#[tokio::test]
async fn index_answers_exactly_as_sql() {
    use ydx_catalog::{DatasetPatch, DatasetState};
    for env in envs().await {
        let c = &env.catalog;
        seed(&env).await;
        sample::populate(c, &env.admin).await.unwrap();
        // Private datasets and drafts of two organisations, and a licence left unspecified.
        for (i, (actor, org)) in [(&env.yamaguchi, "yamaguchi-city"), (&env.hagi, "hagi-city")]
            .into_iter()
            .enumerate()
        {
            c.create_dataset(
                actor,
                DatasetFields {
                    private: true,
                    owner_org: org.into(),
                    tags: vec!["防災".into()],
                    ..fields(&format!("private-{i}"), "非公開の避難データ一覧")
                },
            )
            .await
            .unwrap();
            c.create_dataset(
                actor,
                DatasetFields {
                    state: Some(DatasetState::Draft),
                    owner_org: org.into(),
                    license_id: String::new(),
                    ..fields(&format!("draft-{i}"), "下書きの避難データ")
                },
            )
            .await
            .unwrap();
        }
        assert_index_matches_sql(&env, "created").await;
        // Writes are visible to the next search at once, and still exact.
        c.patch_dataset(
            &env.yamaguchi,
            "evac",
            DatasetPatch {
                title: Some("避難所データ".into()),
                tags: Some(vec!["新しいタグ".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        c.delete_dataset(&env.yamaguchi, "drill").await.unwrap();
        c.patch_dataset(
            &env.hagi,
            "private-1",
            DatasetPatch {
                private: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(q(&env, "避難所").await[0], "evac");
        assert!(!q(&env, "訓練").await.contains(&"drill".to_string()));
        assert_index_matches_sql(&env, "after updates").await;
    }
}

/// Two catalogs on one database (two servers): a write through one is in the other's
/// searches once heard (PostgreSQL) or within `SQLITE_UNHEARD` (SQLite), through the change
/// log; and in the writer's own next search at once.
#[tokio::test]
async fn index_follows_writes_of_other_processes() {
    for env in envs().await {
        let (other, _dir) = crate::other_process(&env.catalog);
        seed(&env).await;
        search_until(&other, "クマ", &["bears"]).await;
        retitle_bears(&env, &env.catalog, "イノシシ出没情報").await;
        assert_eq!(search(&env.catalog, "イノシシ").await, vec!["bears"]);
        search_until(&other, "クマ", &[]).await;
        assert_eq!(search(&other, "イノシシ").await, vec!["bears"]);
        other
            .create_dataset(&env.yamaguchi, fields("boar", "イノシシ捕獲数"))
            .await
            .unwrap();
        assert_eq!(
            search(&other, "イノシシ").await,
            vec!["boar", "bears"],
            "{}",
            env.backend
        );
        search_until(&env.catalog, "イノシシ", &["boar", "bears"]).await;
    }
}

/// A change log pruned past a process's index makes that process rebuild, not miss changes.
#[tokio::test]
async fn pruned_change_log_never_leaves_an_index_stale() {
    for env in envs().await {
        let (other, _dir) = crate::other_process(&env.catalog);
        seed(&env).await;
        search_until(&other, "クマ", &["bears"]).await;
        // Changes `other` has not seen, then everything but the newest row pruned.
        for title in ["イノシシ出没情報", "サル出没情報"] {
            retitle_bears(&env, &env.catalog, title).await;
        }
        env.catalog
            .create_dataset(&env.yamaguchi, fields("boar", "イノシシ捕獲数"))
            .await
            .unwrap();
        let pruned = env
            .catalog
            .prune_change_log(std::time::Duration::ZERO)
            .await
            .unwrap();
        assert!(pruned >= 3, "{}: {pruned}", env.backend);
        search_until(&other, "クマ", &[]).await;
        assert_eq!(search(&other, "サル").await, vec!["bears"]);
        assert_eq!(search(&other, "イノシシ").await, vec!["boar"]);
        // A second prune with nothing old enough deletes nothing.
        let kept = env
            .catalog
            .prune_change_log(std::time::Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(kept, 0);
    }
}

/// Conditions select what they say: alternatives, exclusions, names and time ranges with
/// inclusive and exclusive ends (on the index and on SQL alike).
#[tokio::test]
async fn conditions_select_what_they_say() {
    use ydx_catalog::{Condition, FilterField, FilterTest, TimeBound, TimeField};
    let mut per_backend = Vec::new();
    for env in envs().await {
        seed(&env).await;
        let c = &env.catalog;
        // Seeded in this order, so their times increase.
        let mut at = std::collections::HashMap::new();
        for name in ["evac", "bears", "aed", "kana"] {
            at.insert(name, c.show(None, name).await.unwrap().metadata_modified);
        }
        let bound = |name: &str, inclusive: bool| {
            Some(TimeBound {
                at: at[name].clone(),
                inclusive,
            })
        };
        let any = |field, values: &[&str], negate| Condition {
            test: FilterTest::AnyOf {
                field,
                values: values.iter().map(|v| v.to_string()).collect(),
            },
            negate,
        };
        let within = |from, to, negate| Condition {
            test: FilterTest::Within {
                field: TimeField::MetadataModified,
                from,
                to,
            },
            negate,
        };
        let mut answers = Vec::new();
        for (conditions, expected) in [
            (
                vec![any(FilterField::Tags, &["防災", "クマ"], false)],
                vec!["aed", "bears", "evac"],
            ),
            (
                vec![any(FilterField::Tags, &["防災"], true)],
                vec!["bears", "drill", "kana", "kyoto-note", "tokyo-note"],
            ),
            (
                vec![
                    any(FilterField::Name, &["evac", "kana"], false),
                    any(FilterField::LicenseId, &["gdl-1.0"], true),
                ],
                vec!["evac"],
            ),
            (
                vec![within(bound("bears", true), bound("aed", false), false)],
                vec!["bears", "kyoto-note", "tokyo-note"],
            ),
            (
                vec![within(bound("bears", false), bound("aed", true), false)],
                vec!["aed", "kyoto-note", "tokyo-note"],
            ),
            (
                vec![within(bound("kana", true), None, true)],
                vec!["aed", "bears", "evac", "kyoto-note", "tokyo-note"],
            ),
        ] {
            let query = SearchQuery {
                filters: SearchFilters {
                    conditions,
                    ..Default::default()
                },
                sort: SortOrder::NameAsc,
                rows: 100,
                ..Default::default()
            };
            let found = names(&c.search(None, &query).await.unwrap());
            assert_eq!(found, expected, "{}: {query:?}", env.backend);
            assert_eq!(found, names(&c.search_sql(None, &query).await.unwrap()));
            answers.push(found);
        }
        per_backend.push(answers);
    }
    same_on_all("conditions", &per_backend);
}

/// A search asks the database for the latest change only when it may have missed one: after
/// this process wrote, after hearing of another process's write (PostgreSQL's listener), or
/// when the last probe is older than `SQLITE_UNHEARD` (SQLite, which cannot notify).
#[tokio::test]
async fn searches_probe_only_when_a_change_may_be_missed() {
    for env in envs().await {
        seed(&env).await;
        let c = &env.catalog;
        let (other, _dir) = crate::other_process(c);
        assert_eq!(search(c, "クマ").await, vec!["bears"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while env.backend == "postgres" && !c.search_index_stats().await.unwrap().listening {
            assert!(std::time::Instant::now() < deadline, "no listener");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            c.search_index_stats().await.unwrap().listening,
            env.backend == "postgres"
        );
        let probes = || async { c.search_index_stats().await.unwrap().probes };
        let before = probes().await;
        for _ in 0..50 {
            assert_eq!(search(c, "クマ").await, vec!["bears"]);
        }
        let sent = probes().await - before;
        assert!(sent < 10, "{}: 50 searches sent {sent} probes", env.backend);
        // This process's write: the next search probes and has it.
        let before = probes().await;
        retitle_bears(&env, c, "イノシシ出没情報").await;
        assert_eq!(search(c, "イノシシ").await, vec!["bears"]);
        assert!(probes().await > before, "{}", env.backend);
        // Another process's write: heard (PostgreSQL: sooner than the safety-net probe, so
        // by notification) or within SQLITE_UNHEARD (SQLite).
        other
            .create_dataset(&env.yamaguchi, fields("boar", "イノシシ捕獲数"))
            .await
            .unwrap();
        let took = search_until(c, "イノシシ", &["boar", "bears"]).await;
        if env.backend == "postgres" {
            assert!(took < ydx_catalog::search_index::LISTENED, "{took:?}");
        }
    }
}
