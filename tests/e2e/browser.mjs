// Launches Debian's Chromium headless with the flags measured to work here
// (shared TOOLCHAIN.md): our own flags only, WebGPU on, no background networking.
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function launch() {
  const userDataDir = mkdtempSync(join(tmpdir(), "tooltune-chromium-"));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    ignoreDefaultArgs: true,
    args: [
      "--headless=new", "--no-sandbox", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--enable-unsafe-webgpu", `--user-data-dir=${userDataDir}`, "--remote-debugging-pipe",
      // CHROMIUM_ARGS: extra flags for a measurement, e.g. "--js-flags=--prof".
      ...(process.env.CHROMIUM_ARGS ?? "").split(" ").filter(Boolean),
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  return { browser, page, errors };
}
