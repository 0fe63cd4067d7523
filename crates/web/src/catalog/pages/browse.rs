//! Finding data: the catalog home, search with facets, and the organisation, group and
//! municipality pages (which are the search with one filter fixed).

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use ydx_catalog::{Catalog, FacetField, SearchFilters, SearchQuery, SearchResult, SortOrder};

use super::{
    DatasetCard, Pager, dataset_card, license_label, muni_name, org_names, pager, seg, url,
};
use crate::AppState;
use crate::auth::Visitor;
use crate::catalog::page_error;
use crate::catalog::texts::{CatalogTexts, fill, texts};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::pages::{PageCtx, render};

const PER_PAGE: usize = 20;

/// The query string of a search page, as given.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchParams {
    pub q: String,
    /// "", "name" or "modified".
    pub sort: String,
    pub page: usize,
    /// (facet field, value), in the order given.
    pub filters: Vec<(String, String)>,
}

impl SearchParams {
    pub fn parse(pairs: &[(String, String)]) -> SearchParams {
        let mut p = SearchParams {
            page: 1,
            ..SearchParams::default()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "q" => p.q = v.chars().take(200).collect(),
                "sort" => p.sort = v.clone(),
                "page" => p.page = v.parse().unwrap_or(1).clamp(1, 10_000),
                k if FacetField::parse(k).is_some() && !v.is_empty() => {
                    let pair = (k.to_string(), v.clone());
                    if !p.filters.contains(&pair) {
                        p.filters.push(pair);
                    }
                }
                _ => {}
            }
        }
        p
    }

    fn pairs(&self, page: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !self.q.is_empty() {
            out.push(("q".to_string(), self.q.clone()));
        }
        out.extend(self.filters.iter().cloned());
        if !self.sort.is_empty() {
            out.push(("sort".to_string(), self.sort.clone()));
        }
        if page > 1 {
            out.push(("page".to_string(), page.to_string()));
        }
        out
    }

    fn with_filter(&self, field: &str, value: &str) -> SearchParams {
        let mut p = self.clone();
        p.page = 1;
        let pair = (field.to_string(), value.to_string());
        if !p.filters.contains(&pair) {
            p.filters.push(pair);
        }
        p
    }

    fn without_filter(&self, field: &str, value: &str) -> SearchParams {
        let mut p = self.clone();
        p.page = 1;
        p.filters.retain(|(f, v)| !(f == field && v == value));
        p
    }

    fn sort_order(&self) -> SortOrder {
        match self.sort.as_str() {
            "name" => SortOrder::NameAsc,
            "modified" => SortOrder::ModifiedDesc,
            _ => SortOrder::Relevance,
        }
    }
}

fn to_filters(filters: &[(String, String)]) -> SearchFilters {
    let mut f = SearchFilters::default();
    for (k, v) in filters {
        let list = match k.as_str() {
            "organization" => &mut f.organization,
            "municipality" => &mut f.municipality,
            "tags" => &mut f.tags,
            "groups" => &mut f.groups,
            "res_format" => &mut f.res_format,
            "license_id" => &mut f.license_id,
            _ => continue,
        };
        list.push(v.clone());
    }
    f
}

struct FacetView {
    title: &'static str,
    id: &'static str,
    items: Vec<FacetItem>,
}

struct FacetItem {
    label: String,
    count: i64,
    href: String,
    active: bool,
}

/// Names shown for facet values.
struct Labels {
    lang: Lang,
    orgs: HashMap<String, String>,
    groups: HashMap<String, String>,
}

impl Labels {
    async fn load(state: &AppState, catalog: &Catalog, lang: Lang) -> Labels {
        let groups = catalog
            .group_list()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|g| {
                let t = lang.pick(&g.title_ja, &g.title_en).to_string();
                (g.name, t)
            })
            .collect();
        Labels {
            lang,
            orgs: org_names(state, lang).await,
            groups,
        }
    }

    fn label(&self, c: &CatalogTexts, field: &str, value: &str) -> String {
        match field {
            "organization" => self.orgs.get(value).cloned(),
            "municipality" => Some(muni_name(self.lang, value)),
            "groups" => self.groups.get(value).cloned(),
            "license_id" => Some(license_label(self.lang, c, value)),
            _ => None,
        }
        .unwrap_or_else(|| value.to_string())
    }
}

fn facet_title(c: &CatalogTexts, f: FacetField) -> &'static str {
    match f {
        FacetField::Organization => c.facet_organization,
        FacetField::Municipality => c.facet_municipality,
        FacetField::Tags => c.facet_tags,
        FacetField::Groups => c.facet_groups,
        FacetField::ResFormat => c.facet_format,
        FacetField::LicenseId => c.facet_license,
    }
}

#[derive(Template)]
#[template(path = "catalog/search.html")]
struct SearchPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    heading: String,
    intro: Option<String>,
    action: String,
    q: String,
    sort_options: Vec<(&'static str, &'static str, bool)>,
    count_text: String,
    active: Vec<(String, String, String)>,
    hidden: Vec<(String, String)>,
    facets: Vec<FacetView>,
    results: Vec<DatasetCard>,
    pager: Pager,
    map_code: Option<String>,
    tile_url: String,
    tile_attribution: String,
}

/// What fixes a listing page to one organisation, group or municipality.
struct Fixed {
    field: &'static str,
    value: String,
    heading: String,
    intro: Option<String>,
    path: String,
    map_code: Option<String>,
}

async fn search_page(
    state: &AppState,
    catalog: &Catalog,
    visitor: &Visitor,
    headers: &HeaderMap,
    pairs: &[(String, String)],
    fixed: Option<Fixed>,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let params = SearchParams::parse(pairs);
    let path = fixed
        .as_ref()
        .map_or_else(|| "/dataset".to_string(), |f| f.path.clone());
    let mut all_filters = params.filters.clone();
    if let Some(f) = &fixed {
        all_filters.push((f.field.to_string(), f.value.clone()));
    }
    let query = SearchQuery {
        q: params.q.clone(),
        filters: to_filters(&all_filters),
        sort: params.sort_order(),
        rows: PER_PAGE,
        start: (params.page - 1) * PER_PAGE,
        facet_limit: 15,
        ..SearchQuery::default()
    };
    let viewer = visitor.principal.as_ref();
    let result: SearchResult = match catalog.search(viewer, &query).await {
        Ok(r) => r,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let labels = Labels::load(state, catalog, lang).await;
    let mut facets = Vec::new();
    for field in FacetField::ALL {
        let name = field.as_str();
        if fixed.as_ref().is_some_and(|f| f.field == name) {
            continue;
        }
        let values = result.facets.get(name).cloned().unwrap_or_default();
        if values.is_empty() {
            continue;
        }
        let items = values
            .iter()
            .map(|v| {
                let active = params
                    .filters
                    .contains(&(name.to_string(), v.value.clone()));
                let next = if active {
                    params.without_filter(name, &v.value)
                } else {
                    params.with_filter(name, &v.value)
                };
                FacetItem {
                    label: labels.label(c, name, &v.value),
                    count: v.count,
                    href: url(&path, &next.pairs(1)),
                    active,
                }
            })
            .collect();
        facets.push(FacetView {
            title: facet_title(c, field),
            id: name,
            items,
        });
    }
    let active = params
        .filters
        .iter()
        .map(|(f, v)| {
            let title = FacetField::parse(f).map_or("", |ff| facet_title(c, ff));
            (
                title.to_string(),
                labels.label(c, f, v),
                url(&path, &params.without_filter(f, v).pairs(1)),
            )
        })
        .collect();
    let results = result
        .datasets
        .iter()
        .map(|d| dataset_card(lang, c, &labels.orgs, d))
        .collect();
    let total = usize::try_from(result.count).unwrap_or(0);
    let pager = pager(c, params.page, PER_PAGE, total, |p| {
        url(&path, &params.pairs(p))
    });
    let here = url(&path, &params.pairs(params.page));
    let (heading, intro, map_code) = match fixed {
        Some(f) => (f.heading, f.intro, f.map_code),
        None => (c.search_title.to_string(), None, None),
    };
    let ctx = PageCtx::new(state, visitor, headers, &here, &heading);
    render(&SearchPage {
        ctx,
        c,
        heading,
        intro,
        action: path,
        q: params.q.clone(),
        sort_options: vec![
            ("", c.sort_relevance, params.sort.is_empty()),
            ("name", c.sort_name, params.sort == "name"),
            ("modified", c.sort_modified, params.sort == "modified"),
        ],
        count_text: fill(c.results_count, &[("n", &result.count.to_string())]),
        active,
        hidden: params.filters.clone(),
        facets,
        results,
        pager,
        map_code,
        tile_url: state.config.tile_url.clone(),
        tile_attribution: state.config.tile_attribution_html.clone(),
    })
}

pub(crate) async fn search_datasets(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    search_page(&state, &catalog, &visitor, &headers, &pairs, None).await
}

pub(crate) async fn show_organization(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = visitor.lang;
    let org = match state.accounts.org(&id).await {
        Ok(Some(o)) => o,
        Ok(None) => return PageError::not_found(lang).into_response(),
        Err(e) => return PageError::internal(lang, e).into_response(),
    };
    let fixed = Fixed {
        field: "organization",
        value: org.id.clone(),
        heading: lang.pick(&org.name_ja, &org.name_en).to_string(),
        intro: (!org.description.is_empty()).then(|| org.description.clone()),
        path: format!("/organization/{}", seg(&org.id)),
        map_code: org.municipality_code.clone(),
    };
    search_page(&state, &catalog, &visitor, &headers, &pairs, Some(fixed)).await
}

pub(crate) async fn show_group(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = visitor.lang;
    let group = match catalog.group(&name).await {
        Ok(Some(g)) => g,
        Ok(None) => return PageError::not_found(lang).into_response(),
        Err(e) => return page_error(lang, e).into_response(),
    };
    let fixed = Fixed {
        field: "groups",
        value: group.name.clone(),
        heading: lang.pick(&group.title_ja, &group.title_en).to_string(),
        intro: (!group.description.is_empty()).then(|| group.description.clone()),
        path: format!("/group/{}", seg(&group.name)),
        map_code: None,
    };
    search_page(&state, &catalog, &visitor, &headers, &pairs, Some(fixed)).await
}

pub(crate) async fn show_municipality(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = visitor.lang;
    let Some(m) = ydx_region::MUNICIPALITIES.iter().find(|m| m.code == code) else {
        return PageError::not_found(lang).into_response();
    };
    let c = texts(lang);
    let name = lang.pick(m.name_ja, m.name_en).to_string();
    let fixed = Fixed {
        field: "municipality",
        value: m.code.to_string(),
        heading: format!("{name} — {}", c.catalog_title),
        intro: None,
        path: format!("/catalog/municipality/{}", m.code),
        map_code: Some(m.code.to_string()),
    };
    search_page(&state, &catalog, &visitor, &headers, &pairs, Some(fixed)).await
}

// ---- home -------------------------------------------------------------------------------

struct CountLink {
    href: String,
    label: String,
    count: String,
}

impl CountLink {
    fn new(c: &CatalogTexts, href: String, label: String, datasets: i64) -> CountLink {
        CountLink {
            href,
            label,
            count: fill(c.datasets_n, &[("n", &datasets.to_string())]),
        }
    }
}

/// Every group with its number of datasets, linked to its page.
async fn group_links(
    catalog: &Catalog,
    lang: Lang,
    c: &CatalogTexts,
) -> Result<Vec<CountLink>, ydx_catalog::CatalogError> {
    let counts: HashMap<String, i64> = catalog.group_counts().await?.into_iter().collect();
    Ok(catalog
        .group_list()
        .await?
        .iter()
        .map(|g| {
            CountLink::new(
                c,
                format!("/group/{}", seg(&g.name)),
                lang.pick(&g.title_ja, &g.title_en).to_string(),
                counts.get(&g.name).copied().unwrap_or(0),
            )
        })
        .collect())
}

#[derive(Template)]
#[template(path = "catalog/home.html")]
struct HomePage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    total: String,
    newest: Vec<DatasetCard>,
    updated: Vec<DatasetCard>,
    used: Vec<DatasetCard>,
    orgs: Vec<CountLink>,
    groups: Vec<CountLink>,
    munis: Vec<(String, String)>,
}

pub(crate) async fn show_home(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let viewer = visitor.principal.as_ref();
    let list = |sort| SearchQuery {
        sort,
        rows: 5,
        facet_fields: Vec::new(),
        ..SearchQuery::default()
    };
    let newest = catalog.search(viewer, &list(SortOrder::CreatedDesc)).await;
    let updated = catalog.search(viewer, &list(SortOrder::ModifiedDesc)).await;
    let used = catalog.most_used(viewer, 5).await;
    let (newest, updated, used) = match (newest, updated, used) {
        (Ok(a), Ok(b), Ok(u)) => (a, b, u),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return page_error(lang, e).into_response();
        }
    };
    let names = org_names(&state, lang).await;
    let org_counts = catalog.organization_counts().await.unwrap_or_default();
    let mut orgs: Vec<CountLink> = org_counts
        .iter()
        .map(|(id, n)| {
            let label = names.get(id).cloned().unwrap_or_else(|| id.clone());
            CountLink::new(c, format!("/organization/{}", seg(id)), label, *n)
        })
        .collect();
    orgs.sort_by(|a, b| a.label.cmp(&b.label));
    let groups = group_links(&catalog, lang, c).await.unwrap_or_default();
    let munis = ydx_region::MUNICIPALITIES
        .iter()
        .map(|m| {
            (
                format!("/catalog/municipality/{}", m.code),
                lang.pick(m.name_ja, m.name_en).to_string(),
            )
        })
        .collect();
    let total = org_counts.iter().map(|(_, n)| n).sum::<i64>();
    render(&HomePage {
        ctx: PageCtx::new(&state, &visitor, &headers, "/catalog", c.catalog_title),
        c,
        total: fill(c.results_count, &[("n", &total.to_string())]),
        newest: newest
            .datasets
            .iter()
            .map(|d| dataset_card(lang, c, &names, d))
            .collect(),
        updated: updated
            .datasets
            .iter()
            .map(|d| dataset_card(lang, c, &names, d))
            .collect(),
        used: used
            .iter()
            .map(|(d, u)| DatasetCard {
                usage: fill(
                    c.usage_recent,
                    &[("d", &u.downloads.to_string()), ("v", &u.views.to_string())],
                ),
                ..dataset_card(lang, c, &names, d)
            })
            .collect(),
        orgs,
        groups,
        munis,
    })
}

// ---- organisation and group lists --------------------------------------------------------

#[derive(Template)]
#[template(path = "catalog/list.html")]
struct ListPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    heading: String,
    items: Vec<CountLink>,
}

pub(crate) async fn list_organizations(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let orgs = match state.accounts.orgs(None).await {
        Ok(o) => o,
        Err(e) => return PageError::internal(lang, e).into_response(),
    };
    let counts: HashMap<String, i64> = match catalog.organization_counts().await {
        Ok(c) => c.into_iter().collect(),
        Err(e) => return page_error(lang, e).into_response(),
    };
    let items = orgs
        .iter()
        .filter(|o| {
            counts.contains_key(&o.id)
                || matches!(
                    o.kind,
                    ydx_accounts::OrgKind::Municipality
                        | ydx_accounts::OrgKind::Prefecture
                        | ydx_accounts::OrgKind::PrefectureDepartment
                )
        })
        .map(|o| {
            CountLink::new(
                c,
                format!("/organization/{}", seg(&o.id)),
                lang.pick(&o.name_ja, &o.name_en).to_string(),
                counts.get(&o.id).copied().unwrap_or(0),
            )
        })
        .collect();
    render(&ListPage {
        ctx: PageCtx::new(&state, &visitor, &headers, "/organization", c.organizations),
        c,
        heading: c.organizations.to_string(),
        items,
    })
}

pub(crate) async fn list_groups(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let items = match group_links(&catalog, lang, c).await {
        Ok(items) => items,
        Err(e) => return page_error(lang, e).into_response(),
    };
    render(&ListPage {
        ctx: PageCtx::new(&state, &visitor, &headers, "/group", c.groups),
        c,
        heading: c.groups.to_string(),
        items,
    })
}
