//! Sample data for `ydx demo`: standard datasets (AED, 指定緊急避難場所, 公共施設) for several
//! municipalities with rows placed inside each municipality, a bear-sighting series over
//! fiscal years 2022–2024, and population by municipality. Deterministic: the same call
//! writes the same rows. Every dataset says in its notes that it is sample data.
//!
//! Organisations are created by the caller (accounts are not the catalog's);
//! [`required_organizations`] lists the ones the sample data is published under, with the ids
//! [`municipality_org_id`] gives.

use ydx_accounts::{OrgKind, Organization, Principal};
use ydx_region::{MUNICIPALITIES, Region};

use crate::error::{CatalogError, Result};
use crate::model::{Frequency, Group};
use crate::resources::{ResourceFields, ResourceSource};
use crate::store::{Catalog, DatasetFields};

/// The prefecture's digital department (statistics and open data).
pub const PREF_DIGITAL_ORG: &str = "pref-digital";
/// The prefecture's environment department (wildlife: bear sightings).
pub const PREF_ENVIRONMENT_ORG: &str = "pref-environment";

/// The organisation id of a municipality, from its English name: "Yamaguchi City" →
/// `yamaguchi-city`, "Suo-Oshima Town" → `suo-oshima-town`. Unknown codes give
/// `municipality-<code>`.
pub fn municipality_org_id(code: &str) -> String {
    match MUNICIPALITIES.iter().find(|m| m.code == code) {
        Some(m) => m
            .name_en
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-"),
        None => format!("municipality-{code}"),
    }
}

/// The organisations the sample datasets belong to: the 19 municipalities and two
/// prefecture departments. The demo creates them before [`populate`].
pub fn required_organizations() -> Vec<Organization> {
    let mut out: Vec<Organization> = MUNICIPALITIES
        .iter()
        .map(|m| Organization {
            id: municipality_org_id(m.code),
            kind: OrgKind::Municipality,
            name_ja: m.name_ja.to_string(),
            name_en: m.name_en.to_string(),
            municipality_code: Some(m.code.to_string()),
            description: String::new(),
            created_at: String::new(),
        })
        .collect();
    for (id, ja, en) in [
        (
            PREF_DIGITAL_ORG,
            "山口県 デジタル推進局",
            "Yamaguchi Prefecture Digital Promotion Bureau",
        ),
        (
            PREF_ENVIRONMENT_ORG,
            "山口県 環境生活部 自然保護課",
            "Yamaguchi Prefecture Nature Conservation Division",
        ),
    ] {
        out.push(Organization {
            id: id.to_string(),
            kind: OrgKind::PrefectureDepartment,
            name_ja: ja.to_string(),
            name_en: en.to_string(),
            municipality_code: None,
            description: String::new(),
            created_at: String::new(),
        });
    }
    out
}

/// Groups (themes) the sample datasets use; created by [`populate`] when missing.
pub fn sample_groups() -> Vec<Group> {
    [
        ("bousai", "防災", "Disaster prevention"),
        ("health-welfare", "健康・福祉", "Health and welfare"),
        ("facilities", "公共施設", "Public facilities"),
        ("nature", "自然・環境", "Nature and environment"),
        ("population", "人口・統計", "Population and statistics"),
    ]
    .into_iter()
    .map(|(name, ja, en)| Group {
        name: name.to_string(),
        title_ja: ja.to_string(),
        title_en: en.to_string(),
        description: String::new(),
    })
    .collect()
}

/// What [`populate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleReport {
    pub datasets: usize,
    pub resources: usize,
    /// Datasets skipped because one with the same name already existed.
    pub skipped: usize,
}

/// Municipalities that get the three standard datasets.
const STANDARD_MUNICIPALITIES: [&str; 6] = ["35203", "35201", "35204", "35202", "35215", "35502"];
/// The one municipality whose AED file is published in Shift_JIS (as many still are).
const SHIFT_JIS_MUNICIPALITY: &str = "35204";

const SAMPLE_NOTE: &str = "※これはデモ用に自動生成したサンプルデータです。実在の施設・出来事とは関係ありません。\n\
(Sample data generated for the demo; not real records.)";

/// splitmix64: a tiny deterministic generator, enough for sample rows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn seed_of(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A CSV cell, quoted when it needs to be.
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

const PLACE_PARTS: [&str; 16] = [
    "中央", "東", "西", "南", "北", "本町", "大町", "新町", "旭", "桜", "緑", "宮野", "小郡",
    "吉田", "大内", "川西",
];

struct Place {
    name: String,
    kana: String,
    address: String,
    lat: f64,
    lon: f64,
}

fn places(
    region: &Region,
    code: &str,
    kinds: &[(&str, &str)],
    n: usize,
    salt: &str,
) -> Result<Vec<Place>> {
    let m = MUNICIPALITIES
        .iter()
        .find(|m| m.code == code)
        .ok_or_else(|| CatalogError::BadQuery(format!("unknown municipality {code}")))?;
    let mut rng = Rng(seed_of(&format!("{code}{salt}")));
    let mut points = region
        .random_points_inside(code, seed_of(salt) ^ seed_of(code))
        .map_err(|e| CatalogError::BadQuery(e.to_string()))?;
    let mut out = Vec::with_capacity(n);
    let mut used = std::collections::HashSet::new();
    while out.len() < n {
        let part = rng.pick(&PLACE_PARTS);
        let (kind, kana) = kinds[rng.below(kinds.len() as u64) as usize];
        let mut name = format!("{part}{kind}");
        if !used.insert(name.clone()) {
            name = format!("{part}第{}{kind}", out.len() + 2);
            used.insert(name.clone());
        }
        let Some(p) = points.next() else { break };
        out.push(Place {
            name,
            kana: kana.to_string(),
            address: format!(
                "山口県{}{part}{}丁目{}番{}号",
                m.name_ja,
                rng.below(5) + 1,
                rng.below(30) + 1,
                rng.below(20) + 1
            ),
            lat: (p.lat * 1e6).round() / 1e6,
            lon: (p.lon * 1e6).round() / 1e6,
        });
    }
    Ok(out)
}

/// Writes the sample datasets. `admin` must be a prefecture admin (it creates groups and
/// publishes for every organisation). Datasets whose name exists are left alone, so running
/// it twice adds nothing.
pub async fn populate(catalog: &Catalog, admin: &Principal) -> Result<SampleReport> {
    let region = Region::bundled().map_err(|e| CatalogError::BadQuery(e.to_string()))?;
    let mut report = SampleReport::default();
    for g in sample_groups() {
        if catalog.group(&g.name).await?.is_none() {
            catalog.create_group(admin, &g).await?;
        }
    }
    for code in STANDARD_MUNICIPALITIES {
        let m = MUNICIPALITIES
            .iter()
            .find(|m| m.code == code)
            .ok_or_else(|| CatalogError::BadQuery(code.to_string()))?;
        let org = municipality_org_id(code);
        let slug = org.clone();
        let lg = m.lg_code;

        // AED設置箇所一覧
        let aed_places = places(
            region,
            code,
            &[
                ("小学校", "ショウガッコウ"),
                ("中学校", "チュウガッコウ"),
                ("公民館", "コウミンカン"),
                ("体育館", "タイイクカン"),
                ("支所", "シショ"),
            ],
            24,
            "aed",
        )?;
        let mut rng = Rng(seed_of(&format!("aed{code}")));
        let rows: Vec<Vec<String>> = aed_places
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    lg.to_string(),
                    format!("{lg}{:04}", i + 1),
                    m.name_ja.to_string(),
                    p.name.clone(),
                    p.kana.clone(),
                    p.address.clone(),
                    p.lat.to_string(),
                    p.lon.to_string(),
                    rng.pick(&["1階玄関", "職員室前", "事務室", "体育館入口"])
                        .to_string(),
                    rng.pick(&["月火水木金", "月火水木金土日", "月火水木金土"])
                        .to_string(),
                    "08:30".to_string(),
                    "17:15".to_string(),
                    format!(
                        "0{}-{:02}-{:04}",
                        83 + rng.below(5),
                        rng.below(90) + 10,
                        rng.below(9000) + 1000
                    ),
                    String::new(),
                ]
            })
            .collect();
        let text = csv(
            &[
                "全国地方公共団体コード",
                "ID",
                "地方公共団体名",
                "名称",
                "名称_カナ",
                "住所",
                "緯度",
                "経度",
                "設置位置",
                "利用可能曜日",
                "開始時間",
                "終了時間",
                "電話番号",
                "備考",
            ],
            &rows,
        );
        let bytes = if code == SHIFT_JIS_MUNICIPALITY {
            encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        publish(
            catalog,
            admin,
            &mut report,
            DatasetFields {
                name: format!("{slug}-aed"),
                title: format!("AED設置箇所一覧（{}）", m.name_ja),
                notes: format!("{}内の公共施設に設置されたAED（自動体外式除細動器）の一覧です。自治体標準オープンデータセットの形式です。\n\n{SAMPLE_NOTE}", m.name_ja),
                owner_org: org.clone(),
                license_id: "cc-by-4.0".into(),
                tags: vec!["AED".into(), "防災".into(), "医療".into(), "サンプルデータ".into()],
                groups: vec!["health-welfare".into(), "bousai".into()],
                spatial: vec![code.into()],
                frequency: Some(Frequency::Annual),
                standard: Some("aed".into()),
                ..DatasetFields::default()
            },
            vec![(format!("AED設置箇所一覧_{}.csv", m.name_ja), None, bytes)],
        )
        .await?;

        // 指定緊急避難場所一覧
        let sites = places(
            region,
            code,
            &[
                ("小学校", "ショウガッコウ"),
                ("中学校", "チュウガッコウ"),
                ("公園", "コウエン"),
                ("公民館", "コウミンカン"),
                ("運動広場", "ウンドウヒロバ"),
            ],
            30,
            "evac",
        )?;
        let mut rng = Rng(seed_of(&format!("evac{code}")));
        let flag = |r: &mut Rng| {
            if r.below(3) == 0 {
                String::new()
            } else {
                "1".to_string()
            }
        };
        let rows: Vec<Vec<String>> = sites
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut row = vec![
                    lg.to_string(),
                    format!("{lg}{:04}", i + 1),
                    m.name_ja.to_string(),
                    p.name.clone(),
                    p.kana.clone(),
                    p.address.clone(),
                    p.lat.to_string(),
                    p.lon.to_string(),
                    format!("{:.1}", 2.0 + (rng.below(800) as f64) / 10.0),
                ];
                for _ in 0..8 {
                    row.push(flag(&mut rng));
                }
                row.push(if rng.below(2) == 0 {
                    "1".into()
                } else {
                    String::new()
                });
                row.push(String::new());
                row.push(String::new());
                row
            })
            .collect();
        let text = csv(
            &[
                "全国地方公共団体コード",
                "ID",
                "地方公共団体名",
                "名称",
                "名称_カナ",
                "住所",
                "緯度",
                "経度",
                "標高",
                "洪水",
                "崖崩れ、土石流及び地滑り",
                "高潮",
                "地震",
                "津波",
                "大規模な火事",
                "内水氾濫",
                "火山現象",
                "指定避難所との住所同一",
                "電話番号",
                "備考",
            ],
            &rows,
        );
        publish(
            catalog,
            admin,
            &mut report,
            DatasetFields {
                name: format!("{slug}-evacuation-sites"),
                title: format!("指定緊急避難場所一覧（{}）", m.name_ja),
                notes: format!("{}の指定緊急避難場所と、対応する災害の種別（洪水、土砂災害、高潮、地震、津波など）です。\n\n{SAMPLE_NOTE}", m.name_ja),
                owner_org: org.clone(),
                license_id: "cc-by-4.0".into(),
                tags: vec!["避難所".into(), "防災".into(), "サンプルデータ".into()],
                groups: vec!["bousai".into()],
                spatial: vec![code.into()],
                frequency: Some(Frequency::Annual),
                standard: Some("evacuation_site".into()),
                ..DatasetFields::default()
            },
            vec![(format!("指定緊急避難場所一覧_{}.csv", m.name_ja), None, text.into_bytes())],
        )
        .await?;

        // 公共施設一覧
        let fac = places(
            region,
            code,
            &[
                ("図書館", "トショカン"),
                ("市民センター", "シミンセンター"),
                ("公民館", "コウミンカン"),
                ("体育館", "タイイクカン"),
                ("児童館", "ジドウカン"),
                ("文化会館", "ブンカカイカン"),
            ],
            20,
            "fac",
        )?;
        let mut rng = Rng(seed_of(&format!("fac{code}")));
        let rows: Vec<Vec<String>> = fac
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    lg.to_string(),
                    format!("{lg}{:04}", i + 1),
                    m.name_ja.to_string(),
                    p.name.clone(),
                    p.kana.clone(),
                    String::new(),
                    rng.pick(&["0201", "0202", "0301", "0401"]).to_string(),
                    p.address.clone(),
                    p.lat.to_string(),
                    p.lon.to_string(),
                    format!(
                        "0{}-{:02}-{:04}",
                        83 + rng.below(5),
                        rng.below(90) + 10,
                        rng.below(9000) + 1000
                    ),
                    "月火水木金土".to_string(),
                    "09:00".to_string(),
                    "21:00".to_string(),
                    String::new(),
                ]
            })
            .collect();
        let text = csv(
            &[
                "全国地方公共団体コード",
                "ID",
                "地方公共団体名",
                "名称",
                "名称_カナ",
                "名称_英字",
                "POIコード",
                "住所",
                "緯度",
                "経度",
                "電話番号",
                "利用可能曜日",
                "開始時間",
                "終了時間",
                "備考",
            ],
            &rows,
        );
        publish(
            catalog,
            admin,
            &mut report,
            DatasetFields {
                name: format!("{slug}-public-facilities"),
                title: format!("公共施設一覧（{}）", m.name_ja),
                notes: format!("{}の図書館、公民館、体育館などの公共施設の所在地と開館時間です。\n\n{SAMPLE_NOTE}", m.name_ja),
                owner_org: org.clone(),
                license_id: "cc-by-4.0".into(),
                tags: vec!["公共施設".into(), "サンプルデータ".into()],
                groups: vec!["facilities".into()],
                spatial: vec![code.into()],
                frequency: Some(Frequency::Annual),
                standard: Some("public_facility".into()),
                ..DatasetFields::default()
            },
            vec![(format!("公共施設一覧_{}.csv", m.name_ja), None, text.into_bytes())],
        )
        .await?;
    }

    // ツキノワグマ出没情報: one series, one CSV per fiscal year.
    let bear_municipalities = [
        "35208", "35215", "35203", "35204", "35211", "35502", "35201", "35213",
    ];
    let mut files = Vec::new();
    for fy in [2022i32, 2023, 2024] {
        let mut rng = Rng(seed_of(&format!("bear{fy}")));
        let n = 60 + (fy - 2022) as usize * 25;
        let mut rows = Vec::with_capacity(n);
        let mut dates: Vec<(i32, u64, u64)> = (0..n)
            .map(|_| {
                // Sightings cluster from spring to autumn.
                let month = [4u64, 5, 5, 6, 6, 7, 8, 9, 9, 10, 10, 11][rng.below(12) as usize];
                (fy, month, rng.below(28) + 1)
            })
            .collect();
        dates.sort();
        for (i, (y, month, day)) in dates.into_iter().enumerate() {
            let code = bear_municipalities[rng.below(bear_municipalities.len() as u64) as usize];
            let m = MUNICIPALITIES
                .iter()
                .find(|m| m.code == code)
                .ok_or_else(|| CatalogError::BadQuery(code.into()))?;
            let p = region
                .random_point_inside(code, seed_of(&format!("bear{fy}-{i}")))
                .map_err(|e| CatalogError::BadQuery(e.to_string()))?;
            rows.push(vec![
                format!("{fy}-{:03}", i + 1),
                format!("{y}-{month:02}-{day:02}"),
                m.name_ja.to_string(),
                format!("{}{}地区", m.name_ja, rng.pick(&PLACE_PARTS)),
                format!("{:.6}", p.lat),
                format!("{:.6}", p.lon),
                (1 + rng.below(10) / 8).to_string(),
                rng.pick(&["目撃", "目撃", "目撃", "痕跡", "足跡", "柿の木に食痕"])
                    .to_string(),
            ]);
        }
        let text = csv(
            &[
                "番号",
                "出没日",
                "市町名",
                "場所",
                "緯度",
                "経度",
                "頭数",
                "状況",
            ],
            &rows,
        );
        files.push((
            format!("ツキノワグマ出没情報_{fy}年度.csv"),
            Some(fy.to_string()),
            text.into_bytes(),
        ));
    }
    publish(
        catalog,
        admin,
        &mut report,
        DatasetFields {
            name: "bear-sightings".into(),
            title: "ツキノワグマ出没情報".into(),
            notes: format!("県内で寄せられたツキノワグマの目撃・痕跡情報です。年度ごとに1ファイルを公開しています（シリーズ）。\n\n{SAMPLE_NOTE}"),
            owner_org: PREF_ENVIRONMENT_ORG.into(),
            license_id: "cc-by-4.0".into(),
            tags: vec!["クマ".into(), "野生鳥獣".into(), "安全".into(), "サンプルデータ".into()],
            groups: vec!["nature".into(), "bousai".into()],
            spatial: bear_municipalities.iter().map(|c| c.to_string()).collect(),
            temporal_start: Some("2022-04-01".into()),
            temporal_end: Some("2025-03-31".into()),
            frequency: Some(Frequency::Monthly),
            series: true,
            ..DatasetFields::default()
        },
        files,
    )
    .await?;

    // Population by municipality (2020 census, approximate figures).
    let population: [u64; 19] = [
        255_051, 162_570, 189_972, 44_626, 113_979, 56_976, 129_125, 49_798, 32_519, 30_799,
        23_247, 137_540, 60_326, 14_798, 6_068, 2_428, 14_634, 11_350, 3_055,
    ];
    let rows: Vec<Vec<String>> = MUNICIPALITIES
        .iter()
        .zip(population)
        .map(|(m, p)| {
            vec![
                m.lg_code.to_string(),
                m.name_ja.to_string(),
                m.name_en.to_string(),
                p.to_string(),
            ]
        })
        .collect();
    let text = csv(
        &["全国地方公共団体コード", "市町名", "市町名_英字", "人口"],
        &rows,
    );
    publish(
        catalog,
        admin,
        &mut report,
        DatasetFields {
            name: "population-by-municipality".into(),
            title: "市町別人口（令和2年国勢調査）".into(),
            notes: format!("県内19市町の人口（令和2年国勢調査、概数）です。正確な値は総務省統計局の公表値をご確認ください。\n\n{SAMPLE_NOTE}"),
            owner_org: PREF_DIGITAL_ORG.into(),
            license_id: "cc-by-4.0".into(),
            tags: vec!["人口".into(), "国勢調査".into(), "統計".into(), "サンプルデータ".into()],
            groups: vec!["population".into()],
            temporal_start: Some("2020-10-01".into()),
            temporal_end: Some("2020-10-01".into()),
            frequency: Some(Frequency::Irregular),
            ..DatasetFields::default()
        },
        vec![("市町別人口_R2国勢調査.csv".into(), None, text.into_bytes())],
    )
    .await?;
    Ok(report)
}

/// Creates one dataset with its files unless its name is taken.
async fn publish(
    catalog: &Catalog,
    admin: &Principal,
    report: &mut SampleReport,
    fields: DatasetFields,
    files: Vec<(String, Option<String>, Vec<u8>)>,
) -> Result<()> {
    if catalog.resolve_id(&fields.name).await?.is_some() {
        report.skipped += 1;
        return Ok(());
    }
    let d = catalog.create_dataset(admin, fields).await?;
    report.datasets += 1;
    for (filename, period, bytes) in files {
        let name = filename
            .rsplit_once('.')
            .map_or(filename.as_str(), |(n, _)| n)
            .to_string();
        catalog
            .add_resource(
                admin,
                &d.id,
                ResourceFields {
                    name,
                    period,
                    ..ResourceFields::default()
                },
                ResourceSource::Upload { bytes, filename },
            )
            .await?;
        report.resources += 1;
    }
    Ok(())
}
