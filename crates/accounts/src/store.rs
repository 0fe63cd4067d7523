//! The accounts storage interface. The SQL is the same on both backends; only the DDL
//! differs (see `migrations/`).

use serde::Serialize;
use sqlx::Row;
use std::sync::Arc;

use ydx_storage::{Db, EngineMigrations, Migration, Recent, StorageError, Tx, with_db, with_tx};

use crate::model::*;
use crate::secrets::{PasswordCost, hash_secret, new_secret, verify_password};

/// The accounts tables, per backend.
pub fn migrations() -> &'static EngineMigrations {
    static M: EngineMigrations = EngineMigrations {
        engine: "accounts",
        migrations: &[Migration {
            version: 1,
            name: "accounts",
            sqlite: include_str!("../migrations/0001_accounts.sqlite.sql"),
            postgres: include_str!("../migrations/0001_accounts.postgres.sql"),
        }],
    };
    &M
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email address already exists")]
    EmailTaken,
    #[error("invalid email address")]
    InvalidEmail,
    #[error("the password must be at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("organisation {0:?} already exists")]
    OrgExists(String),
    #[error("organisation {0:?} not found")]
    OrgNotFound(String),
    #[error("user {0:?} not found")]
    UserNotFound(String),
    #[error("invalid organisation id {0:?}: use lowercase letters, digits and hyphens")]
    InvalidOrgId(String),
    #[error("the system's random source failed")]
    Random,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Storage(e.into())
    }
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

/// The minimum password length; NIST SP 800-63B asks for at least 8, we ask for 10.
pub const MIN_PASSWORD_LEN: usize = 10;

/// How long a sign-in lasts without activity.
const SESSION_DAYS: i64 = 14;

/// Access to the accounts tables.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Db,
    cost: PasswordCost,
    /// A hash verified when an email is unknown, so a failed sign-in takes as long whether or
    /// not the account exists.
    dummy_hash: String,
    /// Every organisation, as [`Accounts::orgs`] last read them (pages and API answers name
    /// them on every request). Cleared by this process's writes; another process's show
    /// within [`ORGS_FRESH`].
    orgs: Arc<Recent<Vec<Organization>>>,
}

/// How long the organisations read are reused.
pub const ORGS_FRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// One entry of the audit log: who changed what, when, and the record before and after.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub org_id: Option<String>,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records a staff write in the same transaction as the write itself, so there is never a
/// change without its entry nor an entry without its change.
#[allow(clippy::too_many_arguments)]
pub async fn audit(
    tx: &mut Tx,
    actor: &Principal,
    org_id: Option<&str>,
    action: &str,
    entity_kind: &str,
    entity_id: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StorageError> {
    let before = before.map(|v| v.to_string());
    let after = after.map(|v| v.to_string());
    let sql = "INSERT INTO audit_log (at, actor_id, actor_label, org_id, action, entity_kind, \
               entity_id, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    with_tx!(tx, |c| {
        sqlx::query(sql)
            .bind(ydx_storage::now())
            .bind(&actor.user.id)
            .bind(actor.audit_label())
            .bind(org_id)
            .bind(action)
            .bind(entity_kind)
            .bind(entity_id)
            .bind(&before)
            .bind(&after)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Organisation ids appear in URLs and CKAN names: CKAN's rule (2–100 of a-z0-9-_).
pub fn valid_org_id(id: &str) -> bool {
    (2..=100).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn org_from_row<R: Row>(r: &R) -> Result<Organization, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = r.try_get("kind")?;
    Ok(Organization {
        id: r.try_get("id")?,
        kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Other),
        name_ja: r.try_get("name_ja")?,
        name_en: r.try_get("name_en")?,
        municipality_code: r.try_get("municipality_code")?,
        description: r.try_get("description")?,
        created_at: r.try_get("created_at")?,
    })
}

const ORG_COLUMNS: &str = "id, kind, name_ja, name_en, municipality_code, description, created_at";

impl Accounts {
    pub fn new(db: Db, cost: PasswordCost) -> Result<Accounts> {
        let dummy_hash = cost
            .hash_password("dummy password")
            .map_err(AccountError::Hash)?;
        Ok(Accounts {
            db,
            cost,
            dummy_hash,
            orgs: Arc::new(Recent::new(ORGS_FRESH)),
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    // ---- organisations -------------------------------------------------------------

    pub async fn create_org(&self, org: &Organization) -> Result<()> {
        if !valid_org_id(&org.id) {
            return Err(AccountError::InvalidOrgId(org.id.clone()));
        }
        let sql = "INSERT INTO organizations (id, kind, name_ja, name_en, municipality_code, \
                   description, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let res = with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(&org.id)
                .bind(org.kind.as_str())
                .bind(&org.name_ja)
                .bind(&org.name_en)
                .bind(&org.municipality_code)
                .bind(&org.description)
                .bind(if org.created_at.is_empty() {
                    ydx_storage::now()
                } else {
                    org.created_at.clone()
                })
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        });
        self.orgs.clear();
        match res.map_err(StorageError::from) {
            Ok(_) => Ok(()),
            Err(StorageError::Conflict(_)) => Err(AccountError::OrgExists(org.id.clone())),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn org(&self, id: &str) -> Result<Option<Organization>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1");
        let org = with_db!(&self.db, |p| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await?
            {
                Some(r) => Some(org_from_row(&r)?),
                None => None,
            }
        });
        Ok(org)
    }

    /// All organisations, or those of one kind, ordered for display (municipalities by code).
    /// Reads them at most once per [`ORGS_FRESH`] (and after this process adds one).
    pub async fn orgs(&self, kind: Option<OrgKind>) -> Result<Vec<Organization>> {
        let all = self.org_list().await?;
        Ok(all
            .iter()
            .filter(|o| kind.is_none_or(|k| o.kind == k))
            .cloned()
            .collect())
    }

    /// Every organisation as [`Accounts::orgs`] orders them, shared rather than copied (for
    /// callers that only look some up).
    pub async fn org_list(&self) -> Result<Arc<Vec<Organization>>> {
        self.orgs.get(|| self.read_orgs()).await
    }

    async fn read_orgs(&self) -> Result<Vec<Organization>> {
        let sql =
            format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY kind, municipality_code, id");
        let orgs = with_db!(&self.db, |p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?;
            rows.iter()
                .map(org_from_row)
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(orgs)
    }

    // ---- people --------------------------------------------------------------------

    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        password: &str,
        kind: UserKind,
    ) -> Result<User> {
        let email = email.trim().to_lowercase();
        if !valid_email(&email) {
            return Err(AccountError::InvalidEmail);
        }
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(AccountError::PasswordTooShort {
                min: MIN_PASSWORD_LEN,
            });
        }
        let hash = self
            .cost
            .hash_password(password)
            .map_err(AccountError::Hash)?;
        let user = User {
            id: ydx_storage::new_id(),
            email,
            display_name: display_name.trim().to_string(),
            kind,
        };
        let sql = "INSERT INTO users (id, email, display_name, password_hash, kind, disabled, \
                   created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)";
        let res = with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(&user.id)
                .bind(&user.email)
                .bind(&user.display_name)
                .bind(&hash)
                .bind(kind.as_str())
                .bind(ydx_storage::now())
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        });
        match res.map_err(StorageError::from) {
            Ok(_) => Ok(user),
            Err(StorageError::Conflict(_)) => Err(AccountError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self
            .user_row("email", &email.trim().to_lowercase())
            .await?
            .map(|(u, _)| u))
    }

    /// Display names of users by id, disabled accounts included (history pages name who did
    /// something even after they left). Unknown ids are absent.
    pub async fn display_names(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for id in ids {
            if out.contains_key(id) {
                continue;
            }
            let name: Option<String> = with_db!(&self.db, |p| {
                sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(p)
                    .await?
            });
            if let Some(n) = name {
                out.insert(id.clone(), n);
            }
        }
        Ok(out)
    }

    async fn user_row(&self, column: &str, value: &str) -> Result<Option<(User, String)>> {
        let sql = match column {
            "email" => {
                "SELECT id, email, display_name, kind, password_hash FROM users \
                        WHERE email = $1 AND disabled = 0"
            }
            _ => {
                "SELECT id, email, display_name, kind, password_hash FROM users \
                  WHERE id = $1 AND disabled = 0"
            }
        };
        let row = with_db!(&self.db, |p| {
            match sqlx::query(sql).bind(value).fetch_optional(p).await? {
                Some(r) => {
                    let kind: String = r.try_get("kind")?;
                    Some((
                        User {
                            id: r.try_get("id")?,
                            email: r.try_get("email")?,
                            display_name: r.try_get("display_name")?,
                            kind: if kind == "staff" {
                                UserKind::Staff
                            } else {
                                UserKind::Resident
                            },
                        },
                        r.try_get::<String, _>("password_hash")?,
                    ))
                }
                None => None,
            }
        });
        Ok(row)
    }

    /// Checks an email and password. Takes the same time whether or not the account exists.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<User>> {
        match self.user_row("email", &email.trim().to_lowercase()).await? {
            Some((user, hash)) => Ok(verify_password(password, &hash).then_some(user)),
            None => {
                let _ = verify_password(password, &self.dummy_hash);
                Ok(None)
            }
        }
    }

    pub async fn set_membership(&self, user_id: &str, org_id: &str, role: Role) -> Result<()> {
        let sql = "INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3) \
                   ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role";
        with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(user_id)
                .bind(org_id)
                .bind(role.as_str())
                .execute(p)
                .await
                .map_err(StorageError::from)
                .map_err(|e| match e {
                    StorageError::Conflict(_) => AccountError::OrgNotFound(org_id.to_string()),
                    e => e.into(),
                })?;
        });
        // Staff status follows membership, so the staff area appears on next sign-in.
        with_db!(&self.db, |p| {
            sqlx::query("UPDATE users SET kind = 'staff' WHERE id = $1")
                .bind(user_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>> {
        let sql = "SELECT m.org_id, m.role, o.kind, o.name_ja, o.name_en FROM memberships m \
                   JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY m.org_id";
        let rows = with_db!(&self.db, |p| {
            let rows = sqlx::query(sql).bind(user_id).fetch_all(p).await?;
            rows.iter()
                .map(|r| -> Result<Membership, sqlx::Error> {
                    let role: String = r.try_get("role")?;
                    let kind: String = r.try_get("kind")?;
                    Ok(Membership {
                        org_id: r.try_get("org_id")?,
                        role: Role::parse(&role).unwrap_or(Role::Viewer),
                        org_kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Other),
                        org_name_ja: r.try_get("name_ja")?,
                        org_name_en: r.try_get("name_en")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    // ---- sessions ------------------------------------------------------------------

    /// Starts a session; returns the secret for the cookie. The database keeps its hash.
    pub async fn create_session(&self, user_id: &str) -> Result<String> {
        let secret = new_secret("").map_err(|_| AccountError::Random)?;
        let csrf = new_secret("").map_err(|_| AccountError::Random)?;
        let now = time::OffsetDateTime::now_utc();
        let expires = ydx_storage::format_time(now + time::Duration::days(SESSION_DAYS));
        let sql = "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(hash_secret(&secret))
                .bind(user_id)
                .bind(&csrf)
                .bind(ydx_storage::format_time(now))
                .bind(&expires)
                .execute(p)
                .await?;
        });
        Ok(secret)
    }

    /// The principal and CSRF token of a live session.
    pub async fn session(&self, secret: &str) -> Result<Option<(Principal, String)>> {
        let sql = "SELECT user_id, csrf_token FROM sessions WHERE id_hash = $1 AND expires_at > $2";
        let row: Option<(String, String)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql)
                .bind(hash_secret(secret))
                .bind(ydx_storage::now())
                .fetch_optional(p)
                .await?
        });
        let Some((user_id, csrf)) = row else {
            return Ok(None);
        };
        let Some((user, _)) = self.user_row("id", &user_id).await? else {
            return Ok(None);
        };
        let memberships = self.memberships(&user.id).await?;
        Ok(Some((
            Principal {
                user,
                memberships,
                via: Via::Session,
            },
            csrf,
        )))
    }

    pub async fn end_session(&self, secret: &str) -> Result<()> {
        with_db!(&self.db, |p| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(hash_secret(secret))
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Removes expired sessions; run now and then.
    pub async fn purge_sessions(&self) -> Result<u64> {
        let n = with_db!(&self.db, |p| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(ydx_storage::now())
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    // ---- API tokens ----------------------------------------------------------------

    /// Issues an API token for `org_id`; the secret is returned once and stored hashed.
    pub async fn create_token(
        &self,
        org_id: &str,
        actor: &Principal,
        name: &str,
    ) -> Result<(String, String)> {
        let secret = new_secret("ydx_").map_err(|_| AccountError::Random)?;
        let id = ydx_storage::new_id();
        let now = ydx_storage::now();
        let sql = "INSERT INTO api_tokens (id, token_hash, org_id, created_by, name, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        let mut tx = self.db.begin().await?;
        with_tx!(&mut tx, |c| {
            sqlx::query(sql)
                .bind(&id)
                .bind(hash_secret(&secret))
                .bind(org_id)
                .bind(&actor.user.id)
                .bind(name)
                .bind(&now)
                .execute(&mut *c)
                .await
                .map_err(StorageError::from)
                .map_err(|e| match e {
                    StorageError::Conflict(_) => AccountError::OrgNotFound(org_id.to_string()),
                    e => e.into(),
                })?;
        });
        // The audit entry names the token, never its secret.
        let after = serde_json::json!({ "name": name, "created_at": now });
        audit(
            &mut tx,
            actor,
            Some(org_id),
            "create",
            "api_token",
            &id,
            None,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok((id, secret))
    }

    /// The principal an API token acts as: its creator, limited to the token's organisation
    /// and to the role the creator has there now (revoking a membership disarms its tokens).
    pub async fn token_principal(&self, secret: &str) -> Result<Option<Principal>> {
        let sql = "SELECT id, org_id, created_by, last_used_at FROM api_tokens \
                   WHERE token_hash = $1 AND revoked_at IS NULL";
        let row: Option<(String, String, String, Option<String>)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql)
                .bind(hash_secret(secret.trim()))
                .fetch_optional(p)
                .await?
        });
        let Some((token_id, org_id, created_by, last_used_at)) = row else {
            return Ok(None);
        };
        let Some((user, _)) = self.user_row("id", &created_by).await? else {
            return Ok(None);
        };
        let all = self.memberships(&user.id).await?;
        let prefecture_admin = all
            .iter()
            .any(|m| m.org_kind == OrgKind::Prefecture && m.role == Role::Admin);
        let mut memberships: Vec<Membership> =
            all.into_iter().filter(|m| m.org_id == org_id).collect();
        if memberships.is_empty()
            && prefecture_admin
            && let Some(org) = self.org(&org_id).await?
        {
            memberships.push(Membership {
                org_id: org.id,
                org_kind: org.kind,
                org_name_ja: org.name_ja,
                org_name_en: org.name_en,
                role: Role::Admin,
            });
        }
        if memberships.is_empty() {
            return Ok(None);
        }
        // A token never carries prefecture-wide power beyond its own organisation.
        for m in &mut memberships {
            if m.org_kind == OrgKind::Prefecture && m.org_id != org_id {
                m.role = Role::Viewer;
            }
        }
        // "Last used" is shown to staff by the minute; writing it on every API call would put a
        // database write (SQLite's one writer) on the read path of every machine client.
        let now = time::OffsetDateTime::now_utc();
        let stale = ydx_storage::format_time(now - time::Duration::minutes(1));
        if last_used_at.is_none_or(|t| t < stale) {
            with_db!(&self.db, |p| {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(ydx_storage::format_time(now))
                    .bind(&token_id)
                    .execute(p)
                    .await?;
            });
        }
        Ok(Some(Principal {
            user,
            memberships,
            via: Via::Token { token_id },
        }))
    }

    pub async fn tokens(&self, org_id: &str) -> Result<Vec<ApiToken>> {
        let sql = "SELECT id, org_id, name, created_at, last_used_at, revoked_at FROM api_tokens \
                   WHERE org_id = $1 ORDER BY created_at DESC";
        let rows: Vec<ApiToken> = with_db!(&self.db, |p| {
            sqlx::query_as::<
                _,
                (
                    String,
                    String,
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                ),
            >(sql)
            .bind(org_id)
            .fetch_all(p)
            .await?
            .into_iter()
            .map(
                |(id, org_id, name, created_at, last_used_at, revoked_at)| ApiToken {
                    id,
                    org_id,
                    name,
                    created_at,
                    last_used_at,
                    revoked_at,
                },
            )
            .collect()
        });
        Ok(rows)
    }

    /// Revokes a token of `org_id`; returns false when there was no such live token.
    pub async fn revoke_token(
        &self,
        org_id: &str,
        token_id: &str,
        actor: &Principal,
    ) -> Result<bool> {
        let now = ydx_storage::now();
        let mut tx = self.db.begin().await?;
        let n = with_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 \
                 AND revoked_at IS NULL",
            )
            .bind(&now)
            .bind(token_id)
            .bind(org_id)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        if n == 1 {
            let after = serde_json::json!({ "revoked_at": now });
            audit(
                &mut tx,
                actor,
                Some(org_id),
                "revoke",
                "api_token",
                token_id,
                None,
                Some(&after),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(n == 1)
    }

    // ---- audit log -----------------------------------------------------------------

    /// The newest audit entries of one organisation (or of all, for a prefecture admin).
    pub async fn audit_log(&self, org_id: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>> {
        let sql = "SELECT id, at, actor_id, actor_label, org_id, action, entity_kind, entity_id, \
                   before_json, after_json FROM audit_log WHERE ($1 = '' OR org_id = $1) \
                   ORDER BY id DESC LIMIT $2";
        let entries = with_db!(&self.db, |p| {
            let rows = sqlx::query(sql)
                .bind(org_id.unwrap_or(""))
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| -> Result<AuditEntry, sqlx::Error> {
                    let parse = |s: Option<String>| {
                        s.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
                    };
                    Ok(AuditEntry {
                        id: r.try_get("id")?,
                        at: r.try_get("at")?,
                        actor_id: r.try_get("actor_id")?,
                        actor_label: r.try_get("actor_label")?,
                        org_id: r.try_get("org_id")?,
                        action: r.try_get("action")?,
                        entity_kind: r.try_get("entity_kind")?,
                        entity_id: r.try_get("entity_id")?,
                        before: parse(r.try_get("before_json")?),
                        after: parse(r.try_get("after_json")?),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(entries)
    }
}

/// An API token as staff see it: never the secret.
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_and_org_id_rules() {
        assert!(valid_email("taro@example.jp"));
        assert!(!valid_email("taro"));
        assert!(!valid_email("taro@localhost"));
        assert!(!valid_email("ta ro@example.jp"));
        assert!(valid_org_id("hagi-city"));
        assert!(!valid_org_id("Hagi City"));
        assert!(!valid_org_id("../x"));
    }
}
