/**
 * The key guard in a running DV cluster (simulated network and beacon, test/simnet): every
 * operator runs a guard over the same Smartnode folder (src/ops/guard), handed to the node as a
 * signing gate. While the squad runs, the cluster's keys are recreated in each client layout
 * (Lighthouse, Lodestar, Nimbus, Teku, custom-keys, Prysm's store): from the guard's next look
 * those validators' duties are refused with key-exposed and none of their attestations is
 * published; the 18 others keep attesting; no slashable message. Once the files are gone, the
 * validators come back only after the re-armed doppelganger watch: one that was live elsewhere
 * meanwhile stays refused. n = 4 and n = 7, 24 validators.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createKeyGuard, type KeyGuard } from "../../../../src/ops/guard/guard.js";
import { createSmartnodeSource } from "../../../../src/ops/guard/smartnode.js";
import { writeRocketPoolFixture } from "../../../../src/rocketpool/fixture.js";
import { PER_KEY_LAYOUTS, PRYSM, pubkeyName } from "../../../../src/rocketpool/layout.js";
import { makeTempDir, withDvCluster } from "../../../helpers.js";

const SLOTS_PER_EPOCH = 4; // test/simnet/dv.ts createSimBeacon default

describe("key guard in a running cluster", () => {
  for (const n of [4, 7] as const) {
    it(`n = ${n}: recreated keys in each layout stop those validators at the next look; others continue; release after liveness`, async () => {
      const tmp = await makeTempDir("guard-cluster");
      try {
        await withDvCluster({ n, validators: 24, seed: 1600 + n, latencyMs: 20 }, async (c) => {
          // The cluster's own keys, laid out by the Smartnode: 0–4 in every per-key layout and
          // custom-keys; 5 alone in a Prysm store.
          const fxA = await writeRocketPoolFixture(join(tmp, "a"), {
            validators: 0,
            customSecrets: c.secrets.slice(0, 5),
          });
          const fxB = await writeRocketPoolFixture(join(tmp, "b"), {
            validators: 0,
            customSecrets: c.secrets.slice(5, 6),
          });
          const live = join(tmp, "smartnode", "data");
          await fsp.mkdir(live, { recursive: true });
          await fsp.cp(join(fxA.dataDir, "wallet"), join(live, "wallet"));
          const guards: KeyGuard[] = [];
          for (let i = 0; i < n; i++) {
            guards.push(
              createKeyGuard({
                pubkeys: c.pubkeys,
                sources: [createSmartnodeSource(live)],
                liveness: {
                  rearm: (pk, e) => c.nodes[i]?.rearmDoppelganger(pk, e),
                  status: (pk) => c.nodes[i]?.doppelgangerStatus(pk) ?? "watching",
                },
                log: () => {},
              }),
            );
          }
          const lookAll = async (epoch: number) => {
            for (const g of guards) await g.check(epoch);
          };
          await lookAll(0);
          for (let i = 0; i < n; i++)
            await c.startNode(i, {
              aggregation: false,
              doppelgangerEpochs: 1,
              signingGates: [guards[i]?.gate ?? (() => undefined)],
            });
          await c.runToSlot(6);

          // Recreate: validator j in layout j (0–3), custom-keys (4), Prysm's store (5).
          const hex = (j: number) => (c.pubkeys[j] as string).slice(2);
          const recreated: string[] = [];
          for (const [j, layout] of PER_KEY_LAYOUTS.entries()) {
            const rel = layout.keystore(pubkeyName(hex(j)));
            await fsp.mkdir(join(live, rel, ".."), { recursive: true });
            await fsp.cp(join(fxA.dataDir, rel), join(live, rel));
            recreated.push(rel);
          }
          await fsp.mkdir(join(live, "custom-keys"));
          for (const f of await fsp.readdir(join(fxA.dataDir, "custom-keys"))) {
            const ks = JSON.parse(
              await fsp.readFile(join(fxA.dataDir, "custom-keys", f), "utf8"),
            ) as { pubkey: string };
            if (ks.pubkey === hex(4))
              await fsp.cp(join(fxA.dataDir, "custom-keys", f), join(live, "custom-keys", f));
          }
          await fsp.cp(
            join(fxB.dataDir, "validators", "prysm-non-hd"),
            join(live, "validators", "prysm-non-hd"),
            { recursive: true },
          );

          await c.runToSlot(8);
          await lookAll(2); // the guard's look at the start of epoch 2
          for (const g of guards)
            assert.deepEqual(
              g
                .exposed()
                .map((e) => e.pubkey)
                .sort(),
              c.pubkeys.slice(0, 6).sort(),
            );
          await c.runToSlot(16);
          const idx = (j: number) => c.beacon.indexOf(Buffer.from(hex(j), "hex"));
          const exposed = new Set([0, 1, 2, 3, 4, 5].map(idx));
          const duties = c.attesterDuties(8, 16);
          assert.ok(duties.length >= 24 * 2);
          for (const d of duties) {
            assert.equal(
              c.beacon.included(d.validatorIndex, d.slot),
              !exposed.has(d.validatorIndex),
              `validator ${d.validatorIndex} slot ${d.slot}`,
            );
          }
          // Every operator refused them at the signer's gates: key-exposed (from epoch 3 only
          // that), or doppelganger in epoch 2, the watch the guard re-armed when it fired.
          for (const node of c.nodes) {
            const refused = (node?.tracker.reports({ sinceSlot: 8 }) ?? []).filter((r) =>
              c.pubkeys.slice(0, 6).includes(r.pubkey),
            );
            assert.ok(refused.length >= 6, `refused ${refused.length}`);
            for (const r of refused) {
              assert.equal(r.outcome, "failed");
              const allowed = r.slot >= 12 ? ["key-exposed"] : ["key-exposed", "doppelganger"];
              assert.ok(allowed.includes(r.reason ?? ""), `slot ${r.slot}: ${r.reason}`);
            }
          }

          // Gone again at epoch 4; validator 1 is live elsewhere in epoch 5 (a VC that kept the
          // key in memory): it must stay refused; the other five come back after the watch.
          for (const rel of recreated) await fsp.rm(join(live, rel));
          await fsp.rm(join(live, "custom-keys"), { recursive: true });
          await fsp.rm(join(live, PRYSM.dir, ".."), { recursive: true });
          await lookAll(4);
          for (const g of guards) assert.equal(g.state(c.pubkeys[0] as string), "releasing");
          c.beacon.markLive(idx(1), 5);
          await c.runToSlot(20);
          await lookAll(5);
          for (const g of guards) assert.equal(g.state(c.pubkeys[0] as string), "releasing");
          await c.runToSlot(24, c.slotMs / 4);
          await lookAll(6);
          for (const g of guards) {
            assert.deepEqual(
              g.exposed().map((e) => e.pubkey),
              [c.pubkeys[1]],
              "only the validator seen live elsewhere stays refused",
            );
          }
          await c.runToSlot(32);
          for (const d of c.attesterDuties(25, 32)) {
            assert.equal(
              c.beacon.included(d.validatorIndex, d.slot),
              d.validatorIndex !== idx(1),
              `after release: validator ${d.validatorIndex} slot ${d.slot}`,
            );
          }
          assert.deepEqual(c.beacon.slashings, []);
          assert.deepEqual(c.beacon.invalid, []);
          assert.equal(SLOTS_PER_EPOCH, c.beacon.chain.slotsPerEpoch);
        });
      } finally {
        await fsp.rm(tmp, { recursive: true, force: true });
      }
    });
  }
});
