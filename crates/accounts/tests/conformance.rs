// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The accounts storage conformance suite: the same assertions on every available backend.

use ydx_accounts::*;
use ydx_storage::testing::test_databases;

fn org(id: &str, kind: OrgKind) -> Organization {
    Organization {
        id: id.into(),
        kind,
        name_ja: format!("{id}（日本語）"),
        name_en: id.into(),
        municipality_code: None,
        description: String::new(),
        created_at: String::new(),
    }
}

#[tokio::test]
async fn accounts_conformance() {
    for t in test_databases(&[migrations()]).await.unwrap() {
        let backend = t.db.backend().as_str();
        let accounts = Accounts::new(t.db.clone(), PasswordCost::TestOnly).unwrap();

        accounts
            .create_org(&org("yamaguchi-pref", OrgKind::Prefecture))
            .await
            .unwrap();
        accounts
            .create_org(&org("hagi-city", OrgKind::Municipality))
            .await
            .unwrap();
        assert!(
            matches!(
                accounts
                    .create_org(&org("hagi-city", OrgKind::Municipality))
                    .await,
                Err(AccountError::OrgExists(_))
            ),
            "{backend}"
        );
        assert!(matches!(
            accounts.create_org(&org("Bad Id", OrgKind::Other)).await,
            Err(AccountError::InvalidOrgId(_))
        ));
        assert_eq!(
            accounts
                .orgs(Some(OrgKind::Municipality))
                .await
                .unwrap()
                .len(),
            1
        );

        let u = accounts
            .create_user(
                "Staff@Hagi.example.jp",
                "萩 太郎",
                "long enough pw",
                UserKind::Staff,
            )
            .await
            .unwrap();
        assert_eq!(u.email, "staff@hagi.example.jp");
        assert!(
            matches!(
                accounts
                    .create_user(
                        "staff@hagi.example.jp",
                        "x",
                        "long enough pw",
                        UserKind::Staff
                    )
                    .await,
                Err(AccountError::EmailTaken)
            ),
            "{backend}"
        );
        assert!(matches!(
            accounts
                .create_user("new@example.jp", "x", "short", UserKind::Resident)
                .await,
            Err(AccountError::PasswordTooShort { .. })
        ));

        assert!(
            accounts
                .authenticate("staff@hagi.example.jp", "long enough pw")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            accounts
                .authenticate("staff@hagi.example.jp", "wrong password")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            accounts
                .authenticate("nobody@example.jp", "long enough pw")
                .await
                .unwrap()
                .is_none()
        );

        accounts
            .set_membership(&u.id, "hagi-city", Role::Staff)
            .await
            .unwrap();
        assert!(
            accounts
                .set_membership(&u.id, "no-such-org", Role::Staff)
                .await
                .is_err()
        );

        // Sessions: the cookie secret opens the session; the stored hash does not.
        let secret = accounts.create_session(&u.id).await.unwrap();
        let (p, csrf) = accounts.session(&secret).await.unwrap().unwrap();
        assert!(!csrf.is_empty());
        assert!(p.can_write("hagi-city") && !p.can_write("yamaguchi-pref"));
        assert!(
            accounts
                .session(&hash_secret(&secret))
                .await
                .unwrap()
                .is_none()
        );
        accounts.end_session(&secret).await.unwrap();
        assert!(accounts.session(&secret).await.unwrap().is_none());

        // API tokens: scoped, revocable.
        let (token_id, token) = accounts
            .create_token("hagi-city", &p, "ckanapi")
            .await
            .unwrap();
        let tp = accounts.token_principal(&token).await.unwrap().unwrap();
        assert!(tp.can_write("hagi-city"));
        assert!(matches!(tp.via, Via::Token { .. }));
        assert_eq!(accounts.tokens("hagi-city").await.unwrap().len(), 1);
        assert!(
            accounts
                .revoke_token("hagi-city", &token_id, &p)
                .await
                .unwrap()
        );
        assert!(accounts.token_principal(&token).await.unwrap().is_none());
        assert!(
            !accounts
                .revoke_token("hagi-city", &token_id, &p)
                .await
                .unwrap()
        );
        let log = accounts.audit_log(Some("hagi-city"), 10).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["revoke", "create"], "{backend}");
        assert!(
            !log.iter()
                .any(|e| e.after.as_ref().unwrap().to_string().contains(&token))
        );

        // Audit entries are written in the write's transaction; a rolled-back one leaves none.
        let mut tx = t.db.begin().await.unwrap();
        audit(
            &mut tx,
            &p,
            Some("hagi-city"),
            "update",
            "dataset",
            "d1",
            Some(&serde_json::json!({"title": "old"})),
            Some(&serde_json::json!({"title": "new"})),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        audit(
            &mut tx,
            &p,
            Some("hagi-city"),
            "delete",
            "dataset",
            "d2",
            None,
            None,
        )
        .await
        .unwrap();
        drop(tx);
        let log = accounts.audit_log(Some("hagi-city"), 10).await.unwrap();
        assert_eq!(log.len(), 3, "{backend}");
        assert_eq!(log[0].action, "update");
        assert_eq!(log[0].before.as_ref().unwrap()["title"], "old");
        assert!(
            accounts
                .audit_log(Some("yamaguchi-pref"), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
