//! The shell's pages: layout context, home, sign-in and sign-up, language and municipality
//! choice, the region map, error pages.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use ydx_accounts::{AccountError, UserKind};

use crate::AppState;
use crate::auth::{SESSION_COOKIE, Visitor, cookie_header};
use crate::error::PageError;
use crate::i18n::{LANG_COOKIE, Lang, Texts, cookie};

/// The cookie that remembers the chosen municipality.
pub const MUNICIPALITY_COOKIE: &str = "ydx_municipality";

/// Renders a template, or a plain 500 when rendering fails (logged).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// What the layout needs on every page.
pub struct PageCtx {
    pub lang: Lang,
    pub t: &'static Texts,
    pub title: String,
    pub user_name: Option<String>,
    pub is_staff: bool,
    pub csrf: String,
    pub nav: Vec<(String, String)>,
    /// (code, name) of each municipality, for the selector.
    pub municipalities: Vec<(String, String)>,
    pub selected_municipality: String,
    /// The current path and query, to come back to after switching language.
    pub here: String,
    pub demo: bool,
    pub langs: Vec<(&'static str, &'static str, bool)>,
}

impl PageCtx {
    /// A context without request data, for error pages.
    pub fn bare(lang: Lang, title: &str) -> PageCtx {
        PageCtx {
            lang,
            t: lang.texts(),
            title: title.to_string(),
            user_name: None,
            is_staff: false,
            csrf: String::new(),
            nav: Vec::new(),
            municipalities: Vec::new(),
            selected_municipality: String::new(),
            here: "/".into(),
            demo: false,
            langs: langs(lang),
        }
    }

    pub fn new(
        state: &AppState,
        visitor: &Visitor,
        headers: &HeaderMap,
        here: &str,
        title: &str,
    ) -> PageCtx {
        let lang = visitor.lang;
        let t = lang.texts();
        let mut nav = vec![
            ("/".to_string(), t.home.to_string()),
            ("/map".to_string(), t.map.to_string()),
        ];
        nav.extend(
            state
                .nav()
                .iter()
                .map(|e| (e.path.to_string(), e.label(lang).to_string())),
        );
        PageCtx {
            lang,
            t,
            title: title.to_string(),
            user_name: visitor
                .principal
                .as_ref()
                .map(|p| p.user.display_name.clone()),
            is_staff: visitor.principal.as_ref().is_some_and(|p| p.is_staff()),
            csrf: visitor.csrf.clone(),
            nav,
            municipalities: state
                .region
                .municipalities()
                .iter()
                .map(|m| {
                    (
                        m.code().to_string(),
                        lang.pick(m.name_ja(), m.name_en()).to_string(),
                    )
                })
                .collect(),
            selected_municipality: cookie(headers, MUNICIPALITY_COOKIE).unwrap_or_default(),
            here: here.to_string(),
            demo: state.config.demo,
            langs: langs(lang),
        }
    }

    /// The `here` path with `&`-safe encoding, for `back=` parameters.
    pub fn here_encoded(&self) -> String {
        serde_urlencoded::to_string([("back", &self.here)]).unwrap_or_default()
    }

    pub fn is_current(&self, path: &str) -> bool {
        if path == "/" {
            self.here == "/"
        } else {
            self.here.starts_with(path)
        }
    }
}

fn langs(current: Lang) -> Vec<(&'static str, &'static str, bool)> {
    Lang::ALL
        .iter()
        .map(|l| (l.code(), l.native_name(), *l == current))
        .collect()
}

/// Only local paths may be returned to, so `back=` cannot send a visitor elsewhere.
pub fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_string(),
        _ => "/".to_string(),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(show_home))
        .route("/map", get(show_map))
        .route("/region/prefecture/{code}", get(show_prefecture))
        .route("/region/municipality/{code}", get(show_municipality))
        .route("/lang/{code}", get(set_lang))
        .route("/municipality", get(set_municipality))
        .route("/signin", get(show_signin).post(create_session))
        .route("/signout", axum::routing::post(delete_session))
        .route("/signup", get(show_signup).post(create_account))
        .route("/robots.txt", get(robots))
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub status: u16,
    pub message: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    services: Vec<(String, String)>,
}

async fn show_home(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let t = visitor.lang.texts();
    let ctx = PageCtx::new(&state, &visitor, &headers, "/", t.site_name);
    let services = ctx.nav.iter().skip(1).cloned().collect();
    render(&HomePage { ctx, services })
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    ctx: PageCtx,
    tile_url: String,
    tile_attribution: String,
    rows: Vec<MunicipalityRow>,
    lat: String,
    lon: String,
    result: Option<LocateView>,
    error: Option<String>,
}

struct MunicipalityRow {
    code: String,
    lg_code: String,
    name: String,
    kana: String,
    name_en: String,
}

struct LocateView {
    message: String,
    municipality: Option<String>,
    distance_m: Option<f64>,
}

#[derive(Deserialize)]
struct LocateForm {
    lat: Option<String>,
    lon: Option<String>,
}

async fn show_map(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<LocateForm>,
) -> Response {
    let lang = visitor.lang;
    let t = lang.texts();
    let mut here = "/map".to_string();
    let (mut result, mut error) = (None, None);
    let lat = q.lat.unwrap_or_default();
    let lon = q.lon.unwrap_or_default();
    if !lat.is_empty() || !lon.is_empty() {
        here = format!(
            "/map?{}",
            serde_urlencoded::to_string([("lat", &lat), ("lon", &lon)]).unwrap_or_default()
        );
        match ydx_region::parse_coordinate(&format!("{},{}", lat.trim(), lon.trim())) {
            Ok(p) => {
                let out = crate::region_api::locate(&state, p.lat, p.lon);
                let name = out
                    .municipality_code()
                    .and_then(|c| state.region.municipality(c).ok())
                    .map(|m| lang.pick(m.name_ja(), m.name_en()).to_string());
                result = Some(LocateView {
                    message: match out.method() {
                        "inside" => t.located_inside,
                        "snapped" => t.located_snapped,
                        _ => t.located_outside,
                    }
                    .to_string(),
                    municipality: name,
                    distance_m: out.distance_m(),
                });
            }
            Err(_) => error = Some(t.invalid_coordinate.to_string()),
        }
    }
    let ctx = PageCtx::new(&state, &visitor, &headers, &here, t.map_title);
    let rows = state
        .region
        .municipalities()
        .iter()
        .map(|m| MunicipalityRow {
            code: m.code().to_string(),
            lg_code: m.lg_code().to_string(),
            name: m.name_ja().to_string(),
            kana: m.name_kana().to_string(),
            name_en: m.name_en().to_string(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        render(&MapPage {
            ctx,
            tile_url: state.config.tile_url.clone(),
            tile_attribution: state.config.tile_attribution_html.clone(),
            rows,
            lat,
            lon,
            result,
            error,
        }),
    )
        .into_response()
}

/// The prefecture's page is the map of its municipalities (DCAT names it as a place).
async fn show_prefecture(
    axum::extract::Path(code): axum::extract::Path<String>,
    visitor: Visitor,
) -> Response {
    if code == "35" || code == "350001" {
        Redirect::to("/map").into_response()
    } else {
        PageError::not_found(visitor.lang).into_response()
    }
}

#[derive(Template)]
#[template(path = "municipality.html")]
struct MunicipalityPage {
    ctx: PageCtx,
    row: MunicipalityRow,
    kind: String,
    tile_url: String,
    tile_attribution: String,
    services: Vec<(String, String)>,
}

/// A municipality's page: its names and codes, its area on the map, and links to each
/// engine's records for it. Also the target of the municipality URIs in DCAT documents.
async fn show_municipality(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Response {
    let lang = visitor.lang;
    let Ok(m) = state.region.municipality(&code) else {
        return PageError::not_found(lang).into_response();
    };
    let name = lang.pick(m.name_ja(), m.name_en()).to_string();
    let ctx = PageCtx::new(
        &state,
        &visitor,
        &headers,
        &format!("/region/municipality/{}", m.code()),
        &name,
    );
    let services = state
        .engines
        .iter()
        .flat_map(|e| e.nav())
        .map(|n| {
            (
                format!("{}/municipality/{}", n.path, m.code()),
                n.label(lang).to_string(),
            )
        })
        .collect();
    render(&MunicipalityPage {
        ctx,
        row: MunicipalityRow {
            code: m.code().to_string(),
            lg_code: m.lg_code().to_string(),
            name,
            kana: m.name_kana().to_string(),
            name_en: m.name_en().to_string(),
        },
        kind: lang
            .pick(m.kind().name_ja(), m.kind().name_en())
            .to_string(),
        tile_url: state.config.tile_url.clone(),
        tile_attribution: state.config.tile_attribution_html.clone(),
        services,
    })
}

#[derive(Deserialize)]
struct BackQuery {
    back: Option<String>,
    code: Option<String>,
}

async fn set_lang(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<BackQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Ja);
    let cookie = cookie_header(&state, LANG_COOKIE, lang.code(), Some(365 * 24 * 3600));
    redirect_with_cookie(&safe_back(q.back.as_deref()), &cookie)
}

async fn set_municipality(State(state): State<AppState>, Query(q): Query<BackQuery>) -> Response {
    let code = q
        .code
        .as_deref()
        .and_then(|c| state.region.municipality(c).ok())
        .map(|m| m.code().to_string())
        .unwrap_or_default();
    let cookie = cookie_header(&state, MUNICIPALITY_COOKIE, &code, Some(365 * 24 * 3600));
    redirect_with_cookie(&safe_back(q.back.as_deref()), &cookie)
}

fn redirect_with_cookie(to: &str, cookie: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    ctx: PageCtx,
    email: String,
    error: Option<String>,
    back: String,
}

#[derive(Deserialize)]
struct SignInQuery {
    back: Option<String>,
}

async fn show_signin(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let t = visitor.lang.texts();
    let ctx = PageCtx::new(&state, &visitor, &headers, "/signin", t.sign_in);
    render(&SignInPage {
        ctx,
        email: String::new(),
        error: None,
        back: safe_back(q.back.as_deref()),
    })
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    back: Option<String>,
}

async fn create_session(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = visitor.lang;
    let t = lang.texts();
    if !visitor.csrf_ok(&form.csrf) {
        return PageError::csrf_refused(lang).into_response();
    }
    let key = form.email.trim().to_lowercase();
    let back = safe_back(form.back.as_deref());
    let fail = |msg: &str, status: StatusCode| {
        let ctx = PageCtx::new(&state, &visitor, &headers, "/signin", t.sign_in);
        (
            status,
            render(&SignInPage {
                ctx,
                email: form.email.clone(),
                error: Some(msg.to_string()),
                back: back.clone(),
            }),
        )
            .into_response()
    };
    if state.throttle.is_locked(&key) {
        tracing::warn!("sign-in refused: throttled");
        return fail(t.too_many_attempts, StatusCode::TOO_MANY_REQUESTS);
    }
    match state.accounts.authenticate(&key, &form.password).await {
        Ok(Some(user)) => {
            state.throttle.clear(&key);
            match state.accounts.create_session(&user.id).await {
                Ok(secret) => {
                    let cookie =
                        cookie_header(&state, SESSION_COOKIE, &secret, Some(14 * 24 * 3600));
                    redirect_with_cookie(&back, &cookie)
                }
                Err(e) => PageError::internal(lang, e).into_response(),
            }
        }
        Ok(None) => {
            state.throttle.record_failure(&key);
            fail(t.bad_credentials, StatusCode::UNAUTHORIZED)
        }
        Err(e) => PageError::internal(lang, e).into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn delete_session(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return PageError::csrf_refused(visitor.lang).into_response();
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.accounts.end_session(&secret).await
    {
        return PageError::internal(visitor.lang, e).into_response();
    }
    redirect_with_cookie("/", &cookie_header(&state, SESSION_COOKIE, "", Some(0)))
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    ctx: PageCtx,
    email: String,
    display_name: String,
    errors: Vec<String>,
}

async fn show_signup(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let t = visitor.lang.texts();
    let ctx = PageCtx::new(&state, &visitor, &headers, "/signup", t.sign_up);
    render(&SignUpPage {
        ctx,
        email: String::new(),
        display_name: String::new(),
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
struct SignUpForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn create_account(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<SignUpForm>,
) -> Response {
    let lang = visitor.lang;
    let t = lang.texts();
    if !visitor.csrf_ok(&form.csrf) {
        return PageError::csrf_refused(lang).into_response();
    }
    let name = if form.display_name.trim().is_empty() {
        form.email.split('@').next().unwrap_or("").to_string()
    } else {
        form.display_name.clone()
    };
    let error = match state
        .accounts
        .create_user(&form.email, &name, &form.password, UserKind::Resident)
        .await
    {
        Ok(user) => {
            return match state.accounts.create_session(&user.id).await {
                Ok(secret) => redirect_with_cookie(
                    "/",
                    &cookie_header(&state, SESSION_COOKIE, &secret, Some(14 * 24 * 3600)),
                ),
                Err(e) => PageError::internal(lang, e).into_response(),
            };
        }
        Err(AccountError::EmailTaken) => t.email_taken,
        Err(AccountError::InvalidEmail) => t.invalid_email,
        Err(AccountError::PasswordTooShort { .. }) => t.password_too_short,
        Err(e) => return PageError::internal(lang, e).into_response(),
    };
    let ctx = PageCtx::new(&state, &visitor, &headers, "/signup", t.sign_up);
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&SignUpPage {
            ctx,
            email: form.email,
            display_name: form.display_name,
            errors: vec![error.to_string()],
        }),
    )
        .into_response()
}

/// Crawlers may read everything public, the APIs included (CKAN's default robots.txt blocks
/// `/api/`, which hides the data from dataset search engines).
async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nAllow: /api/\nDisallow: /staff/\nDisallow: /signin\nDisallow: /signup\n\nSitemap: {}/sitemap.xml\n",
        state.config.base_url.trim_end_matches('/')
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
