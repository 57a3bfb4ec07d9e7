//! `train` → `eval --run` → `route` end to end on the fixture model, a LoRA
//! run's PEFT files, `mask`, and bad training flags and data that must fail
//! with a clear message naming the flag or the line.

use super::engine::hf;
use super::{s, text, tmp, tooltune};
use serde_json::Value;

const TOOLS: &str = r#"[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
 "properties": {"city": {"type": "string", "enum": ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Bern"]}}, "required": ["city"],
 "additionalProperties": false}}}]"#;

fn router_data(n: usize) -> String {
    let cities = ["Paris", "Rome", "Oslo", "Lima"];
    (0..n)
        .map(|i| {
            let (user, answer) = if i % 5 == 0 {
                ("Hello!".to_string(), r#"{\"tool\": \"no_tool\", \"reason\": \"greeting\"}"#.to_string())
            } else {
                let c = cities[i % 4];
                (format!("Weather in {c}?"), format!(r#"{{\"tool\": \"get_weather\", \"arguments\": {{\"city\": \"{c}\"}}}}"#))
            };
            format!(
                r#"{{"messages": [{{"role": "system", "content": "Route."}}, {{"role": "user", "content": "{user}"}}, {{"role": "assistant", "content": "{answer}"}}]}}"#
            ) + "\n"
        })
        .collect()
}

const ASKS: [&str; 4] = [
    "Weather in CITY?",
    "What is the weather in CITY?",
    "Forecast for CITY please",
    "Is it sunny in CITY?",
];
const CITIES: [&str; 6] = ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Bern"];
const GREETINGS: [&str; 3] = ["Hello!", "Thanks a lot!", "Good morning!"];

/// A router line: `answer` is the router object's JSON.
fn router_line(user: &str, answer: &str) -> String {
    let line = serde_json::json!({"messages": [
        {"role": "system", "content": "Route."},
        {"role": "user", "content": user},
        {"role": "assistant", "content": answer},
    ]});
    line.to_string() + "\n"
}

/// Weather requests (every phrasing × city) and greetings, split so that the
/// held-out part pairs each city with a phrasing it never has in training,
/// and greets in words training never uses. Training cycles to `n` lines.
fn router_split(n: usize) -> (String, String) {
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (j, city) in CITIES.iter().enumerate() {
        for (i, ask) in ASKS.iter().enumerate() {
            let answer = format!(r#"{{"tool": "get_weather", "arguments": {{"city": "{city}"}}}}"#);
            let line = router_line(&ask.replace("CITY", city), &answer);
            if (i + j) % 4 == 0 {
                test.push(line)
            } else {
                train.push(line)
            }
        }
    }
    for (k, hi) in GREETINGS.iter().enumerate() {
        let line = router_line(hi, r#"{"tool": "no_tool", "reason": "greeting"}"#);
        if k == 2 {
            test.push(line)
        } else {
            train.push(line)
        }
    }
    let train: String = train.iter().cycle().take(n).cloned().collect();
    (train, test.concat())
}

#[test]
fn train_eval_route_end_to_end() {
    let (train_lines, test_lines) = router_split(40);
    let data = tmp("router.jsonl");
    std::fs::write(&data, train_lines).unwrap();
    let test = tmp("router-test.jsonl");
    std::fs::write(&test, test_lines).unwrap();
    let tools = tmp("tools.json");
    std::fs::write(&tools, TOOLS).unwrap();
    let run = tmp("run-full");
    let o = tooltune(&[
        "train",
        "--model",
        &hf("llama-gqa"),
        "--data",
        s(&data),
        "--eval",
        s(&test),
        "--tools",
        s(&tools),
        "--out",
        s(&run),
        "--full",
        "--lr",
        "5e-3",
        "--epochs",
        "20",
        "--batch-size",
        "8",
        "--eval-every",
        "50",
        "--seed",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let info: Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["steps"], 100);
    assert_eq!(info["output_mode"], "json");
    assert!(info["final_loss"].as_f64().unwrap() < 0.1, "{info}");
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let lines: Vec<Value> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.iter().filter(|l| l["type"] == "step").count(), 100);
    let evals: Vec<&Value> = lines.iter().filter(|l| l["type"] == "eval").collect();
    assert_eq!(evals.len(), 2);
    eprintln!("held-out during training: {metrics}");

    // Held-out requests: unseen phrasing-city pairs and an unseen greeting.
    let o = tooltune(&["eval", "--run", s(&run), "--data", s(&test), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    eprintln!("held-out after training: {report}");
    assert_eq!(report["n"], 7);
    assert_eq!(report["valid_tool_call_rate"], 1.0, "{report}");
    assert_eq!(report["tool_name_accuracy"], 1.0, "{report}");
    assert_eq!(report["false_tool_call_rate"], 0.0, "{report}");
    assert_eq!(report["call_accuracy"], 1.0, "{report}");
    // The last evaluation during training is the same model on the same data.
    assert_eq!(
        evals[1]["valid_tool_call_rate"],
        report["valid_tool_call_rate"]
    );
    assert_eq!(evals[1]["call_accuracy"], report["call_accuracy"]);

    let o = tooltune(&["route", "--run", s(&run), "Weather in Oslo?"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let routed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        routed,
        serde_json::json!({"tool": "get_weather", "arguments": {"city": "Oslo"}})
    );
    // Cut short, the same answer is a broken router object: exit 1, the raw
    // output on stdout, the reason on stderr.
    let o = tooltune(&[
        "route",
        "--run",
        s(&run),
        "--max-new-tokens",
        "4",
        "Weather in Oslo?",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("{\"tool"),
        "{}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("invalid output"),
        "{}",
        text(&o)
    );
}

#[test]
fn lora_run_writes_a_peft_adapter_and_mask_shows_trained_tokens() {
    let data = tmp("router-lora.jsonl");
    std::fs::write(&data, router_data(4)).unwrap();
    let run = tmp("run-lora");
    let o = tooltune(&[
        "train",
        "--model",
        &hf("llama-gqa"),
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--lora-r",
        "4",
        "--target-modules",
        "q_proj,k_proj",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let cfg: Value =
        serde_json::from_slice(&std::fs::read(run.join("adapter_config.json")).unwrap()).unwrap();
    assert_eq!(cfg["r"], 4);
    assert_eq!(cfg["lora_dropout"], 0.05);
    assert_eq!(
        cfg["target_modules"],
        serde_json::json!(["q_proj", "k_proj"])
    );
    assert!(
        std::fs::metadata(run.join("adapter_model.safetensors"))
            .unwrap()
            .len()
            > 0
    );
    let o = tooltune(&[
        "mask",
        s(&data),
        "--model",
        &hf("llama-gqa"),
        "--limit",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(shown.contains("tokens,"), "{shown}");
    assert!(
        shown.contains(
            "<|im_start|>assistant\n[[{\"tool\": \"no_tool\", \"reason\": \"greeting\"}<|im_end|>]]"
        ),
        "{shown}"
    );
}

/// The lines of a run's `metrics.jsonl` of one `kind` ("step" or "eval").
fn metrics_lines(run: &std::path::Path, kind: &str) -> Vec<Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == kind)
        .collect()
}

/// `n` router training lines and the weather catalogue, written to files
/// named after `name`.
fn router_files(name: &str, n: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let data = tmp(&format!("router-{name}.jsonl"));
    std::fs::write(&data, router_data(n)).unwrap();
    let tools = tmp(&format!("tools-{name}.json"));
    std::fs::write(&tools, TOOLS).unwrap();
    (data, tools)
}

/// The steps of a run's evaluations.
fn eval_steps(run: &std::path::Path) -> Vec<u64> {
    metrics_lines(run, "eval")
        .iter()
        .map(|l| l["step"].as_u64().unwrap())
        .collect()
}

/// Evaluations: every epoch up to 5 epochs, then every ⌈epochs / 5⌉-th
/// (every 2nd of 7 epochs, and the last), or every `--eval-every-epochs`;
/// the run records the cadence.
#[test]
fn evaluations_follow_the_epoch_cadence() {
    let (data, tools) = router_files("cadence", 4);
    let model = hf("llama-gqa");
    let train = |run: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "train",
            "--model",
            &model,
            "--data",
            s(&data),
            "--eval",
            s(&data),
            "--tools",
            s(&tools),
            "--out",
            s(run),
            "--batch-size",
            "4",
            "--max-new-tokens",
            "4",
        ];
        args.extend_from_slice(extra);
        tooltune(&args)
    };
    let run_with = |name: &str, extra: &[&str]| {
        let run = tmp(name);
        let o = train(&run, extra);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        run
    };
    // One step an epoch.
    let run = run_with("run-cadence-3", &["--epochs", "3"]);
    assert_eq!(eval_steps(&run), [1, 2, 3]);
    let run = run_with("run-cadence-7", &["--epochs", "7"]);
    assert_eq!(eval_steps(&run), [2, 4, 6, 7]);
    let info: Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["config"]["eval_every_epochs"], 2, "{info}");
    let run = run_with(
        "run-cadence-every-3",
        &["--epochs", "7", "--eval-every-epochs", "3"],
    );
    assert_eq!(eval_steps(&run), [3, 6, 7]);

    // Refused flags: the message names the flag.
    let refused = |extra: &[&str], says: &str| {
        let o = train(&tmp("run-cadence-refused"), extra);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(says), "{}", text(&o));
    };
    refused(&["--eval-every-epochs", "0"], "--eval-every-epochs");
    refused(
        &["--eval-every-epochs", "2", "--eval-every", "3"],
        "cannot be used with",
    );
}

#[test]
fn train_rejects_bad_flags_and_long_examples() {
    let data = tmp("router-bad.jsonl");
    std::fs::write(&data, router_data(2)).unwrap();
    let out = tmp("run-bad");
    let base = [
        "train",
        "--model",
        &hf("llama-gqa"),
        "--data",
        s(&data),
        "--out",
        s(&out),
    ];
    let with = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        tooltune(&args)
    };
    let o = with(&["--max-seq-len", "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("router-bad.jsonl:1: "), "{}", text(&o));
    assert!(
        text(&o).contains("more than --max-seq-len 10"),
        "{}",
        text(&o)
    );
    // The fixture model has 256 positions: no longer limit, and none by default.
    let o = with(&["--max-seq-len", "300"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("--max-seq-len 300 is more than the model's context of 256 positions"),
        "{}",
        text(&o)
    );
    let long = tmp("router-long.jsonl");
    let words = "word ".repeat(300);
    std::fs::write(&long, router_line(&words, "{\"tool\": \"no_tool\"}")).unwrap();
    let o = tooltune(&[
        "train",
        "--model",
        &hf("llama-gqa"),
        "--data",
        s(&long),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("more than --max-seq-len 256"),
        "{}",
        text(&o)
    );
    let o = with(&["--lora-dropout", "1.5"]);
    assert!(
        text(&o).contains("training: key `lora_dropout`: must be in [0, 1)"),
        "{}",
        text(&o)
    );
    let o = with(&["--target-modules", "q_proj,wq"]);
    assert!(text(&o).contains("`wq` is not one of"), "{}", text(&o));
    let o = with(&["--max-seq-len", "40", "--truncate", "--epochs", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = with(&["--lr", "0"]);
    assert!(
        text(&o).contains("training: key `lr`: must be in (0, 1]"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("panicked"));
}

/// `--activation-memory`: a budget no batch fits runs every step in row
/// groups, says so, and gives the unlimited run's losses; a negative amount
/// is refused.
#[test]
fn an_activation_budget_runs_steps_in_row_groups_with_the_same_losses() {
    let (data, tools) = router_files("budget", 8);
    let run = |memory: &str| {
        let out = tmp(&format!("run-budget-{memory}"));
        let o = train_fixture(
            &data,
            &tools,
            &out,
            &[
                "--epochs",
                "2",
                "--batch-size",
                "4",
                "--activation-memory",
                memory,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        (step_losses(&out), text(&o))
    };
    let (whole, said) = run("0");
    assert!(!said.contains("row groups"), "{said}");
    let (grouped, said) = run("0.000001");
    assert!(
        said.contains("4 of 4 steps ran in row groups to keep their activations within 0.0 GiB"),
        "{said}"
    );
    assert_eq!(whole.len(), 4);
    for (a, b) in whole.iter().zip(&grouped) {
        assert!((a - b).abs() < 1e-5, "{whole:?} vs {grouped:?}");
    }
    for bad in ["-1", "lots"] {
        let flag = format!("--activation-memory={bad}");
        let o = tooltune(&["train", "--model", "x", "--data", "y", "--out", "z", &flag]);
        assert_eq!(o.status.code(), Some(2));
        let said = text(&o);
        assert!(
            said.contains(&format!("`{bad}` is not an amount of GiB")),
            "{said}"
        );
    }
}

/// `tooltune train` on the llama-gqa fixture with `data`, `tools` and
/// `out`, then `extra`.
fn train_fixture(
    data: &std::path::Path,
    tools: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let model = hf("llama-gqa");
    let mut args = vec![
        "train",
        "--model",
        &model,
        "--data",
        s(data),
        "--tools",
        s(tools),
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    tooltune(&args)
}

/// The `loss` of every step line of a run's `metrics.jsonl`.
fn step_losses(run: &std::path::Path) -> Vec<f64> {
    metrics_lines(run, "step")
        .iter()
        .map(|l| l["loss"].as_f64().unwrap())
        .collect()
}

/// `--backend wgpu` end to end (on lavapipe where there is no GPU): a LoRA
/// run whose losses are the CPU backend's, recorded in run.json, then
/// `eval --run` and `route` on the run's backend.
#[cfg(feature = "wgpu")]
#[test]
fn train_eval_route_on_wgpu() {
    let (data, tools) = router_files("wgpu", 8);
    let train = |backend: &str| {
        let run = tmp(&format!("run-{backend}"));
        let o = train_fixture(
            &data,
            &tools,
            &run,
            &[
                "--backend",
                backend,
                "--lr",
                "1e-2",
                "--epochs",
                "2",
                "--batch-size",
                "4",
                "--lora-r",
                "4",
                // The default LoRA dropout (0.05) stays on: masks are seeded per
                // batch row, so the CPU's data-parallel shards and wgpu's one
                // shard draw the same masks.
                "--seed",
                "3",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{backend}: {}", text(&o));
        run
    };
    let run = train("wgpu");
    let cpu_run = train("cpu");
    let info: Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["backend"], "wgpu");
    assert_eq!(info["steps"], 4);
    let (gpu, cpu) = (step_losses(&run), step_losses(&cpu_run));
    assert_eq!(gpu.len(), 4);
    assert!(gpu[3] < gpu[0], "{gpu:?}");
    for (g, c) in gpu.iter().zip(&cpu) {
        assert!((g - c).abs() < 1e-4, "wgpu {gpu:?} vs cpu {cpu:?}");
    }

    // Evaluating and routing on the run's backend answer as the CPU run does.
    let eval = |run: &std::path::Path| {
        let o = tooltune(&[
            "eval",
            "--run",
            s(run),
            "--data",
            s(&data),
            "--max-new-tokens",
            "16",
            "--json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    let (report, cpu_report) = (eval(&run), eval(&cpu_run));
    assert_eq!(report["n"], 8);
    for key in [
        "valid_tool_call_rate",
        "tool_name_accuracy",
        "argument_match_accuracy",
        "false_tool_call_rate",
        "call_accuracy",
    ] {
        assert_eq!(
            report[key], cpu_report[key],
            "{key}: wgpu {report} vs cpu {cpu_report}"
        );
    }
    let route = |run: &std::path::Path| {
        tooltune(&[
            "route",
            "--run",
            s(run),
            "--max-new-tokens",
            "16",
            "Weather in Oslo?",
        ])
    };
    let (o, cpu_o) = (route(&run), route(&cpu_run));
    assert_eq!(
        o.status.code(),
        cpu_o.status.code(),
        "wgpu {} vs cpu {}",
        text(&o),
        text(&cpu_o)
    );
    assert_eq!(
        o.stdout,
        cpu_o.stdout,
        "wgpu {} vs cpu {}",
        text(&o),
        text(&cpu_o)
    );
}
