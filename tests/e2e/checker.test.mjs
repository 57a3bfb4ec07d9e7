// The page checks a catalogue and a model output as the user types, and keeps
// what was typed whatever its problems.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./browser.mjs";

const url = process.env.URL ?? "http://127.0.0.1:8080/";
let session;

before(async () => {
  session = await launch();
  await session.page.goto(url);
  await session.page.getByTestId("catalogue-status").waitFor();
});

after(async () => {
  await session?.browser.close();
});

test("the example catalogue is valid and the example output is a valid call", async () => {
  const { page } = session;
  assert.match(await page.getByTestId("catalogue-status").innerText(), /^3 tool\(s\), all valid: track_order, request_refund, escalate$/);
  assert.match(await page.getByTestId("output-verdict").innerText(), /^valid call: track_order\(\{"order_id":"ORD-1234"\}\)$/);
});

test("a call that breaks the schema is invalid, with the reason", async () => {
  const { page } = session;
  await page.getByTestId("output-input").fill('{"tool": "request_refund", "arguments": {"order_id": "ORD-1"}}');
  assert.match(await page.getByTestId("output-verdict").innerText(), /^invalid: arguments of `request_refund` fail its schema: .*"reason" is a required property/);
  await page.getByTestId("output-input").fill("<tool_call>{\"name\": \"escalate\", \"arguments\": {\"reason\": \"angry\"}}</tool_call>");
  assert.match(await page.getByTestId("output-verdict").innerText(), /^valid call: escalate/);
  await page.getByTestId("output-input").fill("Sorry, I can only help with orders.");
  assert.match(await page.getByTestId("output-verdict").innerText(), /^no_tool: Sorry/);
});

test("a broken catalogue shows every problem and keeps the text", async () => {
  const { page } = session;
  const broken = '[{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}, "required": ["x"]}}}, {"name": "f"}]';
  await page.getByTestId("catalogue-input").fill(broken);
  const status = await page.getByTestId("catalogue-status").innerText();
  assert.match(status, /tool `f` at \[0\]\.function\.parameters\.required\[0\]: required "x" is not in properties/);
  assert.match(status, /tool `f` at \[1\]\.name: duplicate tool name/);
  assert.equal(await page.getByTestId("catalogue-input").inputValue(), broken);
  assert.match(await page.getByTestId("output-verdict").innerText(), /fix the catalogue first/);
  assert.deepEqual(session.errors, []);
});
