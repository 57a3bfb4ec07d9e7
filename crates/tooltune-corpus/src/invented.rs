//! Invented domains: tools about nouns the tables never name, with
//! parameter names and enum values of their own, so that a model trained on
//! the corpus must read a catalogue rather than recall one.
//!
//! The table domains hold 58 tools; a model that has seen each thousands of
//! times writes their parameter names from memory (`path_name` for a
//! catalogue's `pet_name`) and never learns to take an enum value from the
//! schema. An invented tool is a verb and a WordNet noun (`renew_lantern`,
//! "Renew a lantern: light in a transparent protective case."), with an
//! identifier named after the noun (`lantern_id`, values `LAN-4821`), a name
//! (`lantern_name`), an enum whose name and values are drawn words
//! (`finish`: `"copper" | "ivory" | "slate"`), and some of the tables'
//! arguments.
//!
//! The pool is drawn once per [`crate::Generator`] that uses it (a share
//! above 0), from its seed and lexicon, and lives as long as the program
//! (`'static`, like the tables it extends): such a generator is made once
//! per corpus, and the pool is a few hundred kilobytes.

use std::collections::HashMap;

use crate::domains::{Attr, Domain, ToolSpec};
use crate::lexicon::Lexicon;
use crate::phrasing::upper_first;
use crate::rng::Rng;
use crate::values::{FIRST, Kind};

/// Invented domains in a pool.
const DOMAINS: usize = 240;

/// Mixed into the seed of the pool's stream.
const STREAM: u64 = 0xBB67_AE85_84CA_A73B;

/// Verbs of invented tools: (name part, also the head word for synonyms;
/// phrases).
const VERBS: &[(&str, &[&str])] = &[
    ("book", &["book", "reserve"]),
    ("cancel", &["cancel", "call off"]),
    ("find", &["find", "look up", "search for"]),
    ("get", &["get", "fetch", "pull up"]),
    ("check", &["check", "check on", "verify"]),
    ("renew", &["renew", "extend"]),
    ("register", &["register", "sign up"]),
    ("order", &["order", "buy"]),
    ("return", &["return", "send back"]),
    ("repair", &["repair", "fix"]),
    ("inspect", &["inspect", "examine"]),
    ("rate", &["rate", "review"]),
    ("report", &["report", "flag"]),
    ("track", &["track", "follow"]),
    ("rent", &["rent", "hire"]),
    ("list", &["list", "show"]),
    ("delete", &["delete", "remove"]),
    ("update", &["update", "change"]),
    ("schedule", &["schedule", "plan"]),
    ("transfer", &["transfer", "move"]),
    ("clean", &["clean", "wash"]),
    ("lend", &["lend", "loan out"]),
    ("ship", &["ship", "send"]),
    ("price", &["price", "quote"]),
];

/// Names of invented enum parameters (or a drawn noun).
const FACETS: &[&str] = &[
    "size", "color", "level", "kind", "mode", "tier", "style", "grade", "flavor", "material",
    "format", "variant", "species", "finish", "category", "shape", "season", "plan", "zone",
];

/// Enum values are drawn from these and the lexicon's nouns.
const WORDS: &[&str] = &[
    "small", "medium", "large", "red", "green", "blue", "black", "white", "silver", "gold",
    "copper", "ivory", "slate", "basic", "standard", "premium", "deluxe", "express", "daily",
    "weekly", "monthly", "indoor", "outdoor", "north", "south", "east", "west", "spring", "summer",
    "autumn", "winter", "wood", "steel", "glass", "cotton", "wool", "round", "square", "mild",
    "spicy", "sweet", "sour", "cat", "dog", "horse", "rabbit", "fish", "bird", "new", "used",
    "open", "closed", "morning", "evening", "single", "double", "light", "dark",
];

/// Table arguments an invented tool may take as well, by key.
const SHARED: &[&str] = &[
    "date",
    "quantity",
    "note",
    "email",
    "phone",
    "city",
    "start_time",
    "recipient",
    "priority",
    "days",
    "urgent",
    "amount",
];

/// The invented domains and the attributes their tools use.
#[derive(Debug, Clone)]
pub struct Invented {
    domains: &'static [Domain],
    attrs: HashMap<&'static str, &'static Attr>,
}

impl Invented {
    /// No invented domains.
    pub fn none() -> Self {
        Self {
            domains: &[],
            attrs: HashMap::new(),
        }
    }

    /// A pool drawn from `seed` and the nouns of `lexicon` (none when the
    /// lexicon has fewer than eight).
    pub fn draw(seed: u64, lexicon: &Lexicon) -> Self {
        let nouns: Vec<(&str, &str)> = lexicon
            .glosses()
            .iter()
            .filter(|(w, _)| {
                (3..=10).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_lowercase())
            })
            .map(|(w, g)| (w.as_str(), g.as_str()))
            .collect();
        if nouns.len() < 8 {
            return Self::none();
        }
        let mut attrs = HashMap::new();
        let mut rng = Rng::new(seed ^ STREAM, 0);
        let mut domains = Vec::with_capacity(DOMAINS);
        for d in 0..DOMAINS {
            domains.push(invent_domain(d, &nouns, &mut attrs, &mut rng));
        }
        Self {
            domains: domains.leak(),
            attrs,
        }
    }

    /// The pool's domains (empty without a lexicon of nouns).
    pub fn domains(&self) -> &'static [Domain] {
        self.domains
    }

    /// The attribute behind `key`: the tables' or an invented one.
    pub fn attr(&self, key: &str) -> &'static Attr {
        match self.attrs.get(key) {
            Some(a) => a,
            None => crate::domains::attr(key),
        }
    }
}

/// English plural, regular forms only ("lantern" → "lanterns", "box" →
/// "boxes", "ferry" → "ferries").
fn plural(noun: &str) -> String {
    let b = noun.as_bytes();
    let before_y = b.len() >= 2 && !b"aeiou".contains(&b[b.len() - 2]);
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| noun.ends_with(e))
    {
        format!("{noun}es")
    } else if noun.ends_with('y') && before_y {
        format!("{}ies", &noun[..noun.len() - 1])
    } else {
        format!("{noun}s")
    }
}

fn leak(s: String) -> &'static str {
    s.leak()
}

fn leak_all(v: Vec<String>) -> &'static [&'static str] {
    v.into_iter().map(leak).collect::<Vec<_>>().leak()
}

fn invent_domain(
    d: usize,
    nouns: &[(&str, &str)],
    attrs: &mut HashMap<&'static str, &'static Attr>,
    rng: &mut Rng,
) -> Domain {
    let mut tools = Vec::new();
    let mut themes: Vec<&str> = Vec::new();
    for t in 0..rng.range(4, 7) as usize {
        let (noun, gloss) = *rng.pick(nouns);
        if !themes.contains(&noun) {
            themes.push(noun);
        }
        tools.push(invent_tool(
            &format!("{d}.{t}"),
            noun,
            gloss,
            nouns,
            attrs,
            rng,
        ));
    }
    let list = match themes.as_slice() {
        [a] => plural(a),
        [a, b, ..] => format!("{} and {}", plural(a), plural(b)),
        [] => "requests".to_string(),
    };
    let systems = leak_all(vec![
        format!("You help customers with {list}."),
        format!("You are the assistant of the {} desk.", themes[0]),
    ]);
    Domain {
        name: "invented",
        tools: tools.leak(),
        systems,
    }
}

fn invent_tool(
    id: &str,
    noun: &str,
    gloss: &str,
    nouns: &[(&str, &str)],
    attrs: &mut HashMap<&'static str, &'static Attr>,
    rng: &mut Rng,
) -> ToolSpec {
    let (part, phrases) = *rng.pick(VERBS);
    let verb = phrases[0];
    let cap = upper_first(verb);
    let names = leak_all(vec![
        format!("{part}_{noun}"),
        format!("{noun}_{part}"),
        format!("{part}_{}", plural(noun)),
    ]);
    let descs = leak_all(vec![
        format!("{cap} a {noun}."),
        format!("{cap} a {noun}: {gloss}."),
        format!("{cap} one of the {} on file.", plural(noun)),
    ]);
    let objects = leak_all(vec![
        format!("the {noun}"),
        format!("a {noun}"),
        format!("my {noun}"),
        noun.to_string(),
    ]);
    let mut req: Vec<&'static str> = Vec::new();
    let mut opt: Vec<&'static str> = Vec::new();
    // An identifier or a name says which one; most tools take one.
    match rng.below(10) {
        0..=4 => req.push(invent_id(id, noun, attrs)),
        5..=7 => req.push(invent_name(id, noun, attrs)),
        _ => {}
    }
    if rng.chance(0.6) {
        let facet = invent_enum(id, nouns, attrs, rng);
        if rng.chance(0.7) {
            req.push(facet);
        } else {
            opt.push(facet);
        }
    }
    for _ in 0..rng.below(3) {
        let key = *rng.pick(SHARED);
        if !req.contains(&key) && !opt.contains(&key) {
            if rng.chance(0.5) {
                req.push(key);
            } else {
                opt.push(key);
            }
        }
    }
    if req.is_empty() && opt.is_empty() {
        req.push(invent_id(id, noun, attrs));
    }
    ToolSpec {
        names,
        descs,
        head: part,
        verbs: phrases,
        objects,
        req: req.leak(),
        opt: opt.leak(),
    }
}

fn register(attrs: &mut HashMap<&'static str, &'static Attr>, attr: Attr) -> &'static str {
    let key = attr.key;
    attrs.insert(key, Box::leak(Box::new(attr)));
    key
}

/// `lantern_id`, values `LAN-4821`.
fn invent_id(
    id: &str,
    noun: &str,
    attrs: &mut HashMap<&'static str, &'static Attr>,
) -> &'static str {
    let prefix: String = noun.chars().take(3).collect::<String>().to_uppercase();
    register(
        attrs,
        Attr {
            key: leak(format!("~id.{id}")),
            names: leak_all(vec![
                format!("{noun}_id"),
                format!("{noun}_number"),
                format!("{noun}_ref"),
            ]),
            kind: Kind::Id(leak(format!("{prefix}-"))),
            phrases: leak_all(vec![
                "{}".to_string(),
                format!("{noun} {{}}"),
                "number {}".to_string(),
                format!("with {noun} number {{}}"),
            ]),
            about: leak(format!("{noun} ID")),
        },
    )
}

/// `lantern_name`, values first names.
fn invent_name(
    id: &str,
    noun: &str,
    attrs: &mut HashMap<&'static str, &'static Attr>,
) -> &'static str {
    register(
        attrs,
        Attr {
            key: leak(format!("~name.{id}")),
            names: leak_all(vec![format!("{noun}_name"), format!("{noun}_owner")]),
            kind: Kind::Word(FIRST),
            phrases: &["for {}", "named {}", "called {}", "of {}", "{}"],
            about: leak(format!("{noun} name")),
        },
    )
}

/// A facet named by a drawn word, with three to five drawn values.
fn invent_enum(
    id: &str,
    nouns: &[(&str, &str)],
    attrs: &mut HashMap<&'static str, &'static Attr>,
    rng: &mut Rng,
) -> &'static str {
    let facet = if rng.chance(0.6) {
        rng.pick(FACETS).to_string()
    } else {
        rng.pick(nouns).0.to_string()
    };
    let mut values: Vec<String> = Vec::new();
    let n = rng.range(3, 5) as usize;
    while values.len() < n {
        let v = if rng.chance(0.6) {
            rng.pick(WORDS).to_string()
        } else {
            rng.pick(nouns).0.to_string()
        };
        if v != facet && !values.contains(&v) {
            values.push(v);
        }
    }
    register(
        attrs,
        Attr {
            key: leak(format!("~enum.{id}")),
            names: leak_all(vec![facet.clone()]),
            kind: Kind::Enum(leak_all(values)),
            phrases: leak_all(vec![
                "{}".to_string(),
                format!("{{}} {facet}"),
                format!("{facet} {{}}"),
                format!("with {facet} {{}}"),
                "in {}".to_string(),
            ]),
            about: leak(facet),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon::builtin()
    }

    #[test]
    fn every_invented_argument_resolves_and_names_its_noun() {
        let pool = Invented::draw(7, &lexicon());
        assert_eq!(pool.domains().len(), DOMAINS);
        for d in pool.domains() {
            for t in d.tools {
                for k in t.req.iter().chain(t.opt) {
                    let a = pool.attr(k);
                    if k.starts_with("~id.") || k.starts_with("~name.") {
                        let noun = t.names[0].split_once('_').map(|x| x.1).unwrap_or("");
                        assert!(
                            a.names[0].starts_with(noun),
                            "{} for {}",
                            a.names[0],
                            t.names[0]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_pool_depends_on_the_seed_only() {
        let a = Invented::draw(7, &lexicon());
        let b = Invented::draw(7, &lexicon());
        let names = |p: &Invented| -> Vec<&str> {
            p.domains()
                .iter()
                .flat_map(|d| d.tools.iter().map(|t| t.names[0]))
                .collect()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(names(&a), names(&Invented::draw(8, &lexicon())));
    }

    #[test]
    fn plurals_are_regular_english() {
        for (one, many) in [
            ("lantern", "lanterns"),
            ("box", "boxes"),
            ("ferry", "ferries"),
            ("day", "days"),
            ("grampus", "grampuses"),
            ("match", "matches"),
        ] {
            assert_eq!(plural(one), many);
        }
    }

    #[test]
    fn too_few_nouns_invent_nothing() {
        assert!(Invented::draw(7, &Lexicon::default()).domains().is_empty());
    }
}
