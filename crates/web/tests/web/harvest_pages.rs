//! The administrators' harvest pages: who may see and change which source, the form to add
//! one with its errors in the reader's language, pause/resume, "run now" (a request the
//! server's scheduler honours), a run's report on the source's page, the form that changes
//! a source's settings and the page that deletes it.

use std::future::Future;

use serde_json::{Value, json};
use ydx_accounts::{Principal, Role, UserKind};
use ydx_catalog::harvest::{self, CkanClient, NewHarvestSource, PageRequest, SearchPage};

use crate::util::*;

const HAGI_ADMIN: &str = "staff@hagi.example";
const HAGI_EDITOR: &str = "editor@hagi.example";
const YAMAGUCHI_ADMIN: &str = "admin@yamaguchi.example";
const PREF_ADMIN: &str = "admin@pref.example";
const RESIDENT: &str = "resident@example.jp";

async fn principal(app: &TestApp, email: &str) -> Principal {
    let user = app
        .state
        .accounts
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap();
    let memberships = app.state.accounts.memberships(&user.id).await.unwrap();
    Principal {
        user,
        memberships,
        via: ydx_accounts::Via::Session,
    }
}

/// The test app with a prefecture admin, an admin of 山口市 and a non-admin staff member of
/// 萩市 besides the admin of 萩市, and one source each for 萩市 and 山口市.
async fn harvest_app() -> TestApp {
    let app = app().await;
    for (email, org, role) in [
        (HAGI_EDITOR, "hagi-city", Role::Staff),
        (YAMAGUCHI_ADMIN, "yamaguchi-city", Role::Admin),
        (PREF_ADMIN, "yamaguchi-pref", Role::Admin),
    ] {
        let u = app
            .state
            .accounts
            .create_user(email, email, PASSWORD, UserKind::Staff)
            .await
            .unwrap();
        app.state
            .accounts
            .set_membership(&u.id, org, role)
            .await
            .unwrap();
    }
    for (email, id, org) in [
        (HAGI_ADMIN, "hagi-src", "hagi-city"),
        (YAMAGUCHI_ADMIN, "yama-src", "yamaguchi-city"),
    ] {
        add_source(&app, email, id, org).await;
    }
    app
}

/// Adds the source `id` into `org` as `email`: named `{id} の取り込み元`, at
/// `https://{id}.example.jp`, filtered on `organization:{id}`, every two hours.
async fn add_source(app: &TestApp, email: &str, id: &str, org: &str) {
    let p = principal(app, email).await;
    app.catalog
        .create_harvest_source(
            &p,
            NewHarvestSource {
                id: id.into(),
                name: format!("{id} の取り込み元"),
                url: format!("https://{id}.example.jp"),
                target_org: org.into(),
                filter: Some(format!("organization:{id}")),
                schedule_minutes: 120,
                enabled: true,
            },
        )
        .await
        .unwrap();
}

/// A form's fields: `good` with the values of `changes` in place of theirs (or added).
fn with<'a>(
    good: &[(&'a str, &'a str)],
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = good.to_vec();
    for (k, v) in changes {
        match f.iter_mut().find(|(fk, _)| fk == k) {
            Some(pair) => pair.1 = v,
            None => f.push((k, v)),
        }
    }
    f
}

async fn page(app: &TestApp, uri: &str, cookies: &str) -> (u16, String) {
    let (s, body, _) = app.get_with(uri, &[("cookie", cookies)]).await;
    (s, body)
}

#[tokio::test]
async fn only_administrators_see_and_change_their_organisations_sources() {
    let app = harvest_app().await;

    // Visitors are sent to sign in, and come back.
    for uri in [
        "/staff/catalog/harvest",
        "/staff/catalog/harvest/new",
        "/staff/catalog/harvest/hagi-src",
        "/staff/catalog/harvest/hagi-src/edit",
        "/staff/catalog/harvest/hagi-src/delete",
    ] {
        let (s, _, res) = app.get(uri).await;
        assert_eq!(s, 303, "{uri}");
        let to = res.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/signin?back="), "{to}");
    }
    for action in ["run", "edit", "delete"] {
        let (s, _, res) = app
            .post_form(
                &format!("/staff/catalog/harvest/hagi-src/{action}"),
                &[],
                "",
            )
            .await;
        assert_eq!(s, 303, "{action}");
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/signin"),
            "{action}"
        );
    }

    // Residents, and staff who administer nothing, are refused.
    for email in [RESIDENT, HAGI_EDITOR] {
        let cookies = app.sign_in(email).await;
        for uri in [
            "/staff/catalog/harvest",
            "/staff/catalog/harvest/new",
            "/staff/catalog/harvest/hagi-src",
            "/staff/catalog/harvest/hagi-src/edit",
            "/staff/catalog/harvest/hagi-src/delete",
        ] {
            assert_eq!(page(&app, uri, &cookies).await.0, 403, "{email} {uri}");
        }
        for action in ["pause", "resume", "run", "edit", "delete"] {
            let (s, _, _) = app
                .post_form(
                    &format!("/staff/catalog/harvest/hagi-src/{action}"),
                    &[("_csrf", "any")],
                    &cookies,
                )
                .await;
            assert_eq!(s, 403, "{email} {action}");
        }
    }
    let hagi = app.catalog.harvest_source_status("hagi-src").await.unwrap();
    assert!(hagi.source.enabled && hagi.run_requested.is_none());
    // Staff who administer nothing are not offered the pages they would be refused.
    let cookies = app.sign_in(HAGI_EDITOR).await;
    let (s, staff) = page(&app, "/staff", &cookies).await;
    assert_eq!(s, 200);
    assert!(staff.contains("href=\"/staff/catalog\""));
    assert!(!staff.contains("href=\"/staff/catalog/harvest\""));

    // The admin of 萩市 sees 萩市's source only, and cannot reach 山口市's.
    let cookies = app.sign_in(HAGI_ADMIN).await;
    let (s, list) = page(&app, "/staff/catalog/harvest", &cookies).await;
    assert_eq!(s, 200);
    assert!(list.contains("href=\"/staff/catalog/harvest/hagi-src\""));
    assert!(list.contains("https://hagi-src.example.jp"));
    assert!(list.contains("organization:hagi-src"));
    assert!(list.contains("2 時間ごと"));
    assert!(list.contains("定期実行中"));
    assert!(list.contains("まだ実行されていません。"));
    assert!(list.contains("<caption"));
    assert!(!list.contains("yama-src"));
    assert_eq!(
        page(&app, "/staff/catalog/harvest/yama-src", &cookies)
            .await
            .0,
        403
    );
    assert_eq!(
        page(&app, "/staff/catalog/harvest/no-such", &cookies)
            .await
            .0,
        404
    );
    for uri in [
        "/staff/catalog/harvest/yama-src/edit",
        "/staff/catalog/harvest/yama-src/delete",
    ] {
        assert_eq!(page(&app, uri, &cookies).await.0, 403, "{uri}");
    }
    for uri in [
        "/staff/catalog/harvest/no-such/edit",
        "/staff/catalog/harvest/no-such/delete",
    ] {
        assert_eq!(page(&app, uri, &cookies).await.0, 404, "{uri}");
    }
    let (_, own) = page(&app, "/staff/catalog/harvest/hagi-src", &cookies).await;
    let csrf = csrf_in(&own);
    for (action, form) in [
        ("pause", vec![]),
        ("resume", vec![]),
        ("run", vec![]),
        (
            "edit",
            vec![
                ("name", "乗っ取り"),
                ("url", "https://evil.example.jp"),
                ("every", "1"),
                ("unit", "days"),
            ],
        ),
        ("delete", vec![("datasets", "remove")]),
    ] {
        let mut form = form;
        form.push(("_csrf", &csrf));
        let (s, _, _) = app
            .post_form(
                &format!("/staff/catalog/harvest/yama-src/{action}"),
                &form,
                &cookies,
            )
            .await;
        assert_eq!(s, 403, "{action}");
    }
    let yama = app.catalog.harvest_source_status("yama-src").await.unwrap();
    assert!(yama.source.enabled && yama.run_requested.is_none());
    assert_eq!(yama.source.url, "https://yama-src.example.jp");
    let (_, staff) = page(&app, "/staff", &cookies).await;
    assert!(staff.contains("href=\"/staff/catalog/harvest\""));

    // The prefecture's admin sees every source, and the staff area links to the pages.
    let cookies = app.sign_in(PREF_ADMIN).await;
    let (_, list) = page(&app, "/staff/catalog/harvest", &cookies).await;
    assert!(list.contains("hagi-src") && list.contains("yama-src"));
    assert_eq!(
        page(&app, "/staff/catalog/harvest/yama-src", &cookies)
            .await
            .0,
        200
    );
    let (_, staff) = page(&app, "/staff", &cookies).await;
    assert!(staff.contains("href=\"/staff/catalog/harvest\""));
}

#[tokio::test]
async fn a_source_is_added_through_the_form_and_mistakes_are_explained() {
    let app = harvest_app().await;
    let cookies = app.sign_in(HAGI_ADMIN).await;
    let (s, form) = page(&app, "/staff/catalog/harvest/new", &cookies).await;
    assert_eq!(s, 200);
    // Only the organisations the admin administers are offered (萩市 alone: chosen).
    assert!(form.contains("<option value=\"hagi-city\" selected>"));
    assert!(!form.contains("value=\"yamaguchi-city\""));
    assert!(form.contains("<label for=\"f-url\">"));
    let csrf = csrf_in(&form);
    let good = [
        ("_csrf", csrf.as_str()),
        ("id", "nb-pref"),
        ("name", "隣県のオープンデータ"),
        ("url", "https://opendata.example.lg.jp/"),
        ("target_org", "hagi-city"),
        ("filter", "organization:hagi-city"),
        ("every", "2"),
        ("unit", "hours"),
    ];
    let with = |changes: &[(&'static str, &'static str)]| with(&good, changes);
    let count = || async { app.catalog.harvest_sources().await.unwrap().len() };
    let before = count().await;

    // Each mistake: the form again (422), the message in Japanese next to the field, what
    // was typed kept, and nothing stored.
    for (changes, message, field) in [
        (
            &[("url", "ftp://opendata.example.lg.jp")][..],
            "http:// または https:// で始まる URL を入力してください。",
            "url",
        ),
        (
            &[("id", "Bad ID")][..],
            "半角の小文字英数字・ハイフン・アンダースコアで2〜40文字にしてください。",
            "id",
        ),
        (
            &[("id", "hagi-src")][..],
            "この ID の取り込み元は既にあります。別の ID にしてください。",
            "id",
        ),
        (
            &[("id", "new")][..],
            "この ID の取り込み元は既にあります。別の ID にしてください。",
            "id",
        ),
        (
            &[("target_org", "no-such-org")][..],
            "一覧にある組織を選んでください。",
            "target_org",
        ),
        (
            &[("target_org", "")][..],
            "一覧にある組織を選んでください。",
            "target_org",
        ),
        (
            &[("target_org", "yamaguchi-city")][..],
            "この組織の管理者ではないため、取り込み先にできません。",
            "target_org",
        ),
        (
            &[("every", "0")][..],
            "1分から1年（527,040分）までの間隔を、数字で入力してください。",
            "schedule_minutes",
        ),
        (
            &[("every", "400"), ("unit", "days")][..],
            "1分から1年（527,040分）までの間隔を、数字で入力してください。",
            "schedule_minutes",
        ),
        (
            &[("every", "毎日")][..],
            "1分から1年（527,040分）までの間隔を、数字で入力してください。",
            "schedule_minutes",
        ),
        (&[("name", " ")][..], "入力してください", "name"),
    ] {
        let form = with(changes);
        let (s, body, _) = app
            .post_form("/staff/catalog/harvest/new", &form, &cookies)
            .await;
        assert_eq!(s, 422, "{changes:?}: {body}");
        assert!(body.contains(message), "{changes:?}: {message}");
        assert!(
            body.contains(&format!("id=\"{field}-error\"")),
            "{changes:?}: error next to {field}"
        );
        assert!(body.contains("aria-invalid=\"true\""));
        assert!(
            body.contains("href=\"#f-"),
            "error summary links to the field"
        );
        assert!(body.contains("value=\"隣県のオープンデータ\"") || field == "name");
        assert_eq!(count().await, before, "{changes:?}: nothing stored");
    }

    // Several at once: all said, in the order of the form, above it.
    let form = with(&[("id", "X"), ("url", "x"), ("name", "")]);
    let (s, body, _) = app
        .post_form("/staff/catalog/harvest/new", &form, &cookies)
        .await;
    assert_eq!(s, 422);
    let at = |href: &str| body.find(&format!("<li><a href=\"{href}\">")).unwrap();
    assert!(at("#f-name") < at("#f-id") && at("#f-id") < at("#f-url"));
    assert_eq!(count().await, before);

    // In English too.
    let form = with(&[("url", "not a url")]);
    let req = axum::http::Request::post("/staff/catalog/harvest/new")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("{cookies}; ydx_lang=en"))
        .body(axum::body::Body::from(
            serde_urlencoded::to_string(&form).unwrap(),
        ))
        .unwrap();
    let (s, body, _) = split(app.send(req).await).await;
    assert_eq!(s, 422);
    assert!(body.contains("Enter a URL starting with http:// or https://."));

    // A forged token is refused.
    let (s, _, _) = app
        .post_form(
            "/staff/catalog/harvest/new",
            &with(&[("_csrf", "forged")]),
            &cookies,
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(count().await, before);

    // Right, it is stored and the admin lands on its page.
    let (s, _, res) = app
        .post_form("/staff/catalog/harvest/new", &good, &cookies)
        .await;
    assert_eq!(s, 303);
    assert_eq!(
        res.headers()["location"],
        "/staff/catalog/harvest/nb-pref?done=created"
    );
    let src = app.catalog.harvest_source("nb-pref").await.unwrap();
    assert_eq!(src.url, "https://opendata.example.lg.jp");
    assert_eq!(src.schedule_minutes, 120);
    assert_eq!(src.filter.as_deref(), Some("organization:hagi-city"));
    assert!(src.enabled);
    let admin = principal(&app, HAGI_ADMIN).await;
    assert_eq!(src.created_by, admin.user.id);
    let (s, body) = page(
        &app,
        "/staff/catalog/harvest/nb-pref?done=created",
        &cookies,
    )
    .await;
    assert_eq!(s, 200);
    assert!(body.contains("取り込み元を追加しました。"));
    assert!(body.contains("<h1>隣県のオープンデータ</h1>"));
    assert!(body.contains("2 時間ごと"));
    assert!(
        body.contains("<dt>次の予定</dt><dd>次の巡回（1分以内）</dd>"),
        "never ran: due now"
    );
    let log = app
        .state
        .accounts
        .audit_log(Some("hagi-city"), 1)
        .await
        .unwrap();
    assert_eq!(log[0].action, "harvest_source.create");

    // Added paused, in days.
    let paused = with(&[
        ("id", "nb-paused"),
        ("every", "１"),
        ("unit", "days"),
        ("paused", "1"),
    ]);
    let (s, _, _) = app
        .post_form("/staff/catalog/harvest/new", &paused, &cookies)
        .await;
    assert_eq!(s, 303);
    let src = app.catalog.harvest_source("nb-paused").await.unwrap();
    assert!(!src.enabled);
    assert_eq!(src.schedule_minutes, 1440);
}

#[tokio::test]
async fn pause_resume_and_run_now_are_posted_and_audited() {
    let app = harvest_app().await;
    let cookies = app.sign_in(HAGI_ADMIN).await;
    let uri = "/staff/catalog/harvest/hagi-src";
    let (_, body) = page(&app, uri, &cookies).await;
    let csrf = csrf_in(&body);
    assert!(body.contains(&format!("action=\"{uri}/pause\"")));
    assert!(body.contains(&format!("action=\"{uri}/run\"")));
    assert!(!body.contains(&format!("action=\"{uri}/resume\"")));
    let audits = || async {
        app.state
            .accounts
            .audit_log(Some("hagi-city"), 1000)
            .await
            .unwrap()
    };
    let n = audits().await.len();

    // A forged token changes nothing.
    for action in ["pause", "resume", "run"] {
        let (s, _, _) = app
            .post_form(&format!("{uri}/{action}"), &[("_csrf", "forged")], &cookies)
            .await;
        assert_eq!(s, 400, "{action}");
    }
    assert_eq!(audits().await.len(), n);

    // Pause.
    let (s, _, res) = app
        .post_form(&format!("{uri}/pause"), &[("_csrf", &csrf)], &cookies)
        .await;
    assert_eq!(s, 303);
    assert_eq!(res.headers()["location"], format!("{uri}?done=paused"));
    assert!(
        !app.catalog
            .harvest_source("hagi-src")
            .await
            .unwrap()
            .enabled
    );
    let (_, body) = page(&app, &format!("{uri}?done=paused"), &cookies).await;
    assert!(body.contains("定期実行を一時停止しました。"));
    assert!(body.contains("一時停止中"));
    assert!(body.contains("なし（一時停止中）"));
    assert!(body.contains(&format!("action=\"{uri}/resume\"")));
    assert_eq!(audits().await[0].action, "harvest_source.update");
    // 山口市's source never ran, so it is due; 萩市's paused one is not.
    let due = app.catalog.due_harvest_sources().await.unwrap();
    assert!(due.iter().all(|s| s.id != "hagi-src"));

    // Run now, while paused: queued for the scheduler, which sees it as due.
    let (s, _, res) = app
        .post_form(&format!("{uri}/run"), &[("_csrf", &csrf)], &cookies)
        .await;
    assert_eq!(s, 303);
    assert_eq!(res.headers()["location"], format!("{uri}?done=queued"));
    let due = app.catalog.due_harvest_sources().await.unwrap();
    assert!(due.iter().any(|s| s.id == "hagi-src"));
    assert_eq!(audits().await[0].action, "harvest_source.request_run");
    let (_, body) = page(&app, &format!("{uri}?done=queued"), &cookies).await;
    assert!(body.contains("実行を予約しました。"));
    assert!(body.contains("実行待ち"));
    assert!(body.contains("に実行を予約しました。1分以内に始まります。"));
    let (_, list) = page(&app, "/staff/catalog/harvest", &cookies).await;
    assert!(list.contains("実行待ち"));

    // Resume.
    let (s, _, res) = app
        .post_form(&format!("{uri}/resume"), &[("_csrf", &csrf)], &cookies)
        .await;
    assert_eq!(s, 303);
    assert_eq!(res.headers()["location"], format!("{uri}?done=resumed"));
    assert!(
        app.catalog
            .harvest_source("hagi-src")
            .await
            .unwrap()
            .enabled
    );
    let (_, body) = page(&app, &format!("{uri}?done=resumed"), &cookies).await;
    assert!(body.contains("定期実行を再開しました。"));
    assert_eq!(audits().await.len(), n + 3);

    // Unknown source: not found.
    let (s, _, _) = app
        .post_form(
            "/staff/catalog/harvest/no-such/run",
            &[("_csrf", &csrf)],
            &cookies,
        )
        .await;
    assert_eq!(s, 404);
}

/// A CKAN catalog in memory with two datasets, one of which cannot be taken in.
struct TwoDatasets;

impl CkanClient for TwoDatasets {
    fn package_search(
        &self,
        page: &PageRequest,
    ) -> impl Future<Output = Result<SearchPage, String>> + Send {
        let all: Vec<Value> = vec![
            json!({"id": "r-1", "name": "Bad Name", "title": "名前が不正"}),
            json!({"id": "r-2", "name": "good-data", "title": "取り込まれるデータ",
                   "license_id": "cc-by-4.0", "resources": []}),
        ];
        let result = SearchPage {
            count: all.len(),
            results: all.into_iter().skip(page.start).take(page.rows).collect(),
        };
        async move { Ok(result) }
    }
}

#[tokio::test]
async fn a_runs_report_lists_what_was_added_and_what_failed_with_why() {
    let app = harvest_app().await;
    let report = harvest::run(&app.catalog, &TwoDatasets, "hagi-src")
        .await
        .unwrap();
    assert_eq!((report.added.len(), report.failed.len()), (1, 1));
    let cookies = app.sign_in(HAGI_ADMIN).await;

    let (_, list) = page(&app, "/staff/catalog/harvest", &cookies).await;
    assert!(list.contains("追加 1・更新 0・削除 0・失敗 1"));
    assert!(!list.contains("まだ実行されていません。"));

    let (s, body) = page(&app, "/staff/catalog/harvest/hagi-src", &cookies).await;
    assert_eq!(s, 200);
    assert!(body.contains("実行履歴"));
    assert!(body.contains("追加 1・更新 0・削除 0・失敗 1"));
    assert!(body.contains("<a href=\"/dataset/good-data\">good-data</a>"));
    assert!(body.contains("<th scope=\"row\">Bad Name</th>"));
    assert!(report.failed[0].message.contains("not a usable name"));
    assert!(body.contains("not a usable name"));
    // The latest run's failures are open; every list has a caption.
    assert!(body.contains("<details open>"));
    assert!(body.matches("<caption").count() >= 2);
    // Next run: two hours after this one.
    assert!(
        body.contains("<dt>次の予定</dt><dd>20"),
        "a time, not due now"
    );

    // English and easy Japanese.
    let (_, body, _) = app
        .get_with(
            "/staff/catalog/harvest/hagi-src",
            &[("cookie", &format!("{cookies}; ydx_lang=en"))],
        )
        .await;
    assert!(body.contains("Run history"));
    assert!(body.contains("added 1, updated 0, removed 0, failed 1"));
    assert!(body.contains("every 2 h"));
    let (_, body, _) = app
        .get_with(
            "/staff/catalog/harvest/hagi-src",
            &[("cookie", &format!("{cookies}; ydx_lang=ja-easy"))],
        )
        .await;
    assert!(body.contains("とりこみの きろく"));
}

/// The audit entries of 萩市, newest first.
async fn hagi_audits(app: &TestApp) -> Vec<ydx_accounts::AuditEntry> {
    app.state
        .accounts
        .audit_log(Some("hagi-city"), 1000)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sources_settings_are_changed_through_the_form_and_mistakes_are_explained() {
    let app = harvest_app().await;
    let cookies = app.sign_in(HAGI_ADMIN).await;
    let uri = "/staff/catalog/harvest/hagi-src/edit";
    let before = app.catalog.harvest_source("hagi-src").await.unwrap();

    // The source's page links to the form, which shows the settings as they are.
    let (_, body) = page(&app, "/staff/catalog/harvest/hagi-src", &cookies).await;
    assert!(body.contains(&format!("href=\"{uri}\"")));
    assert!(body.contains("href=\"/staff/catalog/harvest/hagi-src/delete\""));
    let (s, form) = page(&app, uri, &cookies).await;
    assert_eq!(s, 200);
    assert!(form.contains("<h1>取り込み元の設定の変更</h1>"));
    assert!(form.contains(&format!("action=\"{uri}\"")));
    assert!(form.contains("value=\"hagi-src の取り込み元\""));
    assert!(form.contains("value=\"https://hagi-src.example.jp\""));
    assert!(form.contains("value=\"organization:hagi-src\""));
    assert!(
        form.contains("name=\"every\" type=\"text\" inputmode=\"numeric\" size=\"8\" value=\"2\"")
    );
    assert!(form.contains("<option value=\"hours\" selected>"));
    // The id and the organisation are shown, not offered for change, and it says why.
    assert!(form.contains("<dd>hagi-src</dd>") && form.contains("<dd>hagi-city</dd>"));
    assert!(!form.contains("id=\"f-id\"") && !form.contains("id=\"f-target_org\""));
    assert!(form.contains("取り込み先の組織は変更できません。"));
    assert!(form.contains("新しい取り込み元を追加してください。"));
    assert!(!form.contains("id=\"f-paused\""));
    let csrf = csrf_in(&form);
    let good = [
        ("_csrf", csrf.as_str()),
        ("name", " 萩市の新しい取り込み元 "),
        ("url", "https://new.example.jp/ckan/"),
        ("filter", ""),
        ("every", "3"),
        ("unit", "days"),
        // Not editable: ignored if sent.
        ("target_org", "yamaguchi-city"),
        ("id", "other-id"),
    ];
    let with = |changes: &[(&'static str, &'static str)]| with(&good, changes);
    let n = hagi_audits(&app).await.len();

    // Each mistake: the form again (422), the message next to the field, what was typed
    // kept, and nothing stored.
    for (changes, message, field) in [
        (
            &[("url", "ftp://new.example.jp")][..],
            "http:// または https:// で始まる URL を入力してください。",
            "url",
        ),
        (&[("name", " ")][..], "入力してください", "name"),
        (
            &[("every", "0")][..],
            "1分から1年（527,040分）までの間隔を、数字で入力してください。",
            "schedule_minutes",
        ),
        (
            &[("every", "２年")][..],
            "1分から1年（527,040分）までの間隔を、数字で入力してください。",
            "schedule_minutes",
        ),
    ] {
        let (s, body, _) = app.post_form(uri, &with(changes), &cookies).await;
        assert_eq!(s, 422, "{changes:?}: {body}");
        assert!(body.contains(message), "{changes:?}: {message}");
        assert!(
            body.contains(&format!("id=\"{field}-error\"")),
            "{changes:?}: error next to {field}"
        );
        assert!(body.contains(&format!("<li><a href=\"#f-{field}\">")));
        assert!(body.contains("aria-invalid=\"true\""));
        assert!(body.contains("<dd>hagi-city</dd>"), "still the edit form");
        assert!(body.contains("value=\"https://new.example.jp/ckan/\"") || field == "url");
        assert_eq!(
            app.catalog.harvest_source("hagi-src").await.unwrap(),
            before
        );
        assert_eq!(hagi_audits(&app).await.len(), n);
    }

    // Several at once: all said, in the order of the form.
    let (s, body, _) = app
        .post_form(
            uri,
            &with(&[("every", "x"), ("url", "x"), ("name", "")]),
            &cookies,
        )
        .await;
    assert_eq!(s, 422);
    let at = |href: &str| body.find(&format!("<li><a href=\"{href}\">")).unwrap();
    assert!(at("#f-name") < at("#f-url") && at("#f-url") < at("#f-schedule_minutes"));
    // The page's breadcrumb keeps the stored name even when the typed one is empty.
    assert!(body.contains(">hagi-src の取り込み元</a></p>"));

    // In English and in easy Japanese too.
    for (lang, message) in [
        ("en", "Enter a URL starting with http:// or https://."),
        (
            "ja-easy",
            "http:// か https:// で はじまる URL を かいて ください。",
        ),
    ] {
        let req = axum::http::Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("{cookies}; ydx_lang={lang}"))
            .body(axum::body::Body::from(
                serde_urlencoded::to_string(with(&[("url", "not a url")])).unwrap(),
            ))
            .unwrap();
        let (s, body, _) = split(app.send(req).await).await;
        assert_eq!(s, 422, "{lang}");
        assert!(body.contains(message), "{lang}");
    }
    let (_, body, _) = app
        .get_with(uri, &[("cookie", &format!("{cookies}; ydx_lang=en"))])
        .await;
    assert!(body.contains("<h1>Edit the harvest source</h1>"));
    assert!(body.contains("The target organisation cannot be changed"));

    // A forged token changes nothing.
    let (s, _, _) = app
        .post_form(uri, &with(&[("_csrf", "forged")]), &cookies)
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        app.catalog.harvest_source("hagi-src").await.unwrap(),
        before
    );
    assert_eq!(hagi_audits(&app).await.len(), n);

    // Right: saved, audited with the old and new values, and the page says so.
    let (s, _, res) = app.post_form(uri, &good, &cookies).await;
    assert_eq!(s, 303);
    assert_eq!(
        res.headers()["location"],
        "/staff/catalog/harvest/hagi-src?done=saved"
    );
    let after = app.catalog.harvest_source("hagi-src").await.unwrap();
    assert_eq!(after.name, "萩市の新しい取り込み元");
    assert_eq!(after.url, "https://new.example.jp/ckan");
    assert_eq!(after.filter, None);
    assert_eq!(after.schedule_minutes, 3 * 1440);
    assert_eq!(
        (after.id.as_str(), after.target_org.as_str()),
        ("hagi-src", "hagi-city")
    );
    assert_eq!(
        (after.enabled, &after.created_by),
        (before.enabled, &before.created_by)
    );
    let log = hagi_audits(&app).await;
    assert_eq!(log.len(), n + 1);
    assert_eq!(log[0].action, "harvest_source.update");
    assert_eq!(log[0].actor_label, HAGI_ADMIN);
    assert_eq!(
        log[0].before,
        Some(json!({
            "name": "hagi-src の取り込み元",
            "url": "https://hagi-src.example.jp",
            "filter": "organization:hagi-src",
            "schedule_minutes": 120,
        }))
    );
    assert_eq!(
        log[0].after,
        Some(json!({
            "name": "萩市の新しい取り込み元",
            "url": "https://new.example.jp/ckan",
            "filter": null,
            "schedule_minutes": 4320,
        }))
    );
    let (_, body) = page(&app, "/staff/catalog/harvest/hagi-src?done=saved", &cookies).await;
    assert!(body.contains("設定を保存しました。"));
    assert!(body.contains("<h1>萩市の新しい取り込み元</h1>"));
    assert!(body.contains("3 日ごと"));
    assert!(body.contains("なし（すべて）"));
}

/// Sets or clears the run lock of a source as a run in another process would.
async fn hold_lock(app: &TestApp, id: &str, held: bool) {
    let since = held.then(ydx_storage::now);
    ydx_storage::with_db!(&app.state.db, |p| {
        ydx_storage::sqlx::query("UPDATE harvest_sources SET running_since = $1 WHERE id = $2")
            .bind(since)
            .bind(id)
            .execute(p)
            .await
            .unwrap();
    });
}

#[tokio::test]
async fn a_source_is_deleted_keeping_or_removing_its_datasets() {
    let app = harvest_app().await;
    harvest::run(&app.catalog, &TwoDatasets, "hagi-src")
        .await
        .unwrap();
    let cookies = app.sign_in(HAGI_ADMIN).await;
    let uri = "/staff/catalog/harvest/hagi-src/delete";

    // The page says what will happen and how many datasets; nothing is chosen for the admin.
    let (s, body) = page(&app, uri, &cookies).await;
    assert_eq!(s, 200);
    assert!(body.contains("<h1>取り込み元の削除</h1>"));
    assert!(
        body.contains(
            "「hagi-src の取り込み元」を削除します。設定と実行履歴も消え、元に戻せません。"
        )
    );
    assert!(body.contains("この取り込み元が取り込んだデータセット（削除済みを除く）：1 件"));
    assert!(body.contains("<legend>取り込んだデータセットをどうしますか"));
    assert!(body.contains("id=\"f-datasets\" name=\"datasets\" value=\"keep\""));
    assert!(body.contains("name=\"datasets\" value=\"remove\""));
    assert!(!body.contains("checked"));
    assert!(!body.contains("role=\"alert\""));
    let csrf = csrf_in(&body);
    let n = hagi_audits(&app).await.len();
    let source_exists = || async { app.catalog.harvest_source("hagi-src").await.is_ok() };

    // Nothing chosen: the page again (422), saying so next to the choice.
    for form in [
        vec![("_csrf", csrf.as_str())],
        vec![("_csrf", &csrf), ("datasets", "all")],
    ] {
        let (s, body, _) = app.post_form(uri, &form, &cookies).await;
        assert_eq!(s, 422, "{form:?}");
        assert!(body.contains(
            "<p class=\"field-error\" id=\"datasets-error\">残すか削除するかを選んでください。</p>"
        ));
        assert!(body.contains("<li><a href=\"#f-datasets\">取り込んだデータセットをどうしますか: 残すか削除するかを選んでください。</a></li>"));
        assert!(source_exists().await);
    }
    // A forged token changes nothing.
    let (s, _, _) = app
        .post_form(
            uri,
            &[("_csrf", "forged"), ("datasets", "remove")],
            &cookies,
        )
        .await;
    assert_eq!(s, 400);
    assert!(source_exists().await);

    // While a run holds the source: said on the page, refused (409), nothing changes.
    hold_lock(&app, "hagi-src", true).await;
    let (_, body) = page(&app, uri, &cookies).await;
    assert!(body.contains("この取り込み元は実行中のため、今は削除できません。"));
    let (s, body, _) = app
        .post_form(uri, &[("_csrf", &csrf), ("datasets", "remove")], &cookies)
        .await;
    assert_eq!(s, 409);
    assert!(body.contains("role=\"alert\" id=\"refused\">この取り込み元は実行中のため"));
    assert!(
        body.contains("value=\"remove\" checked"),
        "the choice is kept"
    );
    assert!(source_exists().await);
    assert_eq!(
        app.catalog.show(None, "good-data").await.unwrap().state,
        ydx_catalog::DatasetState::Active
    );
    assert_eq!(hagi_audits(&app).await.len(), n);
    hold_lock(&app, "hagi-src", false).await;

    // In English and easy Japanese.
    let (_, body, _) = app
        .get_with(uri, &[("cookie", &format!("{cookies}; ydx_lang=en"))])
        .await;
    assert!(body.contains("Datasets harvested by this source (not counting deleted ones): 1"));
    assert!(body.contains("Keep them") && body.contains("Delete them"));
    let (_, body, _) = app
        .get_with(uri, &[("cookie", &format!("{cookies}; ydx_lang=ja-easy"))])
        .await;
    assert!(body.contains("とりこんだ データセットを どうしますか"));

    // Keep: the source goes, its dataset stays as it was.
    let kept = app.catalog.show(None, "good-data").await.unwrap();
    let (s, _, res) = app
        .post_form(uri, &[("_csrf", &csrf), ("datasets", "keep")], &cookies)
        .await;
    assert_eq!(s, 303);
    assert_eq!(
        res.headers()["location"],
        "/staff/catalog/harvest?done=deleted-kept"
    );
    assert!(!source_exists().await);
    assert_eq!(app.catalog.show(None, "good-data").await.unwrap(), kept);
    let log = hagi_audits(&app).await;
    assert_eq!(log.len(), n + 1);
    assert_eq!(log[0].action, "harvest_source.delete");
    assert_eq!(log[0].after, Some(json!({"datasets": "keep"})));
    let (_, list) = page(&app, "/staff/catalog/harvest?done=deleted-kept", &cookies).await;
    assert!(list.contains("取り込み元を削除しました。取り込んだデータセットは残しました。"));
    assert!(!list.contains("hagi-src"));
    assert_eq!(
        page(&app, "/staff/catalog/harvest/hagi-src", &cookies)
            .await
            .0,
        404
    );
    assert_eq!(page(&app, uri, &cookies).await.0, 404);

    // Remove: another source's dataset is deleted the catalog's way, and can be restored.
    let admin = principal(&app, HAGI_ADMIN).await;
    add_source(&app, HAGI_ADMIN, "hagi-two", "hagi-city").await;
    let report = harvest::run(&app.catalog, &TwoDatasets, "hagi-two")
        .await
        .unwrap();
    let local = report.added[0].local_name.clone();
    assert_eq!(
        local, "hagi-two-good-data",
        "the kept dataset holds the name"
    );
    let (s, _, res) = app
        .post_form(
            "/staff/catalog/harvest/hagi-two/delete",
            &[("_csrf", &csrf), ("datasets", "remove")],
            &cookies,
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(
        res.headers()["location"],
        "/staff/catalog/harvest?done=deleted-removed"
    );
    assert!(app.catalog.harvest_source("hagi-two").await.is_err());
    assert!(app.catalog.show(None, &local).await.is_err(), "hidden");
    let log = hagi_audits(&app).await;
    assert_eq!(log[0].action, "harvest_source.delete");
    assert_eq!(log[1].action, "dataset.delete");
    let (_, list) = page(
        &app,
        "/staff/catalog/harvest?done=deleted-removed",
        &cookies,
    )
    .await;
    assert!(list.contains("取り込み元と、取り込んだデータセットを削除しました。"));
    let (_, staff) = page(&app, "/staff/catalog", &cookies).await;
    assert!(staff.contains(&format!("/dataset/{local}/undelete")));
    app.catalog.undelete_dataset(&admin, &local).await.unwrap();
    assert!(app.catalog.show(None, &local).await.is_ok());
    assert!(app.catalog.show(None, "good-data").await.is_ok());
}
