//! ydx's configuration: a TOML file, overlaid by `YDX_<SECTION>_<KEY>` environment variables.
//! Every key and its default is in [`Config::default`] and `ydx.example.toml`; unknown keys
//! are refused with the key and the file named.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: Server,
    pub database: Database,
    pub storage: Storage,
    pub map: Map,
    pub region: Region,
    pub log: Log,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// Address and port to listen on.
    pub listen: String,
    /// The public URL (used in DCAT documents, sitemaps, API examples).
    pub base_url: String,
    /// Mark cookies `Secure`; set when a TLS proxy is in front.
    pub secure_cookies: bool,
    /// Seconds to let requests in flight finish at shutdown.
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    /// `sqlite://PATH` (default: the data folder's ydx.db) or `postgres://USER:PASS@HOST/DB`.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// The data folder: SQLite database, uploaded files, imported boundaries.
    pub data_dir: PathBuf,
    /// Largest upload, in MiB.
    pub max_upload_mb: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Map {
    /// Tile URL template; "" draws the municipal boundaries only.
    pub tile_url: String,
    /// Attribution HTML for the tiles (GSI asks for a link named 地理院タイル).
    pub tile_attribution: String,
    /// How far outside a simplified coastline a point may be and still be located.
    pub snap_distance_m: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Region {
    /// Full-resolution N03 GeoJSON imported by `ydx region import`; empty uses the bundled,
    /// simplified boundaries.
    pub boundaries_file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    /// "text" or "json".
    pub format: String,
    /// A tracing filter, e.g. "info" or "ydx_web=debug,info".
    pub level: String,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            secure_cookies: false,
            shutdown_grace_secs: 20,
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: String::new(),
            max_connections: 8,
        }
    }
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            data_dir: PathBuf::from("ydx-data"),
            max_upload_mb: 50,
        }
    }
}

impl Default for Map {
    fn default() -> Self {
        let web = ydx_web::WebConfig::default();
        Map {
            tile_url: web.tile_url,
            tile_attribution: web.tile_attribution_html,
            snap_distance_m: web.snap_distance_m,
        }
    }
}

impl Default for Log {
    fn default() -> Self {
        Log {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

const SECTIONS: [&str; 6] = ["server", "database", "storage", "map", "region", "log"];

/// Environment variables that are not configuration keys (used by tests and tooling).
const NOT_CONFIG: [&str; 3] = ["YDX_CONFIG", "YDX_TEST_DATABASE_URL", "YDX_NEW_PASSWORD"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}", path = .0.display(), source = .1)]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Parse(String, String),
    #[error("environment variable {0}: {1}")]
    Env(String, String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads `path` (if given) and overlays `YDX_*` variables from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (mut table, source) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError::Read(p.to_path_buf(), e))?;
                let table: toml::Table = toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse(p.display().to_string(), e.to_string()))?;
                (table, p.display().to_string())
            }
            None => (toml::Table::new(), "defaults".to_string()),
        };
        // Check the file alone first, so an unknown key is reported against the file.
        let _: Config = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse(source.clone(), e.to_string()))?;
        let mut from_env = Vec::new();
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("YDX_") else {
                continue;
            };
            if NOT_CONFIG.contains(&key.as_str()) || rest.starts_with("TEST_") {
                continue;
            }
            let lower = rest.to_ascii_lowercase();
            let Some(section) = SECTIONS
                .iter()
                .find(|s| lower.starts_with(&format!("{s}_")))
            else {
                return Err(ConfigError::Env(
                    key.clone(),
                    format!(
                        "unknown section; use YDX_<{}>_<KEY>",
                        SECTIONS.join("|").to_uppercase()
                    ),
                ));
            };
            let field = lower[section.len() + 1..].to_string();
            let known = toml::Value::try_from(Config::default())
                .ok()
                .and_then(|v| v.get(*section).and_then(|t| t.get(&field)).cloned())
                .is_some();
            if !known {
                return Err(ConfigError::Env(
                    key.clone(),
                    format!("[{section}] has no key {field:?} (see ydx.example.toml)"),
                ));
            }
            let parsed = parse_env_value(&value);
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                t.insert(field, parsed);
            }
            from_env.push(key);
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Env(from_env.join(", "), e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "server.listen = {:?} is not an address:port such as 127.0.0.1:8080",
                self.server.listen
            )));
        }
        if !self.database.url.is_empty()
            && !self.database.url.starts_with("sqlite:")
            && !self.database.url.starts_with("postgres:")
            && !self.database.url.starts_with("postgresql:")
        {
            return Err(ConfigError::Invalid(format!(
                "database.url must start with sqlite:// or postgres:// (got {:?})",
                ydx_storage::redact_url(&self.database.url)
            )));
        }
        if !(0.0..=5000.0).contains(&self.map.snap_distance_m) {
            return Err(ConfigError::Invalid(format!(
                "map.snap_distance_m = {} must be between 0 and 5000",
                self.map.snap_distance_m
            )));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::Invalid(format!(
                "log.format = {:?} must be \"text\" or \"json\"",
                self.log.format
            )));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database.max_connections must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}",
                self.storage.data_dir.join("ydx.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.storage.data_dir.join("blobs")
    }

    /// The effective configuration as TOML, with the database password hidden.
    pub fn to_redacted_toml(&self) -> String {
        let mut c = self.clone();
        c.database.url = ydx_storage::redact_url(&c.database.url);
        toml::to_string_pretty(&c).unwrap_or_default()
    }
}

/// Environment values are strings; numbers and booleans are read as such so that
/// `YDX_SERVER_SECURE_COOKIES=true` works.
fn parse_env_value(v: &str) -> toml::Value {
    if let Ok(b) = v.parse::<bool>() {
        return toml::Value::Boolean(b);
    }
    if let Ok(i) = v.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    if let Ok(f) = v.parse::<f64>()
        && f.is_finite()
    {
        return toml::Value::Float(f);
    }
    toml::Value::String(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ydx.toml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::load(None, Vec::new()).unwrap();
        assert_eq!(c, Config::default());
        assert!(c.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let (_d, p) = write("[server]\nlisten = \"127.0.0.1:9000\"\nlisen = 1\n");
        let e = Config::load(Some(&p), Vec::new()).unwrap_err().to_string();
        assert!(e.contains("lisen"), "{e}");
        assert!(e.contains("ydx.toml"), "{e}");
        let (_d, p) = write("[sever]\n");
        let e = Config::load(Some(&p), Vec::new()).unwrap_err().to_string();
        assert!(e.contains("sever"), "{e}");
    }

    #[test]
    fn environment_overlays_file() {
        let (_d, p) = write("[server]\nlisten = \"127.0.0.1:9000\"\n");
        let env = vec![
            ("YDX_SERVER_SECURE_COOKIES".to_string(), "true".to_string()),
            (
                "YDX_DATABASE_URL".to_string(),
                "postgres://u:p@h/db".to_string(),
            ),
            ("YDX_MAP_SNAP_DISTANCE_M".to_string(), "150".to_string()),
            ("YDX_TEST_DATABASE_URL".to_string(), "ignored".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ];
        let c = Config::load(Some(&p), env).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:9000");
        assert!(c.server.secure_cookies);
        assert_eq!(c.database.url, "postgres://u:p@h/db");
        assert_eq!(c.map.snap_distance_m, 150.0);
        assert!(c.to_redacted_toml().contains("u:***@h"));
    }

    #[test]
    fn bad_environment_is_named() {
        let e = Config::load(None, vec![("YDX_SERVER_LISTN".into(), "x".into())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("YDX_SERVER_LISTN"), "{e}");
        let e = Config::load(None, vec![("YDX_FOO".into(), "x".into())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("YDX_FOO"), "{e}");
    }

    #[test]
    fn invalid_values_are_explained() {
        let (_d, p) = write("[server]\nlisten = \"localhost\"\n");
        assert!(
            Config::load(Some(&p), Vec::new())
                .unwrap_err()
                .to_string()
                .contains("server.listen")
        );
        let (_d, p) = write("[database]\nurl = \"mysql://x\"\n");
        assert!(
            Config::load(Some(&p), Vec::new())
                .unwrap_err()
                .to_string()
                .contains("database.url")
        );
    }

    proptest! {
        /// Whatever a config file holds, loading it answers Ok or a clear error; it never panics.
        #[test]
        fn arbitrary_files_never_panic(text in "\\PC{0,200}") {
            let (_d, p) = write(&text);
            let _ = Config::load(Some(&p), Vec::new());
        }

        #[test]
        fn arbitrary_env_values_never_panic(key in "YDX_[A-Z_]{1,20}", value in "\\PC{0,40}") {
            let _ = Config::load(None, vec![(key, value)]);
        }
    }
}

#[cfg(test)]
mod example_file {
    /// The documented example must load and equal the defaults, so the reference cannot
    /// drift from the code.
    #[test]
    fn example_config_is_the_defaults() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ydx.example.toml");
        let c = super::Config::load(Some(&path), Vec::new()).unwrap();
        assert_eq!(c, super::Config::default());
    }
}
