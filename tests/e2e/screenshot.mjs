// Takes docs/screenshot.png of the app served on $URL (default http://127.0.0.1:8080/).
import { launch } from "./browser.mjs";

const url = process.env.URL ?? "http://127.0.0.1:8080/";
const out = process.argv[2] ?? "../../docs/screenshot.png";
const { browser, page, errors } = await launch();
await page.goto(url);
await page.getByTestId("catalogue-status").first().waitFor();
await page.screenshot({ path: out, fullPage: true });
await browser.close();
if (errors.length) {
  console.error(errors.join("\n"));
  process.exit(1);
}
console.log(`wrote ${out}`);
