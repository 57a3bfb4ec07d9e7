//! Argument kinds and how a value of each is drawn: the words the user
//! writes (`surface`) and the JSON the call carries (`value`). Values are
//! copied from the request: the surface contains the value as written, apart
//! from small integers sometimes spelled out and enum values said with spaces.

use serde_json::{Value, json};

use crate::phrasing::upper_first;
use crate::rng::Rng;

/// The type of an argument and where its values come from.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A prefixed identifier such as `ORD-48213`.
    Id(&'static str),
    /// "First Last".
    Person,
    /// A city.
    City,
    /// A country.
    Country,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// `YYYY-MM-DD`.
    Date,
    /// `HH:MM`.
    Time,
    /// Free text, quoted in the request.
    Quoted(&'static [&'static str]),
    /// A word or short phrase from a pool, unquoted.
    Word(&'static [&'static str]),
    /// An integer in a range.
    Int(i64, i64),
    /// A decimal number in a range, with `.5`/`.25` style fractions.
    Num(i64, i64),
    /// One of a fixed set of strings.
    Enum(&'static [&'static str]),
    /// A flag; the request says the yes or the no phrase.
    Bool(&'static [&'static str], &'static [&'static str]),
    /// Two or three words from a pool.
    List(&'static [&'static str]),
    /// Two or three e-mail addresses.
    Emails,
    /// `{street, city, zip}`.
    Address,
}

/// A drawn value.
#[derive(Debug, Clone)]
pub struct Drawn {
    /// What the user writes.
    pub surface: String,
    /// The argument.
    pub value: Value,
}

pub const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe", "Marta", "Luca", "Aisha", "Tom",
];
pub const LAST: &[&str] = &[
    "Garcia", "Smith", "Okafor", "Tanaka", "Novak", "Silva", "Kim", "Patel", "Muller", "Rossi",
    "Nguyen", "Cohen", "Haddad", "Larsen", "Moreau", "Costa", "Ivanova", "Brown", "Jensen", "Diaz",
];
pub const CITIES: &[&str] = &[
    "Paris", "Lisbon", "Tokyo", "Nairobi", "Denver", "Oslo", "Lima", "Seoul", "Cairo", "Austin",
    "Berlin", "Madrid", "Toronto", "Sydney", "Dublin", "Mumbai", "Chicago", "Prague", "Vienna",
    "Boston", "Accra", "Hanoi", "Quito", "Porto", "Kyoto", "Zurich", "Leeds", "Osaka",
];
pub const COUNTRIES: &[&str] = &[
    "France", "Japan", "Kenya", "Peru", "Canada", "Norway", "Brazil", "India", "Egypt", "Italy",
    "Chile", "Ghana", "Spain", "Mexico", "Vietnam",
];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Avenue",
    "Elm Road",
    "Harbor Way",
    "King Street",
    "Mill Lane",
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const SMALL: &[&str] = &[
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
];

impl Kind {
    /// The JSON Schema type name.
    pub fn schema(&self) -> Value {
        match self {
            Kind::Int(lo, hi) => json!({"type": "integer", "minimum": lo, "maximum": hi}),
            Kind::Num(..) => json!({"type": "number"}),
            Kind::Enum(v) => json!({"type": "string", "enum": v}),
            Kind::Bool(..) => json!({"type": "boolean"}),
            Kind::List(_) | Kind::Emails => json!({"type": "array", "items": {"type": "string"}}),
            Kind::Address => json!({
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string"}},
                "required": ["street", "city"]
            }),
            Kind::Date => json!({"type": "string", "format": "date"}),
            _ => json!({"type": "string"}),
        }
    }

    /// Draws a value.
    pub fn draw(&self, rng: &mut Rng) -> Drawn {
        let s = |x: String| Drawn {
            surface: x.clone(),
            value: Value::String(x),
        };
        match *self {
            Kind::Id(prefix) => {
                let digits = rng.range(3, 6) as u32;
                let n = rng.range(10i64.pow(digits - 1), 10i64.pow(digits) - 1);
                s(format!("{prefix}{n}"))
            }
            Kind::Person => s(format!("{} {}", rng.pick(FIRST), rng.pick(LAST))),
            Kind::City => s(rng.pick(CITIES).to_string()),
            Kind::Country => s(rng.pick(COUNTRIES).to_string()),
            Kind::Email => s(email(rng)),
            Kind::Phone => s(format!(
                "+{} {} {}",
                rng.range(1, 49),
                rng.range(200, 999),
                rng.range(100_000, 9_999_999)
            )),
            Kind::Date => {
                let (y, m, d) = (rng.range(2024, 2027), rng.range(1, 12), rng.range(1, 28));
                let iso = format!("{y}-{m:02}-{d:02}");
                Drawn {
                    surface: iso.clone(),
                    value: Value::String(iso),
                }
            }
            Kind::Time => s(format!(
                "{:02}:{}",
                rng.range(6, 22),
                rng.pick(&["00", "15", "30", "45"])
            )),
            Kind::Quoted(pool) => quoted(rng.pick(pool).to_string(), rng),
            Kind::Word(pool) => s(rng.pick(pool).to_string()),
            Kind::Int(lo, hi) => {
                let n = rng.range(lo, hi);
                let surface = if (0..=12).contains(&n) && rng.chance(0.25) {
                    SMALL[n as usize].to_string()
                } else {
                    n.to_string()
                };
                Drawn {
                    surface,
                    value: json!(n),
                }
            }
            Kind::Num(lo, hi) => {
                let whole = rng.range(lo, hi);
                let frac = *rng.pick(&[0.0, 0.5, 0.25, 0.75, 0.1, 0.9]);
                let v = whole as f64 + frac;
                let surface = if frac == 0.0 {
                    format!("{whole}")
                } else {
                    format!("{v}")
                };
                let value = if frac == 0.0 { json!(whole) } else { json!(v) };
                Drawn { surface, value }
            }
            Kind::Enum(values) => {
                let v = rng.pick(values).to_string();
                let surface = if rng.chance(0.5) {
                    v.replace('_', " ")
                } else {
                    v.clone()
                };
                Drawn {
                    surface,
                    value: Value::String(v),
                }
            }
            Kind::Bool(yes, no) => {
                let b = rng.chance(0.6);
                Drawn {
                    surface: rng.pick(if b { yes } else { no }).to_string(),
                    value: Value::Bool(b),
                }
            }
            Kind::List(pool) => {
                let mut items: Vec<&str> = pool.to_vec();
                rng.shuffle(&mut items);
                items.truncate(rng.range(2, 3) as usize);
                Drawn {
                    surface: join_words(&items, rng),
                    value: json!(items),
                }
            }
            Kind::Emails => {
                let items: Vec<String> = (0..rng.range(2, 3)).map(|_| email(rng)).collect();
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                Drawn {
                    surface: join_words(&refs, rng),
                    value: json!(items),
                }
            }
            Kind::Address => {
                let street = format!("{} {}", rng.range(1, 250), rng.pick(STREETS));
                let city = rng.pick(CITIES).to_string();
                if rng.chance(0.5) {
                    let zip = format!("{}", rng.range(10000, 99999));
                    Drawn {
                        surface: format!("{street}, {city} {zip}"),
                        value: json!({"street": street, "city": city, "zip": zip}),
                    }
                } else {
                    Drawn {
                        surface: format!("{street}, {city}"),
                        value: json!({"street": street, "city": city}),
                    }
                }
            }
        }
    }
}

/// `text` in double quotes, or single ones a fifth of the time.
fn quoted(text: String, rng: &mut Rng) -> Drawn {
    let q = if rng.chance(0.2) { '\'' } else { '"' };
    Drawn {
        surface: format!("{q}{text}{q}"),
        value: Value::String(text),
    }
}

fn email(rng: &mut Rng) -> String {
    format!(
        "{}.{}@{}",
        rng.pick(FIRST).to_lowercase(),
        rng.pick(LAST).to_lowercase(),
        rng.pick(&["example.com", "mail.net", "corp.io", "uni.edu"])
    )
}

/// An English value for a `Quoted` or `Word` argument, from the lexicon's
/// (word, gloss) pairs instead of the argument's own pool: for quoted text a
/// gloss (ordinary words, "a slowly moving mass of ice") or a title of one to
/// three head words ("The Glacier Lantern"); unquoted, one or two head words,
/// capitalised half the time. Pools are a few dozen values, so a base
/// pretrained on them alone copies only their tokens; these put the rest of
/// an English vocabulary where the model learns to copy (docs/model-history.md, "Tried
/// since: English values"). `None` for any other kind.
pub fn english(kind: &Kind, glosses: &[(String, String)], rng: &mut Rng) -> Option<Drawn> {
    if glosses.is_empty() {
        return None;
    }
    let words = |n: i64, rng: &mut Rng| -> Vec<String> {
        (0..n).map(|_| rng.pick(glosses).0.clone()).collect()
    };
    let title = |ws: Vec<String>| -> String {
        ws.iter()
            .map(|w| upper_first(w))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match kind {
        Kind::Quoted(_) => {
            let text = if rng.chance(0.4) {
                rng.pick(glosses).1.clone()
            } else {
                let n = rng.range(1, 3);
                let t = title(words(n, rng));
                if rng.chance(0.3) {
                    format!("The {t}")
                } else {
                    t
                }
            };
            Some(quoted(text, rng))
        }
        Kind::Word(_) => {
            let n = rng.range(1, 2);
            let ws = words(n, rng);
            let text = if rng.chance(0.5) {
                title(ws)
            } else {
                ws.join(" ")
            };
            Some(Drawn {
                surface: text.clone(),
                value: Value::String(text),
            })
        }
        _ => None,
    }
}

/// "a, b and c" / "a and b" / "a, b, c".
pub fn join_words(items: &[&str], rng: &mut Rng) -> String {
    match items {
        [] => String::new(),
        [a] => a.to_string(),
        _ => {
            let (last, rest) = items.split_last().expect("non-empty");
            if rng.chance(0.3) {
                items.join(", ")
            } else {
                format!("{} and {last}", rest.join(", "))
            }
        }
    }
}

/// A month-name spelling of an ISO date ("March 4, 2026"), for final answers.
pub fn long_date(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    match (
        p.first(),
        p.get(1).and_then(|m| m.parse::<usize>().ok()),
        p.get(2),
    ) {
        (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) => {
            format!("{} {}, {y}", MONTHS[m - 1], d.trim_start_matches('0'))
        }
        _ => iso.to_string(),
    }
}
