//! The catalog's machine-facing routes: CKAN's Action API, downloads, the data API, DCAT.

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};
use ydx_accounts::{Role, UserKind};

use crate::util::*;

/// A token for an admin of `org` (a new user each call).
async fn token(app: &TestApp, org: &str) -> String {
    let email = format!("admin-{}@{org}.example", ydx_storage::new_id());
    let user = app
        .state
        .accounts
        .create_user(&email, "管理者", PASSWORD, UserKind::Staff)
        .await
        .unwrap();
    app.state
        .accounts
        .set_membership(&user.id, org, Role::Admin)
        .await
        .unwrap();
    let memberships = app.state.accounts.memberships(&user.id).await.unwrap();
    let admin = ydx_accounts::Principal {
        user,
        memberships,
        via: ydx_accounts::Via::Session,
    };
    let (_, secret) = app
        .state
        .accounts
        .create_token(org, &admin, "test")
        .await
        .unwrap();
    secret
}

async fn post_action(app: &TestApp, name: &str, body: Value, token: Option<&str>) -> (u16, Value) {
    let mut req = Request::post(format!("/api/3/action/{name}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, t);
    }
    let (status, body, _) = split(
        app.send(req.body(Body::from(body.to_string())).unwrap())
            .await,
    )
    .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn get_json(app: &TestApp, uri: &str) -> (u16, Value) {
    let (status, body, _) = app.get(uri).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dataset(name: &str, org: &str) -> Value {
    json!({
        "name": name,
        "title": format!("指定緊急避難場所一覧 {name}"),
        "notes": "テスト用のデータセット",
        "owner_org": org,
        "license_id": "cc-by-4.0",
        "tags": [{"name": "防災"}, {"name": "避難所"}],
        "extras": [
            {"key": "municipality", "value": "35203"},
            {"key": "frequency", "value": "annual"},
            {"key": "source", "value": "テスト"}
        ],
    })
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "ydxboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    app: &TestApp,
    action: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
    token: &str,
) -> (u16, Value) {
    let (ct, body) = multipart(fields, Some(file));
    let req = Request::post(format!("/api/3/action/{action}"))
        .header(header::CONTENT_TYPE, ct)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap();
    let (status, body, _) = split(app.send(req).await).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

const CSV_V1: &str = "名称,住所,緯度,経度,収容人数\n山口小学校,山口市亀山町1,34.18,131.47,300\n湯田中学校,山口市湯田温泉2,34.16,131.45,500\n";
const CSV_V2: &str = "名称,住所,緯度,経度,収容人数\n山口小学校,山口市亀山町1,34.18,131.47,320\n湯田中学校,山口市湯田温泉2,34.16,131.45,500\n大内公民館,山口市大内御堀3,34.17,131.50,120\n";

#[tokio::test]
async fn envelope_and_ckan_errors() {
    let app = app().await;
    let (s, v) = get_json(&app, "/api/3/action/status_show").await;
    assert_eq!(s, 200);
    assert_eq!(v["success"], true);
    assert_eq!(
        v["help"],
        "http://127.0.0.1:8080/api/3/action/help_show?name=status_show"
    );
    assert!(
        v["result"]["ckan_version"]
            .as_str()
            .unwrap()
            .starts_with("2.")
    );
    let (s, v) = get_json(&app, "/api/action/site_read").await;
    assert_eq!((s, &v["result"]), (200, &json!(true)));

    // Not found: CKAN's error object and status.
    let (s, v) = get_json(&app, "/api/3/action/package_show?id=nothing-here").await;
    assert_eq!(s, 404);
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["__type"], "Not Found Error");
    assert!(v["help"].as_str().unwrap().ends_with("name=package_show"));
    // A missing parameter is a validation error of that field.
    let (s, v) = get_json(&app, "/api/3/action/package_show").await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["__type"], "Validation Error");
    assert_eq!(v["error"]["id"], json!(["Missing value"]));
    // Unknown actions: a bare JSON string, as CKAN sends it.
    let (s, v) = get_json(&app, "/api/3/action/no_such_action").await;
    assert_eq!(s, 400);
    assert_eq!(
        v,
        json!("Bad request - Action name not known: no_such_action")
    );
    // Writes are POST only.
    let (s, v) = get_json(&app, "/api/3/action/package_create?name=x").await;
    assert_eq!(s, 400);
    assert!(v.as_str().unwrap().contains("POST"));
    // Bad JSON.
    let req = Request::post("/api/3/action/package_search")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let (s, body, _) = split(app.send(req).await).await;
    assert_eq!(s, 400);
    assert!(body.contains("JSON Error"));
    // An unsupported fq is a Search Query Error naming the part.
    let (s, v) = get_json(&app, "/api/3/action/package_search?fq=tags:%E9%98%B2*").await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["__type"], "Search Query Error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wildcards (*)"),
        "{v}"
    );
}

#[tokio::test]
async fn writes_need_a_token_of_the_owning_organisation() {
    let app = app().await;
    let city = token(&app, "yamaguchi-city").await;
    let hagi = token(&app, "hagi-city").await;
    let body = dataset("aed-yamaguchi", "yamaguchi-city");

    let (s, v) = post_action(&app, "package_create", body.clone(), None).await;
    assert_eq!(s, 403);
    assert_eq!(v["error"]["__type"], "Authorization Error");
    let (s, v) = post_action(&app, "package_create", body.clone(), Some(&hagi)).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["__type"], "Authorization Error");
    let (s, v) = post_action(
        &app,
        "package_create",
        body.clone(),
        Some("ydx_not_a_token"),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(v["error"]["__type"], "Authorization Error");

    let (s, v) = post_action(&app, "package_create", body.clone(), Some(&city)).await;
    assert_eq!(s, 200, "{v}");
    let d = &v["result"];
    assert_eq!(d["name"], "aed-yamaguchi");
    assert_eq!(d["type"], "dataset");
    assert_eq!(d["state"], "active");
    assert_eq!(d["owner_org"], "yamaguchi-city");
    assert_eq!(d["organization"]["name"], "yamaguchi-city");
    assert_eq!(d["license_title"], "Creative Commons Attribution 4.0");
    assert_eq!(d["num_tags"], 2);
    assert_eq!(d["tags"][0]["name"], "防災");
    let extras = d["extras"].as_array().unwrap();
    for (k, val) in [
        ("municipality", "35203"),
        ("frequency", "annual"),
        ("source", "テスト"),
    ] {
        assert!(
            extras.iter().any(|e| e["key"] == k && e["value"] == val),
            "{k} in {extras:?}"
        );
    }

    // The other organisation's token can neither change nor delete it.
    let patch = json!({"id": "aed-yamaguchi", "title": "乗っ取り"});
    let (s, _) = post_action(&app, "package_patch", patch.clone(), Some(&hagi)).await;
    assert_eq!(s, 403);
    let (s, _) = post_action(
        &app,
        "package_delete",
        json!({"id": "aed-yamaguchi"}),
        Some(&hagi),
    )
    .await;
    assert_eq!(s, 403);
    // Its own may; extras left out of a patch stay as they were.
    let patch = json!({"id": "aed-yamaguchi", "title": "AED設置箇所一覧（山口市）"});
    let (s, v) = post_action(&app, "package_patch", patch, Some(&city)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["title"], "AED設置箇所一覧（山口市）");
    assert_eq!(v["result"]["notes"], "テスト用のデータセット");
    assert!(
        v["result"]["extras"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["key"] == "frequency")
    );
    // package_update with show's own output changes nothing.
    let shown = v["result"].clone();
    let (s, v) = post_action(&app, "package_update", shown.clone(), Some(&city)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["extras"], shown["extras"]);
    assert_eq!(v["result"]["tags"], shown["tags"]);

    let (s, v) = post_action(
        &app,
        "package_delete",
        json!({"id": "aed-yamaguchi"}),
        Some(&city),
    )
    .await;
    assert_eq!((s, &v["result"]), (200, &Value::Null));
    let (s, _) = get_json(&app, "/api/3/action/package_show?id=aed-yamaguchi").await;
    assert_eq!(s, 404, "a deleted dataset is gone for the public");
}

#[tokio::test]
async fn validation_errors_are_per_field() {
    let app = app().await;
    let city = token(&app, "yamaguchi-city").await;
    let (s, _) = post_action(
        &app,
        "package_create",
        dataset("shelters", "yamaguchi-city"),
        Some(&city),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = post_action(
        &app,
        "package_create",
        dataset("shelters", "yamaguchi-city"),
        Some(&city),
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["__type"], "Validation Error");
    assert_eq!(v["error"]["name"], json!(["That URL is already in use."]));

    let mut bad = dataset("Bad Name", "yamaguchi-city");
    bad["title"] = json!("");
    bad["maintainer_email"] = json!("not an email");
    bad["extras"] = json!([{"key": "municipality", "value": "99999"}, {"key": "frequency", "value": "sometimes"}]);
    let (s, v) = post_action(&app, "package_create", bad, Some(&city)).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["frequency"], json!(["Unknown update frequency"]));
    let mut bad = dataset("Bad Name", "yamaguchi-city");
    bad["title"] = json!("");
    bad["maintainer_email"] = json!("not an email");
    bad["extras"] = json!([{"key": "municipality", "value": "99999"}]);
    let (s, v) = post_action(&app, "package_create", bad, Some(&city)).await;
    assert_eq!(s, 409, "{v}");
    let e = &v["error"];
    for field in ["name", "title", "maintainer_email", "municipality"] {
        assert!(e[field].is_array(), "{field} in {e}");
    }
    // A resource link that is not a URL, inline in package_create.
    let mut d = dataset("with-link", "yamaguchi-city");
    d["resources"] =
        json!([{"name": "ok", "url": "https://example.jp/a.csv"}, {"name": "bad", "url": "ftp:x"}]);
    let (s, v) = post_action(&app, "package_create", d, Some(&city)).await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["resources"][0], json!({}));
    assert!(v["error"]["resources"][1]["url"].is_array());
}

/// Negation, alternatives, name/id and time ranges in fq (and q), as CKAN clients send them.
#[tokio::test]
async fn fq_negation_alternatives_and_ranges() {
    let app = app().await;
    let city = token(&app, "yamaguchi-city").await;
    let hagi = token(&app, "hagi-city").await;
    // Created in this order, so their times increase.
    let mut shown = Vec::new();
    for (name, org, key, tag) in [
        ("fq-a", "yamaguchi-city", &city, "避難所"),
        ("fq-b", "hagi-city", &hagi, "公園"),
        ("fq-c", "hagi-city", &hagi, "防災"),
    ] {
        let mut d = dataset(name, org);
        d["tags"] = if name == "fq-b" {
            json!([{"name": tag}])
        } else {
            json!([{"name": "防災"}, {"name": tag}])
        };
        let (s, v) = post_action(&app, "package_create", d, Some(key)).await;
        assert_eq!(s, 200, "{v}");
        shown.push(v["result"].clone());
    }
    let modified = |i: usize| shown[i]["metadata_modified"].as_str().unwrap().to_string();
    let search = |body: Value| {
        let app = &app;
        async move {
            let mut body = body;
            body["sort"] = json!("name asc");
            let (s, v) = post_action(app, "package_search", body, None).await;
            assert_eq!(s, 200, "{v}");
            let names: Vec<String> = v["result"]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(v["result"]["count"], names.len());
            names
        }
    };
    let fq = |fq: String| search(json!({ "fq": fq }));
    assert_eq!(fq("-tags:防災".into()).await, ["fq-b"]);
    assert_eq!(fq("NOT tags:公園 !name:fq-c".into()).await, ["fq-a"]);
    assert_eq!(fq("tags:(公園 OR 避難所)".into()).await, ["fq-a", "fq-b"]);
    assert_eq!(
        fq("name:fq-a OR name:fq-c OR name:none".into()).await,
        ["fq-a", "fq-c"]
    );
    let id_b = shown[1]["id"].as_str().unwrap();
    assert_eq!(fq(format!("id:{id_b}")).await, ["fq-b"]);
    assert_eq!(
        fq("organization:hagi-city OR organization:yamaguchi-city -tags:公園".into()).await,
        ["fq-a", "fq-c"]
    );
    // Ranges with the stored times as ends (CKAN's form, plus Z), inclusive and exclusive.
    let b = modified(1);
    assert_eq!(
        fq(format!("metadata_modified:[{b}Z TO *]")).await,
        ["fq-b", "fq-c"]
    );
    assert_eq!(
        fq(format!("metadata_modified:{{{b}Z TO *]")).await,
        ["fq-c"]
    );
    assert_eq!(
        fq(format!("metadata_modified:[* TO {b}Z}}")).await,
        ["fq-a"]
    );
    assert_eq!(
        fq(format!("metadata_modified:[* TO {b}]")).await,
        ["fq-a", "fq-b"]
    );
    assert_eq!(
        fq(format!("-metadata_modified:\"{b}Z\"")).await,
        ["fq-a", "fq-c"]
    );
    assert_eq!(
        fq("metadata_created:[NOW-1DAY/DAY TO NOW+1MINUTE]".into()).await,
        ["fq-a", "fq-b", "fq-c"]
    );
    assert!(
        fq("metadata_created:[* TO NOW-1YEAR]".into())
            .await
            .is_empty()
    );
    // fq_list entries are all required; q written as a filter is one too.
    assert_eq!(
        search(json!({"fq_list": ["tags:防災", "-organization:yamaguchi-city"]})).await,
        ["fq-c"]
    );
    assert_eq!(search(json!({"q": "-tags:防災"})).await, ["fq-b"]);
    assert_eq!(
        search(json!({"q": format!("metadata_modified:{{{b}Z TO *]")})).await,
        ["fq-c"]
    );

    // ckanext-harvest's CKANHarvester (ckanext/harvest/harvesters/ckanharvester.py) sends
    // `" ".join(fq_terms)` by GET (urlencode): organizations_filter_include as
    // "organization:a OR organization:b", groups_filter_exclude as one "-groups:x" each, and
    // on an incremental harvest "metadata_modified:[{since}Z TO *]" with
    // since = (gather_started - 1 hour).isoformat(); it pages with sort=id asc.
    let harvest = format!(
        "organization:hagi-city OR organization:yamaguchi-city -groups:kids \
         metadata_modified:[{b}Z TO *]"
    );
    let query = serde_urlencoded::to_string([
        ("rows", "100"),
        ("start", "0"),
        ("sort", "id asc"),
        ("fq", harvest.as_str()),
    ])
    .unwrap();
    let (s, v) = get_json(&app, &format!("/api/3/action/package_search?{query}")).await;
    assert_eq!(s, 200, "{v}");
    let results = v["result"]["results"].as_array().unwrap();
    let ids: Vec<&str> = results.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id: {ids:?}");
    let mut names: Vec<&str> = results
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["fq-b", "fq-c"]);

    // What stays refused is a Search Query Error naming the part.
    for (fq, says) in [
        (
            "tags:防災 OR groups:kids",
            "OR between different fields (tags, groups)",
        ),
        ("tags:防災~1", "fuzzy"),
        ("tags:防災^2", "boosts (^)"),
        ("metadata_modified:[last-week TO *]", "expected a date"),
    ] {
        let (s, v) = post_action(&app, "package_search", json!({ "fq": fq }), None).await;
        assert_eq!(s, 400, "{fq}: {v}");
        assert_eq!(v["error"]["__type"], "Search Query Error");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{fq}: {message}");
    }
}

#[tokio::test]
async fn search_with_fq_and_facets() {
    let app = app().await;
    let city = token(&app, "yamaguchi-city").await;
    let hagi = token(&app, "hagi-city").await;
    post_action(
        &app,
        "package_create",
        dataset("yamaguchi-shelters", "yamaguchi-city"),
        Some(&city),
    )
    .await;
    let mut d = dataset("hagi-shelters", "hagi-city");
    d["extras"] = json!([{"key": "municipality", "value": "35204"}]);
    d["tags"] = json!(["防災"]);
    post_action(&app, "package_create", d, Some(&hagi)).await;
    let mut private = dataset("hagi-private", "hagi-city");
    private["private"] = json!(true);
    post_action(&app, "package_create", private, Some(&hagi)).await;

    let (s, v) = get_json(
        &app,
        "/api/3/action/package_search?q=%E9%81%BF%E9%9B%A3&facet.field=%5B%22organization%22,%22tags%22,%22municipality%22%5D",
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let r = &v["result"];
    assert_eq!(r["count"], 2, "避難 finds both public datasets");
    assert_eq!(r["facets"]["organization"]["hagi-city"], 1);
    assert_eq!(r["facets"]["tags"]["防災"], 2);
    let items = r["search_facets"]["municipality"]["items"]
        .as_array()
        .unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["name"] == "35204" && i["display_name"] == "萩市")
    );

    let fq = "/api/3/action/package_search?fq=organization:hagi-city%20AND%20tags:%22%E9%98%B2%E7%81%BD%22";
    let (_, v) = get_json(&app, fq).await;
    assert_eq!(v["result"]["count"], 1);
    assert_eq!(v["result"]["results"][0]["name"], "hagi-shelters");
    // POST with a JSON body, rows over the maximum clamped as CKAN does.
    let (s, v) = post_action(
        &app,
        "package_search",
        json!({"q": "", "rows": 5000, "sort": "name asc"}),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["results"][0]["name"], "hagi-shelters");
    // Private datasets: only with include_private and a token of their organisation.
    let (_, v) = post_action(
        &app,
        "package_search",
        json!({"include_private": true}),
        None,
    )
    .await;
    assert_eq!(v["result"]["count"], 2);
    let (_, v) = post_action(
        &app,
        "package_search",
        json!({"include_private": true}),
        Some(&hagi),
    )
    .await;
    assert_eq!(v["result"]["count"], 3);
    let (_, v) = post_action(
        &app,
        "package_search",
        json!({"include_private": true}),
        Some(&city),
    )
    .await;
    assert_eq!(v["result"]["count"], 2);
    let (s, v) = post_action(&app, "package_search", json!({"rows": -1}), None).await;
    assert_eq!(
        (s, &v["error"]["__type"]),
        (409, &json!("Validation Error"))
    );

    let (_, v) = get_json(&app, "/api/3/action/package_list").await;
    assert_eq!(v["result"], json!(["hagi-shelters", "yamaguchi-shelters"]));
    let (_, v) = get_json(&app, "/api/3/action/organization_list?all_fields=true").await;
    let orgs = v["result"].as_array().unwrap();
    let hagi_org = orgs.iter().find(|o| o["name"] == "hagi-city").unwrap();
    assert_eq!(hagi_org["package_count"], 1);
    let (s, v) = get_json(
        &app,
        "/api/3/action/organization_show?id=hagi-city&include_datasets=true",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["packages"].as_array().unwrap().len(), 1);
    let (_, v) = get_json(&app, "/api/3/action/tag_list").await;
    assert!(v["result"].as_array().unwrap().contains(&json!("避難所")));

    // The plain JSON search mirrors it.
    let (s, v) = get_json(
        &app,
        "/api/catalog/search?q=%E9%81%BF%E9%9B%A3&organization=hagi-city",
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["count"], 1);
    assert!(v["facets"]["organization"].is_array());
}

#[tokio::test]
async fn uploads_versions_datastore_and_downloads() {
    let app = app().await;
    let city = token(&app, "yamaguchi-city").await;
    let hagi = token(&app, "hagi-city").await;
    post_action(
        &app,
        "package_create",
        dataset("evac", "yamaguchi-city"),
        Some(&city),
    )
    .await;

    let (s, v) = upload(
        &app,
        "resource_create",
        &[("package_id", "evac"), ("name", "避難場所")],
        ("避難場所.csv", CSV_V1.as_bytes()),
        &hagi,
    )
    .await;
    assert_eq!(
        (s, &v["error"]["__type"]),
        (403, &json!("Authorization Error"))
    );
    let (s, v) = upload(
        &app,
        "resource_create",
        &[("package_id", "evac"), ("name", "避難場所")],
        ("避難場所.csv", CSV_V1.as_bytes()),
        &city,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let r = &v["result"];
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["format"], "CSV");
    assert_eq!(r["url_type"], "upload");
    assert_eq!(r["datastore_active"], true);
    let url = r["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "http://127.0.0.1:8080/dataset/evac/resource/{id}/download/"
        )),
        "{url}"
    );

    // A file that cannot be read: a validation error naming the upload, nothing stored.
    let (s, v) = upload(
        &app,
        "resource_update",
        &[("id", &id)],
        ("broken.csv", b"a,b\n1,2,3\n\"open"),
        &city,
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert!(v["error"]["upload"][0].as_str().unwrap().contains("line"));
    let (s, v) = upload(
        &app,
        "resource_update",
        &[("id", &id)],
        ("v2.csv", CSV_V2.as_bytes()),
        &city,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["version"], 2);

    // datastore_search in CKAN's shape.
    let uri = format!(
        "/api/3/action/datastore_search?resource_id={id}&limit=2&sort=%E5%8F%8E%E5%AE%B9%E4%BA%BA%E6%95%B0%20desc"
    );
    let (s, v) = get_json(&app, &uri).await;
    assert_eq!(s, 200, "{v}");
    let r = &v["result"];
    assert_eq!(r["resource_id"], id.as_str());
    assert_eq!(r["total"], 3);
    assert_eq!(r["fields"][0], json!({"id": "_id", "type": "int"}));
    assert!(
        r["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "収容人数" && f["type"] == "int")
    );
    assert_eq!(r["records"].as_array().unwrap().len(), 2);
    assert_eq!(r["records"][0]["名称"], "湯田中学校");
    assert!(
        r["_links"]["start"]
            .as_str()
            .unwrap()
            .starts_with("/api/3/action/datastore_search?")
    );
    assert!(r["_links"]["next"].as_str().unwrap().contains("offset=2"));
    let (s, v) = post_action(
        &app,
        "datastore_search",
        json!({"resource_id": id, "filters": {"名称": "大内公民館"}}),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["total"], 1);
    assert_eq!(v["result"]["records"][0]["収容人数"], 120);
    let (s, v) = post_action(
        &app,
        "datastore_search",
        json!({"resource_id": id, "filters": {"nope": 1}}),
        None,
    )
    .await;
    assert_eq!(
        (s, &v["error"]["__type"]),
        (409, &json!("Validation Error"))
    );
    assert!(v["error"]["filters"].is_array());
    let (s, v) = post_action(
        &app,
        "datastore_search",
        json!({"resource_id": "missing"}),
        None,
    )
    .await;
    assert_eq!((s, &v["error"]["__type"]), (404, &json!("Not Found Error")));

    // The data API: JSON with column filters, and CSV.
    let (s, v) = get_json(
        &app,
        &format!("/api/catalog/resources/{id}/data?%E5%90%8D%E7%A7%B0=%E5%B1%B1%E5%8F%A3%E5%B0%8F%E5%AD%A6%E6%A0%A1"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 1);
    assert_eq!(v["records"][0]["収容人数"], 320);
    let (s, body, res) = app
        .get(&format!("/api/catalog/resources/{id}/data?format=csv&fields=%E5%90%8D%E7%A7%B0,%E5%8F%8E%E5%AE%B9%E4%BA%BA%E6%95%B0&sort=-%E5%8F%8E%E5%AE%B9%E4%BA%BA%E6%95%B0"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        body,
        "名称,収容人数\r\n湯田中学校,500\r\n山口小学校,320\r\n大内公民館,120\r\n"
    );
    let (s, v) = get_json(&app, &format!("/api/catalog/resources/{id}/data?limit=abc")).await;
    assert_eq!(s, 400);
    assert!(v["message"].as_str().unwrap().contains("limit"));
    let (s, _) = get_json(&app, &format!("/api/catalog/resources/{id}/data?nope=1")).await;
    assert_eq!(s, 400);

    // Downloads: the current version, and the first one, byte for byte.
    let (s, body, res) = app
        .get(&format!("/dataset/evac/resource/{id}/download"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(body, CSV_V2);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let cd = res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(cd.starts_with("attachment; filename=\""), "{cd}");
    assert!(cd.contains("filename*=UTF-8''v2.csv"), "{cd}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let (s, body, res) = app
        .get(&format!("/dataset/evac/resource/{id}/version/1/download"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(body, CSV_V1);
    assert!(
        res.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("%E9%81%BF%E9%9B%A3")
    );
    let (s, _, _) = app
        .get(&format!("/dataset/evac/resource/{id}/version/9/download"))
        .await;
    assert_eq!(s, 404);
    let (s, body, _) = app
        .get(&format!(
            "/dataset/evac/resource/{id}/download/whatever.csv"
        ))
        .await;
    assert_eq!((s, body.as_str()), (200, CSV_V2));
    let (s, _, _) = app
        .get(&format!("/dataset/other/resource/{id}/download"))
        .await;
    assert_eq!(s, 404, "the dataset in the URL must be the resource's");
    let (s, _, res) = app.get("/dataset/evac/latest/download").await;
    assert_eq!(s, 303);
    assert!(
        res.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with(&format!("/resource/{id}/download"))
    );

    // resource_show, and a private dataset's file is hidden from the public.
    let (s, v) = get_json(&app, &format!("/api/3/action/resource_show?id={id}")).await;
    assert_eq!((s, &v["result"]["id"]), (200, &json!(id)));
    let (s, _) = post_action(
        &app,
        "package_patch",
        json!({"id": "evac", "private": true}),
        Some(&city),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, _) = app
        .get(&format!("/dataset/evac/resource/{id}/download"))
        .await;
    assert_eq!(s, 404);
    let (s, _, _) = app
        .get_with(
            &format!("/dataset/evac/resource/{id}/download"),
            &[("authorization", &city)],
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = get_json(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={id}"),
    )
    .await;
    assert_eq!(s, 404);

    let (s, _) = post_action(&app, "resource_delete", json!({"id": id}), Some(&city)).await;
    assert_eq!(s, 200);
    let (s, v) = get_json(&app, &format!("/api/3/action/resource_show?id={id}")).await;
    assert_eq!((s, &v["error"]["__type"]), (404, &json!("Not Found Error")));
}

#[tokio::test]
async fn dcat_documents_and_sitemap() {
    let app = app().await;
    let city = token(&app, "yamaguchi-city").await;
    post_action(
        &app,
        "package_create",
        dataset("evac", "yamaguchi-city"),
        Some(&city),
    )
    .await;
    for (path, ct) in [
        ("/catalog.ttl", "text/turtle; charset=utf-8"),
        ("/catalog.jsonld", "application/ld+json; charset=utf-8"),
        ("/catalog.rdf", "application/rdf+xml; charset=utf-8"),
    ] {
        let (s, body, res) = app.get(path).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], ct, "{path}");
        assert!(body.contains("Dataset"), "{path}");
        assert!(body.contains("hydra"), "{path}");
    }
    let (s, _, _) = app.get("/catalog.ttl?page=2").await;
    assert_eq!(s, 404);
    let (s, _, _) = app.get("/catalog.ttl?page=zero").await;
    assert_eq!(s, 400);

    let st = &app.state;
    for (name, ct) in [
        ("evac.ttl", "text/turtle; charset=utf-8"),
        ("evac.jsonld", "application/ld+json; charset=utf-8"),
        ("evac.rdf", "application/rdf+xml; charset=utf-8"),
    ] {
        let res = ydx_web::catalog::api::dcat_dataset_response(st, &app.catalog, None, name)
            .await
            .expect("a DCAT suffix is answered");
        let (s, body, res) = split(res).await;
        assert_eq!(s, 200);
        assert_eq!(res.headers()[header::CONTENT_TYPE], ct);
        assert!(body.contains("指定緊急避難場所一覧 evac"));
    }
    assert!(
        ydx_web::catalog::api::dcat_dataset_response(st, &app.catalog, None, "evac")
            .await
            .is_none()
    );
    let res = ydx_web::catalog::api::dcat_dataset_response(st, &app.catalog, None, "gone.ttl")
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let (s, body, res) = app.get("/sitemap.xml").await;
    assert_eq!(s, 200);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/xml; charset=utf-8"
    );
    assert!(body.contains("<loc>http://127.0.0.1:8080/dataset/evac</loc>"));
    assert!(body.contains("<loc>http://127.0.0.1:8080/organization/yamaguchi-city</loc>"));
    assert!(body.contains("<loc>http://127.0.0.1:8080/catalog</loc>"));

    // The data API is in the OpenAPI document.
    let (_, v) = get_json(&app, "/api/openapi.json").await;
    for p in [
        "/api/catalog/resources/{id}/data",
        "/api/catalog/datasets/{name}/series/data",
        "/api/catalog/search",
    ] {
        assert!(v["paths"][p].is_object(), "{p}");
    }
}
