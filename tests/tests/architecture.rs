//! ARCHITECTURE.md is a map with one hop to the code: every path it names
//! in backticks as `crate::module::item` must exist. This test fails when a
//! named module, type, function or constant is moved or renamed without the
//! map following.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The source directory of a crate named by its short or full name.
fn crate_src(name: &str) -> Option<PathBuf> {
    let short = name.strip_prefix("kereru_").unwrap_or(name);
    let dir = match short {
        "tests" => root().join("tests/src"),
        other => root().join("crates").join(other).join("src"),
    };
    dir.is_dir().then_some(dir)
}

/// Every `.rs` file under `dir`, read.
fn sources(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// Whether `text` defines `name` as an item (or a method/field/variant).
fn defines(text: &str, name: &str) -> bool {
    let is_word_end = |rest: &str| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_');
    ["fn ", "struct ", "enum ", "trait ", "type ", "const ", "static ", "mod ", "macro_rules! "].iter().any(|keyword| {
        let needle = format!("{keyword}{name}");
        text.match_indices(&needle).any(|(at, _)| is_word_end(&text[at + needle.len()..]))
    }) || text.lines().any(|line| {
        // Enum variants and struct fields: `    Name,` `    Name(` `    Name {` `    pub name:`.
        let line = line.trim_start().trim_start_matches("pub ");
        line.strip_prefix(name).is_some_and(|rest| {
            rest.starts_with([',', '(', ' ', '{', ':']) && !rest.starts_with("::") && is_word_end(rest)
        })
    })
}

/// The file of module `segments` under `src`, if there is one.
fn module_file(src: &Path, segments: &[&str]) -> Option<PathBuf> {
    if segments.is_empty() {
        return [src.join("lib.rs"), src.join("main.rs")].into_iter().find(|p| p.is_file());
    }
    let base = segments.iter().fold(src.to_path_buf(), |dir, segment| dir.join(segment));
    [base.with_extension("rs"), base.join("mod.rs")].into_iter().find(|p| p.is_file())
}

/// Why `path` does not resolve, or `None` when it does.
fn unresolved(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split("::").collect();
    let src = crate_src(segments[0])?;
    let all = sources(&src);
    let rest = &segments[1..];
    // The longest prefix that is a module; what follows is an item, then its members.
    let modules = (0..=rest.len()).rev().find(|&n| module_file(&src, &rest[..n]).is_some())?;
    let file = std::fs::read_to_string(module_file(&src, &rest[..modules])?).unwrap();
    let items = &rest[modules..];
    // A module path alone names a module, which exists.
    let (first, members) = items.split_first()?;
    // Defined in the module, or re-exported by it and defined somewhere in the crate.
    let here = defines(&file, first)
        || (file.contains("pub use") && file.contains(first) && all.iter().any(|t| defines(t, first)));
    if !here {
        return Some(format!("`{first}` is not in {}", rest[..modules].join("::")));
    }
    for member in members {
        if !all.iter().any(|t| defines(t, member)) {
            return Some(format!("`{member}` is defined nowhere in the crate"));
        }
    }
    None
}

/// Crates of the workspace, by the names ARCHITECTURE.md uses.
const CRATES: [&str; 12] =
    ["core", "store", "service", "web", "delivery", "acme", "mail", "server", "media", "bench", "tests", "metrics"];
/// Outside crates a path may name; not checked.
const EXTERNAL: [&str; 10] =
    ["crate", "std", "diesel", "diesel_async", "tokio", "serde", "actix_web", "reqwest", "rustls", "instant_acme"];

/// Why a path without a crate name resolves nowhere: it must be a module
/// path in some crate (`federation::inbound::process`), or a type of the
/// workspace with its members (`AppState::publish`).
fn unresolved_anywhere(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split("::").collect();
    if CRATES.iter().any(|c| unresolved(&format!("{c}::{path}")).is_none() && crate_src(c).is_some()) {
        return None;
    }
    let all: Vec<String> = CRATES.iter().filter_map(|c| crate_src(c)).flat_map(|src| sources(&src)).collect();
    if segments.iter().all(|s| all.iter().any(|t| defines(t, s) || t.contains(&format!("mod {s}")))) {
        return None;
    }
    Some("resolves in no crate".into())
}

#[test]
fn every_code_path_architecture_md_names_exists() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut checked = 0;
    let mut missing = Vec::new();
    for (i, span) in text.split('`').enumerate() {
        if i % 2 == 0 {
            continue; // outside backticks
        }
        let path = span.trim_end_matches("()");
        let Some((first, _)) = path.split_once("::") else { continue };
        let well_formed = path.split("::").all(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if !well_formed || EXTERNAL.contains(&first) {
            continue;
        }
        checked += 1;
        let short = first.strip_prefix("kereru_").unwrap_or(first);
        let reason = if CRATES.contains(&short) && crate_src(short).is_some() {
            unresolved(path)
        } else {
            unresolved_anywhere(path)
        };
        if let Some(reason) = reason {
            missing.push(format!("{path}: {reason}"));
        }
    }
    assert!(checked >= 40, "ARCHITECTURE.md should name the code it describes; only {checked} paths found");
    assert!(missing.is_empty(), "ARCHITECTURE.md names paths that do not exist:\n{}", missing.join("\n"));
}

#[test]
fn the_checker_finds_what_exists_and_only_that() {
    assert_eq!(unresolved("store::domains::find_by_host"), None);
    assert_eq!(unresolved("core::host::HostName"), None);
    assert_eq!(unresolved("web::tenant"), None);
    assert!(unresolved("store::domains::no_such_function").is_some());
    assert!(unresolved("core::host::HostName::no_such_method").is_some());
    assert_eq!(unresolved_anywhere("federation::inbound::process"), None);
    assert!(unresolved_anywhere("federation::inbound::no_such_thing").is_some());
}
