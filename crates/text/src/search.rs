//! Search terms for Japanese text: one tokenizer for SQLite and PostgreSQL.
//!
//! The catalog keeps a plain `(term, document)` inverted index in SQL, so the *same* Rust code
//! decides the terms on both backends and their results cannot drift apart. A document matches
//! a query when every term of [`query_terms`] is among the document's [`index_terms`].
//!
//! Terms come from a morphological analyser (vibrato with IPADIC, built by `build.rs`) rather
//! than character n-grams: a bigram index finds 「京都」 inside 「東京都」, a dictionary
//! tokenizer splits 「東京/都」 and does not.
//!
//! Rules, in order:
//! 1. Text is [`normalize`]d first (NFKC + lowercase): ＡＥＤ = AED = aed, ｶﾅ = カナ, ２ = 2.
//! 2. Function words are dropped: 助詞, 助動詞, 記号, 接続詞, フィラー, その他, every
//!    非自立 word (こと, もの, いる…), the light verbs する/ある/いる/なる, hiragana-only
//!    prefixes and adnominals (お, ご, この…), and tokens with no letter or digit.
//! 3. Verbs and adjectives become their dictionary form (探し → 探す) on both sides.
//! 4. ASCII words and numbers are kept whole (`geojson`, `2024`).
//! 5. Katakana compounds (index side only; see [`KATAKANA_MIN_LEN`]): a katakana token of
//!    3+ characters is also indexed under every inner substring of 2..=[`KATAKANA_MAX_PART`]
//!    characters, so 「バス」 finds 「コミュニティバス」. Substrings that do not start the word
//!    and begin with a voiced kana are indexed devoiced as well (グマ → クマ), because in a
//!    compound the second word's first kana is voiced (連濁, rendaku): 「クマ」 finds
//!    「ツキノワグマ」. Substrings that start with ー, ン or a small kana, end on ッ, or stop
//!    just before ー or a small kana are skipped: they cut a syllable and no query looks so.
//!
//! Known false positives of rule 5 (tested in `tests/search.rs`): a short katakana query
//! matches any longer katakana word containing it (「カナ」 finds 「サカナ」, 「スト」 finds
//! 「リスト」), and devoicing also applies where the voiced kana is not rendaku (「ホール」
//! finds 「ボール」 inside 「ハンドボール」). Word-initial kana are never devoiced, so 「カス」
//! does not find 「ガスタンク」. Hiragana and kanji rendaku (「かわ」/「がわ」) are not handled.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use vibrato::tokenizer::worker::Worker;
use vibrato::{Dictionary, Tokenizer};

use crate::TextError;

/// The serialised IPADIC dictionary produced by `build.rs`.
static DICTIONARY_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ipadic.dic"));

/// Katakana tokens at least this long are also indexed under their inner substrings.
pub const KATAKANA_MIN_LEN: usize = 3;

/// Longest katakana substring indexed for a compound (longer queries match whole words only).
pub const KATAKANA_MAX_PART: usize = 10;

/// Input is tokenised in pieces of at most this many characters, so the lattice of a long
/// description stays small. Pieces end at line breaks and 。 when possible.
const MAX_PIECE_CHARS: usize = 2048;

/// Loaded once per process: reading the embedded dictionary is the expensive part.
static TOKENIZER: LazyLock<Result<Tokenizer, String>> = LazyLock::new(|| {
    let dict = Dictionary::read(DICTIONARY_BYTES).map_err(|e| e.to_string())?;
    Tokenizer::new(dict)
        .ignore_space(true)
        .map_err(|e| e.to_string())
});

thread_local! {
    /// vibrato workers hold reusable lattice buffers; one per thread avoids reallocating.
    static WORKER: RefCell<Option<Worker<'static>>> = const { RefCell::new(None) };
}

/// Loads the dictionary now instead of on the first search.
///
/// Call it at start-up: it surfaces a broken build as an error (rather than degraded search)
/// and takes the load time off the first request.
///
/// # Errors
/// [`TextError::Dictionary`] when the embedded dictionary cannot be read.
pub fn init() -> Result<(), TextError> {
    match &*TOKENIZER {
        Ok(_) => Ok(()),
        Err(e) => Err(TextError::Dictionary(e.clone())),
    }
}

/// Folds the variants a user cannot tell apart: NFKC (full-width ASCII and digits to ASCII,
/// half-width katakana to full-width) then lowercase. Used on both index and query text.
pub fn normalize(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).collect()
}

/// Terms to store in the inverted index for `text` (a title, description, keyword…).
///
/// Deduplicated, in order of first appearance. See the module docs for the rules.
pub fn index_terms(text: &str) -> Vec<String> {
    terms(text, true)
}

/// Terms a document must all have among its [`index_terms`] to match `query`.
///
/// Same analysis as [`index_terms`] without the katakana expansion, so a query for a whole
/// katakana word looks for that word (or a substring of a longer katakana word).
pub fn query_terms(query: &str) -> Vec<String> {
    terms(query, false)
}

/// Whether `text` matches `query` under the index's rule (every query term is an index term).
///
/// An empty query (only particles or punctuation) matches nothing.
pub fn matches(query: &str, text: &str) -> bool {
    let wanted = query_terms(query);
    if wanted.is_empty() {
        return false;
    }
    let have = index_terms(text);
    wanted.iter().all(|t| have.contains(t))
}

/// One token as the term rules see it.
struct Morph<'a> {
    surface: &'a str,
    pos: &'a str,
    pos_detail: &'a str,
    base: &'a str,
}

fn terms(text: &str, index: bool) -> Vec<String> {
    let norm = normalize(text);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |t: String| {
        if seen.insert(t.clone()) {
            out.push(t);
        }
    };
    for piece in pieces(&norm) {
        for_each_morph(piece, &mut |m| {
            let Some(term) = term_of(&m) else { return };
            if index && is_katakana_word(&term) {
                for part in katakana_parts(&term) {
                    push(part);
                }
            }
            push(term);
        });
    }
    out
}

/// Splits normalised text into tokenizer-sized pieces at line ends and 。.
fn pieces(s: &str) -> impl Iterator<Item = &str> {
    s.split(['\n', '\r', '。'])
        .flat_map(|line| {
            let mut rest = line;
            std::iter::from_fn(move || {
                if rest.is_empty() {
                    return None;
                }
                let cut = rest
                    .char_indices()
                    .nth(MAX_PIECE_CHARS)
                    .map_or(rest.len(), |(i, _)| i);
                let (head, tail) = rest.split_at(cut);
                rest = tail;
                Some(head)
            })
        })
        .filter(|p| !p.trim().is_empty())
}

/// Runs the analyser over one piece; falls back to script runs if the dictionary is broken,
/// so search degrades instead of failing (and [`init`] reports the breakage).
fn for_each_morph(piece: &str, f: &mut dyn FnMut(Morph<'_>)) {
    let Ok(tokenizer) = &*TOKENIZER else {
        for run in script_runs(piece) {
            f(Morph {
                surface: run,
                pos: "名詞",
                pos_detail: "一般",
                base: "*",
            });
        }
        return;
    };
    WORKER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let worker = slot.get_or_insert_with(|| tokenizer.new_worker());
        worker.reset_sentence(piece);
        worker.tokenize();
        for token in worker.token_iter() {
            let mut fields = token.feature().split(',');
            let pos = fields.next().unwrap_or("*");
            let pos_detail = fields.next().unwrap_or("*");
            let base = fields.nth(2).unwrap_or("*");
            f(Morph {
                surface: token.surface(),
                pos,
                pos_detail,
                base,
            });
        }
    });
}

/// Decides the term for one token, or `None` to drop it (rule 2–4 of the module docs).
fn term_of(m: &Morph<'_>) -> Option<String> {
    const DROPPED_POS: &[&str] = &[
        "助詞",
        "助動詞",
        "記号",
        "接続詞",
        "フィラー",
        "その他",
        "BOS/EOS",
    ];
    const LIGHT_VERBS: &[&str] = &["する", "ある", "いる", "なる"];
    let surface = m.surface.trim();
    if surface.is_empty() || !surface.chars().any(char::is_alphanumeric) {
        return None;
    }
    if DROPPED_POS.contains(&m.pos) || m.pos_detail == "非自立" {
        return None;
    }
    let all_hiragana = surface.chars().all(is_hiragana);
    if matches!(m.pos, "接頭詞" | "連体詞") && all_hiragana {
        return None;
    }
    let is_inflected = matches!(m.pos, "動詞" | "形容詞");
    if is_inflected && (m.pos_detail == "接尾" || LIGHT_VERBS.contains(&m.base)) {
        return None;
    }
    let term = if is_inflected && m.base != "*" && !m.base.is_empty() {
        m.base
    } else {
        surface
    };
    Some(term.to_owned())
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || c == 'ー'
}

fn is_katakana_word(s: &str) -> bool {
    s.chars().count() >= KATAKANA_MIN_LEN && s.chars().all(is_katakana)
}

/// Kana that cannot begin a word: a substring starting with one is never a query.
fn is_non_initial_kana(c: char) -> bool {
    matches!(
        c,
        'ー' | 'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ッ' | 'ャ' | 'ュ' | 'ョ' | 'ヮ' | 'ン'
    )
}

/// The unvoiced kana for a voiced (dakuten) katakana, e.g. グ → ク. Handakuten (パ) is not
/// rendaku and is left alone.
fn devoice(c: char) -> Option<char> {
    const VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ";
    const PLAIN: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
    VOICED
        .chars()
        .position(|v| v == c)
        .and_then(|i| PLAIN.chars().nth(i))
}

/// Inner substrings of a katakana word and their rendaku-devoiced forms (rule 5).
fn katakana_parts(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let mut parts = Vec::new();
    for start in 0..n {
        if is_non_initial_kana(chars[start]) {
            continue;
        }
        let longest = KATAKANA_MAX_PART.min(n - start);
        for len in 2..=longest {
            let end = start + len;
            // The whole word is pushed by the caller; a part must not cut a mora in two
            // (end before ー or a small kana, or end on ッ).
            if len == n
                || chars
                    .get(end)
                    .is_some_and(|&c| is_non_initial_kana(c) && c != 'ン')
                || chars[end - 1] == 'ッ'
            {
                continue;
            }
            let part: String = chars[start..end].iter().collect();
            if start > 0
                && let Some(plain) = devoice(chars[start])
            {
                let mut devoiced = String::with_capacity(part.len());
                devoiced.push(plain);
                devoiced.extend(&chars[start + 1..end]);
                parts.push(devoiced);
            }
            parts.push(part);
        }
    }
    parts
}

/// Degraded segmentation (runs of one script) used only if the dictionary failed to load.
fn script_runs(s: &str) -> Vec<&str> {
    fn class(c: char) -> u8 {
        if c.is_ascii_alphanumeric() {
            0
        } else if is_hiragana(c) {
            1
        } else if is_katakana(c) {
            2
        } else if c.is_alphanumeric() {
            3
        } else {
            4
        }
    }
    let mut runs = Vec::new();
    let mut start = 0;
    let mut prev: Option<u8> = None;
    for (i, c) in s.char_indices() {
        let k = class(c);
        if prev.is_some_and(|p| p != k) {
            runs.push(&s[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    if start < s.len() {
        runs.push(&s[start..]);
    }
    runs.into_iter()
        .filter(|r| r.chars().all(|c| class(c) != 4))
        .collect()
}
