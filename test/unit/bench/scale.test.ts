/**
 * Scale regression (issue 17 item 1): per-validator work stays linear in the validator count.
 * Operation counts, not timings, at 300 and 3,000 validators in mixed states (active, pending,
 * exited, unknown), so the test is fast and deterministic:
 *
 * - the scheduler's `definition(slot, type, pubkey)` — called for every validator of every duty
 *   (the value validity check, the aggregator's selection) — reads O(1) duty pubkeys per call
 *   (it scanned the slot's duties, hex-encoding each pubkey: O(V/32) per call, O(V²/32) per epoch,
 *   and O(512²) per slot for the sync committee);
 * - building an epoch's duties reads each duty O(1) times (it copied the slot's array per duty).
 *
 * Counted by a getter on each duty's `pubkey` that the scripted beacon node returns.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type {
  AttesterDuty,
  BeaconNode,
  ChainInfo,
  SyncCommitteeDuty,
  ValidatorInfo,
} from "../../../src/core/beacon.js";
import { createScheduler } from "../../../src/core/scheduler/scheduler.js";
import { DutyType } from "../../../src/core/types.js";
import type { Clock } from "../../../src/util/clock.js";
import { toHex } from "../../../src/util/hex.js";

const SPE = 32;
const SYNC_COMMITTEE_SIZE = 512; // consensus-specs altair preset (mainnet)
const chain: ChainInfo = {
  genesisTime: 0,
  genesisValidatorsRoot: new Uint8Array(32),
  secondsPerSlot: 12,
  slotsPerEpoch: SPE,
  forks: [
    { name: "phase0", epoch: 0, version: new Uint8Array(4) },
    { name: "altair", epoch: 0, version: Uint8Array.of(1, 0, 0, 0) },
  ],
};
const pk = (i: number): Uint8Array => {
  const b = new Uint8Array(48);
  new DataView(b.buffer).setUint32(0, i + 1);
  return b;
};
/** 1 in 10 pending, 1 in 20 exited, 1 in 50 unknown (not deposited); the rest active. */
const status = (i: number): string | undefined =>
  i % 50 === 7
    ? undefined
    : i % 10 === 3
      ? "pending_queued"
      : i % 20 === 9
        ? "exited_unslashed"
        : "active_ongoing";

const clock: Clock = { now: () => 1, setTimeout: () => () => {} };

/** Run the scheduler's epoch-0 resolution and every lookup a node makes; count pubkey reads. */
async function measure(n: number) {
  let reads = 0;
  const counted = <T extends object>(o: T, key: Uint8Array): T & { pubkey: Uint8Array } =>
    Object.defineProperty(o, "pubkey", {
      get: () => {
        reads++;
        return key;
      },
      enumerable: true,
    }) as T & { pubkey: Uint8Array };
  const infos: ValidatorInfo[] = [];
  for (let i = 0; i < n; i++) {
    const s = status(i);
    if (s) infos.push({ index: i, pubkey: pk(i), status: s, balanceGwei: 32_000_000_000n });
  }
  const beacon = {
    validators: async () => infos,
    attesterDuties: async (epoch: number, indices: readonly number[]): Promise<AttesterDuty[]> =>
      indices.map((index) =>
        counted(
          {
            validatorIndex: index,
            committeeIndex: 0,
            committeeLength: Math.ceil(n / SPE),
            committeesAtSlot: 1,
            validatorCommitteeIndex: Math.floor(index / SPE),
            slot: epoch * SPE + (index % SPE),
          },
          pk(index),
        ),
      ),
    proposerDuties: async () => [],
    syncCommitteeDuties: async (_e: number, indices: readonly number[]) =>
      indices
        .slice(0, SYNC_COMMITTEE_SIZE)
        .map(
          (index, k): SyncCommitteeDuty =>
            counted({ validatorIndex: index, validatorSyncCommitteeIndices: [k] }, pk(index)),
        ),
    prepareBeaconProposer: async () => {},
    subscribeToCommittees: async () => {},
  } as unknown as BeaconNode;
  const scheduler = createScheduler({
    clock,
    chain,
    genesisClockMs: 0,
    beacon,
    pubkeys: Array.from({ length: n }, (_, i) => pk(i)),
    onDuty: () => {},
  });
  await scheduler.start();
  scheduler.stop();
  const resolveReads = reads;
  reads = 0;
  let lookups = 0;
  let found = 0;
  for (let i = 0; i < n; i++) {
    const slot = i % SPE;
    for (const type of [DutyType.Attester, DutyType.PrepareAggregator, DutyType.Aggregator]) {
      lookups++;
      if (scheduler.definition(slot, type, toHex(pk(i)))) found++;
    }
  }
  // The sync committee's validity check looks every member up every slot: 4 slots here.
  for (let slot = 0; slot < 4; slot++) {
    for (let i = 0; i < Math.min(n, 2 * SYNC_COMMITTEE_SIZE); i++) {
      lookups++;
      if (scheduler.definition(slot, DutyType.SyncMessage, toHex(pk(i)))) found++;
    }
  }
  return { resolveReads, lookupReads: reads, lookups, found };
}

describe("scale: per-validator scheduler work is linear (300 vs 3,000 validators)", () => {
  test("definition() reads O(1) duties per call; resolving an epoch reads each duty O(1) times", async () => {
    const small = await measure(300);
    const large = await measure(3000);
    for (const [n, m] of [
      [300, small],
      [3000, large],
    ] as const) {
      const withDuties = Array.from({ length: n }, (_, i) => status(i)).filter(
        (s) => s === "active_ongoing",
      ).length;
      // Attester + 2 aggregation lookups per validator with duties, 4 slots × the sync members.
      assert.equal(m.found, 3 * withDuties + 4 * Math.min(withDuties, SYNC_COMMITTEE_SIZE));
      assert.ok(
        m.lookupReads <= 2 * m.lookups,
        `n=${n}: ${m.lookupReads} pubkey reads for ${m.lookups} lookups (a scan per lookup)`,
      );
      assert.ok(m.resolveReads <= 4 * n, `n=${n}: ${m.resolveReads} reads resolving the epoch`);
    }
    const ratio =
      (large.lookupReads + large.resolveReads) / (small.lookupReads + small.resolveReads);
    assert.ok(ratio < 12, `10× validators → ${ratio.toFixed(1)}× pubkey reads (linear: ≈ 10×)`);
  });
});
