//! Publisher pages: my organisations' datasets, the dataset form, uploads (with the
//! standard-dataset report and the repairs the publisher accepts), delete and restore.
//!
//! Each write checks the CSRF token here and leaves authorisation to the engine, which
//! checks again and writes the audit entry.

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use ydx_accounts::Principal;
use ydx_catalog::{
    Catalog, CatalogError, Dataset, DatasetFields, DatasetState, Frequency, LICENSES,
    ResourceFields, ResourceSource, SearchFilters, SearchQuery, SortOrder, ValidationErrors,
};

use super::{
    Choice, FieldErrors, FieldErrorsExt, badges, display_time, error_summary, field_errors,
    form_status, frequency_label, muni_name, org_choices, org_names, seg, standard_title, url,
};
use crate::AppState;
use crate::auth::Visitor;
use crate::catalog::page_error;
use crate::catalog::texts::{CatalogTexts, fill, texts};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::pages::{PageCtx, render};
use crate::staff::require_staff;

/// The first value of `key` in form pairs.
fn first(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn all(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

// ---- my datasets --------------------------------------------------------------------------

struct StaffRow {
    href: String,
    title: String,
    org: String,
    state: &'static str,
    visibility: &'static str,
    modified: String,
    edit: String,
    badges: Vec<(&'static str, bool)>,
}

struct DeletedRow {
    title: String,
    org: String,
    modified: String,
    undelete: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/staff.html")]
struct StaffPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    rows: Vec<StaffRow>,
    deleted: Vec<DeletedRow>,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize)]
pub(crate) struct NoticeQuery {
    done: Option<String>,
}

fn notice(c: &'static CatalogTexts, done: Option<&str>) -> Option<&'static str> {
    match done? {
        "deleted" => Some(c.deleted_notice),
        "restored" => Some(c.restored),
        "saved" => Some(c.saved),
        "uploaded" => Some(c.uploaded),
        _ => None,
    }
}

pub(crate) async fn list_own_datasets(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let p = match require_staff(&visitor, "/staff/catalog") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    let c = texts(lang);
    let query = SearchQuery {
        filters: SearchFilters {
            organization: if p.is_prefecture_admin() {
                Vec::new()
            } else {
                p.readable_org_ids()
            },
            ..SearchFilters::default()
        },
        sort: SortOrder::ModifiedDesc,
        rows: 1000,
        include_private: true,
        include_drafts: true,
        facet_fields: Vec::new(),
        ..SearchQuery::default()
    };
    let found = match catalog.search(Some(&p), &query).await {
        Ok(r) => r,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let deleted = match catalog.deleted_datasets(&p, 200).await {
        Ok(d) => d,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let orgs = org_names(&state, lang).await;
    let org_of = |d: &Dataset| {
        orgs.get(&d.owner_org)
            .cloned()
            .unwrap_or_else(|| d.owner_org.clone())
    };
    let rows = found
        .datasets
        .iter()
        .map(|d| StaffRow {
            href: format!("/dataset/{}", seg(&d.name)),
            title: d.title.clone(),
            org: org_of(d),
            state: if d.state == DatasetState::Draft {
                c.state_draft
            } else {
                c.state_active
            },
            visibility: if d.private { c.private_yes } else { c.public },
            modified: display_time(&d.metadata_modified),
            edit: format!("/dataset/{}/edit", seg(&d.name)),
            badges: badges(c, d),
        })
        .collect();
    let deleted = deleted
        .iter()
        .map(|d| DeletedRow {
            title: d.title.clone(),
            org: org_of(d),
            modified: display_time(&d.metadata_modified),
            undelete: p
                .can_admin(&d.owner_org)
                .then(|| format!("/dataset/{}/undelete", seg(&d.name))),
        })
        .collect();
    render(&StaffPage {
        ctx: PageCtx::new(
            &state,
            &visitor,
            &headers,
            "/staff/catalog",
            c.manage_datasets,
        ),
        c,
        rows,
        deleted,
        notice: notice(c, q.done.as_deref()),
    })
}

// ---- the dataset form ----------------------------------------------------------------------

/// The form as typed, kept on error.
#[derive(Debug, Clone, Default)]
pub(crate) struct DatasetForm {
    name: String,
    title: String,
    notes: String,
    owner_org: String,
    license_id: String,
    tags: String,
    groups: Vec<String>,
    spatial: Vec<String>,
    temporal_start: String,
    temporal_end: String,
    frequency: String,
    standard: String,
    series: bool,
    author: String,
    author_email: String,
    maintainer: String,
    maintainer_email: String,
    version: String,
    url: String,
    state: String,
    private: bool,
}

impl DatasetForm {
    fn from_pairs(pairs: &[(String, String)]) -> DatasetForm {
        let f = |k: &str| first(pairs, k).trim().to_string();
        DatasetForm {
            name: f("name"),
            title: f("title"),
            notes: first(pairs, "notes"),
            owner_org: f("owner_org"),
            license_id: f("license_id"),
            tags: f("tags"),
            groups: all(pairs, "groups"),
            spatial: all(pairs, "spatial"),
            temporal_start: f("temporal_start"),
            temporal_end: f("temporal_end"),
            frequency: f("frequency"),
            standard: f("standard"),
            series: !first(pairs, "series").is_empty(),
            author: f("author"),
            author_email: f("author_email"),
            maintainer: f("maintainer"),
            maintainer_email: f("maintainer_email"),
            version: f("version"),
            url: f("url"),
            state: f("state"),
            private: !first(pairs, "private").is_empty(),
        }
    }

    fn of(d: &Dataset) -> DatasetForm {
        DatasetForm {
            name: d.name.clone(),
            title: d.title.clone(),
            notes: d.notes.clone(),
            owner_org: d.owner_org.clone(),
            license_id: d.license_id.clone(),
            tags: d.tags.join(","),
            groups: d.groups.clone(),
            spatial: d.spatial.clone(),
            temporal_start: d.temporal_start.clone().unwrap_or_default(),
            temporal_end: d.temporal_end.clone().unwrap_or_default(),
            frequency: d
                .frequency
                .map(|f| f.as_str().to_string())
                .unwrap_or_default(),
            standard: d.standard.clone().unwrap_or_default(),
            series: d.series,
            author: d.author.clone(),
            author_email: d.author_email.clone(),
            maintainer: d.maintainer.clone(),
            maintainer_email: d.maintainer_email.clone(),
            version: d.version.clone(),
            url: d.url.clone(),
            state: d.state.as_str().to_string(),
            private: d.private,
        }
    }

    fn fields(&self, extras: Vec<(String, String)>) -> DatasetFields {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        DatasetFields {
            name: self.name.clone(),
            title: self.title.clone(),
            notes: self.notes.clone(),
            owner_org: self.owner_org.clone(),
            private: self.private,
            state: Some(if self.state == "draft" {
                DatasetState::Draft
            } else {
                DatasetState::Active
            }),
            license_id: self.license_id.clone(),
            author: self.author.clone(),
            author_email: self.author_email.clone(),
            maintainer: self.maintainer.clone(),
            maintainer_email: self.maintainer_email.clone(),
            version: self.version.clone(),
            url: self.url.clone(),
            tags: self
                .tags
                .split([',', '、', '，'])
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            groups: self.groups.clone(),
            extras,
            spatial: self.spatial.clone(),
            temporal_start: opt(&self.temporal_start),
            temporal_end: opt(&self.temporal_end),
            frequency: Frequency::parse(&self.frequency),
            standard: opt(&self.standard),
            series: self.series,
        }
    }
}

#[derive(Template)]
#[template(path = "catalog/form.html")]
struct FormPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    f: DatasetForm,
    is_new: bool,
    action: String,
    cancel: String,
    orgs: Vec<Choice>,
    licenses: Vec<Choice>,
    groups: Vec<Choice>,
    munis: Vec<Choice>,
    freqs: Vec<Choice>,
    standards: Vec<Choice>,
    errors: FieldErrors,
    summary: Vec<(String, String)>,
    summary_title: String,
}

fn field_label(c: &CatalogTexts, field: &str) -> &'static str {
    match field {
        "name" => c.field_name,
        "title" => c.field_title,
        "notes" => c.field_notes,
        "owner_org" => c.organization,
        "license_id" => c.license,
        "tags" => c.tags,
        "groups" => c.groups,
        "spatial" => c.spatial,
        "temporal_start" => c.field_temporal_start,
        "temporal_end" => c.field_temporal_end,
        "frequency" => c.frequency,
        "standard" => c.standard,
        "author" => c.author,
        "author_email" => c.field_author_email,
        "maintainer" => c.maintainer,
        "maintainer_email" => c.field_maintainer_email,
        "version" => c.version,
        "url" => c.field_url,
        "state" => c.state,
        "period" => c.period,
        _ => "",
    }
}

/// A field error in the reader's language, by the engine's stable code.
pub(crate) fn error_text(c: &CatalogTexts, code: &str, message: &str) -> String {
    match code {
        "required" => c.err_required,
        "invalid_name" => c.err_invalid_name,
        "too_long" => c.err_too_long,
        "unknown_license" => c.err_unknown_license,
        "invalid_state" => c.err_invalid_state,
        "invalid_email" => c.err_invalid_email,
        "invalid_tag" => c.err_invalid_tag,
        "unknown_municipality" => c.err_unknown_municipality,
        "invalid_date" => c.err_invalid_date,
        "end_before_start" => c.err_end_before_start,
        "invalid_standard" => c.err_invalid_standard,
        "unknown_organization" => c.err_unknown_organization,
        "unknown_group" => c.err_unknown_group,
        "name_taken" => c.err_name_taken,
        "invalid_period" => c.err_invalid_period,
        "invalid_url" => c.err_invalid_url,
        _ => return message.to_string(),
    }
    .to_string()
}

fn translate(c: &CatalogTexts, v: &ValidationErrors) -> FieldErrors {
    field_errors(v, |_, e| error_text(c, e.code, &e.message))
}

#[expect(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    catalog: &Catalog,
    visitor: &Visitor,
    headers: &HeaderMap,
    p: &Principal,
    f: DatasetForm,
    original_name: Option<&str>,
    errors: FieldErrors,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let (action, cancel, title) = match original_name {
        Some(n) => (
            format!("/dataset/{}/edit", seg(n)),
            format!("/dataset/{}", seg(n)),
            c.edit_dataset,
        ),
        None => (
            "/dataset/new".to_string(),
            "/staff/catalog".to_string(),
            c.new_dataset,
        ),
    };
    let licenses = LICENSES
        .iter()
        .map(|l| Choice {
            value: l.id.to_string(),
            label: lang.pick(l.title_ja, l.title_en).to_string(),
            on: l.id == f.license_id,
        })
        .collect();
    let groups = catalog
        .group_list()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| Choice {
            on: f.groups.contains(&g.name),
            label: lang.pick(&g.title_ja, &g.title_en).to_string(),
            value: g.name,
        })
        .collect();
    let munis = ydx_region::MUNICIPALITIES
        .iter()
        .map(|m| Choice {
            value: m.code.to_string(),
            label: muni_name(lang, m.code),
            on: f.spatial.iter().any(|s| s == m.code),
        })
        .collect();
    let freqs = Frequency::ALL
        .iter()
        .map(|fr| Choice {
            value: fr.as_str().to_string(),
            label: frequency_label(c, *fr).to_string(),
            on: fr.as_str() == f.frequency,
        })
        .collect();
    let standards = ydx_catalog::standard::SCHEMAS
        .iter()
        .map(|s| Choice {
            value: s.id.to_string(),
            label: standard_title(lang, s.id),
            on: s.id == f.standard,
        })
        .collect();
    let summary = error_summary(&errors, &[], |f| field_label(c, f));
    let status = form_status(!errors.is_empty());
    let page = FormPage {
        ctx: PageCtx::new(state, visitor, headers, &action, title),
        c,
        orgs: org_choices(state, p, lang, &f.owner_org, Principal::can_write).await,
        f,
        is_new: original_name.is_none(),
        action,
        cancel,
        licenses,
        groups,
        munis,
        freqs,
        standards,
        summary_title: fill(c.form_has_errors, &[("n", &summary.len().to_string())]),
        summary,
        errors,
    };
    (status, render(&page)).into_response()
}

pub(crate) async fn new_dataset(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let p = match require_staff(&visitor, "/dataset/new") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let f = DatasetForm {
        license_id: "cc-by-4.0".into(),
        state: "active".into(),
        owner_org: p.writable_org_ids().into_iter().next().unwrap_or_default(),
        ..DatasetForm::default()
    };
    form_page(
        &state,
        &catalog,
        &visitor,
        &headers,
        &p,
        f,
        None,
        FieldErrors::new(),
    )
    .await
}

/// What a failed save shows: field errors on the form, or an error page.
fn save_errors(c: &CatalogTexts, e: CatalogError) -> Result<FieldErrors, CatalogError> {
    match e {
        CatalogError::Validation(v) => Ok(translate(c, &v)),
        CatalogError::Forbidden(_) => Ok(FieldErrors::from([(
            "owner_org".to_string(),
            vec![c.err_not_your_org.to_string()],
        )])),
        other => Err(other),
    }
}

pub(crate) async fn create_dataset(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let p = match require_staff(&visitor, "/dataset/new") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    if !visitor.csrf_ok(&first(&pairs, "_csrf")) {
        return PageError::csrf_refused(lang).into_response();
    }
    let f = DatasetForm::from_pairs(&pairs);
    match catalog.create_dataset(&p, f.fields(Vec::new())).await {
        Ok(d) => Redirect::to(&format!("/dataset/{}", seg(&d.name))).into_response(),
        Err(e) => match save_errors(texts(lang), e) {
            Ok(errors) => {
                form_page(&state, &catalog, &visitor, &headers, &p, f, None, errors).await
            }
            Err(e) => page_error(lang, e).into_response(),
        },
    }
}

/// The dataset `p` is about to change, if they may.
async fn writable(
    catalog: &Catalog,
    p: &Principal,
    lang: Lang,
    name: &str,
) -> Result<Dataset, Response> {
    let d = catalog
        .show(Some(p), name)
        .await
        .map_err(|e| page_error(lang, e).into_response())?;
    if !p.can_write(&d.owner_org) {
        return Err(PageError::forbidden(lang).into_response());
    }
    Ok(d)
}

pub(crate) async fn edit_dataset(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let here = format!("/dataset/{}/edit", seg(&name));
    let (p, d) = match staff_dataset(&catalog, &visitor, &here, &name, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = DatasetForm::of(&d);
    form_page(
        &state,
        &catalog,
        &visitor,
        &headers,
        &p,
        f,
        Some(&d.name),
        FieldErrors::new(),
    )
    .await
}

pub(crate) async fn update_dataset(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let here = format!("/dataset/{}/edit", seg(&name));
    let lang = visitor.lang;
    let csrf = first(&pairs, "_csrf");
    let (p, d) = match staff_dataset(&catalog, &visitor, &here, &name, Some(&csrf)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = DatasetForm::from_pairs(&pairs);
    match catalog
        .update_dataset(&p, &d.id, f.fields(d.extras.clone()))
        .await
    {
        Ok(d) => Redirect::to(&format!("/dataset/{}", seg(&d.name))).into_response(),
        Err(e) => match save_errors(texts(lang), e) {
            Ok(errors) => {
                form_page(
                    &state,
                    &catalog,
                    &visitor,
                    &headers,
                    &p,
                    f,
                    Some(&d.name),
                    errors,
                )
                .await
            }
            Err(e) => page_error(lang, e).into_response(),
        },
    }
}

// ---- delete and restore --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "catalog/delete.html")]
struct DeletePage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    text: String,
    action: String,
    cancel: String,
}

pub(crate) async fn confirm_delete(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let here = format!("/dataset/{}/delete", seg(&name));
    let (_, d) = match staff_dataset(&catalog, &visitor, &here, &name, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let c = texts(visitor.lang);
    render(&DeletePage {
        ctx: PageCtx::new(&state, &visitor, &headers, &here, c.delete_title),
        c,
        text: fill(c.delete_text, &[("title", &d.title)]),
        action: here,
        cancel: format!("/dataset/{}", seg(&d.name)),
    })
}

pub(crate) async fn delete_dataset(
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let p = match require_staff(&visitor, &format!("/dataset/{}", seg(&name))) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    if !visitor.csrf_ok(&first(&pairs, "_csrf")) {
        return PageError::csrf_refused(lang).into_response();
    }
    match catalog.delete_dataset(&p, &name).await {
        Ok(()) => Redirect::to("/staff/catalog?done=deleted").into_response(),
        Err(e) => page_error(lang, e).into_response(),
    }
}

pub(crate) async fn undelete_dataset(
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let p = match require_staff(&visitor, "/staff/catalog") {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    if !visitor.csrf_ok(&first(&pairs, "_csrf")) {
        return PageError::csrf_refused(lang).into_response();
    }
    match catalog.undelete_dataset(&p, &name).await {
        Ok(d) => Redirect::to(&format!("/dataset/{}", seg(&d.name))).into_response(),
        Err(e) => page_error(lang, e).into_response(),
    }
}

// ---- uploads -------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct UploadForm {
    csrf: String,
    name: String,
    description: String,
    format: String,
    period: String,
    url: String,
    file: Option<(String, Vec<u8>)>,
}

/// Reads the upload form. `Err` when the body could not be read (e.g. over the size limit).
async fn read_upload(mut mp: Multipart) -> Result<UploadForm, String> {
    let mut f = UploadForm::default();
    while let Some(field) = mp.next_field().await.map_err(|e| e.body_text())? {
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            let filename = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            if !bytes.is_empty() {
                f.file = Some((filename, bytes.to_vec()));
            }
            continue;
        }
        let text = field.text().await.map_err(|e| e.body_text())?;
        match key.as_str() {
            "_csrf" => f.csrf = text,
            "name" => f.name = text,
            "description" => f.description = text,
            "format" => f.format = text.trim().to_string(),
            "period" => f.period = text.trim().to_string(),
            "url" => f.url = text.trim().to_string(),
            _ => {}
        }
    }
    Ok(f)
}

#[derive(Template)]
#[template(path = "catalog/upload.html")]
struct UploadPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    heading: String,
    dataset_title: String,
    action: String,
    cancel: String,
    new_version: bool,
    series: bool,
    name: String,
    description: String,
    format: String,
    period: String,
    link: String,
    error: Option<String>,
    field_errors: FieldErrors,
}

#[expect(clippy::too_many_arguments)]
fn upload_page(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    d: &Dataset,
    resource: Option<(&str, &str)>,
    form: &UploadForm,
    error: Option<String>,
    field_errors: FieldErrors,
) -> Response {
    let c = texts(visitor.lang);
    let dataset_href = format!("/dataset/{}", seg(&d.name));
    let (heading, action, cancel) = match resource {
        Some((id, rname)) => (
            format!("{} — {rname}", c.upload_new_version),
            format!("{dataset_href}/resource/{}/upload", seg(id)),
            format!("{dataset_href}/resource/{}", seg(id)),
        ),
        None => (
            c.upload_title.to_string(),
            format!("{dataset_href}/resource/new"),
            dataset_href.clone(),
        ),
    };
    let status = form_status(error.is_some() || !field_errors.is_empty());
    let page = UploadPage {
        ctx: PageCtx::new(state, visitor, headers, &action, &heading),
        c,
        heading,
        dataset_title: d.title.clone(),
        action,
        cancel,
        new_version: resource.is_some(),
        series: d.series,
        name: form.name.clone(),
        description: form.description.clone(),
        format: form.format.clone(),
        period: form.period.clone(),
        link: form.url.clone(),
        error,
        field_errors,
    };
    (status, render(&page)).into_response()
}

/// The message for a refused upload, or `None` for errors that are not about the upload.
fn upload_error(c: &CatalogTexts, e: &CatalogError) -> Option<String> {
    match e {
        CatalogError::BadFile { line, message } => Some(format!(
            "{} {}",
            if *line == 0 {
                fill(c.bad_file_whole, &[("message", message)])
            } else {
                fill(
                    c.bad_file,
                    &[("line", &line.to_string()), ("message", message)],
                )
            },
            c.nothing_stored
        )),
        CatalogError::TooLarge { size, limit } => Some(format!(
            "{} {}",
            fill(
                c.too_large,
                &[("size", &size.to_string()), ("limit", &limit.to_string())]
            ),
            c.nothing_stored
        )),
        _ => None,
    }
}

pub(crate) async fn new_resource(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let here = format!("/dataset/{}/resource/new", seg(&name));
    let (_, d) = match staff_dataset(&catalog, &visitor, &here, &name, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    upload_page(
        &state,
        &visitor,
        &headers,
        &d,
        None,
        &UploadForm::default(),
        None,
        FieldErrors::new(),
    )
}

/// Where to go after a stored upload: the standard check for a standard dataset's table,
/// else the resource page.
fn after_upload(d: &Dataset, r: &ydx_catalog::Resource) -> Response {
    let base = format!("/dataset/{}/resource/{}", seg(&d.name), seg(&r.id));
    if d.standard.is_some() && r.table.is_some() {
        Redirect::to(&format!("{base}/validate")).into_response()
    } else {
        Redirect::to(&base).into_response()
    }
}

/// What the publisher's dataset pages check first: a signed-in staff member, for a POST its
/// CSRF token (`csrf`), and write access to the dataset.
async fn staff_dataset(
    catalog: &Catalog,
    visitor: &Visitor,
    here: &str,
    name: &str,
    csrf: Option<&str>,
) -> Result<(Principal, Dataset), Response> {
    let p = require_staff(visitor, here).map_err(|r| *r)?;
    if csrf.is_some_and(|t| !visitor.csrf_ok(t)) {
        return Err(PageError::csrf_refused(visitor.lang).into_response());
    }
    let d = writable(catalog, &p, visitor.lang, name).await?;
    Ok((p, d))
}

/// What every upload POST checks first: a signed-in staff member, a readable form with its
/// CSRF token, and write access to the dataset.
async fn upload_request(
    catalog: &Catalog,
    visitor: &Visitor,
    here: &str,
    name: &str,
    mp: Multipart,
) -> Result<(Principal, UploadForm, Dataset), Response> {
    // Sign-in first, so a visitor is sent to sign in before the body is read.
    require_staff(visitor, here).map_err(|r| *r)?;
    let form = read_upload(mp)
        .await
        .map_err(|msg| PageError::bad_request(visitor.lang, msg).into_response())?;
    let (p, d) = staff_dataset(catalog, visitor, here, name, Some(&form.csrf)).await?;
    Ok((p, form, d))
}

pub(crate) async fn create_resource(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
    mp: Multipart,
) -> Response {
    let here = format!("/dataset/{}/resource/new", seg(&name));
    let (p, form, d) = match upload_request(&catalog, &visitor, &here, &name, mp).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = visitor.lang;
    let c = texts(lang);
    let again = |error: Option<String>, errors: FieldErrors| {
        upload_page(&state, &visitor, &headers, &d, None, &form, error, errors)
    };
    let source = match (&form.file, form.url.is_empty()) {
        (Some((filename, bytes)), _) => ResourceSource::Upload {
            bytes: bytes.clone(),
            filename: filename.clone(),
        },
        (None, false) => ResourceSource::Link {
            url: form.url.clone(),
        },
        (None, true) => return again(Some(c.need_file_or_link.to_string()), FieldErrors::new()),
    };
    let fields = ResourceFields {
        name: form.name.clone(),
        description: form.description.clone(),
        format: form.format.clone(),
        period: (!form.period.is_empty()).then(|| form.period.clone()),
    };
    match catalog.add_resource(&p, &d.id, fields, source).await {
        Ok(r) => after_upload(&d, &r),
        Err(CatalogError::Validation(v)) => again(None, translate(c, &v)),
        Err(e) => match upload_error(c, &e) {
            Some(msg) => again(Some(msg), FieldErrors::new()),
            None => page_error(lang, e).into_response(),
        },
    }
}

pub(crate) async fn new_version(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let here = format!("/dataset/{}/resource/{}/upload", seg(&name), seg(&id));
    let (_, d) = match staff_dataset(&catalog, &visitor, &here, &name, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(r) = d.resources.iter().find(|r| r.id == id) else {
        return PageError::not_found(visitor.lang).into_response();
    };
    upload_page(
        &state,
        &visitor,
        &headers,
        &d,
        Some((&r.id, &r.name)),
        &UploadForm::default(),
        None,
        FieldErrors::new(),
    )
}

pub(crate) async fn create_version(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    mp: Multipart,
) -> Response {
    let here = format!("/dataset/{}/resource/{}", seg(&name), seg(&id));
    let (p, form, d) = match upload_request(&catalog, &visitor, &here, &name, mp).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = visitor.lang;
    let c = texts(lang);
    let Some(r) = d.resources.iter().find(|r| r.id == id).cloned() else {
        return PageError::not_found(lang).into_response();
    };
    let again = |error: String| {
        let resource = Some((r.id.as_str(), r.name.as_str()));
        upload_page(
            &state,
            &visitor,
            &headers,
            &d,
            resource,
            &form,
            Some(error),
            FieldErrors::new(),
        )
    };
    let Some((filename, bytes)) = form.file.clone() else {
        return again(c.need_file_or_link.to_string());
    };
    let format = (!form.format.is_empty()).then_some(form.format.as_str());
    match catalog
        .upload_version(&p, &r.id, bytes, &filename, format)
        .await
    {
        Ok(after) => after_upload(&d, &after),
        Err(e) => match upload_error(c, &e) {
            Some(msg) => again(msg),
            None => page_error(lang, e).into_response(),
        },
    }
}

// ---- standard dataset check and repairs ----------------------------------------------------

struct IssueView {
    line: String,
    column: String,
    value: String,
    severity: &'static str,
    message: String,
}

struct RepairView {
    id: String,
    description: String,
    rows: String,
    examples: Vec<(u64, String, String)>,
}

#[derive(Template)]
#[template(path = "catalog/validate.html")]
struct ValidatePage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    resource_name: String,
    resource_href: String,
    history_href: String,
    action: String,
    lead: String,
    counts: String,
    conforms: bool,
    missing: Option<String>,
    issues: Vec<IssueView>,
    omitted: Option<String>,
    repairs: Vec<RepairView>,
    /// Said when no repair is offered: a workbook is never repaired here.
    no_repairs: &'static str,
    version: i64,
    notice: Option<String>,
    error: Option<String>,
}

#[expect(clippy::too_many_arguments)]
async fn validation_page(
    state: &AppState,
    catalog: &Catalog,
    visitor: &Visitor,
    headers: &HeaderMap,
    p: &Principal,
    name: &str,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let d = match writable(catalog, p, lang, name).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Some(r) = d.resources.iter().find(|r| r.id == id) else {
        return PageError::not_found(lang).into_response();
    };
    let Some(schema) = d
        .standard
        .as_deref()
        .and_then(ydx_catalog::standard::schema)
    else {
        return PageError::not_found(lang).into_response();
    };
    let (version, bytes) = match catalog.resource_bytes(Some(p), &r.id, None).await {
        Ok(x) => x,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let report = ydx_catalog::standard::validate_upload(schema, &version.format, &bytes);
    let s = &report.summary;
    let issues = report
        .issues
        .iter()
        .map(|i| IssueView {
            line: i
                .row
                .map(|n| n.to_string())
                .unwrap_or_else(|| c.whole_file.to_string()),
            column: i.column.clone().unwrap_or_default(),
            value: i.value.clone().unwrap_or_default(),
            severity: match i.severity {
                ydx_catalog::standard::Severity::Error => c.severity_error,
                ydx_catalog::standard::Severity::Warning => c.severity_warning,
                ydx_catalog::standard::Severity::Info => c.severity_info,
            },
            message: lang.pick(&i.message_ja, &i.message_en).to_string(),
        })
        .collect();
    let repairs = report
        .repairs
        .iter()
        .map(|rp| RepairView {
            id: rp.id.clone(),
            description: lang
                .pick(&rp.description_ja, &rp.description_en)
                .to_string(),
            rows: if rp.rows.is_empty() {
                c.whole_file.to_string()
            } else {
                fill(c.repair_rows, &[("n", &rp.rows.len().to_string())])
            },
            examples: rp
                .examples
                .iter()
                .map(|e| {
                    use ydx_catalog::standard::RepairKind;
                    let deletes = matches!(
                        rp.kind,
                        RepairKind::RemoveTitleRows | RepairKind::RemoveNoteRows
                    );
                    let after = if deletes {
                        c.row_deleted.to_string()
                    } else {
                        e.after.clone()
                    };
                    (e.row, e.before.clone(), after)
                })
                .collect(),
        })
        .collect();
    let base = format!("/dataset/{}/resource/{}", seg(&d.name), seg(&r.id));
    let page = ValidatePage {
        ctx: PageCtx::new(
            state,
            visitor,
            headers,
            &format!("{base}/validate"),
            c.validation_title,
        ),
        c,
        resource_name: r.name.clone(),
        resource_href: base.clone(),
        history_href: format!("{base}/history"),
        action: format!("{base}/validate"),
        lead: fill(
            c.validation_lead,
            &[("standard", lang.pick(schema.title_ja, schema.title_en))],
        ),
        counts: fill(
            c.validation_counts,
            &[
                ("rows", &s.rows.to_string()),
                ("errors", &s.errors.to_string()),
                ("warnings", &s.warnings.to_string()),
            ],
        ),
        conforms: s.conforms(),
        missing: (!s.missing_required.is_empty()).then(|| {
            fill(
                c.missing_columns,
                &[("cols", &s.missing_required.join("、"))],
            )
        }),
        issues,
        omitted: (report.issues_omitted > 0).then(|| {
            fill(
                c.issues_omitted,
                &[("n", &report.issues_omitted.to_string())],
            )
        }),
        repairs,
        no_repairs: if version.format == "XLSX" {
            c.no_repairs_workbook
        } else {
            c.no_repairs
        },
        version: version.version,
        notice,
        error,
    };
    let status = form_status(page.error.is_some());
    (status, render(&page)).into_response()
}

pub(crate) async fn show_validation(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let here = format!("/dataset/{}/resource/{}/validate", seg(&name), seg(&id));
    let p = match require_staff(&visitor, &here) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let c = texts(visitor.lang);
    let notice = notice(c, q.done.as_deref()).map(str::to_string);
    validation_page(
        &state, &catalog, &visitor, &headers, &p, &name, &id, notice, None,
    )
    .await
}

pub(crate) async fn apply_repairs(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let here = format!("/dataset/{}/resource/{}/validate", seg(&name), seg(&id));
    let p = match require_staff(&visitor, &here) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    let c = texts(lang);
    if !visitor.csrf_ok(&first(&pairs, "_csrf")) {
        return PageError::csrf_refused(lang).into_response();
    }
    let accepted = all(&pairs, "repair");
    let retry = |error: String| {
        let (state, catalog, visitor, headers, p) = (&state, &catalog, &visitor, &headers, &p);
        let (name, id) = (&name, &id);
        async move {
            validation_page(
                state,
                catalog,
                visitor,
                headers,
                p,
                name,
                id,
                None,
                Some(error),
            )
            .await
        }
    };
    if accepted.is_empty() {
        return retry(c.none_accepted.to_string()).await;
    }
    let d = match writable(&catalog, &p, lang, &name).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Some(schema) = d
        .standard
        .as_deref()
        .and_then(ydx_catalog::standard::schema)
    else {
        return PageError::not_found(lang).into_response();
    };
    let (version, bytes) = match catalog.resource_bytes(Some(&p), &id, None).await {
        Ok(x) => x,
        Err(e) => return page_error(lang, e).into_response(),
    };
    // The report the publisher accepted was for this version; a newer upload since then
    // means they must look again.
    if first(&pairs, "version") != version.version.to_string() {
        return retry(
            ydx_catalog::standard::StandardError::UnknownRepair(accepted.join(", ")).to_string(),
        )
        .await;
    }
    let repaired =
        match ydx_catalog::standard::apply_repairs_to(schema, &version.format, &bytes, &accepted) {
            Ok(b) => b,
            Err(e) => return retry(e.to_string()).await,
        };
    let format = d
        .resources
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.format.clone());
    match catalog
        .upload_version(&p, &id, repaired, &version.filename, format.as_deref())
        .await
    {
        Ok(_) => Redirect::to(&url(&here, &[("done".into(), "saved".into())])).into_response(),
        Err(e) => match upload_error(c, &e) {
            Some(msg) => retry(msg).await,
            None => page_error(lang, e).into_response(),
        },
    }
}
