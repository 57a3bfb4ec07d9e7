// The page's output checker reads pasted outputs with the same parser as the
// evaluator: every near-miss call attempt of tests/fixtures/near-miss is
// invalid (with the attempt named), every genuine prose decline is no_tool.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { launch } from "./browser.mjs";
import { open, panel, root, unexpected } from "./app.mjs";

const corpus = JSON.parse(readFileSync(join(root, "tests", "fixtures", "near-miss", "near-miss.json"), "utf8"));

let session;
before(async () => {
  session = await launch();
  await open(session.page);
});
after(async () => {
  await session?.browser.close();
});

async function check(page, text) {
  const box = panel(page, "Try it").getByLabel("Model output to check");
  await box.fill(text);
  return page.getByTestId("checker-verdict").innerText();
}

test("near-miss call attempts are invalid, prose declines are no_tool (tool-call style)", async () => {
  const { page } = session;
  await panel(page, "Try it").getByText("Check an output").click();
  assert.ok(corpus.attempts.length >= 25 && corpus.declines.length >= 10);
  for (const attempt of corpus.attempts) {
    assert.match(await check(page, attempt), /^invalid: /, JSON.stringify(attempt));
  }
  for (const decline of corpus.declines) {
    assert.match(await check(page, decline), /^no_tool: /, JSON.stringify(decline));
  }
  // A real call of a catalogue tool is valid; an unknown tool is not.
  const call = '<tool_call>\n{"name": "track_order", "arguments": {"order_id": "ORD-1"}}\n</tool_call>';
  assert.equal(await check(page, call), 'valid call: track_order({"order_id":"ORD-1"})');
  assert.match(await check(page, call.replace("track_order", "cancel_order")), /^invalid: .*cancel_order/);
  assert.deepEqual(unexpected(session.errors), []);
});

test("in router style only one router object is an answer", async () => {
  const { page } = session;
  await page.getByLabel("Output style").selectOption("router");
  assert.equal(await check(page, '{"tool": "no_tool", "reason": "chit-chat"}'), "no_tool: chit-chat");
  assert.match(await check(page, "Sorry, I can't help with that."), /^invalid: /);
  assert.match(await check(page, '{"tool": "track_order", "arguments": {"order_id": 1}}'), /^invalid: /);
  await page.getByLabel("Output style").selectOption("tool_calls");
});
