//! Usage counts: views and downloads, the "most used" list, flushing, several processes.

use ydx_catalog::{DatasetFields, DatasetUsage, RecentUse};

use crate::{envs, fields};

#[tokio::test]
async fn counts_rank_and_survive_flushes() {
    for env in envs().await {
        let c = &env.catalog;
        let a = c
            .create_dataset(&env.yamaguchi, fields("aed", "AED設置箇所一覧"))
            .await
            .unwrap();
        let b = c
            .create_dataset(&env.yamaguchi, fields("hinan", "指定緊急避難場所一覧"))
            .await
            .unwrap();
        let secret = c
            .create_dataset(
                &env.yamaguchi,
                DatasetFields {
                    private: true,
                    ..fields("naibu", "内部資料")
                },
            )
            .await
            .unwrap();
        let unused = c
            .create_dataset(&env.yamaguchi, fields("unused", "未使用"))
            .await
            .unwrap();

        // b: 1 download 5 views; a: 3 views; secret: 9 downloads.
        for _ in 0..5 {
            c.count_view(&b.id);
        }
        c.count_download(&b.id);
        for _ in 0..3 {
            c.count_view(&a.id);
        }
        for _ in 0..9 {
            c.count_download(&secret.id);
        }

        let names = |list: &[(std::sync::Arc<ydx_catalog::Dataset>, RecentUse)]| {
            list.iter().map(|(d, _)| d.name.clone()).collect::<Vec<_>>()
        };
        // Pending counts are read before any flush; downloads rank before views.
        let anon = c.most_used(None, 5).await.unwrap();
        assert_eq!(names(&anon), ["hinan", "aed"], "{}", env.backend);
        assert_eq!(
            anon[0].1,
            RecentUse {
                views: 5,
                downloads: 1
            }
        );
        // The private dataset is listed only for its organisation.
        let own = c.most_used(Some(&env.yamaguchi), 5).await.unwrap();
        assert_eq!(names(&own), ["naibu", "hinan", "aed"]);
        assert_eq!(names(&c.most_used(None, 1).await.unwrap()), ["hinan"]);

        assert_eq!(c.flush_usage().await.unwrap(), 3);
        assert_eq!(c.flush_usage().await.unwrap(), 0, "nothing pending");
        let after = c.most_used(None, 5).await.unwrap();
        assert_eq!(after, anon, "a flush neither loses nor doubles counts");

        // More counts after the flush add to the stored ones.
        c.count_view(&b.id);
        let expect = DatasetUsage {
            views_recent: 6,
            downloads_recent: 1,
            views_total: 6,
            downloads_total: 1,
        };
        assert_eq!(c.dataset_usage(&b.id).await.unwrap(), expect);
        c.flush_usage().await.unwrap();
        assert_eq!(c.dataset_usage(&b.id).await.unwrap(), expect);
        assert_eq!(
            c.dataset_usage(&unused.id).await.unwrap(),
            DatasetUsage::default()
        );

        // Another process on the same database sees the flushed counts and adds its own.
        let (other, _dir) = crate::other_process(c);
        other.count_download(&a.id);
        other.count_download(&a.id);
        other.flush_usage().await.unwrap();
        assert_eq!(
            names(&c.most_used(None, 5).await.unwrap()),
            ["aed", "hinan"]
        );

        // A deleted dataset leaves the list.
        c.delete_dataset(&env.yamaguchi, "aed").await.unwrap();
        assert_eq!(names(&c.most_used(None, 5).await.unwrap()), ["hinan"]);
    }
}
