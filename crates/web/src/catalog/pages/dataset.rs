//! A dataset's page, its resources' pages (preview, map), their history, and the points of a
//! resource as GeoJSON for the map.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use ydx_accounts::Principal;
use ydx_catalog::{Catalog, CatalogError, Dataset, Resource, TableQuery};

use super::table::{self, TableParams, TableView};
use super::{
    badges, can_edit, display_size, display_time, frequency_label, kind_label, license_label,
    markdown, muni_name, org_names, seg, standard_title,
};
use crate::AppState;
use crate::auth::Visitor;
use crate::catalog::page_error;
use crate::catalog::texts::{CatalogTexts, fill, texts};
use crate::error::PageError;
use crate::pages::{PageCtx, render};

/// Most points the map layer of one resource carries.
pub(crate) const MAX_POINTS: usize = 5000;

/// DCAT for `/dataset/{name}.ttl|.jsonld|.rdf`, answered by the API module.
async fn dcat_response(
    state: &AppState,
    catalog: &Catalog,
    viewer: Option<&Principal>,
    name: &str,
) -> Option<Response> {
    crate::catalog::api::dcat_dataset_response(state, catalog, viewer, name).await
}

struct ResourceView {
    name: String,
    description: String,
    format: String,
    size: String,
    version: String,
    period: String,
    page: String,
    download: String,
    is_link: bool,
    history: String,
}

fn resource_view(c: &CatalogTexts, d: &Dataset, r: &Resource) -> ResourceView {
    let base = format!("/dataset/{}/resource/{}", seg(&d.name), seg(&r.id));
    let is_link = r.url_type != "upload";
    ResourceView {
        name: if r.name.is_empty() {
            r.id.clone()
        } else {
            r.name.clone()
        },
        description: r.description.clone(),
        format: if r.format.is_empty() {
            "—".into()
        } else {
            r.format.clone()
        },
        size: r.size.map(display_size).unwrap_or_default(),
        version: if is_link || r.version == 0 {
            String::new()
        } else {
            fill(c.version_n, &[("n", &r.version.to_string())])
        },
        period: r.period.clone().unwrap_or_default(),
        download: if is_link {
            r.url.clone()
        } else {
            format!("{base}/download")
        },
        history: format!("{base}/history"),
        page: base,
        is_link,
    }
}

struct QualityView {
    score: String,
    to_fix: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "catalog/dataset.html")]
struct DatasetPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    d: Dataset,
    notes_html: String,
    badges: Vec<(&'static str, bool)>,
    org_name: String,
    org_href: String,
    license: String,
    license_url: String,
    tags: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    spatial: Vec<(String, String)>,
    temporal: String,
    frequency: String,
    standard: String,
    modified: String,
    created: String,
    usage: String,
    resources: Vec<ResourceView>,
    latest_href: Option<String>,
    series_table: Option<TableView>,
    api_lines: Vec<(String, String)>,
    curl_lines: Vec<String>,
    dcat: Vec<(&'static str, String, &'static str)>,
    jsonld: String,
    quality: Option<QualityView>,
    can_edit: bool,
    can_restore: bool,
}

pub(crate) async fn show_dataset(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let viewer = visitor.principal.as_ref();
    if let Some(res) = dcat_response(&state, &catalog, viewer, &name).await {
        return res;
    }
    let lang = visitor.lang;
    let c = texts(lang);
    let d = match catalog.show(viewer, &name).await {
        Ok(d) => d,
        Err(e) => return page_error(lang, e).into_response(),
    };
    // Paging or sorting the series table reloads the page; only the first load counts.
    if pairs.is_empty() && crate::catalog::counts_as_use(&headers) {
        catalog.count_view(&d.id);
    }
    let usage = match catalog.dataset_usage(&d.id).await {
        Ok(u) => fill(
            c.usage_detail,
            &[
                ("vr", &u.views_recent.to_string()),
                ("dr", &u.downloads_recent.to_string()),
                ("vt", &u.views_total.to_string()),
                ("dt", &u.downloads_total.to_string()),
            ],
        ),
        Err(e) => return page_error(lang, e).into_response(),
    };
    let base = state.config.base_url.trim_end_matches('/').to_string();
    let orgs = org_names(&state, lang).await;
    let org_name = orgs
        .get(&d.owner_org)
        .cloned()
        .unwrap_or_else(|| d.owner_org.clone());
    let path = format!("/dataset/{}", seg(&d.name));

    let mut resources: Vec<&Resource> = d.resources.iter().collect();
    if d.series {
        resources.sort_by(|a, b| b.period.cmp(&a.period).then(a.position.cmp(&b.position)));
    }
    let resource_views = resources.iter().map(|r| resource_view(c, &d, r)).collect();

    let series_table = if d.series {
        let params = TableParams::parse(&pairs);
        match catalog
            .series_table_query(viewer, &d.id, &params.query())
            .await
        {
            Ok(result) => Some(table::view(
                c,
                "series",
                c.combined_table.to_string(),
                &path,
                &params,
                &result,
            )),
            Err(CatalogError::NotTabular(_)) => None,
            Err(e) => return page_error(lang, e).into_response(),
        }
    } else {
        None
    };

    let mut api_lines = vec![(
        "package_show".to_string(),
        format!("{base}/api/3/action/package_show?id={}", d.name),
    )];
    let mut curl_lines = vec![format!(
        "curl '{base}/api/3/action/package_show?id={}'",
        d.name
    )];
    if let Some(r) = d.resources.iter().find(|r| r.has_table()) {
        let ds = format!(
            "{base}/api/3/action/datastore_search?resource_id={}&limit=5",
            r.id
        );
        let data = format!(
            "{base}/api/catalog/resources/{}/data?limit=100&format=csv",
            r.id
        );
        curl_lines.push(format!("curl '{ds}'"));
        curl_lines.push(format!("curl -o data.csv '{data}'"));
        api_lines.push(("datastore_search".to_string(), ds));
        api_lines.push(("data API (CSV)".to_string(), data));
    }
    let latest_href =
        (d.series && !d.resources.is_empty()).then(|| format!("{path}/latest/download"));
    if let Some(l) = &latest_href {
        curl_lines.push(format!("curl -L -o latest '{base}{l}'"));
    }
    let dcat = vec![
        ("Turtle", format!("{path}.ttl"), "text/turtle"),
        ("JSON-LD", format!("{path}.jsonld"), "application/ld+json"),
        ("RDF/XML", format!("{path}.rdf"), "application/rdf+xml"),
    ];
    let org_info = ydx_catalog::dcat::OrgInfo {
        id: d.owner_org.clone(),
        name_ja: orgs.get(&d.owner_org).cloned().unwrap_or_default(),
        name_en: String::new(),
    };
    let org_info = match state.accounts.org(&d.owner_org).await {
        Ok(Some(o)) => ydx_catalog::dcat::OrgInfo {
            id: o.id,
            name_ja: o.name_ja,
            name_en: o.name_en,
        },
        _ => org_info,
    };
    let jsonld = ydx_catalog::dcat::json_for_script(&ydx_catalog::dcat::schema_org_jsonld(
        &d,
        &base,
        Some(&org_info),
    ));
    let editable = can_edit(viewer, &d.owner_org);
    let quality = if editable {
        Some(quality_view(&catalog, viewer, lang, c, &d).await)
    } else {
        None
    };
    let temporal = match (&d.temporal_start, &d.temporal_end) {
        (None, None) => String::new(),
        (a, b) => format!(
            "{} 〜 {}",
            a.as_deref().unwrap_or(""),
            b.as_deref().unwrap_or("")
        ),
    };
    let license = license_label(lang, c, &d.license_id);
    let license_url = ydx_catalog::license(&d.license_id)
        .map(|l| l.url.to_string())
        .unwrap_or_default();
    let tags = d
        .tags
        .iter()
        .map(|t| {
            (
                t.clone(),
                super::url("/dataset", &[("tags".to_string(), t.clone())]),
            )
        })
        .collect();
    let mut groups = Vec::new();
    for g in &d.groups {
        let title = match catalog.group(g).await {
            Ok(Some(gr)) => lang.pick(&gr.title_ja, &gr.title_en).to_string(),
            _ => g.clone(),
        };
        groups.push((title, format!("/group/{}", seg(g))));
    }
    let spatial = d
        .spatial
        .iter()
        .map(|code| {
            (
                muni_name(lang, code),
                format!("/catalog/municipality/{}", seg(code)),
            )
        })
        .collect();
    let page = DatasetPage {
        ctx: PageCtx::new(&state, &visitor, &headers, &path, &d.title),
        c,
        notes_html: markdown(&d.notes),
        badges: badges(c, &d),
        org_href: format!("/organization/{}", seg(&d.owner_org)),
        org_name,
        license,
        license_url,
        tags,
        groups,
        spatial,
        temporal,
        frequency: d
            .frequency
            .map(|f| frequency_label(c, f).to_string())
            .unwrap_or_default(),
        standard: d
            .standard
            .as_deref()
            .map(|s| standard_title(lang, s))
            .unwrap_or_default(),
        modified: display_time(&d.metadata_modified),
        created: display_time(&d.metadata_created),
        usage,
        resources: resource_views,
        latest_href,
        series_table,
        api_lines,
        curl_lines,
        dcat,
        jsonld,
        quality,
        can_edit: editable && d.state != ydx_catalog::DatasetState::Deleted,
        can_restore: d.state == ydx_catalog::DatasetState::Deleted
            && viewer.is_some_and(|p| p.can_admin(&d.owner_org)),
        d,
    };
    render(&page)
}

/// The quality score with what to fix; conformity is checked on the current file of a
/// standard dataset's first table.
async fn quality_view(
    catalog: &Catalog,
    viewer: Option<&Principal>,
    lang: crate::i18n::Lang,
    c: &CatalogTexts,
    d: &Dataset,
) -> QualityView {
    let mut conformity = None;
    if let Some(schema) = d
        .standard
        .as_deref()
        .and_then(ydx_catalog::standard::schema)
        && let Some(r) = d
            .resources
            .iter()
            .find(|r| r.url_type == "upload" && ydx_catalog::table::is_tabular(&r.format))
        && let Ok((version, bytes)) = catalog.resource_bytes(viewer, &r.id, None).await
    {
        conformity =
            Some(ydx_catalog::standard::validate_upload(schema, &version.format, &bytes).summary);
    }
    let report =
        ydx_catalog::quality::score(d, time::OffsetDateTime::now_utc(), conformity.as_ref());
    QualityView {
        score: fill(c.quality_score, &[("score", &report.score.to_string())]),
        to_fix: report
            .to_fix()
            .map(|ch| {
                (
                    lang.pick(ch.title_ja, ch.title_en).to_string(),
                    lang.pick(&ch.hint_ja, &ch.hint_en).to_string(),
                )
            })
            .collect(),
    }
}

/// The dataset and resource of a resource URL; the name in the URL must be the dataset's
/// name or id.
async fn load_resource(
    catalog: &Catalog,
    viewer: Option<&Principal>,
    name: &str,
    id: &str,
) -> Result<(Dataset, Resource), CatalogError> {
    let (d, r) = catalog.resource(viewer, id).await?;
    if d.name != name && d.id != name {
        return Err(CatalogError::NotFound {
            kind: "resource",
            id: id.chars().take(200).collect(),
        });
    }
    Ok((d, r))
}

#[derive(Template)]
#[template(path = "catalog/resource.html")]
struct ResourcePage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    d: Dataset,
    r: ResourceView,
    dataset_href: String,
    badges: Vec<(&'static str, bool)>,
    modified: String,
    info: Vec<(&'static str, String)>,
    columns: Vec<(String, &'static str)>,
    table: Option<TableView>,
    map_points: Option<String>,
    map_text: String,
    tile_url: String,
    tile_attribution: String,
    can_edit: bool,
    is_standard: bool,
    csrf: String,
}

pub(crate) async fn show_resource(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let viewer = visitor.principal.as_ref();
    let (d, r) = match load_resource(&catalog, viewer, &name, &id).await {
        Ok(x) => x,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let view = resource_view(c, &d, &r);
    let mut info = vec![(c.format, view.format.clone())];
    if !view.size.is_empty() {
        info.push((c.size, view.size.clone()));
    }
    if !view.version.is_empty() {
        info.push((c.version, view.version.clone()));
    }
    if !view.period.is_empty() {
        info.push((c.period, view.period.clone()));
    }
    let mut columns = Vec::new();
    let mut table = None;
    let mut map_text = String::new();
    let mut map_points = None;
    let points_href = format!("{}/points.geojson", view.page);
    if let Some(t) = &r.table {
        // A workbook's table comes from one sheet; a text table has an encoding and delimiter.
        if let Some(sheet) = &t.sheet {
            info.push((c.sheet, sheet.clone()));
        } else {
            info.push((c.encoding, t.encoding.clone()));
            info.push((
                c.delimiter,
                match t.delimiter.as_str() {
                    "\t" => "TAB".to_string(),
                    d => d.to_string(),
                },
            ));
        }
        if t.title_rows > 0 {
            info.push((c.title_rows, t.title_rows.to_string()));
        }
        if t.note_rows > 0 {
            info.push((c.note_rows, t.note_rows.to_string()));
        }
        info.push((c.row_count, t.row_count.to_string()));
        columns = t
            .columns
            .iter()
            .map(|col| (col.name.clone(), kind_label(c, &col.kind)))
            .collect();
        let params = TableParams::parse(&pairs);
        match catalog.table_query(viewer, &r.id, &params.query()).await {
            Ok(result) => {
                table = Some(table::view(
                    c,
                    "preview",
                    fill(c.table_caption, &[("name", &view.name)]),
                    &view.page,
                    &params,
                    &result,
                ));
            }
            Err(CatalogError::BadQuery(msg)) => {
                return PageError::bad_request(lang, msg).into_response();
            }
            Err(CatalogError::NotTabular(_)) => {}
            Err(e) => return page_error(lang, e).into_response(),
        }
        let has = |k: &str| t.columns.iter().any(|col| col.kind == k);
        if has("latitude") && has("longitude") {
            let n = usize::try_from(t.row_count).unwrap_or(0);
            map_text = fill(c.map_text_alt, &[("n", &n.min(MAX_POINTS).to_string())]);
            if n > MAX_POINTS {
                map_text.push(' ');
                map_text.push_str(&fill(c.map_cap, &[("n", &MAX_POINTS.to_string())]));
            }
            map_points = Some(points_href.clone());
        }
    } else if r.format == "GEOJSON" && r.url_type == "upload" {
        let n = match catalog.resource_bytes(viewer, &r.id, None).await {
            Ok((_, bytes)) => serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("features").and_then(Value::as_array).map(Vec::len))
                .unwrap_or(0),
            Err(e) => return page_error(lang, e).into_response(),
        };
        map_text = fill(c.map_text_alt, &[("n", &n.to_string())]);
        map_points = Some(points_href);
    }
    let editable = can_edit(viewer, &d.owner_org) && d.state != ydx_catalog::DatasetState::Deleted;
    let page = ResourcePage {
        ctx: PageCtx::new(&state, &visitor, &headers, &view.page, &view.name),
        c,
        dataset_href: format!("/dataset/{}", seg(&d.name)),
        badges: badges(c, &d),
        modified: display_time(&r.last_modified),
        info,
        columns,
        table,
        map_points,
        map_text,
        tile_url: state.config.tile_url.clone(),
        tile_attribution: state.config.tile_attribution_html.clone(),
        can_edit: editable,
        is_standard: d.standard.is_some() && r.table.is_some(),
        csrf: visitor.csrf.clone(),
        r: view,
        d,
    };
    render(&page)
}

struct VersionView {
    number: i64,
    when: String,
    who: String,
    size: String,
    filename: String,
    changes: Vec<String>,
    download: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "catalog/history.html")]
struct HistoryPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    d: Dataset,
    r: ResourceView,
    dataset_href: String,
    versions: Vec<VersionView>,
}

pub(crate) async fn show_history(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let viewer = visitor.principal.as_ref();
    let (d, r) = match load_resource(&catalog, viewer, &name, &id).await {
        Ok(x) => x,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let versions = match catalog.resource_versions(viewer, &r.id).await {
        Ok(v) => v,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let orgs = org_names(&state, lang).await;
    let org = orgs
        .get(&d.owner_org)
        .cloned()
        .unwrap_or_else(|| d.owner_org.clone());
    // The public sees the organisation; its own staff also see which account uploaded.
    let staff_view = viewer.is_some_and(|p| p.can_read_private(&d.owner_org));
    let uploaders = if staff_view {
        let ids: Vec<String> = versions
            .iter()
            .filter_map(|v| v.created_by.clone())
            .collect();
        state.accounts.display_names(&ids).await.unwrap_or_default()
    } else {
        std::collections::HashMap::new()
    };
    let view = resource_view(c, &d, &r);
    let last = versions.len();
    let versions = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut changes = Vec::new();
            if let Some(ch) = &v.change {
                for (text, n) in [
                    (c.rows_added, ch.rows_added),
                    (c.rows_removed, ch.rows_removed),
                    (c.rows_changed, ch.rows_changed),
                ] {
                    if n > 0 {
                        changes.push(fill(text, &[("n", &n.to_string())]));
                    }
                }
                if !ch.columns_added.is_empty() {
                    changes.push(fill(
                        c.columns_added,
                        &[("cols", &ch.columns_added.join("、"))],
                    ));
                }
                if !ch.columns_removed.is_empty() {
                    changes.push(fill(
                        c.columns_removed,
                        &[("cols", &ch.columns_removed.join("、"))],
                    ));
                }
            } else if i + 1 == last {
                changes.push(c.first_version.to_string());
            }
            let who = match v.created_by.as_ref().and_then(|u| uploaders.get(u)) {
                Some(name) => format!("{org}（{name}）"),
                None => org.clone(),
            };
            VersionView {
                number: v.version,
                when: display_time(&v.created),
                who,
                size: display_size(v.size),
                filename: v.filename.clone(),
                changes,
                download: format!("{}/version/{}/download", view.page, v.version),
                current: i == 0,
            }
        })
        .collect();
    let title = format!("{} — {}", c.history_title, view.name);
    render(&HistoryPage {
        ctx: PageCtx::new(&state, &visitor, &headers, &view.history, &title),
        c,
        dataset_href: format!("/dataset/{}", seg(&d.name)),
        r: view,
        d,
        versions,
    })
}

/// The rows of a resource with latitude/longitude columns as a GeoJSON FeatureCollection
/// (first [`MAX_POINTS`] rows), or an uploaded GeoJSON file as it is.
pub(crate) async fn resource_points(
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let lang = visitor.lang;
    let viewer = visitor.principal.as_ref();
    let (_, r) = match load_resource(&catalog, viewer, &name, &id).await {
        Ok(x) => x,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let geo = [(header::CONTENT_TYPE, "application/geo+json")];
    if r.format == "GEOJSON" && r.url_type == "upload" {
        return match catalog.resource_bytes(viewer, &r.id, None).await {
            Ok((_, bytes)) => (geo, bytes).into_response(),
            Err(e) => page_error(lang, e).into_response(),
        };
    }
    let Some(t) = &r.table else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let col = |k: &str| {
        t.columns
            .iter()
            .find(|c| c.kind == k)
            .map(|c| c.name.clone())
    };
    let (Some(lat), Some(lon)) = (col("latitude"), col("longitude")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let q = TableQuery {
        limit: MAX_POINTS,
        ..TableQuery::default()
    };
    let result = match catalog.table_query(viewer, &r.id, &q).await {
        Ok(x) => x,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let num = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let features: Vec<Value> = result
        .records
        .iter()
        .filter_map(|rec| {
            let (y, x) = (num(rec.get(&lat))?, num(rec.get(&lon))?);
            let props: serde_json::Map<String, Value> = rec
                .iter()
                .filter(|(k, _)| *k != &lat && *k != &lon)
                .take(8)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Some(json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [x, y] },
                "properties": props,
            }))
        })
        .collect();
    (
        geo,
        json!({ "type": "FeatureCollection", "features": features }).to_string(),
    )
        .into_response()
}
