// Measures a SmolLM2-135M-Instruct fine-tune (LoRA, or METHOD=full) in the page on WebGPU (here
// Chromium's software adapter, SwiftShader): the first steps' tokens/s and the
// browser's peak memory (the resident set of all its processes, sampled).
// Not a test: a measurement, run by hand (it takes minutes):
//   [BACKEND=webgpu|cpu] [METHOD=lora|full] node tests/e2e/measure-smollm2-webgpu.mjs [steps=2] [batch=2]
// with the app served on $URL (default http://127.0.0.1:8080/) and the GGUF
// fetched (bash scripts/setup.sh smollm2).
import { execFileSync } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { launch } from "./browser.mjs";
import { open, panel } from "./app.mjs";

const steps = Number(process.argv[2] ?? 2);
const batch = String(process.argv[3] ?? 2);
const gguf = join(process.env.TOOLTUNE_CACHE ?? join(homedir(), ".cache", "tooltune"), "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf");

/** Resident set (MiB) of the browser's processes: Chromium's own, by its user-data dir. */
function browserRssMb(marker) {
  const out = execFileSync("ps", ["-eo", "rss=,args="], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.includes(marker)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]), 0) / 1024;
}

const session = await launch();
const marker = "tooltune-chromium-";
let peak = 0;
const sampler = setInterval(() => { peak = Math.max(peak, browserRssMb(marker)); }, 500);
try {
  const { page } = session;
  await open(page);
  const model = panel(page, "Model");
  await model.getByLabel("Backend").selectOption(process.env.BACKEND ?? "webgpu");
  await model.getByLabel(/Model files/).setInputFiles([gguf]);
  await model.getByRole("button", { name: "Load picked files" }).click();
  await model.getByText(/^Ready: SmolLM2/).waitFor({ timeout: 600_000 });
  const backend = await model.getByTestId("model-backend").innerText();
  const loaded = browserRssMb(marker);
  const train = panel(page, "Train");
  await train.getByLabel("Method").selectOption(process.env.METHOD ?? "lora");
  for (const [label, value] of [["Epochs", "1"], ["Held-out fraction", "0"], ["Batch size", batch]]) {
    const input = train.getByLabel(label, { exact: true });
    await input.fill(value);
    await input.press("Enter");
  }
  const t0 = Date.now();
  await train.getByRole("button", { name: "Train", exact: true }).click();
  const status = train.getByTestId("train-status");
  let text = "";
  for (;;) {
    text = await status.innerText();
    const m = text.match(/^step (\d+)\//);
    if ((m && Number(m[1]) >= steps) || /^(Done|Stopped|Training failed)/.test(text)) break;
    await page.waitForTimeout(1000);
  }
  const wall = (Date.now() - t0) / 1000;
  await train.getByRole("button", { name: "Stop", exact: true }).click().catch(() => {});
  console.log(JSON.stringify({
    backend, method: process.env.METHOD ?? "lora", batch: Number(batch), status: text, wall_s: wall,
    about: await train.getByTestId("train-about").innerText().catch(() => ""),
    rss_after_load_mb: Math.round(loaded), rss_peak_mb: Math.round(peak),
  }, null, 1));
} finally {
  clearInterval(sampler);
  await session.browser.close();
}
