// Compares builds of the page side by side (not a test: timings belong in
// benchmarks): fresh headless Chromiums, interleaved, each opening every URL
// in turn; prints the medians of page interactive and built-in model ready
// (milliseconds after navigation). Serve each build (its dist/) on a port.
//   node compare.mjs ROUNDS [MBIT] URL...     MBIT: throttle the page's network
import { launch } from "./browser.mjs";
import { watchMilestones, milestones } from "./app.mjs";

const rounds = Number(process.argv[2]);
const rest = process.argv.slice(3);
const mbit = /^\d+(\.\d+)?$/.test(rest[0] ?? "") ? Number(rest.shift()) : null;
const urls = rest;
if (!rounds || urls.length === 0) {
  console.error("usage: node compare.mjs ROUNDS [MBIT] URL...");
  process.exit(2);
}
const results = Object.fromEntries(urls.map((u) => [u, { interactive_ms: [], builtin_ready_ms: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const url of urls) {
    const { browser, page } = await launch();
    if (mbit) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Network.enable");
      const bytes = mbit * 125_000;
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: bytes, uploadThroughput: bytes });
    }
    await watchMilestones(page);
    await page.goto(url);
    await page.getByText(/^Ready: built-in model/).waitFor({ timeout: 120_000 });
    const seen = await milestones(page);
    results[url].interactive_ms.push(Math.round(seen.interactive));
    results[url].builtin_ready_ms.push(Math.round(seen.builtin_ready));
    await browser.close();
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.fromEntries(Object.entries(results).map(([u, r]) => [u, {
  median: { interactive_ms: median(r.interactive_ms), builtin_ready_ms: median(r.builtin_ready_ms) }, ...r,
}]));
console.log(JSON.stringify({ rounds, mbit, results: summary }, null, 2));
