/**
 * Fork transitions with mixed validator states (issue 13 item 5): an n = 7 cluster (t = 5) holding
 * 24 validators — one not yet deposited (deposit processed mid-run, activates in Electra), two
 * queued (one activating in Electra, one in Fulu), one exiting with its exit epoch after the
 * Electra fork, one exited, the rest active — runs across Deneb → Electra (EIP-7549) → Fulu with
 * the default 2-epoch doppelganger watch, one operator crashed from the Electra boundary until
 * after the Fulu boundary (then restarted on its own slashing database).
 *
 * Judged from the simulated beacon's own records (it verifies Electra/Fulu SingleAttestations
 * with Lodestar's containers and domains): every duty of a validator that is active and past its
 * own watch is included, in every fork; nothing earlier, nothing after an exit, nothing for the
 * exited one; no slashable pair in any operator's EIP-3076 database; and from Electra on each
 * operator asks its beacon node for attestation_data once per slot (the data no longer names a
 * committee; consensus-specs electra validator.md "Construct attestation"), where pre-Electra it
 * asks once per committee.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ForkName } from "@lodestar/params";
import { forkAtSlot } from "../../../src/core/domain.js";
import { epochOf } from "../../../src/core/types.js";
import { isSlashableAttestationPair, isSlashableBlockPair } from "../../../src/slashing/rules.js";
import { withDvCluster } from "../../helpers.js";

const SPE = 4; // the DV simnet's slots per epoch
const ELECTRA = 3;
const FULU = 6;
const END = 10; // run epochs 0..9
const DOWN = 6; // the crashed operator (0-based)
const CRASH_SLOT = ELECTRA * SPE + 1;
const RESTART_SLOT = FULU * SPE + 2;

describe("DV cluster across Deneb → Electra → Fulu with mixed validator states", () => {
  it("n = 7, 24 validators (queued, activating, exiting, exited, active), 1 operator down for part of the run", async () => {
    // Roles by position: 0 not deposited (deposit processed in epoch 2: active from 4), 1 exited
    // at genesis, 2 exiting (exit epoch 5, in Electra), 3 queued until 3 (the Electra boundary),
    // 4 queued until 6 (the Fulu boundary), the rest active.
    const states = [
      { deposited: false },
      { exitEpoch: 0 },
      { exitEpoch: 5 },
      { activationEpoch: ELECTRA },
      { activationEpoch: FULU },
    ];
    const validators = 24;
    await withDvCluster(
      {
        n: 7,
        validators,
        seed: 1305,
        latencyMs: 20,
        beacon: {
          validatorStates: states,
          electraEpoch: ELECTRA,
          fuluEpoch: FULU,
          committeesPerSlot: 3, // with 4 slots per epoch: several committees in one slot
          proposerEvery: 5,
        },
      },
      async (c) => {
        assert.equal(c.threshold, 5);
        const pkBytes = (pos: number): Uint8Array =>
          Buffer.from((c.pubkeys[pos] as string).slice(2), "hex");
        const vi = (pos: number): number => c.beacon.indexOf(pkBytes(pos));
        const posOf = new Map(c.pubkeys.map((_, pos) => [vi(pos), pos]));
        const late = vi(0);
        const exited = vi(1);
        const exiting = vi(2);
        const electraQueued = vi(3);
        const fuluQueued = vi(4);

        // Count each operator's attestation_data requests per slot at its beacon node.
        const dataCalls = c.beacons.map(() => new Map<number, number[]>());
        c.beacons.forEach((b, i) => {
          const original = b.attestationData.bind(b);
          b.attestationData = (slot, committeeIndex) => {
            const m = dataCalls[i] as Map<number, number[]>;
            m.set(slot, [...(m.get(slot) ?? []), committeeIndex]);
            return original(slot, committeeIndex);
          };
        });

        const extra = { doppelgangerEpochs: 2 }; // the default (the simnet harness turns it off)
        await c.startAll(extra);
        await c.runToSlot(2 * SPE + 2);
        // Validator 0's deposit is processed: pending_queued until epoch 4.
        c.beacon.setValidator(pkBytes(0), { activationEpoch: 4 });
        await c.runToSlot(CRASH_SLOT);
        c.crash(DOWN);
        await c.runToSlot(RESTART_SLOT);
        await c.restart(DOWN, extra);
        await c.runToSlot(END * SPE, c.slotMs / 2);

        assert.deepEqual(c.beacon.invalid, [], "the beacon rejected nothing");
        assert.deepEqual(c.beacon.slashings, []);
        assert.equal(forkAtSlot(c.beacon.chain, ELECTRA * SPE - 1), ForkName.deneb);
        assert.equal(forkAtSlot(c.beacon.chain, ELECTRA * SPE), ForkName.electra);
        assert.equal(forkAtSlot(c.beacon.chain, FULU * SPE), ForkName.fulu);

        // First epoch each validator may be signed for: its activation + the 2-epoch watch.
        const firstSigned = new Map<number, number>([
          [late, 6],
          [electraQueued, ELECTRA + 2],
          [fuluQueued, FULU + 2],
        ]);
        const perFork = new Map<ForkName, number>();
        let checked = 0;
        for (let slot = 0; slot < END * SPE; slot++) {
          const epoch = epochOf(slot, SPE);
          for (const d of c.beacon.dutiesAt(slot)) {
            const status = c.beacon.statusOf(pkBytes(posOf.get(d.validatorIndex) as number), epoch);
            const should =
              status?.startsWith("active") === true &&
              epoch >= (firstSigned.get(d.validatorIndex) ?? 2);
            assert.equal(
              c.beacon.included(d.validatorIndex, slot),
              should,
              `validator ${d.validatorIndex} (${status}) slot ${slot}`,
            );
            if (!should) continue;
            const seen = c.beacon.attestations.find(
              (a) => a.validatorIndex === d.validatorIndex && a.slot === slot,
            );
            assert.equal(seen?.committeeIndex, d.committeeIndex, `committee at slot ${slot}`);
            const fork = forkAtSlot(c.beacon.chain, slot);
            perFork.set(fork, (perFork.get(fork) ?? 0) + 1);
            checked++;
          }
        }
        // 19 always-active validators × 8 epochs, + exiting 3, + Electra-queued 5, + late 4,
        // + Fulu-queued 2 epochs (each validator has one duty per epoch).
        assert.equal(checked, 19 * 8 + 3 + 5 + 4 + 2, `${checked} inclusions checked`);
        assert.equal(perFork.get(ForkName.deneb), 19 + 1); // epoch 2: the active ones + exiting
        assert.ok((perFork.get(ForkName.electra) ?? 0) >= 3 * 19, JSON.stringify([...perFork]));
        assert.ok((perFork.get(ForkName.fulu) ?? 0) >= 4 * 19, JSON.stringify([...perFork]));

        const att = (v: number) => c.beacon.attestations.filter((a) => a.validatorIndex === v);
        const epochs = (v: number) =>
          [...new Set(att(v).map((a) => epochOf(a.slot, SPE)))]
            .filter((e) => e < END)
            .sort((a, b) => a - b);
        assert.equal(att(exited).length, 0, "nothing for the exited validator");
        assert.deepEqual(epochs(exiting), [2, 3, 4], "the exiting one stops at its exit epoch");
        assert.deepEqual(epochs(electraQueued), [5, 6, 7, 8, 9]);
        assert.deepEqual(epochs(late), [6, 7, 8, 9]);
        assert.deepEqual(epochs(fuluQueued), [8, 9]);

        // No slashable pair in any operator's slashing-protection database.
        for (const [i, db] of c.dbs.entries()) {
          assert.ok(db, `operator ${i + 1} is up at the end`);
          const ic = db.exportInterchange();
          const targets: bigint[] = [];
          for (const r of ic.data) {
            const as = r.signed_attestations.map((a) => ({
              source: BigInt(a.source_epoch),
              target: BigInt(a.target_epoch),
              signingRoot: a.signing_root ?? null,
            }));
            targets.push(...as.map((a) => a.target));
            for (const [k, a] of as.entries()) {
              for (const b of as.slice(k + 1)) {
                assert.equal(
                  isSlashableAttestationPair(a, b),
                  false,
                  `operator ${i + 1} ${r.pubkey}`,
                );
              }
            }
            const bs = r.signed_blocks.map((b) => ({
              slot: BigInt(b.slot),
              signingRoot: b.signing_root ?? null,
            }));
            for (const [k, a] of bs.entries()) {
              for (const b of bs.slice(k + 1)) assert.equal(isSlashableBlockPair(a, b), false);
            }
          }
          const signedIn = (e: number) => targets.filter((t) => t === BigInt(e)).length;
          for (let e = 2; e < END; e++) {
            // The crashed operator signs nothing while down and during its own watch after the
            // restart (epochs 7 and 8: it restarted mid-epoch 6); the others sign every epoch.
            const quiet = i === DOWN && e > ELECTRA && e < FULU + 3;
            const at = `operator ${i + 1} epoch ${e}: ${signedIn(e)} attestations signed`;
            if (quiet) assert.equal(signedIn(e), 0, at);
            else if (i === DOWN && e === ELECTRA)
              assert.ok(signedIn(e) > 0, at); // crashed mid-epoch
            else assert.ok(signedIn(e) >= 19 + (e < 5 ? 1 : 0), at);
          }
        }

        // attestation_data requests: once per committee before Electra, once per slot after.
        const down = (i: number, slot: number) =>
          i === DOWN && slot >= CRASH_SLOT && slot <= RESTART_SLOT;
        let perSlotChecked = 0;
        let multiCommittee = 0; // post-Electra slots whose signed duties span 2 committees
        for (const [i, calls] of dataCalls.entries()) {
          for (let slot = 2 * SPE; slot < END * SPE; slot++) {
            const signing = c.beacon
              .dutiesAt(slot)
              .filter((d) => c.beacon.included(d.validatorIndex, slot));
            const got = calls.get(slot) ?? [];
            if (down(i, slot) || signing.length === 0) continue;
            const at = `operator ${i + 1} slot ${slot}: ${JSON.stringify(got)}`;
            if (slot < ELECTRA * SPE) {
              const committees = new Set(signing.map((d) => d.committeeIndex));
              assert.deepEqual([...new Set(got)].sort(), [...committees].sort(), at);
              assert.equal(got.length, committees.size, at);
            } else {
              assert.equal(got.length, 1, at);
              perSlotChecked++;
              if (new Set(signing.map((d) => d.committeeIndex)).size > 1) multiCommittee++;
            }
          }
        }
        assert.ok(perSlotChecked >= 6 * (END - ELECTRA) * SPE, `${perSlotChecked} slots checked`);
        assert.ok(multiCommittee >= 7 * SPE, `${multiCommittee} multi-committee slots`);
      },
    );
  });
});
