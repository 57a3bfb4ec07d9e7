// Measures the page in headless Chromium (not a test: timings belong in
// benchmarks): time to interactive, model load (the fixture checkpoint
// through the file picker until the worker reports it ready), try-it
// latency, and the gzip size of the wasm + JS in dist/.
//   URL=http://127.0.0.1:8080/ node bench.mjs [rounds]
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { launch } from "./browser.mjs";
import { url, root, panel, loadFixtureModel, watchMilestones, milestones } from "./app.mjs";

const rounds = Number(process.argv[2] ?? 3);
const median = (xs) => xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : null;
const results = { interactive_ms: [], builtin_ready_ms: [], builtin_try_ms: [], model_load_ms: [], try_ms: [], try_engine_ms: [], page_longest_block_ms: [] };
for (let r = 0; r < rounds; r++) {
  const { browser, page } = await launch();
  await watchMilestones(page);
  await page.goto(url);
  await page.getByTestId("catalogue-status").waitFor();
  // Milliseconds from navigation start to the rendered, wired app.
  results.interactive_ms.push((await milestones(page)).interactive);
  if (await page.evaluate(async () => (await fetch("./builtin/config.json")).ok)) {
    // The built-in model, loaded on start: milliseconds from navigation start to ready.
    await page.getByText(/^Ready: built-in model/).waitFor({ timeout: 60_000 });
    results.builtin_ready_ms.push((await milestones(page)).builtin_ready);
    const tryIt = panel(page, "Try it");
    await tryIt.getByLabel("Request", { exact: true }).fill("Where is my order ORD-1234?");
    await tryIt.getByRole("button", { name: "Ask the model" }).click();
    const latency = await tryIt.getByTestId("latency").innerText({ timeout: 60_000 });
    results.builtin_try_ms.push(Number(latency.match(/^(\d+) ms/)[1]));
  }
  await page.evaluate(() => {
    window.__longest = 0;
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      window.__longest = Math.max(window.__longest, now - last - 5);
      last = now;
    }, 5);
  });
  const t0 = Date.now();
  await loadFixtureModel(page);
  results.model_load_ms.push(Date.now() - t0);
  const tryIt = panel(page, "Try it");
  await tryIt.getByLabel("Max new tokens").fill("16");
  await tryIt.getByLabel("Max new tokens").blur();
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  const latency = await tryIt.getByTestId("latency").innerText({ timeout: 60_000 });
  const [, total, engine] = latency.match(/^(\d+) ms \((\d+) ms in the engine/).map(Number);
  results.try_ms.push(total);
  results.try_engine_ms.push(engine);
  // Longest stall of the page's event loop while the model loaded and answered.
  results.page_longest_block_ms.push(Math.round(await page.evaluate(() => window.__longest)));
  await browser.close();
}
const dist = join(root, "dist");
const sizes = {};
for (const f of readdirSync(dist).filter((f) => /\.(wasm|js)$/.test(f))) {
  const bytes = readFileSync(join(dist, f));
  sizes[f] = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
console.log(JSON.stringify({ rounds, median: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])), results, sizes }, null, 2));
