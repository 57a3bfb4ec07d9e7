//! The repository's Markdown documents link to each other's sections
//! (MODEL.md's "Experiments" table to docs/model-history.md, the README to
//! docs/FEATURES.md, …) and to images and files. Every such link must lead
//! somewhere: the file exists and, for `FILE.md#anchor` (or `#anchor`), one
//! of its headings has that anchor as GitHub spells it.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The documents a newcomer reads: the top-level `*.md` and `docs/*.md`.
fn documents() -> Vec<PathBuf> {
    let mut docs = Vec::new();
    for dir in [root(), root().join("docs")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                docs.push(path);
            }
        }
    }
    docs.sort();
    docs
}

/// The lines outside fenced code blocks.
fn prose(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut fenced = false;
    text.lines().enumerate().filter(move |(_, line)| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// GitHub's anchor for a heading: lower case, characters other than letters,
/// digits, `_`, `-` and spaces dropped, spaces made `-`; a repeated anchor
/// gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose(text) {
        let Some(title) = line.strip_prefix('#') else {
            continue;
        };
        let title = title.trim_start_matches('#');
        if !title.starts_with(' ') {
            continue;
        }
        let slug: String = title
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let n = seen.entry(slug.clone()).or_insert(0);
        out.insert(if *n == 0 { slug } else { format!("{slug}-{n}") });
        *n += 1;
    }
    out
}

/// The targets of `[text](target)` and `![alt](target)` links on a line,
/// leaving out web addresses and whatever sits in inline code.
fn link_targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => in_code = !in_code,
            b']' if !in_code && bytes.get(i + 1) == Some(&b'(') => {
                let rest = &line[i + 2..];
                if let Some(end) = rest.find(')') {
                    let target = rest[..end].split_whitespace().next().unwrap_or("");
                    if !target.is_empty()
                        && !target.contains("://")
                        && !target.starts_with("mailto:")
                    {
                        out.push(target.to_string());
                    }
                    i += 2 + end;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Every broken link of one document, as `FILE:LINE: target (why)`.
fn broken_links(doc: &Path, cache: &mut HashMap<PathBuf, BTreeSet<String>>) -> Vec<String> {
    let text = std::fs::read_to_string(doc).unwrap();
    let dir = doc.parent().unwrap();
    let name = doc
        .strip_prefix(root())
        .unwrap_or(doc)
        .display()
        .to_string();
    let mut broken = Vec::new();
    for (n, line) in prose(&text) {
        for target in link_targets(line) {
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                doc.to_path_buf()
            } else {
                dir.join(path)
            };
            let why = if !file.exists() {
                Some("no such file")
            } else if let Some(anchor) =
                anchor.filter(|_| file.extension().is_some_and(|e| e == "md"))
            {
                let headings = cache
                    .entry(file.clone())
                    .or_insert_with(|| anchors(&std::fs::read_to_string(&file).unwrap()));
                (!headings.contains(anchor)).then_some("no heading with that anchor")
            } else {
                None
            };
            if let Some(why) = why {
                broken.push(format!("{name}:{}: {target} ({why})", n + 1));
            }
        }
    }
    broken
}

#[test]
fn every_link_between_the_documents_leads_somewhere() {
    let docs = documents();
    assert!(
        docs.iter().any(|d| d.ends_with("MODEL.md")),
        "found {docs:?}"
    );
    let mut cache = HashMap::new();
    let broken: Vec<String> = docs
        .iter()
        .flat_map(|doc| broken_links(doc, &mut cache))
        .collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn anchors_are_spelt_as_github_spells_them() {
    let text = "# What it is\n## Tried since: `--loss all` (1 December)\n```\n# not a heading\n```\n## What it is\n#hashtag\n";
    let got: Vec<String> = anchors(text).into_iter().collect();
    assert_eq!(
        got,
        [
            "tried-since---loss-all-1-december",
            "what-it-is",
            "what-it-is-1"
        ]
    );
}

#[test]
fn links_in_code_and_web_addresses_are_not_checked() {
    let line = "see [a](docs/a.md#x), `[b](nowhere)`, ![c](c.png \"t\") and [d](https://e.org/f)";
    assert_eq!(link_targets(line), ["docs/a.md#x", "c.png"]);
}

#[test]
fn a_missing_file_and_a_missing_anchor_are_reported_with_their_line() {
    let dir = std::env::temp_dir().join(format!("tooltune-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("b.md"), "# Real heading\n").unwrap();
    let a = dir.join("a.md");
    std::fs::write(
        &a,
        "[ok](b.md#real-heading)\n[gone](c.md)\n\n[typo](b.md#real-headin)\n[self](#nope)\n",
    )
    .unwrap();
    let broken = broken_links(&a, &mut HashMap::new());
    std::fs::remove_dir_all(&dir).unwrap();
    let name = a.display();
    assert_eq!(
        broken,
        [
            format!("{name}:2: c.md (no such file)"),
            format!("{name}:4: b.md#real-headin (no heading with that anchor)"),
            format!("{name}:5: #nope (no heading with that anchor)"),
        ]
    );
}
