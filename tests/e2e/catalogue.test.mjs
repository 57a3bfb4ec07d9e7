// The catalogue editor: checked as typed, the JSON path of each problem
// shown, the text kept, the last valid catalogue kept in use; the tool
// list adds, renames and removes tools.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./browser.mjs";
import { open, panel, shoot, unexpected } from "./app.mjs";

let session;
before(async () => {
  session = await launch();
  await open(session.page);
});
after(async () => {
  await session?.browser.close();
});

test("the example catalogue is valid", async () => {
  const { page } = session;
  assert.match(await page.getByTestId("catalogue-status").innerText(),
    /^3 tool\(s\), all valid: track_order, request_refund, escalate$/);
  await shoot(page, "Tool catalogue", "catalogue.png");
});

test("a broken catalogue shows the path, keeps the text and the last valid catalogue", async () => {
  const { page } = session;
  const editor = page.getByLabel("Catalogue JSON");
  const broken = '[{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}, "required": ["x"]}}}, {"name": "f"}]';
  await editor.fill(broken);
  const status = await page.getByTestId("catalogue-status").innerText();
  assert.match(status, /tool `f` at \[0\]\.function\.parameters\.required\[0\]: required "x" is not in properties/);
  assert.match(status, /tool `f` at \[1\]\.name: duplicate tool name/);
  assert.equal(await editor.inputValue(), broken);
  assert.match(await page.getByTestId("catalogue-kept").innerText(), /Still in use: the last valid catalogue \(3 tool\(s\)\)/);
  // Not JSON at all: the tool list says so, the text stays.
  await editor.fill('[{"name": ');
  assert.match(await page.getByTestId("catalogue-status").innerText(), /invalid JSON/);
  await page.getByTestId("tool-list-blocked").waitFor();
  await shoot(page, "Tool catalogue", "catalogue-broken.png");
});

test("fixed, then a tool added, renamed and removed from the list", async () => {
  const { page } = session;
  const editor = page.getByLabel("Catalogue JSON");
  await editor.fill('[{"type": "function", "function": {"name": "track_order", "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]');
  assert.match(await page.getByTestId("catalogue-status").innerText(), /^1 tool\(s\), all valid: track_order$/);
  await page.getByRole("button", { name: "Add tool" }).click();
  assert.match(await page.getByTestId("catalogue-status").innerText(), /^2 tool\(s\), all valid: track_order, new_tool_1$/);
  const name = page.getByLabel("Name of tool 2");
  await name.fill("cancel_order");
  await name.press("Enter");
  await name.blur();
  assert.match(await page.getByTestId("catalogue-status").innerText(), /track_order, cancel_order$/);
  assert.match(await editor.inputValue(), /"name": "cancel_order"/);
  await page.getByRole("button", { name: "Remove tool track_order" }).click();
  assert.match(await page.getByTestId("catalogue-status").innerText(), /^1 tool\(s\), all valid: cancel_order$/);
  assert.deepEqual(unexpected(session.errors), []);
});
