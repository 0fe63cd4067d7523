//! The catalog's conformance suite: every test runs on SQLite, and on PostgreSQL when
//! `YDX_TEST_DATABASE_URL` is set, and where it matters asserts both give the same answer.

// Helpers outside #[test] functions are test code too.
#![allow(clippy::unwrap_used, clippy::panic)]

mod datasets;
mod resources;
mod search;
mod usage;
mod xlsx;

use std::sync::Arc;

use ydx_accounts::{
    Accounts, Membership, OrgKind, Organization, PasswordCost, Principal, Role, User, UserKind, Via,
};
use ydx_catalog::{Catalog, CatalogLimits, DatasetFields, sample};
use ydx_storage::FsBlobStore;
use ydx_storage::testing::{TestDb, test_databases};

/// One backend's catalog with the people the tests act as.
pub struct Env {
    pub catalog: Catalog,
    pub backend: &'static str,
    /// Prefecture admin.
    pub admin: Principal,
    /// Staff of Yamaguchi City.
    pub yamaguchi: Principal,
    /// Viewer of Yamaguchi City (reads private records, writes nothing).
    pub yamaguchi_viewer: Principal,
    /// Admin of Yamaguchi City.
    pub yamaguchi_admin: Principal,
    /// Staff of Hagi City.
    pub hagi: Principal,
    pub resident: Principal,
    _db: TestDb,
    _blobs: tempfile::TempDir,
}

fn principal(id: &str, memberships: &[(&str, OrgKind, Role)]) -> Principal {
    Principal {
        user: User {
            id: id.to_string(),
            email: format!("{id}@example.jp"),
            display_name: id.to_string(),
            kind: if memberships.is_empty() {
                UserKind::Resident
            } else {
                UserKind::Staff
            },
        },
        memberships: memberships
            .iter()
            .map(|(org, kind, role)| Membership {
                org_id: org.to_string(),
                org_kind: *kind,
                org_name_ja: org.to_string(),
                org_name_en: org.to_string(),
                role: *role,
            })
            .collect(),
        via: Via::Session,
    }
}

/// Fresh catalogs, one per available backend, with every sample organisation and the
/// prefecture itself created.
pub async fn envs() -> Vec<Env> {
    envs_with(CatalogLimits::default()).await
}

pub async fn envs_with(limits: CatalogLimits) -> Vec<Env> {
    let dbs = test_databases(&[ydx_accounts::migrations(), ydx_catalog::migrations()])
        .await
        .unwrap();
    let mut out = Vec::new();
    for tdb in dbs {
        let accounts = Accounts::new(tdb.db.clone(), PasswordCost::TestOnly).unwrap();
        let mut orgs = sample::required_organizations();
        orgs.push(Organization {
            id: "pref".into(),
            kind: OrgKind::Prefecture,
            name_ja: "山口県".into(),
            name_en: "Yamaguchi Prefecture".into(),
            municipality_code: None,
            description: String::new(),
            created_at: String::new(),
        });
        for o in &orgs {
            accounts.create_org(o).await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let blobs = Arc::new(FsBlobStore::open(dir.path()).unwrap());
        let backend = tdb.db.backend().as_str();
        let catalog = Catalog::new(tdb.db.clone(), blobs, limits.clone());
        let m = OrgKind::Municipality;
        out.push(Env {
            catalog,
            backend,
            admin: principal("admin", &[("pref", OrgKind::Prefecture, Role::Admin)]),
            yamaguchi: principal("ystaff", &[("yamaguchi-city", m, Role::Staff)]),
            yamaguchi_viewer: principal("yviewer", &[("yamaguchi-city", m, Role::Viewer)]),
            yamaguchi_admin: principal("yadmin", &[("yamaguchi-city", m, Role::Admin)]),
            hagi: principal("hstaff", &[("hagi-city", m, Role::Staff)]),
            resident: principal("resident", &[]),
            _db: tdb,
            _blobs: dir,
        });
    }
    out
}

/// A second Catalog on the same database, as another server process would have (its own
/// search index, usage counts and blob folder, kept while the TempDir lives).
pub fn other_process(c: &Catalog) -> (Catalog, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(FsBlobStore::open(dir.path()).unwrap());
    (
        Catalog::new(c.db().clone(), blobs, CatalogLimits::default()),
        dir,
    )
}

/// A valid dataset of Yamaguchi City.
pub fn fields(name: &str, title: &str) -> DatasetFields {
    DatasetFields {
        name: name.into(),
        title: title.into(),
        owner_org: "yamaguchi-city".into(),
        license_id: "cc-by-4.0".into(),
        ..DatasetFields::default()
    }
}

/// Asserts every element equals the first (the same result on every backend).
pub fn same_on_all<T: PartialEq + std::fmt::Debug>(what: &str, results: &[T]) {
    for r in results.iter().skip(1) {
        assert_eq!(&results[0], r, "{what}: backends disagree");
    }
}
