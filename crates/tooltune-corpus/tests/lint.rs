//! The corpus is lint-clean under tooltune-core's linter, keeps its no-tool
//! share in the 10–20 % band and covers every argument type.

use tooltune_core::lint::{Options, Severity, lint};
use tooltune_corpus::{Generator, Lexicon};

#[test]
fn generated_corpus_is_lint_clean() {
    // Seed 1 with every catalogue invented (`--invented 1`), and seed 2 with
    // English values and distractors (`--english-values 0.5 --distractors 0.3`).
    for (seed, invented, english, distractors) in [
        (0, 0.0, 0.0, 0.0),
        (1, 0.0, 0.0, 0.0),
        (1, 1.0, 0.0, 0.0),
        (2, 0.0, 0.5, 0.3),
    ] {
        let g = Generator::new(seed, Lexicon::builtin())
            .invented_share(invented)
            .english_values(english)
            .distractors(distractors);
        let jsonl = g.jsonl(2000);
        let report = lint("corpus.jsonl", jsonl.as_bytes(), None, &Options::default());
        let errors: Vec<String> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .take(5)
            .map(|p| format!("{:?} {}: {}", p.line, p.code, p.text))
            .collect();
        assert!(
            errors.is_empty(),
            "seed {seed}, invented {invented}, english {english}, distractors {distractors}: {errors:#?}"
        );
        let share = report.summary.no_tool_share;
        assert!((0.10..=0.20).contains(&share), "no-tool share {share}");
        assert!(report.summary.parallel_turns > 100, "{:?}", report.summary);
        for t in [
            "\"integer\"",
            "\"number\"",
            "\"boolean\"",
            "\"enum\"",
            "\"array\"",
            "\"object\"",
            "\"default\"",
        ] {
            assert!(jsonl.contains(t), "no {t} parameter in the corpus");
        }
        assert!(jsonl.contains("\"role\":\"tool\""), "no tool results");
    }
}

#[test]
fn catalogues_are_many() {
    let g = Generator::new(0, Lexicon::builtin());
    let distinct: std::collections::HashSet<String> = (0..1000)
        .map(|i| g.example(i)["tools"].to_string())
        .collect();
    assert!(
        distinct.len() > 500,
        "{} distinct catalogues",
        distinct.len()
    );
}

#[test]
fn wordnet_lexicon_reads_synsets_and_glosses() {
    let index = b"cancel v 2 1 @ 2 1 02477755 02717831  \n";
    let data = b"02477755 41 v 02 cancel 0 call_off 0 001 @ 02476870 v 0000 | postpone indefinitely or annul something that was scheduled\n";
    let nouns = b"03327841 06 n 01 ferry 0 000 | a boat that transports people or vehicles across a body of water; \"x\"\n";
    let lex = Lexicon::from_wordnet(index, data, b"", nouns);
    assert_eq!(lex.synonyms("cancel"), ["call off"]);
    assert_eq!(lex.glosses()[0].0, "ferry");
}
