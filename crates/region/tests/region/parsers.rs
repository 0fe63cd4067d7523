use proptest::prelude::*;
use ydx_region::{
    CodeErrorReason, Point, RegionError, lg_code_check_digit, parse_coordinate, parse_lg_code,
    parse_municipality_code,
};

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap(),
            '.' => '．',
            ',' => '，',
            '-' => '－',
            other => other,
        })
        .collect()
}

/// Five-digit codes that are well formed: prefecture 01–47, not `xx000`.
fn valid_code() -> impl Strategy<Value = String> {
    (1u32..=47, 1u32..=999).prop_map(|(pref, rest)| format!("{pref:02}{rest:03}"))
}

proptest! {
    #[test]
    fn parsers_never_panic(s in any::<String>()) {
        let _ = parse_municipality_code(&s);
        let _ = parse_lg_code(&s);
        let _ = lg_code_check_digit(&s);
        let _ = parse_coordinate(&s);
    }

    #[test]
    fn parsers_never_panic_on_near_misses(s in "[0-9０-９., ，．\\-+eEinfaN]{0,24}") {
        let _ = parse_municipality_code(&s);
        if let Ok(p) = parse_coordinate(&s) {
            prop_assert!(p.lat.is_finite() && p.lon.is_finite());
            prop_assert!((-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon));
        }
    }

    #[test]
    fn code_round_trips_through_lg_code(code in valid_code()) {
        let parsed = parse_municipality_code(&code).unwrap();
        prop_assert_eq!(parsed.as_str(), code.as_str());
        let lg = parsed.lg_code();
        prop_assert_eq!(&lg[..5], code.as_str());
        prop_assert_eq!(lg.as_bytes()[5] - b'0', lg_code_check_digit(&code).unwrap());
        prop_assert_eq!(parse_municipality_code(&lg).unwrap(), parsed);
        prop_assert_eq!(parse_lg_code(&lg).unwrap(), parsed);
        prop_assert_eq!(parse_municipality_code(&full_width(&lg)).unwrap(), parsed);
        prop_assert_eq!(code.parse::<ydx_region::MunicipalityCode>().unwrap(), parsed);
    }

    #[test]
    fn a_wrong_check_digit_is_caught(code in valid_code(), wrong in 0u8..10) {
        let right = lg_code_check_digit(&code).unwrap();
        prop_assume!(wrong != right);
        let typo = format!("{code}{wrong}");
        prop_assert_eq!(
            parse_municipality_code(&typo),
            Err(RegionError::InvalidLgCode {
                input: typo.clone(),
                reason: CodeErrorReason::CheckDigitMismatch { expected: right, found: wrong },
            })
        );
    }

    #[test]
    fn coordinate_round_trips(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0) {
        let point = Point::new(lat, lon).unwrap();
        prop_assert_eq!(parse_coordinate(&point.to_string()).unwrap(), point);
        let spaced = format!("  {lat} ,\t{lon} ");
        prop_assert_eq!(parse_coordinate(&spaced).unwrap(), point);
        prop_assert_eq!(parse_coordinate(&full_width(&point.to_string())).unwrap(), point);
    }

    #[test]
    fn out_of_range_latitude_is_rejected(lat in 90.000_001f64..1e6, lon in -180.0f64..=180.0) {
        let text = format!("{lat},{lon}");
        prop_assert!(parse_coordinate(&text).is_err());
    }
}
