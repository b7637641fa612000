//! The server's layering, checked on its source text: no two files import each other (directly or
//! round a longer circle), every SQL statement lives in the store, and the core never imports
//! `http`. Test code (`#[cfg(test)]` modules and `tests.rs` files) is left out.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::{Path, PathBuf},
};

/// One source file of the server crate: its module path and its code without comments or tests.
struct Source {
    module: Vec<String>,
    path: String,
    code: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|path| {
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("lib" | "main" | "mod")
            ) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            Source {
                module,
                path: rel.to_string_lossy().into_owned() + ".rs",
                code: strip(&text),
            }
        })
        .collect()
}

/// The text without comments, without the contents of string literals (SQL, messages), and
/// without the test module at the end of a file.
fn strip(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        // A raw string r"…", r#"…"#: skipped up to its closing quote and hashes.
        if c == 'r'
            && matches!(chars.get(i + 1), Some('"' | '#'))
            && (i == 0 || !chars[i - 1].is_alphanumeric())
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                j += 1;
                loop {
                    if j >= chars.len() {
                        break;
                    }
                    if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    if chars[j] == '\n' {
                        out.push('\n');
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
                continue;
            }
        }
        if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                if chars.get(j) == Some(&'\n') {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j + 1;
            continue;
        }
        // A char literal such as '"' or '{' must not start a string or a group.
        if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A leaf of a `use` tree: the full path it names and the local name it brings in.
fn use_leaves(tree: &str, prefix: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        let mut base = prefix;
        base.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    use_leaves(&inner[start..i], base.clone(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        use_leaves(&inner[start..], base, out);
        return;
    }
    if tree.is_empty() {
        return;
    }
    let (path, rename) = match tree.split_once(" as ") {
        Some((p, r)) => (p, Some(r.trim().to_owned())),
        None => (tree, None),
    };
    let mut full = prefix;
    full.extend(
        path.split("::")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
    );
    if full.last().map(String::as_str) == Some("self") {
        full.pop();
    }
    let name = rename.unwrap_or_else(|| full.last().cloned().unwrap_or_default());
    out.push((full, name));
}

/// A path as written in `source`, from the crate root: `crate::…`, `super::…`, `self::…`, a child
/// module's `child::…`, or a name a `use` brought in; `None` for anything else (other crates,
/// local items).
fn resolve(
    source: &Source,
    children: &BTreeSet<String>,
    aliases: &HashMap<String, Vec<String>>,
    parts: &[String],
) -> Option<Vec<String>> {
    let (first, rest) = parts.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "super" => {
            let mut base = source.module.clone();
            base.pop();
            let mut rest = rest;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            return Some(base);
        }
        "self" => source.module.clone(),
        name if children.contains(name) => {
            let mut base = source.module.clone();
            base.push(name.to_owned());
            base
        }
        name => aliases.get(name)?.clone(),
    };
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The module paths this file names: every `use` and every path written out in its code.
fn references(source: &Source, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let code = &source.code;
    // `use` statements first: what they name, and the names they bring in.
    let mut leaves = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        let Some(end) = after.find(';') else { break };
        if before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ';' || c == '}') {
            use_leaves(&after[..end], Vec::new(), &mut leaves);
        }
        rest = &after[end..];
    }
    let mut aliases = HashMap::new();
    let mut found = Vec::new();
    for (path, name) in &leaves {
        if let Some(full) = resolve(source, children, &HashMap::new(), path) {
            aliases.insert(name.clone(), full.clone());
            found.push(full);
        }
    }
    // Then every `a::b::c` path in the code.
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !is_ident(chars[i]) || (i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let mut parts = vec![String::new()];
        while i < chars.len() {
            if is_ident(chars[i]) {
                parts.last_mut().unwrap().push(chars[i]);
                i += 1;
            } else if chars[i] == ':'
                && chars.get(i + 1) == Some(&':')
                && chars.get(i + 2).is_some_and(|c| is_ident(*c))
            {
                parts.push(String::new());
                i += 2;
            } else {
                break;
            }
        }
        if parts.len() > 1 {
            if let Some(full) = resolve(source, children, &aliases, &parts) {
                found.push(full);
            }
        }
    }
    found
}

/// The file that defines the longest module prefix of `path`.
fn owner<'a>(path: &[String], files: &'a HashMap<Vec<String>, String>) -> Option<&'a String> {
    (0..=path.len())
        .rev()
        .find_map(|n| files.get(&path[..n].to_vec()))
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let sources = sources();
    let files: HashMap<Vec<String>, String> = sources
        .iter()
        .map(|s| (s.module.clone(), s.path.clone()))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in &sources {
        let children: BTreeSet<String> = sources
            .iter()
            .filter(|s| {
                s.module.len() == source.module.len() + 1 && s.module.starts_with(&source.module)
            })
            .filter_map(|s| s.module.last().cloned())
            .collect();
        for reference in references(source, &children) {
            if let Some(target) = owner(&reference, &files) {
                if *target != source.path && !target.is_empty() {
                    edges
                        .entry(source.path.clone())
                        .or_default()
                        .insert(target.clone());
                }
            }
        }
    }
    // The crate root declares every module; it imports none of them.
    edges.remove("lib.rs");
    edges
}

/// Groups of files that reach each other (Tarjan's strongly connected components).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.edges.get(v) {
            for w in targets {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut state = State {
        edges,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    let nodes: Vec<&str> = edges
        .iter()
        .flat_map(|(k, v)| std::iter::once(k.as_str()).chain(v.iter().map(String::as_str)))
        .collect();
    for v in nodes {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}

#[test]
fn no_two_server_files_import_each_other_directly_or_round_a_circle() {
    let edges = graph();
    // The checker itself must see the imports it is about: the router imports its handlers.
    assert!(
        edges
            .get("http.rs")
            .is_some_and(|t| t.contains("http/review.rs")),
        "{edges:#?}"
    );
    assert!(edges
        .get("sync/push.rs")
        .is_some_and(|t| t.contains("store/points.rs")));
    let found = circles(&edges);
    assert!(found.is_empty(), "files that import each other: {found:#?}");
}

#[test]
fn a_circle_between_two_files_is_found() {
    let mut edges = BTreeMap::new();
    edges.insert("a.rs".to_owned(), BTreeSet::from(["b.rs".to_owned()]));
    edges.insert("b.rs".to_owned(), BTreeSet::from(["c.rs".to_owned()]));
    edges.insert("c.rs".to_owned(), BTreeSet::from(["a.rs".to_owned()]));
    edges.insert("d.rs".to_owned(), BTreeSet::from(["a.rs".to_owned()]));
    assert_eq!(circles(&edges), vec![vec!["a.rs", "b.rs", "c.rs"]]);
}

#[test]
fn every_sql_statement_of_the_server_lives_in_the_store() {
    let makers = [
        "sqlx::query",
        "query!(",
        "query_as!(",
        "query_scalar!(",
        "query_as(",
        "query_scalar(",
        "QueryBuilder",
        "raw_sql(",
    ];
    let mut strays = Vec::new();
    for source in sources() {
        if source.path.starts_with("store") || source.path == "store.rs" {
            continue;
        }
        for (n, line) in source.code.lines().enumerate() {
            if makers.iter().any(|m| line.contains(m)) {
                strays.push(format!("{}:{}: {}", source.path, n + 1, line.trim()));
            }
        }
    }
    assert!(strays.is_empty(), "SQL outside the store: {strays:#?}");
    // And the store is where the statements are.
    let in_store: usize = sources()
        .iter()
        .filter(|s| s.path.starts_with("store"))
        .map(|s| s.code.matches("sqlx::query").count())
        .sum();
    assert!(in_store > 50, "{in_store}");
}

#[test]
fn the_core_never_imports_http() {
    let edges = graph();
    let wiring = ["http.rs", "cli.rs"];
    let leaks: Vec<(&String, &String)> = edges
        .iter()
        .filter(|(from, _)| !from.starts_with("http/") && !wiring.contains(&from.as_str()))
        .flat_map(|(from, to)| to.iter().map(move |t| (from, t)))
        .filter(|(_, to)| to.starts_with("http"))
        .collect();
    assert!(leaks.is_empty(), "core modules importing http: {leaks:#?}");
}
