use ydx_region::{CodeErrorReason, MUNICIPALITIES, MunicipalityKind, PREFECTURE, RegionError};

use crate::region;

#[test]
fn the_nineteen_municipalities_are_there_in_code_order() {
    let ms = region().municipalities();
    assert_eq!(ms.len(), 19);
    assert!(ms.windows(2).all(|w| w[0].code() < w[1].code()));
    for (m, info) in ms.iter().zip(MUNICIPALITIES.iter()) {
        assert_eq!(m.info(), info);
    }
    assert_eq!(
        ms.iter()
            .filter(|m| m.kind() == MunicipalityKind::City)
            .count(),
        13
    );
    assert_eq!(region().prefecture(), &PREFECTURE);
}

#[test]
fn lookup_accepts_five_and_six_digit_codes() {
    let yamaguchi = region().municipality("35203").unwrap();
    assert_eq!(yamaguchi.name_ja(), "山口市");
    assert_eq!(yamaguchi.name_kana(), "やまぐちし");
    assert_eq!(yamaguchi.name_en(), "Yamaguchi City");
    assert_eq!(yamaguchi.lg_code(), "352039");
    assert_eq!(region().municipality("352039").unwrap(), yamaguchi);
    assert_eq!(region().municipality("３５２０３").unwrap(), yamaguchi);

    let oshima = region().municipality("353051").unwrap();
    assert_eq!(oshima.name_en(), "Suo-Oshima Town");
    assert_eq!(oshima.district().map(|d| d.name_ja), Some("大島郡"));
    assert_eq!(
        region().municipality("355020").unwrap().name_en(),
        "Abu Town"
    );
    assert_eq!(
        region().municipality("35216").unwrap().name_en(),
        "Sanyo-Onoda City"
    );
}

#[test]
fn lookup_errors_say_what_is_wrong() {
    assert_eq!(
        region().municipality("13104"),
        Err(RegionError::UnknownMunicipality {
            code: "13104".into()
        })
    );
    assert_eq!(
        region().municipality("352031"),
        Err(RegionError::InvalidLgCode {
            input: "352031".into(),
            reason: CodeErrorReason::CheckDigitMismatch {
                expected: 9,
                found: 1
            },
        })
    );
    // 35205 (旧新南陽市) was merged into 周南市 in 2003.
    assert!(matches!(
        region().municipality("35205"),
        Err(RegionError::UnknownMunicipality { .. })
    ));
}
