//! The shape of osez-web, read from its sources: every route and the guard
//! its handler states, no import cycle between files, a kit that imports no
//! feature, and no source file of the workspace over 600 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LONGEST_FILE: usize = 600;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without its unit tests (they may reach anywhere).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Lines without their `//` comments (doc comments name paths in prose).
fn without_comments(code: &str) -> String {
    code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The folder whose files a path inside `file` is relative to: the file's
/// own folder for `lib.rs` and `mod.rs`, else a folder named after it.
fn module_dir(file: &Path) -> PathBuf {
    let name = file.file_stem().unwrap().to_str().unwrap();
    if name == "lib" || name == "mod" { file.parent().unwrap().to_path_buf() } else { file.with_extension("") }
}

/// The deepest file that the module path `segments` (from `base`) names.
fn resolve(base: &Path, segments: &[&str]) -> Option<PathBuf> {
    let mut dir = base.to_path_buf();
    let mut found = None;
    for seg in segments {
        let file = dir.join(format!("{seg}.rs"));
        let sub = dir.join(seg);
        if file.is_file() {
            found = Some(file);
            dir = sub;
        } else if sub.join("mod.rs").is_file() {
            found = Some(sub.join("mod.rs"));
            dir = sub;
        } else {
            break;
        }
    }
    found
}

/// Expands a `use` tree (`a::{b, c::{d}}`) into its paths.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => out.push(format!("{prefix}{tree}")),
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.rfind('}').unwrap()];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&format!("{prefix}{head}"), &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if !inner[start..].trim().is_empty() {
                expand(&format!("{prefix}{head}"), &inner[start..], out);
            }
        }
    }
}

/// The files of the crate that `file` imports: `crate::…` and `super::…`
/// paths in `use` trees and in code, and the child modules it declares.
fn imports_of(file: &Path, root: &Path) -> BTreeSet<PathBuf> {
    let code = without_comments(&code_of(file));
    let mut paths = Vec::new();
    for stmt in code.split(';') {
        let stmt = stmt.trim();
        let tree = stmt.strip_prefix("pub(crate) use ").or(stmt.strip_prefix("pub use ")).or(stmt.strip_prefix("use "));
        if let Some(tree) = tree {
            expand("", tree, &mut paths);
        }
    }
    // Paths written in code: crate::a::b, super::a.
    for kw in ["crate::", "super::"] {
        for (i, _) in code.match_indices(kw) {
            let before = code[..i].chars().last();
            // `pub(in crate::kit)` is a visibility, not an import.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') || code[..i].ends_with("(in ") {
                continue;
            }
            let rest: String =
                code[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            paths.push(rest);
        }
    }
    let mut files = BTreeSet::new();
    for path in paths {
        let segs: Vec<&str> = path.split("::").map(str::trim).filter(|s| !s.is_empty()).collect();
        let target = match segs.first() {
            Some(&"crate") => resolve(root, &segs[1..]),
            Some(&"super") => {
                let own = module_dir(file);
                let parent_dir = own.parent().unwrap().parent().unwrap().to_path_buf();
                let parent_file = resolve(&parent_dir, &[own.parent().unwrap().file_name().unwrap().to_str().unwrap()]);
                resolve(own.parent().unwrap(), &segs[1..]).or(parent_file)
            }
            // A module of this one, named by a relative path (`pages::home`).
            _ => None,
        };
        if let Some(t) = target
            && t != file
        {
            files.insert(t);
        }
    }
    // A module declares its children: it stands above them.
    for line in code.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_suffix(';').and_then(|l| l.rsplit("mod ").next())
            && line.contains("mod ")
            && !line.contains('{')
            && let Some(child) = resolve(&module_dir(file), &[name])
        {
            files.insert(child);
        }
    }
    files
}

fn rel(path: &Path) -> String {
    path.strip_prefix(src()).unwrap().display().to_string()
}

/// A cycle of the graph, if any, as a list of files.
fn find_cycle(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &PathBuf,
        graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        marks: &mut BTreeMap<PathBuf, Mark>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<String>> {
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle: Vec<String> = stack[from..].iter().map(|p| rel(p)).collect();
                    cycle.push(rel(next));
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(next, graph, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(c) = visit(node, graph, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

fn import_graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let root = src();
    rust_files(&root).into_iter().map(|f| (f.clone(), imports_of(&f, &root))).collect()
}

#[test]
fn no_file_imports_itself_back_through_others() {
    let graph = import_graph();
    assert!(graph.len() > 40, "the sources were not read: {} files", graph.len());
    assert!(graph.values().map(BTreeSet::len).sum::<usize>() > 150, "no import was read");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let p = |s: &str| src().join(s);
    let mut graph = BTreeMap::new();
    graph.insert(p("a.rs"), BTreeSet::from([p("b.rs")]));
    graph.insert(p("b.rs"), BTreeSet::from([p("c.rs")]));
    graph.insert(p("c.rs"), BTreeSet::from([p("a.rs")]));
    assert_eq!(find_cycle(&graph), Some(vec!["a.rs".into(), "b.rs".into(), "c.rs".into(), "a.rs".into()]));
    graph.insert(p("c.rs"), BTreeSet::new());
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn the_kit_imports_no_feature() {
    let kit = src().join("kit");
    let mut wrong = Vec::new();
    for (file, imports) in import_graph() {
        if file.starts_with(&kit) {
            for i in imports.iter().filter(|i| !i.starts_with(&kit)) {
                wrong.push(format!("{} -> {}", rel(&file), rel(i)));
            }
        }
    }
    assert!(wrong.is_empty(), "the kit imports features: {wrong:#?}");
}

#[test]
fn no_source_file_is_over_600_lines() {
    // Every crate of the workspace, not only this one.
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut long = Vec::new();
    let mut read = 0;
    for entry in std::fs::read_dir(crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        for f in rust_files(&src) {
            read += 1;
            let lines = std::fs::read_to_string(&f).unwrap().lines().count();
            if lines > LONGEST_FILE {
                long.push(format!("{}: {lines} lines", f.strip_prefix(crates).unwrap().display()));
            }
        }
    }
    assert!(read > 80, "the sources were not read: {read} files");
    assert!(long.is_empty(), "split these files: {long:#?}");
}

/// The guard in a handler's signature: the role set of its `Guard<…>`,
/// "public form" and its kind for a `PublicForm`, "participant" for a
/// consultation's anonymous participant, "visitor" for an optional
/// session, "public" for none.
fn guard_of(file: &Path, handler: &str) -> String {
    let code = code_of(file);
    let start = code
        .find(&format!("pub async fn {handler}("))
        .or_else(|| code.find(&format!("pub fn {handler}(")))
        .unwrap_or_else(|| panic!("no handler {handler} in {}", rel(file)));
    // Up to the return type: a parameter may be a pattern with braces.
    let signature = &code[start..start + code[start..].find(") ->").unwrap()];
    if let Some(i) = signature.find("Guard<") {
        let roles = &signature[i + 6..];
        return roles[..roles.find('>').unwrap()].to_string();
    }
    if let Some(i) = signature.find("PublicForm<") {
        let kind = &signature[i + 11..];
        return format!("public form {}", &kind[..kind.find('>').unwrap()]);
    }
    if signature.contains("Participant") {
        // A consultation's anonymous participant: new ones counted per
        // address, votes per participant.
        return "participant".into();
    }
    if signature.contains("Visitor") { "visitor".into() } else { "public".into() }
}

/// Every route of the router: (path, method, guard).
fn routes() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for file in rust_files(&src()) {
        let code = without_comments(&code_of(&file));
        for (i, _) in code.match_indices(".route(") {
            // The path may sit on the next line, where rustfmt put it.
            let Some(rest) = code[i + 7..].trim_start().strip_prefix('"') else { continue };
            let path = &rest[..rest.find('"').unwrap()];
            let call = &rest[..rest.find("))\n").map_or(rest.len(), |e| e + 1)];
            for method in ["get", "post", "put", "patch", "delete"] {
                for (j, _) in call.match_indices(&format!("{method}(")) {
                    if call[..j].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let target = &call[j + method.len() + 1..];
                    let target = &target[..target.find(')').unwrap_or_else(|| panic!("{call}"))];
                    let segs: Vec<&str> = target.split("::").collect();
                    let (modules, handler) = segs.split_at(segs.len() - 1);
                    let handler_file = if modules.is_empty() {
                        file.clone()
                    } else {
                        resolve(&module_dir(&file), modules).unwrap_or_else(|| panic!("{target} in {}", rel(&file)))
                    };
                    out.push((path.to_string(), method.to_uppercase(), guard_of(&handler_file, handler[0])));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_route_states_its_guard() {
    let routes = routes();
    assert!(routes.len() > 60, "the routes were not read: {}", routes.len());
    let table: String = routes.iter().map(|(p, m, g)| format!("{m:6} {p:40} {g}\n")).collect();
    // Review a change of this table: it is who may do what.
    insta::assert_snapshot!(table);
    // The back office is never public; the anonymous forms that count
    // (contact, claims, data requests, reports, applications that create an
    // account, webinar registrations) all take the public-form guard.
    for form in [
        "/contact",
        "/conseillers/{id}/contact",
        "/conseillers/{id}/revendiquer",
        "/mes-donnees",
        "/conseillers/{id}/signaler",
        "/candidature",
        "/ressources/{slug}/inscription",
    ] {
        let guard = &routes.iter().find(|(p, m, _)| p == form && m == "POST").unwrap().2;
        assert!(guard.starts_with("public form"), "POST {form}: {guard}");
    }
    for (path, method, guard) in &routes {
        if path == "/admin" || path.starts_with("/admin/") {
            assert!(!guard.starts_with("public") && guard != "visitor", "{method} {path} has no guard");
        }
    }
}
