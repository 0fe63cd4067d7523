//! Facts about Yamaguchi Prefecture and its municipalities that do not come from
//! the boundary file: readings, English names, kinds, districts.
//!
//! They are written here rather than read from data because N03 carries only the
//! Japanese name, and because the web layer needs them even before any boundary
//! is loaded. English names follow the municipalities' own usage (Hepburn without
//! macrons, hyphen between the parts of compound names: "Sanyo-Onoda",
//! "Suo-Oshima").

use serde::Serialize;

/// 山口県 itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Prefecture {
    /// Two-digit prefecture code (JIS X 0401), `"35"`.
    pub code: &'static str,
    /// Six-digit 全国地方公共団体コード of the prefecture, `"350001"`.
    pub lg_code: &'static str,
    /// `"山口県"`.
    pub name_ja: &'static str,
    /// Reading in hiragana, `"やまぐちけん"`.
    pub name_kana: &'static str,
    /// `"Yamaguchi Prefecture"`.
    pub name_en: &'static str,
}

/// The prefecture this platform serves.
pub const PREFECTURE: Prefecture = Prefecture {
    code: "35",
    lg_code: "350001",
    name_ja: "山口県",
    name_kana: "やまぐちけん",
    name_en: "Yamaguchi Prefecture",
};

/// Whether a municipality is a city (市) or a town (町).
///
/// Yamaguchi has had no village (村) since 2010, so there is no variant for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MunicipalityKind {
    /// 市.
    City,
    /// 町.
    Town,
}

impl MunicipalityKind {
    /// `"市"` or `"町"`.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::City => "市",
            Self::Town => "町",
        }
    }

    /// `"City"` or `"Town"`, as used in the English names.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::City => "City",
            Self::Town => "Town",
        }
    }
}

/// A district (郡). Towns belong to one; it appears in postal addresses
/// ("山口県熊毛郡平生町…") but has no administration of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct District {
    /// e.g. `"熊毛郡"`.
    pub name_ja: &'static str,
    /// e.g. `"くまげぐん"`.
    pub name_kana: &'static str,
    /// e.g. `"Kumage District"`.
    pub name_en: &'static str,
}

const OSHIMA: District = District {
    name_ja: "大島郡",
    name_kana: "おおしまぐん",
    name_en: "Oshima District",
};
const KUGA: District = District {
    name_ja: "玖珂郡",
    name_kana: "くがぐん",
    name_en: "Kuga District",
};
const KUMAGE: District = District {
    name_ja: "熊毛郡",
    name_kana: "くまげぐん",
    name_en: "Kumage District",
};
const ABU: District = District {
    name_ja: "阿武郡",
    name_kana: "あぶぐん",
    name_en: "Abu District",
};

/// The fixed facts about one municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MunicipalityInfo {
    /// Five-digit municipality code, e.g. `"35203"`.
    pub code: &'static str,
    /// Six-digit 全国地方公共団体コード with check digit, e.g. `"352039"`.
    pub lg_code: &'static str,
    /// e.g. `"山口市"`.
    pub name_ja: &'static str,
    /// Reading in hiragana, e.g. `"やまぐちし"`.
    pub name_kana: &'static str,
    /// e.g. `"Yamaguchi City"`.
    pub name_en: &'static str,
    /// City or town.
    pub kind: MunicipalityKind,
    /// The district (郡) of a town; cities belong to none.
    pub district: Option<District>,
}

const fn city(
    code: &'static str,
    lg_code: &'static str,
    name_ja: &'static str,
    name_kana: &'static str,
    name_en: &'static str,
) -> MunicipalityInfo {
    MunicipalityInfo {
        code,
        lg_code,
        name_ja,
        name_kana,
        name_en,
        kind: MunicipalityKind::City,
        district: None,
    }
}

const fn town(
    code: &'static str,
    lg_code: &'static str,
    name_ja: &'static str,
    name_kana: &'static str,
    name_en: &'static str,
    district: District,
) -> MunicipalityInfo {
    MunicipalityInfo {
        code,
        lg_code,
        name_ja,
        name_kana,
        name_en,
        kind: MunicipalityKind::Town,
        district: Some(district),
    }
}

/// The 19 municipalities in code order (the order used in official statistics).
/// The `lg_code` column is checked against the check-digit algorithm in tests.
pub const MUNICIPALITIES: [MunicipalityInfo; 19] = [
    city(
        "35201",
        "352012",
        "下関市",
        "しものせきし",
        "Shimonoseki City",
    ),
    city("35202", "352021", "宇部市", "うべし", "Ube City"),
    city("35203", "352039", "山口市", "やまぐちし", "Yamaguchi City"),
    city("35204", "352047", "萩市", "はぎし", "Hagi City"),
    city("35206", "352063", "防府市", "ほうふし", "Hofu City"),
    city("35207", "352071", "下松市", "くだまつし", "Kudamatsu City"),
    city("35208", "352080", "岩国市", "いわくにし", "Iwakuni City"),
    city("35210", "352101", "光市", "ひかりし", "Hikari City"),
    city("35211", "352110", "長門市", "ながとし", "Nagato City"),
    city("35212", "352128", "柳井市", "やないし", "Yanai City"),
    city("35213", "352136", "美祢市", "みねし", "Mine City"),
    city("35215", "352152", "周南市", "しゅうなんし", "Shunan City"),
    city(
        "35216",
        "352161",
        "山陽小野田市",
        "さんようおのだし",
        "Sanyo-Onoda City",
    ),
    town(
        "35305",
        "353051",
        "周防大島町",
        "すおうおおしまちょう",
        "Suo-Oshima Town",
        OSHIMA,
    ),
    town("35321", "353213", "和木町", "わきちょう", "Waki Town", KUGA),
    town(
        "35341",
        "353418",
        "上関町",
        "かみのせきちょう",
        "Kaminoseki Town",
        KUMAGE,
    ),
    town(
        "35343",
        "353434",
        "田布施町",
        "たぶせちょう",
        "Tabuse Town",
        KUMAGE,
    ),
    town(
        "35344",
        "353442",
        "平生町",
        "ひらおちょう",
        "Hirao Town",
        KUMAGE,
    ),
    town("35502", "355020", "阿武町", "あぶちょう", "Abu Town", ABU),
];

/// The facts for a five-digit code, if it is one of the 19.
pub(crate) fn info_for(code: &str) -> Option<&'static MunicipalityInfo> {
    MUNICIPALITIES.iter().find(|m| m.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::{parse_municipality_code, prefecture_lg_code};

    #[test]
    fn lg_codes_follow_the_check_digit_rule() {
        assert_eq!(
            prefecture_lg_code(PREFECTURE.code).as_deref(),
            Some(PREFECTURE.lg_code)
        );
        for m in &MUNICIPALITIES {
            let code = parse_municipality_code(m.code).unwrap();
            assert_eq!(code.lg_code(), m.lg_code, "{}", m.name_ja);
            assert!(m.code.starts_with(PREFECTURE.code));
        }
    }

    #[test]
    fn names_are_consistent_with_kind() {
        for m in &MUNICIPALITIES {
            assert!(m.name_ja.ends_with(m.kind.name_ja()), "{}", m.name_ja);
            assert!(m.name_en.ends_with(m.kind.name_en()), "{}", m.name_en);
            let kana_suffix = match m.kind {
                MunicipalityKind::City => "し",
                MunicipalityKind::Town => "ちょう",
            };
            assert!(m.name_kana.ends_with(kana_suffix), "{}", m.name_kana);
            assert!(
                m.name_kana
                    .chars()
                    .all(|c| ('\u{3041}'..='\u{309F}').contains(&c))
            );
            assert_eq!(m.district.is_some(), m.kind == MunicipalityKind::Town);
        }
    }
}
