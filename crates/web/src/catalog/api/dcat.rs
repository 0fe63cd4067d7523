//! DCAT-AP documents for the web's crawlers and harvesters: the catalog, paged with Hydra
//! (`/catalog.ttl|.jsonld|.rdf?page=N`), each dataset (`/dataset/{name}.ttl|.jsonld|.rdf`,
//! answered through [`dcat_dataset_response`] because the router cannot tell
//! `/dataset/{name}.ttl` from the dataset page `/dataset/{name}`), and the sitemap.

use std::fmt::Write as _;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ydx_accounts::Principal;
use ydx_catalog::dcat::{self, CatalogInfo, OrgDirectory, OrgInfo, Paging, RdfFormat};
use ydx_catalog::{Catalog, CatalogError, SearchQuery, SortOrder};

use crate::AppState;

/// Datasets per page of the catalog document (ckanext-dcat's default).
pub const DATASETS_PER_PAGE: usize = 100;

/// URLs per sitemap file (the protocol allows 50,000).
const SITEMAP_URLS: usize = 40_000;

#[derive(Debug, Deserialize)]
pub struct PageParam {
    page: Option<String>,
}

pub async fn get_catalog_ttl(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    Query(p): Query<PageParam>,
) -> Response {
    catalog_response(&state, &catalog, p, RdfFormat::Turtle).await
}

pub async fn get_catalog_jsonld(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    Query(p): Query<PageParam>,
) -> Response {
    catalog_response(&state, &catalog, p, RdfFormat::JsonLd).await
}

pub async fn get_catalog_rdf(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    Query(p): Query<PageParam>,
) -> Response {
    catalog_response(&state, &catalog, p, RdfFormat::RdfXml).await
}

fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.to_string(),
    )
        .into_response()
}

fn internal(cause: impl std::fmt::Display) -> Response {
    tracing::error!(%cause, "DCAT document failed");
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; the cause has been logged",
    )
}

fn rdf(format: RdfFormat, body: String) -> Response {
    let mut res = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{}; charset=utf-8", format.media_type())) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}

async fn org_directory(state: &AppState) -> Result<OrgDirectory, String> {
    Ok(state
        .accounts
        .orgs(None)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|o| {
            (
                o.id.clone(),
                OrgInfo {
                    id: o.id,
                    name_ja: o.name_ja,
                    name_en: o.name_en,
                },
            )
        })
        .collect())
}

/// One page of the public catalog, newest changes first (so a harvester that stops at the
/// first unchanged dataset sees everything new).
async fn catalog_response(
    state: &AppState,
    catalog: &Catalog,
    p: PageParam,
    format: RdfFormat,
) -> Response {
    let page = match p.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "page must be a positive integer / page は1以上の整数です",
                );
            }
        },
    };
    let start = usize::try_from(page - 1)
        .ok()
        .and_then(|n| n.checked_mul(DATASETS_PER_PAGE));
    let Some(start) = start else {
        return plain(
            StatusCode::NOT_FOUND,
            "no such page / そのページはありません",
        );
    };
    let query = SearchQuery {
        rows: DATASETS_PER_PAGE,
        start,
        sort: SortOrder::ModifiedDesc,
        facet_fields: Vec::new(),
        ..SearchQuery::default()
    };
    let result = match catalog.search(None, &query).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let paging = Paging {
        page,
        per_page: DATASETS_PER_PAGE as u64,
        total: u64::try_from(result.count).unwrap_or(0),
    };
    if page > paging.last_page() {
        return plain(
            StatusCode::NOT_FOUND,
            "no such page / そのページはありません",
        );
    }
    let orgs = match org_directory(state).await {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
    let info = CatalogInfo::yamaguchi(super::base_url(state));
    rdf(
        format,
        dcat::catalog_document(&info, &orgs, &result.datasets, paging, format),
    )
}

/// The DCAT document of one dataset when `name_with_suffix` ends in `.ttl`, `.jsonld` or
/// `.rdf` (`None` otherwise, so the dataset page handler goes on with the page). The dataset
/// is looked up by name or id with `viewer`'s rights; one the viewer may not see is a 404.
pub async fn dcat_dataset_response(
    state: &AppState,
    catalog: &Catalog,
    viewer: Option<&Principal>,
    name_with_suffix: &str,
) -> Option<Response> {
    let (name, ext) = name_with_suffix.rsplit_once('.')?;
    let format = match ext {
        "ttl" | "jsonld" | "rdf" => RdfFormat::from_extension(ext)?,
        _ => return None,
    };
    let d = match catalog.show(viewer, name).await {
        Ok(d) => d,
        Err(CatalogError::NotFound { .. }) => {
            return Some(plain(
                StatusCode::NOT_FOUND,
                "dataset not found / データセットが見つかりません",
            ));
        }
        Err(e) => return Some(internal(e)),
    };
    let orgs = match org_directory(state).await {
        Ok(o) => o,
        Err(e) => return Some(internal(e)),
    };
    let info = CatalogInfo::yamaguchi(super::base_url(state));
    let mut res = rdf(format, dcat::dataset_document(&info, &orgs, &d, format));
    if d.private || d.state.as_str() != "active" {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    } else {
        res.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    Some(res)
}

/// `/sitemap.xml`: the catalog's pages, each organisation, group and municipality page, and
/// every public dataset page. Past 40,000 datasets it becomes a sitemap index of
/// `/sitemap.xml?page=N` files.
pub async fn get_sitemap(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    Query(p): Query<PageParam>,
) -> Response {
    match sitemap(&state, &catalog, p.page.as_deref()).await {
        Ok(r) => r,
        Err(e) => internal(e),
    }
}

fn xml(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

async fn sitemap(
    state: &AppState,
    catalog: &Catalog,
    page: Option<&str>,
) -> Result<Response, String> {
    let base = super::base_url(state);
    let e = |e: CatalogError| e.to_string();
    let names = catalog.package_list(None, 0).await.map_err(e)?;
    let pages = names.len().div_ceil(SITEMAP_URLS).max(1);
    let page: Option<usize> = match page.map(str::trim) {
        None | Some("") => None,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=pages).contains(&n) => Some(n),
            _ => return Ok(plain(StatusCode::NOT_FOUND, "no such sitemap page")),
        },
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if pages > 1 && page.is_none() {
        out.push_str("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        for n in 1..=pages {
            let _ = writeln!(
                out,
                "  <sitemap><loc>{}</loc></sitemap>",
                escape_xml(&format!("{base}/sitemap.xml?page={n}"))
            );
        }
        out.push_str("</sitemapindex>\n");
        return Ok(xml(out));
    }
    out.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut url = |path: &str| {
        let _ = writeln!(
            out,
            "  <url><loc>{}</loc></url>",
            escape_xml(&format!("{base}{path}"))
        );
    };
    let page = page.unwrap_or(1);
    if page == 1 {
        for path in ["/catalog", "/dataset", "/organization", "/group"] {
            url(path);
        }
        let counts = catalog.organization_counts().await.map_err(e)?;
        for org in state.accounts.orgs(None).await.map_err(|e| e.to_string())? {
            let n = counts
                .iter()
                .find(|(id, _)| *id == org.id)
                .map_or(0, |(_, n)| *n);
            if super::wire::publishes(&org, n) {
                url(&format!("/organization/{}", super::percent_encode(&org.id)));
            }
        }
        for g in catalog.group_list().await.map_err(e)? {
            url(&format!("/group/{}", super::percent_encode(&g.name)));
        }
        for m in ydx_region::MUNICIPALITIES {
            url(&format!("/catalog/municipality/{}", m.code));
        }
    }
    let from = (page - 1).saturating_mul(SITEMAP_URLS);
    for name in names.iter().skip(from).take(SITEMAP_URLS) {
        url(&format!("/dataset/{}", super::percent_encode(name)));
    }
    out.push_str("</urlset>\n");
    Ok(xml(out))
}
