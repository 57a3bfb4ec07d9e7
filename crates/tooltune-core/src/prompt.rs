//! The one place that decides what a model is shown before it answers.
//!
//! A run (or the playground's workspace) fixes a [`PromptContext`]: the system
//! prompt, the tool catalogue, and whether the catalogue is rendered into the
//! prompt (it is when the training data carried `tools`; a router-style run
//! learned its tools and is shown none). Every path asks the context for its
//! messages: `route` and the page's try-it box with [`PromptContext::request`],
//! `eval --run` and evaluation during training with
//! [`PromptContext::turn`] — and `request` is `turn` of a one-message
//! conversation, so the same request gets the same prompt everywhere.
//!
//! The chat template then renders `messages` and `tools` (tooltune-engine's
//! `assistant::prompt_ids`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What a prompt is built from, besides the conversation itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptContext {
    /// Used when the conversation has no system message of its own.
    pub system: Option<String>,
    /// The catalogue (OpenAI `tools`), used when the conversation carries none.
    pub tools: Option<Value>,
    /// Whether the catalogue is rendered into the prompt at all.
    pub tools_in_prompt: bool,
}

/// Messages and tools for the chat template.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// Template dicts (`role`, `content`, …), oldest first.
    pub messages: Vec<Value>,
    /// OpenAI tools rendered by the template, if any.
    pub tools: Option<Value>,
}

impl PromptContext {
    /// Each conversation exactly as given: its own system message and its
    /// own `tools` (zero-shot evaluation of a bare model).
    pub fn as_given() -> Self {
        Self {
            tools_in_prompt: true,
            ..Self::default()
        }
    }

    /// The prompt for one user request typed on its own.
    pub fn request(&self, request: &str) -> Prompt {
        self.turn(vec![json!({"role": "user", "content": request})], None)
    }

    /// The prompt for the next assistant turn after `messages` (template
    /// dicts), whose conversation carried `own_tools`: the context's system
    /// prompt goes first when the conversation has none, and the tools shown
    /// are the conversation's own, else the context's — or none when the
    /// context keeps tools out of the prompt.
    pub fn turn(&self, mut messages: Vec<Value>, own_tools: Option<&Value>) -> Prompt {
        let has_system = messages
            .first()
            .is_some_and(|m| m.get("role").and_then(Value::as_str) == Some("system"));
        if let Some(system) = self
            .system
            .as_ref()
            .filter(|s| !s.is_empty() && !has_system)
        {
            messages.insert(0, json!({"role": "system", "content": system}));
        }
        let tools = if self.tools_in_prompt {
            own_tools.or(self.tools.as_ref()).cloned()
        } else {
            None
        };
        Prompt { messages, tools }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(tools_in_prompt: bool) -> PromptContext {
        PromptContext {
            system: Some("Route.".into()),
            tools: Some(json!([{"type": "function", "function": {"name": "f"}}])),
            tools_in_prompt,
        }
    }

    #[test]
    fn a_request_is_a_one_message_turn() {
        let c = context(true);
        let user = json!({"role": "user", "content": "hi"});
        assert_eq!(c.request("hi"), c.turn(vec![user.clone()], None));
        let p = c.request("hi");
        assert_eq!(
            p.messages,
            vec![json!({"role": "system", "content": "Route."}), user]
        );
        assert_eq!(p.tools, c.tools);
    }

    #[test]
    fn the_conversation_s_own_system_and_tools_win() {
        let c = context(true);
        let own = json!([{"type": "function", "function": {"name": "g"}}]);
        let messages = vec![
            json!({"role": "system", "content": "Mine."}),
            json!({"role": "user", "content": "hi"}),
        ];
        let p = c.turn(messages.clone(), Some(&own));
        assert_eq!(p.messages, messages);
        assert_eq!(p.tools, Some(own));
    }

    #[test]
    fn tools_stay_out_when_the_context_says_so() {
        let c = context(false);
        let own = json!([]);
        assert_eq!(c.request("hi").tools, None);
        assert_eq!(c.turn(Vec::new(), Some(&own)).tools, None);
        let bare = PromptContext::as_given();
        assert_eq!(bare.request("hi").messages.len(), 1);
        assert_eq!(bare.turn(Vec::new(), Some(&own)).tools, Some(own));
    }
}
