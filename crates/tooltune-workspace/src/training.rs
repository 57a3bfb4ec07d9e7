//! The workspace's rows as training and held-out lines: each row as the
//! chat line the CLI would read (in the output style's format), split
//! stratified by label with the workspace's seed — `tooltune split`'s split
//! (`tooltune_core::dataset::split`), so the page and the CLI hold out the
//! same rows of the same exported file. Rows marked as test rows
//! ([`crate::dataset::Row::held_out`], e.g. an example's `test.jsonl`) are
//! the held-out set instead, as `tooltune train --data TRAIN` then `tooltune
//! eval --data TEST` use two files.

use serde_json::Value;
use tooltune_core::Catalogue;
use tooltune_core::dataset::{self, Format};

use crate::dataset::{ExportFormat, example_line};
use crate::workspace::{OutputStyle, Workspace};

/// Lines to train on and to evaluate with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingData {
    /// Training lines (OpenAI chat JSON).
    pub train: Vec<Value>,
    /// Held-out lines.
    pub test: Vec<Value>,
    /// Rows left out, 1-based, with why (a gold answer that does not read,
    /// an exact duplicate of an earlier row).
    pub skipped: Vec<(usize, String)>,
}

/// Splits the workspace's rows into training and held-out lines (at least
/// one held-out row when there are two rows or more and the test fraction
/// is above zero).
pub fn training_data(ws: &Workspace, catalogue: Option<&Catalogue>) -> TrainingData {
    let format = match ws.output_style {
        OutputStyle::Router => ExportFormat::Router,
        OutputStyle::ToolCalls => ExportFormat::OpenAi,
    };
    let mut out = TrainingData::default();
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (i, row) in ws.dataset.iter().enumerate() {
        match example_line(row, &ws.system_prompt, catalogue, format) {
            Ok(line) => {
                lines.push(line);
                rows.push(i + 1);
            }
            Err(why) => out.skipped.push((i + 1, why)),
        }
    }
    let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
    let read = match dataset::read(Format::OpenAi, "workspace", text.as_bytes(), None) {
        Ok(read) => read,
        Err(e) => {
            out.skipped.push((0, e.to_string()));
            return out;
        }
    };
    let mut examples = Vec::new();
    let mut kept = Vec::new();
    for (k, ex) in read.into_iter().enumerate() {
        match ex {
            Ok(ex) => {
                examples.push(ex);
                kept.push(k);
            }
            Err(e) => out.skipped.push((rows[k], e.to_string())),
        }
    }
    let is_test = |i: usize| ws.dataset[rows[kept[i]] - 1].held_out;
    let mut split;
    if (0..examples.len()).any(is_test) {
        // The marked rows are the test set, in table order; the rest train
        // (exact duplicates dropped as the seeded split drops them).
        split = dataset::split::split(&examples, 0.0, ws.seed);
        let (test, train) = split.train.iter().partition(|&&i| is_test(i));
        (split.test, split.train) = (test, train);
    } else {
        let fraction = ws.train.test_fraction.clamp(0.0, 0.9);
        split = dataset::split::split(&examples, fraction, ws.seed);
        if split.test.is_empty() && fraction > 0.0 && split.train.len() >= 2 {
            split.test.push(split.train.remove(split.train.len() - 1));
        }
    }
    for (dropped, first) in &split.duplicates {
        out.skipped.push((
            rows[kept[*dropped]],
            format!("a duplicate of row {}", rows[kept[*first]]),
        ));
    }
    out.train = split
        .train
        .iter()
        .map(|&i| lines[kept[i]].clone())
        .collect();
    out.test = split.test.iter().map(|&i| lines[kept[i]].clone()).collect();
    out.skipped.sort_by_key(|(row, _)| *row);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_workspace_splits_by_label_and_seed() {
        let ws = Workspace::default();
        let catalogue = Catalogue::from_bytes("t", ws.catalogue.as_bytes()).unwrap();
        let a = training_data(&ws, Some(&catalogue));
        assert!(a.skipped.is_empty(), "{:?}", a.skipped);
        assert_eq!(a.train.len() + a.test.len(), ws.dataset.len());
        let expected_test = (ws.dataset.len() as f64 * 0.2).round() as usize;
        assert!(
            a.test.len().abs_diff(expected_test) <= 2,
            "{}",
            a.test.len()
        );
        assert!(a.train.iter().all(|l| l["tools"].is_array()));
        assert_eq!(a, training_data(&ws, Some(&catalogue)));
        let other = Workspace {
            seed: 9,
            ..ws.clone()
        };
        assert_ne!(a.test, training_data(&other, Some(&catalogue)).test);
    }

    #[test]
    fn marked_test_rows_are_the_held_out_set_in_table_order() {
        let mut ws = Workspace::default();
        ws.dataset.truncate(10);
        for i in [2, 5, 9] {
            ws.dataset[i].held_out = true;
        }
        assert_eq!(ws.test_rows(), 3);
        let a = training_data(&ws, None);
        assert!(a.skipped.is_empty(), "{:?}", a.skipped);
        let request = |l: &Value| l["messages"][1]["content"].clone();
        let want: Vec<Value> = [2, 5, 9]
            .iter()
            .map(|&i| Value::String(ws.dataset[i].request.clone()))
            .collect();
        assert_eq!(a.test.iter().map(request).collect::<Vec<_>>(), want);
        assert_eq!(a.train.len(), 7);
        // The fraction and the seed no longer choose.
        let mut other = ws.clone();
        other.seed = 9;
        other.train.test_fraction = 0.5;
        assert_eq!(training_data(&other, None), a);
        // A test row that repeats a training row is a leak: dropped, named.
        ws.dataset.push(ws.dataset[0].clone());
        ws.dataset[10].held_out = true;
        let b = training_data(&ws, None);
        assert_eq!(b.test.len(), 3);
        assert_eq!(b.skipped, vec![(11, "a duplicate of row 1".to_string())]);
    }

    #[test]
    fn bad_and_duplicate_rows_are_skipped_by_number() {
        let mut ws = Workspace::default();
        ws.dataset.truncate(6);
        ws.dataset[1].gold = "{not json".into();
        ws.dataset.push(ws.dataset[0].clone());
        let a = training_data(&ws, None);
        let rows: Vec<usize> = a.skipped.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, vec![2, 7], "{:?}", a.skipped);
        assert!(a.skipped[1].1.contains("row 1"), "{:?}", a.skipped);
        assert_eq!(a.train.len() + a.test.len(), 5);
        assert!(!a.test.is_empty());
    }
}
