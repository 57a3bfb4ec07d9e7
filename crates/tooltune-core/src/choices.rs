//! How sure a model is of its routing: the probability that its answer
//! opens a call rather than prose, shared among the catalogue's tools in
//! proportion to the likelihood of each one's call. The engine computes
//! them (`tooltune_engine::choices`); Try it and `tooltune route` show them.
//!
//! Names the catalogue lacks get no share of their own: a label-smoothed
//! fine-tune (the built-in model's default, ε 0.1) keeps every token under
//! about 0.9, so a ten-token call's own probability stays near 0.35 however
//! sure the model is, and what is left over would read as made-up names.

use serde::{Deserialize, Serialize};

/// One catalogue tool's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolChoice {
    /// The tool's name.
    pub tool: String,
    /// That the answer opens a call and it names this tool.
    pub probability: f64,
}

/// Probabilities of the answer's first decision, summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolChoices {
    /// Each catalogue tool, in catalogue order.
    pub tools: Vec<ToolChoice>,
    /// That the answer does not open a call.
    pub no_call: f64,
}

impl ToolChoices {
    /// From the probability of a call's first token and each tool's call's
    /// log-likelihood (natural log): the opening's probability is shared in
    /// proportion to the likelihoods.
    pub fn new(opening: f64, tools: Vec<(String, f64)>) -> Self {
        let opening = opening.clamp(0.0, 1.0);
        let max = tools.iter().map(|t| t.1).fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = tools.iter().map(|t| (t.1 - max).exp()).collect();
        let total: f64 = weights.iter().sum();
        let tools = tools
            .into_iter()
            .zip(weights)
            .map(|((tool, _), w)| ToolChoice {
                tool,
                probability: if total > 0.0 {
                    opening * w / total
                } else {
                    0.0
                },
            })
            .collect();
        Self {
            tools,
            no_call: 1.0 - opening,
        }
    }

    /// Every choice, likeliest first (ties in catalogue order): the tools
    /// by name, then `no call`.
    pub fn ranked(&self) -> Vec<(&str, f64)> {
        let mut all: Vec<(&str, f64)> = self
            .tools
            .iter()
            .map(|t| (t.tool.as_str(), t.probability))
            .collect();
        all.push(("no call", self.no_call));
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all
    }

    /// One line, likeliest first: `track_order 0.82 · no call 0.10 · …`.
    pub fn summary(&self) -> String {
        self.ranked()
            .iter()
            .map(|(n, p)| format!("{n} {p:.2}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_is_shared_in_proportion_to_the_calls() {
        let c = ToolChoices::new(
            0.9,
            vec![("a".into(), 0.3f64.ln()), ("b".into(), 0.1f64.ln())],
        );
        assert!((c.no_call - 0.1).abs() < 1e-12);
        assert!((c.tools[0].probability - 0.675).abs() < 1e-12, "{c:?}");
        assert!((c.tools[1].probability - 0.225).abs() < 1e-12, "{c:?}");
        assert_eq!(c.summary(), "a 0.67 · b 0.23 · no call 0.10");
        // Calls far too unlikely for f64 still share the opening.
        let c = ToolChoices::new(1.0, vec![("a".into(), -2000.0), ("b".into(), -2000.0)]);
        assert_eq!(c.tools[0].probability, 0.5);
    }
}
