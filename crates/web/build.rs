//! Fetches the front-end packages from npm (pinned by assets/package-lock.json) and copies the
//! files the binary serves into $OUT_DIR/vendor, where rust-embed picks them up. Nothing from
//! node_modules is committed; `cargo build` on a machine with Node.js produces the whole binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (file under node_modules, path served under /static/vendor/)
const ALLOW: &[(&str, &str)] = &[
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    (
        "leaflet/dist/images/marker-icon.png",
        "leaflet/images/marker-icon.png",
    ),
    (
        "leaflet/dist/images/marker-icon-2x.png",
        "leaflet/images/marker-icon-2x.png",
    ),
    (
        "leaflet/dist/images/marker-shadow.png",
        "leaflet/images/marker-shadow.png",
    ),
    (
        "leaflet/dist/images/layers.png",
        "leaflet/images/layers.png",
    ),
    (
        "leaflet/dist/images/layers-2x.png",
        "leaflet/images/layers-2x.png",
    ),
    ("leaflet/LICENSE", "leaflet/LICENSE"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org/LICENSE", "htmx/LICENSE"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let assets = manifest.join("assets");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/package.json");
    println!("cargo:rerun-if-changed=assets/package-lock.json");

    let modules = assets.join("node_modules");
    if ALLOW.iter().any(|(src, _)| !modules.join(src).exists()) {
        let status = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&assets)
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => fail(&format!("`npm ci` in {} exited with {s}", assets.display())),
            Err(e) => fail(&format!(
                "could not run npm ({e}); install Node.js and npm to build ydx's front-end"
            )),
        }
    }

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("vendor");
    for (src, dest) in ALLOW {
        copy(&modules.join(src), &out.join(dest));
    }
}

fn copy(src: &Path, dest: &Path) {
    if let Some(parent) = dest.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        fail(&format!("create {}: {e}", parent.display()));
    }
    if let Err(e) = std::fs::copy(src, dest) {
        fail(&format!("copy {} → {}: {e}", src.display(), dest.display()));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}
