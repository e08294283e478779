/**
 * Round timers derived from measured peer RTT (issue 17 item 4; src/core/consensus/timer.ts
 * "adaptive", rtt.ts): the formula is bounded both ways, the estimate follows a changed RTT, a
 * QBFT cluster on the simulated WAN measures its RTT from consensus traffic and its timers follow,
 * a crashed (still "connected") leader on a LAN costs ~200 ms instead of 750 ms, and — property —
 * liveness holds under the WAN model (50–150 ms RTT, 1% loss) with one operator down, n = 4, 7.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { defaultLeader } from "../../../../src/core/consensus/params.js";
import { RTT_MIN_SAMPLES, RttEstimator, RttProbes } from "../../../../src/core/consensus/rtt.js";
import {
  adaptiveFirstRoundMs,
  adaptiveTimeoutMs,
  DEFAULT_ROUND_TIMER,
  roundEndMs,
  roundTimeoutMs,
} from "../../../../src/core/consensus/timer.js";
import type { InstanceId } from "../../../../src/core/consensus/types.js";
import { createSimCluster, type SimCluster } from "../../../simnet/cluster.js";
import { WAN_PRESET, wanModel } from "../../../simnet/wan.js";

const decidedAll = (c: SimCluster, inst: InstanceId) => () =>
  c.honestUp().every((i) => c.decidedBy(inst).has(i));

/** Run `count` instances one after another (as slots do); returns each one's decision time. */
async function runSlots(c: SimCluster, from: number, count: number): Promise<number[]> {
  const took: number[] = [];
  for (let s = from; s < from + count; s++) {
    const inst = { slot: s, dutyType: 2 };
    const t0 = c.net.now();
    c.start(inst);
    assert.ok(await c.net.runUntil(decidedAll(c, inst), t0 + 30_000), `slot ${s} decided`);
    took.push(c.net.now() - t0);
    await c.net.run(c.net.now() + 500); // let late messages land before the next slot
  }
  return took;
}

describe("adaptive round timer: formula", () => {
  it("t(1) = clamp(200, 2 · 1.5 · p95(RTT) + 100, 850); 750 ms until measured", () => {
    const cfg = DEFAULT_ROUND_TIMER;
    assert.equal(adaptiveFirstRoundMs(cfg, undefined), 750);
    assert.equal(adaptiveFirstRoundMs(cfg, 0), 200, "floor: loopback");
    assert.equal(adaptiveFirstRoundMs(cfg, 20), 200, "floor: LAN");
    assert.equal(adaptiveFirstRoundMs(cfg, 100), 400);
    assert.equal(adaptiveFirstRoundMs(cfg, 200), 700);
    assert.equal(adaptiveFirstRoundMs(cfg, 5000), 850, "ceiling");
    assert.equal(adaptiveFirstRoundMs(cfg, Number.NaN), 750);
  });

  it("t(1) follows a changed RTT; later rounds end on the common schedule, capped at 12 s", () => {
    assert.deepEqual(
      [40, 100, 200, 300].map((rtt) => roundTimeoutMs(DEFAULT_ROUND_TIMER, 1, rtt)),
      [220, 400, 700, 850],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((r) => roundEndMs(DEFAULT_ROUND_TIMER, r)),
      [750, 1750, 3000, 4500],
    );
    // Entered late (or restarted on a proposal): at least this node's t(1).
    assert.equal(adaptiveTimeoutMs(DEFAULT_ROUND_TIMER, 2, 100, 1700), 400);
    assert.equal(adaptiveTimeoutMs(DEFAULT_ROUND_TIMER, 100, 5000, 0), 12_000);
  });

  it("operators with different RTT estimates end every round ≥ 2 at the same instant", () => {
    // A node whose short t(1) put it ahead stayed ahead by the difference every round (and,
    // with one operator down, no round could gather a quorum: the DV attester simnet test).
    for (const [a, b] of [
      [undefined, 40],
      [10, 300],
      [0, 5000],
    ] as const) {
      let endA = roundTimeoutMs(DEFAULT_ROUND_TIMER, 1, a);
      let endB = roundTimeoutMs(DEFAULT_ROUND_TIMER, 1, b);
      for (let r = 2; r <= 6; r++) {
        endA += adaptiveTimeoutMs(DEFAULT_ROUND_TIMER, r, a, endA);
        endB += adaptiveTimeoutMs(DEFAULT_ROUND_TIMER, r, b, endB);
        assert.equal(endA, endB, `round ${r} with p95 ${a} vs ${b}`);
        assert.equal(endA, roundEndMs(DEFAULT_ROUND_TIMER, r));
      }
    }
  });

  it("the estimator's p95 follows the last window, needs RTT_MIN_SAMPLES, ignores junk", () => {
    const est = new RttEstimator(32);
    for (let i = 0; i < RTT_MIN_SAMPLES - 1; i++) est.add(10);
    assert.equal(est.quantile(0.95), undefined);
    est.add(-5);
    est.add(Number.POSITIVE_INFINITY);
    assert.equal(est.quantile(0.95), undefined, "junk samples do not count");
    est.add(10);
    assert.equal(est.quantile(0.95), 10);
    for (let i = 0; i < 32; i++) est.add(200);
    assert.equal(est.quantile(0.95), 200, "old samples leave the window");
    assert.equal(est.count, 32);
  });

  it("probes: one sample per peer per PRE-PREPARE, none for unprobed rounds", () => {
    const est = new RttEstimator(16, 1);
    const probes = new RttProbes(est);
    probes.sent("5/2", 1, 1000);
    probes.answered("5/2", 1, 1, 1080);
    probes.answered("5/2", 1, 1, 1500); // duplicate from peer 1
    probes.answered("5/2", 2, 2, 1090); // round 2 was not probed
    probes.answered("6/2", 1, 2, 1090); // nor instance 6
    assert.equal(est.count, 1);
    assert.equal(est.quantile(0.5), 80);
  });
});

describe("adaptive round timer: QBFT on the simulated WAN", () => {
  it("measures RTT from consensus traffic; t(1) follows 100 ms → 200 ms → 4 ms RTT (n = 4, 7)", async () => {
    for (const n of [4, 7]) {
      let rtt = 100;
      const c = createSimCluster({
        n,
        seed: n,
        links: (from, to) => (from === to ? undefined : { delayMs: rtt / 2, lossRate: 0 }),
      });
      await runSlots(c, 100, 4 * n);
      for (let i = 0; i < n; i++) {
        const s = c.node(i)?.stats();
        assert.ok(s?.rttP95Ms !== undefined, `n=${n} node ${i} measured`);
        assert.ok(s.rttP95Ms >= 100 && s.rttP95Ms < 110, `n=${n} node ${i}: ${s.rttP95Ms}`);
        assert.ok(s.firstRoundMs >= 400 && s.firstRoundMs < 430, `t(1) ${s.firstRoundMs}`);
      }
      rtt = 200;
      await runSlots(c, 200, 16 * n);
      for (let i = 0; i < n; i++) {
        const s = c.node(i)?.stats();
        assert.ok(
          (s?.firstRoundMs ?? 0) >= 700 && (s?.firstRoundMs ?? 0) <= 760,
          `n=${n} node ${i} slower link: ${s?.firstRoundMs}`,
        );
      }
      // Down is slower than up (the p95 of a 128-sample window): a full window of fast samples.
      rtt = 4;
      let slot = 400;
      const atFloor = () =>
        Array.from({ length: n }, (_, i) => c.node(i)?.stats().firstRoundMs).every(
          (t) => t === 200,
        );
      while (!atFloor() && slot < 400 + 80 * n) {
        await runSlots(c, slot, n);
        slot += n;
      }
      assert.ok(atFloor(), `n=${n}: LAN → floor 200 ms`);
      assert.ok(slot - 400 >= 8 * n, `n=${n}: not after a handful of fast samples (${slot - 400})`);
      assert.deepEqual(c.violations(), []);
    }
  });

  it("a LAN cluster waits ~200 ms, not 750 ms, for a crashed leader it still thinks connected", async () => {
    const n = 4;
    const c = createSimCluster({
      n,
      seed: 9,
      links: (from, to) => (from === to ? undefined : { delayMs: 2, lossRate: 0 }),
    });
    await runSlots(c, 100, 4 * n); // warm the estimate (all up)
    let inst = { slot: 500, dutyType: 2 };
    while (defaultLeader(inst, 1, n) !== 3) inst = { slot: inst.slot + 1, dutyType: 2 };
    c.net.crash(3);
    const t0 = c.net.now();
    c.start(inst);
    assert.ok(await c.net.runUntil(decidedAll(c, inst), t0 + 10_000));
    const took = c.net.now() - t0;
    assert.ok(took >= 200 && took < 300, `decided after ${took} ms (fixed timer: ≥ 750 ms)`);
    for (const d of c.decidedBy(inst).values()) assert.equal(d.round, 2);
  });

  it("property: liveness and agreement on the WAN (50–150 ms, 1% loss), one operator down, n = 4, 7", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(4, 7),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.nat(12),
        fc.constantFrom("drop", "retransmit") as fc.Arbitrary<"drop" | "retransmit">,
        async (n, seed, downPick, loss) => {
          const wan = wanModel({ n, seed, ...WAN_PRESET, loss });
          const c = createSimCluster({ n, seed, links: wan.link });
          c.net.crash(downPick % n);
          const took = await runSlots(c, 1000, 2 * n);
          assert.ok(
            took.every((t) => t < 12_000),
            `n=${n}: ${took}`,
          );
          assert.deepEqual(c.violations(), []);
          assert.deepEqual(c.net.scheduler.errors, []);
        },
      ),
      { seed: 17, numRuns: 12 },
    );
  });
});
