/**
 * Builder-registration duty (issue 15 item 1; src/core/duties/builder-registration.ts): on the
 * simulated network and beacon (which BLS-verifies every registration under the builder domain),
 * n = 4 and n = 7 squads with 24 validators in mixed states register only the pending, active
 * and exiting ones, sign each registration once and re-submit it every epoch, re-sign only a
 * validator whose fee recipient changed, and a Byzantine leader proposing another fee recipient
 * gets no signature.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builderDomain, DEFAULT_GAS_LIMIT } from "../../../../src/builder/registration.js";
import { decodeUnsignedSet, encodeUnsignedSet } from "../../../../src/core/codec.js";
import { defaultLeader } from "../../../../src/core/consensus/params.js";
import { builderRegistrationHandlers } from "../../../../src/core/duties/builder-registration.js";
import type { DutyContext } from "../../../../src/core/duty-handler.js";
import type { FetchResult } from "../../../../src/core/interfaces.js";
import { metricValue } from "../../../../src/core/metrics.js";
import {
  type Duty,
  type DutyDefinition,
  DutyType,
  type PubkeyHex,
  type UnsignedData,
} from "../../../../src/core/types.js";
import type { DvEvent } from "../../../../src/core/workflow.js";
import { fromHex } from "../../../../src/util/hex.js";
import { withDvCluster } from "../../../helpers.js";

const OTHER = `0x${"66".repeat(20)}`;

/**
 * Mixed life cycles: 0 not deposited, 1 exited, 2 pending until epoch 10, 3 exiting, 4 exiting
 * at epoch 2 (registered in epochs 0–1 only), rest active.
 */
const MIXED = [
  { deposited: false },
  { exitEpoch: 0 },
  { activationEpoch: 10 },
  { exitEpoch: 10 },
  { exitEpoch: 2 },
];

/** Count "signed" events of the registration duty per node and epoch-start slot. */
function signedCounter() {
  const counts = new Map<string, number>();
  const on = (node: number) => (e: DvEvent) => {
    if (e.step !== "signed" || e.duty.type !== DutyType.BuilderRegistration) return;
    const k = `${node}/${e.duty.slot}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  };
  return { counts, on };
}

for (const n of [4, 7] as const) {
  describe(`builder registrations, n = ${n}, 24 validators in mixed states`, () => {
    it("registers pending/active/exiting validators once, signs once, re-submits every epoch", async () => {
      await withDvCluster(
        { n, validators: 24, seed: 1500 + n, latencyMs: 20, beacon: { validatorStates: MIXED } },
        async (c) => {
          const signed = signedCounter();
          for (let i = 0; i < n; i++) {
            await c.startNode(i, {
              aggregation: false,
              builder: { registrations: true },
              onEvent: signed.on(i),
            });
          }
          await c.runToSlot(12, 500); // epochs 0..3 (4 slots each) started
          const want = new Set(c.pubkeys.slice(2)); // not the unknown one, not the exited one
          for (const b of c.beacons) {
            assert.ok(b.registrations.length > 0, "every beacon node got registrations");
            assert.ok(
              b.registrations.every((r) => r.valid),
              "each signature verifies",
            );
            const byEpoch = new Map<number, Set<string>>();
            for (const r of b.registrations) {
              const s = byEpoch.get(r.epoch) ?? new Set();
              s.add(r.pubkey);
              byEpoch.set(r.epoch, s);
            }
            assert.deepEqual([...byEpoch.keys()].sort(), [0, 1, 2, 3], "at start and every epoch");
            const exited = new Set([...want].filter((pk) => pk !== c.pubkeys[4]));
            for (const [epoch, s] of byEpoch) {
              assert.deepEqual(s, epoch < 2 ? want : exited, `epoch ${epoch}: none past its exit`);
            }
            for (const r of b.registrations) {
              const i = c.pubkeys.indexOf(r.pubkey);
              assert.equal(r.feeRecipient, c.cluster.validators[i]?.feeRecipient.toLowerCase());
              assert.equal(r.gasLimit, DEFAULT_GAS_LIMIT);
              assert.equal(r.timestamp, c.beacon.chain.genesisTime, "epoch 0's, kept");
            }
          }
          // Signed in epoch 0 only: 22 per node, nothing later.
          for (let i = 0; i < n; i++) {
            assert.equal(signed.counts.get(`${i}/0`), 22, `node ${i} epoch 0`);
            assert.equal(signed.counts.get(`${i}/4`), undefined, `node ${i} epoch 1`);
            assert.equal(signed.counts.get(`${i}/8`), undefined, `node ${i} epoch 2`);
            assert.equal(signed.counts.get(`${i}/12`), undefined, `node ${i} epoch 3`);
            const s = c.nodes[i]?.tracker.summary().builder_registration;
            assert.equal(s?.failed ?? 0, 0, JSON.stringify(s));
            assert.ok((s?.success ?? 0) >= 22 + 22 + 21, JSON.stringify(s)); // epochs 0–2, one exited at 2
          }
          assert.deepEqual(c.beacon.invalid, []);
        },
      );
    });
  });
}

describe("builder registrations under a Byzantine leader", () => {
  it("a leader proposing another fee recipient gets no signature; the honest value is decided", async () => {
    const n = 4;
    const byz = defaultLeader({ slot: 0, dutyType: DutyType.BuilderRegistration }, 1, n);
    await withDvCluster({ n, validators: 24, seed: 1511, latencyMs: 20 }, async (c) => {
      let target: PubkeyHex | undefined;
      const rewritten = c.equivocate(byz, (value) => {
        const d = decodeUnsignedSet(value);
        if (d?.kind !== "registration") return undefined;
        const [pk, u] = [...d.set][0] as [PubkeyHex, UnsignedData];
        if (u.kind !== "registration") return undefined;
        target = pk;
        d.set.set(pk, {
          kind: "registration",
          registration: { ...u.registration, feeRecipient: fromHex(OTHER) },
        });
        return encodeUnsignedSet(d.set);
      });
      await c.startAll({ aggregation: false, builder: { registrations: true } });
      await c.runToSlot(4, 500);
      assert.ok(rewritten() > 0, "the Byzantine leader proposed");
      assert.ok(target);
      for (const b of c.beacons) {
        assert.ok(b.registrations.length >= 24);
        assert.ok(b.registrations.every((r) => r.valid && r.feeRecipient !== OTHER));
      }
      for (let i = 0; i < n; i++) {
        if (i === byz) continue;
        const m = c.nodes[i]?.metrics;
        assert.ok(m && (await metricValue(m.consensusRejected, { reason: "fee-recipient" })) > 0);
      }
      assert.deepEqual(c.beacon.invalid, []);
    });
  });
});

/** A DutyContext over plain arrays (the handler alone, no steps). */
function fakeCtx() {
  const proposed: Map<PubkeyHex, UnsignedData>[] = [];
  const submitted: { duty: Duty; pk: PubkeyHex }[] = [];
  const batches: number[] = [];
  const decided = new Map<PubkeyHex, UnsignedData>();
  const ctx = {
    slotsPerEpoch: 4,
    slotStartMs: (s: number) => s * 12_000,
    start() {},
    propose(_d: Duty, fetched: Promise<FetchResult>) {
      void fetched.then((r) => proposed.push(r.set));
    },
    decided: (_d: Duty, pk: PubkeyHex) => decided.get(pk),
    submit(duty: Duty, pk: PubkeyHex) {
      submitted.push({ duty, pk });
    },
    broadcaster: {
      registrations: async (list: readonly unknown[]) => {
        batches.push(list.length);
      },
    },
  } as unknown as DutyContext;
  return { ctx, proposed, submitted, batches, decided };
}

describe("builder-registration handler: re-signing only what changed", () => {
  it("a changed fee recipient gets a new timestamp and a signature; the others are re-submitted", async () => {
    const chain = {
      genesisTime: 1_000,
      secondsPerSlot: 12,
      slotsPerEpoch: 4,
      forks: [{ name: "phase0", epoch: 0, version: Uint8Array.of(0, 0, 0, 0x42) }],
    };
    const pks = Array.from({ length: 25 }, (_, i) => `0x${(i + 1).toString(16).padStart(96, "0")}`);
    const recipients = new Map(pks.map((pk, i) => [pk, `0x${(i + 16).toString(16).repeat(20)}`]));
    const [h] = builderRegistrationHandlers({
      chain,
      gasLimit: 36_000_000,
      feeRecipients: recipients,
    });
    assert.ok(h?.onDuty && h.signRequest);
    const f = fakeCtx();
    const defs = () =>
      new Map<PubkeyHex, DutyDefinition>(
        pks.map((pk) => [pk, { kind: "registration", feeRecipient: recipients.get(pk) as string }]),
      );
    const sig = new Uint8Array(96).fill(7);
    // Epoch 0: nothing cached, every entry fresh (timestamp = epoch 0's start) and signed.
    h.onDuty(f.ctx, { slot: 0, type: DutyType.BuilderRegistration }, defs());
    await Promise.resolve();
    const first = f.proposed[0] as Map<PubkeyHex, UnsignedData>;
    assert.equal(first.size, 25);
    for (const [pk, u] of first) {
      assert.ok(u.kind === "registration" && !u.signature && u.registration.timestamp === 1_000);
      assert.ok(h.signRequest(f.ctx, pk, u), "fresh entries are signed");
      f.decided.set(pk, u);
      h.onAggregated(f.ctx, { slot: 0, type: DutyType.BuilderRegistration }, pk, sig);
    }
    await Promise.resolve();
    assert.deepEqual(f.batches, [25], "one POST for the batch");
    // Epoch 1: validator 3's recipient changes (e.g. it joined the smoothing pool).
    const changed = pks[3] as PubkeyHex;
    recipients.set(changed, OTHER);
    h.onDuty(f.ctx, { slot: 4, type: DutyType.BuilderRegistration }, defs());
    await Promise.resolve();
    assert.deepEqual(f.batches, [25, 24], "the unchanged 24 re-submitted at once");
    const second = f.proposed[1] as Map<PubkeyHex, UnsignedData>;
    let toSign = 0;
    for (const [pk, u] of second) {
      assert.ok(u.kind === "registration");
      if (pk === changed) {
        assert.equal(u.signature, undefined);
        assert.equal(u.registration.timestamp, 1_000 + 48, "epoch 1's start: newer");
      } else {
        assert.deepEqual(u.signature, sig, "carried with its signature");
        assert.equal(u.registration.timestamp, 1_000);
      }
      if (h.signRequest(f.ctx, pk, u)) toSign++;
    }
    assert.equal(toSign, 1, "only the changed registration is signed");
    // Validity: the old recipient for the changed validator is refused now.
    const domain = builderDomain(chain.forks[0]?.version as Uint8Array);
    assert.ok(domain.length === 32);
    const old = first.get(changed) as UnsignedData;
    assert.equal(h.validate?.({} as never, 4, changed, old, undefined), "fee-recipient");
    const fresh = second.get(changed) as UnsignedData;
    assert.equal(h.validate?.({} as never, 4, changed, fresh, undefined), true);
    // A timestamp after the duty's epoch, or not on an epoch start, is refused.
    const at = (timestamp: number): UnsignedData =>
      fresh.kind === "registration"
        ? { kind: "registration", registration: { ...fresh.registration, timestamp } }
        : fresh;
    assert.equal(h.validate?.({} as never, 4, changed, at(1_000 + 96), undefined), "timestamp");
    assert.equal(h.validate?.({} as never, 4, changed, at(1_000 + 47), undefined), "timestamp");
    // A carried signature that does not verify is refused.
    const forged: UnsignedData =
      fresh.kind === "registration" ? { ...fresh, signature: sig } : fresh;
    assert.equal(h.validate?.({} as never, 4, changed, forged, undefined), "signature");
  });
});
