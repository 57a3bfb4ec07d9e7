//! Decoding garbage never panics: random bytes, random base64url, mutated
//! valid links and random JSON-ish text are all refused (or read) with a
//! typed result. A seeded generator keeps it reproducible; the cases run in
//! well under a second.

use tooltune_workspace::{Workspace, share};

/// xorshift64*, enough for test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[test]
fn random_payloads_are_refused_without_panicking() {
    let mut rng = Rng(0x5eed);
    for _ in 0..3_000 {
        let len = rng.below(300);
        let payload: String = (0..len).map(|_| B64[rng.below(64)] as char).collect();
        let _ = share::decode(&format!("#w={payload}"));
        let raw: String = (0..len)
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect();
        let _ = share::decode(&format!("#w={raw}"));
        let _ = share::decode(&raw);
        let _ = Workspace::from_json(&raw);
    }
}

#[test]
fn mutated_links_are_refused_or_read_without_panicking() {
    let link = share::encode(&Workspace::default()).unwrap();
    let mut rng = Rng(42);
    let mut refused = 0;
    for _ in 0..2_000 {
        let mut bytes = link.clone().into_bytes();
        for _ in 0..1 + rng.below(4) {
            let i = 3 + rng.below(bytes.len() - 3);
            bytes[i] = B64[rng.below(64)];
        }
        let mutated = String::from_utf8(bytes).unwrap();
        if share::decode(&mutated).is_err() {
            refused += 1;
        }
    }
    // Almost every bit flip in DEFLATE data breaks it or the JSON inside.
    assert!(refused > 1_500, "{refused}");
}

#[test]
fn json_shaped_garbage_gets_a_typed_error() {
    let cases = [
        "null",
        "[]",
        "{}",
        r#"{"version": 1, "dataset": 5}"#,
        r#"{"version": 1, "model": {"kind": "rocket"}}"#,
        r#"{"version": 1, "view": {"presenter": "yes"}}"#,
        r#"{"version": 18446744073709551616}"#,
        r#"{"version": 1.5}"#,
        &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        &format!(
            r#"{{"version": 1, "catalogue": {}"x"{}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        ),
    ];
    for case in cases {
        assert!(Workspace::from_json(case).is_err(), "{case:.80}");
    }
}
