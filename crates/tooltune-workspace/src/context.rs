//! Whether a prompt and its answer fit the model's context: past its
//! `max_position_embeddings` a model meets positions it never learnt, so
//! an answer there still comes out but may mean little. Try-it and
//! `tooltune route` say so beside the answer; `tooltune eval` and the
//! page's Train panel say so of held-out prompts before they are scored.

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

/// A note when some of the held-out prompts (`prompt_tokens`, one length
/// each) leave fewer than `max_new_tokens` positions for the answer within
/// `context` positions.
pub fn prompts_beyond_context(
    prompt_tokens: &[usize],
    max_new_tokens: usize,
    context: usize,
) -> Option<String> {
    if context == 0 {
        return None;
    }
    let over: Vec<usize> = prompt_tokens
        .iter()
        .copied()
        .filter(|&p| p + max_new_tokens > context)
        .collect();
    let longest = over.iter().max()?;
    Some(format!(
        "{} of {} held-out prompts leave fewer than {max_new_tokens} positions for the answer \
         within the model's context of {context} (the longest prompt: {longest} tokens): \
         answers that run past it may mean little (a shorter system prompt or catalogue makes \
         room)",
        over.len(),
        prompt_tokens.len()
    ))
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

    #[test]
    fn held_out_prompts_are_counted_against_the_answer_budget() {
        assert_eq!(prompts_beyond_context(&[100, 896], 128, 1024), None);
        assert_eq!(
            prompts_beyond_context(&[5000], 128, 0),
            None,
            "an unknown context"
        );
        assert_eq!(prompts_beyond_context(&[], 128, 1024), None);
        assert_eq!(
            prompts_beyond_context(&[100, 897, 2000, 50], 128, 1024).as_deref(),
            Some(
                "2 of 4 held-out prompts leave fewer than 128 positions for the answer within \
                 the model's context of 1024 (the longest prompt: 2000 tokens): answers that \
                 run past it may mean little (a shorter system prompt or catalogue makes room)"
            )
        );
    }
}
