/**
 * The strategy beacon (src/beacon/strategy/beacon.ts) over real REST clients (strategyNodes) and
 * fake beacon nodes on 127.0.0.1 (test/support/beacon-fake.ts): one node with a stale head, one
 * erroring, one slow → the right attestation data within the budget; first-success picks the
 * stale one; all failing → one clear error naming every node; a slow-but-only node still answers;
 * block proposals by best value within the budget; per-node metrics.
 */
import assert from "node:assert/strict";
import { afterEach, before, describe, test } from "node:test";
import { ssz } from "@lodestar/types";
import { Registry } from "prom-client";
import {
  registerStrategyMetrics,
  strategyBeacon,
  strategyNodes,
  tallyStrategy,
} from "../../../../src/beacon/strategy/index.js";
import type { BeaconNode, ProducedBlock } from "../../../../src/core/beacon.js";
import { BaseError, InputError } from "../../../../src/errors.js";
import { deadPort, type FakeBeacon, startFakeBeacon } from "../../../support/beacon-fake.js";

const SLOT = 100;
const FRESH = 100; // head block of the slot
const STALE = 96; // a lagging node's head, 4 slots behind
const root = (b: number) => new Uint8Array(32).fill(b);
const hex = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;
const dataJson = (head: number) =>
  ssz.phase0.AttestationData.toJson({
    slot: SLOT,
    index: 0,
    beaconBlockRoot: root(head),
    source: { epoch: 2, root: root(2) },
    target: { epoch: 3, root: root(3) },
  });
/** 12 s slots (no chain info read): soft 360 ms, hard 720 ms. */
const BUDGET = { soft: 0.03, hard: 0.06 };

let fakes: FakeBeacon[] = [];
/** Every strategy beacon built: stopped after each test (its head-event streams closed). */
let built: { stop(): void }[] = [];
const track = <B extends { stop(): void }>(b: B): B => {
  built.push(b);
  return b;
};
// The first request of the process pays fetch's start-up (~0.4 s): not part of any budget here.
before(async () => {
  const bn = await node({});
  const warm = strategyBeacon(strategyNodes([bn.url], { timeoutMs: 4000 }));
  await warm.attestationData(SLOT, 0);
  warm.stop();
});
afterEach(async () => {
  for (const b of built) b.stop();
  built = [];
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

/** A fake node answering attestation data with `head` after `delayMs`, or HTTP `status`. */
async function node(o: { head?: number; delayMs?: number; status?: number }): Promise<FakeBeacon> {
  const bn = await startFakeBeacon();
  fakes.push(bn);
  bn.on("GET /eth/v1/validator/attestation_data", () =>
    o.status
      ? { status: o.status, json: { code: o.status, message: "Internal error" } }
      : { json: { data: dataJson(o.head ?? FRESH) }, delayMs: o.delayMs },
  );
  for (const slot of [FRESH, STALE]) {
    bn.on(`GET /eth/v1/beacon/headers/${hex(root(slot))}`, () => ({
      json: {
        data: {
          root: hex(root(slot)),
          canonical: true,
          header: {
            message: {
              slot: String(slot),
              proposer_index: "1",
              parent_root: hex(root(0)),
              state_root: hex(root(0)),
              body_root: hex(root(0)),
            },
            signature: `0x${"00".repeat(96)}`,
          },
        },
      },
    }));
  }
  return bn;
}

const build = (
  bns: FakeBeacon[],
  attestation: "majority" | "best" | "first",
  extra: string[] = [],
) =>
  track(
    strategyBeacon(strategyNodes([...bns.map((b) => b.url), ...extra], { timeoutMs: 4000 }), {
      strategies: { attestation, proposal: "best" },
      budget: BUDGET,
    }),
  );

describe("attestation data over several beacon nodes", () => {
  test("majority: stale, erroring and slow nodes → the fresh data within the budget", async () => {
    const bns = [
      await node({ head: STALE }), // answers first, with a stale head
      await node({ head: FRESH, delayMs: 30 }),
      await node({ status: 500 }),
      await node({ head: FRESH, delayMs: 60 }),
      await node({ head: FRESH, delayMs: 3000 }), // slow
    ];
    const beacon = build(bns, "majority");
    const registry = new Registry();
    registerStrategyMetrics(registry, beacon);
    const tally = tallyStrategy(beacon);
    const t0 = performance.now();
    const data = await beacon.attestationData(SLOT, 0);
    const ms = performance.now() - t0;
    assert.deepEqual(data.beaconBlockRoot, root(FRESH));
    // 2 fresh of 5 is no strict majority: the soft deadline (360 ms) ends the wait, not the slow node.
    assert.ok(ms >= 330 && ms < 2000, `${ms} ms`);
    const names = beacon.nodes;
    const t = (i: number) =>
      tally
        .snapshot()
        .get(names[i] as string)
        ?.get("attestation_data");
    assert.equal(t(0)?.wins, 0);
    assert.equal(t(1)?.wins, 1);
    assert.equal(t(3)?.wins, 1);
    assert.equal(t(2)?.errors, 1);
    assert.equal(t(4)?.answers ?? 0, 0);
    const text = await registry.metrics();
    assert.match(
      text,
      new RegExp(`rpdvt_beacon_node_wins_total\\{node="${names[1]}",call="attestation_data"\\} 1`),
    );
    assert.match(
      text,
      new RegExp(
        `rpdvt_beacon_node_requests_total\\{node="${names[2]}",call="attestation_data",outcome="error"\\} 1`,
      ),
    );
    assert.ok(!text.includes("http://"), "labels are host:port only");
  });

  test("majority stops as soon as a strict majority agrees (no wait for the slow node)", async () => {
    const bns = [
      await node({ head: FRESH }),
      await node({ head: STALE }),
      await node({ head: FRESH, delayMs: 20 }),
      await node({ head: FRESH, delayMs: 40 }),
      await node({ head: FRESH, delayMs: 3000 }),
    ];
    // A 6 s soft deadline: returning well before it means the 3-of-5 majority ended the wait.
    const beacon = track(
      strategyBeacon(
        strategyNodes(
          bns.map((b) => b.url),
          { timeoutMs: 4000 },
        ),
        { budget: { soft: 0.5, hard: 0.75 } },
      ),
    );
    const t0 = performance.now();
    assert.deepEqual((await beacon.attestationData(SLOT, 0)).beaconBlockRoot, root(FRESH));
    assert.ok(performance.now() - t0 < 2000, `${performance.now() - t0} ms`);
  });

  test("best: the nearest head wins over a faster stale node; first-success takes the stale one", async () => {
    const stale = await node({ head: STALE });
    const fresh = await node({ head: FRESH, delayMs: 50 });
    const slow = await node({ head: FRESH, delayMs: 3000 });
    const best = build([stale, fresh, slow], "best");
    const t0 = performance.now();
    assert.deepEqual((await best.attestationData(SLOT, 0)).beaconBlockRoot, root(FRESH));
    // soft deadline (360 ms) plus the head-slot lookups, bounded by the soft budget again.
    assert.ok(performance.now() - t0 < 2000);
    const first = build([stale, fresh], "first");
    assert.deepEqual((await first.attestationData(SLOT, 0)).beaconBlockRoot, root(STALE));
    // Majority of two that disagree: the tie goes to the newer head (looked up by root).
    const tie = build([stale, fresh], "majority");
    assert.deepEqual((await tie.attestationData(SLOT, 0)).beaconBlockRoot, root(FRESH));
  });

  test("all fail: one error naming every node and what to do", async () => {
    const bns = [await node({ status: 500 }), await node({ status: 404 })];
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const beacon = build(bns, "majority", [dead]);
    await assert.rejects(beacon.attestationData(SLOT, 0), (e: unknown) => {
      assert.ok(e instanceof BaseError);
      assert.match(e.message, /All 3 beacon nodes failed to answer attestation data for slot 100/);
      for (const n of beacon.nodes) assert.ok(e.message.includes(`${n}: `), n);
      assert.match(e.message, /HTTP 500/);
      assert.match(e.message, /--beacon-url/);
      return true;
    });
  });

  test("a URL with credentials is refused before any request, without echoing them", () => {
    assert.throws(
      () =>
        strategyNodes(["http://127.0.0.1:5052", "http://user:s3cret@10.0.0.2:5052"], {
          timeoutMs: 1,
        }),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.field, "--beacon-url");
        assert.match(e.message, /10\.0\.0\.2:5052/);
        assert.ok(!e.message.includes("s3cret") && !e.message.includes("user"));
        return true;
      },
    );
  });

  test("a slow-but-only answer past the hard budget is still used (the duty is not failed)", async () => {
    const bns = [await node({ status: 500 }), await node({ head: FRESH, delayMs: 900 })];
    const beacon = build(bns, "majority");
    const t0 = performance.now();
    assert.deepEqual((await beacon.attestationData(SLOT, 0)).beaconBlockRoot, root(FRESH));
    assert.ok(performance.now() - t0 >= 850);
  });
});

describe("block proposals", () => {
  const produced = (value: bigint | undefined, slot = SLOT) =>
    ({
      fork: "deneb",
      block: { slot } as ProducedBlock["block"],
      executionPayloadValue: value,
      consensusBlockValue: value === undefined ? undefined : 1n,
    }) as ProducedBlock;
  const double = (p: () => Promise<ProducedBlock>) =>
    ({ produceBlock: p }) as unknown as BeaconNode;
  const wait = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

  test("best value within the budget; erroring, wrong-slot and slow nodes ignored", async () => {
    const nodes = [
      { name: "low", beacon: double(async () => produced(10n ** 15n)) },
      {
        name: "err",
        beacon: double(async () => Promise.reject(new Error("execution client offline"))),
      },
      { name: "high", beacon: double(() => wait(40, produced(10n ** 17n))) },
      { name: "wrongslot", beacon: double(async () => produced(10n ** 18n, SLOT - 1)) },
      { name: "slow-richest", beacon: double(() => wait(3000, produced(10n ** 19n))) },
    ];
    const beacon = track(strategyBeacon(nodes, { budget: BUDGET }));
    const tally = tallyStrategy(beacon);
    const t0 = performance.now();
    const p = (await beacon.produceBlock(
      SLOT,
      new Uint8Array(96),
      new Uint8Array(32),
    )) as ProducedBlock & { executionPayloadValue?: bigint };
    assert.equal(p.executionPayloadValue, 10n ** 17n);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(tally.snapshot().get("high")?.get("block_proposal")?.wins, 1);
    assert.equal(tally.snapshot().get("wrongslot")?.get("block_proposal")?.errors, 1);
    const first = track(
      strategyBeacon(nodes, {
        budget: BUDGET,
        strategies: { attestation: "majority", proposal: "first" },
      }),
    );
    const f = (await first.produceBlock(
      SLOT,
      new Uint8Array(96),
      new Uint8Array(32),
    )) as ProducedBlock & { executionPayloadValue?: bigint };
    assert.equal(f.executionPayloadValue, 10n ** 15n);
  });
});
