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
import { DEFAULT_GAS_LIMIT } from "../../../../src/builder/registration.js";
import { decodeUnsignedSet, encodeUnsignedSet } from "../../../../src/core/codec.js";
import { defaultLeader } from "../../../../src/core/consensus/params.js";
import { metricValue } from "../../../../src/core/metrics.js";
import { DutyType, type PubkeyHex, type UnsignedData } from "../../../../src/core/types.js";
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
