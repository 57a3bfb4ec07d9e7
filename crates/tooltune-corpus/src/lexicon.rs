//! Synonyms and word definitions: WordNet 3.0 (Princeton; Debian's
//! `wordnet-base` ships its `index.*` / `data.*` files) when given, else a
//! small built-in table. The corpus asks only for synonyms of the words its
//! phrasings use, and for noun glosses as everyday questions no tool answers.

use std::collections::HashMap;

/// Synonyms of head words and (word, gloss) pairs.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    synonyms: HashMap<String, Vec<String>>,
    glosses: Vec<(String, String)>,
}

/// A few synonyms kept when no WordNet is given.
const BUILTIN_SYNONYMS: &[(&str, &[&str])] = &[
    ("cancel", &["call off", "scrap", "drop"]),
    ("find", &["look up", "search for", "locate"]),
    ("get", &["fetch", "pull up", "retrieve"]),
    ("show", &["display", "list"]),
    ("send", &["shoot", "dispatch"]),
    ("book", &["reserve", "hold"]),
    ("create", &["make", "set up", "add"]),
    ("delete", &["remove", "erase"]),
    ("check", &["verify", "look at"]),
    ("update", &["change", "modify", "edit"]),
    ("buy", &["purchase", "order"]),
    ("schedule", &["plan", "set up"]),
    ("turn", &["switch"]),
];

const BUILTIN_GLOSSES: &[(&str, &str)] = &[
    (
        "ferry",
        "a boat that transports people or vehicles across a body of water",
    ),
    (
        "harbor",
        "a sheltered port where ships can take on or discharge cargo",
    ),
    ("lantern", "light in a transparent protective case"),
    (
        "meadow",
        "a field where grass or alfalfa are grown to be made into hay",
    ),
    (
        "violin",
        "bowed stringed instrument that is the highest member of the violin family",
    ),
    ("glacier", "a slowly moving mass of ice"),
    (
        "orchard",
        "garden consisting of a small cultivated wood without undergrowth",
    ),
    ("compass", "navigational instrument for finding directions"),
];

impl Lexicon {
    /// The built-in table.
    pub fn builtin() -> Self {
        let synonyms = BUILTIN_SYNONYMS
            .iter()
            .map(|(w, s)| (w.to_string(), s.iter().map(|x| x.to_string()).collect()))
            .collect();
        let glosses = BUILTIN_GLOSSES
            .iter()
            .map(|(w, g)| (w.to_string(), g.to_string()))
            .collect();
        Self { synonyms, glosses }
    }

    /// WordNet from the bytes of `index.verb`, `data.verb`, `index.noun` and
    /// `data.noun`: for each lemma, the other lemmas of its two most frequent
    /// synsets (one or two plain words); and noun glosses of single-word
    /// lemmas (first clause only, 3–16 words).
    pub fn from_wordnet(
        index_verb: &[u8],
        data_verb: &[u8],
        index_noun: &[u8],
        data_noun: &[u8],
    ) -> Self {
        let mut synonyms: HashMap<String, Vec<String>> = HashMap::new();
        for (index, data) in [(index_verb, data_verb), (index_noun, data_noun)] {
            let synsets = parse_synsets(data);
            for line in String::from_utf8_lossy(index).lines() {
                if line.starts_with(' ') {
                    continue;
                }
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 4 {
                    continue;
                }
                let (lemma, p_cnt) = (f[0], f[3].parse::<usize>().unwrap_or(0));
                // lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets...
                let offsets = f.iter().skip(4 + p_cnt + 2);
                let entry = synonyms.entry(lemma.replace('_', " ")).or_default();
                for off in offsets.take(2) {
                    if let Some((words, _)) = synsets.get(*off) {
                        for w in words {
                            if w != lemma && plain(w) && !entry.contains(&w.replace('_', " ")) {
                                entry.push(w.replace('_', " "));
                            }
                        }
                    }
                }
            }
        }
        synonyms.retain(|_, v| !v.is_empty());
        let mut glosses = Vec::new();
        for line in String::from_utf8_lossy(data_noun).lines() {
            if line.starts_with(' ') {
                continue;
            }
            let Some((head, gloss)) = line.split_once(" | ") else {
                continue;
            };
            let f: Vec<&str> = head.split_whitespace().collect();
            if f.len() < 5 || !f[4].chars().all(|c| c.is_ascii_lowercase()) {
                continue;
            }
            let first = gloss.split(';').next().unwrap_or("").trim();
            let n = first.split_whitespace().count();
            if (3..=16).contains(&n) && first.is_ascii() && !first.contains('"') {
                glosses.push((f[4].to_string(), first.to_string()));
            }
        }
        let mut lex = Self { synonyms, glosses };
        if lex.glosses.is_empty() {
            lex.glosses = Self::builtin().glosses;
        }
        lex
    }

    /// Synonyms of `word` (possibly none).
    pub fn synonyms(&self, word: &str) -> &[String] {
        self.synonyms.get(word).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Word and definition pairs.
    pub fn glosses(&self) -> &[(String, String)] {
        &self.glosses
    }
}

/// Every gloss of a WordNet `data.*` file (definition and examples, as
/// written after ` | `), ASCII ones only: ordinary English, for training a
/// tokenizer that keeps everyday words whole.
pub fn wordnet_glosses(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .lines()
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_once(" | "))
        .map(|(_, gloss)| gloss.trim().to_string())
        .filter(|gloss| !gloss.is_empty() && gloss.is_ascii())
        .collect()
}

/// offset -> (lemmas, gloss) of a WordNet `data.*` file.
fn parse_synsets(data: &[u8]) -> HashMap<String, (Vec<String>, String)> {
    let mut out = HashMap::new();
    for line in String::from_utf8_lossy(data).lines() {
        if line.starts_with(' ') {
            continue;
        }
        let (head, gloss) = line.split_once(" | ").unwrap_or((line, ""));
        let f: Vec<&str> = head.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let count = usize::from_str_radix(f[3], 16).unwrap_or(0);
        let words = (0..count)
            .filter_map(|i| f.get(4 + 2 * i))
            .map(|w| w.to_string())
            .collect();
        out.insert(f[0].to_string(), (words, gloss.to_string()));
    }
    out
}

/// One or two lowercase ASCII words.
fn plain(w: &str) -> bool {
    w.split('_').count() <= 2 && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glosses_are_the_text_after_the_bar_of_synset_lines() {
        let data = b"  1 This is the licence header\n\
00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived; \"a thing\"\n\
00001930 03 n 01 thing 0 000 | \n\
00002137 03 n 01 caf\xc3\xa9 0 000 | a small restaurant\xc3\xa9\n\
00002452 03 v 01 go 0 000 | move away; \"go away\"  \n";
        assert_eq!(
            wordnet_glosses(data),
            vec![
                "that which is perceived; \"a thing\"",
                "move away; \"go away\""
            ]
        );
    }
}
