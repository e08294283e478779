/**
 * The dashboard in a real headless browser: Debian's chromium (test/e2e/install-chromium.sh)
 * driven by playwright-core over CDP (no browser download). A fake status source's operator goes
 * down and up while the page is open: the operator row must follow live (Server-Sent Events), the
 * duty table must fill, the planner must compute, and the chart screenshots must be real images
 * (size and colour count measured by decoding the PNGs in a blank page).
 */
import assert from "node:assert/strict";
import { existsSync, promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createFakeSource } from "../../src/dashboard/fake-source.js";
import { startDashboardServer } from "../../src/dashboard/handler.js";

const CHROMIUM = "/usr/bin/chromium";
const INSTALL = "bash test/e2e/install-chromium.sh";
const WAIT = { timeout: 10_000 };

/** Distinct colours and size of a PNG, decoded by the browser in a blank page. */
async function pngStats(
  page: Page,
  png: Buffer,
): Promise<{ colors: number; w: number; h: number }> {
  // Browser-side code as a string (this project's TypeScript has no DOM lib); the page is a
  // blank one, without the dashboard's CSP, which forbids string evaluation.
  return page.evaluate(`(async (b64) => {
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
}

test("dashboard in headless chromium: live operator state, duties, planner, charts", {
  timeout: 60_000,
}, async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `chromium is not installed at ${CHROMIUM}: run \`${INSTALL}\` (apt-get install -y chromium)`,
  );
  const fake = createFakeSource({ operators: 4, validators: 3 });
  const srv = await startDashboardServer({ source: fake, intervalMs: 250 });
  const userDataDir = await fsp.mkdtemp(join(tmpdir(), "rpdvt-dashboard-chromium-"));
  let context: BrowserContext | undefined;
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
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(srv.url)) foreign.push(r.url());
    });

    await page.goto(srv.url);
    await page.waitForSelector("#conn.live", WAIT);
    await page.waitForSelector('#op-3[data-online="true"]', WAIT);

    // Operator 3 goes down, then comes back: the row follows without a reload.
    fake.setOnline(3, false);
    await page.waitForSelector('#op-3[data-online="false"]', WAIT);
    assert.equal((await page.textContent("#op-3 .state"))?.trim(), "offline");
    fake.setOnline(3, true);
    await page.waitForSelector('#op-3[data-online="true"]', WAIT);
    assert.equal((await page.textContent("#op-3 .state"))?.trim(), "online");

    // Duties arrive slot by slot and fill the table (3 validators per slot).
    for (let slot = 200; slot < 208; slot++) fake.addSlot(slot);
    await page.locator("#duties tr.duty").nth(23).waitFor(WAIT);
    assert.equal((await page.textContent("#duties tr.duty td"))?.trim(), "207");
    const reasons = await page.$$eval('#duties tr.duty[data-outcome="failed"] td.reason', (tds) =>
      tds.map((t) => t.textContent ?? ""),
    );
    assert.ok(reasons.length > 0 && reasons.every((r) => r.length > 0), reasons.join(","));
    assert.ok((await page.$$eval("#latency-chart rect.bar", (r) => r.length)) >= 24);
    const clusterPng = await page.locator("#cluster-charts").screenshot();

    // Planner: per-operator availability inputs follow n; Compute fills results and charts.
    await page.click("#tab-planner");
    await page.fill('input[name="n"]', "5");
    await page.dispatchEvent('input[name="n"]', "input");
    assert.equal(await page.locator("#avail-inputs input").count(), 5);
    await page.locator("#avail-inputs input").nth(0).fill("0.9");
    await page.fill('input[name="threshold"]', "4");
    await page.fill('input[name="group"]', "8");
    await page.click("#plan-submit");
    await page.waitForSelector("#plan-result td.value", WAIT);
    const resultText = (await page.textContent("#plan-result")) ?? "";
    assert.match(resultText, /4 of 5 operators/);
    assert.equal(await page.locator("#plan-charts svg").count(), 2);
    assert.ok((await page.locator("#plan-charts svg rect").count()) > 5);
    const planPng = await page.locator("#plan-charts").screenshot();

    // A bad input shows the server's error, naming the field.
    await page.fill('input[name="threshold"]', "9");
    await page.click("#plan-submit");
    await page.locator("#plan-error", { hasText: /threshold/ }).waitFor(WAIT);

    const blank = await context.newPage();
    for (const [name, png] of [
      ["cluster", clusterPng],
      ["planner", planPng],
    ] as const) {
      assert.ok(png.length > 5_000, `${name} chart PNG is ${png.length} bytes`);
      const s = await pngStats(blank, png);
      assert.ok(s.w > 100 && s.h > 100, `${name} chart ${s.w}×${s.h}`);
      assert.ok(s.colors >= 8, `${name} chart has only ${s.colors} colours`);
    }
    await blank.close();
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(foreign, []);
  } finally {
    await context?.close();
    await srv.close();
    await fsp.rm(userDataDir, { recursive: true, force: true });
  }
});
