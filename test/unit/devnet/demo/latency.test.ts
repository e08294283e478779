/**
 * The demo's added-latency benchmark (src/devnet/demo/latency.ts, src/devnet/demo/node-metrics.ts):
 * the histogram's growth between the window's two scrapes (not its total since the nodes
 * started), its median/p99 minus a single signer's time, the window scraping exactly twice and
 * timing the single signer once at its end, a real single signer (slashing DB + BLS) timed on
 * this host, and the nodes' `/metrics` read over HTTP (a node that does not answer reads empty).
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import type { HistogramBucket } from "../../../../src/core/metrics.js";
import {
  addedLatency,
  createLatencyWindow,
  singleSignerMs,
} from "../../../../src/devnet/demo/latency.js";
import {
  parseValidatorStates,
  scrapeLatencyBuckets,
  scrapeValidatorStates,
} from "../../../../src/devnet/demo/node-metrics.js";
import { freePort } from "../../../../src/devnet/start.js";
import { BaseError } from "../../../../src/errors.js";
import { makeTempDir, randomValidatorKey } from "../../../helpers.js";

const buckets = (counts: number[]): HistogramBucket[] =>
  [0.05, 0.1, 0.2, 0.5, Number.POSITIVE_INFINITY].map((le, i) => ({ le, count: counts[i] ?? 0 }));

test("addedLatency: quantiles of the growth between the scrapes, minus the single signer, in ms", () => {
  // before the window: 1000 slow observations (all above 0.2 s) that must not count
  const start = buckets([0, 0, 0, 1000, 1000]);
  // in the window: 100 observations, all in (0.05, 0.1]
  const end = buckets([0, 100, 100, 1100, 1100]);
  const a = addedLatency(start, end, 2);
  assert.equal(a.samples, 100);
  assert.equal(a.median, 75 - 2); // halfway through (0.05, 0.1], minus 2 ms
  assert.equal(a.p99, 99.5 - 2);
  assert.equal(a.baselineSignMs, 2);
  const none = addedLatency(undefined, undefined, undefined);
  assert.deepEqual(none, { median: null, p99: null, baselineSignMs: null, samples: 0 });
  // no baseline: nothing to subtract, so no number
  assert.equal(addedLatency(start, end, undefined).median, null);
});

test("the latency window scrapes when it opens and when it closes, and times the single signer once", async () => {
  const scrapes: number[] = [];
  let timed = 0;
  const w = createLatencyWindow({
    fromSlot: 16,
    toSlot: 31,
    scrape: async () => {
      scrapes.push(scrapes.length);
      return scrapes.length === 1 ? buckets([0, 0, 0, 10, 10]) : buckets([0, 40, 40, 50, 50]);
    },
    timeSingleSigner: () => {
      timed++;
      return 1;
    },
  });
  for (const slot of [10, 15]) await w.tick(slot);
  assert.equal(scrapes.length, 0, "not before the window");
  for (const slot of [16, 16, 20, 30]) await w.tick(slot);
  assert.equal(scrapes.length, 1);
  for (const slot of [31, 32, 40]) await w.tick(slot);
  assert.equal(scrapes.length, 2);
  assert.equal(timed, 1);
  const r = w.result();
  assert.equal(r.samples, 40);
  assert.equal(r.median, 75 - 1);
});

test("singleSignerMs: a real slashing-protected BLS signature, timed on this host; no key is a clear error", async () => {
  const dir = await makeTempDir("single-signer");
  try {
    const ms = singleSignerMs(join(dir, "db"), new Uint8Array(32).fill(7), randomValidatorKey());
    assert.ok(ms > 0 && ms < 1_000, `${ms} ms`);
    assert.throws(
      () => singleSignerMs(join(dir, "db2"), new Uint8Array(32), undefined),
      (e: unknown) => e instanceof BaseError && /No squad key/.test(e.message),
    );
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test("the nodes' /metrics: validator states and the attester histogram pooled over nodes; a silent node reads empty", async () => {
  const text = (attester: number) =>
    [
      'rpdvt_validators{state="active"} 15',
      'rpdvt_validators{state="exited"} 1',
      `rpdvt_duty_fetch_to_broadcast_seconds_bucket{type="attester",le="0.1"} ${attester}`,
      `rpdvt_duty_fetch_to_broadcast_seconds_bucket{type="attester",le="+Inf"} ${attester}`,
      'rpdvt_duty_fetch_to_broadcast_seconds_bucket{type="proposer",le="+Inf"} 99',
      "",
    ].join("\n");
  const servers = [7, 5].map((n) =>
    createServer((req, res) => {
      res.writeHead(req.url === "/metrics" ? 200 : 404).end(text(n));
    }),
  );
  const ports: number[] = [];
  for (const s of servers) {
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    ports.push((s.address() as AddressInfo).port);
  }
  try {
    assert.deepEqual(await scrapeValidatorStates(ports[0]), { active: 15, exited: 1 });
    const silent = await freePort();
    assert.equal(await scrapeValidatorStates(silent), null);
    assert.equal(await scrapeValidatorStates(undefined), null);
    const pooled = await scrapeLatencyBuckets([...ports, silent]);
    assert.equal(pooled.at(-1)?.count, 12, "7 + 5 attester observations, the proposer's left out");
    assert.equal(parseValidatorStates("# no gauge\n"), null);
  } finally {
    for (const s of servers) s.close();
  }
});
