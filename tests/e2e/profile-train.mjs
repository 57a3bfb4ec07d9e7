// A CPU profile of the page's own thread (not the workers) while the
// built-in model fine-tunes on the support example, from Train to Done: what
// holds the page's event loop. Not a test: a measurement, run by hand:
//   [PEER=on|off] [EPOCHS=N] node tests/e2e/profile-train.mjs OUT.json
//   python3 scripts/page-profile.py OUT.json   # busy time and the longest bursts
// with the app served on $URL (default http://127.0.0.1:8080/).
import { launch } from "./browser.mjs";
import { open, panel } from "./app.mjs";
import { writeFileSync } from "node:fs";

const out = process.argv[2] ?? "profile.json";
const session = await launch();
const { page, browser } = session;
try {
  await page.setViewportSize({ width: 1400, height: 900 });
  await open(page);
  await panel(page, "Model").getByLabel("Backend").selectOption("cpu");
  await page.getByText(/^Ready: built-in model/).waitFor({ timeout: 120_000 });
  await page.getByLabel("Example dataset").selectOption("support");
  await page.getByRole("button", { name: "Load example" }).click();
  await page.getByText(/^Loaded the \w+ example/).first().waitFor({ timeout: 30_000 });
  const train = panel(page, "Train");
  if (process.env.EPOCHS) {
    const input = train.getByLabel("Epochs", { exact: true });
    await input.fill(process.env.EPOCHS);
    await input.press("Enter");
  }
  if (process.env.PEER) await page.evaluate((v) => localStorage.setItem("tooltune.peer", v), process.env.PEER);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  const t0 = Date.now();
  await train.getByRole("button", { name: "Train", exact: true }).click();
  await train.getByText(/^(Done|Stopped|Training failed)/).waitFor({ timeout: 1_800_000 });
  const { profile } = await cdp.send("Profiler.stop");
  writeFileSync(out, JSON.stringify(profile));
  console.log(JSON.stringify({ wall_s: (Date.now() - t0) / 1000, profile: out }));
} finally {
  await browser.close();
}
