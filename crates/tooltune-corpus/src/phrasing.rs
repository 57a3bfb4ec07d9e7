//! How users say things: verbs (with WordNet synonyms), argument phrases
//! in shuffled order, politeness frames, casing, typos; and the assistant's
//! words when no tool is called or after a tool result.

use serde_json::{Map, Value, json};

use crate::domains::{Attr, ToolSpec};
use crate::lexicon::Lexicon;
use crate::rng::Rng;
use crate::values::{self, Drawn, Kind, long_date};

/// Phrasing with a lexicon.
pub struct Phraser<'a> {
    lexicon: &'a Lexicon,
    /// Share of `Quoted` and `Word` values drawn from the lexicon instead of
    /// their pools ([`values::english`]).
    english_values: f64,
    /// Chance that a request also says a value no parameter of its tool
    /// takes ([`Phraser::distractors`]).
    distractors: f64,
    /// Chance that a request says its verb as one of the head word's
    /// synonyms ([`Phraser::synonym_share`]).
    synonym_share: f64,
}

/// The share of requests that use a synonym of the tool's head verb, as the
/// shipped base's corpus was made.
pub const SYNONYM_SHARE: f64 = 0.12;

const FRAMES: &[&str] = &[
    "{}",
    "{}",
    "{}",
    "please {}",
    "can you {}?",
    "could you {}?",
    "could you please {}?",
    "i need you to {}",
    "I'd like you to {}",
    "{} please",
    "{}, thanks",
    "hey, {}",
    "quick one: {}",
    "would you {} for me?",
    "{} asap",
    "pls {}",
    "go ahead and {}",
    "I want to {}",
    "help me {}",
    "hi! {}",
    "{}, thank you!",
    "can u {}",
    "need to {}",
    "let's {}",
];

const CHIT_CHAT: &[(&str, &str)] = &[
    ("hi", "Hello! What can I do for you?"),
    ("Hello there!", "Hi! How can I help?"),
    ("thanks!", "You're welcome!"),
    ("thank you so much", "Happy to help!"),
    (
        "how are you?",
        "I'm doing well, thanks. What can I help you with?",
    ),
    ("good morning", "Good morning! What do you need?"),
    (
        "who are you?",
        "I'm an assistant that can use a few tools for you.",
    ),
    (
        "what can you do?",
        "I can use the tools listed for me. Tell me what you need.",
    ),
    (
        "tell me a joke",
        "Why did the scarecrow win an award? He was outstanding in his field.",
    ),
    ("ok", "Anything else I can do?"),
    ("bye", "Goodbye!"),
    (
        "never mind",
        "No problem. Let me know if you need anything.",
    ),
    ("that's all, cheers", "Cheers! Have a good day."),
    ("What's 2 plus 2?", "2 plus 2 is 4."),
    (
        "what's the capital of France?",
        "The capital of France is Paris.",
    ),
    (
        "can you write me a poem?",
        "Roses are red, the sky is blue; I can't do much poetry, but I can help with your tasks.",
    ),
    ("are you a robot?", "I'm an AI assistant."),
    (
        "I'm bored",
        "Maybe a walk, a book or a new recipe? I can also help with the tasks my tools cover.",
    ),
    (
        "what's the meaning of life?",
        "Many would say 42. I can help with more practical things, though.",
    ),
    ("thanks, that worked", "Great, glad it worked!"),
];

impl<'a> Phraser<'a> {
    /// A phraser over `lexicon`.
    pub fn new(lexicon: &'a Lexicon) -> Self {
        Self {
            lexicon,
            english_values: 0.0,
            distractors: 0.0,
            synonym_share: SYNONYM_SHARE,
        }
    }

    /// The same phraser saying `share` of its requests' verbs as a synonym
    /// of the tool's head verb (where the lexicon has one).
    pub fn synonym_share(mut self, share: f64) -> Self {
        self.synonym_share = share;
        self
    }

    /// The same phraser drawing `share` of its `Quoted` and `Word` values
    /// from the lexicon's English.
    pub fn english_values(mut self, share: f64) -> Self {
        self.english_values = share;
        self
    }

    /// The same phraser adding, to `share` of the requests for a catalogue
    /// tool, one phrase that says a value of another tool's parameter the
    /// called tool does not take ("with the note 'ring twice'" when
    /// tracking an order): the call leaves it out, so the schema, not the
    /// request's words, decides the arguments.
    pub fn distractors(mut self, share: f64) -> Self {
        self.distractors = share;
        self
    }

    /// A distractor phrase for a call whose arguments are `taken`, drawn from
    /// `others` (attributes of the catalogue's other tools): none at share 0
    /// (and no draw, nor a look at the attributes, so that stream is the one
    /// before distractors existed), or when every candidate's key or kind is
    /// one the call already takes (two dates in one request would leave the
    /// model to guess which is meant).
    pub fn distractor<'t>(
        &self,
        taken: impl Iterator<Item = &'t Attr> + Clone,
        others: impl Iterator<Item = &'t Attr>,
        rng: &mut Rng,
    ) -> Option<String> {
        if self.distractors <= 0.0 || !rng.chance(self.distractors) {
            return None;
        }
        let same_kind =
            |a: &Attr, b: &Attr| std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind);
        let candidates: Vec<&Attr> = others
            .filter(|a| !matches!(a.kind, Kind::Bool(..)))
            .filter(|a| taken.clone().all(|t| t.key != a.key && !same_kind(t, a)))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let a = *rng.pick(&candidates);
        let Drawn { surface, .. } = self.value(&a.kind, rng);
        Some(self.arg_phrase(a, &surface, rng))
    }

    /// A value of `kind` and the words that say it. No extra draw at share
    /// 0, so that stream is the one before English values existed.
    pub fn value(&self, kind: &Kind, rng: &mut Rng) -> Drawn {
        let english = matches!(kind, Kind::Quoted(_) | Kind::Word(_))
            && self.english_values > 0.0
            && rng.chance(self.english_values);
        english
            .then(|| values::english(kind, self.lexicon.glosses(), rng))
            .flatten()
            .unwrap_or_else(|| kind.draw(rng))
    }

    /// One argument said in words.
    pub fn arg_phrase(&self, a: &Attr, surface: &str, rng: &mut Rng) -> String {
        if matches!(a.kind, Kind::Bool(..)) {
            return surface.to_string();
        }
        rng.pick(a.phrases).replace("{}", surface)
    }

    /// A verb and an object phrase for `spec`, the verb sometimes a WordNet
    /// synonym of its head word, either sometimes with a typo.
    pub fn verb_object(&self, spec: &ToolSpec, rng: &mut Rng) -> (String, String) {
        let synonyms = self.lexicon.synonyms(spec.head);
        let verb = if !synonyms.is_empty() && rng.chance(self.synonym_share) {
            rng.pick(synonyms).clone()
        } else {
            rng.pick(spec.verbs).to_string()
        };
        let object = rng.pick(spec.objects).to_string();
        (typo(&verb, rng, 0.06), typo(&object, rng, 0.06))
    }

    /// A whole request: verb, object and argument phrases in a frame.
    pub fn request(
        &self,
        verb: &str,
        object: &str,
        phrases: &mut [String],
        rng: &mut Rng,
    ) -> String {
        rng.shuffle(phrases);
        let args = if rng.chance(0.25) {
            phrases.join(", ")
        } else {
            phrases.join(" ")
        };
        // Casing touches the user's own words only: values stay as drawn,
        // since the call copies them.
        let mode = rng.below(20);
        let (verb, object) = (case(verb, mode), case(object, mode));
        let frame = case(rng.pick::<&str>(FRAMES), mode);
        let args_first = !args.is_empty() && rng.chance(0.15);
        let core = if args_first {
            format!("{args}: {verb} {object}")
        } else {
            format!("{verb} {object} {args}")
        };
        let mut text = frame.replace("{}", &squash(&core));
        if mode >= 9 && !(args_first && frame.starts_with('{')) {
            text = upper_first(&text);
        }
        if !text.ends_with(['?', '!', '.']) && rng.chance(0.4) {
            text.push(*rng.pick(&['.', '!', '?']));
        }
        text
    }

    /// Two requests as one message.
    pub fn join_requests(&self, a: &str, b: &str, rng: &mut Rng) -> String {
        let b = lower_first(b.trim_end_matches(['.', '!', '?']));
        let a = a.trim_end_matches(['.', '!', '?']);
        match rng.below(4) {
            0 => format!("{a} and also {b}."),
            1 => format!("{a}. Then {b}."),
            2 => format!("{a}; {b}"),
            _ => format!("{a}, and {b}"),
        }
    }

    /// A tool result and the assistant's final answer that uses it.
    pub fn tool_result(
        &self,
        verb: &str,
        object: &str,
        args: &Map<String, Value>,
        rng: &mut Rng,
    ) -> (String, String) {
        let status = *rng.pick(&[
            "ok",
            "done",
            "confirmed",
            "scheduled",
            "completed",
            "pending",
            "failed",
        ]);
        let reference = format!("REF-{}", rng.range(1000, 99999));
        let result = json!({"status": status, "reference": reference}).to_string();
        let first = args.values().next().map(|v| match v {
            Value::String(s) if s.len() == 10 && s.as_bytes()[4] == b'-' => long_date(s),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let what = first.map(|f| format!(" ({f})")).unwrap_or_default();
        let answer = if status == "failed" {
            format!("Sorry, that didn't work{what}: the request failed. Want me to try again?")
        } else {
            match rng.below(3) {
                0 => format!("Done{what}. Status: {status}, reference {reference}."),
                1 => format!("All set{what} — it's {status}. Your reference is {reference}."),
                _ => format!(
                    "I asked to {} {}{what}; the status is {status} (reference {reference}).",
                    verb.trim(),
                    object.trim()
                ),
            }
        };
        (result, squash(&answer))
    }

    /// Small talk or a general question, with its answer.
    pub fn chit_chat(&self, rng: &mut Rng) -> (String, String) {
        let (u, a) = rng.pick(CHIT_CHAT);
        (finish(u, rng), a.to_string())
    }

    /// "What does X mean?" answered from the lexicon's glosses.
    pub fn definition(&self, rng: &mut Rng) -> (String, String) {
        let (word, gloss) = rng.pick(self.lexicon.glosses());
        let q = match rng.below(4) {
            0 => format!("what does {word} mean?"),
            1 => format!("define {word}"),
            2 => format!("What is a {word}?"),
            _ => format!("what's the meaning of the word \"{word}\""),
        };
        (finish(&q, rng), format!("\"{word}\" means: {gloss}."))
    }

    /// Declining a request no tool covers.
    pub fn cannot(&self, verb: &str, object: &str, rng: &mut Rng) -> String {
        let what = squash(&format!("{} {}", verb.trim(), object.trim()));
        match rng.below(3) {
            0 => format!("Sorry, I can't {what}: none of my tools does that."),
            1 => "I don't have a tool for that, so I can't do it here.".into(),
            _ => format!("That's outside what I can do — I have no tool to {what}."),
        }
    }

    /// Asking for a missing argument.
    pub fn ask_for(&self, a: &Attr, rng: &mut Rng) -> String {
        let what = lower_first(a.about);
        match rng.below(3) {
            0 => format!("Sure — what's the {what}?"),
            1 => format!("I can do that, but I need the {what} first."),
            _ => format!("Which {what} should I use?"),
        }
    }
}

/// snake_case -> camelCase.
pub fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` with its first letter capitalised.
pub(crate) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !s.starts_with("I ") && !s.starts_with("I'") => {
            f.to_lowercase().chain(c).collect()
        }
        _ => s.to_string(),
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// With probability `p`, swaps, drops or doubles one letter of a word of
/// four letters or more.
fn typo(s: &str, rng: &mut Rng, p: f64) -> String {
    if !rng.chance(p) {
        return s.to_string();
    }
    let words: Vec<&str> = s.split(' ').collect();
    let long: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].len() >= 4 && words[i].is_ascii())
        .collect();
    if long.is_empty() {
        return s.to_string();
    }
    let w = *rng.pick(&long);
    let mut b: Vec<u8> = words[w].as_bytes().to_vec();
    let i = rng.range(1, b.len() as i64 - 2) as usize;
    match rng.below(3) {
        0 => b.swap(i, i + 1),
        1 => {
            b.remove(i);
        }
        _ => b.insert(i, b[i]),
    }
    let mut out: Vec<String> = words.iter().map(|x| x.to_string()).collect();
    out[w] = String::from_utf8(b).unwrap_or_else(|_| words[w].to_string());
    out.join(" ")
}

/// Lower case (modes 0-2) or upper case (mode 3), else as written.
fn case(s: &str, mode: usize) -> String {
    match mode {
        0..=2 => s.to_lowercase(),
        3 => s.to_uppercase(),
        _ => s.to_string(),
    }
}

/// Casing and final punctuation.
fn finish(s: &str, rng: &mut Rng) -> String {
    let mut t = s.to_string();
    match rng.below(20) {
        0..=2 => t = t.to_lowercase(),
        3 => t = t.to_uppercase(),
        4..=8 => {}
        _ => t = upper_first(&t),
    }
    if !t.ends_with(['?', '!', '.']) && rng.chance(0.4) {
        t.push(*rng.pick(&['.', '!', '?']));
    }
    t
}
