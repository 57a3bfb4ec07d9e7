//! tooltune-corpus: seeded synthetic tool-calling conversations in the
//! OpenAI chat fine-tuning format (one JSON object per line, each with its
//! own `tools`), the pretraining data of tooltune's built-in model.
//!
//! Each example draws a catalogue (2–6 tools of one [domain](domains), now
//! and then with tools of another), then one of: a single call whose
//! arguments are copied from the request, parallel calls, a call answered by
//! a tool result and a final answer, or (about 15 %) no tool at all —
//! chit-chat, a word definition, an underspecified request answered with a
//! question, a request for a tool the catalogue lacks. Requests vary verb
//! (WordNet synonyms through [`Lexicon`]), word order, politeness, casing,
//! typos and numbers spelled as words.
//!
//! Example `i` of seed `s` depends on `(s, i)` only, so a stream can be
//! resumed at any index and generated in parallel.

pub mod domains;
pub mod invented;
pub mod lexicon;
pub mod phrasing;
pub mod rng;
pub mod values;

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use domains::{Attr, DOMAINS, Domain, ToolSpec};
use invented::Invented;
pub use lexicon::Lexicon;
use phrasing::{Phraser, camel};
use rng::Rng;
use values::Drawn;

/// Share of examples whose answer is not a tool call.
pub const NO_TOOL_SHARE: f64 = 0.15;

/// A seeded example generator.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    lexicon: Lexicon,
    invented: Invented,
    invented_share: f64,
    english_values: f64,
    distractors: f64,
    synonym_share: f64,
}

/// Share of catalogues drawn from the invented domains (see [`invented`]) by
/// default: none, so the default stream is the one the shipped base was
/// pretrained on. A base pretrained with 0.4 scored worse after the
/// fine-tune (docs/model-history.md, "Tried since: invented domains");
/// [`Generator::invented_share`] or `--invented` turns them on.
pub const INVENTED_SHARE: f64 = 0.0;

/// Mixed into the seed of the shared catalogues' stream, so that a group's
/// catalogue is not example `index / group`'s.
const GROUP_STREAM: u64 = 0x6A09_E667_F3BC_C908;

/// What the examples of one group share: the domain, the catalogue and the
/// system prompt.
struct Setting {
    d: usize,
    tools: Vec<Placed>,
    system: Option<String>,
}

impl Setting {
    fn draw(invented: &Invented, share: f64, rng: &mut Rng) -> Self {
        let d = rng.below(DOMAINS.len());
        // No draw at share 0, so that stream is the one before invented domains.
        let domain = if !invented.domains().is_empty() && share > 0.0 && rng.chance(share) {
            rng.pick(invented.domains())
        } else {
            &DOMAINS[d]
        };
        let tools = catalogue(domain, d, invented, rng);
        let system = system_prompt(domain, rng);
        Self { d, tools, system }
    }
}

/// A tool as placed in one catalogue.
struct Placed {
    spec: &'static ToolSpec,
    name: String,
    /// (parameter name, attribute, required)
    params: Vec<(String, &'static Attr, bool)>,
    json: Value,
}

/// One drawn call: the tool, the values and the request phrase.
struct Call {
    name: String,
    arguments: Map<String, Value>,
    request: String,
    verb: String,
    object: String,
}

impl Generator {
    /// A generator for `seed` using `lexicon` for synonyms and definitions.
    pub fn new(seed: u64, lexicon: Lexicon) -> Self {
        Self {
            seed,
            lexicon,
            invented: Invented::none(),
            invented_share: 0.0,
            english_values: 0.0,
            distractors: 0.0,
            synonym_share: phrasing::SYNONYM_SHARE,
        }
        .invented_share(INVENTED_SHARE)
    }

    /// The same generator with `share` (0 to 1) of its catalogues drawn from
    /// the invented domains instead of [`INVENTED_SHARE`]. Their pool is
    /// drawn here, once, when the share is above 0.
    pub fn invented_share(mut self, share: f64) -> Self {
        self.invented_share = share.clamp(0.0, 1.0);
        if self.invented_share > 0.0 && self.invented.domains().is_empty() {
            self.invented = Invented::draw(self.seed, &self.lexicon);
        }
        self
    }

    /// The same generator with `share` (0 to 1) of its quoted and word
    /// argument values drawn from the lexicon's English instead of their
    /// pools (see [`values::english`]); 0, the default, is the shipped
    /// base's stream.
    pub fn english_values(mut self, share: f64) -> Self {
        self.english_values = share.clamp(0.0, 1.0);
        self
    }

    /// The same generator saying, in `share` (0 to 1) of the requests for a
    /// catalogue tool, one more value that only another tool of the
    /// catalogue takes, which the call leaves out (see
    /// [`Phraser::distractors`]); 0, the default, is the shipped base's
    /// stream.
    pub fn distractors(mut self, share: f64) -> Self {
        self.distractors = share.clamp(0.0, 1.0);
        self
    }

    /// The same generator saying `share` (0 to 1) of its requests' verbs as
    /// a synonym of the tool's head verb from the lexicon (see
    /// [`Lexicon::with_verb_senses`]); [`phrasing::SYNONYM_SHARE`], the
    /// default, is the shipped base's stream.
    pub fn synonym_share(mut self, share: f64) -> Self {
        self.synonym_share = share.clamp(0.0, 1.0);
        self
    }

    /// Example `index`: an OpenAI chat line (`messages`, `tools`).
    pub fn example(&self, index: u64) -> Value {
        let mut rng = Rng::new(self.seed, index);
        let setting = Setting::draw(&self.invented, self.invented_share, &mut rng);
        self.conversation(setting, &mut rng)
    }

    /// Example `index` of a stream whose examples come in groups of `group`
    /// (`index / group` names the group) sharing one catalogue and system
    /// prompt, each with a request of its own: a batch of one group renders
    /// the same prompt on every row, so training runs it once for all
    /// (the engine's `Batch::prefix`). `group <= 1` is
    /// [`Generator::example`].
    pub fn example_in_group(&self, index: u64, group: u64) -> Value {
        if group <= 1 {
            return self.example(index);
        }
        let mut shared = Rng::new(self.seed ^ GROUP_STREAM, index / group);
        let setting = Setting::draw(&self.invented, self.invented_share, &mut shared);
        self.conversation(setting, &mut Rng::new(self.seed, index))
    }

    /// The conversation of one example in `setting`, drawn from `rng`.
    fn conversation(&self, setting: Setting, rng: &mut Rng) -> Value {
        let Setting { d, tools, system } = setting;
        let ph = Phraser::new(&self.lexicon)
            .english_values(self.english_values)
            .distractors(self.distractors)
            .synonym_share(self.synonym_share);
        let mut messages = Vec::new();
        if let Some(system) = system {
            messages.push(json!({"role": "system", "content": system}));
        }
        let roll = rng.below(1000) as f64 / 1000.0;
        if roll < NO_TOOL_SHARE {
            no_tool(
                &ph,
                &tools,
                d,
                &self.invented,
                roll / NO_TOOL_SHARE,
                rng,
                &mut messages,
            );
        } else {
            let first = draw_call(&ph, rng.pick(&tools), &tools, rng);
            let r = rng.below(100);
            if r < 12 {
                // Parallel calls: the same tool twice or two tools.
                let second = if rng.chance(0.5) {
                    draw_call(
                        &ph,
                        tools.iter().find(|t| t.name == first.name).expect("placed"),
                        &tools,
                        rng,
                    )
                } else {
                    draw_call(&ph, rng.pick(&tools), &tools, rng)
                };
                let request = ph.join_requests(&first.request, &second.request, rng);
                messages.push(json!({"role": "user", "content": request}));
                messages.push(assistant_calls(&[&first, &second], rng));
            } else {
                messages.push(json!({"role": "user", "content": first.request.clone()}));
                let call = assistant_calls(&[&first], rng);
                let id = call["tool_calls"][0]["id"].clone();
                messages.push(call);
                if r < 28 {
                    let (result, answer) =
                        ph.tool_result(&first.verb, &first.object, &first.arguments, rng);
                    messages.push(json!({"role": "tool", "tool_call_id": id, "content": result}));
                    messages.push(json!({"role": "assistant", "content": answer}));
                }
            }
        }
        let tools: Vec<Value> = tools.into_iter().map(|t| t.json).collect();
        json!({"messages": messages, "tools": tools})
    }

    /// `n` distinct examples as JSONL, starting at index 0 (duplicates are
    /// skipped, so indices past `n` may be used).
    pub fn jsonl(&self, n: usize) -> String {
        let mut seen = HashSet::new();
        let mut out = String::new();
        let mut i = 0u64;
        while seen.len() < n {
            let line = self.example(i).to_string();
            i += 1;
            if seen.insert(line.clone()) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }
}

fn system_prompt(domain: &Domain, rng: &mut Rng) -> Option<String> {
    const GENERIC: &[&str] = &[
        "You are a helpful assistant.",
        "You are a helpful assistant with access to tools.",
        "Use the tools when they help; otherwise answer briefly.",
        "Be concise.",
    ];
    let base = match rng.below(10) {
        0..=2 => return None,
        3..=5 => rng.pick(GENERIC).to_string(),
        _ => rng.pick(domain.systems).to_string(),
    };
    if base.is_empty() {
        return None;
    }
    Some(if rng.chance(0.3) {
        format!("{base} If no tool fits, answer directly.")
    } else {
        base
    })
}

/// A catalogue of 2–6 tools from `domain`, sometimes with 1–2 strangers.
fn catalogue(domain: &'static Domain, d: usize, invented: &Invented, rng: &mut Rng) -> Vec<Placed> {
    let mut specs: Vec<&'static ToolSpec> = domain.tools.iter().collect();
    rng.shuffle(&mut specs);
    let n = (rng.range(2, 6) as usize).min(specs.len());
    specs.truncate(n);
    if rng.chance(0.25) {
        let other = (d + 1 + rng.below(DOMAINS.len() - 1)) % DOMAINS.len();
        for _ in 0..rng.range(1, 2) {
            specs.push(rng.pick(DOMAINS[other].tools));
        }
    }
    rng.shuffle(&mut specs);
    let camel_case = rng.chance(0.15);
    let with_desc = rng.chance(0.5);
    let closed = rng.chance(0.5);
    let naming = Naming::draw(rng);
    let mut out: Vec<Placed> = Vec::new();
    for spec in specs {
        let base = *rng.pick(spec.names);
        let mut name = naming.apply(base, rng);
        if camel_case {
            name = camel(&name);
        }
        if out
            .iter()
            .any(|p| p.name == name || std::ptr::eq(p.spec, spec))
        {
            continue;
        }
        out.push(place(
            spec, name, with_desc, closed, camel_case, invented, rng,
        ));
    }
    out
}

/// How a catalogue names its tools. Names drawn from a fixed table can be
/// memorised, and a model that memorised them does not read the catalogue;
/// so in most catalogues the names are made unguessable (a random prefix, a
/// made-up word) and the right one can only be copied from the prompt,
/// chosen by what the request says and what the description says.
enum Naming {
    /// The table's names.
    Plain,
    /// `<prefix>_<name>`, one made-up prefix for the whole catalogue.
    Prefix(String),
    /// `<name>_<suffix>`.
    Suffix(String),
    /// A made-up word per tool (the description alone says what it does).
    Nonce,
}

const SYLLABLES: &[&str] = &[
    "ka", "zu", "mo", "ri", "tel", "vo", "pax", "dri", "lo", "nex", "qua", "bel", "sor", "tin",
    "gra", "fen", "ul", "ox", "mir", "dak", "pe", "sha", "vin", "cor", "ly", "bo", "tra", "zen",
    "hu", "wex",
];

fn nonce(rng: &mut Rng, syllables: usize) -> String {
    (0..syllables).map(|_| *rng.pick(SYLLABLES)).collect()
}

impl Naming {
    fn draw(rng: &mut Rng) -> Self {
        match rng.below(10) {
            0..=2 => Naming::Plain,
            3..=5 => {
                let n = rng.range(1, 3) as usize;
                Naming::Prefix(nonce(rng, n))
            }
            6 | 7 => Naming::Suffix(if rng.chance(0.5) {
                format!("v{}", rng.range(2, 9))
            } else {
                nonce(rng, 2)
            }),
            _ => Naming::Nonce,
        }
    }

    fn apply(&self, name: &str, rng: &mut Rng) -> String {
        match self {
            Naming::Plain => name.to_string(),
            Naming::Prefix(p) => format!("{p}_{name}"),
            Naming::Suffix(x) => format!("{name}_{x}"),
            Naming::Nonce => {
                let n = rng.range(2, 3) as usize;
                let word = nonce(rng, n);
                if rng.chance(0.5) {
                    word
                } else {
                    format!("{word}_{}", name.rsplit('_').next().unwrap_or(name))
                }
            }
        }
    }
}

fn place(
    spec: &'static ToolSpec,
    name: String,
    with_desc: bool,
    closed: bool,
    camel_case: bool,
    invented: &Invented,
    rng: &mut Rng,
) -> Placed {
    let mut params: Vec<(String, &'static Attr, bool)> = Vec::new();
    let keys = spec
        .req
        .iter()
        .map(|k| (k, true))
        .chain(spec.opt.iter().map(|k| (k, false)));
    for (key, required) in keys {
        let a = invented.attr(key);
        let mut pname = rng.pick(a.names).to_string();
        if rng.chance(0.15) {
            pname = format!("{pname}_{}", nonce(rng, 1));
        }
        if params.iter().any(|(n, _, _)| *n == pname) {
            pname = a.key.to_string();
        }
        if camel_case {
            pname = camel(&pname);
        }
        params.push((pname, a, required));
    }
    let mut props = Map::new();
    for (pname, a, required) in &params {
        let mut schema = a.kind.schema();
        if with_desc {
            schema["description"] = json!(a.about);
        }
        if !required && let (values::Kind::Int(lo, hi), true) = (a.kind, rng.chance(0.5)) {
            schema["default"] = json!((lo + hi) / 2);
        }
        props.insert(pname.clone(), schema);
    }
    let required: Vec<&str> = params
        .iter()
        .filter(|p| p.2)
        .map(|p| p.0.as_str())
        .collect();
    let mut parameters = json!({"type": "object", "properties": props, "required": required});
    if closed {
        parameters["additionalProperties"] = json!(false);
    }
    let json = json!({"type": "function", "function": {
        "name": name, "description": rng.pick(spec.descs), "parameters": parameters}});
    Placed {
        spec,
        name,
        params,
        json,
    }
}

/// Draws argument values (all required, each optional with p = 0.4) and
/// the request that says them, perhaps with a distractor drawn from the
/// other tools of `catalogue`.
fn draw_call(ph: &Phraser, tool: &Placed, catalogue: &[Placed], rng: &mut Rng) -> Call {
    let mut arguments = Map::new();
    let mut phrases = Vec::new();
    for (pname, a, required) in &tool.params {
        if !required && !rng.chance(0.4) {
            continue;
        }
        let Drawn { surface, value } = ph.value(&a.kind, rng);
        arguments.insert(pname.clone(), value);
        phrases.push(ph.arg_phrase(a, &surface, rng));
    }
    let taken = tool.params.iter().map(|p| p.1);
    let others = catalogue
        .iter()
        .filter(|t| t.name != tool.name)
        .flat_map(|t| t.params.iter().map(|p| p.1));
    phrases.extend(ph.distractor(taken, others, rng));
    let (verb, object) = ph.verb_object(tool.spec, rng);
    let request = ph.request(&verb, &object, &mut phrases, rng);
    Call {
        name: tool.name.clone(),
        arguments,
        request,
        verb,
        object,
    }
}

fn assistant_calls(calls: &[&Call], rng: &mut Rng) -> Value {
    let style = rng.below(3);
    let tool_calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let id = match style {
                0 => format!("call_{}", i + 1),
                1 => format!("call_{:x}", rng.next_u64() & 0xff_ffff),
                _ => format!("tc{}", i),
            };
            json!({"id": id, "type": "function", "function": {
                "name": c.name, "arguments": Value::Object(c.arguments.clone()).to_string()}})
        })
        .collect();
    json!({"role": "assistant", "tool_calls": tool_calls})
}

/// A no-tool conversation; `which` in [0, 1) picks the kind.
fn no_tool(
    ph: &Phraser,
    tools: &[Placed],
    d: usize,
    invented: &Invented,
    which: f64,
    rng: &mut Rng,
    messages: &mut Vec<Value>,
) {
    let (user, answer) = if which < 0.3 {
        ph.chit_chat(rng)
    } else if which < 0.45 {
        ph.definition(rng)
    } else if which < 0.75 {
        underspecified(ph, tools, rng).unwrap_or_else(|| ph.chit_chat(rng))
    } else {
        let other = (d + 1 + rng.below(DOMAINS.len() - 1)) % DOMAINS.len();
        let spec = rng.pick(DOMAINS[other].tools);
        if tools.iter().any(|t| std::ptr::eq(t.spec, spec)) {
            ph.chit_chat(rng)
        } else {
            let stranger = place(
                spec,
                spec.names[0].to_string(),
                false,
                false,
                false,
                invented,
                rng,
            );
            let call = draw_call(ph, &stranger, &[], rng);
            let answer = ph.cannot(&call.verb, &call.object, rng);
            (call.request, answer)
        }
    };
    messages.push(json!({"role": "user", "content": user}));
    messages.push(json!({"role": "assistant", "content": answer}));
}

/// A request for a catalogue tool with one required argument left out,
/// answered with a question asking for it.
fn underspecified(ph: &Phraser, tools: &[Placed], rng: &mut Rng) -> Option<(String, String)> {
    let tool = rng.pick(tools);
    let missing: Vec<usize> = (0..tool.params.len())
        .filter(|&i| tool.params[i].2 && !matches!(tool.params[i].1.kind, values::Kind::Bool(..)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let skip = *rng.pick(&missing);
    let mut phrases = Vec::new();
    for (i, (_, a, required)) in tool.params.iter().enumerate() {
        if i == skip || !required {
            continue;
        }
        let Drawn { surface, .. } = ph.value(&a.kind, rng);
        phrases.push(ph.arg_phrase(a, &surface, rng));
    }
    let (verb, object) = ph.verb_object(tool.spec, rng);
    let request = ph.request(&verb, &object, &mut phrases, rng);
    Some((request, ph.ask_for(tool.params[skip].1, rng)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_key_exists() {
        for d in DOMAINS {
            for t in d.tools {
                for k in t.req.iter().chain(t.opt) {
                    domains::attr(k);
                }
            }
        }
    }

    /// FNV-1a, 64 bits.
    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    #[test]
    fn the_default_stream_is_the_one_the_shipped_base_saw() {
        // The first 300 examples of seed 0 (built-in lexicon) as written by
        // the commit before invented domains existed (5f798c2).
        let jsonl = Generator::new(0, Lexicon::builtin()).jsonl(300);
        assert_eq!(
            (fnv(jsonl.as_bytes()), jsonl.len()),
            (0x382a_380b_d5f9_ca8b, 491_921)
        );
    }

    #[test]
    fn the_invented_share_decides_where_catalogues_come_from() {
        let g = Generator::new(3, Lexicon::builtin()).invented_share(1.0);
        // By name: `DOMAINS` is a constant, so its addresses may differ by use.
        let from_tables = |p: &Placed| {
            DOMAINS
                .iter()
                .any(|d| d.tools.iter().any(|t| t.names == p.spec.names))
        };
        let mut invented = 0;
        for i in 0..400 {
            let none = Setting::draw(&g.invented, 0.0, &mut Rng::new(3, i));
            assert!(none.tools.iter().all(from_tables), "example {i}");
            let all = Setting::draw(&g.invented, 1.0, &mut Rng::new(3, i));
            assert!(!all.tools.iter().all(from_tables), "example {i}");
            let some = Setting::draw(&g.invented, 0.4, &mut Rng::new(3, i));
            invented += usize::from(!some.tools.iter().all(from_tables));
        }
        let share = invented as f64 / 400.0;
        assert!((share - 0.4).abs() < 0.08, "{share}");
    }

    #[test]
    fn english_values_are_lexicon_words_copied_from_the_request() {
        let lexicon = Lexicon::builtin();
        let heads: HashSet<String> = lexicon.glosses().iter().map(|(w, _)| w.clone()).collect();
        let english = |v: &str| {
            lexicon.glosses().iter().any(|(_, g)| g == v)
                || v.trim_start_matches("The ")
                    .split(' ')
                    .all(|w| heads.contains(&w.to_lowercase()))
        };
        // (calls with an English value, of those copied into the request)
        let count = |share: f64| {
            let g = Generator::new(5, Lexicon::builtin()).english_values(share);
            let (mut found, mut copied) = (0, 0);
            for i in 0..300 {
                let e = g.example(i);
                let m = e["messages"].as_array().expect("messages");
                let Some(user) = m.iter().find(|m| m["role"] == "user") else {
                    continue;
                };
                let user = user["content"].as_str().expect("text").to_lowercase();
                for call in m
                    .iter()
                    .filter_map(|m| m["tool_calls"].as_array())
                    .flatten()
                {
                    let args: Value = serde_json::from_str(
                        call["function"]["arguments"].as_str().expect("arguments"),
                    )
                    .expect("json");
                    for v in args.as_object().expect("object").values() {
                        if let Some(v) = v.as_str().filter(|v| english(v)) {
                            found += 1;
                            copied += usize::from(user.contains(&v.to_lowercase()));
                        }
                    }
                }
            }
            (found, copied)
        };
        assert_eq!(count(0.0), (0, 0));
        let (found, copied) = count(1.0);
        assert!(found >= 30, "{found}");
        // Typos may touch a copied value; nearly all stay whole.
        assert!(copied * 10 >= found * 9, "{copied} of {found}");
    }

    #[test]
    fn distractors_say_values_the_call_leaves_out() {
        // (requests with a number of 3+ digits no argument holds, requests)
        let count = |share: f64| {
            let g = Generator::new(7, Lexicon::builtin()).distractors(share);
            let (mut stray, mut requests) = (0, 0);
            for i in 0..400 {
                let e = g.example(i);
                let m = e["messages"].as_array().expect("messages");
                let Some(k) = m.iter().position(|m| m["role"] == "user") else {
                    continue;
                };
                let Some(calls) = m[k + 1]["tool_calls"].as_array() else {
                    continue;
                };
                let args: String = calls
                    .iter()
                    .map(|c| c["function"]["arguments"].as_str().expect("arguments"))
                    .collect();
                let user = m[k]["content"].as_str().expect("text");
                requests += 1;
                stray += usize::from(
                    user.split(|c: char| !c.is_ascii_digit())
                        .any(|run| run.len() >= 3 && !args.contains(run)),
                );
            }
            (stray, requests)
        };
        let (none, requests) = count(0.0);
        assert_eq!(none, 0, "a request says a number its call leaves out");
        let (stray, _) = count(1.0);
        assert!(stray * 10 >= requests, "{stray} of {requests}");
        // That share 0 draws nothing (the default stream is the shipped
        // base's) is `the_default_stream_is_the_one_the_shipped_base_saw`.
    }

    #[test]
    fn same_seed_same_examples() {
        let a = Generator::new(3, Lexicon::builtin());
        let b = Generator::new(3, Lexicon::builtin());
        assert_eq!(a.jsonl(50), b.jsonl(50));
        assert_ne!(a.jsonl(50), Generator::new(4, Lexicon::builtin()).jsonl(50));
    }

    #[test]
    fn a_group_shares_its_catalogue_and_system_prompt_not_its_requests() {
        let g = Generator::new(3, Lexicon::builtin());
        let prompt = |e: &Value| {
            let m = &e["messages"];
            let system = (m[0]["role"] == "system").then(|| m[0]["content"].clone());
            (e["tools"].clone(), system)
        };
        let user = |e: &Value| {
            e["messages"]
                .as_array()
                .and_then(|m| m.iter().find(|m| m["role"] == "user"))
                .map(|m| m["content"].clone())
        };
        for group in 0..4u64 {
            let rows: Vec<Value> = (0..8)
                .map(|k| g.example_in_group(group * 8 + k, 8))
                .collect();
            for row in &rows[1..] {
                assert_eq!(prompt(row), prompt(&rows[0]), "group {group}");
            }
            let requests: HashSet<String> = rows.iter().map(|r| format!("{:?}", user(r))).collect();
            assert!(requests.len() >= 6, "group {group}: {requests:?}");
        }
        assert_ne!(
            prompt(&g.example_in_group(7, 8)),
            prompt(&g.example_in_group(8, 8)),
            "the next group has a catalogue of its own"
        );
        for i in 0..20 {
            assert_eq!(g.example_in_group(i, 1), g.example(i));
        }
    }
}
