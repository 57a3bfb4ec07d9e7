//! The one "parse, validate, show the call" step: a model's raw output read
//! strictly (tooltune-core's parser) and checked against the catalogue, as
//! `tooltune route` prints it and the page's try-it box shows it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tooltune_core::Catalogue;
use tooltune_core::Target;
use tooltune_core::parse::{Mode, Parsed, parse_output};

/// What an output says, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Valid calls of catalogue tools (router objects; several = parallel).
    Call {
        /// `{"tool", "arguments"}` per call.
        calls: Vec<Value>,
    },
    /// The no-tool path, with its reason or answer text.
    NoTool {
        /// The reason or answer.
        reason: String,
    },
    /// Unreadable, or a call the catalogue refuses.
    Invalid {
        /// Why.
        reason: String,
    },
    /// Calls that parse, but there is no valid catalogue to check them with.
    Unchecked {
        /// `{"tool", "arguments"}` per call.
        calls: Vec<Value>,
    },
}

impl Verdict {
    /// Whether the output is a valid call or a no-tool answer.
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Call { .. } | Verdict::NoTool { .. })
    }

    /// One line for people: `valid call: track_order({"order_id":"ORD-1"})`,
    /// `no_tool: ...`, `invalid: ...`.
    pub fn summary(&self) -> String {
        let show = |calls: &[Value]| {
            calls
                .iter()
                .map(|c| format!("{}({})", c["tool"].as_str().unwrap_or("?"), c["arguments"]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Verdict::Call { calls } => format!("valid call: {}", show(calls)),
            Verdict::NoTool { reason } => format!("no_tool: {reason}"),
            Verdict::Invalid { reason } => format!("invalid: {reason}"),
            Verdict::Unchecked { calls } => {
                format!("not checked (the catalogue is broken): {}", show(calls))
            }
        }
    }
}

/// Parses `output` in `mode` and checks each call against `catalogue`.
pub fn verdict(output: &str, catalogue: Option<&Catalogue>, mode: Mode) -> Verdict {
    match parse_output(output, mode) {
        Parsed::Invalid(reason) => Verdict::Invalid {
            reason: reason.to_string(),
        },
        Parsed::Target(Target::NoTool { reason }) => Verdict::NoTool {
            reason: reason.unwrap_or_default(),
        },
        Parsed::Target(Target::Calls(calls)) => {
            let shown: Vec<Value> = calls
                .iter()
                .map(|c| json!({"tool": c.name, "arguments": c.arguments}))
                .collect();
            let Some(catalogue) = catalogue else {
                return Verdict::Unchecked { calls: shown };
            };
            for c in &calls {
                if let Err(e) = catalogue.check_call(c) {
                    return Verdict::Invalid {
                        reason: e.to_string(),
                    };
                }
            }
            Verdict::Call { calls: shown }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOOLS: &str = include_str!("../../../tests/fixtures/support/tools.json");

    #[test]
    fn outputs_are_read_and_checked() {
        let c = Catalogue::from_bytes("t", TOOLS.as_bytes()).unwrap();
        let v = verdict(
            r#"{"tool": "track_order", "arguments": {"order_id": "ORD-1"}}"#,
            Some(&c),
            Mode::Json,
        );
        assert_eq!(
            v.summary(),
            r#"valid call: track_order({"order_id":"ORD-1"})"#
        );
        let v = verdict(
            r#"{"tool": "request_refund", "arguments": {"order_id": "ORD-1"}}"#,
            Some(&c),
            Mode::Json,
        );
        assert!(!v.is_valid());
        assert!(v.summary().contains("reason"), "{}", v.summary());
        assert!(matches!(
            verdict("hello", Some(&c), Mode::Json),
            Verdict::Invalid { .. }
        ));
        assert!(matches!(
            verdict("hello", Some(&c), Mode::Chat),
            Verdict::NoTool { .. }
        ));
        assert!(matches!(
            verdict(r#"{"tool": "x", "arguments": {}}"#, None, Mode::Json),
            Verdict::Unchecked { .. }
        ));
    }
}
