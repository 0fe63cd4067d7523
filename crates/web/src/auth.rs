//! Who is asking: sessions for people (cookie), API tokens for machine clients (header),
//! CSRF tokens for forms, and sign-in throttling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ydx_accounts::Principal;

use crate::AppState;
use crate::i18n::{Lang, cookie};

pub const SESSION_COOKIE: &str = "ydx_session";
pub const CSRF_COOKIE: &str = "ydx_csrf";

/// The person behind a page request, resolved once per request by [`visitor_layer`].
#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Lang,
    pub principal: Option<Principal>,
    /// The token forms must echo back in `_csrf`.
    pub csrf: String,
}

impl Visitor {
    /// Checks a form's CSRF token (constant time).
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        let a = self.csrf.as_bytes();
        let b = submitted.as_bytes();
        a.len() == b.len()
            && !a.is_empty()
            && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .unwrap_or_else(|| Visitor {
                lang: Lang::from_headers(&parts.headers),
                principal: None,
                csrf: String::new(),
            }))
    }
}

/// Resolves the session cookie (and gives an anonymous visitor a CSRF cookie) for pages.
pub async fn visitor_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let is_page = !(path.starts_with("/api/")
        || path.starts_with("/static/")
        || path == "/healthz"
        || path == "/metrics");
    if !is_page {
        return next.run(req).await;
    }
    let headers = req.headers();
    let lang = Lang::from_headers(headers);
    let mut principal = None;
    let mut csrf = None;
    if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        match state.accounts.session(&secret).await {
            Ok(Some((p, token))) => {
                principal = Some(p);
                csrf = Some(token);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "session lookup failed"),
        }
    }
    let mut new_cookie = None;
    let csrf = match csrf.or_else(|| cookie(headers, CSRF_COOKIE).filter(|c| c.len() == 64)) {
        Some(c) => c,
        None => {
            let c = ydx_accounts::new_secret("").unwrap_or_default();
            new_cookie = Some(c.clone());
            c
        }
    };
    req.extensions_mut().insert(Visitor {
        lang,
        principal,
        csrf,
    });
    let mut res = next.run(req).await;
    if let Some(c) = new_cookie
        && let Ok(v) = HeaderValue::from_str(&cookie_header(&state, CSRF_COOKIE, &c, None))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when served over TLS.
pub fn cookie_header(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        s.push_str("; Secure");
    }
    s
}

/// The caller of a JSON API: a CKAN-style token in `Authorization` (with or without
/// `Bearer`), `X-CKAN-API-Key`, or a signed-in session.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Option<Principal>);

/// Reads the API token from the headers CKAN clients send.
pub fn api_token(headers: &HeaderMap) -> Option<String> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .or_else(|| headers.get("x-ckan-api-key"))?
        .to_str()
        .ok()?
        .trim();
    let token = raw.strip_prefix("Bearer ").unwrap_or(raw).trim();
    (!token.is_empty()).then(|| token.to_string())
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = api_token(&parts.headers) {
            let p = state
                .accounts
                .token_principal(&token)
                .await
                .map_err(crate::error::ApiError::internal)?;
            // An unknown token is refused rather than treated as anonymous, so a client with
            // a revoked token learns it at once.
            return match p {
                Some(p) => Ok(ApiCaller(Some(p))),
                None => Err(crate::error::ApiError::Unauthorized),
            };
        }
        if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE)
            && let Ok(Some((p, _))) = state.accounts.session(&secret).await
        {
            return Ok(ApiCaller(Some(p)));
        }
        Ok(ApiCaller(None))
    }
}

/// Slows down password guessing: after [`MAX_FAILURES`] failed sign-ins for one email address
/// within [`WINDOW`], further attempts are refused until the window has passed.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginThrottle {
    pub fn is_locked(&self, key: &str) -> bool {
        let Ok(map) = self.failures.lock() else {
            return false;
        };
        map.get(key)
            .is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < WINDOW)
    }

    pub fn record_failure(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (_, since)| since.elapsed() < WINDOW);
            }
            let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}
