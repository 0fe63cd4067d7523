use ydx_catalog::{
    CatalogError, CatalogLimits, DatasetFields, ResourceFields, ResourceSource, TableQuery,
    TableSort, latest_resource,
};

use crate::{envs, envs_with, fields};

fn upload(name: &str, text: &str) -> ResourceSource {
    ResourceSource::Upload {
        bytes: text.as_bytes().to_vec(),
        filename: name.into(),
    }
}

const V1: &str = "番号,名称,人数,日付\n1,中央公民館,10,令和6年4月1日\n2,東小学校,20,令和6年5月1日\n3,西体育館,30,2024-06-01\n";
const V2: &str = "番号,名称,人数,日付\n1,中央公民館,10,令和6年4月1日\n2,東小学校,25,令和6年5月1日\n4,ＡＥＤ北分室,5,2024-07-01\n5,南図書館,1200,2024-08-01\n";

#[tokio::test]
async fn versions_change_and_download() {
    for env in envs().await {
        let c = &env.catalog;
        let d = c
            .create_dataset(&env.yamaguchi, fields("facilities", "公共施設一覧"))
            .await
            .unwrap();
        let r = c
            .add_resource(
                &env.yamaguchi,
                "facilities",
                ResourceFields::default(),
                upload("施設.csv", V1),
            )
            .await
            .unwrap();
        assert_eq!(
            (r.version, r.format.as_str(), r.name.as_str()),
            (1, "CSV", "施設.csv")
        );
        let t = r.table.clone().unwrap();
        assert_eq!(t.row_count, 3);
        let kinds: Vec<&str> = t.columns.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, vec!["integer", "text", "integer", "date"]);

        let r2 = c
            .upload_version(
                &env.yamaguchi,
                &r.id,
                V2.as_bytes().to_vec(),
                "施設_v2.csv",
                None,
            )
            .await
            .unwrap();
        assert_eq!(r2.version, 2);
        let versions = c.resource_versions(None, &r.id).await.unwrap();
        assert_eq!(versions.len(), 2);
        let ch = versions[0].change.clone().unwrap();
        assert_eq!(
            (ch.rows_added, ch.rows_removed, ch.rows_changed),
            (2, 1, 1),
            "keyed by 番号"
        );
        assert_eq!(versions[0].created_by.as_deref(), Some("ystaff"));
        let (v1, bytes) = c.resource_bytes(None, &r.id, Some(1)).await.unwrap();
        assert_eq!((v1.version, bytes.as_slice()), (1, V1.as_bytes()));
        assert_eq!(
            c.resource_bytes(None, &r.id, None).await.unwrap().1,
            V2.as_bytes()
        );

        // Column names are searchable.
        let found = c
            .search(
                None,
                &ydx_catalog::SearchQuery {
                    q: "人数".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.count, 1);

        // A file that cannot be read changes nothing.
        let before = c.show(None, &d.id).await.unwrap();
        let err = c
            .upload_version(
                &env.yamaguchi,
                &r.id,
                "番号,名称\n1,a\n2,b,c\n".as_bytes().to_vec(),
                "bad.csv",
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CatalogError::BadFile { line: 3, message } if message.contains("3行目")),
            "{err:?}"
        );
        let err = c
            .add_resource(
                &env.yamaguchi,
                "facilities",
                ResourceFields::default(),
                ResourceSource::Upload {
                    bytes: vec![b'a', b',', 0x82, 0xff, b'\n'],
                    filename: "x.csv".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, CatalogError::BadFile { line: 1, .. }),
            "{err:?}"
        );
        assert_eq!(c.show(None, &d.id).await.unwrap(), before);
        assert_eq!(c.resource_versions(None, &r.id).await.unwrap().len(), 2);

        // The data API over the current version.
        let res = c
            .table_query(
                None,
                &r.id,
                &TableQuery {
                    sort: Some(TableSort {
                        column: "人数".into(),
                        descending: true,
                    }),
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(res.total, 4);
        assert_eq!(
            res.records[0]["人数"],
            serde_json::json!(1200),
            "numeric sort, numbers as numbers"
        );
        assert_eq!(res.records[1]["人数"], serde_json::json!(25));
        let res = c
            .table_query(
                None,
                &r.id,
                &TableQuery {
                    q: Some("aed".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(res.total, 1, "q matches full-width ＡＥＤ");
        let res = c
            .table_query(
                None,
                &r.id,
                &TableQuery {
                    filters: vec![("名称".into(), "東小学校".into())],
                    fields: Some(vec!["名称".into()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(res.total, 1);
        assert_eq!(res.fields.len(), 2, "_id and 名称");
        let res = c
            .table_query(
                None,
                &r.id,
                &TableQuery {
                    sort: TableSort::parse("日付 asc"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            res.records[0]["名称"], "中央公民館",
            "和暦 dates sort as dates"
        );
        assert!(matches!(
            c.table_query(
                None,
                &r.id,
                &TableQuery {
                    sort: TableSort::parse("nope"),
                    ..Default::default()
                }
            )
            .await,
            Err(CatalogError::BadQuery(_))
        ));
    }
}

#[tokio::test]
async fn limits_links_and_shift_jis() {
    for env in envs_with(CatalogLimits {
        max_upload_bytes: 64,
        ..Default::default()
    })
    .await
    {
        let c = &env.catalog;
        c.create_dataset(&env.yamaguchi, fields("misc", "その他"))
            .await
            .unwrap();
        let err = c
            .add_resource(
                &env.yamaguchi,
                "misc",
                ResourceFields::default(),
                upload("big.csv", &"a,b\n".repeat(40)),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CatalogError::TooLarge {
                    limit: 64,
                    size: 160
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("64"));
        let link = c
            .add_resource(
                &env.yamaguchi,
                "misc",
                ResourceFields {
                    name: "市のページ".into(),
                    ..Default::default()
                },
                ResourceSource::Link {
                    url: "https://www.city.yamaguchi.lg.jp/data.pdf".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (link.format.as_str(), link.url_type.as_str(), link.version),
            ("PDF", "", 0)
        );
        let bad = c
            .add_resource(
                &env.yamaguchi,
                "misc",
                ResourceFields::default(),
                ResourceSource::Link {
                    url: "javascript:alert(1)".into(),
                },
            )
            .await;
        assert!(matches!(bad, Err(CatalogError::Validation(_))));
        let sjis = encoding_rs::SHIFT_JIS
            .encode("名称,数\n萩,1\n")
            .0
            .into_owned();
        let r = c
            .add_resource(
                &env.yamaguchi,
                "misc",
                ResourceFields::default(),
                ResourceSource::Upload {
                    bytes: sjis,
                    filename: "sjis.csv".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(r.table.unwrap().encoding, "shift_jis");
        assert_eq!(c.show(None, "misc").await.unwrap().resources.len(), 2);
        c.delete_resource(&env.yamaguchi, &link.id).await.unwrap();
        assert_eq!(c.show(None, "misc").await.unwrap().resources.len(), 1);
        assert!(c.resource(None, &link.id).await.is_err());
    }
}

#[tokio::test]
async fn series_latest_and_combined_query() {
    for env in envs().await {
        let c = &env.catalog;
        c.create_dataset(
            &env.yamaguchi,
            DatasetFields {
                series: true,
                ..fields("bears", "ツキノワグマ出没情報")
            },
        )
        .await
        .unwrap();
        for (fy, rows) in [
            ("2023", "1,2023-05-01,目撃\n2,2023-06-01,痕跡\n"),
            ("2024", "1,2024-05-01,目撃\n"),
            ("2022", "1,2022-09-01,目撃\n"),
        ] {
            c.add_resource(
                &env.yamaguchi,
                "bears",
                ResourceFields {
                    name: format!("{fy}年度"),
                    period: Some(fy.into()),
                    ..Default::default()
                },
                upload("bears.csv", &format!("番号,出没日,状況\n{rows}")),
            )
            .await
            .unwrap();
        }
        let d = c.show(None, "bears").await.unwrap();
        assert_eq!(latest_resource(&d).unwrap().period.as_deref(), Some("2024"));
        let all = c
            .series_table_query(None, "bears", &TableQuery::default())
            .await
            .unwrap();
        assert_eq!(all.total, 4);
        assert_eq!(all.fields[1].name, "period");
        assert_eq!(all.records[0]["period"], "2022");
        let seen = c
            .series_table_query(
                None,
                "bears",
                &TableQuery {
                    filters: vec![("状況".into(), "目撃".into())],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(seen.total, 3);
    }
}
