//! The staff area: one place under `/staff` for everything staff do. The shell provides the
//! overview, the audit log of the staff's organisations, and API tokens; engines add their
//! own staff pages through [`crate::Engine::staff_nav`].

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use ydx_accounts::{ApiToken, AuditEntry, Principal};

use crate::AppState;
use crate::auth::Visitor;
use crate::error::PageError;
use crate::pages::{PageCtx, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(show_overview))
        .route("/staff/audit", get(list_audit))
        .route("/staff/tokens", get(list_tokens).post(create_token))
        .route("/staff/tokens/revoke", post(revoke_token))
}

/// The signed-in staff member, or the page to send everyone else to.
pub fn require_staff(visitor: &Visitor, here: &str) -> Result<Principal, Box<Response>> {
    match &visitor.principal {
        Some(p) if p.is_staff() => Ok(p.clone()),
        Some(_) => Err(Box::new(PageError::forbidden(visitor.lang).into_response())),
        None => Err(Box::new(
            Redirect::to(&format!(
                "/signin?{}",
                serde_urlencoded::to_string([("back", here)]).unwrap_or_default()
            ))
            .into_response(),
        )),
    }
}

struct OrgChoice {
    id: String,
    name: String,
    role: String,
    selected: bool,
}

fn org_choices(p: &Principal, lang: crate::i18n::Lang, selected: &str) -> Vec<OrgChoice> {
    p.memberships
        .iter()
        .map(|m| OrgChoice {
            id: m.org_id.clone(),
            name: lang.pick(&m.org_name_ja, &m.org_name_en).to_string(),
            role: m.role.as_str().to_string(),
            selected: m.org_id == selected,
        })
        .collect()
}

/// The organisation a staff page is about: the one asked for if the principal may see it,
/// else their first.
fn pick_org(p: &Principal, asked: Option<&str>) -> Option<String> {
    match asked {
        Some(o) if p.can_read_private(o) => Some(o.to_string()),
        _ => p.memberships.first().map(|m| m.org_id.clone()),
    }
}

#[derive(Template)]
#[template(path = "staff/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    orgs: Vec<OrgChoice>,
    links: Vec<(String, String)>,
}

async fn show_overview(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let p = match require_staff(&visitor, "/staff") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    let t = lang.texts();
    let mut links = vec![
        ("/staff/audit".to_string(), t.audit_log.to_string()),
        ("/staff/tokens".to_string(), t.api_tokens.to_string()),
    ];
    for e in &state.engines {
        links.extend(
            e.staff_nav()
                .iter()
                .filter(|n| !n.admins_only || p.administers_any())
                .map(|n| (n.path.to_string(), n.label(lang).to_string())),
        );
    }
    render(&OverviewPage {
        ctx: PageCtx::new(&state, &visitor, &headers, "/staff", t.staff_area),
        orgs: org_choices(&p, lang, ""),
        links,
    })
}

#[derive(Deserialize)]
struct OrgQuery {
    org: Option<String>,
}

struct AuditRow {
    at: String,
    who: String,
    action: String,
    record: String,
    change: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    orgs: Vec<OrgChoice>,
    rows: Vec<AuditRow>,
}

fn describe_change(e: &AuditEntry) -> String {
    use serde_json::Value;
    match (&e.before, &e.after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| b.get(*k) != a.get(*k) && !k.starts_with("metadata_modified"))
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        }
        (None, Some(_)) => "+".into(),
        (Some(_), None) => "−".into(),
        _ => String::new(),
    }
}

async fn list_audit(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<OrgQuery>,
) -> Response {
    let p = match require_staff(&visitor, "/staff/audit") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    let Some(org) = pick_org(&p, q.org.as_deref()) else {
        return PageError::forbidden(lang).into_response();
    };
    let entries = match state.accounts.audit_log(Some(&org), 200).await {
        Ok(e) => e,
        Err(e) => return PageError::internal(lang, e).into_response(),
    };
    let rows = entries
        .iter()
        .map(|e| AuditRow {
            at: e.at.get(..19).unwrap_or(&e.at).replace('T', " "),
            who: e.actor_label.clone(),
            action: e.action.clone(),
            record: format!("{} {}", e.entity_kind, e.entity_id),
            change: describe_change(e),
        })
        .collect();
    let t = lang.texts();
    render(&AuditPage {
        ctx: PageCtx::new(&state, &visitor, &headers, "/staff/audit", t.audit_log),
        orgs: org_choices(&p, lang, &org),
        rows,
    })
}

#[derive(Template)]
#[template(path = "staff/tokens.html")]
struct TokensPage {
    ctx: PageCtx,
    orgs: Vec<OrgChoice>,
    org: String,
    can_admin: bool,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    p: &Principal,
    org: String,
    new_token: Option<String>,
) -> Response {
    let lang = visitor.lang;
    let tokens = match state.accounts.tokens(&org).await {
        Ok(t) => t,
        Err(e) => return PageError::internal(lang, e).into_response(),
    };
    render(&TokensPage {
        ctx: PageCtx::new(
            state,
            visitor,
            headers,
            "/staff/tokens",
            lang.texts().api_tokens,
        ),
        orgs: org_choices(p, lang, &org),
        can_admin: p.can_admin(&org),
        org,
        tokens,
        new_token,
    })
}

async fn list_tokens(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<OrgQuery>,
) -> Response {
    let p = match require_staff(&visitor, "/staff/tokens") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(org) = pick_org(&p, q.org.as_deref()) else {
        return PageError::forbidden(visitor.lang).into_response();
    };
    tokens_page(&state, &visitor, &headers, &p, org, None).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    token_id: String,
}

/// The admin behind a token form: signed in as staff, the form's CSRF token matching, and
/// admin of the organisation the token is for.
fn token_admin(visitor: &Visitor, form: &TokenForm) -> Result<Principal, Box<Response>> {
    let p = require_staff(visitor, "/staff/tokens")?;
    if !visitor.csrf_ok(&form.csrf) {
        return Err(Box::new(
            PageError::csrf_refused(visitor.lang).into_response(),
        ));
    }
    if !p.can_admin(&form.org) {
        return Err(Box::new(PageError::forbidden(visitor.lang).into_response()));
    }
    Ok(p)
}

async fn create_token(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let p = match token_admin(&visitor, &form) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    let name = if form.name.trim().is_empty() {
        "API"
    } else {
        form.name.trim()
    };
    match state.accounts.create_token(&form.org, &p, name).await {
        Ok((_, secret)) => {
            tracing::info!(org = %form.org, "api token created");
            tokens_page(&state, &visitor, &headers, &p, form.org, Some(secret)).await
        }
        Err(e) => PageError::internal(lang, e).into_response(),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<TokenForm>,
) -> Response {
    let p = match token_admin(&visitor, &form) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    match state
        .accounts
        .revoke_token(&form.org, &form.token_id, &p)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/staff/tokens?{}",
            serde_urlencoded::to_string([("org", &form.org)]).unwrap_or_default()
        ))
        .into_response(),
        Err(e) => PageError::internal(lang, e).into_response(),
    }
}
