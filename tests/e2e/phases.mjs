// Where the time to "built-in model ready" goes (not a test: timings belong
// in benchmarks). Fresh headless Chromiums, one per round; for each it prints
// milliseconds after navigation for: the page's module and the built-in
// files fetched (resource timing), page interactive, the worker started, its
// module imported and compiled (worker.js's performance marks), and the model
// ready; medians at the end.
//   URL=http://127.0.0.1:8080/ node phases.mjs [rounds]
import { launch } from "./browser.mjs";
import { url, watchMilestones, milestones } from "./app.mjs";

const rounds = Number(process.argv[2] ?? 5);
const rows = [];
for (let r = 0; r < rounds; r++) {
  const { browser, page } = await launch();
  const workerSeen = page.waitForEvent("worker");
  // The page's long tasks (> 50 ms on its main thread), to see what the
  // page itself does while the worker loads.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({ type: "longtask", buffered: true });
  });
  await watchMilestones(page);
  await page.goto(url);
  await page.getByText(/^Ready: built-in model/).waitFor({ timeout: 60_000 });
  const { interactive, builtin_ready: ready } = await milestones(page);
  const worker = await workerSeen;
  const pageSide = await page.evaluate(() => ({
    origin: performance.timeOrigin,
    resources: performance.getEntriesByType("resource").map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd })),
    longTasks: window.__longTasks,
  }));
  const workerSide = await worker.evaluate(() => ({
    origin: performance.timeOrigin,
    marks: performance.getEntriesByType("mark").map((m) => ({ name: m.name, at: m.startTime })),
    resources: performance.getEntriesByType("resource").map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd })),
  }));
  await browser.close();
  // Worker times on the page's clock.
  const shift = workerSide.origin - pageSide.origin;
  const end = (list, pattern, k = "end") => {
    const hits = list.filter((e) => pattern.test(e.name));
    return hits.length ? Math.round(Math.max(...hits.map((e) => e[k]))) : null;
  };
  const mark = (name) => {
    const m = workerSide.marks.find((x) => x.name === name);
    return m ? Math.round(m.at + shift) : null;
  };
  const row = {
    page_module_fetched: end(pageSide.resources, /tooltune_web_bg\.wasm$/),
    interactive: Math.round(interactive),
    builtin_fetch_start: end(pageSide.resources, /\/builtin\//, "start"),
    builtin_fetched: end(pageSide.resources, /\/builtin\//),
    worker_started: Math.round(shift),
    worker_module_fetched: (() => { const v = end(workerSide.resources, /_bg\.wasm$/); return v === null ? null : v + Math.round(shift); })(),
    worker_imported: mark("tooltune-worker-imported"),
    worker_compiled: mark("tooltune-worker-compiled"),
    load_requested: mark("tooltune-load-requested"),
    backend_chosen: mark("tooltune-backend-chosen"),
    safetensors_read: mark("tooltune-safetensors-read"),
    model_built: mark("tooltune-model-built"),
    tokenizer_built: mark("tooltune-tokenizer-built"),
    model_loaded: mark("tooltune-model-loaded"),
    ready: Math.round(ready),
  };
  console.error("page long tasks [start, ms]:", JSON.stringify(pageSide.longTasks));
  rows.push(row);
  console.error(JSON.stringify(row));
}
const median = (xs) => { const v = xs.filter((x) => x !== null).sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : null; };
const medians = Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]));
console.log(JSON.stringify({ rounds, medians, rows }, null, 2));
