//! The catalog's pages: search with facets, the dataset and resource pages, previews,
//! visibility, the publisher's form and uploads, and the three languages.

use axum::body::Body;
use axum::http::{Request, header};
use ydx_accounts::Principal;
use ydx_catalog::{DatasetFields, ResourceFields, ResourceSource};

use crate::util::*;

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

const HAGI_STAFF: &str = "staff@hagi.example";

/// A public dataset of 萩市 made through the engine.
async fn dataset(app: &TestApp, name: &str, title: &str, f: DatasetFields) -> ydx_catalog::Dataset {
    let p = principal(app, HAGI_STAFF).await;
    app.catalog
        .create_dataset(
            &p,
            DatasetFields {
                name: name.into(),
                title: title.into(),
                owner_org: "hagi-city".into(),
                license_id: "cc-by-4.0".into(),
                ..f
            },
        )
        .await
        .unwrap()
}

async fn upload(
    app: &TestApp,
    dataset: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> ydx_catalog::Resource {
    let p = principal(app, HAGI_STAFF).await;
    app.catalog
        .add_resource(
            &p,
            dataset,
            ResourceFields::default(),
            ResourceSource::Upload {
                bytes,
                filename: filename.into(),
            },
        )
        .await
        .unwrap()
}

fn numbers_csv(rows: usize) -> Vec<u8> {
    let mut s = String::from("番号,名称,市町\n");
    for i in 1..=rows {
        let city = if i % 2 == 0 { "萩市" } else { "山口市" };
        s.push_str(&format!("{i},施設{i},{city}\n"));
    }
    s.into_bytes()
}

/// A multipart body of text fields and one file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----ydx-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    app: &TestApp,
    uri: &str,
    cookies: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String, axum::http::Response<()>) {
    let (ct, body) = multipart(fields, file);
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, ct)
        .header(header::COOKIE, cookies)
        .body(Body::from(body))
        .unwrap();
    split(app.send(req).await).await
}

/// Signs in and returns the cookies and the CSRF token of the page at `uri`.
/// Uploads `file` through the form to standard dataset `name` as Hagi staff, who are sent to
/// its validation page: (cookies, CSRF token, that page's path, its body).
async fn upload_standard(
    app: &TestApp,
    name: &str,
    file: (&str, &[u8]),
) -> (String, String, String, String) {
    let form = format!("/dataset/{name}/resource/new");
    let (cookies, csrf) = signed_in(app, HAGI_STAFF, &form).await;
    let (s, _, res) = post_multipart(app, &form, &cookies, &[("_csrf", &csrf)], Some(file)).await;
    assert_eq!(s, 303);
    let validate = res.headers()["location"].to_str().unwrap().to_string();
    assert!(validate.ends_with("/validate"));
    let (s, body, _) = app.get_with(&validate, &[("cookie", &cookies)]).await;
    assert_eq!(s, 200);
    (cookies, csrf, validate, body)
}

async fn signed_in(app: &TestApp, email: &str, uri: &str) -> (String, String) {
    let cookies = app.sign_in(email).await;
    let (s, html, _) = app.get_with(uri, &[("cookie", &cookies)]).await;
    assert_eq!(s, 200, "{uri}: {html}");
    (cookies, csrf_in(&html))
}

#[tokio::test]
async fn search_finds_partial_japanese_words_and_facets_are_links() {
    let app = app().await;
    dataset(
        &app,
        "hagi-evacuation",
        "指定緊急避難場所一覧",
        DatasetFields {
            tags: vec!["防災".into()],
            spatial: vec!["35204".into()],
            ..Default::default()
        },
    )
    .await;
    dataset(
        &app,
        "hagi-aed",
        "AED設置箇所一覧",
        DatasetFields {
            tags: vec!["AED".into(), "防災".into()],
            ..Default::default()
        },
    )
    .await;
    let (s, body, _) = app.get("/dataset?q=%E9%81%BF%E9%9B%A3").await;
    assert_eq!(s, 200);
    assert!(body.contains("指定緊急避難場所一覧"));
    assert!(!body.contains("AED設置箇所一覧"));
    assert!(body.contains("1 件のデータセット"));
    // Facets are plain links that add the filter to the current search.
    assert!(
        body.contains("href=\"/dataset?q=%E9%81%BF%E9%9B%A3&#38;municipality=35204\"")
            || body.contains("href=\"/dataset?q=%E9%81%BF%E9%9B%A3&amp;municipality=35204\"")
    );
    assert!(body.contains("萩市"));
    let (_, body, _) = app.get("/dataset?tags=%E9%98%B2%E7%81%BD").await;
    assert!(body.contains("2 件のデータセット"));
    let (_, body, _) = app.get("/dataset?tags=%E9%98%B2%E7%81%BD&tags=AED").await;
    assert!(body.contains("1 件のデータセット"));
    assert!(body.contains("AED設置箇所一覧"));
    // The active filter can be removed with a link that keeps the other one.
    assert!(body.contains("href=\"/dataset?tags=AED\""));
    assert!(body.contains("aria-current=\"true\""));
    // Sorting by name, and paging links.
    let (_, body, _) = app.get("/dataset?sort=name").await;
    let (a, e) = (
        body.find("AED設置箇所一覧").unwrap(),
        body.find("指定緊急避難場所一覧").unwrap(),
    );
    assert!(a < e, "hagi-aed sorts before hagi-evacuation");
    // The home page and the organisation and municipality pages list them too.
    let (s, body, _) = app.get("/catalog").await;
    assert_eq!(s, 200);
    assert!(body.contains("新着データセット") && body.contains("AED設置箇所一覧"));
    assert!(body.contains("/catalog.ttl"));
    let (s, body, _) = app.get("/organization/hagi-city").await;
    assert_eq!(s, 200);
    assert!(body.contains("2 件のデータセット"));
    let (s, body, _) = app.get("/catalog/municipality/35204").await;
    assert_eq!(s, 200);
    assert!(body.contains("1 件のデータセット"));
    assert!(body.contains("data-selected=\"35204\""));
    let (s, _, _) = app.get("/catalog/municipality/99999").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn dataset_page_shows_metadata_safe_markdown_json_ld_and_dcat_links() {
    let app = app().await;
    dataset(
        &app,
        "hagi-shelters",
        "指定緊急避難場所一覧",
        DatasetFields {
            notes: "萩市の**避難場所**です。<script>alert('x')</script>\n\n※これはデモ用に自動生成したサンプルデータです。".into(),
            tags: vec!["防災".into()],
            spatial: vec!["35204".into()],
            temporal_start: Some("2024-04-01".into()),
            frequency: Some(ydx_catalog::Frequency::Annual),
            maintainer: "萩市 防災危機管理課".into(),
            ..Default::default()
        },
    )
    .await;
    upload(&app, "hagi-shelters", "shelters.csv", numbers_csv(3)).await;
    let (s, body, _) = app.get("/dataset/hagi-shelters").await;
    assert_eq!(s, 200);
    assert!(body.contains("<strong>避難場所</strong>"));
    assert!(!body.contains("<script>alert"));
    assert!(body.contains("サンプルデータ</span>"));
    assert!(body.contains("クリエイティブ・コモンズ 表示 4.0 国際"));
    assert!(body.contains("萩市 防災危機管理課"));
    assert!(body.contains("毎年"));
    assert!(body.contains("2024-04-01"));
    assert!(body.contains("<script type=\"application/ld+json\">"));
    assert!(body.contains("\"@type\":\"Dataset\""));
    assert!(
        body.contains("rel=\"alternate\" type=\"text/turtle\" href=\"/dataset/hagi-shelters.ttl\"")
    );
    assert!(body.contains("href=\"/dataset/hagi-shelters.jsonld\""));
    // The same URL with a suffix is the DCAT document.
    let (s, ttl, _) = app.get("/dataset/hagi-shelters.ttl").await;
    assert_eq!(s, 200);
    assert!(ttl.contains("dcat:Dataset"));
    assert!(body.contains("api/3/action/package_show?id=hagi-shelters"));
    assert!(body.contains("datastore_search?resource_id="));
    // The quality score is for people who can edit, not for the public.
    assert!(!body.contains("品質スコア"));
    let cookies = app.sign_in(HAGI_STAFF).await;
    let (_, body, _) = app
        .get_with("/dataset/hagi-shelters", &[("cookie", &cookies)])
        .await;
    assert!(body.contains("品質スコア："));
    assert!(body.contains("改善できる項目"));
}

#[tokio::test]
async fn preview_pages_sorts_and_filters_without_javascript() {
    let app = app().await;
    dataset(&app, "numbers", "番号の表", DatasetFields::default()).await;
    let r = upload(&app, "numbers", "numbers.csv", numbers_csv(120)).await;
    let page = format!("/dataset/numbers/resource/{}", r.id);
    let (s, body, _) = app.get(&page).await;
    assert_eq!(s, 200);
    assert!(body.contains("全 120 行中 1〜50 行目"), "{body}");
    assert!(body.contains("整数"));
    assert!(body.contains("utf-8"));
    assert!(body.contains("<th scope=\"col\" aria-sort=\"none\">"));
    let (_, body, _) = app.get(&format!("{page}?page=3")).await;
    assert!(body.contains("全 120 行中 101〜120 行目"));
    assert!(body.contains("<td>施設120</td>"));
    // Sorting by a column header link; descending puts 120 first.
    let (_, body, _) = app
        .get(&format!("{page}?sort=%E7%95%AA%E5%8F%B7&desc=1"))
        .await;
    assert!(body.contains("aria-sort=\"descending\""));
    let (a, b) = (
        body.find("<td>施設120</td>").unwrap(),
        body.find("<td>施設119</td>").unwrap(),
    );
    assert!(a < b);
    // Exact column filter (from the form's column/value fields) and text search.
    let (_, body, _) = app
        .get(&format!(
            "{page}?fcol=%E5%B8%82%E7%94%BA&fval=%E8%90%A9%E5%B8%82"
        ))
        .await;
    assert!(body.contains("全 60 行中 1〜50 行目"), "{body}");
    assert!(body.contains("市町 = 萩市"));
    let (_, body, _) = app.get(&format!("{page}?q=%E6%96%BD%E8%A8%AD11")).await;
    assert!(body.contains("<td>施設11</td>") && body.contains("<td>施設110</td>"));
    // An unknown column is a 400 in the reader's language, not a crash.
    let (s, _, _) = app.get(&format!("{page}?sort=nope")).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn lat_lon_csv_gets_a_map_and_points() {
    let app = app().await;
    dataset(&app, "points", "地点", DatasetFields::default()).await;
    let csv = "名称,緯度,経度\n萩城跡,34.4178,131.3881\n山口県庁,34.1859,131.4714\n";
    let r = upload(&app, "points", "p.csv", csv.as_bytes().to_vec()).await;
    let page = format!("/dataset/points/resource/{}", r.id);
    let (_, body, _) = app.get(&page).await;
    assert!(body.contains("data-boundaries=\"/api/region/boundaries.geojson\""));
    assert!(body.contains(&format!("data-points=\"{page}/points.geojson\"")));
    assert!(body.contains("地図に示した 2 地点"));
    let (s, body, res) = app.get(&format!("{page}/points.geojson")).await;
    assert_eq!(s, 200);
    assert_eq!(res.headers()["content-type"], "application/geo+json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 2);
    assert_eq!(v["features"][0]["geometry"]["coordinates"][0], 131.3881);
}

#[tokio::test]
async fn private_dataset_is_hidden_from_the_public_and_shown_to_its_staff() {
    let app = app().await;
    dataset(
        &app,
        "hagi-internal",
        "内部資料の一覧",
        DatasetFields {
            private: true,
            ..Default::default()
        },
    )
    .await;
    let (s, body, _) = app.get("/dataset/hagi-internal").await;
    assert_eq!(s, 404);
    assert!(body.contains("<html lang=\"ja\""));
    let (_, body, _) = app.get("/dataset?q=%E5%86%85%E9%83%A8").await;
    assert!(body.contains("0 件のデータセット"));
    let resident = app.sign_in("resident@example.jp").await;
    let (s, _, _) = app
        .get_with("/dataset/hagi-internal", &[("cookie", &resident)])
        .await;
    assert_eq!(s, 404);
    let staff = app.sign_in(HAGI_STAFF).await;
    let (s, body, _) = app
        .get_with("/dataset/hagi-internal", &[("cookie", &staff)])
        .await;
    assert_eq!(s, 200);
    assert!(body.contains("非公開"));
    let (s, body, _) = app.get_with("/staff/catalog", &[("cookie", &staff)]).await;
    assert_eq!(s, 200);
    assert!(body.contains("内部資料の一覧"));
    // Residents have no staff pages.
    let (s, _, _) = app
        .get_with("/staff/catalog", &[("cookie", &resident)])
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn dataset_form_shows_errors_next_to_fields_then_creates() {
    let app = app().await;
    let (cookies, csrf) = signed_in(&app, HAGI_STAFF, "/dataset/new").await;
    let bad = [
        ("_csrf", csrf.as_str()),
        ("name", "Bad Name"),
        ("title", "公園一覧"),
        ("owner_org", "hagi-city"),
        ("license_id", "gdl-1.0"),
        ("tags", "公園, 施設"),
        ("spatial", "35204"),
        ("temporal_start", "2024-13-01"),
        ("state", "active"),
    ];
    let (s, body, _) = app.post_form("/dataset/new", &bad, &cookies).await;
    assert_eq!(s, 422);
    assert!(
        body.contains("半角の小文字英数字・ハイフン・アンダースコアで2〜100文字にしてください。")
    );
    assert!(body.contains("YYYY-MM-DD の形式で、実在する日付を入力してください。"));
    assert!(body.contains("aria-invalid=\"true\""));
    // What was typed is kept.
    assert!(body.contains("value=\"公園一覧\""));
    assert!(body.contains("value=\"公園,施設\"") || body.contains("value=\"公園, 施設\""));
    assert!(body.contains("id=\"m-35204\" name=\"spatial\" value=\"35204\" checked"));
    // A forged token is refused.
    let mut forged = bad;
    forged[0] = ("_csrf", "forged");
    let (s, _, _) = app.post_form("/dataset/new", &forged, &cookies).await;
    assert_eq!(s, 400);
    // Fixed, it is created and the publisher lands on its page.
    let mut good = bad;
    good[1] = ("name", "hagi-parks");
    good[7] = ("temporal_start", "2024-04-01");
    let (s, _, res) = app.post_form("/dataset/new", &good, &cookies).await;
    assert_eq!(s, 303);
    assert_eq!(res.headers()["location"], "/dataset/hagi-parks");
    let (_, body, _) = app.get("/dataset/hagi-parks").await;
    assert!(body.contains("公園一覧"));
    assert!(body.contains("公共データ利用規約"));
    // Publishing for another organisation is refused on the form.
    let mut other = good;
    other[1] = ("name", "yamaguchi-parks");
    other[3] = ("owner_org", "yamaguchi-city");
    let (s, body, _) = app.post_form("/dataset/new", &other, &cookies).await;
    assert_eq!(s, 422);
    assert!(body.contains("この組織のデータセットを作成・編集する権限がありません。"));
}

#[tokio::test]
async fn upload_through_the_form_then_a_new_version_shows_in_history() {
    let app = app().await;
    dataset(&app, "facilities", "施設一覧", DatasetFields::default()).await;
    let (cookies, csrf) = signed_in(&app, HAGI_STAFF, "/dataset/facilities/resource/new").await;
    let (s, _, res) = post_multipart(
        &app,
        "/dataset/facilities/resource/new",
        &cookies,
        &[("_csrf", &csrf), ("name", "施設"), ("format", "")],
        Some(("facilities.csv", &numbers_csv(5))),
    )
    .await;
    assert_eq!(s, 303);
    let page = res.headers()["location"].to_str().unwrap().to_string();
    assert!(page.starts_with("/dataset/facilities/resource/"));
    let (_, body, _) = app.get_with(&page, &[("cookie", &cookies)]).await;
    assert!(body.contains("全 5 行中 1〜5 行目"));
    assert!(body.contains("data-progress"));
    // A new version with a row added and one changed.
    let mut v2 = String::from_utf8(numbers_csv(6)).unwrap();
    v2 = v2.replace("施設1,", "施設一,");
    let (s, _, _) = post_multipart(
        &app,
        &format!("{page}/upload"),
        &cookies,
        &[("_csrf", &csrf)],
        Some(("facilities-v2.csv", v2.as_bytes())),
    )
    .await;
    assert_eq!(s, 303);
    let (s, body, _) = app.get(&format!("{page}/history")).await;
    assert_eq!(s, 200);
    assert!(body.contains("facilities.csv") && body.contains("facilities-v2.csv"));
    assert!(body.contains("追加 1 行"), "{body}");
    assert!(body.contains("変更 1 行"));
    assert!(body.contains(&format!("{page}/version/1/download")));
    // The public sees the organisation, not a person; the organisation's staff see who
    // uploaded, by name.
    assert!(!body.contains("staff@hagi.example"));
    assert!(!body.contains("萩 職員"), "{body}");
    let (_, body, _) = app
        .get_with(&format!("{page}/history"), &[("cookie", &cookies)])
        .await;
    assert!(body.contains("（萩 職員）"), "{body}");
}

#[tokio::test]
async fn shift_jis_file_is_previewed_as_text() {
    let app = app().await;
    dataset(&app, "sjis", "文字コードの確認", DatasetFields::default()).await;
    let text = "名称,住所\n萩市役所,山口県萩市大字江向510番地\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let r = upload(&app, "sjis", "sjis.csv", bytes.into_owned()).await;
    let (_, body, _) = app.get(&format!("/dataset/sjis/resource/{}", r.id)).await;
    assert!(body.contains("shift_jis"));
    assert!(body.contains("<td>山口県萩市大字江向510番地</td>"));
}

#[tokio::test]
async fn broken_csv_is_refused_with_its_line_and_nothing_is_stored() {
    let app = app().await;
    dataset(&app, "broken", "壊れたファイル", DatasetFields::default()).await;
    let (cookies, csrf) = signed_in(&app, HAGI_STAFF, "/dataset/broken/resource/new").await;
    let (s, body, _) = post_multipart(
        &app,
        "/dataset/broken/resource/new",
        &cookies,
        &[("_csrf", &csrf)],
        Some(("broken.csv", b"a,b\n1,2\n3,4,5\n6,7\n")),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        body.contains("ファイルを読めませんでした（3行目）"),
        "{body}"
    );
    assert!(body.contains("何も保存していません"));
    let d = app.catalog.show(None, "broken").await.unwrap();
    assert!(d.resources.is_empty());
    // Neither a file nor a link: said so, nothing stored.
    let (s, body, _) = post_multipart(
        &app,
        "/dataset/broken/resource/new",
        &cookies,
        &[("_csrf", &csrf)],
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert!(body.contains("ファイルを選ぶか"));
}

#[tokio::test]
async fn standard_dataset_upload_offers_repairs_and_applies_only_accepted_ones() {
    let app = app().await;
    dataset(
        &app,
        "hagi-aed-std",
        "AED設置箇所一覧",
        DatasetFields {
            standard: Some("aed".into()),
            ..Default::default()
        },
    )
    .await;
    let csv = "全国地方公共団体コード,ID,地方公共団体名,名称,所在地_連結表記,緯度,経度,設置位置\n\
               352047,3520470001,萩市,萩市役所,山口県萩市大字江向510番地,34.408,131.399,1階玄関\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
    let (cookies, csrf, validate, body) =
        upload_standard(&app, "hagi-aed-std", ("aed.csv", &bytes)).await;
    assert!(
        body.contains("name=\"repair\" value=\"encoding\""),
        "{body}"
    );
    // Nothing ticked: nothing changes.
    let (s, body, _) = app
        .post_form(&validate, &[("_csrf", &csrf), ("version", "1")], &cookies)
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("修正が1つも選ばれていません。"));
    let (s, _, res) = app
        .post_form(
            &validate,
            &[("_csrf", &csrf), ("version", "1"), ("repair", "encoding")],
            &cookies,
        )
        .await;
    assert_eq!(s, 303, "{:?}", res.headers());
    let history = validate.replace("/validate", "/history");
    let (_, body, _) = app.get(&history).await;
    assert!(body.contains("/version/2/download"));
    let page = validate.replace("/validate", "");
    let (_, body, _) = app.get(&page).await;
    assert!(body.contains("utf-8"));
}

#[tokio::test]
async fn delete_needs_confirmation_and_an_admin_restores() {
    let app = app().await;
    dataset(
        &app,
        "to-delete",
        "削除するデータ",
        DatasetFields::default(),
    )
    .await;
    let (cookies, csrf) = signed_in(&app, HAGI_STAFF, "/dataset/to-delete/delete").await;
    let (s, _, res) = app
        .post_form("/dataset/to-delete/delete", &[("_csrf", &csrf)], &cookies)
        .await;
    assert_eq!(s, 303);
    assert_eq!(res.headers()["location"], "/staff/catalog?done=deleted");
    let (s, _, _) = app.get("/dataset/to-delete").await;
    assert_eq!(s, 404);
    let (_, body, _) = app
        .get_with("/staff/catalog?done=deleted", &[("cookie", &cookies)])
        .await;
    assert!(body.contains("データセットを削除しました。"));
    assert!(body.contains("/dataset/to-delete/undelete"));
    let (s, _, _) = app
        .post_form("/dataset/to-delete/undelete", &[("_csrf", &csrf)], &cookies)
        .await;
    assert_eq!(s, 303);
    let (s, _, _) = app.get("/dataset/to-delete").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn catalog_pages_speak_english_and_easy_japanese() {
    let app = app().await;
    dataset(&app, "lang-test", "言語の確認", DatasetFields::default()).await;
    let (_, body, _) = app.get_with("/catalog", &[("accept-language", "en")]).await;
    assert!(body.contains("<html lang=\"en\""));
    assert!(body.contains("Open Data Catalog"));
    assert!(body.contains("Search datasets"));
    let (_, body, _) = app
        .get_with("/dataset/lang-test", &[("cookie", "ydx_lang=ja-easy")])
        .await;
    assert!(body.contains("<html lang=\"ja\""));
    assert!(body.contains("つかう ときの きまり"));
    let (s, body, _) = app
        .get_with("/dataset/nothing-here", &[("accept-language", "en")])
        .await;
    assert_eq!(s, 404);
    assert!(body.contains("<html lang=\"en\""));
}

#[tokio::test]
async fn use_is_counted_and_ranked_on_the_home_page() {
    let app = app().await;
    dataset(&app, "quiet", "静かなデータ", DatasetFields::default()).await;
    dataset(&app, "popular", "人気のデータ", DatasetFields::default()).await;
    let r = upload(&app, "popular", "list.csv", numbers_csv(3)).await;

    let (_, home, _) = app.get("/catalog").await;
    assert!(home.contains("まだ利用の集計がありません"), "{home}");

    // Two page views and one download by people; a crawler's visits do not count.
    for _ in 0..2 {
        let (s, _, _) = app.get("/dataset/popular").await;
        assert_eq!(s, 200);
    }
    let (s, _, _) = app
        .get(&format!("/dataset/popular/resource/{}/download", r.id))
        .await;
    assert_eq!(s, 200);
    let bot = [(
        header::USER_AGENT.as_str(),
        "Mozilla/5.0 (compatible; Googlebot/2.1)",
    )];
    let (s, _, _) = app.get_with("/dataset/popular", &bot).await;
    assert_eq!(s, 200);
    // Paging the page's table is the same visit.
    let (s, _, _) = app.get("/dataset/popular?page=2").await;
    assert_eq!(s, 200);

    let (_, home, _) = app.get("/catalog").await;
    let used = home
        .split("id=\"used-title\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap();
    assert!(used.contains("人気のデータ"), "{used}");
    assert!(
        !used.contains("静かなデータ"),
        "unused datasets are not listed"
    );
    assert!(used.contains("ダウンロード1回・閲覧2回"), "{used}");

    // The dataset page shows its own counts (this view included).
    let (_, page, _) = app.get("/dataset/popular").await;
    assert!(
        page.contains("過去30日：閲覧3回・ダウンロード1回"),
        "{page}"
    );

    // CKAN's tracking summary, on request only.
    let (_, json, _) = app
        .get("/api/3/action/package_show?id=popular&include_tracking=true")
        .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["result"]["tracking_summary"]["total"], 3);
    assert_eq!(v["result"]["download_summary"]["recent"], 1);
    let (_, json, _) = app.get("/api/3/action/package_show?id=popular").await;
    assert!(!json.contains("tracking_summary"));

    // Flushed counts read the same.
    app.catalog.flush_usage().await.unwrap();
    let (_, home2, _) = app.get("/catalog").await;
    assert!(home2.contains("ダウンロード1回・閲覧3回"), "{home2}");
}

/// A workbook as a municipality saves it: the table on a sheet named 地点, numbers as
/// numbers, a date cell, and 人数 from formulas.
fn points_xlsx(rows: &[(&str, f64, f64, u16, &str)]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("地点").unwrap();
    let date = Format::new().set_num_format("yyyy/m/d");
    for (c, h) in ["名称", "緯度", "経度", "人数", "確認日"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (name, lat, lon, people, formula)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, *name).unwrap();
        ws.write_number(r, 1, *lat).unwrap();
        ws.write_number(r, 2, *lon).unwrap();
        ws.write_formula(r, 3, Formula::new(*formula).set_result(people.to_string()))
            .unwrap();
        let day = ExcelDateTime::from_ymd(2024, 4, 1 + i as u8).unwrap();
        ws.write_datetime_with_format(r, 4, &day, &date).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// A municipality's CSV as it comes, a title above the header and notes below the table:
/// the preview shows the table alone and the page says how many rows it skipped.
#[tokio::test]
async fn csv_title_and_note_rows_are_skipped_and_said() {
    let app = app().await;
    dataset(&app, "hagi-halls", "萩の会館", DatasetFields::default()).await;
    let csv = "萩市 会館一覧（令和6年4月1日現在）\n\n名称,定員\n萩市民館,1200\n明倫センター,300\n※出典：萩市\n";
    let (cookies, csrf) = signed_in(&app, HAGI_STAFF, "/dataset/hagi-halls/resource/new").await;
    let (s, _, res) = post_multipart(
        &app,
        "/dataset/hagi-halls/resource/new",
        &cookies,
        &[("_csrf", &csrf), ("name", "会館"), ("format", "")],
        Some(("会館.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(s, 303);
    let page = res.headers()["location"].to_str().unwrap().to_string();
    let (s, body, _) = app.get(&page).await;
    assert_eq!(s, 200);
    assert!(body.contains("全 2 行中 1〜2 行目"), "{body}");
    assert!(body.contains("<td>明倫センター</td>"));
    assert!(!body.contains("<td>※出典：萩市</td>"));
    let info = |label: &str| {
        let at = body
            .find(label)
            .unwrap_or_else(|| panic!("{label} missing: {body}"));
        body[at..]
            .split("<dd>")
            .nth(1)
            .and_then(|v| v.split("</dd>").next())
            .map(str::trim)
            .map(str::to_owned)
    };
    assert_eq!(info("表の上の表題の行").as_deref(), Some("1"));
    assert_eq!(info("表の下の注記の行").as_deref(), Some("1"));
}

#[tokio::test]
async fn xlsx_upload_is_previewed_mapped_queried_and_downloaded() {
    let app = app().await;
    dataset(&app, "hagi-points", "萩の地点", DatasetFields::default()).await;
    let bytes = points_xlsx(&[
        ("萩城跡", 34.4178, 131.3881, 120, "=100+20"),
        ("萩市役所", 34.4081, 131.399, 300, "=3*100"),
        ("東光寺", 34.4166, 131.4216, 45, "=40+5"),
    ]);
    let (cookies, csrf) = signed_in(&app, HAGI_STAFF, "/dataset/hagi-points/resource/new").await;
    let (s, _, res) = post_multipart(
        &app,
        "/dataset/hagi-points/resource/new",
        &cookies,
        &[("_csrf", &csrf), ("name", "地点"), ("format", "")],
        Some(("地点.xlsx", &bytes)),
    )
    .await;
    assert_eq!(s, 303);
    let page = res.headers()["location"].to_str().unwrap().to_string();
    let id = page.rsplit('/').next().unwrap().to_string();

    // The preview: rows, the sheet instead of encoding and delimiter, types, the map.
    let (s, body, _) = app.get(&page).await;
    assert_eq!(s, 200);
    assert!(body.contains("全 3 行中 1〜3 行目"), "{body}");
    assert!(body.contains("<td>萩城跡</td>") && body.contains("<td>2024-04-01</td>"));
    assert!(body.contains("シート") && body.contains("地点"));
    assert!(!body.contains("文字コード") && !body.contains("区切り文字"));
    assert!(body.contains("整数"));
    assert!(body.contains("地図に示した 3 地点"));
    let (s, body, _) = app.get(&format!("{page}/points.geojson")).await;
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 3);
    assert_eq!(v["features"][0]["geometry"]["coordinates"][0], 131.3881);
    // Sorted by 人数 (the formulas' values), largest first.
    let (_, body, _) = app
        .get(&format!("{page}?sort=%E4%BA%BA%E6%95%B0&desc=1"))
        .await;
    let (a, b) = (
        body.find("<td>萩市役所</td>").unwrap(),
        body.find("<td>萩城跡</td>").unwrap(),
    );
    assert!(a < b);

    // The data APIs.
    let (s, body, _) = app
        .get(&format!(
            "/api/3/action/datastore_search?resource_id={id}&sort=%E4%BA%BA%E6%95%B0%20asc"
        ))
        .await;
    assert_eq!(s, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["result"]["total"], 3);
    assert_eq!(v["result"]["records"][0]["名称"], "東光寺");
    assert_eq!(v["result"]["records"][0]["人数"], 45);
    let (s, body, _) = app
        .get(&format!("/api/catalog/resources/{id}/data?format=csv"))
        .await;
    assert_eq!(s, 200);
    assert!(
        body.contains("萩城跡,34.4178,131.3881,120,2024-04-01"),
        "{body}"
    );
    let (_, body, _) = app
        .get(&format!("/api/3/action/resource_show?id={id}"))
        .await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["result"]["format"], "XLSX");
    assert_eq!(v["result"]["datastore_active"], true);
    assert_eq!(v["result"]["encoding"], serde_json::Value::Null);
    assert_eq!(v["result"]["sheet"], "地点");

    // The original workbook is what downloads.
    let req = Request::get(format!("{page}/download"))
        .body(Body::empty())
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let got = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(got.as_ref(), bytes.as_slice());

    // A second version: the history counts the rows that changed.
    let v2 = points_xlsx(&[
        ("萩城跡", 34.4178, 131.3881, 150, "=100+50"),
        ("萩市役所", 34.4081, 131.399, 300, "=3*100"),
    ]);
    let (s, _, _) = post_multipart(
        &app,
        &format!("{page}/upload"),
        &cookies,
        &[("_csrf", &csrf)],
        Some(("地点_v2.xlsx", &v2)),
    )
    .await;
    assert_eq!(s, 303);
    let (_, body, _) = app.get(&format!("{page}/history")).await;
    assert!(
        body.contains("削除 1 行") && body.contains("変更 1 行"),
        "{body}"
    );

    // A file that is not a workbook: refused without a line number, nothing stored.
    let (s, body, _) = post_multipart(
        &app,
        &format!("{page}/upload"),
        &cookies,
        &[("_csrf", &csrf)],
        Some(("壊れた.xlsx", b"PK\x03\x04 not a workbook")),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        body.contains("ファイルを読めませんでした：XLSX（Excel ブック）として読めません"),
        "{body}"
    );
    assert!(body.contains("何も保存していません"));
    let versions = app.catalog.resource_versions(None, &id).await.unwrap();
    assert_eq!(versions.len(), 2);
}

#[tokio::test]
async fn xlsx_series_latest_download_and_standard_check() {
    let app = app().await;
    dataset(
        &app,
        "hagi-series",
        "年度別の地点",
        DatasetFields {
            series: true,
            ..Default::default()
        },
    )
    .await;
    let p = principal(&app, HAGI_STAFF).await;
    let mut latest = String::new();
    for (fy, people) in [("2024", 20u16), ("2023", 10)] {
        let bytes = points_xlsx(&[("萩城跡", 34.4178, 131.3881, people, "=1")]);
        let r = app
            .catalog
            .add_resource(
                &p,
                "hagi-series",
                ResourceFields {
                    name: format!("{fy}年度"),
                    period: Some(fy.into()),
                    ..Default::default()
                },
                ResourceSource::Upload {
                    bytes,
                    filename: format!("{fy}.xlsx"),
                },
            )
            .await
            .unwrap();
        if fy == "2024" {
            latest = r.id;
        }
    }
    let (s, _, res) = app.get("/dataset/hagi-series/latest/download").await;
    assert_eq!(s, 303);
    let location = res.headers()["location"].to_str().unwrap();
    // The highest period, though it was added first.
    assert!(location.ends_with(&format!("/resource/{latest}/download")));
    // The combined table of the series on the dataset page.
    let (_, body, _) = app.get("/dataset/hagi-series").await;
    assert!(
        body.contains("<td>2023</td>") && body.contains("<td>2024</td>"),
        "{body}"
    );

    // A standard dataset published as XLSX is checked on its sheet, without repairs.
    dataset(
        &app,
        "hagi-aed-xlsx",
        "AED設置箇所一覧",
        DatasetFields {
            standard: Some("aed".into()),
            ..Default::default()
        },
    )
    .await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let header = "全国地方公共団体コード,ID,地方公共団体名,名称,所在地_連結表記,緯度,経度,設置位置";
    let row = "352048,3520470001,萩市,萩市役所,山口県萩市大字江向510番地,34.408,131.399,1階玄関";
    for (r, line) in [header, row].iter().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            ws.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let (_, _, _, body) = upload_standard(&app, "hagi-aed-xlsx", ("aed.xlsx", &bytes)).await;
    // 352048 has the wrong check digit (萩市 is 352047), on worksheet row 2.
    assert!(body.contains("352048"), "{body}");
    assert!(
        body.contains("Excel ファイル（XLSX）は自動では直しません"),
        "{body}"
    );
    assert!(!body.contains("name=\"repair\""));
}
