/**
 * The majority tie-break of the strategy beacon (src/beacon/strategy/beacon.ts,
 * attestation-majority.ts) when the block root → slot lookups never answer (a loaded beacon
 * node): the block root → slot cache filled from every node's head events (Vouch's approach)
 * decides the tie, the wait never runs past the hard budget, and without any head slot the tie
 * goes to the more recent target/source checkpoints, not to whichever answer came first. n = 2,
 * 4 and 7 nodes; the stale nodes always answer first (a lagging node answers at once).
 */
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import type { phase0 } from "@lodestar/types";
import {
  type StrategyBeacon,
  type StrategyNode,
  strategyBeacon,
} from "../../../../src/beacon/strategy/index.js";
import type { BeaconNode, HeadNotice } from "../../../../src/core/beacon.js";

const SLOT = 100;
const FRESH = 100;
const STALE = 98; // a node 2 slots behind
/** 12 s slots (no chain info read): soft 240 ms, hard 480 ms. */
const BUDGET = { soft: 0.02, hard: 0.04 };
const HARD_MS = 480;
const root = (b: number) => new Uint8Array(32).fill(b);
const data = (head: number, target = 3): phase0.AttestationData => ({
  slot: SLOT,
  index: 0,
  beaconBlockRoot: root(head),
  source: { epoch: target - 1, root: root(target - 1) },
  target: { epoch: target, root: root(50 + target) },
});
const wait = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));
/** A block-root → slot lookup on a beacon node too loaded to answer. */
const neverAnswers = () => new Promise<number | undefined>(() => {});

let beacons: StrategyBeacon[] = [];
afterEach(() => {
  for (const b of beacons) b.stop();
  beacons = [];
});

/** An in-memory beacon node: its attestation data after `delayMs`, its head events `heads`. */
function node(
  name: string,
  o: { head: number; target?: number; delayMs?: number; heads?: HeadNotice[] },
): StrategyNode & { subscribed: () => number } {
  const listeners = new Set<(h: HeadNotice) => void>();
  const beacon = {
    attestationData: () =>
      o.delayMs === Number.POSITIVE_INFINITY
        ? new Promise(() => {}) // down: never answers
        : wait(o.delayMs ?? 0, data(o.head, o.target)),
    subscribeHead(l: (h: HeadNotice) => void) {
      listeners.add(l);
      for (const h of o.heads ?? []) queueMicrotask(() => l(h));
      return () => listeners.delete(l);
    },
  } as unknown as BeaconNode;
  return {
    name,
    beacon,
    blockSlot: neverAnswers,
    subscribed: () => listeners.size,
  };
}

const build = (nodes: StrategyNode[], attestation: "majority" | "best" = "majority") => {
  const b = strategyBeacon(nodes, {
    strategies: { attestation, proposal: "best" },
    budget: BUDGET,
  });
  beacons.push(b);
  return b;
};
const heads = (...slots: number[]) => slots.map((s) => ({ slot: s, block: root(s) }));

test("n = 2, a tie, lookups never answer: the head-event cache decides for the fresh head", async () => {
  const lagging = node("lagging", { head: STALE, heads: heads(96, 97, STALE) });
  const good = node("good", { head: FRESH, delayMs: 20, heads: heads(99, FRESH) });
  const beacon = build([lagging, good]);
  await beacon.chainInfo().catch(() => {}); // node start: the head streams open here
  await wait(10, undefined); // the head events arrive before the duty
  const t0 = performance.now();
  const d = await beacon.attestationData(SLOT, 0);
  const ms = performance.now() - t0;
  assert.deepEqual(d.beaconBlockRoot, root(FRESH));
  // Both answers are in after 20 ms and the cache knows both roots: nothing is waited for.
  assert.ok(ms < 200, `${ms} ms`);
  assert.equal(lagging.subscribed(), 1);
  beacon.stop();
  assert.equal(lagging.subscribed(), 0, "stop() closes the head streams");
});

test("n = 7, 3 stale vs 3 fresh (+1 never answering): the cache decides within the budget", async () => {
  const all = [
    ...[0, 1, 2].map((i) => node(`stale${i}`, { head: STALE, heads: heads(STALE) })),
    ...[0, 1, 2].map((i) => node(`fresh${i}`, { head: FRESH, delayMs: 30, heads: heads(FRESH) })),
    node("down", { head: FRESH, delayMs: Number.POSITIVE_INFINITY }),
  ];
  const beacon = build(all);
  // First use without chainInfo: the cache is followed from this call; the events land at once.
  await beacon.attestationData(SLOT, 0);
  const t0 = performance.now();
  const d = await beacon.attestationData(SLOT, 0);
  const ms = performance.now() - t0;
  assert.deepEqual(d.beaconBlockRoot, root(FRESH));
  assert.ok(ms < HARD_MS + 150, `${ms} ms: the down node is not waited for past the budget`);
});

test("n = 4, a tie, no head slot known, lookups never answer: newer checkpoints win by the hard deadline", async () => {
  // Two nodes missed the epoch boundary (target 2) and answer first; two are on target 3.
  const beacon = build([
    node("old1", { head: STALE, target: 2 }),
    node("old2", { head: STALE, target: 2 }),
    node("new1", { head: FRESH, target: 3, delayMs: 20 }),
    node("new2", { head: FRESH, target: 3, delayMs: 20 }),
  ]);
  const t0 = performance.now();
  const d = await beacon.attestationData(SLOT, 0);
  const ms = performance.now() - t0;
  assert.equal(d.target.epoch, 3);
  assert.deepEqual(d.beaconBlockRoot, root(FRESH));
  // The lookups are waited for until the hard deadline counted from the request, never longer.
  assert.ok(ms < HARD_MS + 150, `${ms} ms`);
});

test("best over a lagging node whose lookups never answer: the cache gives the nearer head", async () => {
  const beacon = build(
    [
      node("lagging", { head: STALE, heads: heads(STALE) }),
      node("good", { head: FRESH, delayMs: 20, heads: heads(FRESH) }),
    ],
    "best",
  );
  await beacon.chainInfo().catch(() => {});
  await wait(10, undefined);
  const t0 = performance.now();
  const d = await beacon.attestationData(SLOT, 0);
  assert.deepEqual(d.beaconBlockRoot, root(FRESH));
  assert.ok(performance.now() - t0 < HARD_MS + 150);
});

test("one choice per slot for all its committees: one request per node, the same head vote", async () => {
  let asked = 0;
  const counting = (n: StrategyNode): StrategyNode => {
    const b = n.beacon;
    return {
      ...n,
      beacon: {
        ...b,
        attestationData: (s: number, c: number) => {
          asked++;
          return b.attestationData(s, c);
        },
      } as BeaconNode,
    };
  };
  // Asked per committee, each committee would be its own round: twice the requests on a loaded
  // node, and two head votes for one slot when a head event or a lookup lands in between.
  const good = node("good", { head: FRESH, delayMs: 20 });
  const beacon = build([counting(node("lagging", { head: STALE })), counting(good)]);
  const [c0, c1] = await Promise.all([
    beacon.attestationData(SLOT, 0),
    wait(5, undefined).then(() => beacon.attestationData(SLOT, 1)),
  ]);
  assert.equal(asked, 2, "each node asked once for the slot");
  assert.equal(c0.index, 0);
  assert.equal(c1.index, 1);
  assert.deepEqual(c0.beaconBlockRoot, c1.beaconBlockRoot);
  assert.deepEqual({ ...c1, index: 0 }, c0);
});

test("a failed choice is not kept: the next request for the slot asks again", async () => {
  let fail = true;
  const flaky = {
    attestationData: async () => {
      if (fail) throw new Error("503 node syncing");
      return data(FRESH);
    },
  } as unknown as BeaconNode;
  const beacon = build([
    { name: "a", beacon: flaky },
    { name: "b", beacon: flaky },
  ]);
  await assert.rejects(beacon.attestationData(SLOT, 0), /All 2 beacon nodes failed/);
  fail = false;
  assert.deepEqual((await beacon.attestationData(SLOT, 0)).beaconBlockRoot, root(FRESH));
});
