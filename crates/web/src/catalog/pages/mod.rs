//! The catalog's pages: browsing and search (`browse`), a dataset, its resources and their
//! history (`dataset`), the publisher's pages (`publish`), and the administrators' harvest
//! sources (`harvest`). Templates live under `templates/catalog/`; texts in `super::texts`.
//!
//! Every page works without JavaScript: filters, sorting and paging are plain links and GET
//! forms; htmx (when loaded) only swaps the results in place.

mod browse;
mod dataset;
mod harvest;
mod publish;
mod table;

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use ydx_accounts::Principal;
use ydx_catalog::{Dataset, DatasetState, Frequency};

use super::texts::{CatalogTexts, fill};
use crate::AppState;
use crate::i18n::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog", get(browse::show_home))
        .route(
            "/catalog/municipality/{code}",
            get(browse::show_municipality),
        )
        .route("/dataset", get(browse::search_datasets))
        .route("/organization", get(browse::list_organizations))
        .route("/organization/{id}", get(browse::show_organization))
        .route("/group", get(browse::list_groups))
        .route("/group/{name}", get(browse::show_group))
        .route(
            "/dataset/new",
            get(publish::new_dataset).post(publish::create_dataset),
        )
        .route("/dataset/{name}", get(dataset::show_dataset))
        .route(
            "/dataset/{name}/edit",
            get(publish::edit_dataset).post(publish::update_dataset),
        )
        .route(
            "/dataset/{name}/delete",
            get(publish::confirm_delete).post(publish::delete_dataset),
        )
        .route("/dataset/{name}/undelete", post(publish::undelete_dataset))
        .route(
            "/dataset/{name}/resource/new",
            get(publish::new_resource).post(publish::create_resource),
        )
        .route("/dataset/{name}/resource/{id}", get(dataset::show_resource))
        .route(
            "/dataset/{name}/resource/{id}/history",
            get(dataset::show_history),
        )
        .route(
            "/dataset/{name}/resource/{id}/points.geojson",
            get(dataset::resource_points),
        )
        .route(
            "/dataset/{name}/resource/{id}/upload",
            get(publish::new_version).post(publish::create_version),
        )
        .route(
            "/dataset/{name}/resource/{id}/validate",
            get(publish::show_validation).post(publish::apply_repairs),
        )
        .route("/staff/catalog", get(publish::list_own_datasets))
        .route("/staff/catalog/harvest", get(harvest::list_sources))
        .route(
            "/staff/catalog/harvest/new",
            get(harvest::new_source).post(harvest::create_source),
        )
        .route("/staff/catalog/harvest/{id}", get(harvest::show_source))
        .route(
            "/staff/catalog/harvest/{id}/edit",
            get(harvest::edit_source).post(harvest::update_source),
        )
        .route(
            "/staff/catalog/harvest/{id}/delete",
            get(harvest::confirm_delete).post(harvest::delete_source),
        )
        // pause, resume, run (now)
        .route(
            "/staff/catalog/harvest/{id}/{action}",
            post(harvest::act_on_source),
        )
}

// ---- shared view helpers ------------------------------------------------------------------

/// Builds `path?k=v&…` with the values URL-encoded.
pub(crate) fn url(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return path.to_string();
    }
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// Percent-encodes one path segment (dataset names are ASCII, organisation ids too, but a
/// mistyped URL must not break the page).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Organisation names by id, in the reader's language.
pub(crate) async fn org_names(state: &AppState, lang: Lang) -> HashMap<String, String> {
    match state.accounts.orgs(None).await {
        Ok(orgs) => orgs
            .into_iter()
            .map(|o| {
                let name = lang.pick(&o.name_ja, &o.name_en).to_string();
                (o.id, name)
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "organisation names");
            HashMap::new()
        }
    }
}

/// A municipality's name by 5-digit code (the code itself when unknown).
pub(crate) fn muni_name(lang: Lang, code: &str) -> String {
    ydx_region::MUNICIPALITIES
        .iter()
        .find(|m| m.code == code)
        .map_or_else(
            || code.to_string(),
            |m| lang.pick(m.name_ja, m.name_en).to_string(),
        )
}

/// A stored UTC time (`2024-05-01T00:30:00.000000`) as Japan time, `2024-05-01 09:30`.
pub(crate) fn display_time(s: &str) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    match s
        .get(..19)
        .and_then(|p| time::PrimitiveDateTime::parse(p, fmt).ok())
    {
        Some(t) => {
            let jst = t.assume_utc().to_offset(time::macros::offset!(+9));
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                jst.year(),
                u8::from(jst.month()),
                jst.day(),
                jst.hour(),
                jst.minute()
            )
        }
        None => s.to_string(),
    }
}

/// A byte count for people: `1.2 MB`.
pub(crate) fn display_size(n: i64) -> String {
    let n = n.max(0) as f64;
    if n < 1024.0 {
        format!("{n} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KB", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MB", n / 1024.0 / 1024.0)
    } else {
        format!("{:.1} GB", n / 1024.0 / 1024.0 / 1024.0)
    }
}

pub(crate) fn frequency_label(c: &CatalogTexts, f: Frequency) -> &'static str {
    match f {
        Frequency::Continuous => c.freq_continuous,
        Frequency::Daily => c.freq_daily,
        Frequency::Weekly => c.freq_weekly,
        Frequency::Monthly => c.freq_monthly,
        Frequency::Quarterly => c.freq_quarterly,
        Frequency::Annual => c.freq_annual,
        Frequency::Irregular => c.freq_irregular,
        Frequency::Never => c.freq_never,
    }
}

pub(crate) fn license_label(lang: Lang, c: &CatalogTexts, id: &str) -> String {
    if id.is_empty() {
        return c.license_none.to_string();
    }
    ydx_catalog::license(id).map_or_else(
        || id.to_string(),
        |l| lang.pick(l.title_ja, l.title_en).to_string(),
    )
}

pub(crate) fn kind_label(c: &CatalogTexts, kind: &str) -> &'static str {
    match kind {
        "integer" => c.kind_integer,
        "decimal" => c.kind_decimal,
        "date" => c.kind_date,
        "latitude" => c.kind_latitude,
        "longitude" => c.kind_longitude,
        "boolean" => c.kind_boolean,
        _ => c.kind_text,
    }
}

pub(crate) fn standard_title(lang: Lang, id: &str) -> String {
    ydx_catalog::standard::schema(id).map_or_else(
        || id.to_string(),
        |s| lang.pick(s.title_ja, s.title_en).to_string(),
    )
}

/// Whether the notes say the dataset is sample data (the demo's datasets do).
pub(crate) fn is_sample(d: &Dataset) -> bool {
    d.notes.contains("サンプルデータ") || d.notes.contains("Sample data")
}

/// Status badges a list or page shows next to a dataset's title. Each is text, never
/// colour alone.
pub(crate) fn badges(c: &CatalogTexts, d: &Dataset) -> Vec<(&'static str, bool)> {
    let mut out = Vec::new();
    if is_sample(d) {
        out.push((c.sample_badge, true));
    }
    match d.state {
        DatasetState::Draft => out.push((c.draft_badge, true)),
        DatasetState::Deleted => out.push((c.deleted_badge, true)),
        DatasetState::Active => {}
    }
    if d.private {
        out.push((c.private_badge, true));
    }
    if d.series {
        out.push((c.series_badge, false));
    }
    out
}

/// One dataset in a list.
pub(crate) struct DatasetCard {
    pub href: String,
    pub title: String,
    pub org: String,
    pub excerpt: String,
    pub formats: Vec<String>,
    pub modified: String,
    pub badges: Vec<(&'static str, bool)>,
    /// Recent downloads and views, on lists ranked by use; else empty.
    pub usage: String,
}

pub(crate) fn dataset_card(
    lang: Lang,
    c: &CatalogTexts,
    orgs: &HashMap<String, String>,
    d: &Dataset,
) -> DatasetCard {
    let mut formats: Vec<String> = d
        .resources
        .iter()
        .map(|r| r.format.clone())
        .filter(|f| !f.is_empty())
        .collect();
    formats.sort();
    formats.dedup();
    let plain: String = d
        .notes
        .chars()
        .filter(|ch| !matches!(ch, '#' | '*' | '`' | '>' | '[' | ']'))
        .collect();
    let mut excerpt: String = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if excerpt.chars().count() > 120 {
        excerpt = excerpt.chars().take(120).collect::<String>() + "…";
    }
    let _ = lang;
    DatasetCard {
        href: format!("/dataset/{}", seg(&d.name)),
        title: d.title.clone(),
        org: orgs
            .get(&d.owner_org)
            .cloned()
            .unwrap_or_else(|| d.owner_org.clone()),
        excerpt,
        formats,
        modified: display_time(&d.metadata_modified)
            .get(..10)
            .unwrap_or("")
            .to_string(),
        badges: badges(c, d),
        usage: String::new(),
    }
}

/// A link in a pager.
pub(crate) struct Pager {
    pub label: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// `page` is 1-based; `make` builds the link of a page.
pub(crate) fn pager(
    c: &CatalogTexts,
    page: usize,
    per_page: usize,
    total: usize,
    make: impl Fn(usize) -> String,
) -> Pager {
    let pages = total.div_ceil(per_page.max(1)).max(1);
    Pager {
        label: fill(
            c.page_of,
            &[("page", &page.to_string()), ("pages", &pages.to_string())],
        ),
        prev: (page > 1).then(|| make(page - 1)),
        next: (page < pages).then(|| make(page + 1)),
    }
}

/// Whether `p` may edit datasets of `org`.
pub(crate) fn can_edit(p: Option<&Principal>, org: &str) -> bool {
    p.is_some_and(|p| p.can_write(org))
}

/// Markdown to HTML with raw HTML dropped, then cleaned by ammonia (links get
/// `rel="noopener noreferrer"`, scripts and event handlers cannot survive).
pub(crate) fn markdown(text: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .filter(|e| !matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    let mut out = String::new();
    html::push_html(&mut out, parser);
    ammonia::clean(&out)
}

// ---- choices and form errors (the publisher's and the harvest forms) ------------------------

/// An option of a select or a checkbox list.
pub(crate) struct Choice {
    value: String,
    label: String,
    on: bool,
}

/// The organisations `p` may act for with `may` (`Principal::can_write`, `can_admin`), as
/// choices by name; every organisation for a prefecture administrator.
pub(crate) async fn org_choices(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    selected: &str,
    may: fn(&Principal, &str) -> bool,
) -> Vec<Choice> {
    let mut out: Vec<Choice> = if p.is_prefecture_admin() {
        state
            .accounts
            .orgs(None)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|o| Choice {
                on: o.id == selected,
                label: lang.pick(&o.name_ja, &o.name_en).to_string(),
                value: o.id,
            })
            .collect()
    } else {
        p.memberships
            .iter()
            .filter(|m| may(p, &m.org_id))
            .map(|m| Choice {
                value: m.org_id.clone(),
                label: lang.pick(&m.org_name_ja, &m.org_name_en).to_string(),
                on: m.org_id == selected,
            })
            .collect()
    };
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

/// A form's errors in the reader's language, by field name (`#f-{field}` is the input).
pub(crate) type FieldErrors = BTreeMap<String, Vec<String>>;

/// What form templates ask of [`FieldErrors`] (`errors.err("name")`, `errors.bad("name")`).
pub(crate) trait FieldErrorsExt {
    /// The messages for one field, joined, or empty.
    fn err(&self, field: &str) -> String;
    /// Whether the field has an error.
    fn bad(&self, field: &str) -> bool;
}

impl FieldErrorsExt for FieldErrors {
    fn err(&self, field: &str) -> String {
        self.get(field).map(|v| v.join(" ")).unwrap_or_default()
    }

    fn bad(&self, field: &str) -> bool {
        self.contains_key(field)
    }
}

/// The engine's validation errors as form errors, each put in words by `text` (field,
/// error); a message repeated for one field is shown once.
pub(crate) fn field_errors(
    v: &ydx_catalog::ValidationErrors,
    text: impl Fn(&str, &ydx_catalog::FieldError) -> String,
) -> FieldErrors {
    v.fields
        .iter()
        .map(|(field, errs)| {
            let mut msgs: Vec<String> = errs.iter().map(|e| text(field, e)).collect();
            msgs.dedup();
            (field.clone(), msgs)
        })
        .collect()
}

/// The error summary above a form: (link to the field, "label: message"), fields in the
/// order of `order` (fields it does not list come after, by name).
pub(crate) fn error_summary(
    errors: &FieldErrors,
    order: &[&str],
    label: impl Fn(&str) -> &'static str,
) -> Vec<(String, String)> {
    let mut fields: Vec<(&String, &Vec<String>)> = errors.iter().collect();
    let position = |f: &str| order.iter().position(|x| *x == f).unwrap_or(order.len());
    fields.sort_by_key(|(f, _)| position(f));
    fields
        .into_iter()
        .flat_map(|(field, msgs)| {
            let label = label(field);
            msgs.iter().map(move |m| {
                let text = if label.is_empty() {
                    m.clone()
                } else {
                    format!("{label}: {m}")
                };
                (format!("#f-{field}"), text)
            })
        })
        .collect()
}

/// 422 for a form shown again with errors, else 200.
pub(crate) fn form_status(has_errors: bool) -> StatusCode {
    if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_drops_raw_html_and_scripts() {
        let html =
            markdown("# 見出し\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **太字**");
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("<strong>太字</strong>"));
    }

    #[test]
    fn times_are_shown_in_japan_time() {
        assert_eq!(
            display_time("2024-05-01T00:30:00.000000"),
            "2024-05-01 09:30"
        );
        assert_eq!(display_size(2048), "2.0 KB");
        assert_eq!(seg("a b"), "a%20b");
    }
}
