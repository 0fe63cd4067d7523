//! Sample data for `ydx demo`: the prefecture, its departments, the 19 municipalities and a
//! few partner organisations, demo accounts, then each engine's own sample data. Everything
//! here is labelled sample data; no real person's data is used.

use ydx_accounts::{OrgKind, Organization, Role, UserKind};
use ydx_web::AppState;

pub struct DemoAccount {
    pub label: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    /// (organisation id, role)
    pub membership: Option<(&'static str, Role)>,
}

pub const PREFECTURE_ORG: &str = "yamaguchi-pref";

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        label: "prefecture admin",
        email: "admin@pref.yamaguchi.example",
        password: "demo-admin-pass",
        name: "県 管理者（サンプル）",
        membership: Some((PREFECTURE_ORG, Role::Admin)),
    },
    DemoAccount {
        label: "Yamaguchi City staff",
        email: "staff@city.yamaguchi.example",
        password: "demo-staff-pass",
        name: "山口市 職員（サンプル）",
        membership: Some(("yamaguchi-city", Role::Admin)),
    },
    DemoAccount {
        label: "Hagi City staff",
        email: "staff@city.hagi.example",
        password: "demo-staff-pass",
        name: "萩市 職員（サンプル）",
        membership: Some(("hagi-city", Role::Staff)),
    },
    DemoAccount {
        label: "resident",
        email: "resident@example.jp",
        password: "demo-resident-pass",
        name: "山口 花子（サンプル）",
        membership: None,
    },
];

fn org(
    id: &str,
    kind: OrgKind,
    ja: &str,
    en: &str,
    muni: Option<&str>,
    desc: &str,
) -> Organization {
    Organization {
        id: id.into(),
        kind,
        name_ja: ja.into(),
        name_en: en.into(),
        municipality_code: muni.map(Into::into),
        description: desc.into(),
        created_at: String::new(),
    }
}

/// True when the database has no organisations yet.
pub async fn is_empty(state: &AppState) -> anyhow::Result<bool> {
    Ok(state.accounts.orgs(None).await?.is_empty())
}

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let mut orgs = vec![
        org(
            PREFECTURE_ORG,
            OrgKind::Prefecture,
            "山口県",
            "Yamaguchi Prefecture",
            None,
            "",
        ),
        org(
            "pref-statistics",
            OrgKind::PrefectureDepartment,
            "山口県 総合企画部 統計分析課",
            "Statistics Division, Yamaguchi Prefecture",
            None,
            "",
        ),
        org(
            "pref-disaster",
            OrgKind::PrefectureDepartment,
            "山口県 総務部 防災危機管理課",
            "Disaster Management Division, Yamaguchi Prefecture",
            None,
            "",
        ),
    ];
    // The municipalities and the departments that publish the catalog's sample data, as the
    // catalog defines them.
    orgs.extend(ydx_catalog::sample::required_organizations());
    orgs.extend([
        org(
            "sample-daycare-yamaguchi",
            OrgKind::Daycare,
            "病児保育室 こども（サンプル）",
            "Kodomo Sick-Child Daycare (sample)",
            Some("35203"),
            "サンプルの組織です。",
        ),
        org(
            "sample-taxi-yamaguchi",
            OrgKind::Taxi,
            "やまぐち交通（サンプル）",
            "Yamaguchi Kotsu Taxi (sample)",
            Some("35203"),
            "サンプルの組織です。",
        ),
        org(
            "sample-water-yamaguchi",
            OrgKind::Lifeline,
            "山口市上下水道局（サンプル）",
            "Yamaguchi City Waterworks (sample)",
            Some("35203"),
            "サンプルの組織です。",
        ),
    ]);
    for o in &orgs {
        state.accounts.create_org(o).await?;
    }
    for a in DEMO_ACCOUNTS {
        let kind = if a.membership.is_some() {
            UserKind::Staff
        } else {
            UserKind::Resident
        };
        let user = state
            .accounts
            .create_user(a.email, a.name, a.password, kind)
            .await?;
        if let Some((org, role)) = a.membership {
            state.accounts.set_membership(&user.id, org, role).await?;
        }
    }
    for engine in &state.engines {
        let summary = engine
            .load_sample(state)
            .await
            .map_err(|e| anyhow::anyhow!("sample data of {}: {e}", engine.id()))?;
        println!("sample data: {}: {summary}", engine.id());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_accounts_name_organisations_the_demo_creates() {
        let ids: Vec<String> = ydx_catalog::sample::required_organizations()
            .into_iter()
            .map(|o| o.id)
            .collect();
        for a in DEMO_ACCOUNTS {
            if let Some((org, _)) = a.membership {
                assert!(
                    org == PREFECTURE_ORG || ids.iter().any(|i| i == org),
                    "{org}"
                );
            }
        }
    }
}
