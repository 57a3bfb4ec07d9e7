// Measures the built-in model's fine-tune in the page: the bundled support
// example (200 training rows; its 60 test rows held out, as the CLI scores them), the page's defaults for
// the built-in model (a full fine-tune at 2e-3, batch 8, automatic epochs:
// about 1,200 example passes, 6 epochs of these rows, as the CLI's; EPOCHS
// fixes them) on the chosen backend, the wall time from Train to
// Done, and the held-out metrics before training and after each epoch. Writes
// a screenshot of the Train panel.
// Not a test: a measurement, run by hand (about two minutes here):
//   [BACKEND=cpu|webgpu|auto] [EXAMPLE=support] [EPOCHS=N] [METHOD=lora|full] [THRESHOLD=P] [EVAL_WORKER=on|off] [PEER=on|off] [SIMD=plain] node tests/e2e/measure-builtin.mjs [screenshot.png]
// with the app served on $URL (default http://127.0.0.1:8080/).
import { launch } from "./browser.mjs";
import { open, panel, downloadRun, metricsLines, watchEventLoop, longestBlock } from "./app.mjs";
import { join } from "node:path";

const shot = process.argv[2];
const session = await launch();
try {
  const { page } = session;
  await page.setViewportSize({ width: 1400, height: 900 });
  // SIMD=plain: the engine worker's module without relaxed SIMD, even where
  // the browser has it (localStorage["tooltune.simd"], read as the worker starts).
  if (process.env.SIMD) {
    await page.addInitScript((v) => localStorage.setItem("tooltune.simd", v), process.env.SIMD);
  }
  await open(page);
  const model = panel(page, "Model");
  await model.getByLabel("Backend").selectOption(process.env.BACKEND ?? "cpu");
  await page.getByText(/^Ready: built-in model/).waitFor({ timeout: 120_000 });
  await page.getByLabel("Example dataset").selectOption(process.env.EXAMPLE ?? "support");
  await page.getByRole("button", { name: "Load example" }).click();
  await page.getByText(/^Loaded the \w+ example/).first().waitFor({ timeout: 30_000 });
  const train = panel(page, "Train");
  // METHOD=lora|full: the page's Method (the built-in model's default is full).
  if (process.env.METHOD) await train.getByLabel("Method").selectOption(process.env.METHOD);
  if (process.env.EPOCHS) {
    const input = train.getByLabel("Epochs", { exact: true });
    await input.fill(process.env.EPOCHS);
    await input.press("Enter");
  }
  // THRESHOLD=P: the Train panel's call threshold for its evaluations
  // (`--call-threshold P`; default greedy).
  if (process.env.THRESHOLD) {
    const input = train.getByLabel("Call threshold", { exact: true });
    await input.fill(process.env.THRESHOLD);
    await input.press("Enter");
  }
  const settings = { method: await train.getByLabel("Method").inputValue() };
  for (const label of ["Learning rate", "Epochs", "Batch size"]) {
    settings[label] = await train.getByLabel(label, { exact: true }).inputValue();
  }
  // EVAL_WORKER=on|off: whether a second worker scores the held-out rows
  // (default: on from three cores).
  if (process.env.EVAL_WORKER) {
    await page.evaluate((v) => localStorage.setItem("tooltune.eval_worker", v), process.env.EVAL_WORKER);
  }
  // PEER=on|off: whether each step is split with a second engine worker
  // (default: on from three cores; the Train panel's "Two training workers").
  if (process.env.PEER) {
    await page.evaluate((v) => localStorage.setItem("tooltune.peer", v), process.env.PEER);
  }
  await watchEventLoop(page);
  const t0 = Date.now();
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await train.getByText(/^(Done|Stopped|Training failed)/).waitFor({ timeout: 1_800_000 });
  const wall = (Date.now() - t0) / 1000;
  const longest_block_ms = Math.round(await longestBlock(page));
  const head = await train.getByTestId("metrics-table").locator("thead th").allInnerTexts();
  const rows = [];
  for (const row of await train.getByTestId("metrics-table").locator("tbody tr").all()) {
    rows.push([await row.locator("th").innerText(), ...(await row.locator("td").allInnerTexts())]);
  }
  if (shot) await train.screenshot({ path: shot });
  // Training seconds per epoch, from the run's metrics.jsonl (elapsed_s counts
  // training steps only, not evaluations).
  const { dir } = await downloadRun(page, "tooltune-measure-");
  const steps = metricsLines(join(dir, "metrics.jsonl")).filter((l) => l.type === "step");
  const epochs = [];
  for (const s of steps) epochs[s.epoch - 1] = s.elapsed_s;
  const epoch_train_s = epochs.map((e, i) => +(e - (i ? epochs[i - 1] : 0)).toFixed(1));
  console.log(JSON.stringify({
    example: process.env.EXAMPLE ?? "support", settings, wall_s: wall, longest_block_ms,
    eval_worker: process.env.EVAL_WORKER ?? "default",
    peer: process.env.PEER ?? "default",
    status: await train.getByTestId("train-status").innerText(),
    about: await train.getByTestId("train-about").innerText(),
    backend: await model.getByTestId("model-backend").innerText().catch(() => ""),
    epoch_train_s,
    metrics: { columns: head, rows },
  }, null, 1));
} finally {
  await session.browser.close();
}
