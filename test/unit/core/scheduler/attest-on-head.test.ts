/**
 * The scheduler's `attestOnHead` (issue 17 item 5; Charon's alpha `fetch_att_on_block`): the
 * attester duty starts when the beacon node's head event for the current slot arrives, never
 * before the slot start, never on a late head of the previous slot, once per slot, with ⅓ of the
 * slot as the fallback. 24 cluster validators in mixed states (active, pending, exited, unknown)
 * over a manual clock and a scripted beacon node.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type {
  AttesterDuty,
  BeaconNode,
  ChainInfo,
  HeadNotice,
  ValidatorInfo,
} from "../../../../src/core/beacon.js";
import { createScheduler } from "../../../../src/core/scheduler/scheduler.js";
import { DutyType } from "../../../../src/core/types.js";
import type { Clock } from "../../../../src/util/clock.js";

const SLOT_MS = 12_000;
const SPE = 8;
const chain: ChainInfo = {
  genesisTime: 0,
  genesisValidatorsRoot: new Uint8Array(32),
  secondsPerSlot: SLOT_MS / 1000,
  slotsPerEpoch: SPE,
  forks: [{ name: "phase0", epoch: 0, version: new Uint8Array(4) }],
};
const pk = (i: number) => new Uint8Array(48).fill(i + 1);
const STATUS = (i: number) =>
  i % 6 === 4 ? "pending_queued" : i % 6 === 5 ? "exited_unslashed" : "active_ongoing";

/** A clock whose timers run when the test advances it (microtasks flushed in between). */
function manualClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; cb: () => void }>();
  const flush = () => new Promise<void>((r) => setImmediate(r));
  const clock: Clock = {
    now: () => now,
    setTimeout(cb, ms) {
      const id = seq++;
      timers.set(id, { at: now + Math.max(0, ms), cb });
      return () => timers.delete(id);
    },
  };
  const advanceTo = async (to: number) => {
    for (let i = 0; i < 5; i++) await flush();
    for (;;) {
      const next = [...timers.entries()]
        .filter(([, t]) => t.at <= to)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      timers.delete(next[0]);
      now = Math.max(now, next[1].at);
      next[1].cb();
      for (let i = 0; i < 5; i++) await flush();
    }
    now = to;
    for (let i = 0; i < 5; i++) await flush();
  };
  return { clock, advanceTo };
}

function scriptedBeacon(withHead: boolean) {
  const listeners = new Set<(h: HeadNotice) => void>();
  const infos: ValidatorInfo[] = Array.from({ length: 24 }, (_, i) => i)
    .filter((i) => i % 6 !== 3) // unknown: not deposited
    .map((i) => ({
      index: 100 + i,
      pubkey: pk(i),
      status: STATUS(i),
      balanceGwei: 32n * 10n ** 9n,
    }));
  const beacon = {
    validators: async () => infos,
    attesterDuties: async (epoch: number, indices: readonly number[]): Promise<AttesterDuty[]> =>
      indices.map((index, k) => ({
        pubkey: pk(index - 100),
        validatorIndex: index,
        committeeIndex: k % 2,
        committeeLength: 64,
        committeesAtSlot: 2,
        validatorCommitteeIndex: k,
        slot: epoch * SPE + (k % SPE),
      })),
    proposerDuties: async () => [],
    syncCommitteeDuties: async () => [],
    prepareBeaconProposer: async () => {},
    subscribeToCommittees: async () => {},
    ...(withHead && {
      subscribeHead: (l: (h: HeadNotice) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    }),
  } as unknown as BeaconNode;
  const head = (slot: number) => {
    for (const l of listeners) l({ slot, block: new Uint8Array(32).fill(slot) });
  };
  return { beacon, head, listeners };
}

async function setup(attestOnHead: boolean, withHead = true) {
  const { clock, advanceTo } = manualClock();
  const bn = scriptedBeacon(withHead);
  const started: { slot: number; at: number; validators: number }[] = [];
  const scheduler = createScheduler({
    clock,
    chain,
    genesisClockMs: 0,
    beacon: bn.beacon,
    pubkeys: Array.from({ length: 24 }, (_, i) => pk(i)),
    aggregation: false,
    attestOnHead,
    onDuty: (duty, defs) => {
      if (duty.type === DutyType.Attester)
        started.push({ slot: duty.slot, at: clock.now(), validators: defs.size });
    },
  });
  await scheduler.start();
  return { scheduler, started, advanceTo, ...bn };
}
const startOf = (slot: number) => slot * SLOT_MS;

describe("scheduler attestOnHead", () => {
  test("the attester duty starts on the current slot's head event, once", async () => {
    const s = await setup(true);
    await s.advanceTo(startOf(1) + 150);
    s.head(1);
    await s.advanceTo(startOf(1) + SLOT_MS / 3 + 10); // the ⅓ fallback does not start it again
    s.head(1); // a second head for the slot (re-org) starts nothing more
    await s.advanceTo(startOf(2) - 1);
    const slot1 = s.started.filter((d) => d.slot === 1);
    assert.deepEqual(
      slot1.map((d) => d.at),
      [startOf(1) + 150],
    );
    // 16 validators have duties (active); 2 of them per slot in this script.
    assert.equal(slot1[0]?.validators, 2);
    s.scheduler.stop();
    assert.equal(s.listeners.size, 0, "stop() unsubscribes");
  });

  test("a late head of the previous slot does not start the current slot's duty", async () => {
    const s = await setup(true);
    await s.advanceTo(startOf(2) + 300);
    s.head(1); // slot 1's block arrives late, during slot 2
    await s.advanceTo(startOf(2) + SLOT_MS / 3);
    assert.deepEqual(
      s.started.filter((d) => d.slot === 2).map((d) => d.at),
      [startOf(2) + SLOT_MS / 3],
    );
    s.scheduler.stop();
  });

  test("never before the slot start; no head: the ⅓ fallback", async () => {
    const s = await setup(true);
    await s.advanceTo(startOf(3) - 20);
    s.head(3); // the beacon node's clock runs ahead: ignored
    await s.advanceTo(startOf(3) + SLOT_MS / 3);
    await s.advanceTo(startOf(4) + SLOT_MS / 3);
    const at = (slot: number) => s.started.filter((d) => d.slot === slot).map((d) => d.at);
    assert.deepEqual(at(3), [startOf(3) + SLOT_MS / 3]);
    assert.deepEqual(at(4), [startOf(4) + SLOT_MS / 3]);
    s.scheduler.stop();
  });

  test("a head that arrives before the slot's duties are scheduled starts them at once", async () => {
    const s = await setup(true);
    await s.advanceTo(startOf(5) - 1);
    // The slot tick is due at startOf(5); the head event is delivered in the same millisecond,
    // before the scheduler's asynchronous scheduling of slot 5 has run.
    await s.advanceTo(startOf(5));
    s.head(5);
    await s.advanceTo(startOf(5) + 1);
    const at = s.started.filter((d) => d.slot === 5).map((d) => d.at);
    assert.equal(at.length, 1);
    assert.ok((at[0] ?? -1) >= startOf(5) && (at[0] ?? Infinity) <= startOf(5) + 1, `${at}`);
    s.scheduler.stop();
  });

  test("off (the default), or a beacon node without events: head events change nothing", async () => {
    for (const [on, withHead] of [
      [false, true],
      [true, false],
    ] as const) {
      const s = await setup(on, withHead);
      await s.advanceTo(startOf(1) + 100);
      s.head(1);
      await s.advanceTo(startOf(1) + SLOT_MS / 3);
      assert.deepEqual(
        s.started.filter((d) => d.slot === 1).map((d) => d.at),
        [startOf(1) + SLOT_MS / 3],
      );
      assert.equal(s.listeners.size, 0);
      s.scheduler.stop();
    }
  });
});
