//! The layer map of README.md ("Architecture"), enforced: each top-level module of `src/`
//! may name only the modules listed for it (`crate::…` paths in its code, comments and test
//! modules aside), and the layers below `web/` do not know actix. A new module needs a line
//! here, which is where its place in the layers is decided.
use std::path::{Path, PathBuf};

/// Each module and the modules its code may name. `state` is left out here and checked by
/// its own rule below.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("clock", &[]),
    ("logging", &[]),
    ("metrics", &[]),
    ("crypto", &["domain"]),
    ("config", &["domain", "crypto"]),
    ("store", &["domain", "config", "metrics"]),
    ("keys", &["domain", "crypto", "store", "config"]),
    ("security", &["domain", "store", "config", "clock"]),
    ("mail", &["domain", "store", "config", "clock"]),
    (
        "accounts",
        &["domain", "crypto", "store", "security", "mail", "config"],
    ),
    ("oauth", &["domain", "crypto", "keys", "store", "config"]),
    (
        "provision",
        &["domain", "crypto", "store", "config", "accounts", "oauth"],
    ),
    (
        "federation",
        &["domain", "crypto", "store", "mail", "config", "accounts"],
    ),
    (
        "web",
        &[
            "accounts",
            "oauth",
            "keys",
            "mail",
            "security",
            "store",
            "domain",
            "config",
            "clock",
            "logging",
            "metrics",
            "federation",
        ],
    ),
    (
        "state",
        &[
            "accounts",
            "clock",
            "config",
            "crypto",
            "keys",
            "logging",
            "metrics",
            "oauth",
            "security",
            "store",
            "federation",
        ],
    ),
    (
        "startup",
        &[
            "accounts",
            "clock",
            "config",
            "crypto",
            "domain",
            "keys",
            "mail",
            "metrics",
            "oauth",
            "provision",
            "security",
            "store",
            "web",
            "federation",
        ],
    ),
    (
        "cli",
        &[
            "accounts",
            "clock",
            "config",
            "crypto",
            "domain",
            "keys",
            "oauth",
            "provision",
            "startup",
            "store",
        ],
    ),
];

/// Only these may hold the whole application state; everything else takes what it uses.
const MAY_USE_STATE: &[&str] = &["web", "startup", "state"];

/// Nothing below the handlers knows HTTP.
const WITHOUT_ACTIX: &[&str] = &[
    "domain",
    "crypto",
    "config",
    "store",
    "keys",
    "security",
    "mail",
    "accounts",
    "oauth",
    "provision",
    "metrics",
    "federation",
];

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let mut broken = Vec::new();
    for (module, files) in modules() {
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == module) else {
            broken.push(format!(
                "{module}: not in the layer map (src/layer_rules.rs, README)"
            ));
            continue;
        };
        for (file, code) in files {
            for name in crate_paths(&code) {
                let own = name == module || name == "state";
                if !own && !allowed.contains(&name.as_str()) {
                    broken.push(format!("{}: crate::{name}", file.display()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layer map:\n{}",
        broken.join("\n")
    );
}

#[test]
fn nothing_below_the_handlers_knows_actix() {
    let broken: Vec<String> = modules()
        .into_iter()
        .filter(|(module, _)| WITHOUT_ACTIX.contains(&module.as_str()))
        .flat_map(|(_, files)| files)
        .filter(|(_, code)| code.contains("actix"))
        .map(|(file, _)| file.display().to_string())
        .collect();
    assert!(
        broken.is_empty(),
        "actix below web/:\n{}",
        broken.join("\n")
    );
}

/// Below `web/`, functions take what they use (a connection, the key set, a policy), never
/// the whole application state.
#[test]
fn only_the_handlers_and_startup_hold_the_application_state() {
    let broken: Vec<String> = modules()
        .into_iter()
        .filter(|(module, _)| !MAY_USE_STATE.contains(&module.as_str()))
        .flat_map(|(_, files)| files)
        .filter(|(_, code)| crate_paths(code).iter().any(|name| name == "state"))
        .map(|(file, _)| file.display().to_string())
        .collect();
    assert!(
        broken.is_empty(),
        "AppState outside web/ and startup:\n{}",
        broken.join("\n")
    );
}

/// Each top-level module of `src/` (a folder or a file, `lib.rs` and `main.rs` aside) with
/// the production code of its files.
fn modules() -> Vec<(String, Vec<(PathBuf, String)>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if ["lib", "main", "layer_rules"].contains(&name.as_str()) {
            continue;
        }
        let mut files = Vec::new();
        collect(&path, &mut files);
        for (file, _) in &mut files {
            *file = file.strip_prefix(root).unwrap_or(file).to_path_buf();
        }
        modules.push((name, files));
    }
    modules.sort();
    modules
}

fn collect(path: &Path, files: &mut Vec<(PathBuf, String)>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            collect(&entry.unwrap().path(), files);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        let text = std::fs::read_to_string(path).unwrap();
        files.push((path.to_path_buf(), production_code(&text)));
    }
}

/// The file up to its test module (by convention the last item), without comment lines:
/// tests may build fixtures through any layer, and docs may name any module.
fn production_code(text: &str) -> String {
    text.lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a file names as `crate::module` or inside `crate::{…}`.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                names.extend(group.split(',').map(ident));
            }
            None => names.push(ident(rest)),
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

#[test]
fn crate_paths_are_found_in_both_forms() {
    let code = "use crate::store::users;\nuse crate::{domain::Email, keys};\nx(crate::mail::f())";
    assert_eq!(crate_paths(code), ["store", "domain", "keys", "mail"]);
}
