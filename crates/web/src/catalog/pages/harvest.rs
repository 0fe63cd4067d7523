//! Staff pages for harvest sources (other CKAN catalogs imported on a schedule): the sources
//! a staff member administers, the form to add one or change its settings, a source's page
//! with its settings, pause/resume, "run now" and the history of its runs, and the page that
//! deletes a source, keeping or deleting the datasets it harvested.
//!
//! Only administrators see these pages: a prefecture administrator every source, a
//! municipality's administrator the sources harvesting into their organisations. The web
//! process never fetches from another site: "run now" records a request that the server's
//! scheduler (in `ydx`) honours at its next tick. Each write checks the CSRF token here and
//! leaves authorisation to the engine, which checks again and writes the audit entry.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use ydx_accounts::Principal;
use ydx_catalog::harvest::{
    HarvestItem, HarvestRun, HarvestSource, HarvestSourceChanges, HarvestSourceStatus,
    HarvestedDatasets, NewHarvestSource,
};
use ydx_catalog::{Catalog, CatalogError, ValidationErrors};

use super::publish::error_text;
use super::{
    Choice, FieldErrors, FieldErrorsExt, display_time, error_summary, field_errors, form_status,
    org_choices, org_names, seg,
};
use crate::AppState;
use crate::auth::Visitor;
use crate::catalog::page_error;
use crate::catalog::texts::{CatalogTexts, fill, texts};
use crate::error::PageError;
use crate::pages::{PageCtx, render};
use crate::staff::require_staff;

const LIST: &str = "/staff/catalog/harvest";
const NEW: &str = "/staff/catalog/harvest/new";
/// Runs shown on a source's page.
const RUNS_SHOWN: i64 = 20;

fn source_path(id: &str) -> String {
    format!("{LIST}/{}", seg(id))
}

fn edit_path(id: &str) -> String {
    format!("{}/edit", source_path(id))
}

fn delete_path(id: &str) -> String {
    format!("{}/delete", source_path(id))
}

/// The signed-in administrator, or the page for everyone else: sign-in for visitors, 403
/// for residents and for staff who administer nothing (only administrators manage harvest
/// sources).
fn require_admin(visitor: &Visitor, here: &str) -> Result<Principal, Box<Response>> {
    let p = require_staff(visitor, here)?;
    if !p.administers_any() {
        return Err(Box::new(PageError::forbidden(visitor.lang).into_response()));
    }
    Ok(p)
}

/// A schedule in the largest unit that divides it: (`days`, `hours` or `minutes`, how many).
fn schedule_parts(minutes: i64) -> (&'static str, i64) {
    if minutes % 1440 == 0 {
        ("days", minutes / 1440)
    } else if minutes % 60 == 0 {
        ("hours", minutes / 60)
    } else {
        ("minutes", minutes)
    }
}

/// `every 2 h` and the like, in the largest unit that divides the schedule.
fn schedule_text(c: &CatalogTexts, minutes: i64) -> String {
    let (unit, n) = schedule_parts(minutes);
    let text = match unit {
        "days" => c.harvest_every_days,
        "hours" => c.harvest_every_hours,
        _ => c.harvest_every_minutes,
    };
    fill(text, &[("n", &n.to_string())])
}

fn run_summary(c: &CatalogTexts, r: &HarvestRun) -> String {
    fill(
        c.harvest_summary,
        &[
            ("a", &r.added.to_string()),
            ("u", &r.updated.to_string()),
            ("r", &r.removed.to_string()),
            ("f", &r.failed.to_string()),
        ],
    )
}

/// Status badges of a source: each is text, never colour alone.
fn status_badges(c: &CatalogTexts, st: &HarvestSourceStatus) -> Vec<(&'static str, bool)> {
    let mut out = vec![if st.source.enabled {
        (c.harvest_enabled, false)
    } else {
        (c.harvest_paused, true)
    }];
    if st.running {
        out.push((c.harvest_running, false));
    }
    if st.run_requested.is_some() {
        out.push((c.harvest_queued, false));
    }
    out
}

#[derive(serde::Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

fn notice(c: &'static CatalogTexts, done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some(c.harvest_created_notice),
        "paused" => Some(c.harvest_paused_notice),
        "resumed" => Some(c.harvest_resumed_notice),
        "queued" => Some(c.harvest_queued_notice),
        "saved" => Some(c.harvest_saved_notice),
        "deleted-kept" => Some(c.harvest_deleted_kept_notice),
        "deleted-removed" => Some(c.harvest_deleted_removed_notice),
        _ => None,
    }
}

// ---- the list ------------------------------------------------------------------------------

struct SourceRow {
    href: String,
    name: String,
    url: String,
    org: String,
    filter: String,
    schedule: String,
    badges: Vec<(&'static str, bool)>,
    /// Start of the last run, and its result (or that it runs, or stopped).
    last_run: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "catalog/harvest_list.html")]
struct ListPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    rows: Vec<SourceRow>,
    notice: Option<&'static str>,
}

/// The result of a source's last run; `running` when the source's lock is held.
fn last_run_text(c: &CatalogTexts, r: &HarvestRun, running: bool) -> String {
    if r.finished.is_none() {
        // Unfinished and not running: its process died.
        if running {
            c.harvest_running
        } else {
            c.harvest_stopped
        }
        .to_string()
    } else if r.report.error.is_some() {
        format!("{} ({})", c.harvest_stopped, run_summary(c, r))
    } else {
        run_summary(c, r)
    }
}

pub(crate) async fn list_sources(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<DoneQuery>,
) -> Response {
    let p = match require_admin(&visitor, LIST) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    let c = texts(lang);
    let statuses = match catalog.harvest_source_statuses(Some(&p)).await {
        Ok(s) => s,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let orgs = org_names(&state, lang).await;
    let rows = statuses
        .iter()
        .map(|st| {
            let s = &st.source;
            SourceRow {
                href: source_path(&s.id),
                name: s.name.clone(),
                url: s.url.clone(),
                org: org_label(&orgs, &s.target_org),
                filter: s
                    .filter
                    .clone()
                    .unwrap_or_else(|| c.harvest_no_filter.to_string()),
                schedule: schedule_text(c, s.schedule_minutes),
                badges: status_badges(c, st),
                last_run: st
                    .last_run
                    .as_ref()
                    .map(|r| (display_time(&r.started), last_run_text(c, r, st.running))),
            }
        })
        .collect();
    render(&ListPage {
        ctx: PageCtx::new(&state, &visitor, &headers, LIST, c.harvest_title),
        c,
        rows,
        notice: notice(c, q.done.as_deref()),
    })
}

fn org_label(orgs: &HashMap<String, String>, id: &str) -> String {
    orgs.get(id).cloned().unwrap_or_else(|| id.to_string())
}

// ---- the form ------------------------------------------------------------------------------

/// The form as typed, kept on error.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct SourceForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    id: String,
    name: String,
    url: String,
    target_org: String,
    filter: String,
    every: String,
    unit: String,
    paused: String,
}

impl SourceForm {
    /// The schedule in minutes; 0 (refused by the engine) when it is not a whole number.
    fn minutes(&self) -> i64 {
        let factor = match self.unit.as_str() {
            "days" => 1440,
            "hours" => 60,
            _ => 1,
        };
        let n: i64 = self
            .every
            .trim()
            .chars()
            // Full-width digits, as Japanese input methods type them.
            .map(|ch| match ch {
                '０'..='９' => char::from_u32(ch as u32 - '０' as u32 + '0' as u32).unwrap_or(ch),
                _ => ch,
            })
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        n.checked_mul(factor).unwrap_or(0)
    }

    /// The form filled with a source's settings, its schedule in the largest unit.
    fn of(s: &HarvestSource) -> SourceForm {
        let (unit, n) = schedule_parts(s.schedule_minutes);
        SourceForm {
            id: s.id.clone(),
            name: s.name.clone(),
            url: s.url.clone(),
            target_org: s.target_org.clone(),
            filter: s.filter.clone().unwrap_or_default(),
            every: n.to_string(),
            unit: unit.to_string(),
            ..SourceForm::default()
        }
    }

    fn filter(&self) -> Option<String> {
        Some(self.filter.trim().to_string()).filter(|f| !f.is_empty())
    }

    /// What the edit form sets: every setting it shows (an empty filter removes it).
    fn changes(&self) -> HarvestSourceChanges {
        HarvestSourceChanges {
            name: Some(self.name.clone()),
            url: Some(self.url.clone()),
            filter: Some(self.filter()),
            schedule_minutes: Some(self.minutes()),
        }
    }

    fn new_source(&self) -> NewHarvestSource {
        NewHarvestSource {
            id: self.id.trim().to_string(),
            name: self.name.trim().to_string(),
            url: self.url.trim().to_string(),
            target_org: self.target_org.trim().to_string(),
            filter: self.filter(),
            schedule_minutes: self.minutes(),
            enabled: self.paused.is_empty(),
        }
    }
}

/// The source a form changes: its id and organisation are shown, not edited.
struct Editing {
    id: String,
    /// As stored (the form may hold a changed one).
    name: String,
    org: String,
}

#[derive(Template)]
#[template(path = "catalog/harvest_form.html")]
struct FormPage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    f: SourceForm,
    /// `None` on the form that adds a source.
    editing: Option<Editing>,
    title: &'static str,
    action: String,
    cancel: String,
    orgs: Vec<Choice>,
    units: Vec<(&'static str, &'static str, bool)>,
    errors: FieldErrors,
    summary: Vec<(String, String)>,
    summary_title: String,
}

impl FormPage {
    /// `aria-describedby` of a field: its hint and, when it is wrong, its error.
    fn described_by(&self, field: &str) -> String {
        let mut ids = vec![format!("{field}-hint")];
        if self.errors.bad(field) {
            ids.push(format!("{field}-error"));
        }
        ids.join(" ")
    }
}

/// The form's fields, in the order they are shown.
const FIELDS: [&str; 6] = [
    "name",
    "id",
    "url",
    "target_org",
    "filter",
    "schedule_minutes",
];

fn field_label(c: &CatalogTexts, field: &str) -> &'static str {
    match field {
        "id" => c.harvest_field_id,
        "name" => c.harvest_field_name,
        "url" => c.harvest_field_url,
        "target_org" => c.harvest_field_org,
        "filter" => c.harvest_field_filter,
        "schedule_minutes" => c.harvest_field_schedule,
        _ => "",
    }
}

/// A field error in the reader's language, by the engine's stable code.
fn harvest_error_text(c: &CatalogTexts, field: &str, code: &str, message: &str) -> String {
    match (field, code) {
        ("id", "invalid_name") => c.harvest_err_id.to_string(),
        ("id", "name_taken") => c.harvest_err_id_taken.to_string(),
        (_, "invalid_schedule") => c.harvest_err_schedule.to_string(),
        _ => error_text(c, code, message),
    }
}

fn translate(c: &CatalogTexts, v: &ValidationErrors) -> FieldErrors {
    field_errors(v, |field, e| {
        harvest_error_text(c, field, e.code, &e.message)
    })
}

/// The form that adds a source, or changes `editing`'s settings; with `errors`, 422.
async fn form_page(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    p: &Principal,
    f: SourceForm,
    errors: FieldErrors,
    editing: Option<&HarvestSource>,
) -> Response {
    let lang = visitor.lang;
    let c = texts(lang);
    let summary = error_summary(&errors, &FIELDS, |f| field_label(c, f));
    let status = form_status(!errors.is_empty());
    let units = vec![
        ("minutes", c.harvest_unit_minutes, f.unit == "minutes"),
        ("hours", c.harvest_unit_hours, f.unit == "hours"),
        ("days", c.harvest_unit_days, f.unit == "days"),
    ];
    let (here, title, cancel, orgs, editing) = match editing {
        None => (
            NEW.to_string(),
            c.harvest_add,
            LIST.to_string(),
            org_choices(state, p, lang, &f.target_org, Principal::can_admin).await,
            None,
        ),
        Some(s) => (
            edit_path(&s.id),
            c.harvest_edit_title,
            source_path(&s.id),
            Vec::new(),
            Some(Editing {
                id: s.id.clone(),
                name: s.name.clone(),
                org: org_label(&org_names(state, lang).await, &s.target_org),
            }),
        ),
    };
    let page = FormPage {
        ctx: PageCtx::new(state, visitor, headers, &here, title),
        c,
        editing,
        title,
        action: here,
        cancel,
        orgs,
        units,
        f,
        summary_title: fill(c.form_has_errors, &[("n", &summary.len().to_string())]),
        summary,
        errors,
    };
    (status, render(&page)).into_response()
}

pub(crate) async fn new_source(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let p = match require_admin(&visitor, NEW) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    let orgs = org_choices(&state, &p, lang, "", Principal::can_admin).await;
    let f = SourceForm {
        // The only choice is chosen; with several, the admin chooses.
        target_org: match orgs.as_slice() {
            [only] => only.value.clone(),
            _ => String::new(),
        },
        every: "1".into(),
        unit: "days".into(),
        ..SourceForm::default()
    };
    form_page(&state, &visitor, &headers, &p, f, FieldErrors::new(), None).await
}

pub(crate) async fn create_source(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(f): Form<SourceForm>,
) -> Response {
    let p = match require_admin(&visitor, NEW) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let lang = visitor.lang;
    if !visitor.csrf_ok(&f.csrf) {
        return PageError::csrf_refused(lang).into_response();
    }
    let c = texts(lang);
    let errors = match catalog.create_harvest_source(&p, f.new_source()).await {
        Ok(s) => {
            return Redirect::to(&format!("{}?done=created", source_path(&s.id))).into_response();
        }
        Err(CatalogError::Validation(v)) => translate(c, &v),
        Err(CatalogError::Forbidden(_)) => FieldErrors::from([(
            "target_org".to_string(),
            vec![c.harvest_err_not_admin.to_string()],
        )]),
        Err(e) => return page_error(lang, e).into_response(),
    };
    form_page(&state, &visitor, &headers, &p, f, errors, None).await
}

pub(crate) async fn edit_source(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (p, st) = match administered(&catalog, &visitor, &edit_path(&id), &id, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = SourceForm::of(&st.source);
    let errors = FieldErrors::new();
    form_page(&state, &visitor, &headers, &p, f, errors, Some(&st.source)).await
}

pub(crate) async fn update_source(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<SourceForm>,
) -> Response {
    let here = edit_path(&id);
    let (p, st) = match administered(&catalog, &visitor, &here, &id, Some(&f.csrf)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = visitor.lang;
    let errors = match catalog.update_harvest_source(&p, &id, f.changes()).await {
        Ok(s) => {
            return Redirect::to(&format!("{}?done=saved", source_path(&s.id))).into_response();
        }
        Err(CatalogError::Validation(v)) => translate(texts(lang), &v),
        Err(e) => return page_error(lang, e).into_response(),
    };
    form_page(&state, &visitor, &headers, &p, f, errors, Some(&st.source)).await
}

// ---- a source ------------------------------------------------------------------------------

/// A dataset in a run's report.
struct ItemRow {
    remote_name: String,
    /// The dataset here and its page, when one was made.
    local: Option<(String, String)>,
    message: String,
}

/// One list of a run's report (added, updated, removed or failed).
struct ItemList {
    /// Unique within the page, for the table's caption.
    id: String,
    label: &'static str,
    items: Vec<ItemRow>,
    open: bool,
}

struct RunView {
    id: String,
    heading: String,
    started: String,
    /// When it finished, or that it is running or was stopped.
    finished: String,
    done: bool,
    summary: String,
    listed: usize,
    unchanged: usize,
    error: Option<String>,
    notes: Vec<String>,
    lists: Vec<ItemList>,
}

#[derive(Template)]
#[template(path = "catalog/harvest_source.html")]
struct SourcePage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    id: String,
    name: String,
    url: String,
    org: String,
    filter: String,
    schedule: String,
    created: String,
    enabled: bool,
    badges: Vec<(&'static str, bool)>,
    running_since: Option<String>,
    queued: Option<String>,
    next_run: String,
    runs: Vec<RunView>,
    history_lead: String,
    notice: Option<&'static str>,
    pause: String,
    resume: String,
    run_now: String,
    edit: String,
    delete: String,
}

fn item_rows(items: &[HarvestItem]) -> Vec<ItemRow> {
    items
        .iter()
        .map(|i| ItemRow {
            remote_name: if i.remote_name.is_empty() {
                i.remote_id.clone()
            } else {
                i.remote_name.clone()
            },
            local: (!i.local_name.is_empty()).then(|| {
                (
                    i.local_name.clone(),
                    format!("/dataset/{}", seg(&i.local_name)),
                )
            }),
            message: i.message.clone(),
        })
        .collect()
}

/// One run for the history; `running` when it is the newest and the source's lock is held.
fn run_view(c: &CatalogTexts, r: &HarvestRun, newest: bool, running: bool) -> RunView {
    let started = display_time(&r.started);
    let report = &r.report;
    let lists = [
        ("failed", c.harvest_failed, &report.failed),
        ("added", c.harvest_added, &report.added),
        ("updated", c.harvest_updated, &report.updated),
        ("removed", c.harvest_removed, &report.removed),
    ]
    .into_iter()
    .filter(|(_, _, items)| !items.is_empty())
    .map(|(key, label, items)| ItemList {
        id: format!("run-{}-{key}", r.id),
        label,
        items: item_rows(items),
        // The failures of the latest run are what an admin comes to see.
        open: newest && key == "failed",
    })
    .collect();
    RunView {
        id: format!("run-{}", r.id),
        heading: fill(c.harvest_run_of, &[("at", &started)]),
        started,
        finished: match r.finished.as_deref() {
            Some(t) => display_time(t),
            None if running => c.harvest_running.to_string(),
            // Unfinished and not running: its process died.
            None => c.harvest_stopped.to_string(),
        },
        done: r.finished.is_some(),
        summary: run_summary(c, r),
        listed: report.remote_count,
        unchanged: report.unchanged,
        error: report.error.clone(),
        notes: report.notes.clone(),
        lists,
    }
}

/// The source `id` and the administrator asking for it at `here`, or the page to answer
/// with: sign-in (coming back to `here`), 403 for whoever does not administer the source's
/// organisation, 404, or the CSRF refusal when a form's token (`csrf`) does not match.
async fn administered(
    catalog: &Catalog,
    visitor: &Visitor,
    here: &str,
    id: &str,
    csrf: Option<&str>,
) -> Result<(Principal, HarvestSourceStatus), Response> {
    let lang = visitor.lang;
    let p = require_admin(visitor, here).map_err(|r| *r)?;
    if csrf.is_some_and(|token| !visitor.csrf_ok(token)) {
        return Err(PageError::csrf_refused(lang).into_response());
    }
    let st = catalog
        .harvest_source_status(id)
        .await
        .map_err(|e| page_error(lang, e).into_response())?;
    if !p.can_admin(&st.source.target_org) {
        return Err(PageError::forbidden(lang).into_response());
    }
    Ok((p, st))
}

pub(crate) async fn show_source(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let here = source_path(&id);
    let (_, st) = match administered(&catalog, &visitor, &here, &id, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = visitor.lang;
    let c = texts(lang);
    let runs = match catalog.harvest_runs(&st.source.id, RUNS_SHOWN).await {
        Ok(r) => r,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let orgs = org_names(&state, lang).await;
    let s = &st.source;
    let running_since = st
        .last_run
        .as_ref()
        .filter(|r| st.running && r.finished.is_none())
        .map(|r| {
            fill(
                c.harvest_running_since,
                &[("at", &display_time(&r.started))],
            )
        });
    let next_run = match st.next_scheduled() {
        None => c.harvest_not_scheduled.to_string(),
        Some(t) if t.is_empty() || t <= ydx_storage::now() => c.harvest_next_due.to_string(),
        Some(t) => display_time(&t),
    };
    render(&SourcePage {
        ctx: PageCtx::new(&state, &visitor, &headers, &here, &s.name),
        c,
        id: s.id.clone(),
        name: s.name.clone(),
        url: s.url.clone(),
        org: org_label(&orgs, &s.target_org),
        filter: s
            .filter
            .clone()
            .unwrap_or_else(|| c.harvest_no_filter.to_string()),
        schedule: schedule_text(c, s.schedule_minutes),
        created: display_time(&s.created),
        enabled: s.enabled,
        badges: status_badges(c, &st),
        running_since,
        queued: st
            .run_requested
            .as_deref()
            .map(|t| fill(c.harvest_queued_since, &[("at", &display_time(t))])),
        next_run,
        runs: runs
            .iter()
            .enumerate()
            .map(|(i, r)| run_view(c, r, i == 0, i == 0 && st.running))
            .collect(),
        history_lead: fill(c.harvest_history_lead, &[("n", &RUNS_SHOWN.to_string())]),
        notice: notice(c, q.done.as_deref()),
        pause: format!("{here}/pause"),
        resume: format!("{here}/resume"),
        run_now: format!("{here}/run"),
        edit: edit_path(&s.id),
        delete: delete_path(&s.id),
    })
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /staff/catalog/harvest/{id}/{action}`: what a button on a source's page does
/// (`pause`, `resume`, `run` now).
pub(crate) async fn act_on_source(
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = visitor.lang;
    if !matches!(action.as_str(), "pause" | "resume" | "run") {
        return PageError::not_found(lang).into_response();
    }
    let here = source_path(&id);
    let p = match administered(&catalog, &visitor, &here, &id, Some(&form.csrf)).await {
        Ok((p, _)) => p,
        Err(r) => return r,
    };
    let (result, done) = match action.as_str() {
        "run" => (
            catalog.request_harvest_run(&p, &id).await.map(drop),
            "queued",
        ),
        pause_or_resume => {
            let resume = pause_or_resume == "resume";
            let result = catalog.set_harvest_source_enabled(&p, &id, resume).await;
            (result.map(drop), if resume { "resumed" } else { "paused" })
        }
    };
    match result {
        Ok(()) => Redirect::to(&format!("{here}?done={done}")).into_response(),
        Err(e) => page_error(lang, e).into_response(),
    }
}

// ---- deleting a source ---------------------------------------------------------------------

/// The delete form as sent.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct DeleteForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// `keep` or `remove`; nothing chosen is an error.
    datasets: String,
}

#[derive(Template)]
#[template(path = "catalog/harvest_delete.html")]
struct DeletePage {
    ctx: PageCtx,
    c: &'static CatalogTexts,
    name: String,
    lead: String,
    count: String,
    source: String,
    action: String,
    /// `keep`, `remove` or empty.
    choice: String,
    /// Why it cannot be deleted now (a run holds the source).
    refused: Option<&'static str>,
    errors: FieldErrors,
    summary: Vec<(String, String)>,
    summary_title: String,
}

/// What the confirmation page shows after a try: the choice as sent and its error, or why
/// the source could not be deleted.
#[derive(Default)]
struct DeleteAttempt {
    choice: String,
    errors: FieldErrors,
    refused: Option<&'static str>,
}

/// The confirmation page: what deleting does, how many datasets the source harvested, and
/// the choice to keep or delete them. 422 with errors, 409 when refused.
async fn delete_page(
    state: &AppState,
    catalog: &Catalog,
    visitor: &Visitor,
    headers: &HeaderMap,
    st: &HarvestSourceStatus,
    attempt: DeleteAttempt,
) -> Response {
    let DeleteAttempt {
        choice,
        errors,
        refused,
    } = attempt;
    let lang = visitor.lang;
    let c = texts(lang);
    let s = &st.source;
    let count = match catalog.harvested_dataset_count(&s.id).await {
        Ok(n) => n,
        Err(e) => return page_error(lang, e).into_response(),
    };
    let summary = error_summary(&errors, &["datasets"], |_| c.harvest_delete_choice);
    let status = if refused.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        form_status(!errors.is_empty())
    };
    let here = delete_path(&s.id);
    let page = DeletePage {
        ctx: PageCtx::new(state, visitor, headers, &here, c.harvest_delete_title),
        c,
        name: s.name.clone(),
        lead: fill(c.harvest_delete_lead, &[("name", &s.name)]),
        count: fill(c.harvest_delete_count, &[("n", &count.to_string())]),
        source: source_path(&s.id),
        action: here,
        choice,
        // A run in progress is said before the admin tries.
        refused: refused.or(st.running.then_some(c.harvest_err_running)),
        summary_title: fill(c.form_has_errors, &[("n", &summary.len().to_string())]),
        summary,
        errors,
    };
    (status, render(&page)).into_response()
}

pub(crate) async fn confirm_delete(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (_, st) = match administered(&catalog, &visitor, &delete_path(&id), &id, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let attempt = DeleteAttempt::default();
    delete_page(&state, &catalog, &visitor, &headers, &st, attempt).await
}

pub(crate) async fn delete_source(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Response {
    let here = delete_path(&id);
    let (p, st) = match administered(&catalog, &visitor, &here, &id, Some(&form.csrf)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = visitor.lang;
    let c = texts(lang);
    let Some(datasets) = HarvestedDatasets::parse(&form.datasets) else {
        let attempt = DeleteAttempt {
            choice: form.datasets,
            errors: FieldErrors::from([(
                "datasets".to_string(),
                vec![c.harvest_err_choose.to_string()],
            )]),
            refused: None,
        };
        return delete_page(&state, &catalog, &visitor, &headers, &st, attempt).await;
    };
    match catalog.delete_harvest_source(&p, &id, datasets).await {
        Ok(_) => {
            let done = match datasets {
                HarvestedDatasets::Keep => "deleted-kept",
                HarvestedDatasets::Remove => "deleted-removed",
            };
            Redirect::to(&format!("{LIST}?done={done}")).into_response()
        }
        Err(CatalogError::Busy(_)) => {
            let attempt = DeleteAttempt {
                choice: form.datasets,
                refused: Some(c.harvest_err_running),
                ..DeleteAttempt::default()
            };
            delete_page(&state, &catalog, &visitor, &headers, &st, attempt).await
        }
        Err(e) => page_error(lang, e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn schedules_read_in_the_largest_unit_and_forms_convert_back() {
        let c = texts(Lang::En);
        assert_eq!(schedule_text(c, 1440), "every 1 day(s)");
        assert_eq!(schedule_text(c, 120), "every 2 h");
        assert_eq!(schedule_text(c, 90), "every 90 min");
        let f = |every: &str, unit: &str| SourceForm {
            every: every.into(),
            unit: unit.into(),
            ..SourceForm::default()
        };
        assert_eq!(f("2", "hours").minutes(), 120);
        assert_eq!(f("３", "days").minutes(), 3 * 1440);
        assert_eq!(f("15", "minutes").minutes(), 15);
        assert_eq!(f("x", "hours").minutes(), 0);
        assert_eq!(f("9223372036854775807", "days").minutes(), 0);
    }

    #[test]
    fn the_edit_form_shows_a_schedule_in_its_largest_unit_and_reads_it_back() {
        for (minutes, every, unit) in [
            (90, "90", "minutes"),
            (120, "2", "hours"),
            (2880, "2", "days"),
        ] {
            let s = HarvestSource {
                schedule_minutes: minutes,
                filter: None,
                ..HarvestSource::default()
            };
            let f = SourceForm::of(&s);
            assert_eq!((f.every.as_str(), f.unit.as_str()), (every, unit));
            let changes = f.changes();
            assert_eq!(changes.schedule_minutes, Some(minutes));
            assert_eq!(changes.filter, Some(None), "an empty filter removes it");
        }
    }
}
