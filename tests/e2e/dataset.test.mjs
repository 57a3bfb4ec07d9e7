// The dataset table: the example's rows linted with the catalogue, a
// JSONL import with its skipped lines, lint findings beside their rows,
// the no-tool share against its band, add / edit / delete, export.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { launch } from "./browser.mjs";
import { artifacts, open, panel, shoot, unexpected } from "./app.mjs";
import { join } from "node:path";

let session;
before(async () => {
  session = await launch();
  await open(session.page);
});
after(async () => {
  await session?.browser.close();
});

const sys = { role: "system", content: "Route support requests." };
const line = (user, assistant) => JSON.stringify({ messages: [sys, { role: "user", content: user }, assistant] });
const call = (name, args) => ({ role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name, arguments: JSON.stringify(args) } }] });

test("the example rows lint clean and their no-tool share is in the band", async () => {
  const { page } = session;
  const table = page.getByRole("table", { name: "Dataset rows" });
  assert.equal(await table.getByRole("row").count(), 41); // header + 40
  assert.match(await page.getByTestId("no-tool-share").innerText(), /^No-tool share 1[23] % \(5 of 40 rows\), inside the 10–20 % band\. Lint: 0 error\(s\)/);
  // Row 5 is a conversation: two calls at once, their results, the final answer.
  const conversation = JSON.parse(await page.getByLabel("Gold answer of row 5", { exact: true }).inputValue());
  assert.equal(conversation[0].tool_calls.length, 2);
  assert.deepEqual(conversation.map((m) => m.role), ["assistant", "tool", "tool", "assistant"]);
  assert.equal(await page.getByTestId("lint-5").innerText(), "ok");
  await shoot(page, "Dataset", "dataset.png");
});

test("an imported JSONL replaces the rows; findings appear beside the rows they concern", async () => {
  const { page } = session;
  const lines = [
    line("Where is ORD-1?", call("track_order", { order_id: "ORD-1" })),
    line("Refund ORD-2, it came broken", call("request_refund", { order_id: "ORD-2", reason: "smashed" })),
    line("Book me a flight", call("book_flight", { to: "Oslo" })),
    line("Hello!", { role: "assistant", content: "Hi, how can I help?" }),
    "this line is not JSON",
  ].join("\n");
  await page.getByLabel("Import JSONL").setInputFiles({ name: "mine.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(lines) });
  await page.getByTestId("notice").getByText(/Imported 4 row\(s\) from mine\.jsonl; 1 line\(s\) skipped \(first: mine\.jsonl:5: invalid JSON/).waitFor();
  assert.equal(await page.getByRole("table", { name: "Dataset rows" }).getByRole("row").count(), 5);
  assert.equal(await page.getByLabel("Request of row 2", { exact: true }).inputValue(), "Refund ORD-2, it came broken");
  assert.equal(await page.getByLabel("System prompt").inputValue(), "Route support requests.");
  assert.equal(await page.getByTestId("lint-1").innerText(), "ok");
  assert.match(await page.getByTestId("lint-2").innerText(), /^arguments_schema: .*smashed/);
  assert.match(await page.getByTestId("lint-3").innerText(), /^unknown_tool: .*book_flight/);
  assert.match(await page.getByTestId("no-tool-share").innerText(), /^No-tool share 25 % \(1 of 4 rows\), outside the 10–20 % band/);
  await shoot(page, "Dataset", "dataset-imported.png");
});

test("a file of no known format is refused with the reason, and the rows stay", async () => {
  const { page } = session;
  const rows = page.getByRole("table", { name: "Dataset rows" }).getByRole("row");
  const before = await rows.count();
  await page.getByLabel("Import JSONL").setInputFiles({ name: "other.jsonl", mimeType: "application/jsonl", buffer: Buffer.from('{"input": "hi", "output": "hello"}\n') });
  await page.getByTestId("notice").getByText(/other\.jsonl:1: \$: cannot tell the dataset's format from its first line \(keys `input`, `output`\)/).waitFor();
  assert.equal(await rows.count(), before);
  await page.getByTestId("notice").screenshot({ path: join(artifacts, "dataset-unknown-format.png") });
});

test("rows are edited, added and deleted; the lint follows", async () => {
  const { page } = session;
  const gold = page.getByLabel("Gold answer of row 2", { exact: true });
  await gold.fill('{"tool": "request_refund", "arguments": {"order_id": "ORD-2", "reason": "damaged"}}');
  await gold.press("Enter");
  await gold.blur();
  assert.equal(await page.getByTestId("lint-2").innerText(), "ok");
  await page.getByRole("button", { name: "Add row" }).click();
  assert.match(await page.getByTestId("lint-5").innerText(), /empty_request/);
  const request = page.getByLabel("Request of row 5", { exact: true });
  await request.fill("Thanks, bye");
  await request.press("Enter");
  await request.blur();
  await page.getByLabel("Gold answer of row 5", { exact: true }).fill('{"tool": "no_tool", "reason": "goodbye"}');
  await page.getByLabel("Gold answer of row 5", { exact: true }).blur();
  assert.equal(await page.getByTestId("lint-5").innerText(), "ok");
  await page.getByRole("button", { name: "Delete row 3" }).click();
  assert.equal(await page.getByRole("table", { name: "Dataset rows" }).getByRole("row").count(), 5);
  assert.equal(await page.getByLabel("Request of row 3", { exact: true }).inputValue(), "Hello!");
});

test("the table exports as OpenAI chat JSONL", async () => {
  const { page } = session;
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export OpenAI JSONL" }).click(),
  ]);
  const text = await readFile(await download.path(), "utf8");
  const rows = text.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 4);
  assert.equal(rows[0].messages[2].tool_calls[0].function.name, "track_order");
  assert.equal(rows[0].tools.length, 3);
  assert.equal(rows[2].messages[2].content, "Hi, how can I help?");
  assert.deepEqual(unexpected(session.errors), []);
});

test("rows generated from a template land at the end, linted", async () => {
  const { page } = session;
  const dataset = panel(page, "Dataset");
  await dataset.getByText("Generate rows from a template").click();
  await dataset.getByLabel("Tool", { exact: true }).selectOption("request_refund");
  await dataset.getByLabel("Request template").fill("Refund {order_id}: it was {reason}");
  await dataset.getByLabel(/^Slot values/).fill("order_id = ORD-5 | ORD-6\nreason = late | lost");
  await dataset.getByRole("button", { name: "Add generated rows" }).click();
  assert.match(await dataset.getByTestId("generator-message").innerText(), /^Added 4 row\(s\)/);
  assert.equal(await page.getByLabel("Request of row 5", { exact: true }).inputValue(), "Refund ORD-5: it was late");
  assert.equal(await page.getByTestId("lint-5").innerText(), "ok");
  assert.match(await page.getByTestId("lint-6").innerText(), /^arguments_schema: .*lost/);
  await dataset.getByLabel("Request template").fill("Refund {order}");
  await dataset.getByRole("button", { name: "Add generated rows" }).click();
  assert.match(await dataset.getByTestId("generator-message").innerText(), /`\{order\}` has no values/);
  await shoot(page, "Dataset", "dataset-generated.png");
});

test("an example dataset loads in one click; Undo brings the previous work back", async () => {
  const { page } = session;
  const dataset = panel(page, "Dataset");
  const before = await page.getByLabel("Request of row 1", { exact: true }).inputValue();
  await dataset.getByLabel("Example dataset").selectOption("vet");
  await dataset.getByRole("button", { name: "Load example" }).click();
  await page.getByTestId("notice").getByText("Loaded the vet example: its catalogue, 200 training rows and 60 test rows (held out for evaluation).").waitFor();
  assert.match(await page.getByTestId("catalogue-status").innerText(), /book_checkup/);
  assert.match(await page.getByTestId("no-tool-share").innerText(), /of 260 rows\), inside the 10–20 % band\. Lint: 0 error\(s\)/);
  // The example's test.jsonl rows come in marked: the Train panel holds out
  // exactly them, as `tooltune eval --data datasets/vet/test.jsonl` scores them.
  assert.match(await dataset.getByTestId("test-rows").innerText(), /^60 of 260 rows are test rows/);
  assert.equal(await page.getByLabel("Row 200 is a test row", { exact: true }).isChecked(), false);
  assert.equal(await page.getByLabel("Row 201 is a test row", { exact: true }).isChecked(), true);
  assert.equal(await page.getByLabel("Held-out fraction").isDisabled(), true);
  await page.getByLabel("Row 201 is a test row", { exact: true }).scrollIntoViewIfNeeded();
  await shoot(page, "Dataset", "dataset-test-rows.png");
  await page.getByLabel("Row 201 is a test row", { exact: true }).uncheck();
  assert.match(await dataset.getByTestId("test-rows").innerText(), /^59 of 260 rows/);
  await dataset.getByRole("button", { name: "Unmark all" }).click();
  await dataset.getByTestId("test-rows").waitFor({ state: "detached" });
  assert.equal(await page.getByLabel("Held-out fraction").isDisabled(), false);
  await page.getByTestId("notice").getByRole("button", { name: "Undo" }).click();
  assert.equal(await page.getByLabel("Request of row 1", { exact: true }).inputValue(), before);
  assert.doesNotMatch(await page.getByTestId("catalogue-status").innerText(), /book_checkup/);
});

test("a test file imports as test rows appended to the dataset, marked", async () => {
  const { page } = session;
  const table = page.getByRole("table", { name: "Dataset rows" });
  const n0 = (await table.getByRole("row").count()) - 1;
  const lines = [
    line("Where is ORD-77?", call("track_order", { order_id: "ORD-77" })),
    line("Good morning", { role: "assistant", content: "Morning! How can I help?" }),
  ].join("\n");
  await page.getByLabel("Import test JSONL").setInputFiles({ name: "held.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(lines) });
  await page.getByTestId("notice").getByText("Imported 2 row(s) from held.jsonl as test rows; 0 line(s) skipped.").waitFor();
  assert.equal(await table.getByRole("row").count(), n0 + 3);
  assert.equal(await page.getByLabel(`Request of row ${n0 + 1}`, { exact: true }).inputValue(), "Where is ORD-77?");
  assert.equal(await page.getByLabel(`Row ${n0} is a test row`, { exact: true }).isChecked(), false);
  assert.equal(await page.getByLabel(`Row ${n0 + 2} is a test row`, { exact: true }).isChecked(), true);
  assert.match(await page.getByTestId("test-rows").innerText(), new RegExp(`^2 of ${n0 + 2} rows are test rows`));
});

test("a conversation (parallel calls, tool results, a final answer) is one row, kept whole", async () => {
  const { page } = session;
  const refund = { id: "r", type: "function", function: { name: "request_refund", arguments: JSON.stringify({ order_id: "ORD-7", reason: "damaged" }) } };
  const track = { id: "t", type: "function", function: { name: "track_order", arguments: JSON.stringify({ order_id: "ORD-8" }) } };
  const turns = [
    { role: "assistant", tool_calls: [refund, track] },
    { role: "tool", tool_call_id: "r", content: "{\"refund\": \"approved\"}" },
    { role: "tool", tool_call_id: "t", content: "{\"status\": \"shipped\"}" },
    { role: "assistant", content: "Your refund for ORD-7 is approved and ORD-8 has shipped." },
  ];
  const lines = [
    line("Where is ORD-1?", call("track_order", { order_id: "ORD-1" })),
    JSON.stringify({ messages: [sys, { role: "user", content: "Refund ORD-7 (broken) and track ORD-8" }, ...turns], parallel_tool_calls: true }),
  ].join("\n");
  await page.getByLabel("Import JSONL").setInputFiles({ name: "conv.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(lines) });
  await page.getByTestId("notice").getByText(/^Imported 2 row\(s\) from conv\.jsonl; 0 line\(s\) skipped\.$/).waitFor();
  const gold = page.getByLabel("Gold answer of row 2", { exact: true });
  assert.equal(await gold.evaluate((e) => e.tagName), "TEXTAREA");
  assert.deepEqual(JSON.parse(await gold.inputValue()), turns);
  assert.equal(await page.getByTestId("lint-2").innerText(), "ok");
  await shoot(page, "Dataset", "dataset-conversation.png");
  // Exported as it came; the router format, which holds one call, says which row it cannot write.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export OpenAI JSONL" }).click(),
  ]);
  const rows = (await readFile(await download.path(), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows[1].messages.slice(2), turns);
  assert.equal(rows[1].parallel_tool_calls, true);
  await page.getByRole("button", { name: "Export router JSONL" }).click();
  await page.getByTestId("notice").getByText(/^Export failed: row 2: a conversation row .* has no router form/).waitFor();
  // A broken edit is kept as typed and flagged.
  await gold.fill('[{"role": "assistant", "content": ');
  await gold.blur();
  assert.match(await page.getByTestId("lint-2").innerText(), /^bad_gold: the conversation's turns are not a JSON array of messages/);
  assert.equal(await page.getByLabel("Gold answer of row 2", { exact: true }).inputValue(), '[{"role": "assistant", "content": ');
  // A new conversation row starts from a call of the catalogue's first tool, its result and an answer.
  await page.getByRole("button", { name: "Add conversation" }).click();
  const added = JSON.parse(await page.getByLabel("Gold answer of row 3", { exact: true }).inputValue());
  assert.deepEqual(added.map((m) => m.role), ["assistant", "tool", "assistant"]);
  assert.equal(added[0].tool_calls[0].function.name, "track_order");
  assert.match(await page.getByTestId("lint-3").innerText(), /empty_request/);
  assert.deepEqual(unexpected(session.errors), []);
});
