//! DCAT-AP 3 documents of the catalog and of each dataset, in Turtle, JSON-LD and RDF/XML,
//! with Hydra paging for the catalog; and the schema.org `Dataset` that search engines read
//! from a dataset page.
//!
//! The three RDF syntaxes are written from one in-memory list of triples, so they always
//! carry the same graph (the tests and the lead's rdflib run compare triple counts). The
//! serialisers are hand-written because the graph is small and fixed in shape; a general RDF
//! crate would add weight for nothing. What needs care is escaping, since titles, notes and
//! link URLs come from publishers: Turtle strings and IRIs, XML text and attributes, and
//! `</script>` inside the page's JSON-LD.
//!
//! No HTTP here: the web crate maps `/catalog.ttl`, `/dataset/{name}.jsonld`… to these
//! functions and sends [`RdfFormat::media_type`] as the content type.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::model::{Dataset, Frequency, Resource, license};

/// Namespace prefixes used in every document, in the order they are declared.
const PREFIXES: [(&str, &str); 11] = [
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
];

/// The EU's language authority, which DCAT-AP asks `dct:language` to use.
const LANGUAGE_JPN: &str = "http://publications.europa.eu/resource/authority/language/JPN";
const FREQUENCY_BASE: &str = "http://publications.europa.eu/resource/authority/frequency/";
const FILE_TYPE_BASE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";

/// One of the three RDF syntaxes the catalog serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RdfFormat {
    Turtle,
    JsonLd,
    RdfXml,
}

impl RdfFormat {
    pub const ALL: [RdfFormat; 3] = [RdfFormat::Turtle, RdfFormat::JsonLd, RdfFormat::RdfXml];

    /// The `Content-Type` to send (without charset: all three are UTF-8 by definition).
    pub fn media_type(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "text/turtle",
            RdfFormat::JsonLd => "application/ld+json",
            RdfFormat::RdfXml => "application/rdf+xml",
        }
    }

    /// The URL suffix: `/catalog.ttl`, `/dataset/{name}.jsonld`, `.rdf`.
    pub fn extension(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "ttl",
            RdfFormat::JsonLd => "jsonld",
            RdfFormat::RdfXml => "rdf",
        }
    }

    /// The format for a URL suffix (`ttl`, `jsonld`, `rdf`; `xml` and `json` as aliases
    /// because ckanext-dcat users type them).
    pub fn from_extension(ext: &str) -> Option<RdfFormat> {
        match ext {
            "ttl" => Some(RdfFormat::Turtle),
            "jsonld" | "json" => Some(RdfFormat::JsonLd),
            "rdf" | "xml" => Some(RdfFormat::RdfXml),
            _ => None,
        }
    }

    /// The format for a media type from an `Accept` header entry (parameters ignored).
    pub fn from_media_type(media_type: &str) -> Option<RdfFormat> {
        let essence = media_type.split(';').next().unwrap_or("").trim();
        RdfFormat::ALL
            .into_iter()
            .find(|f| f.media_type().eq_ignore_ascii_case(essence))
    }
}

/// What the catalog says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogInfo {
    /// Scheme, host and optional path prefix, no trailing slash: `http://127.0.0.1:8080`.
    /// A trailing slash is tolerated and removed.
    pub base_url: String,
    pub title_ja: String,
    pub title_en: String,
    pub description_ja: String,
    pub description_en: String,
    /// The catalog's publisher (山口県).
    pub publisher_ja: String,
    pub publisher_en: String,
}

impl CatalogInfo {
    /// The prefecture's catalog at `base_url`, with its usual titles.
    pub fn yamaguchi(base_url: &str) -> CatalogInfo {
        CatalogInfo {
            base_url: base_url.trim_end_matches('/').to_owned(),
            title_ja: "山口県オープンデータカタログ".to_owned(),
            title_en: "Yamaguchi Prefecture Open Data Catalog".to_owned(),
            description_ja: "山口県と県内19市町が公開するオープンデータのカタログです。".to_owned(),
            description_en:
                "Open data published by Yamaguchi Prefecture and its 19 municipalities.".to_owned(),
            publisher_ja: ydx_region::PREFECTURE.name_ja.to_owned(),
            publisher_en: ydx_region::PREFECTURE.name_en.to_owned(),
        }
    }

    fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

/// An organisation's names, for `dct:publisher`. Accounts own organisations, so the web
/// layer looks them up and passes them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInfo {
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
}

/// Organisations by id.
pub type OrgDirectory = HashMap<String, OrgInfo>;

/// Which page of the catalog a document shows (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
    /// Datasets in the whole catalog (Hydra's `totalItems`).
    pub total: u64,
}

impl Paging {
    /// The last page number; 1 for an empty catalog so `first` and `last` always exist.
    pub fn last_page(&self) -> u64 {
        if self.per_page == 0 {
            return 1;
        }
        self.total.div_ceil(self.per_page).max(1)
    }
}

/// The dataset's RDF subject. By id, not name, so it survives a rename (as ckanext-dcat
/// does); the web layer resolves `/dataset/{id}` like `/dataset/{name}`.
pub fn dataset_uri(base_url: &str, dataset: &Dataset) -> String {
    format!("{}/dataset/{}", base_url.trim_end_matches('/'), dataset.id)
}

/// The dataset's page for people (`dcat:landingPage`, schema.org `url`).
pub fn landing_page(base_url: &str, dataset: &Dataset) -> String {
    format!(
        "{}/dataset/{}",
        base_url.trim_end_matches('/'),
        dataset.name
    )
}

/// Where a resource's current bytes are served.
pub fn download_url(base_url: &str, dataset: &Dataset, resource: &Resource) -> String {
    format!(
        "{}/dataset/{}/resource/{}/download",
        base_url.trim_end_matches('/'),
        dataset.name,
        resource.id
    )
}

/// The data API query of a tabular resource (CKAN's `datastore_search`).
pub fn datastore_search_url(base_url: &str, resource: &Resource) -> String {
    format!(
        "{}/api/3/action/datastore_search?resource_id={}",
        base_url.trim_end_matches('/'),
        resource.id
    )
}

/// A municipality as a `dct:Location`.
pub fn municipality_uri(base_url: &str, code: &str) -> String {
    format!(
        "{}/region/municipality/{}",
        base_url.trim_end_matches('/'),
        code
    )
}

/// The whole prefecture as a `dct:Location`, for datasets with no municipality listed.
pub fn prefecture_uri(base_url: &str) -> String {
    format!(
        "{}/region/prefecture/{}",
        base_url.trim_end_matches('/'),
        ydx_region::PREFECTURE.code
    )
}

/// A standard dataset (自治体標準オープンデータセット) as a `dct:Standard`.
pub fn standard_uri(base_url: &str, standard_id: &str) -> String {
    format!(
        "{}/standard/{}",
        base_url.trim_end_matches('/'),
        standard_id
    )
}

/// One page of the catalog: the `dcat:Catalog` with its datasets on this page, and a
/// `hydra:PartialCollectionView` linking to the first, previous, next and last pages.
pub fn catalog_document(
    info: &CatalogInfo,
    orgs: &OrgDirectory,
    datasets: &[impl std::borrow::Borrow<Dataset>],
    paging: Paging,
    format: RdfFormat,
) -> String {
    let mut g = Graph::default();
    let base = info.base();
    let catalog = Node::Iri(format!("{base}/catalog"));
    g.add(&catalog, "rdf:type", iri_of("dcat:Catalog"));
    g.add(&catalog, "dct:title", lang(&info.title_ja, "ja"));
    g.add(&catalog, "dct:title", lang(&info.title_en, "en"));
    g.add(
        &catalog,
        "dct:description",
        lang(&info.description_ja, "ja"),
    );
    g.add(
        &catalog,
        "dct:description",
        lang(&info.description_en, "en"),
    );
    g.add(&catalog, "foaf:homepage", iri(&format!("{base}/")));
    g.add(&catalog, "dct:language", iri(LANGUAGE_JPN));
    let publisher = Node::Iri(format!("{base}/#publisher"));
    g.add(&catalog, "dct:publisher", Object::Node(publisher.clone()));
    g.add(&publisher, "rdf:type", iri_of("foaf:Agent"));
    g.add(&publisher, "foaf:name", lang(&info.publisher_ja, "ja"));
    g.add(&publisher, "foaf:name", lang(&info.publisher_en, "en"));
    let datasets = datasets.iter().map(std::borrow::Borrow::borrow);
    if let Some(modified) = datasets
        .clone()
        .map(|d: &Dataset| &d.metadata_modified)
        .max()
    {
        add_date(&mut g, &catalog, "dct:modified", modified);
    }
    g.add(
        &catalog,
        "hydra:totalItems",
        typed(&paging.total.to_string(), "xsd:integer"),
    );

    let page_iri = |n: u64| format!("{base}/catalog.{}?page={n}", format.extension());
    let view = Node::Iri(page_iri(paging.page.max(1)));
    g.add(&catalog, "hydra:view", Object::Node(view.clone()));
    g.add(&view, "rdf:type", iri_of("hydra:PartialCollectionView"));
    let last = paging.last_page();
    g.add(&view, "hydra:first", iri(&page_iri(1)));
    g.add(&view, "hydra:last", iri(&page_iri(last)));
    if paging.page > 1 {
        g.add(
            &view,
            "hydra:previous",
            iri(&page_iri((paging.page - 1).min(last))),
        );
    }
    if paging.page < last {
        g.add(&view, "hydra:next", iri(&page_iri(paging.page + 1)));
    }
    g.add(
        &view,
        "hydra:itemsPerPage",
        typed(&paging.per_page.to_string(), "xsd:integer"),
    );

    for d in datasets {
        let node = add_dataset(&mut g, info, orgs, d);
        g.add(&catalog, "dcat:dataset", Object::Node(node));
    }
    g.write(format)
}

/// One dataset with its distributions, publisher, contact point and coverage.
pub fn dataset_document(
    info: &CatalogInfo,
    orgs: &OrgDirectory,
    dataset: &Dataset,
    format: RdfFormat,
) -> String {
    let mut g = Graph::default();
    add_dataset(&mut g, info, orgs, dataset);
    g.write(format)
}

fn add_dataset(g: &mut Graph, info: &CatalogInfo, orgs: &OrgDirectory, d: &Dataset) -> Node {
    let base = info.base();
    let ds = Node::Iri(dataset_uri(base, d));
    g.add(&ds, "rdf:type", iri_of("dcat:Dataset"));
    g.add(&ds, "dct:identifier", plain(&d.id));
    g.add(&ds, "dct:title", lang(&d.title, "ja"));
    if !d.notes.trim().is_empty() {
        g.add(&ds, "dct:description", lang(&d.notes, "ja"));
    }
    g.add(&ds, "dcat:landingPage", iri(&landing_page(base, d)));
    for tag in &d.tags {
        g.add(&ds, "dcat:keyword", lang(tag, "ja"));
    }
    for group in &d.groups {
        let theme = Node::Iri(format!("{base}/group/{group}"));
        g.add(&ds, "dcat:theme", Object::Node(theme.clone()));
        g.add(&theme, "rdf:type", iri_of("skos:Concept"));
        g.add(&theme, "skos:notation", plain(group));
    }
    g.add(&ds, "dct:language", iri(LANGUAGE_JPN));
    if !d.version.is_empty() {
        g.add(&ds, "dcat:version", plain(&d.version));
    }

    let org_uri = Node::Iri(format!("{base}/organization/{}", d.owner_org));
    g.add(&ds, "dct:publisher", Object::Node(org_uri.clone()));
    g.add(&org_uri, "rdf:type", iri_of("foaf:Agent"));
    match orgs.get(&d.owner_org) {
        Some(org) => {
            g.add(&org_uri, "foaf:name", lang(&org.name_ja, "ja"));
            if !org.name_en.is_empty() {
                g.add(&org_uri, "foaf:name", lang(&org.name_en, "en"));
            }
        }
        None => g.add(&org_uri, "foaf:name", plain(&d.owner_org)),
    }

    if let Some(l) = license(&d.license_id).filter(|l| !l.url.is_empty()) {
        let node = Node::Iri(l.url.to_owned());
        g.add(&ds, "dct:license", Object::Node(node.clone()));
        g.add(&node, "rdf:type", iri_of("dct:LicenseDocument"));
        g.add(&node, "dct:title", lang(l.title_ja, "ja"));
        g.add(&node, "dct:title", lang(l.title_en, "en"));
    }

    add_spatial(g, base, &ds, &d.spatial);
    if d.temporal_start.is_some() || d.temporal_end.is_some() {
        let period = g.blank();
        g.add(&ds, "dct:temporal", Object::Node(period.clone()));
        g.add(&period, "rdf:type", iri_of("dct:PeriodOfTime"));
        if let Some(start) = &d.temporal_start {
            add_date(g, &period, "dcat:startDate", start);
        }
        if let Some(end) = &d.temporal_end {
            add_date(g, &period, "dcat:endDate", end);
        }
    }
    if let Some(f) = d.frequency {
        g.add(&ds, "dct:accrualPeriodicity", iri(&frequency_uri(f)));
    }
    add_date(g, &ds, "dct:issued", &d.metadata_created);
    add_date(g, &ds, "dct:modified", &d.metadata_modified);

    let contact_name = [&d.maintainer, &d.author]
        .into_iter()
        .find(|s| !s.trim().is_empty());
    let contact_email = [&d.maintainer_email, &d.author_email]
        .into_iter()
        .find(|s| !s.trim().is_empty());
    if contact_name.is_some() || contact_email.is_some() {
        let contact = g.blank();
        g.add(&ds, "dcat:contactPoint", Object::Node(contact.clone()));
        g.add(&contact, "rdf:type", iri_of("vcard:Kind"));
        let name = contact_name.map_or_else(
            || {
                orgs.get(&d.owner_org)
                    .map_or(d.owner_org.as_str(), |o| o.name_ja.as_str())
            },
            |s| s.as_str(),
        );
        g.add(&contact, "vcard:fn", plain(name));
        if let Some(email) = contact_email {
            g.add(
                &contact,
                "vcard:hasEmail",
                iri(&format!("mailto:{}", email.trim())),
            );
        }
    }
    if let Some(standard) = &d.standard {
        let node = Node::Iri(standard_uri(base, standard));
        g.add(&ds, "dct:conformsTo", Object::Node(node.clone()));
        g.add(&node, "rdf:type", iri_of("dct:Standard"));
        if let Some(schema) = crate::standard::schema(standard) {
            g.add(&node, "dct:title", lang(schema.title_ja, "ja"));
            g.add(&node, "dct:title", lang(schema.title_en, "en"));
            g.add(&node, "rdfs:seeAlso", iri(crate::standard::SPEC_URL));
        }
    }
    if d.series {
        // DCAT 3 has dcat:DatasetSeries; a series dataset is both, so DCAT-AP 2 readers
        // still see a dcat:Dataset.
        g.add(&ds, "rdf:type", iri_of("dcat:DatasetSeries"));
    }
    for r in &d.resources {
        add_distribution(g, base, d, &ds, r);
    }
    ds
}

fn add_spatial(g: &mut Graph, base: &str, ds: &Node, codes: &[String]) {
    if codes.is_empty() {
        let node = Node::Iri(prefecture_uri(base));
        g.add(ds, "dct:spatial", Object::Node(node.clone()));
        g.add(&node, "rdf:type", iri_of("dct:Location"));
        g.add(
            &node,
            "skos:prefLabel",
            lang(ydx_region::PREFECTURE.name_ja, "ja"),
        );
        g.add(
            &node,
            "skos:prefLabel",
            lang(ydx_region::PREFECTURE.name_en, "en"),
        );
        return;
    }
    for code in codes {
        let node = Node::Iri(municipality_uri(base, code));
        g.add(ds, "dct:spatial", Object::Node(node.clone()));
        g.add(&node, "rdf:type", iri_of("dct:Location"));
        g.add(&node, "skos:notation", plain(code));
        if let Some(m) = ydx_region::MUNICIPALITIES.iter().find(|m| m.code == code) {
            g.add(&node, "skos:prefLabel", lang(m.name_ja, "ja"));
            g.add(&node, "skos:prefLabel", lang(m.name_en, "en"));
        }
    }
}

fn add_distribution(g: &mut Graph, base: &str, d: &Dataset, ds: &Node, r: &Resource) {
    let dist = Node::Iri(format!("{}/resource/{}", dataset_uri(base, d), r.id));
    g.add(ds, "dcat:distribution", Object::Node(dist.clone()));
    g.add(&dist, "rdf:type", iri_of("dcat:Distribution"));
    g.add(&dist, "dct:identifier", plain(&r.id));
    if !r.name.is_empty() {
        g.add(&dist, "dct:title", lang(&r.name, "ja"));
    }
    if !r.description.trim().is_empty() {
        g.add(&dist, "dct:description", lang(&r.description, "ja"));
    }
    // A link whose URL is not absolute cannot be an IRI; the catalog's own download route
    // still answers for it (with a redirect), so use that.
    let external = (r.url_type != "upload" && is_absolute_url(&r.url)).then_some(r.url.trim());
    let download = external.map_or_else(|| download_url(base, d, r), str::to_owned);
    g.add(&dist, "dcat:accessURL", iri(&download));
    g.add(&dist, "dcat:downloadURL", iri(&download));
    let format = r.format.trim().to_ascii_uppercase();
    if let Some(ft) = eu_file_type(&format) {
        g.add(&dist, "dct:format", iri(&format!("{FILE_TYPE_BASE}{ft}")));
    }
    if let Some(mt) = media_type(r) {
        g.add(
            &dist,
            "dcat:mediaType",
            iri(&format!("{IANA_MEDIA_TYPES}{mt}")),
        );
    }
    if let Some(size) = r.size.filter(|s| *s >= 0) {
        g.add(
            &dist,
            "dcat:byteSize",
            typed(&size.to_string(), "xsd:nonNegativeInteger"),
        );
    }
    if let Some(l) = license(&d.license_id).filter(|l| !l.url.is_empty()) {
        g.add(&dist, "dct:license", iri(l.url));
    }
    if !r.last_modified.is_empty() {
        add_date(g, &dist, "dct:modified", &r.last_modified);
    }
    if let Some(checksum) = r.hash.strip_prefix("sha256:").filter(|h| !h.is_empty()) {
        let node = g.blank();
        g.add(&dist, "spdx:checksum", Object::Node(node.clone()));
        g.add(&node, "rdf:type", iri_of("spdx:Checksum"));
        g.add(
            &node,
            "spdx:algorithm",
            iri_of("spdx:checksumAlgorithm_sha256"),
        );
        g.add(
            &node,
            "spdx:checksumValue",
            typed(checksum, "xsd:hexBinary"),
        );
    }
    if is_tabular(r) {
        // Every tabular resource can be queried through the data API: say so as DCAT's
        // access service, and link the ready-made query for this resource.
        let service = Node::Iri(format!("{base}/api/3/action/datastore_search"));
        g.add(&dist, "dcat:accessService", Object::Node(service.clone()));
        g.add(&dist, "rdfs:seeAlso", iri(&datastore_search_url(base, r)));
        g.add(&service, "rdf:type", iri_of("dcat:DataService"));
        g.add(
            &service,
            "dct:title",
            lang("データAPI（CKAN datastore_search）", "ja"),
        );
        g.add(
            &service,
            "dct:title",
            lang("Data API (CKAN datastore_search)", "en"),
        );
        g.add(
            &service,
            "dcat:endpointURL",
            iri(&format!("{base}/api/3/action/datastore_search")),
        );
        g.add(
            &service,
            "dcat:endpointDescription",
            iri("https://docs.ckan.org/en/latest/maintaining/datastore.html"),
        );
        g.add(&service, "dcat:servesDataset", Object::Node(ds.clone()));
    }
}

/// Whether the data API serves the resource: a table was read from it, or its format is one
/// the catalog reads as a table.
pub fn is_tabular(r: &Resource) -> bool {
    r.table.is_some() || crate::table::is_tabular(&r.format.trim().to_ascii_uppercase())
}

fn is_absolute_url(s: &str) -> bool {
    let s = s.trim();
    ["http://", "https://", "ftp://"]
        .iter()
        .any(|p| s.len() > p.len() && s[..p.len()].eq_ignore_ascii_case(p))
}

/// The EU frequency authority term for a frequency (what DCAT-AP wants).
pub fn frequency_uri(f: Frequency) -> String {
    let term = match f {
        Frequency::Continuous => "CONT",
        Frequency::Daily => "DAILY",
        Frequency::Weekly => "WEEKLY",
        Frequency::Monthly => "MONTHLY",
        Frequency::Quarterly => "QUARTERLY",
        Frequency::Annual => "ANNUAL",
        Frequency::Irregular => "IRREG",
        Frequency::Never => "NEVER",
    };
    format!("{FREQUENCY_BASE}{term}")
}

/// The EU file-type authority term for a CKAN format name.
fn eu_file_type(format: &str) -> Option<&'static str> {
    Some(match format {
        "CSV" => "CSV",
        "TSV" => "TSV",
        "JSON" => "JSON",
        "GEOJSON" => "GEOJSON",
        "XLSX" => "XLSX",
        "XLS" => "XLS",
        "PDF" => "PDF",
        "ZIP" => "ZIP",
        "XML" => "XML",
        "HTML" => "HTML",
        "TXT" => "TXT",
        "KML" => "KML",
        "SHP" => "SHP",
        "ODS" => "ODS",
        "DOCX" => "DOCX",
        _ => return None,
    })
}

/// The IANA media type of a resource: its stored mimetype if it looks like one, else the
/// type its format implies.
fn media_type(r: &Resource) -> Option<String> {
    let stored = r.mimetype.split(';').next().unwrap_or("").trim();
    let valid = |s: &str| {
        let mut parts = s.split('/');
        matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty()
            && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"/.+-_".contains(&c)))
    };
    if valid(stored) && stored != "application/octet-stream" {
        return Some(stored.to_ascii_lowercase());
    }
    let implied = match r.format.trim().to_ascii_uppercase().as_str() {
        "CSV" => "text/csv",
        "TSV" => "text/tab-separated-values",
        "JSON" => "application/json",
        "GEOJSON" => "application/geo+json",
        "XLSX" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLS" => "application/vnd.ms-excel",
        "PDF" => "application/pdf",
        "ZIP" => "application/zip",
        "XML" => "application/xml",
        "HTML" => "text/html",
        "TXT" => "text/plain",
        _ => return None,
    };
    Some(implied.to_owned())
}

/// Adds a date or date-time literal. The store writes UTC times without a zone
/// (`2024-04-01T09:30:00.000000`, as CKAN does); they get a `Z` so that xsd:dateTime
/// readers do not take them for local time. Plain dates are xsd:date; anything else is left
/// out rather than published as a malformed typed literal.
fn add_date(g: &mut Graph, s: &Node, p: &'static str, value: &str) {
    if let Some((value, datatype)) = xsd_date(value) {
        g.add(s, p, typed(&value, datatype));
    }
}

fn xsd_date(value: &str) -> Option<(String, &'static str)> {
    let v = value.trim();
    let bytes = v.as_bytes();
    let is_date = |b: &[u8]| {
        b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    if is_date(bytes) {
        return Some((v.to_owned(), "xsd:date"));
    }
    let (date, time) = v.split_once('T')?;
    if !is_date(date.as_bytes()) {
        return None;
    }
    let (clock, zone) = match time.find(['Z', '+', '-']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let clock_ok = clock.len() >= 8
        && clock.bytes().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                c == b':'
            } else if i == 8 {
                c == b'.'
            } else {
                c.is_ascii_digit()
            }
        })
        && clock.len() != 9;
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6 && zone.as_bytes().get(3) == Some(&b':'));
    if !clock_ok || !zone_ok {
        return None;
    }
    let zone = if zone.is_empty() { "Z" } else { zone };
    Some((format!("{date}T{clock}{zone}"), "xsd:dateTime"))
}

// ---------------------------------------------------------------------------------------
// The graph and its three syntaxes.

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Node {
    Iri(String),
    /// A blank node, numbered within its document.
    Blank(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Literal {
    Plain,
    Lang(&'static str),
    /// A datatype as a prefixed name (`xsd:date`).
    Typed(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Object {
    Node(Node),
    Literal(String, Literal),
}

fn iri(s: &str) -> Object {
    Object::Node(Node::Iri(clean_iri(s)))
}

/// A prefixed name (`dcat:Dataset`) as an IRI object.
fn iri_of(prefixed: &str) -> Object {
    Object::Node(Node::Iri(expand(prefixed)))
}

fn plain(s: &str) -> Object {
    Object::Literal(clean_text(s), Literal::Plain)
}

fn lang(s: &str, tag: &'static str) -> Object {
    Object::Literal(clean_text(s), Literal::Lang(tag))
}

fn typed(s: &str, datatype: &'static str) -> Object {
    Object::Literal(clean_text(s), Literal::Typed(datatype))
}

/// Drops characters XML 1.0 cannot carry (C0 controls other than tab and newlines), so that
/// the three syntaxes hold the same literal. Publishers paste them from Excel by accident.
fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            (!c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                && !matches!(c, '\u{fffe}' | '\u{ffff}')
        })
        .collect()
}

/// Percent-encodes what an IRI may not contain (spaces, `<>"{}|\^` and backquote, controls),
/// so a publisher's link cannot break out of `<…>` in Turtle or produce an IRI rdflib
/// rejects.
fn clean_iri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        if c.is_control()
            || matches!(
                c,
                ' ' | '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`'
            )
        {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn expand(prefixed: &str) -> String {
    match prefixed.split_once(':') {
        Some((prefix, local)) => PREFIXES
            .iter()
            .find(|(p, _)| *p == prefix)
            .map_or_else(|| prefixed.to_owned(), |(_, ns)| format!("{ns}{local}")),
        None => prefixed.to_owned(),
    }
}

/// The prefixed name of an IRI when one of our prefixes covers it and the rest is a plain
/// name; `None` otherwise (then the full IRI is written).
fn compact(iri: &str) -> Option<String> {
    PREFIXES.iter().find_map(|(prefix, ns)| {
        let local = iri.strip_prefix(ns)?;
        let ok = local
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && local.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        ok.then(|| format!("{prefix}:{local}"))
    })
}

/// Triples in insertion order, without duplicates (the same publisher or data service is
/// described once however many datasets point at it).
#[derive(Default)]
struct Graph {
    triples: Vec<(Node, &'static str, Object)>,
    seen: HashSet<(Node, &'static str, Object)>,
    blanks: usize,
}

impl Graph {
    fn add(&mut self, s: &Node, p: &'static str, o: Object) {
        let triple = (s.clone(), p, o);
        if self.seen.insert(triple.clone()) {
            self.triples.push(triple);
        }
    }

    fn blank(&mut self) -> Node {
        self.blanks += 1;
        Node::Blank(self.blanks)
    }

    /// Triples grouped by subject, subjects in order of first appearance.
    fn by_subject(&self) -> Vec<(&Node, Vec<(&'static str, &Object)>)> {
        let mut order: Vec<(&Node, Vec<(&'static str, &Object)>)> = Vec::new();
        let mut index: HashMap<&Node, usize> = HashMap::new();
        for (s, p, o) in &self.triples {
            let i = *index.entry(s).or_insert_with(|| {
                order.push((s, Vec::new()));
                order.len() - 1
            });
            if let Some((_, list)) = order.get_mut(i) {
                list.push((p, o));
            }
        }
        order
    }

    fn write(&self, format: RdfFormat) -> String {
        match format {
            RdfFormat::Turtle => self.turtle(),
            RdfFormat::JsonLd => self.json_ld(),
            RdfFormat::RdfXml => self.rdf_xml(),
        }
    }

    fn used_prefixes(&self) -> Vec<(&'static str, &'static str)> {
        // Declaring all of them keeps the output stable and costs a few lines.
        PREFIXES.to_vec()
    }

    fn turtle(&self) -> String {
        let mut out = String::new();
        for (prefix, ns) in self.used_prefixes() {
            let _ = writeln!(out, "@prefix {prefix}: <{ns}> .");
        }
        for (s, props) in self.by_subject() {
            out.push('\n');
            out.push_str(&turtle_node(s));
            for (i, (p, o)) in props.iter().enumerate() {
                let sep = if i == 0 { "\n    " } else { " ;\n    " };
                out.push_str(sep);
                if *p == "rdf:type" {
                    out.push('a');
                } else {
                    out.push_str(p);
                }
                out.push(' ');
                out.push_str(&turtle_object(o));
            }
            out.push_str(" .\n");
        }
        out
    }

    fn json_ld(&self) -> String {
        let context: Map<String, Value> = self
            .used_prefixes()
            .into_iter()
            .map(|(p, ns)| (p.to_owned(), Value::String(ns.to_owned())))
            .collect();
        let graph: Vec<Value> = self
            .by_subject()
            .into_iter()
            .map(|(s, props)| {
                let mut node = Map::new();
                node.insert("@id".to_owned(), Value::String(json_node_id(s)));
                for (p, o) in props {
                    let (key, value) = if p == "rdf:type" {
                        let id = match o {
                            Object::Node(n) => json_node_id(n),
                            Object::Literal(v, _) => v.clone(),
                        };
                        ("@type".to_owned(), Value::String(id))
                    } else {
                        (p.to_owned(), json_object(o))
                    };
                    match node.get_mut(&key) {
                        Some(Value::Array(list)) => list.push(value),
                        _ => {
                            node.insert(key, Value::Array(vec![value]));
                        }
                    }
                }
                Value::Object(node)
            })
            .collect();
        let doc = json!({ "@context": context, "@graph": graph });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    fn rdf_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF");
        for (prefix, ns) in self.used_prefixes() {
            let _ = write!(out, "\n    xmlns:{prefix}=\"{}\"", xml_escape(ns));
        }
        out.push_str(">\n");
        for (s, props) in self.by_subject() {
            match s {
                Node::Iri(i) => {
                    let _ = writeln!(out, "  <rdf:Description rdf:about=\"{}\">", xml_escape(i));
                }
                Node::Blank(b) => {
                    let _ = writeln!(out, "  <rdf:Description rdf:nodeID=\"b{b}\">");
                }
            }
            for (p, o) in props {
                let _ = write!(out, "    <{p}");
                match o {
                    Object::Node(Node::Iri(i)) => {
                        let _ = writeln!(out, " rdf:resource=\"{}\"/>", xml_escape(i));
                    }
                    Object::Node(Node::Blank(b)) => {
                        let _ = writeln!(out, " rdf:nodeID=\"b{b}\"/>");
                    }
                    Object::Literal(v, kind) => {
                        match kind {
                            Literal::Plain => {}
                            Literal::Lang(tag) => {
                                let _ = write!(out, " xml:lang=\"{tag}\"");
                            }
                            Literal::Typed(dt) => {
                                let _ = write!(out, " rdf:datatype=\"{}\"", expand(dt));
                            }
                        }
                        let _ = writeln!(out, ">{}</{p}>", xml_escape(v));
                    }
                }
            }
            out.push_str("  </rdf:Description>\n");
        }
        out.push_str("</rdf:RDF>\n");
        out
    }
}

fn turtle_node(n: &Node) -> String {
    match n {
        Node::Iri(i) => compact(i).unwrap_or_else(|| format!("<{i}>")),
        Node::Blank(b) => format!("_:b{b}"),
    }
}

fn turtle_object(o: &Object) -> String {
    match o {
        Object::Node(n) => turtle_node(n),
        Object::Literal(v, kind) => {
            let quoted = turtle_string(v);
            match kind {
                Literal::Plain => quoted,
                Literal::Lang(tag) => format!("{quoted}@{tag}"),
                Literal::Typed(dt) => format!("{quoted}^^{dt}"),
            }
        }
    }
}

/// A Turtle string literal: quotes, backslashes and line breaks escaped, so a description
/// with `"""` or a newline stays one literal.
fn turtle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_node_id(n: &Node) -> String {
    match n {
        Node::Iri(i) => i.clone(),
        Node::Blank(b) => format!("_:b{b}"),
    }
}

fn json_object(o: &Object) -> Value {
    match o {
        Object::Node(n) => json!({ "@id": json_node_id(n) }),
        Object::Literal(v, Literal::Plain) => json!({ "@value": v }),
        Object::Literal(v, Literal::Lang(tag)) => json!({ "@value": v, "@language": tag }),
        Object::Literal(v, Literal::Typed(dt)) => json!({ "@value": v, "@type": expand(dt) }),
    }
}

/// Escapes text for XML content and double-quoted attributes. `\r` becomes a character
/// reference because XML parsers would otherwise turn it into `\n`.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// schema.org for search engines.

/// The schema.org `Dataset` of a dataset page, for Google Dataset Search and other crawlers.
/// Embed it with [`json_for_script`], never with a plain `to_string`.
pub fn schema_org_jsonld(dataset: &Dataset, base_url: &str, org: Option<&OrgInfo>) -> Value {
    let base = base_url.trim_end_matches('/');
    let d = dataset;
    let mut v = Map::new();
    v.insert("@context".into(), json!("https://schema.org/"));
    v.insert("@type".into(), json!("Dataset"));
    v.insert("@id".into(), json!(dataset_uri(base, d)));
    v.insert("name".into(), json!(d.title));
    // Google requires a description; a title is better than nothing.
    let description = if d.notes.trim().is_empty() {
        &d.title
    } else {
        &d.notes
    };
    v.insert("description".into(), json!(description));
    v.insert("url".into(), json!(landing_page(base, d)));
    v.insert("identifier".into(), json!(d.id));
    v.insert("inLanguage".into(), json!("ja"));
    if !d.tags.is_empty() {
        v.insert("keywords".into(), json!(d.tags));
    }
    if let Some(l) = license(&d.license_id) {
        if !l.url.is_empty() {
            v.insert("license".into(), json!(l.url));
        }
        v.insert("isAccessibleForFree".into(), json!(true));
    }
    if !d.version.is_empty() {
        v.insert("version".into(), json!(d.version));
    }
    let organization = json!({
        "@type": "Organization",
        "@id": format!("{base}/organization/{}", d.owner_org),
        "name": org.map_or(d.owner_org.as_str(), |o| o.name_ja.as_str()),
        "alternateName": org.map(|o| o.name_en.as_str()).filter(|n| !n.is_empty()),
        "url": format!("{base}/organization/{}", d.owner_org),
    });
    let organization = drop_nulls(organization);
    v.insert("creator".into(), organization.clone());
    v.insert("publisher".into(), organization);
    let places: Vec<Value> = if d.spatial.is_empty() {
        vec![json!({
            "@type": "Place",
            "name": ydx_region::PREFECTURE.name_ja,
            "url": prefecture_uri(base),
        })]
    } else {
        d.spatial
            .iter()
            .map(|code| {
                let name = ydx_region::MUNICIPALITIES
                    .iter()
                    .find(|m| m.code == code)
                    .map_or(code.as_str(), |m| m.name_ja);
                json!({ "@type": "Place", "name": name, "url": municipality_uri(base, code) })
            })
            .collect()
    };
    v.insert(
        "spatialCoverage".into(),
        if places.len() == 1 {
            places.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(places)
        },
    );
    if d.temporal_start.is_some() || d.temporal_end.is_some() {
        // schema.org writes open ends as "..", as ISO 8601 intervals do.
        let start = d.temporal_start.as_deref().unwrap_or("..");
        let end = d.temporal_end.as_deref().unwrap_or("..");
        v.insert("temporalCoverage".into(), json!(format!("{start}/{end}")));
    }
    let distribution: Vec<Value> = d
        .resources
        .iter()
        .map(|r| {
            let external =
                (r.url_type != "upload" && is_absolute_url(&r.url)).then_some(r.url.trim());
            drop_nulls(json!({
                "@type": "DataDownload",
                "name": r.name,
                "encodingFormat": media_type(r).unwrap_or_else(|| r.format.clone()),
                "contentUrl": external.map_or_else(|| download_url(base, d, r), clean_iri),
                "contentSize": r.size.map(|s| format!("{s} B")),
                "dateModified": xsd_date(&r.last_modified).map(|(v, _)| v),
            }))
        })
        .collect();
    if !distribution.is_empty() {
        v.insert("distribution".into(), Value::Array(distribution));
    }
    // The same zone-qualified form as the DCAT documents.
    if let Some((created, _)) = xsd_date(&d.metadata_created) {
        v.insert("dateCreated".into(), json!(created));
    }
    if let Some((modified, _)) = xsd_date(&d.metadata_modified) {
        v.insert("dateModified".into(), json!(modified));
    }
    Value::Object(v)
}

fn drop_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}

/// JSON to put inside `<script type="application/ld+json">`: `<`, `>` and `&` are written as
/// `\u003c`, `\u003e`, `\u0026`, so a title containing `</script>` or `<!--` cannot end the
/// script element. (JSON syntax itself never uses these characters, so only strings change,
/// and they mean the same after parsing.) U+2028/2029 too, for old JavaScript parsers.
pub fn json_for_script(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dataset built from JSON, so that fields added to the model later (with serde
    /// defaults or as options) do not break these tests.
    fn dataset(title: &str, notes: &str) -> Dataset {
        let mut value = json!({
            "id": "0b6c", "name": "aed-yamaguchi", "title": title, "notes": notes,
            "owner_org": "yamaguchi-city", "state": "active", "private": false,
            "license_id": "cc-by-4.0", "author": "", "author_email": "",
            "maintainer": "デジタル推進課", "maintainer_email": "dx@example.jp",
            "version": "", "url": "", "tags": ["AED"], "groups": ["bousai"], "extras": [],
            "spatial": ["35203"], "temporal_start": "2024-04-01", "temporal_end": null,
            "frequency": "annual", "standard": "aed", "series": false,
            "metadata_created": "2024-04-01T09:00:00.000000",
            "metadata_modified": "2024-05-01T10:30:00.123456", "creator_user_id": null,
        });
        let resource = json!({
            "id": "r1", "package_id": "0b6c", "name": "AED.csv", "description": "",
            "format": "CSV", "mimetype": "", "url": "", "url_type": "upload", "size": 42,
            "hash": "", "position": 0, "period": null, "version": 1, "created": "",
            "last_modified": "", "table": null
        });
        value["resources"] = json!([resource]);
        serde_json::from_value(value).unwrap()
    }

    fn orgs() -> OrgDirectory {
        let org = OrgInfo {
            id: "yamaguchi-city".into(),
            name_ja: "山口市".into(),
            name_en: "Yamaguchi City".into(),
        };
        HashMap::from([(org.id.clone(), org)])
    }

    const BASE: &str = "http://127.0.0.1:8080";

    #[test]
    fn publisher_text_is_escaped_in_every_syntax() {
        let title = "AED \"一覧\" <b> & </script>";
        let notes = "一行目\n二行目\\ \r\n";
        let d = dataset(title, notes);
        let info = CatalogInfo::yamaguchi(BASE);

        let ttl = dataset_document(&info, &orgs(), &d, RdfFormat::Turtle);
        assert!(
            ttl.contains(r#"dct:title "AED \"一覧\" <b> & </script>"@ja"#),
            "{ttl}"
        );
        assert!(
            ttl.contains(r#"dct:description "一行目\n二行目\\ \r\n"@ja"#),
            "{ttl}"
        );

        let xml = dataset_document(&info, &orgs(), &d, RdfFormat::RdfXml);
        assert!(
            xml.contains("<dct:title xml:lang=\"ja\">AED &quot;一覧&quot; &lt;b&gt; &amp; &lt;/script&gt;</dct:title>"),
            "{xml}"
        );
        assert!(xml.contains("二行目\\ &#13;\n</dct:description>"));

        let jsonld = dataset_document(&info, &orgs(), &d, RdfFormat::JsonLd);
        let doc: Value = serde_json::from_str(&jsonld).unwrap();
        let node = doc["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["@id"] == format!("{BASE}/dataset/0b6c"))
            .unwrap();
        assert_eq!(node["dct:title"][0]["@value"], title);
        assert_eq!(node["dct:title"][0]["@language"], "ja");
        assert_eq!(node["dct:description"][0]["@value"], notes);
    }

    #[test]
    fn link_iris_cannot_break_out() {
        assert_eq!(
            clean_iri("https://example.jp/a b<c>\"d\"{e}"),
            "https://example.jp/a%20b%3Cc%3E%22d%22%7Be%7D"
        );
        let mut d = dataset("t", "n");
        d.resources[0].url_type = String::new();
        d.resources[0].url = "https://example.jp/x?a=1&b=<2>".into();
        let info = CatalogInfo::yamaguchi(BASE);
        let ttl = dataset_document(&info, &orgs(), &d, RdfFormat::Turtle);
        assert!(
            ttl.contains("dcat:downloadURL <https://example.jp/x?a=1&b=%3C2%3E>"),
            "{ttl}"
        );
        let xml = dataset_document(&info, &orgs(), &d, RdfFormat::RdfXml);
        assert!(
            xml.contains("rdf:resource=\"https://example.jp/x?a=1&amp;b=%3C2%3E\""),
            "{xml}"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(clean_text("a\u{1}b\u{7f}c\td"), "abc\td");
    }

    fn hydra(doc: &str, what: &str) -> Option<String> {
        let key = format!("hydra:{what} <");
        let start = doc.find(&key)? + key.len();
        Some(doc[start..].split('>').next()?.to_owned())
    }

    #[test]
    fn hydra_paging_links() {
        let info = CatalogInfo::yamaguchi("http://127.0.0.1:8080/");
        let page = |page, total| {
            catalog_document(
                &info,
                &orgs(),
                &[] as &[Dataset],
                Paging {
                    page,
                    per_page: 3,
                    total,
                },
                RdfFormat::Turtle,
            )
        };
        let url = |n: u32| format!("{BASE}/catalog.ttl?page={n}");

        let middle = page(2, 10);
        assert!(middle.contains(&format!("<{}>\n    a hydra:PartialCollectionView", url(2))));
        assert_eq!(hydra(&middle, "first"), Some(url(1)));
        assert_eq!(hydra(&middle, "previous"), Some(url(1)));
        assert_eq!(hydra(&middle, "next"), Some(url(3)));
        assert_eq!(hydra(&middle, "last"), Some(url(4)));
        assert!(middle.contains("hydra:totalItems \"10\"^^xsd:integer"));

        let first = page(1, 10);
        assert_eq!(hydra(&first, "previous"), None);
        let last = page(4, 10);
        assert_eq!(hydra(&last, "next"), None);
        assert_eq!(hydra(&last, "previous"), Some(url(3)));

        let empty = page(1, 0);
        assert_eq!(hydra(&empty, "first"), Some(url(1)));
        assert_eq!(hydra(&empty, "last"), Some(url(1)));
        assert_eq!(hydra(&empty, "next"), None);

        let xml = catalog_document(
            &info,
            &orgs(),
            &[] as &[Dataset],
            Paging {
                page: 2,
                per_page: 3,
                total: 10,
            },
            RdfFormat::RdfXml,
        );
        assert!(xml.contains(&format!(
            "<hydra:next rdf:resource=\"{BASE}/catalog.rdf?page=3\"/>"
        )));
    }

    #[test]
    fn dataset_terms() {
        let info = CatalogInfo::yamaguchi(BASE);
        let ttl = dataset_document(&info, &orgs(), &dataset("t", "n"), RdfFormat::Turtle);
        for expected in [
            "dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/ANNUAL>",
            "dcat:landingPage <http://127.0.0.1:8080/dataset/aed-yamaguchi>",
            "dct:spatial <http://127.0.0.1:8080/region/municipality/35203>",
            "skos:prefLabel \"山口市\"@ja",
            "dct:publisher <http://127.0.0.1:8080/organization/yamaguchi-city>",
            "dcat:startDate \"2024-04-01\"^^xsd:date",
            "dct:modified \"2024-05-01T10:30:00.123456Z\"^^xsd:dateTime",
            "dct:conformsTo <http://127.0.0.1:8080/standard/aed>",
            "dcat:downloadURL <http://127.0.0.1:8080/dataset/aed-yamaguchi/resource/r1/download>",
            "dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv>",
            "dcat:byteSize \"42\"^^xsd:nonNegativeInteger",
            "rdfs:seeAlso <http://127.0.0.1:8080/api/3/action/datastore_search?resource_id=r1>",
            "vcard:hasEmail <mailto:dx@example.jp>",
        ] {
            assert!(ttl.contains(expected), "missing {expected} in\n{ttl}");
        }
    }

    #[test]
    fn dates_are_typed_or_left_out() {
        assert_eq!(
            xsd_date("2024-04-01"),
            Some(("2024-04-01".into(), "xsd:date"))
        );
        assert_eq!(
            xsd_date("2024-04-01T09:00:00"),
            Some(("2024-04-01T09:00:00Z".into(), "xsd:dateTime"))
        );
        assert_eq!(
            xsd_date("2024-04-01T09:00:00+09:00"),
            Some(("2024-04-01T09:00:00+09:00".into(), "xsd:dateTime"))
        );
        assert_eq!(xsd_date("令和6年4月1日"), None);
        assert_eq!(xsd_date(""), None);
    }

    #[test]
    fn formats_round_trip() {
        for f in RdfFormat::ALL {
            assert_eq!(RdfFormat::from_extension(f.extension()), Some(f));
            assert_eq!(
                RdfFormat::from_media_type(&format!("{}; charset=utf-8", f.media_type())),
                Some(f)
            );
        }
    }

    #[test]
    fn schema_org_for_the_page() {
        let d = dataset("AED設置箇所一覧 </script><script>alert(1)</script>", "説明");
        let org = orgs();
        let v = schema_org_jsonld(&d, BASE, org.get("yamaguchi-city"));
        assert_eq!(v["@type"], "Dataset");
        assert_eq!(v["url"], format!("{BASE}/dataset/aed-yamaguchi"));
        assert_eq!(v["license"], "https://creativecommons.org/licenses/by/4.0/");
        assert_eq!(v["creator"]["name"], "山口市");
        assert_eq!(v["spatialCoverage"]["name"], "山口市");
        assert_eq!(v["temporalCoverage"], "2024-04-01/..");
        assert_eq!(v["distribution"][0]["@type"], "DataDownload");
        assert_eq!(
            v["distribution"][0]["contentUrl"],
            format!("{BASE}/dataset/aed-yamaguchi/resource/r1/download")
        );

        let script = json_for_script(&v);
        assert!(!script.contains('<') && !script.contains('>') && !script.contains('&'));
        assert!(script.contains("\\u003c/script\\u003e"));
        let back: Value = serde_json::from_str(&script).unwrap();
        assert_eq!(back, v);
    }
}
