/**
 * The dashboard of a REAL running squad, in headless chromium (./browser.ts): a Lodestar 1.5.1
 * devnet (src/devnet/start.ts) and 4 `rpdvt node run --dashboard` processes (src/devnet/squad.ts,
 * threshold 3) running interop validators 48..51 with no doppelganger wait. Operator 1's page is
 * checked from its DOM only: 4 operators online with version and RTT (src/p2p/peerinfo.ts), the
 * validators' status and balance as the beacon node reports them, real attestation duties that
 * succeed, consensus latency and rounds; then operator 3 is stopped and restarted while the page
 * stays open (no reload): its row follows live while duties keep succeeding with 3 of 4. Chart
 * screenshots must be real images, and the node's Prometheus /metrics must count the duties.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { createBeaconClient } from "../../src/beacon/index.js";
import {
  type DevnetHandle,
  ensureInstalled,
  interopPublicKey,
  interopSecretKey,
  startDevnet,
} from "../../src/devnet/index.js";
import { type Squad, startSquad } from "../../src/devnet/squad.js";
import { makeTempDir } from "../helpers.js";
import { assertNonEmptyChart, type Chromium, launchChromium } from "./browser.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const INDICES = [48, 49, 50, 51];
const hex = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `read` (a DOM query) every 250 ms until `ok` holds; fails with the last value read. */
async function until<T>(
  what: string,
  timeoutMs: number,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > deadline)
      assert.fail(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await sleep(250);
    v = await read();
  }
  return v;
}

type DutyCell = { slot: number; type: string; outcome: string; reason: string };
const duties = (page: Page): Promise<DutyCell[]> =>
  page.$$eval("#duties tr.duty", (trs) =>
    trs.map((tr) => {
      const td = tr.querySelectorAll("td");
      return {
        slot: Number(td[0]?.textContent),
        type: tr.getAttribute("data-type") ?? "",
        outcome: tr.getAttribute("data-outcome") ?? "",
        reason: td[4]?.textContent ?? "",
      };
    }),
  );
const card = (page: Page, key: string) =>
  page.textContent(`#cards [data-key="${key}"] b`).then((t) => t ?? "");

let devnet: DevnetHandle | undefined;
let squad: Squad | undefined;
let browser: Chromium | undefined;
let dir = "";
const t0 = Date.now();

describe("dashboard of a real squad on the Lodestar devnet, in headless chromium", {
  timeout: 170_000,
}, () => {
  let page: Page;
  let url = "";
  const pageErrors: string[] = [];
  const foreign: string[] = [];
  let navigations = 0;
  const currentSlot = () => {
    const d = devnet as DevnetHandle;
    return Math.floor((Date.now() / 1000 - d.genesisTime) / d.secondsPerSlot);
  };

  before(async () => {
    await ensureInstalled();
    dir = await makeTempDir("dashboard-squad");
    devnet = await startDevnet({ validators: 64, lodestarValidators: "0..47" });
    squad = await startSquad({
      workDir: join(dir, "squad"),
      keys: INDICES.map((i) => ({ pubkey: interopPublicKey(i), secret: interopSecretKey(i) })),
      operatorIds: [1, 2, 3, 4],
      beaconUrl: devnet.restUrl,
      feeRecipient: FEE,
      doppelgangerEpochs: 0,
    });
    browser = await launchChromium();
    page = browser.page;
    url = `http://127.0.0.1:${squad.operators[0]?.metricsPort}/`;
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("request", (r) => {
      if (!r.url().startsWith(url)) foreign.push(r.url());
    });
    page.on("framenavigated", (f) => {
      if (f === page.mainFrame()) navigations++;
    });
  });
  after(async () => {
    await browser?.close();
    await squad?.stopAll();
    await devnet?.stop();
    if (devnet) await rm(devnet.workDir, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("page loads: 4 operators online, with version and RTT", async (t) => {
    await page.goto(url);
    await page.waitForSelector("#conn.live", { timeout: 10_000 });
    for (const id of [1, 2, 3, 4])
      await page.waitForSelector(`#op-${id}[data-online="true"]`, { timeout: 20_000 });
    const rtts = await until(
      "RTT of operators 2..4",
      15_000,
      () => page.$$eval("#operators .rtt", (tds) => tds.map((td) => td.textContent ?? "")),
      (v) => v.slice(1).every((x) => /^\d+(\.\d)? ms$/.test(x)),
    );
    assert.equal(rtts[0], "this node");
    const versions = await page.$$eval("#operators .version", (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.deepEqual(versions, ["0.1.0", "0.1.0", "0.1.0", "0.1.0"]);
    assert.match((await page.textContent("#title")) ?? "", /threshold 3 of 4 · 4 online/);
    t.diagnostic(`page live at ${((Date.now() - t0) / 1000).toFixed(1)} s; RTT ${rtts.join(", ")}`);
  });

  test("validators: status and balance as the beacon node reports them", async () => {
    const rows = await until(
      "validators with beacon state",
      15_000,
      () =>
        page.$$eval("#validators tr.validator", (trs) =>
          trs.map((tr) => ({
            pubkey: tr.getAttribute("data-pubkey") ?? "",
            index: tr.querySelector(".index")?.textContent ?? "",
            status: tr.querySelector(".status")?.textContent ?? "",
            gwei: Number(tr.querySelector(".balance")?.getAttribute("data-gwei") || 0),
          })),
        ),
      (v) => v.length === 4 && v.every((r) => r.gwei > 0),
    );
    const beacon = createBeaconClient([(devnet as DevnetHandle).restUrl], { timeoutMs: 5_000 });
    const onChain = await beacon.validators(INDICES);
    for (const v of onChain) {
      const row = rows.find((r) => r.pubkey === hex(v.pubkey));
      assert.ok(row, `validator ${v.index} shown`);
      assert.equal(row.index, String(v.index));
      assert.equal(row.status, v.status);
      assert.match(row.status, /^active/);
      // Balances move by rewards once per epoch; the page may be one read behind.
      assert.ok(Math.abs(row.gwei - Number(v.balanceGwei)) < 10_000_000, `${row.gwei} vs chain`);
    }
  });

  test("duties: real attestations succeed; consensus latency and rounds shown", async (t) => {
    const rows = await until(
      "successful attester duties for all 4 validators",
      45_000,
      () => duties(page),
      (v) => v.filter((d) => d.type === "attester" && d.outcome === "success").length >= 4,
    );
    // A failed duty always says why (e.g. "late" for the first slots' sync contributions).
    for (const d of rows.filter((x) => x.outcome === "failed"))
      assert.ok(d.reason.length > 0, JSON.stringify(d));
    assert.match(await card(page, "latency p50"), /^\d+ ms$/);
    assert.match(await card(page, "consensus rounds"), /r1: \d+/);
    assert.ok(Number(await card(page, "success")) >= 4);
    const eff = await page.$$eval("#validators .effectiveness", (tds) =>
      tds.map((td) => td.textContent ?? ""),
    );
    assert.ok(
      eff.every((e) => /^\d+\.\d %$/.test(e)),
      eff.join(","),
    );
    t.diagnostic(
      `${rows.length} duty rows, effectiveness ${eff.join(", ")} at ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  });

  test("operator 3 stops and restarts: its row follows live, duties keep succeeding", async (t) => {
    const s = squad as Squad;
    await s.stop(3);
    const stoppedAt = Date.now();
    const stopSlot = currentSlot();
    await page.waitForSelector('#op-3[data-online="false"]', { timeout: 10_000 });
    const offlineMs = Date.now() - stoppedAt;
    assert.equal((await page.textContent("#op-3 .state"))?.trim(), "offline");
    assert.equal(await page.textContent("#op-3 .rtt"), "–");
    assert.match((await page.textContent("#title")) ?? "", /3 online/);
    // 3 of 4 is the threshold: the next epoch's attestations still succeed.
    await until(
      "a successful attestation after operator 3 stopped",
      30_000,
      () => duties(page),
      (v) => v.some((d) => d.type === "attester" && d.outcome === "success" && d.slot > stopSlot),
    );

    await s.start(3);
    const startedAt = Date.now();
    await page.waitForSelector('#op-3[data-online="true"]', { timeout: 20_000 });
    const onlineMs = Date.now() - startedAt;
    await until(
      "operator 3's RTT after the restart",
      15_000,
      () => page.textContent("#op-3 .rtt"),
      (v) => /^\d+(\.\d)? ms$/.test(v ?? ""),
    );
    assert.equal(navigations, 1, "the page was never reloaded");
    t.diagnostic(
      `offline shown ${offlineMs} ms after the stop, online ${onlineMs} ms after up; RTT ${await page.textContent("#op-3 .rtt")}; failures: ${await card(page, "failures by reason")}`,
    );
  });

  test("chart screenshot is a real image; no page errors, no foreign requests", async () => {
    const b = browser as Chromium;
    assert.ok((await page.$$eval("#latency-chart rect.bar", (r) => r.length)) >= 20);
    await assertNonEmptyChart(
      b.context,
      "cluster",
      await page.locator("#cluster-charts").screenshot(),
    );
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(foreign, []);
  });

  test("/metrics: Prometheus text with non-zero rpdvt_* duty counts", async (t) => {
    const res = await fetch(`${url}metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    const text = await res.text();
    const count = (re: RegExp) =>
      text
        .split("\n")
        .filter((l) => re.test(l))
        .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
    const attest = count(
      /^rpdvt_duty_outcomes_total\{type="attester",outcome="success",reason=""\} /,
    );
    assert.ok(attest >= INDICES.length, `attester successes ${attest}`);
    assert.ok(count(/^rpdvt_consensus_decided_round_count[{ ]/) > 0);
    assert.ok(count(/^rpdvt_duty_latency_seconds_count[{ ]/) > 0);
    // The peer-info RTT of every other operator (all four are up again by now), in seconds.
    const rtts = text.split("\n").filter((l) => l.startsWith("rpdvt_peer_rtt_seconds{"));
    assert.deepEqual(
      rtts.map((l) => l.match(/peer="(\d+)"/)?.[1]).sort(),
      ["1", "2", "3"],
      rtts.join("\n"),
    );
    for (const l of rtts) {
      const v = Number(l.split(" ").at(-1));
      assert.ok(v > 0 && v < 1, l);
    }
    t.diagnostic(
      `attester successes ${attest}; wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  });
});
