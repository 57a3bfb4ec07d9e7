// Page helpers shared by the specs: open the app, find panels, load the
// fixture model through the file picker as a person would, keep screenshots.
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const url = process.env.URL ?? "http://127.0.0.1:8080/";
/** Screenshots of each panel, kept as test artefacts. */
export const artifacts = process.env.ARTIFACTS ?? join(root, "target", "e2e-screenshots");
mkdirSync(artifacts, { recursive: true });

/** A tiny random Llama checkpoint with its tokenizer (the stand-in until the built-in model ships). */
export const fixtureModel = join(root, "tests", "fixtures", "hf", "llama-gqa");
export const fixtureFiles = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
  .map((f) => join(fixtureModel, f));

/** Opens the app and waits until it has rendered. */
export async function open(page, address = url) {
  await page.goto(address);
  await page.getByTestId("catalogue-status").waitFor();
}

/**
 * Records, on the page's own clock, when the app first rendered (its
 * catalogue status) and when "Ready: built-in model" first entered the DOM.
 * Timing by Playwright's waitFor would add its polling (up to 500 ms between
 * checks). Call before `page.goto`; read with `milestones(page)`.
 */
export async function watchMilestones(page) {
  await page.addInitScript(() => {
    window.__milestones = {};
    const seen = window.__milestones;
    new MutationObserver(() => {
      const t = performance.now();
      if (seen.interactive === undefined && document.querySelector('[data-testid="catalogue-status"]')) seen.interactive = t;
      if (seen.builtin_ready === undefined && document.body?.textContent.includes("Ready: built-in model")) seen.builtin_ready = t;
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/** The times `watchMilestones` recorded (milliseconds after navigation start). */
export async function milestones(page) {
  return page.evaluate(() => window.__milestones);
}

/** A panel by its heading (a region labelled by its h2). */
export function panel(page, name) {
  return page.getByRole("region", { name, exact: true });
}

/** Saves a screenshot of one panel under `artifacts`. */
export async function shoot(page, name, file) {
  await panel(page, name).screenshot({ path: join(artifacts, file) });
}

/** Loads the fixture model through the model panel's file picker. */
export async function loadFixtureModel(page, { context } = {}) {
  const model = panel(page, "Model");
  // `context`: the fixture's config with another max_position_embeddings (it has 256 positions,
  // and the page trains rows up to 1,024 tokens, or the model's context when shorter).
  // (Playwright takes paths or buffers, not both.)
  const files = context === undefined ? fixtureFiles : fixtureFiles.map((f) => {
    const name = f.split("/").pop();
    let buffer = readFileSync(f);
    if (name === "config.json") buffer = Buffer.from(JSON.stringify({ ...JSON.parse(buffer), max_position_embeddings: context }));
    return { name, mimeType: "application/octet-stream", buffer };
  });
  await model.getByLabel(/Model files/).setInputFiles(files);
  await assert.doesNotReject(model.getByTestId("picked-summary").getByText(/4 file\(s\)/).waitFor());
  await model.getByRole("button", { name: "Load picked files" }).click();
  await model.getByText(/^Ready: model files from disk /).waitFor({ timeout: 60_000 });
}

/** Console errors other than the expected 404 of the (not yet bundled) built-in model. */
export function unexpected(errors) {
  return errors.filter((e) => !/404|builtin\//.test(e));
}

/** Starts watching the page's event loop: the longest gap between 5 ms ticks. */
export async function watchEventLoop(page) {
  await page.evaluate(() => {
    window.__longest = 0;
    let last = performance.now();
    window.__watch = setInterval(() => {
      const now = performance.now();
      window.__longest = Math.max(window.__longest, now - last - 5);
      last = now;
    }, 5);
  });
}

/** Stops watching; the longest block (ms) since [`watchEventLoop`]. */
// Waits until the run saved in localStorage has a checkpoint and, with
// `evals`, at least that many scored evaluations, or else is still running.
export const waitForCheckpoint = (page, evals = 0) => page.waitForFunction((evals) => {
  const run = JSON.parse(localStorage.getItem("tooltune.run") ?? "null");
  return run && run.checkpoint_step > 0 && (evals ? run.evals.length >= evals : run.phase === "Running");
}, evals, { timeout: 180_000 });

export const longestBlock = (page) => page.evaluate(() => { clearInterval(window.__watch); return window.__longest; });

/** Clicks "Download the run" and saves the `count` files into a new folder; returns it and the names saved. */
export async function downloadRun(page, prefix, count = 6) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const saved = [];
  const onDownload = async (d) => { const name = d.suggestedFilename(); await d.saveAs(join(dir, name)); saved.push(name); };
  page.on("download", onDownload);
  await panel(page, "Train").getByRole("button", { name: /^Download the run/ }).click();
  for (let i = 0; i < 100 && saved.length < count; i++) await page.waitForTimeout(100);
  page.off("download", onDownload);
  return { dir, saved };
}

/** The lines of a metrics.jsonl. */
export const metricsLines = (file) => readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));

/** The engine worker that trains (not the evaluator, `self.name` "tooltune-evaluator"). */
export async function engineWorker(page, name = "tooltune-engine") {
  const named = [];
  for (const w of page.workers()) {
    if (await w.evaluate(() => self.name).catch(() => "") === name) named.push(w);
  }
  assert.equal(named.length, 1, `one ${name} worker among ${page.workers().length}`);
  return named[0];
}

/**
 * Serves `file` at `path` from a file server on 127.0.0.1 (any origin may
 * read it; anything else is a 404) until test `t` ends, so the page and the
 * native CLI can both fetch it. Returns the file's URL and the paths asked
 * for so far.
 */
export async function serveFile(t, file, path) {
  const asked = [];
  const server = createServer((req, res) => {
    asked.push(req.url);
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.url !== path) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${server.address().port}${path}`, asked };
}
