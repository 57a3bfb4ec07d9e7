//! Schema-guided decoding: whether a model's partial answer can still end
//! as a valid one ([`crate::eval::validate`]: it parses, names a tool of the
//! catalogue, and its arguments pass the tool's schema), so a decoder can
//! keep to the answers the scorer accepts (as llama.cpp's grammars and
//! OpenAI's `strict` tools do).
//!
//! The shapes it follows are those the parser reads ([`crate::parse`]):
//! - in [`Mode::Chat`], prose with no call attempt (the no-tool answer), or
//!   Hermes blocks `<tool_call>{"name": …, "arguments": {…}}</tool_call>`
//!   (several only where parallel calls are allowed; prose may come before
//!   them, nothing but whitespace after), or one JSON call object
//!   (`{"name": …, "arguments": …}` or the router's `{"tool": …}`), or a
//!   JSON array of call objects where parallel calls are allowed;
//! - in [`Mode::Json`] (the router format), one router object:
//!   `{"tool": NAME, "arguments": {…}}` or `{"tool": "no_tool", "reason": "…"}`.
//!
//! Keys come in the order the templates write them (`name` before
//! `arguments`, `tool` first), since the arguments' schema depends on the
//! name. Everything is on bytes: a token may end inside a multi-byte
//! character.
//!
//! [`loops()`] goes beyond validity: it spots a loop (a long run of
//! whitespace, or text that repeats a few pieces such as `979797…`), which a
//! greedy decoder caught in never leaves to close its string or block; a
//! decoder steers clear of loops where the grammar leaves it a choice.

pub mod json;
pub mod loops;
pub mod pattern;

pub use loops::{loops, repeats};

use std::sync::Arc;

use crate::call::NO_TOOL;
use crate::eval::{Item, validate};
use crate::parse::{Mode, attempt};
use crate::{Catalogue, catalogue::Tool};
use json::{Dead, Read, Step, at, fits_word, lit, string, ws};
use serde_json::{Map, Value};

/// What a partial answer can still become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No continuation is a valid answer.
    Dead,
    /// Not a valid answer yet, but some continuation is.
    Open,
    /// A valid answer as it stands (it may also go on).
    Complete,
}

/// The valid answers for one prompt: its catalogue, the parser's mode, and
/// whether several calls may come in one turn.
#[derive(Debug, Clone)]
pub struct Grammar {
    catalogue: Arc<Catalogue>,
    mode: Mode,
    parallel: bool,
}

const OPEN_BLOCK: &[u8] = b"<tool_call>";
const CLOSE_BLOCK: &[u8] = b"</tool_call>";

impl Grammar {
    /// The answers valid against `catalogue` in `mode`.
    pub fn new(catalogue: Arc<Catalogue>, mode: Mode, parallel: bool) -> Self {
        Self {
            catalogue,
            mode,
            parallel,
        }
    }

    /// The answers an evaluation item accepts as valid.
    pub fn for_item(item: &Item) -> Self {
        Self::new(item.catalogue.clone(), item.mode, item.parallel_allowed)
    }

    /// What `text` (the answer so far, as bytes) can still become.
    pub fn check(&self, s: &[u8]) -> Verdict {
        let i = ws(s, 0);
        if i == s.len() {
            return Verdict::Open;
        }
        let read = match (self.mode, s[i]) {
            (_, b'{') => self.json_call(s, i, self.mode == Mode::Json),
            (Mode::Chat, b'[') if self.parallel => self.call_array(s, i),
            (Mode::Chat, b'<') if starts_like(&s[i..], OPEN_BLOCK) => self.blocks(s, i),
            (Mode::Chat, _) => return self.prose(s, i),
            (Mode::Json, _) => Err(Dead),
        };
        match read {
            Err(Dead) => Verdict::Dead,
            Ok(Step::More) => Verdict::Open,
            Ok(Step::At(j)) if ws(s, j) == s.len() => self.finished(s),
            Ok(Step::At(_)) => Verdict::Dead,
        }
    }

    /// A whole answer's last word: the scorer's own validity check.
    fn finished(&self, s: &[u8]) -> Verdict {
        match std::str::from_utf8(s) {
            Ok(text) => match validate(text, self.mode, self.parallel, &self.catalogue) {
                Ok(_) => Verdict::Complete,
                Err(_) => Verdict::Dead,
            },
            Err(e) if e.error_len().is_none() => Verdict::Open,
            Err(_) => Verdict::Dead,
        }
    }

    /// Prose from `i`: the no-tool answer, unless it attempts a call; Hermes
    /// blocks may follow it.
    fn prose(&self, s: &[u8], i: usize) -> Verdict {
        let start = s[i..]
            .windows(OPEN_BLOCK.len())
            .position(|w| w == OPEN_BLOCK)
            .map(|k| i + k);
        // A block's opening tag may be half written at the end.
        let half = match start {
            Some(_) => None,
            None => (i..s.len())
                .rev()
                .take(OPEN_BLOCK.len() - 1)
                .find(|&k| s[k] == b'<' && OPEN_BLOCK.starts_with(&s[k..])),
        };
        let text = String::from_utf8_lossy(&s[i..start.or(half).unwrap_or(s.len())]);
        if attempt::find(&text).is_some() {
            // `f(x=` reads as a call, `f(x==` as prose: a text that ends in
            // `=` may still become prose (found by fuzzing).
            let undone = text.ends_with('=') && attempt::find(&format!("{text}=")).is_none();
            return if undone { Verdict::Open } else { Verdict::Dead };
        }
        if half.is_some() {
            return Verdict::Open;
        }
        let Some(start) = start else {
            // Prose that attempts no call is the no-tool answer once it says
            // something (the parser trims more than JSON's whitespace: a
            // lone vertical tab is an empty answer, not a dead one).
            return match self.finished(s) {
                Verdict::Dead => Verdict::Open,
                v => v,
            };
        };
        match self.blocks(s, start) {
            Err(Dead) => Verdict::Dead,
            Ok(Step::More) => Verdict::Open,
            Ok(Step::At(_)) => self.finished(s),
        }
    }

    /// Hermes blocks from `i`, one or (where allowed) more, with only
    /// whitespace between and after them.
    fn blocks(&self, s: &[u8], mut i: usize) -> Read {
        loop {
            let mut j = at!(lit(s, i, OPEN_BLOCK));
            j = ws(s, j);
            j = at!(self.json_call(s, j, false));
            j = ws(s, j);
            j = at!(lit(s, j, CLOSE_BLOCK));
            let k = ws(s, j);
            if k == s.len() {
                return Ok(Step::At(k));
            }
            if !(self.parallel && s[k] == b'<') {
                return Err(Dead);
            }
            i = k;
        }
    }

    /// A JSON array of call objects from `i`.
    fn call_array(&self, s: &[u8], i: usize) -> Read {
        let mut j = at!(lit(s, i, b"["));
        loop {
            j = ws(s, j);
            j = at!(self.json_call(s, j, false));
            j = ws(s, j);
            match s.get(j) {
                None => return Ok(Step::More),
                Some(b',') => j += 1,
                Some(b']') => return Ok(Step::At(j + 1)),
                Some(_) => return Err(Dead),
            }
        }
    }

    /// One call object from `i`: `{"name": NAME, "arguments": {…}}` (or
    /// `"parameters"`), or a router object `{"tool": …}`; only the latter
    /// when `router_only`.
    fn json_call(&self, s: &[u8], i: usize, router_only: bool) -> Read {
        let firsts: &[&str] = if router_only {
            &["tool"]
        } else {
            &["name", "tool"]
        };
        let mut j = at!(lit(s, i, b"{"));
        j = ws(s, j);
        let (step, first) = string(s, j, &one_of(firsts))?;
        j = at!(Ok(step));
        j = at!(colon(s, j));
        let router = first == b"tool";
        let names = |buf: &[u8], closed: bool| {
            let known = |name: &str| fits_word(name, buf, closed);
            self.catalogue.tools().iter().any(|t| known(&t.name)) || (router && known(NO_TOOL))
        };
        let (step, name) = string(s, j, &names)?;
        j = at!(Ok(step));
        let name = String::from_utf8(name).map_err(|_| Dead)?;
        j = ws(s, j);
        j = at!(lit(s, j, b","));
        j = ws(s, j);
        if router && name == NO_TOOL {
            let (step, _) = string(s, j, &one_of(&["reason"]))?;
            j = at!(Ok(step));
            j = at!(colon(s, j));
            let (step, _) = string(s, j, &|_, _| true)?;
            j = at!(Ok(step));
        } else {
            let keys: &[&str] = if router {
                &["arguments"]
            } else {
                &["arguments", "parameters"]
            };
            let (step, _) = string(s, j, &one_of(keys))?;
            j = at!(Ok(step));
            j = at!(colon(s, j));
            let tool = self.catalogue.get(&name).ok_or(Dead)?;
            j = at!(arguments(s, j, tool));
        }
        j = ws(s, j);
        lit(s, j, b"}")
    }
}

/// Whether `s` and `lit` agree on their common length.
fn starts_like(s: &[u8], lit: &[u8]) -> bool {
    let n = s.len().min(lit.len());
    s[..n] == lit[..n]
}

/// Accepts string contents that are (a prefix of, while open) one of `words`.
fn one_of<'a>(words: &'a [&'a str]) -> impl Fn(&[u8], bool) -> bool + 'a {
    move |buf, closed| words.iter().any(|w| fits_word(w, buf, closed))
}

/// Whitespace, a colon, whitespace.
fn colon(s: &[u8], i: usize) -> Read {
    let j = ws(s, i);
    let j = at!(lit(s, j, b":"));
    Ok(Step::At(ws(s, j)))
}

/// `tool`'s arguments object from `i`, read against its schema and, once
/// closed, validated in full.
fn arguments(s: &[u8], i: usize, tool: &Tool) -> Read {
    let j = at!(json::value(s, i, &tool.parameters));
    let args: Map<String, Value> = serde_json::from_slice(&s[i..j]).map_err(|_| Dead)?;
    tool.check_arguments(&args).map_err(|_| Dead)?;
    Ok(Step::At(j))
}

#[cfg(test)]
mod tests;
