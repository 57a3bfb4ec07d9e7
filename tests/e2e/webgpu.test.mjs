// Backends in the page: `auto` takes the CPU path on a software WebGPU
// adapter (SwiftShader here); WebGPU chosen by hand loads the model, answers
// try-it and trains, with the CPU path's loss curve.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./browser.mjs";
import { join } from "node:path";
import { open, panel, loadFixtureModel, unexpected, downloadRun, metricsLines } from "./app.mjs";

let session;
before(async () => {
  session = await launch();
  await open(session.page);
});
after(async () => {
  await session?.browser.close();
});

async function loadOn(page, backend) {
  await panel(page, "Model").getByLabel("Backend").selectOption(backend);
  // The example's rows (up to about 900 tokens) fit: no row is cut before its answer.
  await loadFixtureModel(page, { context: 1024 });
  return panel(page, "Model").getByTestId("model-backend").innerText();
}

/** Polls `read` every 50 ms until `done(value)`, for at most `ms`. */
async function until(read, done, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${value}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a run on the loaded model, stops it after its first step, and reads
 * step 1's loss from the exported run. A fast run can pass step 1, or even
 * end, between two looks at the status line, so this waits for any step (or
 * the end) of this run, never for step 1's own line.
 */
async function firstStepLoss(page) {
  const train = panel(page, "Train");
  for (const [label, value] of [["Epochs", "1"], ["Held-out fraction", "0"]]) {
    const input = train.getByLabel(label, { exact: true });
    await input.fill(value);
    await input.press("Enter");
  }
  const status = train.getByTestId("train-status");
  const before = await status.innerText();
  await train.getByRole("button", { name: "Train", exact: true }).click();
  const stepped = /^(step \d+\/\d+ · epoch \d+ · loss |Stopped: |Done: )/;
  await until(() => status.innerText(), (t) => t !== before && stepped.test(t), 300_000, "this run's first step");
  const stop = train.getByRole("button", { name: "Stop", exact: true });
  if (await stop.isEnabled()) await stop.click({ timeout: 5_000 }).catch(() => {}); // the run may end first
  await until(() => status.innerText(), (t) => /^(Stopped|Done): \d+ step\(s\)/.test(t), 300_000, "the run to end");
  const { dir } = await downloadRun(page, "tooltune-webgpu-run-");
  return metricsLines(join(dir, "metrics.jsonl")).find((l) => l.type === "step" && l.step === 1).loss;
}

test("auto runs on the CPU next to a software WebGPU adapter", async () => {
  const { page } = session;
  const backend = await loadOn(page, "auto");
  assert.match(backend, /^CPU \(burn-flex in wasm, 1 thread, relaxed SIMD\); auto: (the WebGPU adapter \(.+\) is software, slower here|no WebGPU adapter)$/);
});

test("WebGPU by hand: loads, answers and trains a step with the CPU's loss", async () => {
  const { page } = session;
  const cpu = await firstStepLoss(page);
  const backend = await loadOn(page, "webgpu");
  assert.match(backend, /^WebGPU \(.+\)$/);
  const tryIt = panel(page, "Try it");
  const budget = tryIt.getByLabel("Max new tokens");
  await budget.fill("4");
  await budget.press("Enter");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("try-result").waitFor({ timeout: 120_000 });
  const gpu = await firstStepLoss(page);
  console.log(`first step loss: CPU ${cpu}, WebGPU ${gpu}`);
  assert.ok(Math.abs(gpu - cpu) / cpu < 1e-3, `WebGPU ${gpu} vs CPU ${cpu}`);
  assert.deepEqual(unexpected(session.errors), []);
});
