use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use ydx_accounts::{Accounts, OrgKind, Organization, PasswordCost, Role, UserKind};
use ydx_storage::testing::TestDb;
use ydx_web::{AppState, WebConfig};

pub struct TestApp {
    pub state: AppState,
    /// The catalog engine registered in the app (for setting up data directly).
    pub catalog: ydx_catalog::Catalog,
    pub router: Router,
    _db: TestDb,
    _blobs: tempfile::TempDir,
}

pub const PASSWORD: &str = "test password 1";

pub async fn app() -> TestApp {
    let db = ydx_storage::testing::sqlite(&[ydx_accounts::migrations(), ydx_catalog::migrations()])
        .await
        .unwrap();
    let blobs_dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(ydx_storage::FsBlobStore::open(blobs_dir.path()).unwrap());
    let accounts = Accounts::new(db.db.clone(), PasswordCost::TestOnly).unwrap();
    for (id, kind) in [
        ("yamaguchi-pref", OrgKind::Prefecture),
        ("hagi-city", OrgKind::Municipality),
        ("yamaguchi-city", OrgKind::Municipality),
    ] {
        accounts
            .create_org(&Organization {
                id: id.into(),
                kind,
                name_ja: id.into(),
                name_en: id.into(),
                municipality_code: None,
                description: String::new(),
                created_at: String::new(),
            })
            .await
            .unwrap();
    }
    let staff = accounts
        .create_user("staff@hagi.example", "萩 職員", PASSWORD, UserKind::Staff)
        .await
        .unwrap();
    accounts
        .set_membership(&staff.id, "hagi-city", Role::Admin)
        .await
        .unwrap();
    accounts
        .create_user("resident@example.jp", "住民", PASSWORD, UserKind::Resident)
        .await
        .unwrap();
    let catalog = ydx_catalog::Catalog::new(
        db.db.clone(),
        blobs.clone(),
        ydx_catalog::CatalogLimits::default(),
    );
    let state = AppState::new(
        db.db.clone(),
        accounts,
        ydx_region::Region::bundled().unwrap(),
        blobs,
        WebConfig::default(),
        vec![Arc::new(ydx_web::catalog::CatalogEngine::new(
            catalog.clone(),
        ))],
    );
    TestApp {
        catalog,
        router: ydx_web::app(state.clone()),
        state,
        _db: db,
        _blobs: blobs_dir,
    }
}

impl TestApp {
    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    pub async fn get(&self, uri: &str) -> (u16, String, Response<()>) {
        self.get_with(uri, &[]).await
    }

    pub async fn get_with(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (u16, String, Response<()>) {
        let mut b = Request::get(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        split(self.send(b.body(Body::empty()).unwrap()).await).await
    }

    pub async fn post_form(
        &self,
        uri: &str,
        form: &[(&str, &str)],
        cookies: &str,
    ) -> (u16, String, Response<()>) {
        let body = serde_urlencoded::to_string(form).unwrap();
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookies)
            .body(Body::from(body))
            .unwrap();
        split(self.send(req).await).await
    }

    /// Signs in through the form as a person would and returns the cookie header to send.
    pub async fn sign_in(&self, email: &str) -> String {
        let (_, _, res) = self.get("/signin").await;
        let csrf = set_cookie(&res, "ydx_csrf").unwrap();
        let cookies = format!("ydx_csrf={csrf}");
        let (status, _, res) = self
            .post_form(
                "/signin",
                &[("email", email), ("password", PASSWORD), ("_csrf", &csrf)],
                &cookies,
            )
            .await;
        assert_eq!(status, 303, "sign-in should redirect");
        let session = set_cookie(&res, "ydx_session").unwrap();
        format!("ydx_session={session}")
    }
}

pub async fn split(res: Response<Body>) -> (u16, String, Response<()>) {
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status.as_u16(),
        String::from_utf8_lossy(&bytes).into_owned(),
        Response::from_parts(parts, ()),
    )
}

pub fn set_cookie(res: &Response<()>, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

/// The CSRF token a page's forms carry.
pub fn csrf_in(html: &str) -> String {
    let i = html
        .find("name=\"_csrf\" value=\"")
        .expect("page has a CSRF field")
        + 20;
    html[i..i + 64].to_string()
}
