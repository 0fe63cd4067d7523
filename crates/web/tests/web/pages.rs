use crate::util::*;

#[tokio::test]
async fn language_follows_cookie_then_accept_language() {
    let app = app().await;
    let (_, body, _) = app.get("/").await;
    assert!(body.contains("<html lang=\"ja\""));
    assert!(body.contains("やまぐちデジタル行政サービス"));
    let (_, body, _) = app
        .get_with("/", &[("accept-language", "en-GB,en;q=0.9")])
        .await;
    assert!(body.contains("<html lang=\"en\""));
    assert!(body.contains("Yamaguchi Digital Public Services"));
    let (_, body, _) = app
        .get_with(
            "/",
            &[("accept-language", "en"), ("cookie", "ydx_lang=ja-easy")],
        )
        .await;
    assert!(body.contains("<html lang=\"ja\""));
    assert!(body.contains("やまぐちけんの デジタル サービス"));
    // Switching sets the cookie and returns to a local page only.
    let (s, _, res) = app.get("/lang/en?back=%2Fmap").await;
    assert_eq!(s, 303);
    assert_eq!(res.headers()["location"], "/map");
    assert_eq!(set_cookie(&res, "ydx_lang").unwrap(), "en");
    let (_, _, res) = app.get("/lang/en?back=https%3A%2F%2Fevil.example").await;
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn map_page_shows_boundaries_attribution_and_locates_without_javascript() {
    let app = app().await;
    let (s, body, _) = app.get("/map?lat=34.4178&lon=131.3881").await;
    assert_eq!(s, 200);
    assert!(body.contains("出典：国土数値情報（行政区域データ）（国土交通省）"));
    assert!(body.contains("data-boundaries=\"/api/region/boundaries.geojson\""));
    assert!(body.contains("萩市"));
    assert!(body.contains("すぐ外"));
    let (s, body, _) = app.get("/map?lat=north&lon=131").await;
    assert_eq!(s, 400);
    assert!(body.contains("緯度・経度を数字で入力してください"));
}

#[tokio::test]
async fn sign_in_needs_the_csrf_token_and_the_right_password() {
    let app = app().await;
    let (_, html, res) = app.get("/signin").await;
    let csrf = set_cookie(&res, "ydx_csrf").unwrap();
    assert_eq!(csrf_in(&html), csrf);
    let cookies = format!("ydx_csrf={csrf}");
    let (s, body, _) = app
        .post_form(
            "/signin",
            &[
                ("email", "staff@hagi.example"),
                ("password", PASSWORD),
                ("_csrf", "forged"),
            ],
            &cookies,
        )
        .await;
    assert_eq!(s, 400);
    assert!(body.contains("有効期限"));
    let (s, body, res) = app
        .post_form(
            "/signin",
            &[
                ("email", "staff@hagi.example"),
                ("password", "wrong password"),
                ("_csrf", &csrf),
            ],
            &cookies,
        )
        .await;
    assert_eq!(s, 401);
    assert!(body.contains("正しくありません"));
    assert!(set_cookie(&res, "ydx_session").is_none());
    let session = app.sign_in("staff@hagi.example").await;
    let (_, body, _) = app.get_with("/", &[("cookie", &session)]).await;
    assert!(body.contains("萩 職員"));
    assert!(body.contains("href=\"/staff\""));
}

#[tokio::test]
async fn session_cookie_is_httponly_and_samesite() {
    let app = app().await;
    let (_, _, res) = app.get("/signin").await;
    let csrf = set_cookie(&res, "ydx_csrf").unwrap();
    let (_, _, res) = app
        .post_form(
            "/signin",
            &[
                ("email", "resident@example.jp"),
                ("password", PASSWORD),
                ("_csrf", &csrf),
            ],
            &format!("ydx_csrf={csrf}"),
        )
        .await;
    let raw = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("ydx_session="))
        .unwrap();
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
}

#[tokio::test]
async fn repeated_failures_lock_sign_in() {
    let app = app().await;
    let (_, _, res) = app.get("/signin").await;
    let csrf = set_cookie(&res, "ydx_csrf").unwrap();
    let cookies = format!("ydx_csrf={csrf}");
    for _ in 0..5 {
        let (s, _, _) = app
            .post_form(
                "/signin",
                &[
                    ("email", "staff@hagi.example"),
                    ("password", "guess guess"),
                    ("_csrf", &csrf),
                ],
                &cookies,
            )
            .await;
        assert_eq!(s, 401);
    }
    // Even the right password is refused while locked.
    let (s, body, _) = app
        .post_form(
            "/signin",
            &[
                ("email", "staff@hagi.example"),
                ("password", PASSWORD),
                ("_csrf", &csrf),
            ],
            &cookies,
        )
        .await;
    assert_eq!(s, 429);
    assert!(body.contains("15分"));
}

#[tokio::test]
async fn residents_sign_up_with_clear_errors() {
    let app = app().await;
    let (_, html, res) = app.get("/signup").await;
    let csrf = set_cookie(&res, "ydx_csrf").unwrap();
    assert_eq!(csrf_in(&html), csrf);
    let cookies = format!("ydx_csrf={csrf}");
    let (s, body, _) = app
        .post_form(
            "/signup",
            &[
                ("email", "new@example.jp"),
                ("password", "short"),
                ("_csrf", &csrf),
            ],
            &cookies,
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("10文字以上"));
    let (s, body, _) = app
        .post_form(
            "/signup",
            &[
                ("email", "resident@example.jp"),
                ("password", "long enough 123"),
                ("_csrf", &csrf),
            ],
            &cookies,
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("すでに登録"));
    let (s, _, res) = app
        .post_form(
            "/signup",
            &[
                ("email", "new@example.jp"),
                ("password", "long enough 123"),
                ("_csrf", &csrf),
            ],
            &cookies,
        )
        .await;
    assert_eq!(s, 303);
    assert!(set_cookie(&res, "ydx_session").is_some());
}

#[tokio::test]
async fn staff_area_is_for_staff_and_tokens_are_shown_once() {
    let app = app().await;
    let (s, _, res) = app.get("/staff").await;
    assert_eq!(s, 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/signin")
    );
    let resident = app.sign_in("resident@example.jp").await;
    let (s, _, _) = app.get_with("/staff", &[("cookie", &resident)]).await;
    assert_eq!(s, 403);

    let staff = app.sign_in("staff@hagi.example").await;
    let (s, html, _) = app
        .get_with("/staff/tokens?org=hagi-city", &[("cookie", &staff)])
        .await;
    assert_eq!(s, 200);
    let csrf = csrf_in(&html);
    let (s, html, _) = app
        .post_form(
            "/staff/tokens",
            &[("org", "hagi-city"), ("name", "ckanapi"), ("_csrf", &csrf)],
            &staff,
        )
        .await;
    assert_eq!(s, 200);
    assert!(html.contains("ydx_"), "the new token is shown");
    // Staff of Hagi cannot create tokens for another municipality.
    let (s, _, _) = app
        .post_form(
            "/staff/tokens",
            &[("org", "yamaguchi-city"), ("name", "x"), ("_csrf", &csrf)],
            &staff,
        )
        .await;
    assert_eq!(s, 403);
    let (_, html, _) = app
        .get_with("/staff/tokens?org=hagi-city", &[("cookie", &staff)])
        .await;
    assert!(html.contains("ckanapi"));
    assert!(!html.contains("ydx_"), "a token is shown only once");
}

#[tokio::test]
async fn municipality_pages_are_the_targets_of_place_uris() {
    let app = app().await;
    let (s, body, _) = app.get("/region/municipality/35204").await;
    assert_eq!(s, 200);
    assert!(body.contains("萩市") && body.contains("はぎし") && body.contains("352047"));
    assert!(body.contains("/api/region/municipalities/35204/boundary.geojson"));
    let (s, _, _) = app.get("/region/municipality/352047").await;
    assert_eq!(s, 200, "the 6-digit code works too");
    let (s, _, _) = app.get("/region/municipality/13101").await;
    assert_eq!(s, 404);
    let (s, _, res) = app.get("/region/prefecture/35").await;
    assert_eq!(s, 303);
    assert_eq!(res.headers()["location"], "/map");
}
