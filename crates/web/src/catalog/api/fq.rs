//! CKAN's `fq` (and `q` written as filters): the part of Solr's query syntax CKAN clients
//! send, read into [`SearchFilters`]. See [`parse_fq`] for what is accepted.

use time::{Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use ydx_catalog::{Condition, FilterField, FilterTest, SearchFilters, TimeBound, TimeField};

/// A parsed `fq`.
#[derive(Debug, Default, PartialEq)]
pub struct Fq {
    pub filters: SearchFilters,
    /// True when the filter can match nothing (e.g. `dataset_type:harvest`): the search
    /// is skipped.
    pub nothing: bool,
}

/// Reads the Solr filter syntax CKAN clients send:
///
/// - terms `field:value`, `field:"quoted value"` (backslash escapes in both), each optionally
///   prefixed by `+`; terms are joined by spaces, `AND` or `&&` (all required);
/// - negation: `-field:value`, `!field:value`, `NOT field:value` exclude datasets having
///   the value (also before a range or a parenthesised group of one field);
/// - alternatives within one field: `field:(a OR b OR "c d")`, and `field:a OR field:b`
///   (`OR`/`||`); `field:(a b)` and `field:(a AND b)` require both. An `OR` chain binds
///   tighter than the spaces around it, so ckanext-harvest's `organization:a OR
///   organization:b metadata_modified:[… TO *]` means (a or b) and modified since (Solr
///   itself would let the range alone decide); an explicit `AND` next to an `OR` chain is
///   refused as ambiguous (write `field:(a OR b) AND …`);
/// - parentheses around any conjunction, `(tags:a AND res_format:CSV)`, and around one
///   field's alternatives, `-(groups:a OR groups:b)`;
/// - ranges on `metadata_modified` and `metadata_created`: `[X TO Y]` inclusive, `{X TO Y}`
///   exclusive, mixed brackets, `*` for an open end. X and Y are dates (`2024-01-01`) or
///   date-times (`2024-01-01T00:00:00Z`, fractional seconds, a `±HH:MM` offset; no `Z` means
///   UTC), or `NOW`, each optionally followed by Solr date math (`NOW-7DAYS`, `NOW/DAY`,
///   `NOW-1DAY/DAY`, `2024-01-01T00:00:00Z+1MONTH`; units YEAR, MONTH, DAY/DATE, HOUR,
///   MINUTE, SECOND, MILLI(SECOND), singular or plural), compared as instants with the
///   stored UTC times (to the microsecond). `metadata_modified:"2024-…"` matches that
///   exact instant;
/// - fields: organization (or owner_org), tags, groups, res_format (any case), license_id,
///   municipality, name, id, and the two times above; `dataset_type`/`type` (only
///   `dataset` matches), `capacity` (`public`), `state` (`active`) are answered as constants;
///   `*:*` matches everything.
///
/// Several plain terms of organization or license_id are alternatives, as in the plain
/// search (Solr would match nothing). Refused, with a message naming the part: other fields,
/// `OR` between different fields or between ranges, negation inside an `OR`, negating a
/// group of several conditions, wildcards (`*`, `?`) in values, fuzzy and proximity `~`,
/// boosts `^`, local parameters and anything else.
pub fn parse_fq(fq: &str) -> Result<Fq, String> {
    parse_fq_at(fq, OffsetDateTime::now_utc())
}

/// [`parse_fq`] with `NOW` given.
pub fn parse_fq_at(fq: &str, now: OffsetDateTime) -> Result<Fq, String> {
    let mut p = Parser { s: fq, pos: 0, now };
    let clauses = p.query(0)?;
    if p.pos < p.s.len() {
        return Err(format!("unbalanced ')' at {:?}", p.rest()));
    }
    let mut out = Fq::default();
    for c in clauses {
        add(&mut out, c)?;
    }
    Ok(out)
}

/// Parentheses nest at most this deep.
const MAX_DEPTH: usize = 8;

/// What a field is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Filter(FilterField),
    Time(TimeField),
    /// Every dataset has this value (`dataset_type:dataset`).
    Constant(&'static str),
}

fn field(name: &str) -> Option<Field> {
    Some(match name {
        "organization" | "owner_org" => Field::Filter(FilterField::Organization),
        "tags" => Field::Filter(FilterField::Tags),
        "groups" => Field::Filter(FilterField::Groups),
        "res_format" => Field::Filter(FilterField::ResFormat),
        "license_id" => Field::Filter(FilterField::LicenseId),
        "municipality" => Field::Filter(FilterField::Municipality),
        "name" => Field::Filter(FilterField::Name),
        "id" => Field::Filter(FilterField::Id),
        "metadata_modified" => Field::Time(TimeField::MetadataModified),
        "metadata_created" => Field::Time(TimeField::MetadataCreated),
        "dataset_type" | "type" => Field::Constant("dataset"),
        "capacity" => Field::Constant("public"),
        "state" => Field::Constant("active"),
        _ => return None,
    })
}

#[derive(Debug)]
enum Atom {
    /// The dataset has one of the values.
    Values {
        field: Field,
        name: String,
        values: Vec<String>,
    },
    Range {
        field: TimeField,
        from: Option<TimeBound>,
        to: Option<TimeBound>,
    },
    /// `*:*`
    All,
    /// A parenthesised conjunction of several clauses.
    Group(Vec<Clause>),
}

#[derive(Debug)]
struct Clause {
    atom: Atom,
    negate: bool,
    /// Made of an `OR` chain at its own level (for the AND/OR ambiguity check).
    chained: bool,
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    now: OffsetDateTime,
}

impl Parser<'_> {
    fn rest(&self) -> String {
        self.s[self.pos..].chars().take(40).collect()
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// Whether an operator word (`AND`, `NOT`, `TO`) stands here, alone.
    fn at_word(&self, word: &str) -> bool {
        self.s[self.pos..]
            .strip_prefix(word)
            .is_some_and(|after| after.starts_with(|c: char| c.is_whitespace() || c == '('))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let at = self.at_word(word);
        if at {
            self.pos += word.len();
        }
        at
    }

    /// Consumes an operator word (`AND`) or its symbol (`&&`).
    fn eat_op(&mut self, word: &str, symbol: &str) -> bool {
        if self.s[self.pos..].starts_with(symbol) {
            self.pos += symbol.len();
            return true;
        }
        self.eat_word(word)
    }

    /// Clauses joined by spaces or AND, up to `)` or the end.
    fn query(&mut self, depth: usize) -> Result<Vec<Clause>, String> {
        let mut clauses: Vec<Clause> = Vec::new();
        loop {
            self.skip_ws();
            if self.pos >= self.s.len() || self.peek() == Some(')') {
                break;
            }
            let at = self.rest();
            let explicit_and = self.eat_op("AND", "&&");
            if explicit_and {
                if clauses.is_empty() {
                    return Err(format!("nothing before AND at {at:?}"));
                }
                self.skip_ws();
            }
            if self.eat_op("OR", "||") {
                return Err(format!("nothing before OR at {at:?}"));
            }
            let c = self.chain(depth)?;
            if explicit_and && (c.chained || clauses.last().is_some_and(|p| p.chained)) {
                return Err(format!(
                    "AND next to OR is ambiguous at {at:?}: group the alternatives, as in \
                     field:(a OR b) AND …"
                ));
            }
            clauses.push(c);
        }
        if clauses.is_empty() && depth == 0 {
            // An empty fq filters nothing.
            return Ok(clauses);
        }
        if clauses.is_empty() {
            return Err("empty parentheses".into());
        }
        Ok(clauses)
    }

    /// Terms joined by OR.
    fn chain(&mut self, depth: usize) -> Result<Clause, String> {
        let first = self.unary(depth)?;
        let mut parts = vec![first];
        loop {
            let before = self.pos;
            self.skip_ws();
            let at = self.rest();
            if !self.eat_op("OR", "||") {
                self.pos = before;
                break;
            }
            self.skip_ws();
            let next = self.unary(depth)?;
            if next.negate || parts.iter().any(|p| p.negate) {
                return Err(format!("negation inside OR is not supported at {at:?}"));
            }
            parts.push(next);
        }
        if parts.len() == 1 {
            return Ok(parts.remove(0));
        }
        let mut merged: Option<Atom> = None;
        for p in parts {
            merged = Some(match (merged, p.atom) {
                (None, a) => a,
                (Some(Atom::All), _) | (Some(_), Atom::All) => Atom::All,
                (Some(Atom::Group(_)), _) | (Some(_), Atom::Group(_)) => {
                    return Err(
                        "OR over a group of several conditions is not supported; OR joins \
                         values of one field"
                            .into(),
                    );
                }
                (Some(Atom::Range { .. }), _) | (Some(_), Atom::Range { .. }) => {
                    return Err("OR between ranges is not supported".into());
                }
                (
                    Some(Atom::Values {
                        field,
                        name,
                        mut values,
                    }),
                    Atom::Values {
                        field: f2,
                        name: n2,
                        values: v2,
                    },
                ) => {
                    if field != f2 {
                        return Err(format!(
                            "OR between different fields ({name}, {n2}) is not supported"
                        ));
                    }
                    values.extend(v2);
                    Atom::Values {
                        field,
                        name,
                        values,
                    }
                }
            });
        }
        Ok(Clause {
            atom: merged.unwrap_or(Atom::All),
            negate: false,
            chained: true,
        })
    }

    /// A term with its prefixes (`+`, `-`, `!`, `NOT`).
    fn unary(&mut self, depth: usize) -> Result<Clause, String> {
        let mut negate = false;
        loop {
            let at = self.rest();
            match self.peek() {
                Some(c @ ('+' | '-' | '!')) => {
                    self.pos += 1;
                    if self.peek().is_none_or(char::is_whitespace) {
                        return Err(format!("{c} must be followed by a term at {at:?}"));
                    }
                    negate ^= c != '+';
                }
                _ => {
                    if self.eat_word("NOT") {
                        self.skip_ws();
                        negate = !negate;
                    } else {
                        break;
                    }
                }
            }
        }
        let mut c = self.primary(depth)?;
        c.negate ^= negate;
        Ok(c)
    }

    fn primary(&mut self, depth: usize) -> Result<Clause, String> {
        let at = self.rest();
        if self.peek() == Some('(') {
            if depth >= MAX_DEPTH {
                return Err("parentheses nest too deep".into());
            }
            self.pos += 1;
            let mut inner = self.query(depth + 1)?;
            if self.peek() != Some(')') {
                return Err(format!("unbalanced '(' at {at:?}"));
            }
            self.pos += 1;
            self.end_of_term()?;
            if inner.len() == 1 {
                let mut c = inner.remove(0);
                c.chained = false;
                return Ok(c);
            }
            return Ok(Clause {
                atom: Atom::Group(inner),
                negate: false,
                chained: false,
            });
        }
        if self.s[self.pos..].starts_with("*:*") {
            self.pos += 3;
            self.end_of_term()?;
            return Ok(Clause {
                atom: Atom::All,
                negate: false,
                chained: false,
            });
        }
        if self.s[self.pos..].starts_with("{!") {
            return Err("local parameters are not supported".into());
        }
        let rest = &self.s[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let name = &rest[..len];
        if name.is_empty() || !rest[len..].starts_with(':') {
            return Err(format!("expected field:value at {at:?}"));
        }
        let f = field(name).ok_or_else(|| format!("cannot filter on field {name:?}"))?;
        self.pos += len + 1;
        let atom = match (f, self.peek()) {
            (Field::Time(tf), Some('[' | '{')) => self.range(tf)?,
            (_, Some('[' | '{')) => {
                return Err(format!(
                    "ranges are only supported on metadata_modified and metadata_created, \
                     not {name}"
                ));
            }
            (Field::Time(tf), _) => {
                let v = self.value(true)?;
                let t = self.instant(&v)?;
                Atom::Range {
                    field: tf,
                    from: Some(lower(t, true)),
                    to: Some(upper(t, true)),
                }
            }
            (_, Some('(')) => return self.value_group(f, name),
            _ => Atom::Values {
                field: f,
                name: name.to_string(),
                values: vec![self.value(false)?],
            },
        };
        self.end_of_term()?;
        Ok(Clause {
            atom,
            negate: false,
            chained: false,
        })
    }

    /// After a term: whitespace, `)` or the end; a boost or fuzziness is named.
    fn end_of_term(&self) -> Result<(), String> {
        match self.peek() {
            None | Some(')') => Ok(()),
            Some(c) if c.is_whitespace() => Ok(()),
            Some('^') => Err(format!("boosts (^) are not supported at {:?}", self.rest())),
            Some('~') => Err(format!(
                "fuzzy and proximity searches (~) are not supported at {:?}",
                self.rest()
            )),
            Some(_) => Err(format!("unsupported syntax at {:?}", self.rest())),
        }
    }

    /// `field:(a OR b)` (alternatives) or `field:(a b)` / `field:(a AND b)` (all required).
    fn value_group(&mut self, f: Field, name: &str) -> Result<Clause, String> {
        let at = self.rest();
        self.pos += 1;
        let mut values = Vec::new();
        let (mut ors, mut ands) = (false, false);
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(format!("unbalanced '(' at {at:?}")),
                Some(')') => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            if !values.is_empty() {
                if self.eat_op("OR", "||") {
                    ors = true;
                    self.skip_ws();
                } else {
                    if self.eat_op("AND", "&&") {
                        self.skip_ws();
                    }
                    ands = true;
                }
            }
            match self.peek() {
                Some('(') => {
                    return Err(format!(
                        "nested parentheses in {name}:(…) are not supported"
                    ));
                }
                Some('-' | '!') => {
                    return Err(format!("negation inside {name}:(…) is not supported"));
                }
                _ if self.at_word("NOT") => {
                    return Err(format!("negation inside {name}:(…) is not supported"));
                }
                Some('+' | ')') | None => {
                    return Err(format!(
                        "unsupported syntax in {name}:(…) at {:?}",
                        self.rest()
                    ));
                }
                _ => {}
            }
            values.push(self.value(false)?);
            self.end_of_term()?;
        }
        if values.is_empty() {
            return Err(format!("empty {name}:()"));
        }
        if ors && ands {
            return Err(format!("{name}:(…) mixes AND and OR"));
        }
        self.end_of_term()?;
        let clause = |values: Vec<String>, chained| Clause {
            atom: Atom::Values {
                field: f,
                name: name.to_string(),
                values,
            },
            negate: false,
            chained,
        };
        if ors || values.len() == 1 {
            // Alternatives bind like parentheses: not part of an OR chain of this level.
            return Ok(clause(values, false));
        }
        Ok(Clause {
            atom: Atom::Group(values.into_iter().map(|v| clause(vec![v], false)).collect()),
            negate: false,
            chained: false,
        })
    }

    /// A quoted or bare value. Bare values end at whitespace or `)`; `\` escapes a character.
    /// `time` allows `:` (in times) in bare values.
    fn value(&mut self, time: bool) -> Result<String, String> {
        let at = self.rest();
        let mut out = String::new();
        let rest = &self.s[self.pos..];
        if let Some(q) = rest.strip_prefix('"') {
            let mut chars = q.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        self.pos += 1 + i + 1;
                        return Ok(out);
                    }
                    c => out.push(c),
                }
            }
            return Err("unterminated quoted value".into());
        }
        let mut chars = rest.char_indices().peekable();
        let mut end = rest.len();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c.is_whitespace() || c == ')' => {
                    end = i;
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, n)) => out.push(n),
                    None => return Err("a value ends with \\".into()),
                },
                '*' | '?' => {
                    return Err(format!(
                        "wildcards ({c}) in values are not supported at {at:?}"
                    ));
                }
                '~' => {
                    return Err(format!(
                        "fuzzy and proximity searches (~) are not supported at {at:?}"
                    ));
                }
                '^' => return Err(format!("boosts (^) are not supported at {at:?}")),
                ':' if time => out.push(c),
                '(' | '[' | ']' | '{' | '}' | '"' | ':' => {
                    return Err(format!("unsupported value syntax at {at:?}"));
                }
                c => out.push(c),
            }
        }
        if end == 0 {
            return Err(format!("missing value at {at:?}"));
        }
        self.pos += end;
        Ok(out)
    }

    /// `[X TO Y]`, `{X TO Y}` or mixed, after the field.
    fn range(&mut self, field: TimeField) -> Result<Atom, String> {
        let at = self.rest();
        let open_incl = self.peek() == Some('[');
        self.pos += 1;
        self.skip_ws();
        let from = self.bound_text()?;
        self.skip_ws();
        if !self.eat_word("TO") {
            return Err(format!("expected [X TO Y] at {at:?}"));
        }
        self.skip_ws();
        let to = self.bound_text()?;
        self.skip_ws();
        let close_incl = match self.peek() {
            Some(']') => true,
            Some('}') => false,
            _ => return Err(format!("expected ] or }} to end the range at {at:?}")),
        };
        self.pos += 1;
        let from = match from {
            None => None,
            Some(s) => Some(lower(self.instant(&s)?, open_incl)),
        };
        let to = match to {
            None => None,
            Some(s) => Some(upper(self.instant(&s)?, close_incl)),
        };
        Ok(Atom::Range { field, from, to })
    }

    /// One end of a range: `*` (open, `None`), a quoted or a bare date.
    fn bound_text(&mut self) -> Result<Option<String>, String> {
        let rest = &self.s[self.pos..];
        if rest.starts_with('"') {
            return self.value(true).map(Some);
        }
        let len = rest
            .find(|c: char| c.is_whitespace() || c == ']' || c == '}')
            .unwrap_or(rest.len());
        let text = &rest[..len];
        self.pos += len;
        match text {
            "" => Err(format!("missing range end at {rest:?}")),
            "*" => Ok(None),
            t => Ok(Some(t.to_string())),
        }
    }

    fn instant(&self, text: &str) -> Result<OffsetDateTime, String> {
        instant(text, self.now).map_err(|e| format!("{e} in {text:?}"))
    }
}

/// Adds a top-level clause to the filters.
fn add(out: &mut Fq, c: Clause) -> Result<(), String> {
    match c.atom {
        Atom::Group(inner) => {
            if c.negate {
                return Err(
                    "negating a group of several conditions is not supported; negate each".into(),
                );
            }
            for i in inner {
                add(out, i)?;
            }
        }
        Atom::All => out.nothing |= c.negate,
        Atom::Range { field, from, to } => out.filters.conditions.push(Condition {
            test: FilterTest::Within { field, from, to },
            negate: c.negate,
        }),
        Atom::Values {
            field: Field::Constant(value),
            values,
            ..
        } => out.nothing |= values.iter().any(|v| v == value) == c.negate,
        Atom::Values {
            field: Field::Time(_),
            ..
        } => return Err("a time field needs a time".into()),
        Atom::Values {
            field: Field::Filter(field),
            mut values,
            ..
        } => {
            let f = &mut out.filters;
            let legacy = match field {
                FilterField::Organization => Some(&mut f.organization),
                FilterField::Tags => Some(&mut f.tags),
                FilterField::Groups => Some(&mut f.groups),
                FilterField::ResFormat => Some(&mut f.res_format),
                FilterField::LicenseId => Some(&mut f.license_id),
                FilterField::Municipality => Some(&mut f.municipality),
                FilterField::Name | FilterField::Id => None,
            };
            match legacy {
                Some(list) if !c.negate && values.len() == 1 => list.append(&mut values),
                _ => f.conditions.push(Condition {
                    test: FilterTest::AnyOf { field, values },
                    negate: c.negate,
                }),
            }
        }
    }
    Ok(())
}

/// The lowest stored time at or after `t` (after, unless `inclusive`).
fn lower(t: OffsetDateTime, inclusive: bool) -> TimeBound {
    if t.nanosecond().is_multiple_of(1000) {
        TimeBound {
            at: ydx_storage::format_time(t),
            inclusive,
        }
    } else {
        // Stored times have microseconds: the next one is the first after t.
        TimeBound {
            at: ydx_storage::format_time(t + Duration::microseconds(1)),
            inclusive: true,
        }
    }
}

/// The highest stored time at or before `t` (before, unless `inclusive`).
fn upper(t: OffsetDateTime, inclusive: bool) -> TimeBound {
    TimeBound {
        // Below a microsecond, t's own microsecond (where it is cut) is before t.
        at: ydx_storage::format_time(t),
        inclusive: inclusive || !t.nanosecond().is_multiple_of(1000),
    }
}

/// A Solr date (`2024-01-01T00:00:00Z`, also a bare date, fractions, an offset) or `NOW`,
/// followed by date math (`-7DAYS`, `/DAY`…).
fn instant(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    if !text.is_ascii() {
        return Err("expected a date, NOW or date math".into());
    }
    let (mut t, mut rest) = if text.len() >= 3 && text[..3].eq_ignore_ascii_case("NOW") {
        (now, &text[3..])
    } else {
        let end = math_start(text);
        (date_time(&text[..end])?, &text[end..])
    };
    while !rest.is_empty() {
        let op = rest.as_bytes()[0];
        if !matches!(op, b'+' | b'-' | b'/') {
            return Err("date math is +N UNIT, -N UNIT or /UNIT".into());
        }
        rest = &rest[1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let amount: i64 = if op == b'/' {
            0
        } else if digits == 0 {
            return Err("date math needs a number".into());
        } else {
            rest[..digits]
                .parse()
                .map_err(|_| "date math number too large".to_string())?
        };
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = unit(&rest[..letters])?;
        rest = &rest[letters..];
        t = match op {
            b'/' => round(t, unit),
            b'+' => shift(t, unit, amount)?,
            _ => shift(t, unit, -amount)?,
        };
    }
    if !(1..=9999).contains(&t.year()) {
        return Err("date out of range".into());
    }
    Ok(t)
}

/// Where date math begins after an explicit date: the first `/` or `+`, or a `-` after
/// the time part (the date's own dashes and an offset's sign excluded).
fn math_start(text: &str) -> usize {
    let time_at = matches!(text.as_bytes().get(10), Some(b'T' | b't')).then_some(10);
    for (i, c) in text.char_indices() {
        match c {
            '/' => return i,
            '+' | '-' => {
                let Some(tp) = time_at else {
                    // A bare date: its dashes are at 4 and 7.
                    if i > 7 {
                        return i;
                    }
                    continue;
                };
                if i < tp {
                    continue;
                }
                // An offset (`+09:00`) is followed by two digits and a colon.
                let after = &text[i + 1..];
                let offset = after.len() >= 5
                    && after.as_bytes()[2] == b':'
                    && after[..2].bytes().all(|b| b.is_ascii_digit())
                    && !after[..5].bytes().any(|b| b.is_ascii_alphabetic());
                if !offset {
                    return i;
                }
            }
            _ => {}
        }
    }
    text.len()
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Unit {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

fn unit(s: &str) -> Result<Unit, String> {
    Ok(match s.to_ascii_uppercase().as_str() {
        "YEAR" | "YEARS" => Unit::Year,
        "MONTH" | "MONTHS" => Unit::Month,
        "DAY" | "DAYS" | "DATE" => Unit::Day,
        "HOUR" | "HOURS" => Unit::Hour,
        "MINUTE" | "MINUTES" => Unit::Minute,
        "SECOND" | "SECONDS" => Unit::Second,
        "MILLI" | "MILLIS" | "MILLISECOND" | "MILLISECONDS" => Unit::Milli,
        "" => return Err("date math needs a unit".into()),
        other => return Err(format!("unknown date math unit {other:?}")),
    })
}

fn shift(t: OffsetDateTime, unit: Unit, n: i64) -> Result<OffsetDateTime, String> {
    let too_far = || "date math out of range".to_string();
    let d = match unit {
        Unit::Year => return add_months(t, n.checked_mul(12).ok_or_else(too_far)?),
        Unit::Month => return add_months(t, n),
        Unit::Day => Duration::days(n.clamp(-4_000_000, 4_000_000)),
        Unit::Hour => Duration::hours(n.clamp(-100_000_000, 100_000_000)),
        Unit::Minute => Duration::minutes(n.clamp(-10_000_000_000, 10_000_000_000)),
        Unit::Second => Duration::seconds(n.clamp(-1_000_000_000_000, 1_000_000_000_000)),
        Unit::Milli => Duration::milliseconds(n),
    };
    t.checked_add(d).ok_or_else(too_far)
}

/// Calendar months later (earlier when negative), the day kept or clamped to the month's end.
fn add_months(t: OffsetDateTime, n: i64) -> Result<OffsetDateTime, String> {
    let months = i64::from(t.year()) * 12 + i64::from(u8::from(t.month())) - 1 + n;
    let year = i32::try_from(months.div_euclid(12))
        .ok()
        .filter(|y| (1..=9999).contains(y))
        .ok_or("date math out of range")?;
    let month = Month::try_from((months.rem_euclid(12) + 1) as u8).map_err(|e| e.to_string())?;
    let day = t.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).map_err(|e| e.to_string())?;
    Ok(t.replace_date(date))
}

fn round(t: OffsetDateTime, unit: Unit) -> OffsetDateTime {
    let (date, time) = (t.date(), t.time());
    let (h, m, s, ns) = (time.hour(), time.minute(), time.second(), time.nanosecond());
    let day_one = |month| time::Date::from_calendar_date(date.year(), month, 1).unwrap_or(date);
    let clock = |h, m, s, ns| Time::from_hms_nano(h, m, s, ns).unwrap_or(Time::MIDNIGHT);
    match unit {
        Unit::Year => t
            .replace_date(day_one(Month::January))
            .replace_time(Time::MIDNIGHT),
        Unit::Month => t
            .replace_date(day_one(date.month()))
            .replace_time(Time::MIDNIGHT),
        Unit::Day => t.replace_time(Time::MIDNIGHT),
        Unit::Hour => t.replace_time(clock(h, 0, 0, 0)),
        Unit::Minute => t.replace_time(clock(h, m, 0, 0)),
        Unit::Second => t.replace_time(clock(h, m, s, 0)),
        Unit::Milli => t.replace_time(clock(h, m, s, ns / 1_000_000 * 1_000_000)),
    }
}

/// `YYYY-MM-DD`, optionally `THH:MM[:SS[.fraction]]`, then optionally `Z` or `±HH:MM`.
fn date_time(s: &str) -> Result<OffsetDateTime, String> {
    use time::format_description::well_known::Iso8601;
    let bad = || "expected a date like 2024-01-01 or 2024-01-01T00:00:00Z".to_string();
    // ISO 8601's extended calendar form only (no week or ordinal dates, no basic form).
    if s.len() < 10 || s.as_bytes()[4] != b'-' || s.as_bytes()[7] != b'-' {
        return Err(bad());
    }
    // A date alone, or a time without an offset, is UTC (as Solr reads it).
    OffsetDateTime::parse(s, &Iso8601::DEFAULT)
        .or_else(|_| PrimitiveDateTime::parse(s, &Iso8601::DEFAULT).map(|t| t.assume_utc()))
        .or_else(|_| time::Date::parse(s, &Iso8601::DEFAULT).map(|d| d.midnight().assume_utc()))
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-31 15:45:30.123456789 UTC);

    fn parse(fq: &str) -> Fq {
        parse_fq_at(fq, NOW).unwrap_or_else(|e| panic!("{fq:?}: {e}"))
    }

    fn any(field: FilterField, values: &[&str], negate: bool) -> Condition {
        Condition {
            test: FilterTest::AnyOf {
                field,
                values: values.iter().map(|v| v.to_string()).collect(),
            },
            negate,
        }
    }

    fn bound(at: &str, inclusive: bool) -> Option<TimeBound> {
        Some(TimeBound {
            at: at.into(),
            inclusive,
        })
    }

    fn within(fq: &str) -> (Option<TimeBound>, Option<TimeBound>) {
        match parse(fq).filters.conditions.as_slice() {
            [
                Condition {
                    test: FilterTest::Within { from, to, .. },
                    negate: false,
                },
            ] => (from.clone(), to.clone()),
            other => panic!("{fq}: {other:?}"),
        }
    }

    #[test]
    fn plain_terms() {
        let fq = parse(r#"organization:hagi-city AND tags:"防災 情報" +res_format:CSV"#);
        assert_eq!(fq.filters.organization, vec!["hagi-city"]);
        assert_eq!(fq.filters.tags, vec!["防災 情報"]);
        assert_eq!(fq.filters.res_format, vec!["CSV"]);
        assert!(fq.filters.conditions.is_empty() && !fq.nothing);
        assert_eq!(parse("tags:a\\ b && groups:x").filters.tags, vec!["a b"]);
        assert_eq!(parse("").filters, SearchFilters::default());
        assert_eq!(parse("*:*").filters, SearchFilters::default());
        assert_eq!(
            parse("(tags:a AND res_format:CSV) groups:g").filters,
            SearchFilters {
                tags: vec!["a".into()],
                res_format: vec!["CSV".into()],
                groups: vec!["g".into()],
                ..Default::default()
            }
        );
        assert_eq!(parse("tags:(a b)").filters.tags, vec!["a", "b"]);
        assert_eq!(parse("tags:(a AND b)").filters.tags, vec!["a", "b"]);
    }

    #[test]
    fn constants() {
        for (fq, nothing) in [
            ("dataset_type:dataset", false),
            ("dataset_type:harvest", true),
            ("-dataset_type:harvest", false),
            ("-type:dataset", true),
            ("dataset_type:(harvest OR dataset)", false),
            ("capacity:public state:active", false),
            ("capacity:private", true),
            ("-*:*", true),
            ("*:* OR tags:x", false),
        ] {
            assert_eq!(parse(fq).nothing, nothing, "{fq}");
        }
    }

    #[test]
    fn negation() {
        for fq in [
            "-tags:x",
            "!tags:x",
            "NOT tags:x",
            "-(tags:x)",
            "NOT(tags:x)",
        ] {
            assert_eq!(
                parse(fq).filters.conditions,
                vec![any(FilterField::Tags, &["x"], true)],
                "{fq}"
            );
        }
        let fq = parse("res_format:CSV AND NOT organization:a -groups:(g OR h) -name:x");
        assert_eq!(fq.filters.res_format, vec!["CSV"]);
        assert_eq!(
            fq.filters.conditions,
            vec![
                any(FilterField::Organization, &["a"], true),
                any(FilterField::Groups, &["g", "h"], true),
                any(FilterField::Name, &["x"], true),
            ]
        );
        // A double negation is the term itself.
        assert_eq!(parse("--tags:x").filters.tags, vec!["x"]);
        assert_eq!(parse("NOT -tags:x").filters.tags, vec!["x"]);
    }

    #[test]
    fn alternatives() {
        let want = vec![any(FilterField::Tags, &["a", "b", "c d"], false)];
        for fq in [
            r#"tags:(a OR b OR "c d")"#,
            r#"tags:a OR tags:b OR tags:"c d""#,
            r#"tags:a || tags:b || tags:"c d""#,
            r#"(tags:a OR tags:b OR tags:"c d")"#,
            r#"+tags:a OR +tags:(b OR "c d")"#,
        ] {
            assert_eq!(parse(fq).filters.conditions, want, "{fq}");
        }
        assert_eq!(
            parse("organization:a OR owner_org:b").filters.conditions,
            vec![any(FilterField::Organization, &["a", "b"], false)]
        );
        assert_eq!(
            parse("id:abc OR id:def name:x").filters.conditions,
            vec![
                any(FilterField::Id, &["abc", "def"], false),
                any(FilterField::Name, &["x"], false),
            ]
        );
        // (a OR b) AND c when grouped; OR binds tighter than spaces.
        let fq = parse("(tags:a OR tags:b) AND res_format:CSV");
        assert_eq!(fq.filters.res_format, vec!["CSV"]);
        assert_eq!(
            fq.filters.conditions,
            vec![any(FilterField::Tags, &["a", "b"], false)]
        );
        assert_eq!(
            parse("tags:a OR tags:b res_format:CSV"),
            parse("tags:(a OR b) AND res_format:CSV")
        );
    }

    #[test]
    fn ckanext_harvest_fq() {
        // ckanext-harvest's CKANHarvester (ckanext/harvest/harvesters/ckanharvester.py,
        // gather_stage and _search_for_datasets) sends `fq = " ".join(fq_terms)`, where the
        // terms are `" OR ".join("organization:%s" …)` for organizations_filter_include (or
        // one `-organization:%s` per organizations_filter_exclude), the same with `groups`,
        // and, for an incremental harvest,
        // `"metadata_modified:[{since}Z TO *]".format(since=(gather_started - 1 hour).isoformat())`
        // (a naive UTC datetime: microseconds, no offset).
        let fq = parse(
            "organization:hagi-city OR organization:yamaguchi-city -groups:kids \
             metadata_modified:[2026-03-30T14:45:30.123456Z TO *]",
        );
        let f = &fq.filters;
        assert!(f.organization.is_empty() && f.groups.is_empty() && !fq.nothing);
        assert_eq!(
            f.conditions,
            vec![
                any(
                    FilterField::Organization,
                    &["hagi-city", "yamaguchi-city"],
                    false
                ),
                any(FilterField::Groups, &["kids"], true),
                Condition {
                    test: FilterTest::Within {
                        field: TimeField::MetadataModified,
                        from: bound("2026-03-30T14:45:30.123456", true),
                        to: None,
                    },
                    negate: false,
                },
            ]
        );
        // isoformat() leaves out a zero fraction; exclusions come one term each.
        let fq = parse(
            "-organization:a -organization:b groups:g OR groups:h \
             metadata_modified:[2026-03-30T14:00:00Z TO *]",
        );
        assert_eq!(
            fq.filters.conditions,
            vec![
                any(FilterField::Organization, &["a"], true),
                any(FilterField::Organization, &["b"], true),
                any(FilterField::Groups, &["g", "h"], false),
                Condition {
                    test: FilterTest::Within {
                        field: TimeField::MetadataModified,
                        from: bound("2026-03-30T14:00:00.000000", true),
                        to: None,
                    },
                    negate: false,
                },
            ]
        );
    }

    #[test]
    fn ranges_and_dates() {
        let z = "2024-01-01T00:00:00.000000";
        for fq in [
            "metadata_modified:[2024-01-01 TO *]",
            "metadata_modified:[2024-01-01T00:00:00Z TO *]",
            "metadata_modified:[2024-01-01T00:00:00.000Z TO *]",
            "metadata_modified:[2024-01-01T09:00:00+09:00 TO *]",
            "metadata_modified:[2023-12-31T15:00:00-09:00 TO *]",
            "metadata_modified:[2023-12-31T23:59 TO *]",
            r#"metadata_modified:["2024-01-01T00:00:00Z" TO *]"#,
            "metadata_modified:[2023-12-31T12:34:56.789Z/DAY+1DAY TO *]",
            "metadata_modified:[ 2024-01-01T00:00:00Z   TO   * ]",
        ] {
            let want = if fq.contains("23:59") {
                bound("2023-12-31T23:59:00.000000", true)
            } else {
                bound(z, true)
            };
            assert_eq!(within(fq), (want, None), "{fq}");
        }
        assert_eq!(
            within("metadata_created:{2024-01-01 TO 2024-02-01]"),
            (bound(z, false), bound("2024-02-01T00:00:00.000000", true))
        );
        assert_eq!(
            within("metadata_modified:[* TO 2024-02-01T00:00:00Z}"),
            (None, bound("2024-02-01T00:00:00.000000", false))
        );
        assert_eq!(within("metadata_modified:[* TO *]"), (None, None));
        // Below a microsecond: the nearest stored times inside the range, ends included.
        assert_eq!(
            within(
                "metadata_modified:{2024-01-01T00:00:00.0000005Z TO 2024-01-01T00:00:01.0000005Z}"
            ),
            (
                bound("2024-01-01T00:00:00.000001", true),
                bound("2024-01-01T00:00:01.000000", true)
            )
        );
        // Exact: that instant.
        assert_eq!(
            within(r#"metadata_modified:"2024-05-01T10:30:00.123456Z""#),
            (
                bound("2024-05-01T10:30:00.123456", true),
                bound("2024-05-01T10:30:00.123456", true)
            )
        );
        assert!(
            parse("-metadata_modified:[NOW-1DAY TO NOW]")
                .filters
                .conditions[0]
                .negate
        );
        // Date math from NOW (2026-03-31T15:45:30.123456789Z).
        for (math, at) in [
            ("NOW", "2026-03-31T15:45:30.123457"),
            ("NOW/DAY", "2026-03-31T00:00:00.000000"),
            ("NOW-7DAYS", "2026-03-24T15:45:30.123457"),
            ("NOW-1DAY/DAY", "2026-03-30T00:00:00.000000"),
            ("NOW/DAY-1DAY", "2026-03-30T00:00:00.000000"),
            ("NOW+2HOURS/HOUR", "2026-03-31T17:00:00.000000"),
            ("NOW-30MINUTES/MINUTE", "2026-03-31T15:15:00.000000"),
            ("NOW-1MONTH", "2026-02-28T15:45:30.123457"),
            ("NOW-13MONTHS/MONTH", "2025-02-01T00:00:00.000000"),
            ("NOW-2YEARS/YEAR", "2024-01-01T00:00:00.000000"),
            ("NOW/SECOND", "2026-03-31T15:45:30.000000"),
            ("NOW/MILLI", "2026-03-31T15:45:30.123000"),
            ("NOW-1DAY+1DAY-1DAYS/DATE", "2026-03-30T00:00:00.000000"),
            ("2024-02-29T00:00:00Z+1YEAR", "2025-02-28T00:00:00.000000"),
            ("2024-01-31-1MONTH", "2023-12-31T00:00:00.000000"),
        ] {
            assert_eq!(
                within(&format!("metadata_modified:[{math} TO *]")),
                (bound(at, true), None),
                "{math}"
            );
        }
        // An upper NOW keeps the microsecond at or before it.
        assert_eq!(
            within("metadata_modified:[* TO NOW]").1,
            bound("2026-03-31T15:45:30.123456", true)
        );
    }

    #[test]
    fn refusals_name_the_part() {
        for (fq, says) in [
            ("title:x", "cannot filter on field \"title\""),
            ("tags:\"open", "unterminated"),
            ("tags", "expected field:value"),
            (
                "tags:a OR groups:b",
                "OR between different fields (tags, groups)",
            ),
            ("tags:a OR -tags:b", "negation inside OR"),
            ("tags:(a OR -b)", "negation inside tags:(…)"),
            (
                "tags:a OR tags:b AND groups:c",
                "AND next to OR is ambiguous",
            ),
            (
                "groups:c AND tags:a OR tags:b",
                "AND next to OR is ambiguous",
            ),
            ("tags:(a OR b c)", "mixes AND and OR"),
            ("(tags:a groups:b) OR tags:c", "OR over a group"),
            ("-(tags:a groups:b)", "negating a group"),
            ("(tags:a OR (groups:b))", "OR between different fields"),
            ("tags:(a (b))", "nested parentheses"),
            ("tags:dis*", "wildcards (*)"),
            ("tags:*", "wildcards (*)"),
            ("name:a?c", "wildcards (?)"),
            ("tags:bousai~2", "fuzzy"),
            ("tags:\"a b\"~2", "fuzzy"),
            ("tags:a^2", "boosts (^)"),
            ("(tags:a)^2", "boosts (^)"),
            (
                "tags:[a TO b]",
                "ranges are only supported on metadata_modified",
            ),
            (
                "metadata_modified:[2024-01-01 TO *] OR metadata_modified:[* TO 2020-01-01]",
                "OR between ranges",
            ),
            ("metadata_modified:[2024-01-01 *]", "expected [X TO Y]"),
            ("metadata_modified:[2024-01-01 TO *", "expected ] or }"),
            ("metadata_modified:[yesterday TO *]", "expected a date"),
            ("metadata_modified:[2024-13-01 TO *]", "expected a date"),
            ("metadata_modified:[2024-02-30 TO *]", "2024-02-30"),
            (
                "metadata_modified:[NOW-7WEEKS TO *]",
                "unknown date math unit \"WEEKS\"",
            ),
            ("metadata_modified:[NOW-DAY TO *]", "needs a number"),
            ("metadata_modified:[NOW+99999YEARS TO *]", "out of range"),
            ("metadata_modified:[NOW*2 TO *]", "date math is"),
            ("metadata_modified:[日付 TO *]", "expected a date"),
            ("{!lucene}tags:a", "local parameters"),
            ("((((((((((tags:a))))))))))", "nest too deep"),
            ("tags:a)", "unbalanced ')'"),
            ("(tags:a", "unbalanced '('"),
            ("AND tags:a", "nothing before AND"),
            ("tags:a OR", "expected field:value"),
            ("- tags:a", "must be followed by a term"),
            ("()", "empty parentheses"),
        ] {
            match parse_fq_at(fq, NOW) {
                Ok(f) => panic!("{fq:?} was accepted: {f:?}"),
                Err(e) => assert!(e.contains(says), "{fq:?}: {e:?} should say {says:?}"),
            }
        }
    }
}
