//! The four-metric evaluator of the tool-use lesson.
//!
//! Gold data (any dataset format) becomes [`Item`]s: one per assistant turn, with
//! the earlier turns as history. Each item is scored against a raw model output:
//! - `valid_tool_call_rate` = valid / n, where valid means the output parses, names
//!   catalogue tools (or no_tool) and every call's arguments validate;
//! - `tool_name_accuracy` = (right tools, or rightly no_tool) / n, among valid outputs;
//! - `argument_match_accuracy` = (valid calls of the gold tools with the gold
//!   arguments) / valid outputs, exactly the lesson's `eval_router`: a rightly
//!   chosen no_tool is *not* an argument match;
//! - `false_tool_call_rate` = (gold no_tool, valid output calls a tool) / n;
//!
//! and beside them `call_accuracy` = (gold calls a tool, output exactly right:
//! tools and arguments, parallel calls as multisets) / (items whose gold calls a
//! tool), the clean per-call number (BFCL's AST accuracy is of this kind).
//!
//! Item ids: a conversation's id is its `id` key, else its 1-based line number. A
//! conversation with one assistant turn has one item whose id is the conversation
//! id; with several, the k-th assistant turn (1-based) is `"<id>#<k>"`.

mod items;
mod matching;
mod predictions;
mod report;

pub use items::{CatalogueCache, items};
pub use matching::{Mismatch, args_match, bfcl_normalise, calls_match};
pub use predictions::{Prediction, read_predictions};
pub use report::{
    Confusion, Counts, Failure, FailureKind, Metrics, Outcome, Report, ToolStats, evaluate, score,
    validate,
};

use crate::Catalogue;
use crate::dataset::Message;
use crate::error::Location;
use crate::parse::Mode;
use serde_json::{Map, Value};
use std::str::FromStr;
use std::sync::Arc;

/// How arguments are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchMode {
    /// By JSON value: 5 == 5.0, key order ignored.
    #[default]
    Exact,
    /// BFCL's rules: acceptable lists, optional parameters, string normalisation.
    Bfcl,
}

impl FromStr for MatchMode {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "exact" => Ok(MatchMode::Exact),
            "bfcl" => Ok(MatchMode::Bfcl),
            other => Err(crate::Error::Usage(format!(
                "unknown match mode {other:?}; expected exact or bfcl"
            ))),
        }
    }
}

/// The gold of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// No tool should be called.
    NoTool,
    /// These calls, in any order.
    Calls(Vec<ExpectedCall>),
    /// Any valid call is right (BFCL live_relevance).
    AnyCall,
}

/// One gold call.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedCall {
    /// Tool name.
    pub name: String,
    /// Gold arguments.
    pub arguments: ExpectedArgs,
}

/// Gold arguments: one exact object, or BFCL's acceptable lists.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedArgs {
    /// Exactly these arguments.
    Exact(Map<String, Value>),
    /// Parameter → list of acceptable values (`""` = may be left out).
    Acceptable(Map<String, Value>),
}

/// One scored item: an assistant turn of a gold conversation.
#[derive(Debug, Clone)]
pub struct Item {
    /// The id predictions use (see the module docs).
    pub id: String,
    /// The conversation's id.
    pub conversation: String,
    /// 1-based index of this assistant turn in the conversation.
    pub turn: usize,
    /// Where the gold came from.
    pub at: Location,
    /// The catalogue the turn may call.
    pub catalogue: Arc<Catalogue>,
    /// The messages before this turn (the prompt).
    pub history: Vec<Message>,
    /// What the turn should do.
    pub expected: Expected,
    /// How plain prose in an output is read (router gold: JSON only).
    pub mode: Mode,
    /// `parallel_tool_calls: false` forbids several calls in one turn.
    pub parallel_allowed: bool,
}
