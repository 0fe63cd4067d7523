//! Who may do what in ydx: organisations, people, their roles, sessions, API tokens and the
//! audit log of staff writes.
//!
//! Organisations are the prefecture (and its departments), the 19 municipalities, and partner
//! organisations (daycare facilities, taxi companies, lifeline operators…). A person acts
//! through memberships: a role in an organisation. Records of every engine carry the
//! organisation that owns them, and [`Principal`] answers whether a person may act on them:
//! municipality staff on their municipality's records only, prefecture admins on all.

mod model;
mod secrets;
mod store;

pub use model::*;
pub use secrets::{PasswordCost, hash_secret, new_secret};
pub use store::{
    AccountError, Accounts, ApiToken, AuditEntry, MIN_PASSWORD_LEN, audit, migrations, valid_org_id,
};
