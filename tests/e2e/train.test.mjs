// Training in the page: the Train button fine-tunes the loaded model in the
// engine worker with the engine's own training loop, and the loss, the four
// metrics and call accuracy (before training, then after each epoch) arrive
// live; try-it then shows the base and the fine-tuned answers side by side.
// Stop ends a run after its current step.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { launch } from "./browser.mjs";
import { open, panel, root, shoot, loadFixtureModel, unexpected, watchEventLoop, longestBlock, waitForCheckpoint, downloadRun, metricsLines, engineWorker, serveFile } from "./app.mjs";

/** The native CLI built by the native tests (scripts/test.sh runs them first). */
const cli = join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "release", "tooltune");
let bundled = false;

let session;
before(async () => {
  session = await launch();
  await open(session.page);
  const { page } = session;
  bundled = await page.evaluate(async () => (await fetch("./builtin/config.json")).ok);
  if (bundled) {
    await panel(page, "Model").getByText(/^Ready: built-in model/).waitFor({ timeout: 60_000 });
  } else {
    await loadFixtureModel(page);
  }
  // These runs are LoRA runs (adapter export, PEFT import, adapter
  // checkpoints); the built-in model's default, a full fine-tune, has its own
  // test below.
  await panel(page, "Train").getByLabel("Method").selectOption("lora");
});
after(async () => {
  await session?.browser.close();
});

/** Trains natively with the exported run's data, settings and seed; returns the folder and its step lines. */
function trainNatively(dir) {
  const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
  const lora = run.config.tuning;
  const out = join(dir, "native");
  execFileSync(cli, ["train", "--model", "builtin", "--lora", "--data", join(dir, "train.jsonl"), "--out", out,
    "--lr", String(run.config.lr), "--epochs", String(run.config.epochs), "--batch-size", String(run.config.batch_size),
    "--seed", String(run.config.seed), "--label-smoothing", String(run.config.label_smoothing ?? 0), "--lora-r", String(lora.r), "--lora-alpha", String(lora.lora_alpha),
    "--lora-dropout", String(lora.lora_dropout), "--target-modules", lora.target_modules.join(",")], { stdio: "pipe" });
  return { out, steps: metricsLines(join(out, "metrics.jsonl")).filter((l) => l.type === "step") };
}

/** The first run's metric rows (scored by the second worker) and first and last losses. */
let firstRun = [];
let firstLosses = [];

async function setNumber(train, label, value) {
  const input = train.getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.press("Enter");
  await input.blur();
}

test("a run trains, charts the loss and scores the held-out rows before and after each epoch", async () => {
  const { page } = session;
  const train = panel(page, "Train");
  // A new workspace's epochs follow its rows (the built-in model's rule, as
  // `tooltune train --model builtin` picks them): 1,200 example passes of
  // the 28 training rows is more than the cap of 10.
  const auto = train.getByLabel("Auto epochs");
  assert.equal(await auto.isChecked(), true);
  assert.equal(await train.getByLabel("Epochs", { exact: true }).inputValue(), "10");
  await setNumber(train, "Epochs", 2);
  assert.equal(await auto.isChecked(), false, "a typed number fixes the epochs");
  // Each step split between two engine workers (on by default from three
  // cores; these machines have two): the box in the Train panel.
  await train.getByLabel("Two training workers (CPU path)").check();
  // The second worker scores the held-out rows (on by default from three
  // cores; these machines have two).
  await trainToTheEnd(page, train, "on");
  const status = train.getByTestId("train-status");
  const about = await train.getByTestId("train-about").innerText();
  // (a held-out conversation scores each of its assistant turns)
  const [, trainRows, testRows] = about.match(/^(\d+) training rows \(\d+ trained tokens\), (\d+) held-out rows(?: \(\d+ answers scored[^)]*\))?; CPU/);
  // Chromium has relaxed SIMD: the worker loaded the module with fused multiply-adds.
  assert.match(about, /CPU \(burn-flex in wasm, 1 thread, relaxed SIMD\)/, about);
  // The held-out rows are scored by the second worker while this one trains.
  assert.match(about, /held-out rows scored by a second worker/, about);
  // Each step was split between two engine workers (crate::peer in web/src).
  assert.match(about, /each step split between two engine workers/, about);
  assert.equal(Number(trainRows) + Number(testRows), 40, about);
  assert.ok(Number(testRows) >= 5, about);
  const done = await status.innerText();
  const steps = Number(done.match(/^Done: (\d+) step/)[1]);
  assert.equal(steps, 2 * Math.ceil(Number(trainRows) / 8), done);

  const loss = await train.getByTestId("loss-chart").locator("figcaption").innerText();
  const [, first, last, n] = loss.match(/^Training loss: ([\d.]+) at step 1, ([\d.]+) at step (\d+)$/);
  assert.equal(Number(n), steps);
  assert.ok(Number(last) < Number(first), loss);
  // The built-in model's label smoothing (0.1) keeps the loss above a floor, drawn and said.
  const floor = await train.getByTestId("loss-floor").innerText();
  const [, f, vocab] = floor.match(/^Label smoothing 0\.1 keeps this loss above ([\d.]+) \(dashed\) over a (\d+)-token vocabulary/);
  // The cross-entropy of the smoothed target with itself: its least loss.
  const [eps, v] = [0.1, Number(vocab)];
  const [top, rest] = [1 - eps + eps / v, eps / v];
  const least = -top * Math.log(top) - (v - 1) * rest * Math.log(rest);
  assert.equal(f, least.toFixed(3), floor);
  assert.ok(Number(last) > Number(f), `${loss} / ${floor}`);

  const rows = train.getByTestId("metrics-table").locator("tbody tr");
  assert.equal(await rows.count(), 3, "before training and after each of 2 epochs");
  firstRun = await metricRows(train);
  firstLosses = await lossEnds(train);
  assert.equal(await rows.nth(0).locator("th").innerText(), "before training");
  // The chart marks each evaluation of each of the five series with a dot
  // whose title is the table's value.
  const dots = await train.getByTestId("metrics-chart").locator("circle title").allTextContents();
  assert.equal(dots.length, 5 * 3, `${dots}`);
  const validBefore = (await rows.nth(0).locator("td").allInnerTexts())[0];
  assert.ok(dots.includes(`valid-tool-call rate, before training: ${validBefore}`), `${dots}`);
  for (let r = 0; r < 3; r++) {
    const cells = await rows.nth(r).locator("td").allInnerTexts();
    for (const c of cells.slice(0, 5)) {
      const v = Number(c);
      assert.ok(v >= 0 && v <= 1, `row ${r}: ${cells}`);
    }
  }
  // The confusion matrix: a row per catalogue tool and no_tool, a column per
  // tool, no_tool and invalid; its counts add up to the held-out rows' calls.
  const grid = train.getByTestId("confusion");
  const columns = await grid.locator("thead th").allTextContents();
  const tools = JSON.parse(await page.getByLabel("Catalogue JSON").inputValue()).map((t) => t.function.name);
  assert.deepEqual(columns.slice(1, tools.length + 3), [...tools, "no_tool", "invalid"]);
  const golds = await grid.locator("tbody th").allTextContents();
  assert.deepEqual(golds.slice(0, tools.length + 1), [...tools, "no_tool"]);
  const cells = (await grid.locator("tbody td").allTextContents()).map(Number);
  assert.ok(cells.reduce((a, b) => a + b, 0) >= Number(testRows), `${cells}`);
  await shoot(page, "Train", "train.png");

  // Try it now asks both models.
  const tryIt = panel(page, "Try it");
  await tryIt.getByLabel("Request", { exact: true }).fill("Where is my order ORD-1234?");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("try-result").waitFor({ timeout: 60_000 });
  await tryIt.getByTestId("tuned-try-result").waitFor({ timeout: 60_000 });
  const verdict = /^(valid call: [a-z_]+\(\{.*\}\)|no_tool: .*|invalid: .+)$/s;
  assert.match(await tryIt.getByTestId("verdict").innerText(), verdict);
  assert.match(await tryIt.getByTestId("tuned-verdict").innerText(), verdict);
  await shoot(page, "Try it", "try-it-tuned.png");
  assert.deepEqual(unexpected(session.errors), []);
});

test("the run downloads as a folder the CLI evaluates, and the CLI trains the same loss curve", async (t) => {
  const { page } = session;
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/)");
    return;
  }
  assert.ok(existsSync(cli), `${cli} is missing: build the CLI first (cargo build --release -p tooltune-cli)`);
  const names = ["adapter_config.json", "adapter_model.safetensors", "run.json", "train.jsonl", "test.jsonl", "metrics.jsonl"];
  const { dir, saved } = await downloadRun(page, "tooltune-page-run-");
  assert.deepEqual([...saved].sort(), [...names].sort());

  const pageLines = metricsLines(join(dir, "metrics.jsonl"));
  const pageSteps = pageLines.filter((l) => l.type === "step");
  const pageEvals = pageLines.filter((l) => l.type === "eval");
  assert.equal(pageEvals[0].step, 0);

  // The exported folder is a run: `tooltune eval --run` scores the adapter natively
  // as the page did after its last step.
  const report = JSON.parse(execFileSync(cli, ["eval", "--run", dir, "--data", join(dir, "test.jsonl"), "--json"], { encoding: "utf8" }));
  const last = pageEvals[pageEvals.length - 1];
  for (const key of ["valid_tool_call_rate", "tool_name_accuracy", "argument_match_accuracy", "false_tool_call_rate", "call_accuracy"]) {
    assert.ok(Math.abs(report[key] - last[key]) < 1e-9, `${key}: CLI ${report[key]} vs page ${last[key]}`);
  }

  // The same data, settings and seed trained natively: the same loss curve.
  const { out, steps: native } = trainNatively(dir);
  assert.equal(native.length, pageSteps.length);
  for (let i = 0; i < native.length; i++) {
    assert.equal(native[i].lr, pageSteps[i].lr, `step ${i + 1} lr`);
    const rel = Math.abs(native[i].loss - pageSteps[i].loss) / Math.abs(native[i].loss);
    assert.ok(rel < 1e-3, `step ${i + 1}: native ${native[i].loss} vs page ${pageSteps[i].loss}`);
  }
  console.log(`page vs native losses: ${pageSteps.map((s, i) => `${s.loss.toFixed(5)}/${native[i].loss.toFixed(5)}`).join(" ")}`);

  // The adapter the CLI just trained, imported into the page: try-it answers with it.
  await panel(page, "Train").getByLabel(/^Import a PEFT adapter/).setInputFiles(
    [join(out, "adapter_config.json"), join(out, "adapter_model.safetensors")]);
  await page.getByText(/^Adapter loaded \(LoRA r=16 alpha=32 on q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj\)/).waitFor({ timeout: 30_000 });
  const tryIt = panel(page, "Try it");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("tuned-try-result").waitFor({ timeout: 60_000 });
  assert.match(await tryIt.getByTestId("tuned-answer").innerText(), /imported adapter: LoRA r=16/);
  assert.deepEqual(unexpected(session.errors), []);
});

/** Trains to "Done" with the second worker for evaluation switched `evalWorker` ("on" or "off"). */
async function trainToTheEnd(page, train, evalWorker, peer = null) {
  await page.evaluate(([v, p]) => {
    localStorage.setItem("tooltune.eval_worker", v);
    if (p) localStorage.setItem("tooltune.peer", p);
  }, [evalWorker, peer]);
  try {
    await train.getByRole("button", { name: "Train", exact: true }).click();
    await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
  } finally {
    await page.evaluate(() => {
      localStorage.removeItem("tooltune.eval_worker");
      localStorage.removeItem("tooltune.peer");
    });
  }
}

/** The first and last loss of the loss chart's caption. */
async function lossEnds(train) {
  const caption = await train.getByTestId("loss-chart").locator("figcaption").innerText();
  const [, first, last] = caption.match(/^Training loss: ([\d.]+) at step 1, ([\d.]+) at step \d+$/);
  return [Number(first), Number(last)];
}

/** The metrics table's rows, the time column left out. */
async function metricRows(train) {
  const rows = [];
  for (const row of await train.getByTestId("metrics-table").locator("tbody tr").all()) {
    rows.push([await row.locator("th").innerText(), ...(await row.locator("td").allInnerTexts()).slice(0, 5)]);
  }
  return rows;
}

test("with the second worker and the split steps switched off, the run scores where it trains and gets the same losses and metrics", async () => {
  const { page } = session;
  const train = panel(page, "Train");
  await trainToTheEnd(page, train, "off", "off");
  const about = await train.getByTestId("train-about").innerText();
  assert.doesNotMatch(about, /second worker/, about);
  assert.doesNotMatch(about, /split between/, about);
  // One worker trains what two did (up to float summation order).
  const losses = await lossEnds(train);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(losses[i] - firstLosses[i]) < 1e-3, `${losses} vs ${firstLosses}`);
  assert.ok(firstRun.length === 3, `${firstRun}`);
  assert.deepEqual(await metricRows(train), firstRun, "the same seed, rows and settings score the same wherever they are scored");
  assert.deepEqual(unexpected(session.errors), []);
});

test("with the answers constrained to the catalogue, the run's scores are the CLI's --constrain scores, and its export says so", async (t) => {
  const { page } = session;
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/)");
    return;
  }
  const train = panel(page, "Train");
  const box = train.getByLabel("Constrain answers to the catalogue");
  await box.check();
  try {
    await trainToTheEnd(page, train, "on");
    assert.match(await train.getByTestId("train-about").innerText(), /answers constrained to the catalogue/);
    const { dir } = await downloadRun(page, "tooltune-page-constrained-");
    const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    assert.equal(run.constrained_eval, true);
    const evals = metricsLines(join(dir, "metrics.jsonl")).filter((l) => l.type === "eval");
    const last = evals[evals.length - 1];
    const report = JSON.parse(execFileSync(cli, ["eval", "--run", dir, "--data", join(dir, "test.jsonl"), "--json", "--constrain"], { encoding: "utf8" }));
    for (const key of ["valid_tool_call_rate", "tool_name_accuracy", "argument_match_accuracy", "false_tool_call_rate", "call_accuracy"]) {
      assert.ok(Math.abs(report[key] - last[key]) < 1e-9, `${key}: CLI --constrain ${report[key]} vs page ${last[key]}`);
    }
    console.log(`constrained in the page: ${JSON.stringify(evals.map((e) => [e.step, e.valid_tool_call_rate, e.call_accuracy]))}`);
  } finally {
    await box.uncheck();
  }
  assert.deepEqual(unexpected(session.errors), []);
});

test("evaluations come every epoch by default up to 5 epochs, or every N-th epoch as set, and the export records the cadence", async () => {
  const { page } = session;
  const train = panel(page, "Train");
  const every = train.getByLabel("Evaluate every (epochs)");
  // Epochs fixed at 2 by the first test: automatic is every epoch.
  assert.equal(await every.inputValue(), "");
  assert.equal(await every.getAttribute("placeholder"), "auto (1)");
  await setNumber(train, "Epochs", 10);
  assert.equal(await every.getAttribute("placeholder"), "auto (2)", "10 epochs: every 2nd");
  await setNumber(train, "Epochs", 3);
  await setNumber(train, "Evaluate every (epochs)", 2);
  try {
    await trainToTheEnd(page, train, "off");
    const heads = await train.getByTestId("metrics-table").locator("tbody tr th").allInnerTexts();
    const done = await train.getByTestId("train-status").innerText();
    const steps = Number(done.match(/^Done: (\d+) step/)[1]);
    assert.deepEqual(heads, ["before training", `step ${(steps / 3) * 2}`, `step ${steps}`], "after epoch 2 and the last step");
    const { dir } = await downloadRun(page, "tooltune-page-cadence-");
    const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    assert.equal(run.config.eval_every_epochs, 2);
  } finally {
    await every.fill("");
    await every.press("Enter");
    await every.blur();
    await setNumber(train, "Epochs", 2);
  }
  assert.equal(await every.inputValue(), "", "cleared: automatic again");
  assert.deepEqual(unexpected(session.errors), []);
});

test("stop ends a run after its current step", async () => {
  const { page } = session;
  const train = panel(page, "Train");
  await setNumber(train, "Epochs", 20);
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await train.getByText(/^step \d+\/\d+ · epoch/).waitFor({ timeout: 120_000 });
  // Pause holds the run between steps; resume goes on.
  await train.getByRole("button", { name: "Pause", exact: true }).click();
  await train.getByText(/^Paused at step \d+/).waitFor({ timeout: 60_000 });
  const held = await train.getByTestId("train-status").innerText();
  await page.waitForTimeout(1500);
  assert.equal(await train.getByTestId("train-status").innerText(), held);
  await train.getByRole("button", { name: "Resume", exact: true }).click();
  await page.waitForFunction((before) => {
    const now = document.querySelector('[data-testid="train-status"]')?.textContent ?? "";
    return /^step \d+/.test(now) && now.match(/step (\d+)/)[1] !== before.match(/step (\d+)/)[1];
  }, held, { timeout: 60_000 });
  await train.getByRole("button", { name: "Stop", exact: true }).click();
  await train.getByText(/^Stopped: \d+ step\(s\)/).waitFor({ timeout: 120_000 });
  const text = await train.getByTestId("train-status").innerText();
  const [, taken, total] = text.match(/step (\d+)\/(\d+)/);
  assert.ok(Number(taken) < Number(total), text);
  assert.equal(await train.getByRole("button", { name: "Train", exact: true }).isDisabled(), false);
  assert.deepEqual(unexpected(session.errors), []);
});

test("a reload mid-training keeps the run, loads its checkpoint, and Resume goes on from it", async (t) => {
  const { page } = session;
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/), which loads by itself after a reload");
    return;
  }
  let train = panel(page, "Train");
  await setNumber(train, "Epochs", 4);
  await page.evaluate(() => localStorage.removeItem("tooltune.run")); // the last test's run
  await watchEventLoop(page);
  await train.getByRole("button", { name: "Train", exact: true }).click();
  // Kept once the first epoch is scored (a checkpoint is taken at each evaluation).
  await waitForCheckpoint(page, 2);
  const block = await longestBlock(page);
  assert.ok(block < 100, `the page's event loop was blocked for ${block.toFixed(0)} ms while training`);
  await page.reload();
  await page.getByTestId("catalogue-status").waitFor();
  train = panel(page, "Train");
  const status = train.getByTestId("train-status");
  await train.getByText(/^Interrupted at step \d+ of \d+/).waitFor({ timeout: 60_000 });
  const [, kept, total] = (await status.innerText()).match(/^Interrupted at step (\d+) of (\d+)/);
  const k = Number(kept);
  assert.ok(k > 0 && k < Number(total), await status.innerText());
  // The charts and the metrics so far, cut back to the checkpoint.
  const caption = await train.getByTestId("loss-chart").locator("figcaption").innerText();
  assert.match(caption, new RegExp(`at step ${k}$`));
  assert.ok(await train.getByTestId("metrics-table").locator("tbody tr").count() >= 2);
  // The checkpoint is the fine-tuned model.
  await page.getByText(/^Adapter loaded \(LoRA r=16/).waitFor({ timeout: 30_000 });
  const tryIt = panel(page, "Try it");
  await tryIt.getByLabel("Request", { exact: true }).fill("Where is my order ORD-1234?");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("tuned-try-result").waitFor({ timeout: 60_000 });
  assert.match(await tryIt.getByTestId("tuned-answer").innerText(), new RegExp(`checkpoint of step ${k}`));

  // A reader opens the failing rows; they stay open while the run goes on
  // through its steps and evaluations (redrawn inside, not replaced).
  const failing = train.locator("details.failures");
  await failing.locator("summary").click();
  // Resume: the run goes on from step k to the end, with the run's settings.
  await train.getByRole("button", { name: "Resume training", exact: true }).click();
  await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
  assert.equal(await failing.evaluate((d) => d.open), true, "the failing rows closed during training");
  // Each failing row (tool-call answers) says how likely each call was, as Try it does.
  const failingRows = await failing.locator("li").count();
  const odds = await failing.getByTestId("failure-choices").allInnerTexts();
  assert.equal(odds.length, failingRows, odds.join("\n"));
  for (const line of odds) {
    assert.match(line, /^How likely each call was: /);
    for (const name of ["track_order", "request_refund", "escalate", "no call"]) assert.ok(line.includes(name), line);
  }
  await shoot(page, "Train", "train-failing-rows.png");
  console.log(`failing rows with their odds: ${failingRows}${odds.length ? `, the first: ${odds[0]}` : ""}`);
  const done = await status.innerText();
  assert.equal(Number(done.match(/^Done: (\d+) step/)[1]), Number(total), done);
  assert.equal(await train.getByTestId("metrics-table").locator("tbody tr").count(), 5, "baseline + 4 epochs");

  // Step k+1 is the unbroken run's step k+1 (same weights, batch and rate);
  // later steps differ a little (fresh optimiser moments).
  const { dir } = await downloadRun(page, "tooltune-page-resume-");
  const steps = metricsLines(join(dir, "metrics.jsonl")).filter((l) => l.type === "step");
  assert.deepEqual(steps.map((s) => s.step), Array.from({ length: Number(total) }, (_, i) => i + 1));
  const { steps: native } = trainNatively(dir);
  const rel = Math.abs(native[k].loss - steps[k].loss) / Math.abs(native[k].loss);
  assert.ok(rel < 1e-3, `step ${k + 1}: unbroken native ${native[k].loss} vs resumed page ${steps[k].loss}`);
  assert.equal(native[k].lr, steps[k].lr);
  assert.deepEqual(unexpected(session.errors), []);

  // A record whose step is not the stored checkpoint's (a reload just after
  // the worker stored a checkpoint the page had not yet heard of) is
  // refused, not restored with another step's weights.
  await page.evaluate(async () => {
    const run = JSON.parse(localStorage.getItem("tooltune.run"));
    run.checkpoint_step -= 1;
    localStorage.setItem("tooltune.run", JSON.stringify(run));
    // The checkpoint before the newest may be of that step (the page goes on
    // from it then): without it, no stored checkpoint is the record's.
    await (await caches.open("tooltune-run-v1")).delete("/tooltune-run/previous.safetensors");
  });
  await page.reload();
  await panel(page, "Train").getByText(
    new RegExp(`checkpoint could not be restored: the stored checkpoint is of step ${total}, not of step ${Number(total) - 1}`),
  ).waitFor({ timeout: 60_000 });
});

// Throws `message` in engine worker `name` mid-run, waits for the page to
// say `recovered` and for the run to end, and checks that every step ran
// once, in order. Returns the run's number of steps.
async function crashAndFinish(page, train, name, message, recovered) {
  const status = train.getByTestId("train-status");
  const total = Number((await status.innerText()).match(/step \d+\/(\d+)/)[1]);
  await (await engineWorker(page, name)).evaluate((m) => setTimeout(() => { throw new Error(m); }, 0), message);
  await page.getByText(recovered).waitFor({ timeout: 30_000 });
  await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
  const steps = await page.evaluate(() => JSON.parse(localStorage.getItem("tooltune.run")).steps.map((s) => s.step));
  assert.deepEqual(steps, Array.from({ length: total }, (_, i) => i + 1), "every step once, in order");
  return total;
}

test("when the engine worker dies mid-run, a new one loads the model on the CPU and the run goes on", async (t) => {
  const { page } = session;
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/), which the new worker loads by itself");
    return;
  }
  const train = panel(page, "Train");
  await setNumber(train, "Epochs", 3);
  await page.evaluate(() => localStorage.removeItem("tooltune.run"));
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await waitForCheckpoint(page);
  const status = train.getByTestId("train-status");
  // What a lost WebGPU device does to the wasm instance: an uncaught error in the worker.
  const total = await crashAndFinish(page, train, "tooltune-engine", "simulated lost device",
    /^The engine stopped during training \(.*simulated lost device.*\)\. It is restarting on the CPU; the run goes on from its checkpoint at step \d+\./);
  assert.equal(Number((await status.innerText()).match(/^Done: (\d+) step/)[1]), total);
  const caption = await train.getByTestId("loss-chart").locator("figcaption").innerText();
  assert.match(caption, new RegExp(`at step ${total}$`));
  assert.match(await panel(page, "Model").innerText(), /Backend\s+CPU/);
  assert.deepEqual(unexpected(session.errors).filter((e) => !/simulated lost device/.test(e)), []);
});

test("a full fine-tune trains every weight, goes on from its checkpoint after a lost engine, exports a run the CLI scores, and comes back after a reload", async (t) => {
  const { page } = session;
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/)");
    return;
  }
  const train = panel(page, "Train");
  await train.getByLabel("Method").selectOption("full");
  assert.equal(await train.getByLabel("LoRA rank", { exact: true }).isDisabled(), true, "LoRA settings are off for a full fine-tune");
  await setNumber(train, "Epochs", 3);
  // Label smoothing reaches the run (and the native run below takes it from run.json);
  // the built-in model's default is 0.1.
  assert.equal(Number(await train.getByLabel("Label smoothing").inputValue()), 0.1);
  await setNumber(train, "Label smoothing", 0.2);
  await page.evaluate(() => localStorage.removeItem("tooltune.run"));
  await train.getByRole("button", { name: "Train", exact: true }).click();
  // The first evaluation takes a checkpoint: every weight, kept in the Cache API.
  await waitForCheckpoint(page);
  const kept = await page.evaluate(async () => {
    const run = JSON.parse(localStorage.getItem("tooltune.run"));
    const cache = await caches.open("tooltune-run-v1");
    // The newest checkpoint (the one before it is kept beside it as previous.safetensors).
    const stored = await cache.match("/tooltune-run/adapter_model.safetensors");
    const bytes = stored ? (await stored.arrayBuffer()).byteLength : 0;
    return { step: run.checkpoint_step, stored_step: Number(stored?.headers.get("x-tooltune-step")), bytes, method: run.settings.method };
  });
  assert.equal(kept.method, "full");
  assert.ok(kept.bytes > 4_000_000 * 4, `the checkpoint holds every weight (${kept.bytes} bytes)`);
  // The engine worker stored it, naming its step (the record's, or a later one already).
  assert.ok(kept.stored_step >= kept.step && kept.step > 0, JSON.stringify(kept));
  await (await engineWorker(page)).evaluate(() => setTimeout(() => { throw new Error("simulated lost device"); }, 0));
  await page.getByText(/^The engine stopped during training .* the run goes on from its checkpoint at step \d+\./).waitFor({ timeout: 30_000 });
  await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
  await shoot(page, "Train", "train-full.png");

  const { dir, saved } = await downloadRun(page, "tooltune-page-full-", 5);
  assert.deepEqual([...saved].sort(), ["metrics.jsonl", "model.safetensors", "run.json", "test.jsonl", "train.jsonl"]);
  const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
  assert.deepEqual(run.config.tuning, { kind: "full" });
  assert.equal(run.config.label_smoothing, 0.2);
  const pageLines = metricsLines(join(dir, "metrics.jsonl"));
  const pageSteps = pageLines.filter((l) => l.type === "step");
  const pageEvals = pageLines.filter((l) => l.type === "eval");
  // `tooltune eval --run` scores the exported weights natively as the page did after its last step.
  const report = JSON.parse(execFileSync(cli, ["eval", "--run", dir, "--data", join(dir, "test.jsonl"), "--json"], { encoding: "utf8" }));
  const last = pageEvals[pageEvals.length - 1];
  for (const key of ["valid_tool_call_rate", "tool_name_accuracy", "argument_match_accuracy", "false_tool_call_rate", "call_accuracy"]) {
    assert.ok(Math.abs(report[key] - last[key]) < 1e-9, `${key}: CLI ${report[key]} vs page ${last[key]}`);
  }
  // `tooltune train --full` on the same rows, settings and seed: the same losses up to the checkpoint
  // (after it the resumed run starts with fresh AdamW moments).
  const out = join(dir, "native");
  execFileSync(cli, ["train", "--model", "builtin", "--full", "--data", join(dir, "train.jsonl"), "--out", out,
    "--lr", String(run.config.lr), "--epochs", String(run.config.epochs), "--batch-size", String(run.config.batch_size),
    "--seed", String(run.config.seed), "--label-smoothing", String(run.config.label_smoothing)], { stdio: "pipe" });
  const native = metricsLines(join(out, "metrics.jsonl")).filter((l) => l.type === "step");
  assert.equal(native.length, pageSteps.length);
  for (let i = 0; i < kept.step; i++) {
    const rel = Math.abs(native[i].loss - pageSteps[i].loss) / Math.abs(native[i].loss);
    assert.ok(rel < 1e-3, `step ${i + 1}: native ${native[i].loss} vs page ${pageSteps[i].loss}`);
  }
  console.log(`full fine-tune, page vs native losses to the checkpoint (step ${kept.step}): ${pageSteps.slice(0, kept.step).map((s, i) => `${s.loss.toFixed(5)}/${native[i].loss.toFixed(5)}`).join(" ")}`);

  // A reload brings the run back with its last checkpoint (every weight) as the fine-tuned model.
  await page.reload();
  await panel(page, "Model").getByText(/^Ready: built-in model/).waitFor({ timeout: 60_000 });
  await page.getByText(/^Weights loaded \(a full fine-tune: every weight\)/).waitFor({ timeout: 30_000 });
  const tryIt = panel(page, "Try it");
  await tryIt.getByLabel("Request", { exact: true }).fill("Where is my order ORD-1234?");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("tuned-try-result").waitFor({ timeout: 60_000 });
  assert.match(await tryIt.getByTestId("tuned-answer").innerText(), new RegExp(`checkpoint of step ${pageSteps.length}`));
  await panel(page, "Train").getByLabel("Method").selectOption("lora");
  assert.deepEqual(unexpected(session.errors).filter((e) => !/simulated lost device/.test(e)), []);
});

test("the engine's module without relaxed SIMD, for browsers without it, trains the CLI's loss curve", async (t) => {
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/)");
    return;
  }
  // A context of its own, so the switch reaches no other test's workers.
  const context = await session.browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    await page.addInitScript(() => {
      localStorage.setItem("tooltune.simd", "plain");
      localStorage.setItem("tooltune.eval_worker", "off");
    });
    await open(page);
    await panel(page, "Model").getByText(/^Ready: built-in model/).waitFor({ timeout: 60_000 });
    const worker = await engineWorker(page);
    assert.equal(await worker.evaluate(() => self.tooltune_simd), "plain");
    const train = panel(page, "Train");
    await train.getByLabel("Method").selectOption("lora");
    await setNumber(train, "Epochs", 1);
    await train.getByRole("button", { name: "Train", exact: true }).click();
    await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
    const about = await train.getByTestId("train-about").innerText();
    assert.match(about, /CPU \(burn-flex in wasm, 1 thread\)/, about);
    const { dir } = await downloadRun(page, "tooltune-plain-run-");
    const pageSteps = metricsLines(join(dir, "metrics.jsonl")).filter((l) => l.type === "step");
    const { steps: native } = trainNatively(dir);
    assert.equal(native.length, pageSteps.length);
    for (let i = 0; i < native.length; i++) {
      const rel = Math.abs(native[i].loss - pageSteps[i].loss) / Math.abs(native[i].loss);
      assert.ok(rel < 1e-3, `step ${i + 1}: native ${native[i].loss} vs plain page ${pageSteps[i].loss}`);
    }
    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
  }
});

test("when the second training worker dies mid-run, the run goes on alone from its checkpoint, and later runs are not split", async (t) => {
  const { page } = session;
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/)");
    return;
  }
  const train = panel(page, "Train");
  const box = train.getByLabel("Two training workers (CPU path)");
  await box.uncheck();
  await box.check();
  await train.getByLabel("Method").selectOption("lora");
  await setNumber(train, "Epochs", 3);
  await page.evaluate(() => localStorage.removeItem("tooltune.run"));
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await waitForCheckpoint(page);
  assert.match(await train.getByTestId("train-about").innerText(), /each step split between two engine workers/);
  await crashAndFinish(page, train, "tooltune-peer", "simulated peer crash",
    /simulated peer crash.*\. The run goes on in one worker from its checkpoint at step \d+\./);
  assert.doesNotMatch(await train.getByTestId("train-about").innerText(), /split between/);
  // The next run trains alone.
  await setNumber(train, "Epochs", 1);
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
  assert.doesNotMatch(await train.getByTestId("train-about").innerText(), /split between/);
  await box.uncheck();
  assert.deepEqual(unexpected(session.errors).filter((e) => !/simulated peer crash/.test(e)), []);
});

test("with the box set again, a new second worker starts; a run stopped before it is ready never begins", async (t) => {
  const { page } = session;
  if (!bundled) {
    t.skip("needs the built-in model bundled (dist/builtin/)");
    return;
  }
  const train = panel(page, "Train");
  const box = train.getByLabel("Two training workers (CPU path)");
  await box.check(); // after the last test's lost worker: a new one
  await setNumber(train, "Epochs", 1);
  await train.getByRole("button", { name: "Train", exact: true }).click();
  // At once: the run waits for the new worker to load the model (or, if
  // that was quicker, has begun and stops after its current step).
  await train.getByRole("button", { name: "Stop", exact: true }).click();
  await train.getByText(/^Stopped: \d+ step\(s\)/).waitFor({ timeout: 120_000 });
  console.log(`stopped at once: ${await train.getByTestId("train-status").innerText()}`);
  assert.equal(await train.getByRole("button", { name: "Train", exact: true }).isDisabled(), false);
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
  assert.match(await train.getByTestId("train-about").innerText(), /each step split between two engine workers/);
  await box.uncheck();
  assert.deepEqual(unexpected(session.errors).filter((e) => !/simulated peer crash/.test(e)), []);
});

test("a run of a GGUF file loaded by URL records that URL as its model, and the CLI evaluates it from there", async (t) => {
  const { page } = session;
  assert.ok(existsSync(cli), `${cli} is missing: build the CLI first (cargo build --release -p tooltune-cli)`);
  // A file server on this machine, which the page and the CLI both reach.
  const gguf = join(root, "tests", "fixtures", "gguf", "tiny-llama", "model.gguf");
  const { url, asked: served } = await serveFile(t, gguf, "/models/tiny.gguf");
  const model = panel(page, "Model");
  await model.getByLabel("Model folder URL").fill(url);
  await model.getByRole("button", { name: "Load from URL" }).click();
  await model.getByText(/^Ready: tiny\.gguf/).waitFor({ timeout: 60_000 });

  // Short rows and a one-tool catalogue keep the run quick on this model's character-level vocabulary.
  const tools = [{ type: "function", function: { name: "f", description: "d", parameters: { type: "object", properties: { x: { type: "string" } }, required: ["x"] } } }];
  await page.getByLabel("Catalogue JSON").fill(JSON.stringify(tools));
  const answer = (i) => i % 5 === 4 ? { role: "assistant", content: "No." }
    : { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: JSON.stringify({ x: String(i) }) } }] };
  const rows = [...Array(10).keys()].map((i) => JSON.stringify({ messages: [{ role: "system", content: "Route." }, { role: "user", content: `x ${i}` }, answer(i)] }));
  // A conversation past the run's 1,024 tokens: the run cuts it there (its first call is kept) and says so.
  rows.push(JSON.stringify({ messages: [{ role: "system", content: "Route." }, { role: "user", content: "x long" }, answer(10),
    { role: "tool", tool_call_id: "c", content: "word ".repeat(300).trim() }, { role: "assistant", content: "Done." }] }));
  // The one held-out row: its second answer's prompt leaves fewer than the evaluation's 128 new tokens of the model's 2,048 positions.
  rows.push(JSON.stringify({ messages: [{ role: "system", content: "Route." }, { role: "user", content: "x longer" }, answer(11),
    { role: "tool", tool_call_id: "c", content: "word ".repeat(400).trim() }, { role: "assistant", content: "Done." }] }));
  await page.getByLabel("Import JSONL").setInputFiles({ name: "short.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(rows.join("\n")) });
  await page.getByLabel(`Row ${rows.length} is a test row`, { exact: true }).check();
  const train = panel(page, "Train");
  await train.getByLabel("Method").selectOption("lora");
  await setNumber(train, "Epochs", 1);
  await page.evaluate(() => localStorage.removeItem("tooltune.run"));
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await train.getByText(/^Done: \d+ step\(s\)/).waitFor({ timeout: 300_000 });
  const cut = await train.getByTestId("train-cut").innerText();
  console.log(cut);
  assert.match(cut, /^1 training row\(s\) longer than the run's limit of 1024 tokens .* the longest from \d{4}:/);
  const beyond = await train.getByTestId("held-out-beyond").innerText();
  console.log(beyond);
  assert.match(beyond, /^Beyond the model's context: 1 of 2 held-out prompts leave fewer than 128 positions for the answer within the model's context of 2048 \(the longest prompt: \d{4} tokens\)/);
  await shoot(page, "Train", "train-gguf-url.png");
  const { dir, saved } = await downloadRun(page, "tooltune-page-gguf-url-");
  assert.ok(saved.includes("run.json"), saved.join(", "));
  const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
  assert.equal(run.model, url);
  const adapter = JSON.parse(readFileSync(join(dir, "adapter_config.json"), "utf8"));
  assert.equal(adapter.base_model_name_or_path, url);

  // `tooltune eval --run` fetches the base from that URL (into a fresh cache) and scores every answer.
  const fromPage = served.length;
  const cache = mkdtempSync(join(tmpdir(), "tooltune-cache-"));
  // Asynchronously: the file server answers from this process.
  const { stdout, stderr } = await promisify(execFile)(cli, ["eval", "--run", dir, "--data", join(dir, "test.jsonl"), "--json"],
    { encoding: "utf8", env: { ...process.env, TOOLTUNE_CACHE: cache } });
  const report = JSON.parse(stdout);
  // The CLI says what the page said about the held-out prompts.
  assert.ok(stderr.includes(`warning: ${beyond.replace(/^Beyond the model's context: /, "").replace(/\.$/, "")}`), stderr);
  assert.ok(served.length > fromPage, "the CLI fetched the model from its URL");
  const pageEvals = metricsLines(join(dir, "metrics.jsonl")).filter((l) => l.type === "eval");
  assert.equal(report.n, pageEvals[pageEvals.length - 1].n);
  assert.deepEqual(unexpected(session.errors), []);
});
