//! Whether a prompt and its answer fit the model's context: past its
//! `max_position_embeddings` a model meets positions it never learnt, so
//! an answer there still comes out but may mean little. Try-it and
//! `tooltune route` say so beside the answer.

/// A note when `prompt_tokens + new_tokens` pass `context` positions.
pub fn beyond_context(prompt_tokens: usize, new_tokens: usize, context: usize) -> Option<String> {
    let used = prompt_tokens + new_tokens;
    (context > 0 && used > context).then(|| {
        format!(
            "the prompt ({prompt_tokens} tokens) and answer ({new_tokens}) take {used} positions, \
             more than the model's context of {context}: what it wrote past them may mean \
             little (a shorter system prompt or catalogue makes room)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_passes_the_context_gets_a_note() {
        assert_eq!(beyond_context(1000, 24, 1024), None);
        assert_eq!(beyond_context(10, 5, 0), None, "an unknown context");
        assert_eq!(
            beyond_context(1000, 30, 1024).as_deref(),
            Some(
                "the prompt (1000 tokens) and answer (30) take 1030 positions, more than the \
                 model's context of 1024: what it wrote past them may mean little (a shorter \
                 system prompt or catalogue makes room)"
            )
        );
    }
}
