//! File downloads: the current version of a resource, any older version, and the stable
//! "latest" URL of a series. Private and draft datasets are served only to those who may see
//! them (session or API token); others get a 404, which reveals nothing.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ydx_accounts::Principal;
use ydx_catalog::{Catalog, Resource, latest_resource};

use super::{CallerError, caller, wire};
use crate::AppState;
use crate::auth::Visitor;
use crate::catalog::page_error;
use crate::error::PageError;

/// `GET /dataset/{name}/resource/{id}/download`
pub async fn download_resource(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    serve(&state, &catalog, &visitor, &headers, &name, &id, None).await
}

/// `GET /dataset/{name}/resource/{id}/download/{filename}`: the file name is only for the
/// client's benefit (CKAN puts it in upload URLs); the current version is served.
pub async fn download_resource_named(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id, _filename)): Path<(String, String, String)>,
) -> Response {
    serve(&state, &catalog, &visitor, &headers, &name, &id, None).await
}

/// `GET /dataset/{name}/resource/{id}/version/{version}/download`
pub async fn download_version(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id, version)): Path<(String, String, String)>,
) -> Response {
    let Ok(version) = version.parse::<i64>() else {
        return PageError::not_found(visitor.lang).into_response();
    };
    serve(
        &state,
        &catalog,
        &visitor,
        &headers,
        &name,
        &id,
        Some(version),
    )
    .await
}

/// `GET /dataset/{name}/latest/download`: a redirect to the series' latest file, so users
/// need not hard-code each year's resource id.
pub async fn download_latest(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let viewer = match viewer(&state, &visitor, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let d = match catalog.show(viewer.as_ref(), &name).await {
        Ok(d) => d,
        Err(e) => return page_error(visitor.lang, e).into_response(),
    };
    let Some(r) = latest_resource(&d) else {
        return PageError::not_found(visitor.lang).into_response();
    };
    let target = format!(
        "{}/dataset/{}/resource/{}/download",
        super::base_url(&state),
        d.name,
        r.id
    );
    let mut res = Redirect::to(&target).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// The viewer of a page-side request: the session resolved by the visitor layer, or an API
/// token (so scripts can download private files with the same token they use for the API).
async fn viewer(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
) -> Result<Option<Principal>, Response> {
    if crate::auth::api_token(headers).is_some() {
        return match caller(state, headers).await {
            Ok(p) => Ok(p),
            Err(CallerError::BadToken) => {
                Err(PageError::new(StatusCode::UNAUTHORIZED, visitor.lang).into_response())
            }
            Err(CallerError::Internal(m)) => {
                Err(PageError::internal(visitor.lang, m).into_response())
            }
        };
    }
    Ok(visitor.principal.clone())
}

async fn serve(
    state: &AppState,
    catalog: &Catalog,
    visitor: &Visitor,
    headers: &HeaderMap,
    name: &str,
    id: &str,
    version: Option<i64>,
) -> Response {
    let viewer = match viewer(state, visitor, headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (d, r) = match catalog.resource(viewer.as_ref(), id).await {
        Ok(x) => x,
        Err(e) => return page_error(visitor.lang, e).into_response(),
    };
    // The dataset in the URL must be the resource's (by name or id).
    if d.name != name && d.id != name {
        return PageError::not_found(visitor.lang).into_response();
    }
    if r.url_type != "upload" {
        let res = link_redirect(visitor, &r, version);
        if res.status().is_redirection() && crate::catalog::counts_as_use(headers) {
            catalog.count_download(&d.id);
        }
        return res;
    }
    let (v, bytes) = match catalog.resource_bytes(viewer.as_ref(), id, version).await {
        Ok(x) => x,
        Err(e) => return page_error(visitor.lang, e).into_response(),
    };
    let etag = format!("\"{}\"", v.blob);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.split(',').any(|t| t.trim() == etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    if crate::catalog::counts_as_use(headers) {
        catalog.count_download(&d.id);
    }
    let is_current = v.version == r.version;
    let filename = if v.filename.trim().is_empty() {
        wire::download_filename(&r)
    } else {
        v.filename.clone()
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    set(h, header::CONTENT_TYPE, &content_type(&r, is_current));
    set(
        h,
        header::CONTENT_DISPOSITION,
        &content_disposition(&filename),
    );
    set(h, header::ETAG, &etag);
    set(
        h,
        header::CACHE_CONTROL,
        match (version.is_some(), d.private || d.state.as_str() != "active") {
            (_, true) => "private, no-cache",
            // A numbered version never changes.
            (true, false) => "public, max-age=31536000, immutable",
            (false, false) => "public, no-cache",
        },
    );
    set(
        h,
        header::HeaderName::from_static("x-resource-version"),
        &v.version.to_string(),
    );
    res
}

fn set(h: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

/// A link resource: its bytes live elsewhere, so its download is a redirect there.
fn link_redirect(visitor: &Visitor, r: &Resource, version: Option<i64>) -> Response {
    let url = r.url.trim();
    if version.is_some() || !(url.starts_with("http://") || url.starts_with("https://")) {
        return PageError::not_found(visitor.lang).into_response();
    }
    Redirect::to(url).into_response()
}

/// The type to send: the format's MIME type, with the file's encoding for the current
/// version of a text table (Shift_JIS files stay Shift_JIS: the original bytes are served).
fn content_type(r: &Resource, is_current: bool) -> String {
    let base = if r.mimetype.is_empty() {
        ydx_catalog::table::mimetype_of(&r.format)
    } else {
        r.mimetype.as_str()
    };
    let charset = match (is_current, &r.table) {
        (true, Some(t)) if t.encoding == "shift_jis" => Some("Shift_JIS"),
        (true, Some(_)) => Some("utf-8"),
        _ => None,
    };
    match charset {
        Some(c) if base.starts_with("text/") => format!("{base}; charset={c}"),
        _ => base.to_string(),
    }
}

/// `attachment` with an ASCII fallback name and the real name in RFC 5987 form, so no
/// character of a publisher's file name can break the header.
pub fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != ';' && c != '%' {
                c
            } else if c == ' ' {
                ' '
            } else {
                '_'
            }
        })
        .collect();
    let fallback = if fallback.trim_matches(['_', ' ', '.']).is_empty() {
        "download".to_string()
    } else {
        fallback
    };
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        super::percent_encode(filename)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_safe() {
        assert_eq!(
            content_disposition("避難所.csv"),
            "attachment; filename=\"___.csv\"; filename*=UTF-8''%E9%81%BF%E9%9B%A3%E6%89%80.csv"
        );
        let d = content_disposition("a\"b\r\n.csv");
        assert!(!d.contains('\r') && !d.contains('\n'));
        assert!(d.starts_with("attachment; filename=\"a_b__.csv\""));
        assert!(content_disposition("日本").contains("filename=\"download\""));
    }
}
