//! Datasets, resources, organisations and groups in CKAN's JSON shape, and back.
//!
//! ydx's own fields travel as CKAN extras so that every CKAN client round-trips them:
//! `municipality` (comma-separated 5-digit codes; not `spatial`, which ckanext-spatial
//! reserves for GeoJSON and would reject on a harvesting CKAN), `temporal_start`,
//! `temporal_end`, `frequency`, `standard` and `series`. They are accepted back as extras or
//! as top-level keys (ckanext-scheming style).

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::{Map, Value, json};
use ydx_accounts::{OrgKind, Organization};
use ydx_catalog::{
    Catalog, Dataset, DatasetFields, DatasetPatch, DatasetState, Frequency, Group, Resource,
    license,
};

use super::percent_encode;
use crate::AppState;

/// Extras that carry ydx's own fields.
pub const MUNICIPALITY_EXTRA: &str = "municipality";
const OWN_EXTRAS: [&str; 6] = [
    MUNICIPALITY_EXTRA,
    "temporal_start",
    "temporal_end",
    "frequency",
    "standard",
    "series",
];

/// What turning datasets into JSON needs besides the datasets: organisations and groups by
/// id, and the public URL. Built once per request from the lists the accounts and catalog
/// engines keep (re-read at most once a second), so it costs no query.
pub struct Directory {
    pub base: String,
    orgs: Arc<Vec<Organization>>,
    groups: Arc<Vec<Group>>,
}

impl Directory {
    pub async fn load(state: &AppState, catalog: &Catalog) -> Result<Directory, String> {
        let orgs = state.accounts.org_list().await.map_err(|e| e.to_string())?;
        let groups = catalog.shared_groups().await.map_err(|e| e.to_string())?;
        Ok(Directory {
            base: super::base_url(state).to_string(),
            orgs,
            groups,
        })
    }

    pub fn org(&self, id: &str) -> Option<&Organization> {
        self.orgs.iter().find(|o| o.id == id)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    pub fn org_title(&self, id: &str) -> String {
        self.org(id)
            .map_or_else(|| id.to_string(), |o| o.name_ja.clone())
    }

    pub fn group_title(&self, name: &str) -> String {
        self.group(name)
            .map_or_else(|| name.to_string(), |g| g.title_ja.clone())
    }
}

/// Organisations the catalog lists: public bodies, and anyone else who has published.
pub fn publishes(org: &Organization, package_count: i64) -> bool {
    matches!(
        org.kind,
        OrgKind::Prefecture | OrgKind::PrefectureDepartment | OrgKind::Municipality
    ) || package_count > 0
}

/// An organisation as CKAN shows it, serialized straight from the record.
pub struct OrgJson<'a> {
    pub org: &'a Organization,
    pub package_count: Option<i64>,
}

impl Serialize for OrgJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.org;
        let mut m = s.serialize_struct("Organization", 15)?;
        m.serialize_field("id", &o.id)?;
        m.serialize_field("name", &o.id)?;
        m.serialize_field("title", &o.name_ja)?;
        m.serialize_field("display_name", &o.name_ja)?;
        m.serialize_field("title_en", &o.name_en)?;
        m.serialize_field("description", &o.description)?;
        m.serialize_field("image_url", "")?;
        m.serialize_field("image_display_url", "")?;
        m.serialize_field("created", &o.created_at)?;
        m.serialize_field("type", "organization")?;
        m.serialize_field("is_organization", &true)?;
        m.serialize_field("state", "active")?;
        m.serialize_field("approval_status", "approved")?;
        m.serialize_field("municipality_code", &o.municipality_code)?;
        if let Some(n) = self.package_count {
            m.serialize_field("package_count", &n)?;
        }
        m.end()
    }
}

/// An organisation as CKAN shows it.
pub fn org_json(org: &Organization, package_count: Option<i64>) -> Value {
    to_value(OrgJson { org, package_count })
}

/// A group as CKAN shows it.
pub fn group_json(g: &Group, package_count: Option<i64>) -> Value {
    let mut v = json!({
        "id": g.name,
        "name": g.name,
        "title": g.title_ja,
        "display_name": g.title_ja,
        "title_en": g.title_en,
        "description": g.description,
        "image_url": "",
        "image_display_url": "",
        "type": "group",
        "is_organization": false,
        "state": "active",
        "approval_status": "approved",
    });
    if let (Some(n), Some(m)) = (package_count, v.as_object_mut()) {
        m.insert("package_count".into(), json!(n));
    }
    v
}

/// A value built by one of this module's serializers. They write only strings, numbers,
/// booleans, nulls, sequences and maps with string keys, which `to_value` does not refuse;
/// were one ever refused, the answer would hold null and the log would say why.
fn to_value(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a CKAN shape could not be built");
        Value::Null
    })
}

/// The file name offered in a download URL: the resource's name with the format's extension.
pub fn download_filename(r: &Resource) -> String {
    let ext = r.format.trim().to_ascii_lowercase();
    let name = r.name.trim();
    let stem = if name.is_empty() { "data" } else { name };
    let stem: String = stem
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if ext.is_empty() || stem.to_ascii_lowercase().ends_with(&format!(".{ext}")) {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// Where the current bytes of an upload are served; a link's own URL otherwise.
pub fn resource_url(base: &str, d: &Dataset, r: &Resource) -> String {
    if r.url_type == "upload" {
        format!(
            "{base}/dataset/{}/resource/{}/download/{}",
            d.name,
            r.id,
            percent_encode(&download_filename(r))
        )
    } else {
        r.url.clone()
    }
}

/// Whether the data API (`datastore_search`) answers for the resource.
pub fn datastore_active(r: &Resource) -> bool {
    r.table.is_some() && r.url_type == "upload"
}

/// A column kind as a CKAN DataStore type.
pub fn datastore_type(kind: &str) -> &'static str {
    match kind {
        "integer" => "int",
        "decimal" | "latitude" | "longitude" => "numeric",
        "date" => "date",
        "boolean" => "bool",
        _ => "text",
    }
}

/// `v`, or nothing when it is empty (CKAN's null).
fn non_empty(v: &str) -> Option<&str> {
    (!v.is_empty()).then_some(v)
}

/// A resource as CKAN shows it, serialized straight from the record.
pub struct ResourceJson<'a> {
    /// The public URL of the site (download URLs of uploads start with it).
    pub base: &'a str,
    pub dataset: &'a Dataset,
    pub resource: &'a Resource,
}

impl Serialize for ResourceJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (d, r) = (self.dataset, self.resource);
        let table = r.table.as_ref();
        let mut m = s.serialize_struct("Resource", 25)?;
        m.serialize_field("id", &r.id)?;
        m.serialize_field("package_id", &d.id)?;
        m.serialize_field("name", &r.name)?;
        m.serialize_field("description", &r.description)?;
        m.serialize_field("format", &r.format)?;
        m.serialize_field("mimetype", &non_empty(&r.mimetype))?;
        m.serialize_field("mimetype_inner", &())?;
        m.serialize_field("url", &resource_url(self.base, d, r))?;
        m.serialize_field("url_type", &non_empty(&r.url_type))?;
        m.serialize_field("size", &r.size)?;
        m.serialize_field("hash", &r.hash)?;
        m.serialize_field("position", &r.position)?;
        m.serialize_field("created", &r.created)?;
        m.serialize_field("last_modified", &r.last_modified)?;
        m.serialize_field("metadata_modified", &r.last_modified)?;
        m.serialize_field("state", "active")?;
        m.serialize_field("cache_url", &())?;
        m.serialize_field("resource_type", &())?;
        m.serialize_field("datastore_active", &datastore_active(r))?;
        m.serialize_field("period", &r.period)?;
        m.serialize_field("version", &r.version)?;
        m.serialize_field("row_count", &table.map(|t| t.row_count))?;
        // A workbook has no text encoding: null, and the sheet it was read from instead.
        m.serialize_field("encoding", &table.and_then(|t| non_empty(&t.encoding)))?;
        m.serialize_field("sheet", &table.and_then(|t| t.sheet.as_deref()))?;
        m.serialize_field("datastore_fields", &table.map(|t| Fields(&t.columns)))?;
        m.end()
    }
}

/// A table's columns as DataStore fields (`{"id", "type"}`).
struct Fields<'a>(&'a [ydx_catalog::Column]);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|c| Field {
            id: &c.name,
            kind: datastore_type(&c.kind),
        }))
    }
}

#[derive(Serialize)]
struct Field<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

pub fn resource_json(base: &str, d: &Dataset, r: &Resource) -> Value {
    to_value(ResourceJson {
        base,
        dataset: d,
        resource: r,
    })
}

/// A dataset as CKAN shows it (`package_show`, each of `package_search`'s results),
/// serialized straight from the record: a page of results is written without building a
/// `Value` tree of each.
pub struct DatasetJson<'a> {
    pub dir: &'a Directory,
    pub dataset: &'a Dataset,
}

impl Serialize for DatasetJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (dir, d) = (self.dir, self.dataset);
        let lic = license(&d.license_id);
        let mut m = s.serialize_struct("Dataset", 31)?;
        m.serialize_field("id", &d.id)?;
        m.serialize_field("name", &d.name)?;
        m.serialize_field("title", &d.title)?;
        m.serialize_field("notes", &d.notes)?;
        m.serialize_field("owner_org", &d.owner_org)?;
        match dir.org(&d.owner_org) {
            Some(org) => m.serialize_field(
                "organization",
                &OrgJson {
                    org,
                    package_count: None,
                },
            )?,
            None => m.serialize_field(
                "organization",
                &UnknownOrg {
                    id: &d.owner_org,
                    name: &d.owner_org,
                    title: &d.owner_org,
                },
            )?,
        }
        m.serialize_field("private", &d.private)?;
        m.serialize_field("state", d.state.as_str())?;
        m.serialize_field("type", "dataset")?;
        m.serialize_field("license_id", &d.license_id)?;
        m.serialize_field("license_title", &lic.map(|l| l.title_en))?;
        m.serialize_field("license_url", &lic.map(|l| l.url))?;
        m.serialize_field("isopen", &lic.is_some_and(|l| l.open))?;
        m.serialize_field("author", &d.author)?;
        m.serialize_field("author_email", &d.author_email)?;
        m.serialize_field("maintainer", &d.maintainer)?;
        m.serialize_field("maintainer_email", &d.maintainer_email)?;
        m.serialize_field("version", &d.version)?;
        m.serialize_field("url", &d.url)?;
        m.serialize_field("num_resources", &d.resources.len())?;
        m.serialize_field("num_tags", &d.tags.len())?;
        m.serialize_field("metadata_created", &d.metadata_created)?;
        m.serialize_field("metadata_modified", &d.metadata_modified)?;
        m.serialize_field("creator_user_id", &d.creator_user_id)?;
        m.serialize_field("tags", &Tags(&d.tags))?;
        m.serialize_field(
            "groups",
            &Groups {
                dir,
                names: &d.groups,
            },
        )?;
        m.serialize_field("extras", &Extras(d))?;
        m.serialize_field("resources", &Resources { base: &dir.base, d })?;
        m.serialize_field("relationships_as_object", &[(); 0])?;
        m.serialize_field("relationships_as_subject", &[(); 0])?;
        m.end()
    }
}

/// The organisation of a dataset whose owner is not (or no longer) known.
#[derive(Serialize)]
struct UnknownOrg<'a> {
    id: &'a str,
    name: &'a str,
    title: &'a str,
}

struct Tags<'a>(&'a [String]);

impl Serialize for Tags<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|t| Tag {
            name: t,
            display_name: t,
            state: "active",
            vocabulary_id: (),
        }))
    }
}

#[derive(Serialize)]
struct Tag<'a> {
    name: &'a str,
    display_name: &'a str,
    state: &'static str,
    vocabulary_id: (),
}

struct Groups<'a> {
    dir: &'a Directory,
    names: &'a [String],
}

impl Serialize for Groups<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names.iter().map(|name| {
            let group = self.dir.group(name);
            let title = group.map_or(name.as_str(), |g| g.title_ja.as_str());
            GroupRef {
                id: name,
                name,
                title,
                display_name: title,
                description: group.map_or("", |g| g.description.as_str()),
                image_display_url: "",
            }
        }))
    }
}

#[derive(Serialize)]
struct GroupRef<'a> {
    id: &'a str,
    name: &'a str,
    title: &'a str,
    display_name: &'a str,
    description: &'a str,
    image_display_url: &'static str,
}

/// The dataset's free extras, then ydx's own fields as extras (those set).
struct Extras<'a>(&'a Dataset);

impl Serialize for Extras<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let municipality = d.spatial.join(",");
        let own = [
            (MUNICIPALITY_EXTRA, municipality.as_str()),
            ("temporal_start", d.temporal_start.as_deref().unwrap_or("")),
            ("temporal_end", d.temporal_end.as_deref().unwrap_or("")),
            ("frequency", d.frequency.map_or("", |f| f.as_str())),
            ("standard", d.standard.as_deref().unwrap_or("")),
            ("series", if d.series { "true" } else { "" }),
        ];
        let free = d
            .extras
            .iter()
            .filter(|(k, _)| !OWN_EXTRAS.contains(&k.as_str()))
            .map(|(k, v)| Extra { key: k, value: v });
        let own = own
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(key, value)| Extra { key, value });
        s.collect_seq(free.chain(own))
    }
}

#[derive(Serialize)]
struct Extra<'a> {
    key: &'a str,
    value: &'a str,
}

struct Resources<'a> {
    base: &'a str,
    d: &'a Dataset,
}

impl Serialize for Resources<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.d.resources.iter().map(|r| ResourceJson {
            base: self.base,
            dataset: self.d,
            resource: r,
        }))
    }
}

pub fn dataset_json(dir: &Directory, d: &Dataset) -> Value {
    to_value(DatasetJson { dir, dataset: d })
}

// ---- reading CKAN input ---------------------------------------------------------------------

/// Per-field problems found reading a payload (CKAN's Validation Error body).
pub type FieldErrors = Map<String, Value>;

fn add_error(errors: &mut FieldErrors, field: &str, message: &str) {
    let list = errors
        .entry(field.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(v) = list {
        v.push(json!(message));
    }
}

/// A scalar as text: strings as they are, numbers and booleans printed; null is absent.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// CKAN's boolean conversion: true/false, "true"/"True"/"1"/"yes"/"on".
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Names from CKAN's list forms: `[{"name": "x"}]`, `["x"]`, or a comma-separated string.
fn names(v: &Value, keys: &[&str]) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Object(o) => keys.iter().find_map(|k| o.get(*k).and_then(text)),
                other => text(other),
            })
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads a frequency from ydx's names, the EU vocabulary's terms or its URIs.
fn frequency(s: &str) -> Option<Frequency> {
    let term = s
        .trim()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match term.as_str() {
        "cont" => Some(Frequency::Continuous),
        "irreg" => Some(Frequency::Irregular),
        "annual_2" | "annually" | "yearly" => Some(Frequency::Annual),
        t => Frequency::parse(t),
    }
}

/// ydx's own fields read from extras and top-level keys; `None` where neither says anything.
#[derive(Default)]
struct OwnFields {
    spatial: Option<Vec<String>>,
    temporal_start: Option<Option<String>>,
    temporal_end: Option<Option<String>>,
    frequency: Option<Option<Frequency>>,
    standard: Option<Option<String>>,
    series: Option<bool>,
    /// The extras that are not ydx's own, when `extras` was given.
    extras: Option<Vec<(String, String)>>,
}

fn own_fields(input: &Map<String, Value>, errors: &mut FieldErrors) -> OwnFields {
    let mut out = OwnFields::default();
    let mut given: Vec<(String, Value)> = Vec::new();
    if let Some(extras) = input.get("extras") {
        let mut rest = Vec::new();
        let items: Vec<(String, String)> = match extras {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| {
                    let key = i.get("key").and_then(text)?;
                    let value = i
                        .get("value")
                        .map_or_else(String::new, |v| text(v).unwrap_or_else(|| v.to_string()));
                    Some((key, value))
                })
                .collect(),
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| (k.clone(), text(v).unwrap_or_else(|| v.to_string())))
                .collect(),
            _ => Vec::new(),
        };
        for (k, v) in items {
            let own = OWN_EXTRAS.contains(&k.as_str())
                // `spatial` holding codes (not ckanext-spatial's GeoJSON) is ours too.
                || (k == "spatial" && !v.trim_start().starts_with('{'));
            if own {
                given.push((k, Value::String(v)));
            } else {
                rest.push((k, v));
            }
        }
        // Extras replace the whole list (CKAN): ydx fields missing from it are cleared.
        out.spatial = Some(Vec::new());
        out.temporal_start = Some(None);
        out.temporal_end = Some(None);
        out.frequency = Some(None);
        out.standard = Some(None);
        out.series = Some(false);
        out.extras = Some(rest);
    }
    for k in OWN_EXTRAS {
        if let Some(v) = input.get(k) {
            given.push((k.to_string(), v.clone()));
        }
    }
    for (k, v) in given {
        let s = text(&v).unwrap_or_default().trim().to_string();
        let opt = (!s.is_empty()).then(|| s.clone());
        match k.as_str() {
            "municipality" | "spatial" => {
                out.spatial = Some(match &v {
                    Value::Array(_) => names(&v, &["code", "name"]),
                    _ => s
                        .split([',', ' ', '、'])
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect(),
                });
            }
            "temporal_start" => out.temporal_start = Some(opt),
            "temporal_end" => out.temporal_end = Some(opt),
            "standard" => out.standard = Some(opt),
            "frequency" => {
                out.frequency = Some(match opt {
                    None => None,
                    Some(f) => match frequency(&f) {
                        Some(f) => Some(f),
                        None => {
                            add_error(errors, "frequency", "Unknown update frequency");
                            None
                        }
                    },
                })
            }
            "series" => match boolean(&v) {
                Some(b) => out.series = Some(b),
                None => add_error(errors, "series", "Must be true or false"),
            },
            _ => {}
        }
    }
    out
}

/// A dataset's fields from a `package_create`/`package_update` payload (missing: default).
pub fn dataset_fields(input: &Map<String, Value>) -> Result<DatasetFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let own = own_fields(input, &mut errors);
    let s = |k: &str| input.get(k).and_then(text).unwrap_or_default();
    let mut f = DatasetFields {
        name: s("name"),
        title: s("title"),
        notes: s("notes"),
        owner_org: s("owner_org"),
        license_id: s("license_id"),
        author: s("author"),
        author_email: s("author_email"),
        maintainer: s("maintainer"),
        maintainer_email: s("maintainer_email"),
        version: s("version"),
        url: s("url"),
        ..DatasetFields::default()
    };
    if let Some(v) = input.get("private") {
        match boolean(v) {
            Some(b) => f.private = b,
            None => add_error(&mut errors, "private", "Must be true or false"),
        }
    }
    if let Some(v) = input.get("state").and_then(text) {
        f.state = dataset_state(&v, &mut errors);
    }
    f.tags = tags(input);
    f.groups = input
        .get("groups")
        .map(|g| names(g, &["name", "id"]))
        .unwrap_or_default();
    f.extras = own.extras.unwrap_or_default();
    f.spatial = own.spatial.unwrap_or_default();
    f.temporal_start = own.temporal_start.flatten();
    f.temporal_end = own.temporal_end.flatten();
    f.frequency = own.frequency.flatten();
    f.standard = own.standard.flatten();
    f.series = own.series.unwrap_or(false);
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

fn dataset_state(v: &str, errors: &mut FieldErrors) -> Option<DatasetState> {
    match v.trim() {
        "" => None,
        "draft" => Some(DatasetState::Draft),
        "active" => Some(DatasetState::Active),
        _ => {
            add_error(errors, "state", "State may be draft or active");
            None
        }
    }
}

fn tags(input: &Map<String, Value>) -> Vec<String> {
    match (input.get("tags"), input.get("tag_string")) {
        (Some(t), _) => names(t, &["name", "display_name"]),
        (None, Some(t)) => names(t, &[]),
        (None, None) => Vec::new(),
    }
}

/// The change a `package_patch` payload asks for: only the keys present.
pub fn dataset_patch(input: &Map<String, Value>) -> Result<DatasetPatch, FieldErrors> {
    let mut errors = FieldErrors::new();
    let own = own_fields(input, &mut errors);
    let s = |k: &str| input.get(k).map(|v| text(v).unwrap_or_default());
    let mut p = DatasetPatch {
        name: s("name"),
        title: s("title"),
        notes: s("notes"),
        owner_org: s("owner_org"),
        license_id: s("license_id"),
        author: s("author"),
        author_email: s("author_email"),
        maintainer: s("maintainer"),
        maintainer_email: s("maintainer_email"),
        version: s("version"),
        url: s("url"),
        ..DatasetPatch::default()
    };
    if let Some(v) = input.get("private") {
        match boolean(v) {
            Some(b) => p.private = Some(b),
            None => add_error(&mut errors, "private", "Must be true or false"),
        }
    }
    if let Some(v) = input.get("state").and_then(text) {
        p.state = dataset_state(&v, &mut errors);
    }
    if input.contains_key("tags") || input.contains_key("tag_string") {
        p.tags = Some(tags(input));
    }
    if let Some(g) = input.get("groups") {
        p.groups = Some(names(g, &["name", "id"]));
    }
    p.extras = own.extras;
    p.spatial = own.spatial;
    p.temporal_start = own.temporal_start;
    p.temporal_end = own.temporal_end;
    p.frequency = own.frequency;
    p.standard = own.standard;
    p.series = own.series;
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

/// Renames engine field names to the names CKAN clients sent.
pub fn ckan_field_name(field: &str) -> &str {
    match field {
        "spatial" => MUNICIPALITY_EXTRA,
        other => other,
    }
}
