/**
 * The key guard on a REAL Lodestar 1.5.1 devnet (issue 16 part 2): a 4-operator squad runs
 * interop validators 40–63 (24, threshold 3) with `node run --rocketpool-dir DIR` on every node
 * (the squad shares the owner's host). While it runs, the cluster's keystores are recreated in
 * each Smartnode client layout — validator 40 Lighthouse, 41 Lodestar, 42 Nimbus, 43 Teku, 44
 * custom-keys, 45 Prysm's store (written by the Smartnode fixture from the validators' own
 * secrets) just after an epoch start (the worst case for a guard that looked once per epoch: it
 * found them ~1 epoch later). Then:
 * - those six stop within one epoch: none of their duties from the slot after the recreate on
 *   succeeds (the guard looks every slot and on an fs.watch change, src/ops/guard/schedule.ts),
 *   and each node refuses (key-exposed, or doppelganger in the re-armed watch) the validator's
 *   first duty after the recreate (this epoch's or the next: one duty per epoch); each node
 *   logged DANGER naming the path; the
 *   measured latencies (ms from the recreate to each node's DANGER, slots to first refusal) are
 *   reported;
 * - the 18 others keep attesting;
 * - once the files are gone again, the six come back after the liveness watch;
 * - nothing slashable: no validator slashed on the beacon node, its slashing pools empty, and each
 *   node's slashing-protection DB is consistent (no double or surround vote) and holds nothing for
 *   the six between the guard's refusal and their release.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createBeaconClient } from "../../src/beacon/index.js";
import {
  type DevnetHandle,
  ensureInstalled,
  interopPublicKey,
  interopSecretKey,
  startDevnet,
} from "../../src/devnet/index.js";
import { type Squad, startSquad } from "../../src/devnet/squad.js";
import { writeRocketPoolFixture } from "../../src/rocketpool/fixture.js";
import { PER_KEY_LAYOUTS, PRYSM, pubkeyName } from "../../src/rocketpool/layout.js";
import { SlashingProtectionDb } from "../../src/slashing/db.js";
import { acquireMachineLock } from "../support/machine-lock.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const SLOTS_PER_EPOCH = 8; // the devnet's minimal preset
const SQUAD = Array.from({ length: 24 }, (_, i) => 40 + i);
const EXPOSED = [40, 41, 42, 43, 44, 45];
const hexOf = (i: number) => Buffer.from(interopPublicKey(i)).toString("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

type DutyLine = { slot: number; type: string; validator: string; outcome: string; reason?: string };

let devnet: DevnetHandle | undefined;
let squad: Squad | undefined;
let dir = "";

/** Every node's duty log lines and DANGER lines (the node logs one JSON object per line). */
async function nodeLogs(s: Squad) {
  const out: { duties: DutyLine[]; danger: Record<string, unknown>[] }[] = [];
  for (const op of s.operators) {
    const text = await fsp.readFile(op.logFile, "utf8").catch(() => "");
    const duties: DutyLine[] = [];
    const danger: Record<string, unknown>[] = [];
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.event === "duty") duties.push(j as unknown as DutyLine);
        if (j.event === "DANGER") danger.push(j);
      } catch {
        // a partial last line
      }
    }
    out.push({ duties, danger });
  }
  return out;
}

describe("key guard on the Lodestar devnet", { timeout: 1_500_000 }, () => {
  let releaseLock: (() => void) | undefined;
  before(async () => {
    // One judged squad at a time on the machine (see test/support/machine-lock.ts).
    releaseLock = (await acquireMachineLock("devnet-squad")).release;
    await ensureInstalled();
    dir = await fsp.mkdtemp(join(tmpdir(), "rpdvt-key-guard-"));
    devnet = await startDevnet({ validators: 64, lodestarValidators: "0..39" });
  });
  after(async () => {
    await squad?.stopAll();
    await devnet?.stop();
    if (devnet) await fsp.rm(devnet.workDir, { recursive: true, force: true });
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
    releaseLock?.();
  });

  test("recreated keystores in each layout stop those validators within one epoch; nothing slashable", async (t) => {
    const d = devnet as DevnetHandle;
    // The Smartnode's files for the cluster's own keys; the live folder starts quarantined.
    const fxA = await writeRocketPoolFixture(join(dir, "a"), {
      validators: 0,
      customSecrets: EXPOSED.slice(0, 5).map(interopSecretKey),
    });
    const fxB = await writeRocketPoolFixture(join(dir, "b"), {
      validators: 0,
      customSecrets: [interopSecretKey(45)],
    });
    const live = join(dir, "smartnode", "data");
    await fsp.mkdir(live, { recursive: true });
    await fsp.cp(join(fxA.dataDir, "wallet"), join(live, "wallet"));
    squad = await startSquad({
      workDir: join(dir, "squad"),
      keys: SQUAD.map((i) => ({ pubkey: interopPublicKey(i), secret: interopSecretKey(i) })),
      operatorIds: [1, 2, 3, 4],
      beaconUrl: d.restUrl,
      feeRecipient: FEE,
      doppelgangerEpochs: 1,
      nodeArgs: ["--rocketpool-dir", join(dir, "smartnode")],
    });
    const s = squad;
    const slotMs = d.secondsPerSlot * 1000;
    const slotNow = () => Math.floor((Date.now() / 1000 - d.genesisTime) / d.secondsPerSlot);
    const untilSlot = (slot: number) =>
      sleep((d.genesisTime + slot * d.secondsPerSlot) * 1000 - Date.now());

    // The squad attests for all 24 first (doppelganger watch: one epoch).
    const warm = slotNow();
    await untilSlot((Math.floor(warm / SLOTS_PER_EPOCH) + 3) * SLOTS_PER_EPOCH);

    // Recreate, just after an epoch start.
    const recreateStartMs = Date.now();
    const recreated: string[] = [];
    for (const [j, layout] of PER_KEY_LAYOUTS.entries()) {
      const rel = layout.keystore(pubkeyName(hexOf(EXPOSED[j] as number)));
      await fsp.mkdir(join(live, rel, ".."), { recursive: true });
      await fsp.cp(join(fxA.dataDir, rel), join(live, rel));
      recreated.push(rel);
    }
    await fsp.cp(join(fxA.dataDir, "custom-keys"), join(live, "custom-keys"), { recursive: true });
    for (const f of await fsp.readdir(join(live, "custom-keys"))) {
      const ks = JSON.parse(await fsp.readFile(join(live, "custom-keys", f), "utf8")) as {
        pubkey: string;
      };
      if (ks.pubkey !== hexOf(44)) await fsp.rm(join(live, "custom-keys", f));
    }
    await fsp.cp(
      join(fxB.dataDir, "validators", "prysm-non-hd"),
      join(live, "validators", "prysm-non-hd"),
      {
        recursive: true,
      },
    );
    // The slot in which the last file appeared: from the next slot on, nothing of theirs is signed.
    const recreatedAt = slotNow();
    const stopBy = recreatedAt + 1;
    t.diagnostic(
      `recreated in slot ${recreatedAt} (epoch slot ${recreatedAt % SLOTS_PER_EPOCH}), ${Date.now() - recreateStartMs} ms of writes`,
    );
    await untilSlot(stopBy + 3 * SLOTS_PER_EPOCH);

    // Gone again; the six come back after the guard's next look and the one-epoch liveness watch.
    const removedAt = slotNow();
    for (const rel of recreated) await fsp.rm(join(live, rel), { force: true });
    await fsp.rm(join(live, "custom-keys"), { recursive: true, force: true });
    await fsp.rm(join(live, PRYSM.dir, ".."), { recursive: true, force: true });
    const backFrom = (Math.floor(removedAt / SLOTS_PER_EPOCH) + 3) * SLOTS_PER_EPOCH;
    await untilSlot(backFrom + 4 * SLOTS_PER_EPOCH + 2);

    const logs = await nodeLogs(s);
    const short = (i: number) => `0x${hexOf(i)}`.slice(0, 12);
    const exposedShort = new Set(EXPOSED.map(short));
    const latencies: number[] = [];
    const dangerMs: number[] = [];
    const reasons = new Map<string, number>();
    const keyExposed = new Set<number>();
    const notBack: string[] = [];
    for (const [n, log] of logs.entries()) {
      const attest = log.duties.filter((l) => l.type === "attester");
      for (const i of EXPOSED) {
        const mine = attest.filter((l) => l.validator === short(i));
        const refused = mine.filter((l) => l.slot >= recreatedAt && l.outcome === "failed");
        const first = refused.find(
          (l) => l.reason === "key-exposed" || l.reason === "doppelganger",
        );
        assert.ok(first, `operator ${n + 1}, validator ${i}: a refusal after the recreate`);
        latencies.push(first.slot - recreatedAt);
        // A validator attests once per epoch: its first duty after the recreate is in this epoch
        // or the next. That duty is already refused (the stop itself is checked from the next
        // slot on below); a CI run refused validator 42 at slot 42 after a recreate at slot 32,
        // its epoch-4 duty having been at slot 32, before the guard could look.
        const nextEpochEnd = (Math.floor(recreatedAt / SLOTS_PER_EPOCH) + 2) * SLOTS_PER_EPOCH;
        assert.ok(
          first.slot < nextEpochEnd,
          `operator ${n + 1}, validator ${i}: first refusal at slot ${first.slot}, after its duty of the epoch following the recreate (slot ${recreatedAt})`,
        );
        const firstDuty = mine.find((l) => l.slot >= stopBy);
        assert.ok(
          firstDuty && firstDuty.outcome === "failed",
          `operator ${n + 1}, validator ${i}: its first duty after the recreate (slot ${firstDuty?.slot}) was not refused`,
        );
        // Stopped from the slot after the recreate: no duty of theirs succeeds. Most are refused
        // at the signer (key-exposed, or doppelganger in the re-armed watch's epoch); on a loaded
        // host some fail earlier (no-quorum, …) and never reach a signature either.
        const during = mine.filter((l) => l.slot >= stopBy && l.slot < removedAt);
        for (const l of during)
          assert.equal(l.outcome, "failed", `operator ${n + 1} validator ${i} slot ${l.slot}`);
        for (const l of during) reasons.set(l.reason ?? "", (reasons.get(l.reason ?? "") ?? 0) + 1);
        if (mine.some((l) => l.slot >= recreatedAt && l.reason === "key-exposed"))
          keyExposed.add(i);
        if (!mine.some((l) => l.slot >= backFrom && l.outcome === "success"))
          notBack.push(`operator ${n + 1} validator ${i}`);
      }
      for (const i of SQUAD.filter((v) => !EXPOSED.includes(v))) {
        const ok = attest.filter(
          (l) =>
            l.validator === short(i) &&
            l.slot >= stopBy &&
            l.slot < removedAt &&
            l.outcome === "success",
        );
        assert.ok(
          ok.length >= 1,
          `operator ${n + 1}, validator ${i} kept attesting (${ok.length})`,
        );
      }
      for (const i of EXPOSED) {
        const d = log.danger.find((l) => String(l.validator).startsWith(short(i)));
        if (d) dangerMs.push(Date.parse(String(d.time)) - recreateStartMs);
      }
      const where = JSON.stringify(log.danger);
      for (const rel of recreated) assert.ok(where.includes(rel), `DANGER names ${rel}`);
      assert.ok(where.includes("custom-keys/") && where.includes(PRYSM.keystore));
      assert.ok(log.danger.every((l) => exposedShort.has(String(l.validator).slice(0, 12))));
    }
    t.diagnostic(`their duties while exposed, by failure reason: ${JSON.stringify([...reasons])}`);
    assert.deepEqual([...keyExposed].sort(), EXPOSED, "each refused with key-exposed by the squad");
    assert.deepEqual(notBack, [], "back after removal + liveness watch");
    t.diagnostic(
      `recreated at slot ${recreatedAt}; first refusal after ${Math.min(...latencies)}–${Math.max(...latencies)} slots (epoch = ${SLOTS_PER_EPOCH} slots of ${slotMs} ms); DANGER logged ${Math.min(...dangerMs)}–${Math.max(...dangerMs)} ms after the recreate started`,
    );
    assert.equal(
      dangerMs.length,
      4 * EXPOSED.length,
      "every node logged DANGER for each of the six",
    );

    // Nothing slashable.
    const beacon = createBeaconClient([d.restUrl], { timeoutMs: 5_000 });
    const states = await beacon.validators(SQUAD);
    assert.equal(states.length, 24);
    assert.deepEqual(
      states.filter((v) => v.slashed),
      [],
    );
    for (const pool of ["attester_slashings", "proposer_slashings"]) {
      const res = await fetch(`${d.restUrl}/eth/v1/beacon/pool/${pool}`);
      assert.deepEqual(((await res.json()) as { data: unknown[] }).data, [], pool);
    }
    const chain = await beacon.chainInfo();
    await s.stopAll();
    const guardEpochs = [
      Math.ceil(stopBy / SLOTS_PER_EPOCH),
      Math.floor(removedAt / SLOTS_PER_EPOCH),
    ];
    for (const op of s.operators) {
      const db = SlashingProtectionDb.open(join(op.dir, "data"), {
        genesisValidatorsRoot: chain.genesisValidatorsRoot,
      });
      try {
        for (const rec of db.exportInterchange().data) {
          const targets = rec.signed_attestations.map((a) => Number(a.target_epoch));
          assert.equal(
            new Set(targets).size,
            targets.length,
            `${op.id}: double vote ${rec.pubkey}`,
          );
          const atts = rec.signed_attestations
            .map((a) => [Number(a.source_epoch), Number(a.target_epoch)] as const)
            .sort((x, y) => x[1] - y[1]);
          for (let k = 1; k < atts.length; k++)
            assert.ok(
              (atts[k]?.[0] ?? 0) >= (atts[k - 1]?.[0] ?? 0),
              `${op.id}: surround vote ${rec.pubkey}`,
            );
          if (EXPOSED.map((i) => `0x${hexOf(i)}`).includes(rec.pubkey))
            assert.deepEqual(
              targets.filter(
                (e) => e > (guardEpochs[0] as number) && e < (guardEpochs[1] as number),
              ),
              [],
              `${op.id}: nothing signed for ${rec.pubkey} while refused`,
            );
        }
      } finally {
        db.close();
      }
    }
  });
});
