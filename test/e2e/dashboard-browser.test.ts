/**
 * The dashboard in a real headless browser (./browser.ts: Debian's chromium driven by
 * playwright-core) over a fake status source; ./dashboard-squad.test.ts runs the page against a
 * real squad on the devnet. The fake's operator goes down and up while the page is open: the
 * operator row must follow live (Server-Sent Events), version, RTT and the validators' beacon
 * state must show, the duty table must fill, the planner must compute, and the chart screenshots
 * must be real images (size and colour count measured by decoding the PNGs in a blank page).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startDashboardServer } from "../../src/dashboard/handler.js";
import { createFakeSource } from "../support/dashboard-fake-source.js";
import { assertNonEmptyChart, type Chromium, launchChromium } from "./browser.js";

const WAIT = { timeout: 10_000 };

test("dashboard in headless chromium: live operator state, duties, planner, charts", {
  timeout: 60_000,
}, async () => {
  const fake = createFakeSource({ operators: 4, validators: 3 });
  const srv = await startDashboardServer({ source: fake, intervalMs: 250 });
  let browser: Chromium | undefined;
  try {
    browser = await launchChromium();
    const { context, page } = browser;
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
    assert.equal(await page.textContent("#op-3 .version"), "0.1.0");
    assert.equal(await page.textContent("#op-3 .rtt"), "0.8 ms");
    assert.equal(await page.textContent("#op-1 .rtt"), "this node");

    // Validators: beacon status and balance.
    assert.deepEqual(
      await page.$$eval("#validators tr.validator .status", (tds) => tds.map((t) => t.textContent)),
      ["active_ongoing", "active_ongoing", "active_ongoing"],
    );
    assert.equal(await page.textContent("#validators tr.validator .balance"), "32.0000 ETH");

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

    await assertNonEmptyChart(context, "cluster", clusterPng);
    await assertNonEmptyChart(context, "planner", planPng);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(foreign, []);
  } finally {
    await browser?.close();
    await srv.close();
  }
});
