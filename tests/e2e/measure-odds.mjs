// Measures how long Try it's odds of each call take after the answer in the
// page, for SmolLM2-135M-Instruct (or MODEL=path to a .gguf file) on the
// CPU path or WebGPU (BACKEND=cpu|webgpu), on the support example's
// catalogue, ROUNDS requests (default 3). Not a test: a measurement, run by hand:
//   [BACKEND=cpu] [ROUNDS=3] node tests/e2e/measure-odds.mjs
// with the app served on $URL (default http://127.0.0.1:8080/) and the GGUF
// fetched (bash scripts/setup.sh smollm2).
import { homedir } from "node:os";
import { join } from "node:path";
import { launch } from "./browser.mjs";
import { open, panel } from "./app.mjs";

const gguf = process.env.MODEL ?? join(process.env.TOOLTUNE_CACHE ?? join(homedir(), ".cache", "tooltune"), "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf");
const rounds = Number(process.env.ROUNDS ?? 3);
const requests = ["Where is my order ORD-1234?", "My parcel ORD-88 arrived broken, refund please", "Let me talk to a person, this is the third time"];

const session = await launch();
try {
  const { page } = session;
  await open(page);
  const model = panel(page, "Model");
  await model.getByLabel("Backend").selectOption(process.env.BACKEND ?? "cpu");
  await model.getByLabel(/Model files/).setInputFiles([gguf]);
  await model.getByRole("button", { name: "Load picked files" }).click();
  await model.getByText(/^Ready: /).waitFor({ timeout: 600_000 });
  const backend = await model.getByTestId("model-backend").innerText();
  await page.getByLabel("Output style").selectOption("tool_calls");
  const tryIt = panel(page, "Try it");
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const request = requests[i % requests.length];
    await tryIt.getByLabel("Request", { exact: true }).fill(request);
    const t0 = Date.now();
    await tryIt.getByRole("button", { name: "Ask the model" }).click();
    await tryIt.getByTestId("latency").waitFor({ timeout: 300_000 });
    const answer_s = (Date.now() - t0) / 1000;
    await tryIt.getByTestId("choices").waitFor({ timeout: 300_000 });
    const choices_s = (Date.now() - t0) / 1000;
    runs.push({ request, answer_s, choices_s, odds_after_answer_s: +(choices_s - answer_s).toFixed(2),
      latency: await tryIt.getByTestId("latency").innerText() });
    // Clear the previous answer before the next request.
    await tryIt.getByLabel("Request", { exact: true }).fill("");
    await page.waitForTimeout(500);
  }
  console.log(JSON.stringify({ model: gguf.split("/").pop(), backend, runs }, null, 1));
} finally {
  await session.browser.close();
}
