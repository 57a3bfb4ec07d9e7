// Takes docs/screenshot.png of the app served on $URL (default
// http://127.0.0.1:8080/): the example workspace with the built-in model
// (or, when the build does not bundle it, the fixture model loaded from
// files), row 1's mask shown and Try it's answer to its default request.
import { launch } from "./browser.mjs";
import { url, panel, loadFixtureModel, unexpected } from "./app.mjs";

const out = process.argv[2] ?? "../../docs/screenshot.png";
const { browser, page, errors } = await launch();
await page.setViewportSize({ width: 1400, height: 900 });
await page.goto(url);
await page.getByTestId("catalogue-status").first().waitFor();
if (await page.evaluate(async () => (await fetch("./builtin/config.json")).ok)) {
  await page.getByText(/^Ready: built-in model/).waitFor({ timeout: 60_000 });
} else {
  await loadFixtureModel(page);
}
const mask = panel(page, "Mask");
await mask.getByRole("button", { name: "Show tokens" }).click();
await mask.getByTestId("mask-summary").waitFor();
const tryIt = panel(page, "Try it");
await tryIt.getByRole("button", { name: "Ask the model" }).click();
await tryIt.getByTestId("choices").waitFor({ timeout: 60_000 });
await page.screenshot({ path: out, fullPage: true });
await browser.close();
if (unexpected(errors).length) {
  console.error(unexpected(errors).join("\n"));
  process.exit(1);
}
console.log(`wrote ${out}`);
