//! Reading the layered sources into [`Settings`], reporting every refused value.
use std::collections::HashMap;
use std::path::Path;

use config::{Config, Environment, File, FileFormat, Value, ValueKind};

use super::{ConfigError, Settings};

const DEFAULTS: &str = include_str!("../../config/default.toml");

/// Keys whose environment variable is a comma-separated list.
const LIST_KEYS: [&str; 2] = ["server.cors_origins", "server.trusted_proxies"];

/// At most this many refused values are reported; each one costs another reading.
const MAX_REFUSALS: usize = 32;

impl Settings {
    /// Loads defaults, then `file` (if any), then `FERRID__…` entries of `vars`, and
    /// validates. `vars` is passed in (not read here) so unit tests need not touch the
    /// process environment.
    pub fn load(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("FERRID__"))
            .collect();
        let mut builder = Config::builder().add_source(defaults());
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::NoFile(path.to_path_buf()));
            }
            builder = builder.add_source(File::from(path.to_path_buf()).format(FileFormat::Toml));
        }
        let environment = LIST_KEYS.into_iter().fold(
            Environment::with_prefix("FERRID")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .list_separator(","),
            Environment::with_list_parse_key,
        );
        let sources = builder
            .add_source(environment.source(Some(vars)))
            .build()
            .map_err(ConfigError::Load)?;
        let (settings, mut problems) = read(sources)?;
        if let Err(ConfigError::Invalid(more)) = settings.validate() {
            problems.extend(more);
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }
}

fn defaults() -> File<config::FileSourceString, FileFormat> {
    File::from_str(DEFAULTS, FileFormat::Toml)
}

/// Deserializes the merged sources. Serde stops at the first value it refuses; so that one
/// start names every bad key, that value is then replaced by its default (or removed, when
/// it has none or is unknown) and reading runs again. The settings returned with problems
/// are only for the cross-key rules to look at: they are never used.
fn read(sources: Config) -> Result<(Settings, Vec<String>), ConfigError> {
    let defaults: Value = Config::builder()
        .add_source(defaults())
        .build()
        .and_then(Config::try_deserialize)
        .map_err(ConfigError::Load)?;
    let mut tree: Value = sources.try_deserialize().map_err(ConfigError::Load)?;
    let mut refused = Vec::new();
    let mut replaced = Vec::new();
    loop {
        let error = match tree.clone().try_deserialize::<Settings>() {
            Ok(settings) => {
                // The map behind the tree has no order; the report should.
                refused.sort();
                return Ok((settings, refused));
            }
            Err(error) => error,
        };
        // A refusal without a key, or of a value already replaced, cannot be stepped over.
        let Some(refusal) = Refusal::of(&error).filter(|r| !replaced.contains(&r.key)) else {
            refused.push(error.to_string());
            return Err(ConfigError::Invalid(refused));
        };
        refused.push(refusal.problem());
        if refused.len() >= MAX_REFUSALS {
            return Err(ConfigError::Invalid(refused));
        }
        let path: Vec<&str> = refusal.key.split('.').collect();
        set(&mut tree, &path, lookup(&defaults, &path).cloned());
        replaced.push(refusal.key);
    }
}

/// A value serde refused: its key (`section.key`) and why.
struct Refusal {
    key: String,
    why: String,
}

impl Refusal {
    fn of(error: &config::ConfigError) -> Option<Refusal> {
        use config::ConfigError as E;
        let (key, why) = match error {
            E::NotFound(key) => (key.clone(), "missing".to_string()),
            E::At {
                error,
                key: Some(key),
                ..
            } => (key.clone(), error.to_string()),
            // The config crate appends " for key `…`" (and the origin); the key goes first
            // here, like every other problem's.
            E::Type { key: Some(key), .. } => {
                let text = error.to_string();
                let end = text.find(" for key `").unwrap_or(text.len());
                (key.clone(), text[..end].to_string())
            }
            _ => return None,
        };
        // A misspelt key is refused by its table (`deny_unknown_fields`) in serde's words,
        // "unknown field `bogus`, expected one of …": name the key itself.
        let unknown = why
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'));
        Some(match unknown {
            Some((field, rest)) => Refusal {
                key: format!("{key}.{field}"),
                why: format!("unknown key{rest}"),
            },
            None => Refusal { key, why },
        })
    }

    fn problem(&self) -> String {
        format!("{}: {}", self.key, self.why)
    }
}

fn lookup<'a>(tree: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(tree, |value, segment| match &value.kind {
            ValueKind::Table(table) => table.get(*segment),
            _ => None,
        })
}

/// Puts `value` at `path` in the tree, or removes what is there when `value` is `None`.
fn set(tree: &mut Value, path: &[&str], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = tree;
    for segment in parents {
        let ValueKind::Table(table) = &mut node.kind else {
            return;
        };
        let Some(child) = table.get_mut(*segment) else {
            return;
        };
        node = child;
    }
    if let ValueKind::Table(table) = &mut node.kind {
        match value {
            Some(value) => table.insert((*last).to_string(), value),
            None => table.remove(*last),
        };
    }
}
