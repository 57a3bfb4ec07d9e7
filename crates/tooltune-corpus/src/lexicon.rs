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
            for (lemma, offsets) in parse_index(index) {
                let entry = synonyms.entry(lemma.replace('_', " ")).or_default();
                for off in offsets.iter().take(2) {
                    if let Some((words, _)) = synsets.get(off) {
                        for w in words {
                            if *w != lemma && plain(w) && !entry.contains(&w.replace('_', " ")) {
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
    /// This lexicon with its verb synonyms replaced by the words of each
    /// head's sense in [`VERB_SENSES`] (of `index.verb` and `data.verb`);
    /// heads not listed get none. Glosses are kept.
    pub fn with_verb_senses(mut self, index_verb: &[u8], data_verb: &[u8]) -> Self {
        let synsets = parse_synsets(data_verb);
        let offsets: HashMap<String, Vec<String>> = parse_index(index_verb).into_iter().collect();
        self.synonyms = VERB_SENSES
            .iter()
            .map(|(head, senses)| {
                let mut words: Vec<String> = Vec::new();
                for sense in senses.iter() {
                    let synset = offsets
                        .get(*head)
                        .and_then(|o| o.get(sense - 1))
                        .and_then(|off| synsets.get(off));
                    for w in synset.map(|(w, _)| w.as_slice()).unwrap_or(&[]) {
                        let spaced = w.replace('_', " ");
                        if w != head && plain(w) && !words.contains(&spaced) {
                            words.push(spaced);
                        }
                    }
                }
                (head.to_string(), words)
            })
            .filter(|(_, words)| !words.is_empty())
            .collect();
        self
    }

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

/// The WordNet verb sense each tool's head verb has in the corpus's tools
/// (1-based sense numbers of `index.verb`), chosen by reading the glosses:
/// `book` 2 is "arrange for and reserve (something for someone else) in
/// advance" (reserve, hold), `pay` 3 "cancel or discharge a debt" (pay up),
/// `send` 2 and 3 "to cause or order to be taken, directed, or transmitted
/// to another place" (send out, mail, post). A head not listed has no sense
/// whose other words say what its tools do (`find`'s are happen, chance,
/// detect, regain; `order`'s tell, enjoin, prescribe), so it gets none.
/// Without this table ([`Lexicon::from_wordnet`]) a head takes the first two
/// senses of the verb *and* of the noun, which says "salary the bill" for
/// "pay the bill" and "volume a table" for "book a table".
pub const VERB_SENSES: &[(&str, &[usize])] = &[
    ("book", &[2]),
    ("buy", &[1]),
    ("call", &[3]),
    ("cancel", &[1]),
    ("change", &[1]),
    ("check", &[1]),
    ("close", &[1]),
    ("convert", &[1]),
    ("create", &[1]),
    ("delete", &[1, 2]),
    ("dim", &[1]),
    ("enroll", &[1]),
    ("explain", &[1]),
    ("get", &[6]),
    ("pay", &[3]),
    ("post", &[10]),
    ("record", &[1]),
    ("rent", &[3]),
    ("request", &[1]),
    ("reserve", &[4]),
    ("search", &[1, 2]),
    ("send", &[2, 3]),
    ("tag", &[1]),
];

/// (lemma, synset offsets in sense order) of each line of a WordNet
/// `index.*` file, in file order.
fn parse_index(index: &[u8]) -> Vec<(String, Vec<String>)> {
    String::from_utf8_lossy(index)
        .lines()
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 {
                return None;
            }
            // lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets...
            let p_cnt = f[3].parse::<usize>().unwrap_or(0);
            let offsets = f.iter().skip(4 + p_cnt + 2).map(|o| o.to_string());
            Some((f[0].to_string(), offsets.collect()))
        })
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
    fn verb_senses_take_the_listed_sense_of_the_verb_only() {
        // `pay`: sense 1 alone, sense 2 with a noun-like stranger, sense 3
        // the debt sense VERB_SENSES names; `book` as a noun lends nothing.
        let index = b"  1 licence\n\
pay v 3 2 @ ~ 3 0 00000001 00000002 00000003\n\
book v 2 1 @ 2 0 00000004 00000005\n\
find v 1 0 1 0 00000006\n";
        let data = b"00000001 40 v 01 pay 0 000 | give money\n\
00000002 40 v 02 pay 0 wage 0 000 | pay a wage\n\
00000003 40 v 03 pay 0 pay_up 0 ante_up 0 000 | cancel or discharge a debt\n\
00000004 40 v 01 book 0 000 | record a charge\n\
00000005 40 v 03 reserve 0 hold 0 book 0 000 | arrange for in advance\n\
00000006 40 v 02 find 0 happen 0 000 | come upon\n";
        let noun_index = b"pay n 1 0 1 0 00000009\n";
        let noun_data = b"00000009 04 n 02 pay 0 salary 0 000 | earnings\n";
        let plain = Lexicon::from_wordnet(index, data, noun_index, noun_data);
        assert!(plain.synonyms("pay").contains(&"salary".to_string()));
        assert_eq!(plain.synonyms("find"), ["happen"]);
        let senses = plain.with_verb_senses(index, data);
        assert_eq!(senses.synonyms("pay"), ["pay up", "ante up"]);
        assert_eq!(senses.synonyms("book"), ["reserve", "hold"]);
        assert!(senses.synonyms("find").is_empty());
    }

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
