//! The page's shared state, provided by context: the workspace (the one
//! value every door reads and writes) and what is derived from it or comes
//! back from the engine worker. All of it is signals, so [`AppState`] is
//! `Copy` and each component takes what it needs with [`use_app`].

use std::sync::Arc;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tooltune_core::Catalogue;
use tooltune_core::prompt::PromptContext;
use tooltune_workspace::dataset::{Lint, lint_rows};
use tooltune_workspace::metrics::{EvalRecord, StepRecord};
use tooltune_workspace::protocol::{BackendChoice, Failure, MaskToken, ModelInfo};
use tooltune_workspace::{OutputStyle, TrainSettings, Workspace};

/// Where the model stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStatus {
    /// Nothing loaded.
    Empty,
    /// Loading; the line says what is happening.
    Loading(String),
    /// Ready to answer.
    Ready(ModelInfo),
    /// The last load failed.
    Failed(String),
}

/// The try-it box's last answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The worker request's id.
    pub id: u64,
    /// The request it answers.
    pub request: String,
    /// Raw model text.
    pub output: String,
    /// Prompt tokens.
    pub prompt_tokens: usize,
    /// Generated tokens.
    pub new_tokens: usize,
    /// Time in the worker.
    pub engine_ms: f64,
    /// Time from the click to the answer on the page.
    pub total_ms: f64,
    /// How likely a call to each tool, or none, was (arrives after the
    /// answer).
    pub choices: Option<tooltune_core::choices::ToolChoices>,
}

/// A request in flight or its result.
#[derive(Debug, Clone, PartialEq)]
pub enum Job<T> {
    /// Nothing asked yet.
    Idle,
    /// Asked; waiting for the worker.
    Pending,
    /// Answered.
    Done(T),
    /// Failed, with the message.
    Failed(String),
}

/// Where a training run stands.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum Phase {
    /// No run yet.
    #[default]
    Idle,
    /// Sent; the worker is masking and scoring the baseline.
    Starting,
    /// Taking steps.
    Running,
    /// Paused between steps.
    Paused,
    /// Asked to stop; the current step finishes first.
    Stopping,
    /// Ended: finished, or stopped by the user.
    Done,
    /// Ended with an error (the message).
    Failed(String),
    /// Cut short by a reload: the checkpoint's adapter is loaded and the
    /// run can go on from it.
    Interrupted,
}

/// Training rows cut to the run's length limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    /// How many.
    pub rows: usize,
    /// The longest one's length before the cut, in tokens.
    pub longest: usize,
    /// The limit: 1024 tokens, or the model's context when shorter.
    pub limit: usize,
}

/// A training run in the page (kept across a reload by [`crate::run_store`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Training {
    /// The run's request id.
    pub id: u64,
    pub phase: Phase,
    pub total_steps: usize,
    pub examples: usize,
    pub trained_tokens: usize,
    pub test_items: usize,
    pub backend: String,
    /// Rows left out of the run (1-based) and why.
    pub skipped: Vec<(usize, String)>,
    /// Training rows longer than the run's limit, which it cut.
    pub cut: Option<Cut>,
    /// Held-out prompts that leave too little of the model's context for
    /// their answers (the worker's words).
    pub held_out_beyond: Option<String>,
    pub steps: Vec<StepRecord>,
    pub evals: Vec<EvalRecord>,
    /// Seconds each evaluation took.
    pub eval_seconds: Vec<f64>,
    /// The run's training and held-out lines (exported with the run).
    pub train_lines: Vec<serde_json::Value>,
    pub test_lines: Vec<serde_json::Value>,
    /// The last evaluation's confusion counts (gold, predicted, count).
    pub confusion: Vec<(String, String, usize)>,
    /// The last evaluation's failing items.
    pub failures: Vec<Failure>,
    /// Why training ended early (a non-finite loss), the last good
    /// adapter kept.
    pub error: Option<String>,
    /// Whether the user stopped it.
    pub stopped: bool,
    /// What the run was asked: the model's name, settings, seed, prompt
    /// and answer style (a resumed run takes them from here, not from the
    /// workspace, which may have changed since).
    pub model: String,
    pub settings: TrainSettings,
    pub seed: u64,
    pub context: PromptContext,
    pub output_style: OutputStyle,
    /// Steps the last checkpoint's adapter has taken.
    pub checkpoint_step: Option<usize>,
    /// The held-out rows are scored by the second worker (see
    /// `crate::evaluator`) while this one trains.
    pub eval_worker: bool,
    /// Workers splitting each step (2 with `crate::peer`, else 1; 0 before
    /// a run says).
    pub train_workers: usize,
}

impl Training {
    /// Drops the steps and evaluations after `step` (a run going on from
    /// its checkpoint of that step).
    pub fn cut_back_to(&mut self, step: usize) {
        self.steps.retain(|s| s.step <= step);
        self.evals.retain(|e| e.step <= step);
        self.eval_seconds.truncate(self.evals.len());
    }

    /// Whether a run is under way.
    pub fn busy(&self) -> bool {
        matches!(
            self.phase,
            Phase::Starting | Phase::Running | Phase::Stopping
        )
    }
}

/// A message across the top of the page (a refused link, a storage conflict).
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// Error (red) or information.
    pub error: bool,
    /// What to say.
    pub text: String,
}

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The workspace.
    pub ws: RwSignal<Workspace>,
    /// The catalogue text, read: the catalogue or the full error message.
    pub catalogue: Memo<Result<Arc<Catalogue>, String>>,
    /// The last catalogue that read, kept in use while the text is broken.
    pub last_valid: Memo<Option<Arc<Catalogue>>>,
    /// The dataset's lint with the catalogue in use.
    pub lint: Memo<Lint>,
    /// The model.
    pub model: RwSignal<ModelStatus>,
    /// Where models are loaded to run (auto, CPU, WebGPU).
    pub backend: RwSignal<BackendChoice>,
    /// Try-it's answer from the base model.
    pub answer: RwSignal<Job<Answer>>,
    /// Try-it's answer from the fine-tuned model (once one exists).
    pub tuned_answer: RwSignal<Job<Answer>>,
    /// The training run.
    pub training: RwSignal<Training>,
    /// The fine-tuned model the worker holds, in words (trained here or an
    /// imported adapter); try-it compares it with the base.
    pub tuned: RwSignal<Option<String>>,
    /// The mask view's tokens.
    pub mask: RwSignal<Job<Vec<MaskToken>>>,
    /// The row the mask view shows.
    pub mask_row: RwSignal<usize>,
    /// The banner.
    pub notice: RwSignal<Option<Notice>>,
    /// The workspace before the last wholesale replacement (an example
    /// loaded), for the banner's Undo.
    pub undo: RwSignal<Option<Workspace>>,
}

impl AppState {
    /// State around `workspace`.
    pub fn new(workspace: Workspace) -> Self {
        let ws = RwSignal::new(workspace);
        // A catalogue has no equality; each new reading counts as a change.
        let catalogue = Memo::new_with_compare(
            move |_| ws.with(|w| read_catalogue(&w.catalogue)),
            |_, _| true,
        );
        let last_valid = Memo::new_with_compare(
            move |previous: Option<&Option<Arc<Catalogue>>>| match catalogue.get() {
                Ok(c) => Some(c),
                Err(_) => previous.cloned().flatten(),
            },
            |_, _| true,
        );
        let lint = Memo::new(move |_| {
            let used = last_valid.get();
            ws.with(|w| lint_rows(&w.dataset, &w.system_prompt, used))
        });
        Self {
            ws,
            catalogue,
            last_valid,
            lint,
            model: RwSignal::new(ModelStatus::Empty),
            backend: RwSignal::new(BackendChoice::Auto),
            answer: RwSignal::new(Job::Idle),
            tuned_answer: RwSignal::new(Job::Idle),
            training: RwSignal::new(Training::default()),
            tuned: RwSignal::new(None),
            mask: RwSignal::new(Job::Idle),
            mask_row: RwSignal::new(0),
            notice: RwSignal::new(None),
            undo: RwSignal::new(None),
        }
    }
}

/// The state provided by [`crate::app::App`].
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

/// Reads catalogue text; the error is the full message with every problem.
pub fn read_catalogue(text: &str) -> Result<Arc<Catalogue>, String> {
    Catalogue::from_bytes("catalogue", text.as_bytes())
        .map(Arc::new)
        .map_err(|e| e.to_string())
}
