use serde::{Deserialize, Serialize};

/// What kind of body an organisation is; partner kinds are the report's partners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Prefecture,
    PrefectureDepartment,
    Municipality,
    Daycare,
    Taxi,
    Lifeline,
    Contractor,
    School,
    Pharmacy,
    Other,
}

impl OrgKind {
    pub const ALL: [OrgKind; 10] = [
        OrgKind::Prefecture,
        OrgKind::PrefectureDepartment,
        OrgKind::Municipality,
        OrgKind::Daycare,
        OrgKind::Taxi,
        OrgKind::Lifeline,
        OrgKind::Contractor,
        OrgKind::School,
        OrgKind::Pharmacy,
        OrgKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Prefecture => "prefecture",
            OrgKind::PrefectureDepartment => "prefecture_department",
            OrgKind::Municipality => "municipality",
            OrgKind::Daycare => "daycare",
            OrgKind::Taxi => "taxi",
            OrgKind::Lifeline => "lifeline",
            OrgKind::Contractor => "contractor",
            OrgKind::School => "school",
            OrgKind::Pharmacy => "pharmacy",
            OrgKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An organisation: owner of records, employer of staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    /// A stable slug, e.g. `yamaguchi-city`; used in URLs and CKAN's `name`.
    pub id: String,
    pub kind: OrgKind,
    pub name_ja: String,
    pub name_en: String,
    /// The municipality this organisation is, or where a partner sits.
    pub municipality_code: Option<String>,
    pub description: String,
    pub created_at: String,
}

/// What a member may do in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the organisation's private records.
    Viewer,
    /// Writes the organisation's records.
    Staff,
    /// Writes records and manages members and API tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Resident,
    Staff,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Resident => "resident",
            UserKind::Staff => "staff",
        }
    }
}

/// A person with an account. Never carries the password hash out of the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub kind: UserKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub org_id: String,
    pub org_kind: OrgKind,
    pub org_name_ja: String,
    pub org_name_en: String,
    pub role: Role,
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Via {
    Session,
    /// An API token, scoped to one organisation.
    Token {
        token_id: String,
    },
}

/// The person (or machine client) behind a request, with what they may act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principal {
    pub user: User,
    pub memberships: Vec<Membership>,
    pub via: Via,
}

impl Principal {
    /// Admins of the prefecture itself act on every organisation's records.
    pub fn is_prefecture_admin(&self) -> bool {
        self.memberships
            .iter()
            .any(|m| m.org_kind == OrgKind::Prefecture && m.role == Role::Admin)
    }

    /// Whether this principal works for any organisation (sees the staff area).
    pub fn is_staff(&self) -> bool {
        !self.memberships.is_empty()
    }

    /// Whether this principal administers any organisation (a prefecture administrator
    /// administers them all).
    pub fn administers_any(&self) -> bool {
        self.is_prefecture_admin() || self.memberships.iter().any(|m| m.role == Role::Admin)
    }

    pub fn role_in(&self, org_id: &str) -> Option<Role> {
        if self.is_prefecture_admin() {
            return Some(Role::Admin);
        }
        self.memberships
            .iter()
            .find(|m| m.org_id == org_id)
            .map(|m| m.role)
    }

    /// May write records owned by `org_id`.
    pub fn can_write(&self, org_id: &str) -> bool {
        self.role_in(org_id).is_some_and(|r| r >= Role::Staff)
    }

    /// May read records of `org_id` that are not public.
    pub fn can_read_private(&self, org_id: &str) -> bool {
        self.role_in(org_id).is_some()
    }

    /// May manage members and tokens of `org_id`.
    pub fn can_admin(&self, org_id: &str) -> bool {
        self.role_in(org_id) == Some(Role::Admin)
    }

    /// Organisations this principal may write for (all, for a prefecture admin, is signalled
    /// by [`Principal::is_prefecture_admin`]; this lists the explicit memberships).
    pub fn writable_org_ids(&self) -> Vec<String> {
        self.memberships
            .iter()
            .filter(|m| m.role >= Role::Staff)
            .map(|m| m.org_id.clone())
            .collect()
    }

    /// Organisations whose private records this principal may read.
    pub fn readable_org_ids(&self) -> Vec<String> {
        self.memberships.iter().map(|m| m.org_id.clone()).collect()
    }

    /// The label kept in the audit log.
    pub fn audit_label(&self) -> String {
        match &self.via {
            Via::Session => self.user.email.clone(),
            Via::Token { token_id } => format!("{} (token {token_id})", self.user.email),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(memberships: Vec<(OrgKind, &str, Role)>) -> Principal {
        Principal {
            user: User {
                id: "u".into(),
                email: "u@example.jp".into(),
                display_name: "U".into(),
                kind: UserKind::Staff,
            },
            memberships: memberships
                .into_iter()
                .map(|(k, id, role)| Membership {
                    org_id: id.into(),
                    org_kind: k,
                    org_name_ja: id.into(),
                    org_name_en: id.into(),
                    role,
                })
                .collect(),
            via: Via::Session,
        }
    }

    #[test]
    fn municipality_staff_act_on_their_own_records_only() {
        let p = principal(vec![(OrgKind::Municipality, "hagi-city", Role::Staff)]);
        assert!(p.can_write("hagi-city"));
        assert!(!p.can_write("yamaguchi-city"));
        assert!(!p.can_admin("hagi-city"));
        assert!(!p.is_prefecture_admin());
        assert!(!p.administers_any());
        let admin = principal(vec![
            (OrgKind::Municipality, "hagi-city", Role::Staff),
            (OrgKind::Municipality, "abu-town", Role::Admin),
        ]);
        assert!(admin.administers_any());
    }

    #[test]
    fn viewers_read_but_do_not_write() {
        let p = principal(vec![(OrgKind::Municipality, "hagi-city", Role::Viewer)]);
        assert!(p.can_read_private("hagi-city"));
        assert!(!p.can_write("hagi-city"));
    }

    #[test]
    fn prefecture_admin_acts_on_all() {
        let p = principal(vec![(OrgKind::Prefecture, "yamaguchi-pref", Role::Admin)]);
        assert!(p.can_write("hagi-city"));
        assert!(p.can_admin("shunan-city"));
        assert!(p.administers_any());
        let dept_admin = principal(vec![(
            OrgKind::PrefectureDepartment,
            "pref-digital",
            Role::Admin,
        )]);
        assert!(!dept_admin.can_write("hagi-city"));
    }
}
