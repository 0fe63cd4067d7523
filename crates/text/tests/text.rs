//! Behaviour a catalog user notices: what finds what, and parsers that never panic.

use proptest::prelude::*;
use ydx_text::{
    decode, format_wareki, index_terms, matches, normalize, parse_date, parse_wareki, query_terms,
    sniff_csv,
};

#[track_caller]
fn finds(query: &str, text: &str) {
    assert!(
        matches(query, text),
        "{query:?} should find {text:?}: query {:?}, index {:?}",
        query_terms(query),
        index_terms(text)
    );
}

#[track_caller]
fn misses(query: &str, text: &str) {
    assert!(
        !matches(query, text),
        "{query:?} should not find {text:?}: query {:?}, index {:?}",
        query_terms(query),
        index_terms(text)
    );
}

#[test]
fn dictionary_loads() {
    assert!(ydx_text::search::init().is_ok());
}

#[test]
fn normalize_folds_widths_and_case() {
    assert_eq!(normalize("ＡＥＤ"), "aed");
    assert_eq!(normalize("AED"), "aed");
    assert_eq!(normalize("ｶﾅ"), "カナ");
    assert_eq!(normalize("２０２４年"), "2024年");
}

#[test]
fn words_inside_compounds() {
    finds("避難", "指定緊急避難場所一覧");
    finds("避難", "指定避難所一覧");
    finds("予約", "施設予約システム");
    finds("人口", "東京都の人口");
    finds("AED", "AED設置箇所一覧");
    finds("設置", "AED設置箇所一覧");
    finds("世帯", "人口・世帯数（市町別）");
    finds("施設", "公共施設一覧");
    finds("バス", "バス停留所");
    finds("避難 場所", "指定緊急避難場所一覧");
}

#[test]
fn no_bigram_false_positives() {
    misses("京都", "東京都の人口");
    misses("口世", "人口・世帯数（市町別）");
}

#[test]
fn katakana_compounds_and_rendaku() {
    finds("クマ", "ツキノワグマ出没情報");
    finds("ツキノワグマ", "ツキノワグマ出没情報");
    finds("クマ", "ヒグマ");
    finds("バス", "コミュニティバス時刻表");
    finds("マップ", "ハザードマップ");
    // Word-initial kana are not devoiced.
    misses("カス", "ガスタンク");
    misses("クマ", "グマ");
}

#[test]
fn known_katakana_false_positives() {
    // Documented cost of matching inside katakana words (module docs of `search`).
    finds("カナ", "サカナ料理");
    finds("ホール", "ハンドボール大会");
}

#[test]
fn widths_case_and_ascii_words() {
    finds("ＡＥＤ", "AED設置箇所一覧");
    finds("aed", "ＡＥＤ設置箇所一覧");
    finds("ｶﾅ", "カナ");
    finds("CSV", "データ（csv形式）");
    finds("geojson", "GeoJSON形式の境界データ");
    assert!(index_terms("GeoJSON形式").contains(&"geojson".to_owned()));
    misses("json", "GeoJSON形式");
}

#[test]
fn particles_and_punctuation_dropped_numbers_kept() {
    assert_eq!(query_terms("の、。・（）"), Vec::<String>::new());
    assert!(!matches("の", "山口県の人口"));
    let terms = index_terms("令和６年４月１日現在の人口は１２３４５人です。");
    assert!(terms.contains(&"12345".to_owned()), "{terms:?}");
    assert!(
        !terms.iter().any(|t| t == "の" || t == "は" || t == "です"),
        "{terms:?}"
    );
    finds("2024", "2024年度 観光客数");
}

#[test]
fn conjugated_verbs_match_dictionary_form() {
    finds("探す", "データを探しています");
}

proptest! {
    #[test]
    fn parse_date_never_panics(s in any::<String>()) {
        let _ = parse_date(&s);
        let _ = parse_wareki(&s);
    }

    #[test]
    fn parse_date_never_panics_on_date_like(s in "[0-9０-９年月日元令和平成昭和RHS./\\- ]{0,16}") {
        let _ = parse_date(&s);
    }

    #[test]
    fn wareki_round_trips(days in 0i32..(2100 - 1912) * 365) {
        let first = ydx_text::Era::Taisho.first_day();
        let Some(date) = first.checked_add(time::Duration::days(i64::from(days))) else {
            return Ok(());
        };
        let kanji = format_wareki(date);
        prop_assert!(kanji.is_some());
        let kanji = kanji.unwrap_or_default();
        prop_assert_eq!(parse_wareki(&kanji), Ok(date), "{}", kanji);
        prop_assert_eq!(parse_date(&kanji), Some(date));
        // Short form R6.4.1 with the same era year.
        let era = ydx_text::Era::of(date);
        prop_assert!(era.is_some());
        if let Some(era) = era {
            let year = date.year() - era.first_day().year() + 1;
            let short = format!("{}{}.{}.{}", era.letter(), year, u8::from(date.month()), date.day());
            prop_assert_eq!(parse_wareki(&short), Ok(date), "{}", short);
        }
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = decode(&bytes) {
            prop_assert!(e.byte_offset <= bytes.len());
            prop_assert!(e.line >= 1);
        }
    }

    #[test]
    fn decode_round_trips_shift_jis(s in "[ -~ぁ-んァ-ヶ一-龠ー、。\n]{0,64}") {
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&s);
        prop_assume!(!unmappable);
        let decoded = decode(&bytes);
        prop_assert_eq!(decoded.map(|d| d.text), Ok(s));
    }

    #[test]
    fn sniff_csv_never_panics(s in any::<String>()) {
        let _ = sniff_csv(&s);
    }

    #[test]
    fn sniff_csv_never_panics_on_csv_like(s in "[a-z0-9,;\t\"\n 緯度経度名称]{0,200}") {
        let _ = sniff_csv(&s);
    }

    #[test]
    fn terms_never_panic(s in any::<String>()) {
        let _ = index_terms(&s);
        let _ = query_terms(&s);
    }
}
