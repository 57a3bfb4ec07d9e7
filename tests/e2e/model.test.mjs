// The model panel and what needs a model: the built-in model when the build
// bundles it (dist/builtin/), a Hugging Face folder picked from disk (the
// fixture checkpoint, so these tests run without the built-in model) or
// fetched from a URL, its facts shown; try-it
// returns the raw output, the parsed call, the verdict and the latency; the
// mask view marks the trained tokens. All model work runs in the worker.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { launch } from "./browser.mjs";
import { open, panel, root, shoot, loadFixtureModel, fixtureModel, unexpected, watchEventLoop, longestBlock, serveFile } from "./app.mjs";

const cli = join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "release", "tooltune");

let session;
before(async () => {
  session = await launch();
  await open(session.page);
});
after(async () => {
  await session?.browser.close();
});

/** Try it's bars: [name, probability] pairs, likeliest first. */
async function choicesShown(tryIt) {
  await tryIt.getByTestId("choices").waitFor({ timeout: 60_000 }); // sent after the answer
  const items = await tryIt.getByTestId("choices").locator("li").allInnerTexts();
  return items.map((t) => t.split("\n").map((x) => x.trim()).filter(Boolean)).map(([name, p]) => [name, Number(p)]);
}

test("the built-in model loads on start when the build bundles it (and is said to be missing when not)", async () => {
  const { page } = session;
  const model = panel(page, "Model");
  const bundled = await page.evaluate(async () => (await fetch("./builtin/config.json")).ok);
  if (!bundled) {
    await model.getByRole("alert").getByText(/builtin\/config\.json: HTTP 404/).waitFor();
    assert.equal(await page.getByRole("button", { name: "Ask the model" }).isDisabled(), true);
    return;
  }
  await model.getByText(/^Ready: built-in model/).waitFor({ timeout: 60_000 });
  const tryIt = panel(page, "Try it");
  await tryIt.getByLabel("Request", { exact: true }).fill("Where's my order ORD-1234?");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("try-result").waitFor({ timeout: 60_000 });
  // The bare built-in model routes this order question zero-shot, copying
  // the order number from the request (`tooltune route --model builtin
  // --tools tests/fixtures/support/tools.json --system "<the example's>"`
  // writes the same call; MODEL.md has its scores).
  assert.equal(await tryIt.getByTestId("verdict").innerText(), 'valid call: track_order({"order_id":"ORD-1234"})');
  // How likely each call was: the catalogue's three tools and no call,
  // likeliest first, as `tooltune route --json` scores them.
  const shown = await choicesShown(tryIt);
  const items = shown.map(([name, p]) => `${name} ${p}`);
  assert.deepEqual(shown.map(([name]) => name).sort(), ["escalate", "no call", "request_refund", "track_order"]);
  assert.equal(shown[0][0], "track_order", items.join(" | "));
  const dir = mkdtempSync(join(tmpdir(), "tooltune-builtin-route-"));
  writeFileSync(join(dir, "tools.json"), await page.getByLabel("Catalogue JSON").inputValue());
  const system = await page.getByLabel("System prompt").inputValue();
  assert.ok(existsSync(cli), `${cli} is missing: build the CLI first (cargo build --release -p tooltune-cli)`);
  const routed = spawnSync(cli, ["route", "--model", "builtin", "--tools", join(dir, "tools.json"), "--system", system,
    "--max-new-tokens", await tryIt.getByLabel("Max new tokens").inputValue(), "--json", "Where's my order ORD-1234?"], { encoding: "utf8" });
  assert.equal(routed.status, 0, routed.stderr);
  const native = JSON.parse(routed.stdout.trim()).choices;
  const want = new Map([...native.tools.map((t) => [t.tool, t.probability]), ["no call", native.no_call]]);
  for (const [name, p] of shown) assert.ok(Math.abs(p - want.get(name)) <= 0.011, `${name}: page ${p}, native ${want.get(name)}`);
  await shoot(page, "Try it", "try-it-builtin.png");
  // A call threshold near 1 (`--call-threshold 0.999999`): the same request
  // gets prose, since no first token of a call is that sure. The setting
  // is the workspace's: the Train panel's field shows it too.
  const threshold = tryIt.getByLabel("Call threshold");
  await threshold.fill("0.999999");
  await threshold.blur();
  assert.equal(await panel(page, "Train").getByLabel("Call threshold").inputValue(), "0.999999");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  let raw = "";
  for (const start = Date.now(); Date.now() - start < 60_000; await page.waitForTimeout(200)) {
    raw = await tryIt.getByTestId("raw-output").innerText();
    if (!raw.startsWith("<tool_call>")) break;
  }
  assert.ok(raw.length > 0 && !raw.startsWith("<tool_call>"), raw);
  await threshold.fill("");
  await threshold.blur();
});

test("files dropped on the panel are picked, with their sizes", async () => {
  const { page } = session;
  const model = panel(page, "Model");
  const files = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["{}"], "config.json"));
    dt.items.add(new File([new Uint8Array(2_500_000)], "model.safetensors"));
    dt.items.add(new File(["x"], "README.md"));
    return dt;
  });
  await model.locator(".drop").dispatchEvent("drop", { dataTransfer: files });
  assert.match(await model.getByTestId("picked-summary").innerText(),
    /^2 file\(s\), 2\.5 MB in all: config\.json, model\.safetensors\. Weights 2\.5 MB/);
});

test("a missing file is named before anything loads", async () => {
  const { page } = session;
  const model = panel(page, "Model");
  await model.getByLabel(/Model files/).setInputFiles([join(fixtureModel, "config.json")]);
  await model.getByRole("button", { name: "Load picked files" }).click();
  await model.getByText(/Missing model\.safetensors, tokenizer\.json/).waitFor();
});


test("an unsupported architecture is refused with the reason", async () => {
  const { page } = session;
  const model = panel(page, "Model");
  const config = JSON.parse(await readFile(join(fixtureModel, "config.json"), "utf8"));
  config.model_type = "gpt2";
  await model.getByLabel(/Model files/).setInputFiles([
    { name: "config.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(config)) },
    ...await Promise.all(["model.safetensors", "tokenizer.json"].map(async (name) =>
      ({ name, mimeType: "application/octet-stream", buffer: await readFile(join(fixtureModel, name)) }))),
  ]);
  await model.getByRole("button", { name: "Load picked files" }).click();
  await model.getByRole("alert").getByText(/config\.json.*`gpt2` is not supported \(llama, qwen2, mistral\)/).waitFor();
});

test("a folder picked from disk loads in the worker and shows its facts", async () => {
  const { page } = session;
  await watchEventLoop(page);
  await loadFixtureModel(page);
  // The model loads in the worker: the page's event loop stays free.
  const block = await longestBlock(page);
  assert.ok(block < 100, `the page's event loop was blocked for ${block.toFixed(0)} ms while the model loaded`);
  const model = panel(page, "Model");
  const config = JSON.parse(await readFile(join(fixtureModel, "config.json"), "utf8"));
  assert.match(await model.getByTestId("model-backend").innerText(), /^CPU \(burn-flex in wasm/);
  assert.match(await model.getByTestId("model-params").innerText(), /^[\d,]+$/);
  assert.match(await model.innerText(), new RegExp(`Context length\\s+${config.max_position_embeddings}`));
  await shoot(page, "Model", "model.png");
});

test("try it: raw output, parsed call, verdict and latency", async () => {
  const { page } = session;
  const tryIt = panel(page, "Try it");
  // Router style: prose is invalid there (in tool-call style it is the no-tool answer).
  await page.getByLabel("Output style").selectOption("router");
  await tryIt.getByLabel("Request", { exact: true }).fill("Where is my order ORD-77?");
  await tryIt.getByLabel("Max new tokens").fill("16");
  await tryIt.getByLabel("Max new tokens").blur();
  await watchEventLoop(page);
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("try-result").waitFor({ timeout: 60_000 });
  const block = await longestBlock(page);
  assert.ok(block < 100, `the page's event loop was blocked for ${block.toFixed(0)} ms while the model answered`);
  // The fixture's weights are random: its text is noise, which the strict
  // parser must call invalid in the router style (prose is not JSON).
  assert.ok((await tryIt.getByTestId("raw-output").innerText()).length > 0);
  assert.match(await tryIt.getByTestId("verdict").innerText(), /^invalid: /);
  assert.match(await tryIt.getByTestId("latency").innerText(), /^\d+ ms \(\d+ ms in the engine; \d+ prompt tokens, 16 new tokens\)$/);
  assert.equal(await tryIt.getByTestId("beyond-context").count(), 0);
  await shoot(page, "Try it", "try-it.png");

  // A system prompt past the model's context: the answer comes, with a warning beside it.
  const system = page.getByLabel("System prompt");
  const before = await system.inputValue();
  await system.fill("Route every request. ".repeat(200));
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  const warning = await tryIt.getByTestId("beyond-context").innerText({ timeout: 60_000 });
  assert.match(warning, /^Beyond the model's context: the prompt \(\d+ tokens\) and answer \(\d+\) take \d+ positions, more than the model's context of \d+:/);
  console.log(warning);
  await shoot(page, "Try it", "try-it-beyond-context.png");
  await system.fill(before);
});

test("try it, constrained: even random weights answer in the catalogue's shape", async () => {
  const { page } = session;
  const tryIt = panel(page, "Try it");
  // Still the router style and the fixture's random weights: free, they
  // write noise; constrained to the catalogue, only a router object.
  const constrain = tryIt.getByLabel("Constrain answers to the catalogue");
  await constrain.check();
  await tryIt.getByLabel("Max new tokens").fill("48");
  await tryIt.getByLabel("Max new tokens").blur();
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  // The answer before (free, 16 tokens) is noise: wait for the new one.
  let raw = "";
  for (const start = Date.now(); Date.now() - start < 60_000; await page.waitForTimeout(200)) {
    raw = await tryIt.getByTestId("raw-output").innerText();
    if (/^\s*\{\s*"tool"\s*:\s*"/.test(raw)) break;
  }
  assert.match(raw, /^\s*\{\s*"tool"\s*:\s*"/);
  // Valid, or cut off by the token budget; never broken.
  assert.match(await tryIt.getByTestId("verdict").innerText(), /^(valid|invalid: not valid JSON: EOF while parsing)/);
  // The setting is the workspace's: the Train panel's box shows it too.
  assert.equal(await panel(page, "Train").getByLabel("Constrain answers to the catalogue").isChecked(), true);
  await shoot(page, "Try it", "try-it-constrained.png");
  await constrain.uncheck();
});

test("the mask view marks the trained tokens of a row", async () => {
  const { page } = session;
  const mask = panel(page, "Mask");
  // A model is loaded: the hint asks for a row, not for a model.
  await mask.getByText("Choose a row and show its tokens.", { exact: true }).waitFor();
  await mask.getByLabel("Row").fill("1");
  await mask.getByRole("button", { name: "Show tokens" }).click();
  const summary = await mask.getByTestId("mask-summary").innerText({ timeout: 30_000 });
  const [, total, trained] = summary.match(/^(\d+) tokens, (\d+) trained/).map(Number);
  assert.ok(trained > 0 && trained < total, summary);
  const marked = await mask.locator(".tok.trained").allInnerTexts();
  assert.match(marked.join(""), /track_order/);
  await shoot(page, "Mask", "mask.png");
});

test("a folder from a URL is fetched, cached and loaded", async () => {
  const { page } = session;
  // Served by the test itself: the fixture under a made-up address.
  await page.route("**/models/fixture/*", async (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    try {
      await route.fulfill({ body: await readFile(join(fixtureModel, name)) });
    } catch {
      await route.fulfill({ status: 404, body: "" });
    }
  });
  const model = panel(page, "Model");
  await model.getByLabel("Model folder URL").fill(new URL("models/fixture/", page.url()).href);
  await model.getByRole("button", { name: "Load from URL" }).click();
  await model.getByText(/^Ready: .*models\/fixture\//).waitFor({ timeout: 60_000 });
  const cached = await page.evaluate(async () => {
    const cache = await caches.open("tooltune-models-v1");
    return (await cache.keys()).map((r) => r.url).filter((u) => u.includes("/models/fixture/"))
      .map((u) => u.split("/").pop()).sort();
  });
  assert.deepEqual(cached, ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
  assert.deepEqual(unexpected(session.errors), []);
});

test("a GGUF file loads on its own (the tiny fixture; SmolLM2 Q4_1 when fetched) and answers", async (t) => {
  const { page } = session;
  const model = panel(page, "Model");
  const tiny = join(root, "tests", "fixtures", "gguf", "tiny-llama", "model.gguf");
  const smollm2 = join(process.env.TOOLTUNE_CACHE ?? join(homedir(), ".cache", "tooltune"), "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf");
  await model.getByLabel(/Model files/).setInputFiles([tiny]);
  assert.match(await model.getByTestId("picked-summary").innerText(), /^GGUF file model\.gguf, /);
  await model.getByRole("button", { name: "Load picked files" }).click();
  await model.getByText(/^Ready: model\.gguf/).waitFor({ timeout: 60_000 });
  assert.match(await model.getByRole("status").innerText(), /GGUF \(model\.gguf\), dequantised/);

  // A GGUF file by URL (its query string is not part of its name), served by
  // the test itself and kept in the Cache API; a missing one is named.
  await page.route("**/models/gguf/*", async (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    if (name === "tiny.gguf") await route.fulfill({ path: tiny });
    else await route.fulfill({ status: 404, body: "" });
  });
  await model.getByLabel("Model folder URL").fill(new URL("models/gguf/tiny.gguf?v=1", page.url()).href);
  await model.getByRole("button", { name: "Load from URL" }).click();
  await model.getByText(/^Ready: tiny\.gguf/).waitFor({ timeout: 60_000 });
  const cached = await page.evaluate(async () => {
    const cache = await caches.open("tooltune-models-v1");
    return (await cache.keys()).map((r) => r.url).filter((u) => u.includes("/models/gguf/"));
  });
  assert.equal(cached.length, 1);
  assert.match(cached[0], /\/models\/gguf\/tiny\.gguf\?v=1$/);
  await model.getByLabel("Model folder URL").fill(new URL("models/gguf/missing.gguf", page.url()).href);
  await model.getByRole("button", { name: "Load from URL" }).click();
  await model.getByRole("alert").getByText(/models\/gguf\/missing\.gguf: HTTP 404/).waitFor({ timeout: 30_000 });

  if (!existsSync(smollm2)) {
    t.diagnostic("SmolLM2 not fetched (bash scripts/fetch-smollm2.sh): the real model was not loaded");
    return;
  }
  // SmolLM2 by URL, from a file server on this machine (the weights are never
  // committed; 93 MB is too big for Playwright's routing).
  const { url: smollm2Url } = await serveFile(t, smollm2, "/SmolLM2-135M-Instruct.Q4_1.gguf");
  await model.getByLabel("Model folder URL").fill(smollm2Url);
  await model.getByRole("button", { name: "Load from URL" }).click();
  await model.getByText(/^Ready: SmolLM2-135M-Instruct\.Q4_1\.gguf/).waitFor({ timeout: 120_000 });
  assert.equal(await model.getByTestId("model-params").innerText(), "134,515,008");
  const tryIt = panel(page, "Try it");
  // Tool calls in the chat template (an earlier test chose the router style): the catalogue in the prompt, and odds.
  const style = await page.getByLabel("Output style").inputValue();
  await page.getByLabel("Output style").selectOption("tool_calls");
  t.after(() => page.getByLabel("Output style").selectOption(style));
  await tryIt.getByLabel("Request", { exact: true }).fill("What is the capital of France?");
  await tryIt.getByRole("button", { name: "Ask the model" }).click();
  await tryIt.getByTestId("raw-output").waitFor({ timeout: 120_000 });
  const pageOutput = await tryIt.getByTestId("raw-output").innerText();
  assert.match(pageOutput, /Paris/);

  // The native engine, given the same GGUF file, system prompt, catalogue and
  // token budget, writes the same greedy tokens.
  const ws = await page.evaluate(() => JSON.parse(JSON.parse(localStorage.getItem("tooltune.workspace")).workspace));
  const dir = mkdtempSync(join(tmpdir(), "tooltune-smollm2-route-"));
  writeFileSync(join(dir, "tools.json"), ws.catalogue);
  const budget = await tryIt.getByLabel("Max new tokens").inputValue();
  assert.ok(existsSync(cli), `${cli} is missing: build the CLI first (cargo build --release -p tooltune-cli)`);
  // (exit 1 only says the output is not a valid call; the JSON is printed either way)
  const routed = spawnSync(cli, ["route", "--model", smollm2, "--tools", join(dir, "tools.json"),
    "--system", ws.system_prompt, "--style", ws.output_style === "router" ? "router" : "tool-calls", "--max-new-tokens", budget, "--json", "What is the capital of France?"],
  { encoding: "utf8" });
  assert.ok(routed.status === 0 || routed.status === 1, routed.stderr);
  const native = JSON.parse(routed.stdout.trim());
  const latency = await tryIt.getByTestId("latency").innerText();
  const [, promptTokens, newTokens] = latency.match(/(\d+) prompt tokens, (\d+) new tokens/);
  console.log(`SmolLM2 greedy: page ${JSON.stringify(pageOutput)} (${newTokens} tokens), native ${JSON.stringify(native.output)} (${native.new_ids.length} tokens)`);
  assert.equal(Number(promptTokens), native.prompt_tokens);
  assert.equal(Number(newTokens), native.new_ids.length);
  assert.equal(pageOutput, native.output);
  // And the same odds of each call, to two decimals.
  assert.ok(native.choices, `the example's tool-call style has odds: ${routed.stdout}`);
  const shown = await choicesShown(tryIt);
  assert.deepEqual(shown.map(([name]) => name).sort(), [...native.choices.tools.map((t) => t.tool), "no call"].sort());
  const want = new Map([...native.choices.tools.map((t) => [t.tool, t.probability]), ["no call", native.choices.no_call]]);
  for (const [name, p] of shown) assert.ok(Math.abs(p - want.get(name)) <= 0.011, `${name}: page ${p}, native ${want.get(name)}`);
  await shoot(page, "Try it", "try-it-smollm2.png");
  assert.deepEqual(unexpected(session.errors), []);
});

test("a model picked while the built-in one is still on its way stays the loaded model", async () => {
  const own = await launch();
  try {
    const { page } = own;
    // Holds the built-in model's files until the picked folder has loaded.
    let release;
    const held = new Promise((r) => { release = r; });
    let asked = 0;
    await page.route(/\/builtin\//, async (route) => { asked++; await held; await route.continue(); });
    await open(page);
    await loadFixtureModel(page);
    assert.ok(asked > 0, "the page asked for the built-in model first");
    release();
    // The built-in fetch finishes (or 404s) now; give it time to reach the worker and back.
    await page.waitForTimeout(3_000);
    const model = panel(page, "Model");
    assert.match(await model.getByTestId("model-status").innerText(), /^Ready: model files from disk /);
    assert.deepEqual(unexpected(own.errors), []);
  } finally {
    await own.browser.close();
  }
});
