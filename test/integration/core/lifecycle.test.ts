/**
 * Per-validator life cycle (issue 13 item 1; Lodestar's validator client is the model): a cluster
 * holding validators in every state — not deposited (no index), queued (pending_queued, with an
 * index), exited, exiting, active — signs for the active ones after their own doppelganger watch,
 * keeps an exiting one's duties until its exit epoch, drops exited ones (log + rpdvt_validators
 * metric), and picks up a queued validator when it activates: watched for itself, then signed for,
 * without a restart. Before per-validator doppelganger state, one validator without an index kept
 * the whole cluster's signer gate closed for good.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metricValue } from "../../../src/core/metrics.js";
import type { ValidatorChange } from "../../../src/core/scheduler/scheduler.js";
import { validatorState } from "../../../src/core/scheduler/scheduler.js";
import { epochOf } from "../../../src/core/types.js";
import { withDvCluster } from "../../helpers.js";

const SPE = 4; // the DV simnet's slots per epoch

describe("DV per-validator life cycle", () => {
  it("validatorState maps every beacon-APIs status", () => {
    assert.equal(validatorState(undefined), "unknown");
    assert.equal(validatorState("pending_initialized"), "pending");
    assert.equal(validatorState("pending_queued"), "pending");
    assert.equal(validatorState("active_ongoing"), "active");
    assert.equal(validatorState("active_exiting"), "exiting");
    assert.equal(validatorState("active_slashed"), "exiting");
    assert.equal(validatorState("exited_unslashed"), "exited");
    assert.equal(validatorState("exited_slashed"), "exited");
    assert.equal(validatorState("withdrawal_possible"), "exited");
    assert.equal(validatorState("withdrawal_done"), "exited");
  });

  for (const [n, validators] of [
    [4, 8],
    [7, 22],
  ] as const) {
    it(`n = ${n}, ${validators} validators: queued, exited, exiting and active side by side; the queued one activates without a restart`, async () => {
      // Roles by position: 0 not deposited (no index), 1 exited at genesis, 2 exiting (exit
      // epoch 4), 3 queued with an index until epoch 3 (pending_queued), the rest active.
      const states = [
        { deposited: false },
        { exitEpoch: 0 },
        { exitEpoch: 4 },
        { activationEpoch: 3 },
      ];
      await withDvCluster(
        { n, validators, seed: 1300 + n, latencyMs: 20, beacon: { validatorStates: states } },
        async (c) => {
          const vi = (pos: number): number =>
            c.beacon.indexOf(Buffer.from((c.pubkeys[pos] as string).slice(2), "hex"));
          const byPk = new Map(c.pubkeys.map((pk, pos) => [vi(pos), pk]));
          const [queued, exited, exiting, pending] = [vi(0), vi(1), vi(2), vi(3)];
          const changes: ValidatorChange[] = [];
          await c.startAll({
            aggregation: false,
            doppelgangerEpochs: 2, // the default (the simnet harness turns it off)
            onValidator: (ch) => changes.push(ch),
          });
          // Watch: 2 epochs (0 and 1) for everyone active at start.
          await c.runToSlot(3 * SPE + 2);
          // The deposit of validator 0 is processed: queued until epoch 5.
          c.beacon.setValidator(Buffer.from((c.pubkeys[0] as string).slice(2), "hex"), {
            activationEpoch: 5,
          });
          await c.runToSlot(10 * SPE);

          assert.deepEqual(c.beacon.invalid, []);
          assert.deepEqual(c.beacon.slashings, []);
          // Attestations received (several operators may broadcast the same one: duplicates).
          const att = (v: number) => c.beacon.attestations.filter((a) => a.validatorIndex === v);
          const slots = (v: number) => new Set(att(v).map((a) => a.slot)).size;
          // Nobody signs during the watch.
          assert.equal(c.beacon.attestations.filter((a) => a.slot < 2 * SPE).length, 0);
          // Every duty of an active validator after the watch is included.
          const firstSigned = new Map<number, number>([
            [exiting, 2],
            [pending, 5], // active from 3, watched 3 and 4
            [queued, 7], // active from 5, watched 5 and 6
          ]);
          let checked = 0;
          for (let slot = 0; slot < 10 * SPE - 1; slot++) {
            const epoch = epochOf(slot, SPE);
            for (const d of c.beacon.dutiesAt(slot)) {
              const status = c.beacon.statusOf(
                Buffer.from((byPk.get(d.validatorIndex) as string).slice(2), "hex"),
                epoch,
              );
              const from = firstSigned.get(d.validatorIndex) ?? 2;
              const should = status?.startsWith("active") === true && epoch >= from;
              assert.equal(
                c.beacon.included(d.validatorIndex, slot),
                should,
                `validator ${d.validatorIndex} (${status}) slot ${slot}`,
              );
              if (should) checked++;
            }
          }
          assert.ok(checked >= (validators - 4) * 7 + 2 + 4 + 2, `${checked} inclusions checked`);
          assert.equal(att(exited).length, 0);
          assert.ok(slots(exiting) === 2 && att(exiting).every((a) => a.slot < 4 * SPE));
          assert.ok(slots(queued) >= 2 && att(queued).every((a) => a.slot >= 7 * SPE));
          assert.ok(slots(pending) >= 4 && att(pending).every((a) => a.slot >= 5 * SPE));

          // Reported changes (each node reports its own: first occurrences in order) and metric.
          const of = (pos: number) => [
            ...new Set(changes.filter((ch) => ch.pubkey === c.pubkeys[pos]).map((ch) => ch.state)),
          ];
          assert.equal(changes.filter((ch) => ch.pubkey === c.pubkeys[0]).length, 3 * n);
          assert.deepEqual(of(0), ["unknown", "pending", "active"]);
          assert.deepEqual(of(1), ["exited"]);
          assert.deepEqual(of(2), ["exiting", "exited"]);
          assert.deepEqual(of(3), ["pending", "active"]);
          assert.deepEqual(of(4), ["active"]);
          const m = c.nodes[0]?.metrics;
          assert.ok(m);
          assert.equal(await metricValue(m.validators, { state: "exited" }), 2);
          assert.equal(await metricValue(m.validators, { state: "active" }), validators - 2);
          assert.equal(await metricValue(m.validators, { state: "unknown" }), 0);
          for (const node of c.nodes) assert.deepEqual(node?.doppelgangers(), []);
        },
      );
    });
  }
});
