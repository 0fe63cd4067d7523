//! XLSX uploads: read as tables like CSV, refused clearly when they cannot be.
//!
//! Workbooks are written here with `rust_xlsxwriter` (shared strings, number formats for
//! dates, formulas with cached results, error values), and encrypted or old-format files as
//! compound files with `cfb`, the container both use.

use std::io::Write;

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet};
use ydx_catalog::standard::{AED, IssueCode, validate_upload};
use ydx_catalog::table::read_xlsx;
use ydx_catalog::xlsx::{MAX_UNZIPPED_BYTES, check_package, read_sheet};
use ydx_catalog::{
    CatalogError, DatasetFields, ResourceFields, ResourceSource, TableQuery, TableSort,
};

use crate::{envs, fields};

/// Writes text cells as Excel does when they are typed: numbers become numbers, TRUE/FALSE
/// booleans, anything else a (shared) string; an empty cell is left out.
fn put(ws: &mut Worksheet, row: u32, col: u16, cell: &str) {
    if cell.is_empty() {
        return;
    }
    match cell {
        "TRUE" | "FALSE" => ws.write_boolean(row, col, cell == "TRUE").map(|_| ()),
        _ => match cell.parse::<f64>() {
            Ok(n) => ws.write_number(row, col, n).map(|_| ()),
            Err(_) => ws.write_string(row, col, cell).map(|_| ()),
        },
    }
    .unwrap();
}

/// A workbook with one sheet holding `rows` from A1.
fn book(sheet: &str, rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            put(ws, r as u32, c as u16, cell);
        }
    }
    wb.save_to_buffer().unwrap()
}

/// A compound file with the given streams: what Excel writes for an encrypted workbook
/// (`EncryptionInfo` + `EncryptedPackage`) or an old `.xls` (`Workbook`).
fn compound(streams: &[&str]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    for name in streams {
        let mut s = file.create_stream(format!("/{name}")).unwrap();
        s.write_all(&[0u8; 600]).unwrap();
    }
    file.flush().unwrap();
    file.into_inner().into_inner()
}

fn bad_file(bytes: &[u8]) -> (u64, String) {
    match read_xlsx(bytes) {
        Err(CatalogError::BadFile { line, message }) => (line, message),
        other => panic!("expected BadFile, got {other:?}"),
    }
}

/// One row of [`facilities_book`], written at 0-based worksheet row `row`.
struct Facility {
    row: u32,
    no: &'static str,
    name: &'static str,
    lat: f64,
    lon: f64,
    opened: (u16, u8, u8),
    updated: (u16, u8),
    opens: u16,
    /// A formula and the result Excel saved with it.
    capacity: (&'static str, &'static str),
    parking: bool,
    wareki: &'static str,
}

/// The facilities table, as a municipality's workbook has it: a hidden sheet and an empty
/// one before it, the table starting at B2, dates as date cells, a formula, a gap row, a
/// short row, a blank and a repeated header.
fn facilities_book() -> Vec<u8> {
    let mut wb = Workbook::new();
    let memo = wb.add_worksheet();
    memo.set_name("メモ").unwrap();
    memo.write_string(0, 0, "内部用のメモ").unwrap();
    memo.set_hidden(true);
    wb.add_worksheet().set_name("空").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("施設一覧").unwrap().set_active(true);
    let date = Format::new().set_num_format("yyyy/m/d");
    let stamp = Format::new().set_num_format("yyyy/m/d h:mm");
    let clock = Format::new().set_num_format("h:mm");
    let header = [
        "番号",
        "名称",
        "緯度",
        "経度",
        "開設日",
        "更新日時",
        "開館",
        "定員",
        "駐車場",
        "和暦",
        "",
        "名称",
    ];
    for (c, h) in header.iter().enumerate() {
        put(ws, 1, 1 + c as u16, h);
    }
    let rows = [
        Facility {
            row: 2,
            no: "1",
            name: "山口県庁",
            lat: 34.1861,
            lon: 131.4705,
            opened: (2024, 4, 1),
            updated: (9, 30),
            opens: 8,
            capacity: ("=10*3", "30"),
            parking: true,
            wareki: "令和6年4月1日",
        },
        Facility {
            row: 3,
            no: "2",
            name: "下関市役所",
            lat: 33.9578,
            lon: 130.9414,
            opened: (1984, 4, 1),
            updated: (18, 0),
            opens: 9,
            capacity: ("=20+25", "45"),
            parking: false,
            wareki: "昭和59年4月1日",
        },
        // Row 5 (0-based 4) is left empty.
        Facility {
            row: 5,
            no: "3",
            name: "萩市役所",
            lat: 34.4081,
            lon: 131.399,
            opened: (2020, 1, 15),
            updated: (7, 5),
            opens: 10,
            capacity: ("=5*2", "10"),
            parking: true,
            wareki: "H31.4.30",
        },
    ];
    for f in &rows {
        let r = f.row;
        put(ws, r, 1, f.no);
        ws.write_string(r, 2, f.name).unwrap();
        ws.write_number(r, 3, f.lat).unwrap();
        ws.write_number(r, 4, f.lon).unwrap();
        let (y, m, d) = f.opened;
        let day = ExcelDateTime::from_ymd(y, m, d).unwrap();
        ws.write_datetime_with_format(r, 5, &day, &date).unwrap();
        let at = day.and_hms(f.updated.0, f.updated.1, 0).unwrap();
        ws.write_datetime_with_format(r, 6, &at, &stamp).unwrap();
        let opens = ExcelDateTime::from_hms(f.opens, 0, 0).unwrap();
        ws.write_datetime_with_format(r, 7, &opens, &clock).unwrap();
        let (formula, result) = f.capacity;
        ws.write_formula(r, 8, Formula::new(formula).set_result(result))
            .unwrap();
        ws.write_boolean(r, 9, f.parking).unwrap();
        ws.write_string(r, 10, f.wareki).unwrap();
        // The repeated 名称 column is filled only on the first row (the others are short).
        if r == 2 {
            ws.write_string(r, 12, "県庁本館").unwrap();
        }
    }
    // A cell holding only spaces far to the right is empty: no extra column.
    ws.write_string(3, 20, "   ").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn cells_read_as_text_and_types_are_inferred() {
    let bytes = facilities_book();
    let sheet = read_sheet(&bytes).unwrap();
    assert_eq!(
        sheet.name, "施設一覧",
        "hidden and empty sheets are skipped"
    );
    assert_eq!(sheet.header_row, 2);
    let lines: Vec<u64> = sheet.rows.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        lines,
        vec![3, 4, 6],
        "worksheet rows; the empty row is no row"
    );

    let t = read_xlsx(&bytes).unwrap();
    assert_eq!(t.info.sheet.as_deref(), Some("施設一覧"));
    assert_eq!(
        (t.info.encoding.as_str(), t.info.delimiter.as_str()),
        ("", "")
    );
    assert_eq!(t.info.row_count, 3);
    let columns: Vec<(&str, &str)> = t
        .info
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.kind.as_str()))
        .collect();
    assert_eq!(
        columns,
        vec![
            ("番号", "integer"),
            ("名称", "text"),
            ("緯度", "latitude"),
            ("経度", "longitude"),
            ("開設日", "date"),
            ("更新日時", "text"),
            ("開館", "text"),
            ("定員", "integer"),
            ("駐車場", "boolean"),
            ("和暦", "date"),
            ("列11", "text"),
            ("名称_2", "text"),
        ]
    );
    assert_eq!(
        t.rows[0],
        [
            "1",
            "山口県庁",
            "34.1861",
            "131.4705",
            "2024-04-01",
            "2024-04-01T09:30:00",
            "08:00:00",
            "30",
            "TRUE",
            "令和6年4月1日",
            "",
            "県庁本館"
        ]
    );
    assert_eq!(
        t.rows[1][4..8],
        ["1984-04-01", "1984-04-01T18:00:00", "09:00:00", "45"]
    );
    assert_eq!(t.rows[2][3], "131.399");
    assert_eq!(t.rows[2][8], "TRUE");
    assert_eq!(t.rows[2][11], "", "short rows are padded");
    assert!(t.rows.iter().all(|r| r.len() == 12));
}

#[test]
fn unreadable_workbooks_are_refused_in_japanese() {
    let (line, message) = bad_file(b"");
    assert_eq!(line, 0);
    assert!(message.contains("空"), "{message}");

    for not_xlsx in [
        b"PK\x03\x04 but not really a zip".as_slice(),
        "番号,名称\n1,山口\n".as_bytes(),
    ] {
        let (line, message) = bad_file(not_xlsx);
        assert_eq!(line, 0);
        assert!(
            message.contains("XLSX（Excel ブック）として読めません"),
            "{message}"
        );
    }
    let good = book("Sheet1", &[&["a", "b"], &["1", "2"]]);
    let (_, message) = bad_file(&good[..good.len() / 2]);
    assert!(message.contains("読めません"), "truncated: {message}");

    let (_, message) = bad_file(&compound(&["EncryptionInfo", "EncryptedPackage"]));
    assert!(message.contains("パスワード"), "{message}");
    let (_, message) = bad_file(&compound(&["Workbook"]));
    assert!(message.contains("古い Excel 形式（.xls）"), "{message}");

    let mut wb = Workbook::new();
    wb.add_worksheet();
    let (line, message) = bad_file(&wb.save_to_buffer().unwrap());
    assert_eq!(line, 0);
    assert!(
        message.contains("値がありません"),
        "empty workbook: {message}"
    );

    // Values only in a hidden sheet: nothing to publish either.
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("表示").unwrap();
    let hidden = wb.add_worksheet();
    hidden.write_string(0, 0, "x").unwrap();
    hidden.set_hidden(true);
    let (_, message) = bad_file(&wb.save_to_buffer().unwrap());
    assert!(message.contains("値がありません"), "{message}");

    // An error value names its sheet and cell.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("集計").unwrap();
    ws.write_string(0, 0, "市町").unwrap();
    ws.write_string(0, 2, "割合").unwrap();
    ws.write_string(1, 0, "萩市").unwrap();
    ws.write_string(2, 0, "長門市").unwrap();
    ws.write_number(1, 2, 0.5).unwrap();
    ws.write_formula(2, 2, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    let (line, message) = bad_file(&wb.save_to_buffer().unwrap());
    assert_eq!(line, 3);
    assert!(
        message.contains("シート「集計」のセル C3") && message.contains("#DIV/0!"),
        "{message}"
    );
}

/// A title in A1 and a date line above a table that starts at B4: the title rows are
/// skipped and counted, and the table is as wide as its own columns.
#[test]
fn title_rows_above_the_table_are_skipped() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "公共施設一覧").unwrap();
    ws.write_string(1, 0, "令和6年4月1日現在").unwrap();
    for (r, row) in [["名称", "定員"], ["中央公民館", "120"], ["市民会館", "800"]]
        .iter()
        .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            put(ws, r as u32 + 3, c as u16 + 1, cell);
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let sheet = read_sheet(&bytes).unwrap();
    assert_eq!(sheet.title_rows, 2);
    assert_eq!(sheet.header_row, 4);
    assert_eq!(sheet.header, ["名称", "定員"]);
    assert_eq!(
        sheet.rows[1],
        (6, vec!["市民会館".to_owned(), "800".to_owned()])
    );
    let table = read_xlsx(&bytes).unwrap();
    assert_eq!(table.info.title_rows, 2);
    assert_eq!(table.info.columns[1].kind, "integer");
}

/// `bytes` (a zip) with the part `name` replaced by `content`, the others copied as they are.
fn replace_part(bytes: &[u8], name: &str, content: &[u8]) -> Vec<u8> {
    let mut from = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..from.len() {
        let part = from.by_index_raw(i).unwrap();
        if part.name().unwrap() == name {
            drop(part);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            to.start_file(name, options).unwrap();
            to.write_all(content).unwrap();
        } else {
            to.raw_copy_file(part).unwrap();
        }
    }
    to.finish().unwrap().into_inner()
}

/// Workbooks built to exhaust memory are refused before anything is unzipped: one whose
/// parts would unzip past the limit, and one whose string table claims billions of strings
/// (calamine reserves room for the number claimed; without the check this test aborts the
/// process with a failed allocation).
#[test]
fn workbooks_built_to_exhaust_memory_are_refused() {
    let good = book("Sheet1", &[&["名称", "住所"], &["萩市役所", "萩市江向510"]]);
    check_package(&good, MAX_UNZIPPED_BYTES).unwrap();
    let unzipped = {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&good[..])).unwrap();
        (0..zip.len())
            .map(|i| zip.by_index_raw(i).unwrap().size())
            .sum::<u64>()
    };
    check_package(&good, unzipped).unwrap();
    match check_package(&good, unzipped - 1) {
        Err(CatalogError::BadFile { line: 0, message }) => {
            assert!(message.contains("展開すると"), "{message}");
        }
        other => panic!("expected BadFile, got {other:?}"),
    }

    let claims = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="99999999999" uniqueCount="99999999999"><si><t>名称</t></si><si><t>住所</t></si><si><t>萩市役所</t></si><si><t>萩市江向510</t></si></sst>"#;
    let bomb = replace_part(&good, "xl/sharedStrings.xml", claims.as_bytes());
    let (line, message) = bad_file(&bomb);
    assert_eq!(line, 0);
    assert!(message.contains("sharedStrings.xml"), "{message}");
    // The same table with its true count reads as before.
    let honest = claims.replace("99999999999", "4");
    let fixed = replace_part(&good, "xl/sharedStrings.xml", honest.as_bytes());
    let sheet = read_sheet(&fixed).unwrap();
    assert_eq!(sheet.header, ["名称", "住所"]);
    assert_eq!(sheet.rows[0].1, ["萩市役所", "萩市江向510"]);
}

#[test]
fn header_names_follow_the_csv_rules() {
    let bytes = book(
        "Sheet1",
        &[&["名称", "", " 名称 ", "数"], &["a", "b", "c", "1"]],
    );
    let names: Vec<String> = read_xlsx(&bytes)
        .unwrap()
        .info
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect();
    let csv: Vec<String> = ydx_catalog::table::read_table("名称,, 名称 ,数\na,b,c,1\n".as_bytes())
        .unwrap()
        .info
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec!["名称", "列2", "名称_2", "数"]);
    assert_eq!(names, csv);
}

const V1: &[&[&str]] = &[
    &["番号", "名称", "人数", "緯度", "経度"],
    &["1", "中央公民館", "10", "34.1785", "131.4737"],
    &["2", "東小学校", "20", "34.18", "131.48"],
    &["3", "西体育館", "30", "34.17", "131.46"],
];
const V2: &[&[&str]] = &[
    &["番号", "名称", "人数", "緯度", "経度"],
    &["1", "中央公民館", "10", "34.1785", "131.4737"],
    &["2", "東小学校", "25", "34.18", "131.48"],
    &["4", "ＡＥＤ北分室", "5", "34.2", "131.5"],
    &["5", "南図書館", "1200", "34.15", "131.45"],
];

#[tokio::test]
async fn upload_query_versions_and_refusals() {
    for env in envs().await {
        let c = &env.catalog;
        let d = c
            .create_dataset(&env.yamaguchi, fields("facilities", "公共施設一覧"))
            .await
            .unwrap();
        let r = c
            .add_resource(
                &env.yamaguchi,
                "facilities",
                ResourceFields::default(),
                ResourceSource::Upload {
                    bytes: book("施設", V1),
                    filename: "施設.xlsx".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(r.format, "XLSX");
        assert_eq!(
            r.mimetype,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let t = r.table.clone().unwrap();
        assert_eq!((t.row_count, t.sheet.as_deref()), (3, Some("施設")));
        let kinds: Vec<&str> = t.columns.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec!["integer", "text", "integer", "latitude", "longitude"]
        );
        // The stored table info reads back (with its sheet) from the database.
        let shown = c.show(None, "facilities").await.unwrap();
        assert_eq!(shown.resources[0].table, Some(t));

        let r2 = c
            .upload_version(
                &env.yamaguchi,
                &r.id,
                book("施設", V2),
                "施設_v2.xlsx",
                None,
            )
            .await
            .unwrap();
        assert_eq!(r2.version, 2);
        let versions = c.resource_versions(None, &r.id).await.unwrap();
        assert_eq!(versions[0].format, "XLSX");
        let ch = versions[0].change.clone().unwrap();
        assert_eq!(
            (ch.rows_added, ch.rows_removed, ch.rows_changed),
            (2, 1, 1),
            "keyed by 番号"
        );

        let res = c
            .table_query(
                None,
                &r.id,
                &TableQuery {
                    sort: Some(TableSort {
                        column: "人数".into(),
                        descending: true,
                    }),
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(res.total, 4);
        assert_eq!(res.records[0]["人数"], serde_json::json!(1200));
        assert_eq!(res.records[0]["名称"], "南図書館");
        let res = c
            .table_query(
                None,
                &r.id,
                &TableQuery {
                    q: Some("aed".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(res.total, 1, "q matches full-width ＡＥＤ");

        // Refused files change nothing.
        let before = c.show(None, &d.id).await.unwrap();
        for (bytes, name) in [
            (b"not a workbook".to_vec(), "bad.xlsx"),
            (
                compound(&["EncryptionInfo", "EncryptedPackage"]),
                "locked.xlsx",
            ),
        ] {
            let err = c
                .upload_version(&env.yamaguchi, &r.id, bytes.clone(), name, None)
                .await
                .unwrap_err();
            assert!(matches!(err, CatalogError::BadFile { .. }), "{err:?}");
            let err = c
                .add_resource(
                    &env.yamaguchi,
                    "facilities",
                    ResourceFields::default(),
                    ResourceSource::Upload {
                        bytes,
                        filename: name.into(),
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(err, CatalogError::BadFile { .. }), "{err:?}");
        }
        assert_eq!(c.show(None, &d.id).await.unwrap(), before);
        assert_eq!(c.resource_versions(None, &r.id).await.unwrap().len(), 2);

        // A CSV version after the workbook is compared with it, and read as CSV.
        let csv = "番号,名称,人数,緯度,経度\n1,中央公民館,10,34.1785,131.4737\n2,東小学校,25,34.18,131.48\n";
        c.upload_version(
            &env.yamaguchi,
            &r.id,
            csv.as_bytes().to_vec(),
            "施設.csv",
            None,
        )
        .await
        .unwrap();
        let versions = c.resource_versions(None, &r.id).await.unwrap();
        let ch = versions[0].change.clone().unwrap();
        assert_eq!((ch.rows_added, ch.rows_removed, ch.rows_changed), (0, 2, 0));
        let res = c
            .table_query(None, &r.id, &TableQuery::default())
            .await
            .unwrap();
        assert_eq!(res.total, 2);
    }
}

#[tokio::test]
async fn series_combine_workbooks_and_csv() {
    for env in envs().await {
        let c = &env.catalog;
        c.create_dataset(
            &env.yamaguchi,
            DatasetFields {
                series: true,
                ..fields("bears", "ツキノワグマ出没情報")
            },
        )
        .await
        .unwrap();
        let files = [
            (
                "2023",
                "bears.xlsx",
                book("R5", &[&["番号", "状況"], &["1", "目撃"], &["2", "痕跡"]]),
            ),
            (
                "2024",
                "bears.csv",
                "番号,状況\n1,目撃\n".as_bytes().to_vec(),
            ),
        ];
        for (fy, filename, bytes) in files {
            c.add_resource(
                &env.yamaguchi,
                "bears",
                ResourceFields {
                    name: format!("{fy}年度"),
                    period: Some(fy.into()),
                    ..Default::default()
                },
                ResourceSource::Upload {
                    bytes,
                    filename: filename.into(),
                },
            )
            .await
            .unwrap();
        }
        let all = c
            .series_table_query(None, "bears", &TableQuery::default())
            .await
            .unwrap();
        assert_eq!(all.total, 3);
        assert_eq!(all.records[0]["period"], "2023");
        assert_eq!(all.records[1]["状況"], "痕跡");
        assert_eq!(all.records[2]["period"], "2024");
    }
}

#[test]
fn standard_datasets_validate_workbooks_by_sheet_row() {
    let header = [
        "全国地方公共団体コード",
        "ID",
        "地方公共団体名",
        "名称",
        "所在地_連結表記",
        "緯度",
        "経度",
        "設置位置",
    ];
    let good = [
        "352039",
        "3520390001",
        "山口市",
        "山口県庁",
        "山口県山口市滝町1-1",
        "34.1859",
        "131.4706",
        "1階ロビー",
    ];
    // The second data row has a wrong check digit and an empty required name.
    let mut bad = good;
    bad[0] = "352038";
    bad[1] = "3520390002";
    bad[3] = "";
    // The table starts on row 2, below an empty row: issues name worksheet rows.
    let bytes = book("AED", &[&[], &header, &good, &bad]);
    let report = validate_upload(&AED, "XLSX", &bytes);
    assert_eq!(report.encoding, "xlsx");
    assert_eq!(report.rows, 2);
    let found: Vec<(Option<u64>, IssueCode)> = report
        .issues
        .iter()
        .filter(|i| i.row.is_some_and(|r| r > 2))
        .map(|i| (i.row, i.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some(4), IssueCode::LgCodeCheckDigit),
            (Some(4), IssueCode::RequiredEmpty)
        ],
        "{:#?}",
        report.issues
    );
    assert_eq!(report.summary.errors, 2, "{:#?}", report.issues);
    assert!(report.repairs.is_empty(), "repairs rewrite text files only");
    assert!(report.issues.iter().all(|i| i.repair.is_none()));

    // A title above the header: the standard wants the header in row 1, and says so once;
    // the table below is still checked column by column. The CSV says the same.
    let titled = book(
        "AED",
        &[&["AED設置箇所一覧（令和6年4月1日現在）"], &header, &good],
    );
    let report = validate_upload(&AED, "XLSX", &titled);
    let codes: Vec<IssueCode> = report.issues.iter().map(|i| i.code).collect();
    assert_eq!(codes, [IssueCode::TitleRows], "{:#?}", report.issues);
    assert!(report.issues[0].message_ja.contains("1行"));
    assert_eq!(report.rows, 1);
    // A CSV's title rows are offered for removal, and nothing is removed unless accepted.
    let csv = format!(
        "AED設置箇所一覧\n{}\n{}\n",
        header.join(","),
        good.join(",")
    );
    let report = validate_upload(&AED, "CSV", csv.as_bytes());
    let codes: Vec<IssueCode> = report.issues.iter().map(|i| i.code).collect();
    assert_eq!(codes, [IssueCode::TitleRows], "{:#?}", report.issues);
    assert!(!report.summary.conforms());
    let repair = &report.repairs[0];
    assert_eq!(repair.id, "remove_title_rows");
    assert_eq!(repair.rows, [1]);
    assert_eq!(repair.examples[0].before, "AED設置箇所一覧");
    let kept = ydx_catalog::standard::apply_repairs(&AED, csv.as_bytes(), &[] as &[&str]).unwrap();
    assert_eq!(String::from_utf8(kept).unwrap(), csv);
    let fixed =
        ydx_catalog::standard::apply_repairs(&AED, csv.as_bytes(), &["remove_title_rows"]).unwrap();
    let fixed = String::from_utf8(fixed).unwrap();
    assert!(fixed.starts_with("全国地方公共団体コード,"), "{fixed}");
    let report = validate_upload(&AED, "CSV", fixed.as_bytes());
    assert!(report.summary.conforms(), "{:#?}", report.issues);

    // Notes below the table likewise, each repair on its own.
    let csv = format!(
        "AED設置箇所一覧\n{}\n{}\n\n※出典：山口市\n※令和6年4月1日現在\n",
        header.join(","),
        good.join(",")
    );
    let report = validate_upload(&AED, "CSV", csv.as_bytes());
    let codes: Vec<IssueCode> = report.issues.iter().map(|i| i.code).collect();
    assert_eq!(
        codes,
        [IssueCode::TitleRows, IssueCode::NoteRows],
        "{:#?}",
        report.issues
    );
    let notes = &report.repairs[1];
    assert_eq!(notes.id, "remove_note_rows");
    assert_eq!(notes.rows, [5, 6]);
    assert_eq!(notes.examples[0].before, "※出典：山口市");
    let no_notes =
        ydx_catalog::standard::apply_repairs(&AED, csv.as_bytes(), &["remove_note_rows"]).unwrap();
    let no_notes = String::from_utf8(no_notes).unwrap();
    assert!(
        no_notes.starts_with("AED設置箇所一覧\n") && !no_notes.contains('※'),
        "{no_notes}"
    );
    let both = ydx_catalog::standard::apply_repairs(
        &AED,
        csv.as_bytes(),
        &["remove_title_rows", "remove_note_rows"],
    )
    .unwrap();
    let report = validate_upload(&AED, "CSV", &both);
    assert!(report.summary.conforms(), "{:#?}", report.issues);

    let report = validate_upload(&AED, "XLSX", b"not a workbook");
    assert_eq!(report.issues[0].code, IssueCode::Workbook);
    assert!(report.issues[0].message_ja.contains("XLSX"));
    assert!(!report.summary.conforms());

    assert!(matches!(
        ydx_catalog::standard::apply_repairs_to(&AED, "XLSX", &bytes, &["x"]),
        Err(ydx_catalog::standard::StandardError::Workbook)
    ));
}
