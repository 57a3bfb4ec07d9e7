// The workspace's doors: the share link opened in a fresh browser gives the
// same workspace, hide switches and presenter mode travel with it, a reload
// restores the autosave, two tabs do not overwrite each other silently, and
// hostile links are refused with a message (no panic, no script).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch } from "./browser.mjs";
import { open, panel, root, shoot, url, unexpected } from "./app.mjs";

let session;
before(async () => {
  session = await launch();
  await open(session.page);
});
after(async () => {
  await session?.browser.close();
});

async function snapshot(page) {
  return {
    catalogue: await page.getByLabel("Catalogue JSON").inputValue(),
    system: await page.getByLabel("System prompt").inputValue(),
    rows: await page.getByRole("table", { name: "Dataset rows" }).getByRole("row").count(),
    row2: await page.getByLabel("Request of row 2", { exact: true }).inputValue(),
  };
}

test("a share link opened in a fresh browser gives the same workspace", async () => {
  const { page, browser } = session;
  // Broken catalogue text travels as typed.
  await page.getByLabel("Catalogue JSON").fill('[{"name": "half typed"');
  await page.getByLabel("System prompt").fill("You are a <b>router</b>.");
  const request = page.getByLabel("Request of row 2", { exact: true });
  await request.fill("Changed request");
  await request.blur();
  const mine = await snapshot(page);
  const link = await page.getByTestId("share-link").inputValue();
  assert.match(link, /#w=[A-Za-z0-9_-]+$/);
  await shoot(page, "Share", "share.png");

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await open(other, link);
  assert.deepEqual(await snapshot(other), mine);
  await other.getByTestId("notice").getByText(/Opened the workspace in this link/).waitFor();
  await fresh.close();
});

test("hide switches and presenter mode travel in the link", async () => {
  const { page, browser } = session;
  await page.getByLabel("Hide the mask view").check();
  await page.getByLabel("Hide the model panel").check();
  const link = await page.getByTestId("share-link").inputValue();
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await open(other, link);
  assert.equal(await panel(other, "Mask").count(), 0);
  assert.equal(await panel(other, "Model").count(), 0);
  assert.equal(await panel(other, "Try it").count(), 1);
  await fresh.close();
  await page.getByLabel("Hide the mask view").uncheck();
  await page.getByLabel("Hide the model panel").uncheck();

  await page.getByLabel("Presenter mode").check();
  assert.equal(await panel(page, "Share").isVisible(), false);
  assert.equal(await page.getByRole("button", { name: "Add row" }).isVisible(), false);
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  // Arrows and space move between panels.
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.panel), "try");
  await page.keyboard.press("Space");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.panel), "catalogue");
  await page.keyboard.press("ArrowLeft");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.panel), "try");
  await page.screenshot({ path: `${(await import("./app.mjs")).artifacts}/presenter.png` });
  await page.keyboard.press("Escape");
  assert.equal(await panel(page, "Share").isVisible(), true);
});

test("the Share panel's CLI command unpacks the page's workspace natively", async () => {
  const { browser } = session;
  const fresh = await browser.newContext();
  const page = await fresh.newPage();
  await open(page);
  const link = await page.getByTestId("share-link").inputValue();
  await panel(page, "Share").getByText("Run it with the CLI").click();
  await page.getByTestId("share-cli").waitFor();
  await shoot(page, "Share", "share-cli.png");
  const shown = await page.getByTestId("share-cli").innerText();
  assert.equal(shown, `tooltune workspace '${link}' --out-dir demo`);
  const catalogue = await page.getByLabel("Catalogue JSON").inputValue();
  // The header row and the example's rows.
  const rows = (await page.getByRole("table", { name: "Dataset rows" }).getByRole("row").count()) - 1;
  await fresh.close();
  // The CLI the native tests built, as train.test.mjs and model.test.mjs find it.
  const cli = join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "release", "tooltune");
  assert.ok(existsSync(cli), `${cli} is missing: build the CLI first (cargo build --release -p tooltune-cli)`);
  const out = mkdtempSync(join(tmpdir(), "tooltune-share-"));
  const report = JSON.parse(execFileSync(cli, ["workspace", link, "--out-dir", out, "--json"], { encoding: "utf8" }));
  assert.equal(readFileSync(join(out, "tools.json"), "utf8"), catalogue);
  assert.equal(report.rows.train + report.rows.test + report.skipped.length, rows);
  assert.ok(report.rows.test > 0);
  assert.deepEqual(report.command.slice(0, 4), ["tooltune", "train", "--model", "builtin"]);
  const train = readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n");
  assert.equal(train.length, report.rows.train);
  assert.ok(train.every((l) => Array.isArray(JSON.parse(l).tools)));
});

test("a workspace too big for a link says so and exports as a file", async () => {
  const { page } = session;
  const prompt = page.getByLabel("System prompt");
  const before = await prompt.inputValue();
  // Incompressible text: DEFLATE cannot bring it under the link limit.
  const { randomBytes } = await import("node:crypto");
  await prompt.fill(randomBytes(15_000).toString("base64"));
  await panel(page, "Share").getByRole("alert").getByText(/^the share link is \d+ bytes, over the limit of 16000; export the workspace as a file instead$/).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export workspace file" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "workspace.tooltune.json");
  const saved = JSON.parse(await (await import("node:fs/promises")).readFile(await download.path(), "utf8"));
  assert.equal(saved.version, 1);
  assert.equal(saved.system_prompt.length, 20_000);
  // The file opens again; a damaged one is refused with a message naming it, and changes nothing.
  await prompt.fill(before);
  const importFile = panel(page, "Share").getByLabel("Import workspace file");
  await importFile.setInputFiles({ name: "big.tooltune.json", mimeType: "application/json", buffer: readFileSync(await download.path()) });
  await page.getByText("Opened big.tooltune.json.", { exact: true }).waitFor();
  assert.equal((await prompt.inputValue()).length, 20_000);
  await importFile.setInputFiles({ name: "broken.tooltune.json", mimeType: "application/json", buffer: Buffer.from('{"version": 1,') });
  await page.getByText(/^broken\.tooltune\.json was not opened: /).waitFor();
  assert.equal((await prompt.inputValue()).length, 20_000, "a refused file changes nothing");
  await prompt.fill(before);
  await page.getByTestId("share-link").waitFor();
});

test("a reload restores the autosaved workspace", async () => {
  const { page } = session;
  const before = await snapshot(page);
  await page.goto(url); // no fragment: from storage
  await page.getByTestId("catalogue-status").waitFor();
  assert.deepEqual(await snapshot(page), before);
});

test("two tabs do not overwrite each other silently", async () => {
  const { browser } = session;
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, url);
  await page.getByLabel("System prompt").fill("First tab, before");
  await page.getByTestId("autosave").getByText("Saved in this browser").waitFor();
  const second = await context.newPage();
  await open(second, url);
  assert.equal(await second.getByLabel("System prompt").inputValue(), "First tab, before");
  await second.getByLabel("System prompt").fill("Second tab's prompt");
  await second.getByTestId("autosave").getByText("Saved in this browser").waitFor();
  // The first tab hears of it and stops saving until told which to keep.
  await page.getByTestId("autosave").getByText(/Another tab changed the saved workspace/).waitFor();
  await page.getByLabel("System prompt").fill("First tab's prompt");
  await page.getByTestId("autosave").getByText(/Not saved: another tab changed/).waitFor();
  await page.getByRole("button", { name: "Load the other tab's workspace" }).click();
  assert.equal(await page.getByLabel("System prompt").inputValue(), "Second tab's prompt");
  await context.close();
});

test("hostile and damaged links are refused with a message", async () => {
  const { browser } = session;
  const fresh = await browser.newContext();
  const page = await fresh.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  let dialogs = 0;
  page.on("dialog", async (d) => { dialogs += 1; await d.dismiss(); });
  const cases = [
    ["#w=not*base64", /This link was refused: the share link is damaged: not base64url at character 3/],
    ["#w=AAAA", /This link was refused: the share link is damaged: its data does not decompress/],
    // {"version": 99} deflated: a newer version.
    ["#w=" + Buffer.from(await deflate('{"version": 99}')).toString("base64url"), /version 99.*newer tooltune/],
    ["#w=" + "A".repeat(70_000), /over the limit/],
  ];
  for (const [fragment, message] of cases) {
    await open(page, url + fragment);
    await page.getByRole("alert").getByText(message).waitFor();
    await page.goto("about:blank");
  }
  // Script in a field stays text.
  const evil = Buffer.from(await deflate(JSON.stringify({
    version: 1, system_prompt: '<img src=x onerror="alert(1)"><script>alert(2)</script>',
    dataset: [{ request: "<img src=x onerror=alert(3)>", gold: '{"tool":"no_tool","reason":"x"}' }],
  }))).toString("base64url");
  await open(page, url + "#w=" + evil);
  assert.equal(await page.getByLabel("System prompt").inputValue(), '<img src=x onerror="alert(1)"><script>alert(2)</script>');
  assert.equal(await page.locator("main img").count(), 0);
  assert.equal(dialogs, 0);
  assert.deepEqual(errors, []);
  await fresh.close();
  assert.deepEqual(unexpected(session.errors), []);
});

/** Raw DEFLATE, as the page's links hold it. */
async function deflate(text) {
  const { deflateRawSync } = await import("node:zlib");
  return deflateRawSync(Buffer.from(text));
}
