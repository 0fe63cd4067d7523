//! A quality score per dataset, for its publisher: a few checks of what data users need
//! (a description, an open licence, an open machine-readable format, a kept update
//! schedule, coverage, conformity to the standard dataset), each with points and a hint
//! saying what to do to pass it.
//!
//! Points are weighted by how much a missing item hurts a data user: a PDF-only dataset or
//! one without a licence cannot be reused at all, missing tags only make it harder to
//! find. The conformity check counts only for datasets that declare a standard; the score
//! is the share of the applicable points, so declaring no standard neither helps nor hurts.

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::model::{Dataset, license};
use crate::standard::ValidationSummary;

/// Minimum description length, in characters. Shorter texts rarely say what the data is,
/// where it comes from and how it was collected; search engines (Google Dataset Search)
/// also want at least 50.
pub const MIN_DESCRIPTION_CHARS: usize = 50;

/// Formats a program can read without a person: the open, machine-readable ones (three
/// stars and up in the 5-star scheme, plus XLSX, which every municipal tool writes and
/// every analysis tool reads). PDF and images are not.
pub const OPEN_FORMATS: [&str; 10] = [
    "CSV", "TSV", "JSON", "GEOJSON", "XLSX", "XML", "KML", "ODS", "RDF", "TTL",
];

/// One check of the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id: `description`, `license`, `open_format`, `frequency`, `spatial`,
    /// `temporal`, `tags`, `contact`, `conformity`.
    pub id: &'static str,
    pub passed: bool,
    /// Points earned (may be partial, e.g. a frequency stated but not kept).
    pub points: u32,
    pub max: u32,
    /// What the check asks, as a short label.
    pub title_ja: &'static str,
    pub title_en: &'static str,
    /// What to do; shown when the check did not pass in full.
    pub hint_ja: String,
    pub hint_en: String,
}

/// The score and its checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QualityReport {
    /// 0–100: the share of applicable points earned, rounded.
    pub score: u32,
    pub checks: Vec<Check>,
}

impl QualityReport {
    /// The checks that still have something to fix.
    pub fn to_fix(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.points < c.max)
    }
}

/// Scores a dataset as of `now`. `conformity` is the summary of validating the dataset's
/// current file against its declared standard, when it has one and a file was validated.
pub fn score(
    dataset: &Dataset,
    now: OffsetDateTime,
    conformity: Option<&ValidationSummary>,
) -> QualityReport {
    let d = dataset;
    let mut checks = Vec::new();

    let chars = d.notes.trim().chars().count();
    checks.push(check(
        "description",
        chars >= MIN_DESCRIPTION_CHARS,
        15,
        ("説明文", "Description"),
        (
            format!(
                "データの内容、作成方法、注意点を{MIN_DESCRIPTION_CHARS}文字以上で説明してください（現在{chars}文字）。"
            ),
            format!(
                "Describe what the data is, how it was made and any caveats in at least {MIN_DESCRIPTION_CHARS} characters (now {chars})."
            ),
        ),
    ));

    let open_license = license(&d.license_id).is_some_and(|l| l.open);
    checks.push(check(
        "license",
        open_license,
        15,
        ("オープンなライセンス", "Open licence"),
        (
            "CC BY 4.0 または公共データ利用規約（第1.0版）など、二次利用できるライセンスを選んでください。"
                .to_owned(),
            "Choose a licence that allows reuse, such as CC BY 4.0 or the Public Data License 1.0."
                .to_owned(),
        ),
    ));

    let open_format = d.resources.iter().any(|r| {
        let f = r.format.trim().to_ascii_uppercase();
        OPEN_FORMATS.contains(&f.as_str())
    });
    checks.push(check(
        "open_format",
        open_format,
        15,
        ("機械判読可能な形式", "Machine-readable format"),
        (
            "CSV や JSON など機械判読可能な形式のファイルを追加してください（PDF だけでは再利用できません）。"
                .to_owned(),
            "Add a file in a machine-readable format such as CSV or JSON (a PDF alone cannot be reused)."
                .to_owned(),
        ),
    ));

    checks.push(frequency_check(d, now));

    checks.push(check(
        "spatial",
        !d.spatial.is_empty(),
        10,
        ("対象地域", "Spatial coverage"),
        (
            "データが対象とする市町を選んでください。".to_owned(),
            "Select the municipalities the data covers.".to_owned(),
        ),
    ));

    checks.push(check(
        "temporal",
        d.temporal_start.is_some() || d.temporal_end.is_some(),
        5,
        ("対象期間", "Temporal coverage"),
        (
            "データが対象とする期間（開始日・終了日）を入力してください。".to_owned(),
            "Enter the period the data covers (start and end date).".to_owned(),
        ),
    ));

    checks.push(check(
        "tags",
        d.tags.iter().any(|t| !t.trim().is_empty()),
        10,
        ("タグ", "Tags"),
        (
            "検索で見つけやすくなるよう、タグを付けてください（例: 防災、AED）。".to_owned(),
            "Add tags so that the dataset can be found (e.g. disaster prevention, AED).".to_owned(),
        ),
    ));

    checks.push(check(
        "contact",
        !d.maintainer_email.trim().is_empty(),
        5,
        ("問い合わせ先", "Contact"),
        (
            "利用者が質問できるよう、管理者のメールアドレスを入力してください。".to_owned(),
            "Enter the maintainer's email address so that users can ask questions.".to_owned(),
        ),
    ));

    if let Some(standard) = &d.standard {
        checks.push(conformity_check(standard, conformity));
    }

    let max: u32 = checks.iter().map(|c| c.max).sum();
    let points: u32 = checks.iter().map(|c| c.points).sum();
    let score = (points * 100 + max / 2).checked_div(max).unwrap_or(0);
    QualityReport { score, checks }
}

fn check(
    id: &'static str,
    passed: bool,
    max: u32,
    (title_ja, title_en): (&'static str, &'static str),
    (hint_ja, hint_en): (String, String),
) -> Check {
    Check {
        id,
        passed,
        points: if passed { max } else { 0 },
        max,
        title_ja,
        title_en,
        hint_ja,
        hint_en,
    }
}

/// Stating a frequency earns a third; keeping it (the last update within
/// [`crate::Frequency::max_age_days`] of `now`) the rest. Irregular and never-updated
/// datasets keep their schedule by definition.
fn frequency_check(d: &Dataset, now: OffsetDateTime) -> Check {
    const MAX: u32 = 15;
    const STATED: u32 = 5;
    let title = ("更新頻度", "Update frequency");
    let Some(frequency) = d.frequency else {
        return check(
            "frequency",
            false,
            MAX,
            title,
            (
                "更新頻度（毎年、毎月など）を設定し、そのとおりに更新してください。".to_owned(),
                "Set how often the data is updated (yearly, monthly…) and keep to it.".to_owned(),
            ),
        );
    };
    let last = last_update(d);
    let age = last.map(|date| (now.date() - date).whole_days());
    let kept = match (frequency.max_age_days(), age) {
        (None, _) => true,
        (Some(max_age), Some(age)) => age <= max_age,
        (Some(_), None) => false,
    };
    let age_text = age.map_or_else(|| "不明".to_owned(), |a| format!("{a}日前"));
    let age_text_en = age.map_or_else(|| "unknown".to_owned(), |a| format!("{a} days ago"));
    Check {
        id: "frequency",
        passed: kept,
        points: if kept { MAX } else { STATED },
        max: MAX,
        title_ja: title.0,
        title_en: title.1,
        hint_ja: format!(
            "更新頻度（{}）のとおりに更新されていません（最終更新: {age_text}）。データを更新するか、更新頻度を見直してください。",
            frequency_ja(frequency)
        ),
        hint_en: format!(
            "The data has not been updated as often as stated ({}; last update: {age_text_en}). Update it or correct the frequency.",
            frequency.as_str()
        ),
    }
}

fn frequency_ja(f: crate::Frequency) -> &'static str {
    use crate::Frequency as F;
    match f {
        F::Continuous => "随時",
        F::Daily => "毎日",
        F::Weekly => "毎週",
        F::Monthly => "毎月",
        F::Quarterly => "四半期ごと",
        F::Annual => "毎年",
        F::Irregular => "不定期",
        F::Never => "更新なし",
    }
}

/// The day the data last changed: the newest of the dataset's and its resources'
/// modification times (stored as `YYYY-MM-DDThh:mm:ss…` in UTC).
fn last_update(d: &Dataset) -> Option<Date> {
    std::iter::once(&d.metadata_modified)
        .chain(d.resources.iter().map(|r| &r.last_modified))
        .filter_map(|s| parse_day(s))
        .max()
}

fn parse_day(s: &str) -> Option<Date> {
    let day = s.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(day, &format).ok()
}

fn conformity_check(standard: &str, summary: Option<&ValidationSummary>) -> Check {
    let title = (
        "標準データセットへの適合",
        "Conformity to the standard dataset",
    );
    let name = crate::standard::schema(standard).map_or(standard, |s| s.title_ja);
    let name_en = crate::standard::schema(standard).map_or(standard, |s| s.title_en);
    match summary {
        None => check(
            "conformity",
            false,
            10,
            title,
            (
                format!("{name}の形式のファイルをアップロードし、検証してください。"),
                format!("Upload a file in the {name_en} format and validate it."),
            ),
        ),
        Some(s) => check(
            "conformity",
            s.conforms(),
            10,
            title,
            (
                format!(
                    "{name}の検証で{}件のエラーがあります。検証結果を確認し、提案された修正を適用してください。",
                    s.errors
                ),
                format!(
                    "Validation against {name_en} found {} errors. See the report and apply the offered repairs.",
                    s.errors
                ),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::validate;

    fn dataset() -> Dataset {
        let mut value = serde_json::json!({
            "id": "1", "name": "aed", "title": "AED設置箇所一覧",
            "notes": "山口市内の公共施設に設置されたAED（自動体外式除細動器）の設置場所、利用できる曜日と時間の一覧です。毎年4月1日時点で更新します。",
            "owner_org": "yamaguchi-city", "state": "active", "private": false,
            "license_id": "cc-by-4.0", "author": "", "author_email": "",
            "maintainer": "", "maintainer_email": "dx@example.jp", "version": "", "url": "",
            "tags": ["AED"], "groups": [], "extras": [], "spatial": ["35203"],
            "temporal_start": "2024-04-01", "temporal_end": null, "frequency": "annual",
            "standard": null, "series": false,
            "metadata_created": "2024-04-01T00:00:00.000000",
            "metadata_modified": "2024-04-01T00:00:00.000000", "creator_user_id": null,
        });
        let resource = serde_json::json!({
            "id": "r", "package_id": "1", "name": "aed.csv", "description": "",
            "format": "CSV", "mimetype": "", "url": "", "url_type": "upload", "size": 1,
            "hash": "", "position": 0, "period": null, "version": 1, "created": "",
            "last_modified": "2024-04-02T00:00:00.000000", "table": null
        });
        value["resources"] = serde_json::json!([resource]);
        serde_json::from_value(value).unwrap()
    }

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2024-10-01 0:00 UTC)
    }

    fn by_id<'a>(r: &'a QualityReport, id: &str) -> &'a Check {
        r.checks.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn a_complete_dataset_scores_100() {
        let r = score(&dataset(), now(), None);
        assert_eq!(r.score, 100, "{:#?}", r.checks);
        assert_eq!(r.to_fix().count(), 0);
        assert!(r.checks.iter().all(|c| c.id != "conformity"));
    }

    #[test]
    fn each_missing_item_costs_points_with_a_hint() {
        let mut d = dataset();
        d.notes = "AEDの一覧".into();
        d.license_id = "other-closed".into();
        d.resources[0].format = "PDF".into();
        d.spatial.clear();
        d.temporal_start = None;
        d.tags.clear();
        d.maintainer_email.clear();
        let r = score(&d, now(), None);
        let failed: Vec<&str> = r.to_fix().map(|c| c.id).collect();
        assert_eq!(
            failed,
            vec![
                "description",
                "license",
                "open_format",
                "spatial",
                "temporal",
                "tags",
                "contact"
            ]
        );
        assert_eq!(r.score, 15 * 100 / 90 + 1); // only the frequency (15 of 90), rounded
        let hint = &by_id(&r, "description").hint_ja;
        assert!(
            hint.contains("50文字") && hint.contains("現在6文字"),
            "{hint}"
        );
        assert!(by_id(&r, "open_format").hint_en.contains("PDF"));
    }

    #[test]
    fn frequency_stated_and_kept() {
        let mut d = dataset();
        // Last update 2024-04-02; annual allows 366 days.
        assert!(by_id(&score(&d, now(), None), "frequency").passed);
        let later = time::macros::datetime!(2025-04-10 0:00 UTC);
        let c = score(&d, later, None)
            .checks
            .into_iter()
            .find(|c| c.id == "frequency")
            .unwrap();
        assert_eq!((c.passed, c.points, c.max), (false, 5, 15));
        assert!(
            c.hint_ja.contains("毎年") && c.hint_ja.contains("373日前"),
            "{}",
            c.hint_ja
        );

        d.frequency = Some(crate::Frequency::Irregular);
        assert!(by_id(&score(&d, later, None), "frequency").passed);
        d.frequency = None;
        assert_eq!(by_id(&score(&d, later, None), "frequency").points, 0);
    }

    #[test]
    fn conformity_counts_for_standard_datasets() {
        let mut d = dataset();
        d.standard = Some("aed".into());
        let r = score(&d, now(), None);
        assert!(!by_id(&r, "conformity").passed);
        assert_eq!(r.score, 90);
        assert!(by_id(&r, "conformity").hint_ja.contains("AED設置箇所一覧"));

        let good = "全国地方公共団体コード,ID,地方公共団体名,名称,住所,緯度,経度,設置位置\n\
                    352039,1,山口市,山口県庁,山口市滝町1-1,34.1859,131.4706,ロビー\n";
        let report = validate(&crate::standard::AED, good.as_bytes());
        assert_eq!(score(&d, now(), Some(&report.summary)).score, 100);

        let bad = good.replace("352039", "352038");
        let report = validate(&crate::standard::AED, bad.as_bytes());
        let r = score(&d, now(), Some(&report.summary));
        assert!(by_id(&r, "conformity").hint_ja.contains("1件のエラー"));
        assert_eq!(r.score, 90);
    }
}
