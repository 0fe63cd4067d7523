use ydx_catalog::{
    CatalogError, DatasetFields, DatasetPatch, DatasetState, Frequency, SearchQuery,
};

use crate::{envs, fields};

#[tokio::test]
async fn create_update_patch_show() {
    for env in envs().await {
        let c = &env.catalog;
        let d = c
            .create_dataset(
                &env.yamaguchi,
                DatasetFields {
                    notes: "市内の**AED**の一覧".into(),
                    tags: vec!["AED".into(), "防災".into(), "防災 ".into()],
                    spatial: vec!["35203".into()],
                    temporal_start: Some("2024-04-01".into()),
                    temporal_end: Some("2025-03-31".into()),
                    frequency: Some(Frequency::Annual),
                    extras: vec![("更新担当".into(), "防災危機管理課".into())],
                    author_email: "bousai@city.yamaguchi.lg.jp".into(),
                    ..fields("aed-list", "AED設置箇所一覧")
                },
            )
            .await
            .unwrap();
        assert_eq!(d.state, DatasetState::Active);
        assert_eq!(
            d.tags,
            vec!["AED", "防災"],
            "tags are trimmed and deduplicated"
        );
        let shown = c.show(None, "aed-list").await.unwrap();
        assert_eq!(shown, d);
        assert_eq!(c.show(None, &d.id).await.unwrap().name, "aed-list");

        let mut f = DatasetFields::of(&d);
        f.title = "AED設置箇所一覧（山口市）".into();
        f.tags = vec!["AED".into()];
        let u = c
            .update_dataset(&env.yamaguchi, "aed-list", f)
            .await
            .unwrap();
        assert_eq!(u.tags, vec!["AED"]);
        assert_eq!(u.metadata_created, d.metadata_created);
        assert!(u.metadata_modified >= d.metadata_modified);

        let p = c
            .patch_dataset(
                &env.yamaguchi,
                "aed-list",
                DatasetPatch {
                    notes: Some("更新".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(p.notes, "更新");
        assert_eq!(
            p.title, "AED設置箇所一覧（山口市）",
            "patch keeps other fields"
        );

        // Another municipality's staff may not touch it.
        let err = c
            .patch_dataset(
                &env.hagi,
                "aed-list",
                DatasetPatch {
                    notes: Some("x".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, CatalogError::Forbidden(_)), "{err:?}");
        let err = c
            .create_dataset(&env.hagi, fields("hagi-into-yamaguchi", "x"))
            .await
            .unwrap_err();
        assert!(matches!(err, CatalogError::Forbidden(_)), "{err:?}");

        // Every write left an audit entry with before/after.
        let audits: Vec<(String, Option<String>)> = ydx_storage::with_db!(c.db(), |p| {
            sqlx::query_as(
                "SELECT action, before_json FROM audit_log WHERE entity_id = $1 ORDER BY id",
            )
            .bind(&d.id)
            .fetch_all(p)
            .await
            .unwrap()
        });
        let actions: Vec<&str> = audits.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            actions,
            vec!["dataset.create", "dataset.update", "dataset.update"],
            "{}",
            env.backend
        );
        assert!(
            audits[1]
                .1
                .as_deref()
                .unwrap_or("")
                .contains("AED設置箇所一覧")
        );
    }
}

#[tokio::test]
async fn validation_errors_per_field() {
    for env in envs().await {
        let c = &env.catalog;
        let err = c
            .create_dataset(
                &env.admin,
                DatasetFields {
                    name: "A".into(),
                    title: " ".into(),
                    owner_org: "no-such-org".into(),
                    license_id: "wtfpl".into(),
                    spatial: vec!["35203".into(), "13101".into()],
                    temporal_start: Some("2024-13-01".into()),
                    author_email: "not-an-email".into(),
                    groups: vec!["no-such-group".into()],
                    ..DatasetFields::default()
                },
            )
            .await
            .unwrap_err();
        let CatalogError::Validation(v) = err else {
            panic!("{err:?}")
        };
        for (field, code) in [
            ("name", "invalid_name"),
            ("title", "required"),
            ("owner_org", "unknown_organization"),
            ("license_id", "unknown_license"),
            ("spatial", "unknown_municipality"),
            ("temporal_start", "invalid_date"),
            ("author_email", "invalid_email"),
            ("groups", "unknown_group"),
        ] {
            assert!(v.has(field, code), "{field}/{code} missing in {v:?}");
        }
        c.create_dataset(&env.yamaguchi, fields("taken", "一つ目"))
            .await
            .unwrap();
        let err = c
            .create_dataset(&env.yamaguchi, fields("taken", "二つ目"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CatalogError::Validation(v) if v.has("name", "name_taken")),
            "{err:?}"
        );
        // Nothing of the refused writes was stored.
        let all = c
            .search(
                Some(&env.admin),
                &SearchQuery {
                    include_private: true,
                    include_drafts: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.count, 1);
    }
}

#[tokio::test]
async fn private_and_draft_visibility() {
    for env in envs().await {
        let c = &env.catalog;
        c.create_dataset(
            &env.yamaguchi,
            DatasetFields {
                private: true,
                ..fields("private-one", "非公開データ")
            },
        )
        .await
        .unwrap();
        c.create_dataset(
            &env.yamaguchi,
            DatasetFields {
                state: Some(DatasetState::Draft),
                ..fields("draft-one", "下書きデータ")
            },
        )
        .await
        .unwrap();
        c.create_dataset(&env.yamaguchi, fields("public-one", "公開データ"))
            .await
            .unwrap();
        for name in ["private-one", "draft-one"] {
            assert!(matches!(
                c.show(None, name).await,
                Err(CatalogError::NotFound { .. })
            ));
            assert!(c.show(Some(&env.hagi), name).await.is_err());
            assert!(c.show(Some(&env.resident), name).await.is_err());
            assert!(c.show(Some(&env.yamaguchi_viewer), name).await.is_ok());
            assert!(c.show(Some(&env.admin), name).await.is_ok());
        }
        let q = SearchQuery {
            include_private: true,
            include_drafts: true,
            ..Default::default()
        };
        assert_eq!(c.search(None, &q).await.unwrap().count, 1);
        assert_eq!(c.search(Some(&env.hagi), &q).await.unwrap().count, 1);
        assert_eq!(
            c.search(Some(&env.yamaguchi_viewer), &q)
                .await
                .unwrap()
                .count,
            3
        );
        assert_eq!(
            c.search(Some(&env.yamaguchi_viewer), &SearchQuery::default())
                .await
                .unwrap()
                .count,
            1
        );
        assert_eq!(c.package_list(None, 0).await.unwrap(), vec!["public-one"]);
        // Publishing a draft.
        c.patch_dataset(
            &env.yamaguchi,
            "draft-one",
            DatasetPatch {
                state: Some(DatasetState::Active),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(c.show(None, "draft-one").await.is_ok());
    }
}

#[tokio::test]
async fn soft_delete_and_undelete() {
    for env in envs().await {
        let c = &env.catalog;
        c.create_dataset(&env.yamaguchi, fields("to-delete", "削除されるデータ"))
            .await
            .unwrap();
        c.delete_dataset(&env.yamaguchi, "to-delete").await.unwrap();
        assert!(c.show(None, "to-delete").await.is_err());
        assert_eq!(
            c.show(Some(&env.yamaguchi), "to-delete")
                .await
                .unwrap()
                .state,
            DatasetState::Deleted
        );
        assert_eq!(
            c.search(
                None,
                &SearchQuery {
                    q: "削除".into(),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .count,
            0
        );
        assert!(c.package_list(None, 0).await.unwrap().is_empty());
        // Staff cannot undo; an admin of the organisation can.
        assert!(matches!(
            c.undelete_dataset(&env.yamaguchi, "to-delete").await,
            Err(CatalogError::Forbidden(_))
        ));
        let back = c
            .undelete_dataset(&env.yamaguchi_admin, "to-delete")
            .await
            .unwrap();
        assert_eq!(back.state, DatasetState::Active);
        assert_eq!(
            c.search(
                None,
                &SearchQuery {
                    q: "削除".into(),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .count,
            1
        );
        // The name stays taken while deleted (CKAN's behaviour), so links keep working after undo.
        c.delete_dataset(&env.admin, "to-delete").await.unwrap();
        assert!(
            c.create_dataset(&env.yamaguchi, fields("to-delete", "同名"))
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn groups_and_tags() {
    for env in envs().await {
        let c = &env.catalog;
        let g = ydx_catalog::Group {
            name: "bousai".into(),
            title_ja: "防災".into(),
            title_en: "Disaster prevention".into(),
            description: String::new(),
        };
        assert!(matches!(
            c.create_group(&env.yamaguchi, &g).await,
            Err(CatalogError::Forbidden(_))
        ));
        c.create_group(&env.admin, &g).await.unwrap();
        assert_eq!(c.group_list().await.unwrap(), vec![g.clone()]);
        c.create_dataset(
            &env.yamaguchi,
            DatasetFields {
                groups: vec!["bousai".into()],
                tags: vec!["防災".into(), "ＡＥＤ".into()],
                ..fields("g1", "防災データ")
            },
        )
        .await
        .unwrap();
        assert_eq!(
            c.group_counts().await.unwrap(),
            vec![("bousai".to_string(), 1)]
        );
        assert_eq!(c.tag_list(Some("aed")).await.unwrap(), vec!["ＡＥＤ"]);
        assert_eq!(
            c.organization_counts().await.unwrap(),
            vec![("yamaguchi-city".to_string(), 1)]
        );
    }
}
