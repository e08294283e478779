/**
 * Headless chromium for the dashboard tests: Debian's /usr/bin/chromium
 * (test/e2e/install-chromium.sh) driven by playwright-core over CDP (no browser download), in a
 * throw-away profile; and PNG statistics (size, distinct colours) decoded by the browser itself,
 * to check that chart screenshots are real images.
 */
import assert from "node:assert/strict";
import { existsSync, promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * Where Debian's chromium package installs the browser.
 *
 * @example
 * existsSync(CHROMIUM);
 */
export const CHROMIUM = "/usr/bin/chromium";
/**
 * The command that installs it (also run by `npm test`'s pretest).
 *
 * @example
 * assert.ok(existsSync(CHROMIUM), `run ${INSTALL_CHROMIUM}`);
 */
export const INSTALL_CHROMIUM = "bash test/e2e/install-chromium.sh";

/**
 * A running headless chromium: its context, first page, and `close` (browser and profile).
 *
 * @example
 * const b = await launchChromium();
 * try { await b.page.goto(url); } finally { await b.close(); }
 */
export type Chromium = { context: BrowserContext; page: Page; close(): Promise<void> };

/**
 * Launch headless chromium (1280×900, no sandbox/GPU/background traffic) in a fresh profile;
 * fails with the install command when chromium is missing.
 *
 * @example
 * const { page, close } = await launchChromium();
 */
export async function launchChromium(): Promise<Chromium> {
  assert.ok(
    existsSync(CHROMIUM),
    `chromium is not installed at ${CHROMIUM}: run \`${INSTALL_CHROMIUM}\` (apt-get install -y chromium)`,
  );
  const userDataDir = await fsp.mkdtemp(join(tmpdir(), "rpdvt-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
    });
  } catch (e) {
    await fsp.rm(userDataDir, { recursive: true, force: true });
    throw e;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await fsp.rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Distinct colours and size of a PNG, decoded by the browser in a blank page of `context`.
 *
 * @example
 * const s = await pngStats(context, await page.locator("#chart").screenshot());
 * assert.ok(s.colors >= 8);
 */
export async function pngStats(
  context: BrowserContext,
  png: Buffer,
): Promise<{ colors: number; w: number; h: number }> {
  const blank = await context.newPage();
  try {
    // Browser-side code as a string (this project's TypeScript has no DOM lib); the page is a
    // blank one, without the dashboard's CSP, which forbids string evaluation.
    return await blank.evaluate(`(async (b64) => {
      const img = new Image();
      img.src = "data:image/png;base64," + b64;
      await img.decode();
      const c = document.createElement("canvas");
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext("2d");
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return { colors: seen.size, w: c.width, h: c.height };
    })(${JSON.stringify(png.toString("base64"))})`);
  } finally {
    await blank.close();
  }
}

/**
 * Assert that a chart screenshot is a real image: > 5 kB, larger than 100×100, ≥ 8 colours.
 *
 * @example
 * await assertNonEmptyChart(context, "cluster", await page.locator("#cluster-charts").screenshot());
 */
export async function assertNonEmptyChart(
  context: BrowserContext,
  name: string,
  png: Buffer,
): Promise<{ colors: number; w: number; h: number }> {
  assert.ok(png.length > 5_000, `${name} chart PNG is ${png.length} bytes`);
  const s = await pngStats(context, png);
  assert.ok(s.w > 100 && s.h > 100, `${name} chart ${s.w}×${s.h}`);
  assert.ok(s.colors >= 8, `${name} chart has only ${s.colors} colours`);
  return s;
}
