//! Field rules for datasets and resources, checked before anything is written.
//!
//! Each failure has a stable code (for translation in the web layer) and an English message.

use crate::error::ValidationErrors;
use crate::model::{DatasetState, license};
use crate::store::DatasetFields;

/// CKAN's rule for names (slugs) of datasets: 2–100 of `a-z0-9-_`.
pub fn valid_name(name: &str) -> bool {
    (2..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A plausible email address: one `@`, a dotted domain, no spaces. Deliverability is not ours
/// to check.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An ISO calendar date `YYYY-MM-DD` that exists.
pub fn valid_iso_date(s: &str) -> bool {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    s.len() == 10 && time::Date::parse(s, fmt).is_ok()
}

/// A tag as CKAN allows it, widened to Japanese: 1–100 characters, no commas or control
/// characters (commas separate tags in forms and in CKAN's `tag_string`).
pub fn valid_tag(tag: &str) -> bool {
    let n = tag.chars().count();
    (1..=100).contains(&n) && !tag.chars().any(|c| c == ',' || c == '、' || c.is_control())
}

/// The checks that need no database: shapes, vocabularies and municipality codes.
/// Existence checks (owner_org, groups, unique name) are done by the store.
pub fn check_fields(f: &DatasetFields, errors: &mut ValidationErrors) {
    if f.name.is_empty() {
        errors.add("name", "required", "Missing value");
    } else if !valid_name(&f.name) {
        errors.add(
            "name",
            "invalid_name",
            "Must be 2-100 characters of lowercase a-z, 0-9, - and _",
        );
    }
    if f.title.trim().is_empty() {
        errors.add("title", "required", "Missing value");
    } else if f.title.chars().count() > 500 {
        errors.add("title", "too_long", "Must be at most 500 characters");
    }
    if f.owner_org.is_empty() {
        errors.add("owner_org", "required", "Missing value");
    }
    if !f.license_id.is_empty() && license(&f.license_id).is_none() {
        errors.add(
            "license_id",
            "unknown_license",
            format!("Unknown licence {:?}", f.license_id),
        );
    }
    if f.state == Some(DatasetState::Deleted) {
        errors.add(
            "state",
            "invalid_state",
            "Use delete to delete a dataset; state may be draft or active",
        );
    }
    for (field, value) in [
        ("author_email", &f.author_email),
        ("maintainer_email", &f.maintainer_email),
    ] {
        if !value.is_empty() && !valid_email(value) {
            errors.add(field, "invalid_email", "Not a valid email address");
        }
    }
    for tag in &f.tags {
        if !valid_tag(tag.trim()) {
            errors.add(
                "tags",
                "invalid_tag",
                format!("Tag {tag:?} must be 1-100 characters without commas"),
            );
        }
    }
    for code in &f.spatial {
        if !is_municipality_code(code) {
            errors.add(
                "spatial",
                "unknown_municipality",
                format!("{code:?} is not the code of a municipality of the prefecture"),
            );
        }
    }
    for (field, value) in [
        ("temporal_start", &f.temporal_start),
        ("temporal_end", &f.temporal_end),
    ] {
        if let Some(v) = value
            && !valid_iso_date(v)
        {
            errors.add(field, "invalid_date", "Must be a date as YYYY-MM-DD");
        }
    }
    if let (Some(a), Some(b)) = (&f.temporal_start, &f.temporal_end)
        && valid_iso_date(a)
        && valid_iso_date(b)
        && a > b
    {
        errors.add(
            "temporal_end",
            "end_before_start",
            "The end of the temporal coverage is before its start",
        );
    }
    if let Some(s) = &f.standard
        && (s.is_empty() || s.len() > 100)
    {
        errors.add("standard", "invalid_standard", "Not a standard dataset id");
    }
    for (k, _) in &f.extras {
        if k.trim().is_empty() {
            errors.add("extras", "empty_key", "An extra needs a key");
        }
    }
    let url = &f.url;
    if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
        errors.add("url", "invalid_url", "Must start with http:// or https://");
    }
}

/// One of the 19 municipalities' 5-digit codes.
pub fn is_municipality_code(code: &str) -> bool {
    ydx_region::MUNICIPALITIES.iter().any(|m| m.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dates_emails() {
        assert!(valid_name("aed-list_2024"));
        assert!(!valid_name("a"));
        assert!(!valid_name("AED"));
        assert!(!valid_name("避難所"));
        assert!(valid_iso_date("2024-02-29"));
        assert!(!valid_iso_date("2023-02-29"));
        assert!(!valid_iso_date("2024-4-1"));
        assert!(valid_email("opendata@city.yamaguchi.lg.jp"));
        assert!(!valid_email("opendata@localhost"));
        assert!(!valid_email("a b@c.jp"));
        assert!(is_municipality_code("35203"));
        assert!(!is_municipality_code("35205"));
    }
}
