/**
 * End-to-end, MEV-Boost through a DV squad (issue 15 items 4 and 6): a REAL Lodestar 1.5.1 dev
 * chain (Capella, minimal preset, 2 s slots) with its builder pointing at the devnet relay
 * (src/devnet/mev.ts: `--builder --builder.urls`, src/devnet/relay/), and a 4-operator squad
 * (src/devnet/squad.ts: the README's cluster — `keys split --format cluster` output, one
 * `rpdvt node run` process per operator on 127.0.0.1) running the devnet's 16 validators 48..63.
 *
 * Numbers: 16 of the 64 genesis validators are the squad's, so 2 of an epoch's 8 slots are its
 * proposals on average; Lodestar enables its builder after a fault-inspection window of 8..15
 * slots. The test waits (at most 40 epochs) for 2 blinded squad blocks that landed, then pauses
 * the relay for 3 epochs (P(no squad proposal in 24 slots) = (48/64)^24 ≈ 0.1 %), then resumes.
 *
 * Judged from the RELAY's records (its own BLS checks) and the beacon node's canonical blocks,
 * never from rpdvt's bookkeeping (src/devnet/demo/builder.ts over the judge's landed blocks):
 * - every squad validator's registration reached the relay through the beacon node, signature
 *   verified under the builder domain, with the Rocket Pool fee recipient of the cluster;
 * - blinded blocks of squad validators, verified by the relay under the proposer domain with
 *   the validator's (group) key, landed canonical (same payload hash); the relay refused nothing;
 * - every landed squad block pays the cluster's fee recipient (src/builder/proposal.ts
 *   checkPayment, via the judge);
 * - relay down → the squad's proposals land as local blocks.
 *
 * Not installed → the test FAILS naming the install command (bash devnet/lodestar/install.sh).
 */
import "../../src/devnet/preset.js";
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BeaconClient, createBeaconClient } from "../../src/beacon/index.js";
import { builderProposalCounts, builderReport } from "../../src/devnet/demo/builder.js";
import {
  DEVNET_DV_INDICES,
  ensureInstalled,
  interopPublicKey,
  interopSecretKey,
  type MevDevnet,
  startMevDevnet,
} from "../../src/devnet/index.js";
import { createJudge, type Judge } from "../../src/devnet/judge.js";
import { type Squad, startSquad } from "../../src/devnet/squad.js";
import { toHex } from "../../src/util/hex.js";
import { makeTempDir } from "../helpers.js";
import { acquireMachineLock } from "../support/machine-lock.js";

/** Rocket Pool's smoothing pool on mainnet: the cluster definition's fee recipient. */
const FEE_RECIPIENT = "0xd4e96ef8eee8678dbff4d535e033ed1a4f7605b7";
const SPE = 8;
const MAX_EPOCHS_FOR_BLINDED = 40;
const PAUSE_EPOCHS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("e2e: a 4-operator squad proposes through the devnet relay (Lodestar 1.5.1)", () => {
  let dir = "";
  let mev: MevDevnet | undefined;
  let squad: Squad | undefined;
  let releaseLock: (() => void) | undefined;
  before(async () => {
    // One judged squad at a time on the machine (see test/support/machine-lock.ts).
    releaseLock = (await acquireMachineLock("devnet-squad")).release;
    try {
      await ensureInstalled();
    } catch (err) {
      assert.fail(
        `Lodestar devnet not installed: run bash devnet/lodestar/install.sh (${(err as Error).message})`,
      );
    }
    dir = await makeTempDir("mev-squad");
    // Genesis 60 s out: 4 nodes decrypting 16 share keystores each start in 5 s idle, minutes
    // on a loaded 2-core host (a late squad only delays the first squad duties).
    mev = await startMevDevnet({
      devnet: { workDir: join(dir, "devnet"), genesisDelay: 60 },
      lodestarValidatorsUseBuilder: false,
    });
    squad = await startSquad({
      workDir: join(dir, "squad"),
      keys: DEVNET_DV_INDICES.map((i) => ({
        pubkey: interopPublicKey(i),
        secret: interopSecretKey(i),
      })),
      operatorIds: [1, 2, 3, 4],
      beaconUrl: mev.devnet.restUrl,
      feeRecipient: FEE_RECIPIENT,
      doppelgangerEpochs: 0,
      nodeArgs: ["--builder-registrations"],
    });
  });
  after(async () => {
    await squad?.stopAll();
    await mev?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
    releaseLock?.();
  });

  test("registrations and blinded blocks verified by the relay land; fee recipient right; relay down → local blocks", {
    timeout: 1_800_000,
  }, async () => {
    const m = mev as MevDevnet;
    const beacon: BeaconClient = createBeaconClient([m.devnet.restUrl], { timeoutMs: 4000 });
    const slotMs = m.devnet.secondsPerSlot * 1000;
    const nowSlot = () => Math.floor((Date.now() - m.devnet.genesisTime * 1000) / slotMs);
    const clusterPubkeys = DEVNET_DV_INDICES.map((i) => toHex(interopPublicKey(i)));
    const judge: Judge = createJudge(
      beacon,
      DEVNET_DV_INDICES,
      SPE,
      new Map(DEVNET_DV_INDICES.map((i) => [i, FEE_RECIPIENT])),
    );
    const startEpoch = Math.max(0, Math.floor(nowSlot() / SPE));
    /**
     * Observe every epoch for `epochs` (the beacon node serves proposer duties of the current
     * one only), or until `ok()`; whether `ok()` was reached.
     */
    const observeFor = async (epochs: number, ok: () => Promise<boolean> = async () => false) => {
      const end = nowSlot() + epochs * SPE;
      while (nowSlot() < end) {
        if (nowSlot() >= 0) await judge.observe(Math.floor(nowSlot() / SPE)).catch(() => {});
        if (await ok()) return true;
        await sleep(1000);
      }
      return false;
    };
    const landed = async () => {
      const head = (await beacon.blockHeader("head"))?.slot ?? nowSlot();
      return judge.proposals(startEpoch, Math.floor(head / SPE), head);
    };
    const summary = () => {
      const r = m.relay.records();
      return {
        registrations: r.registrations.length,
        clusterRegistrations: r.registrations.filter((x) => clusterPubkeys.includes(x.pubkey))
          .length,
        blindedBlocks: r.blindedBlocks.length,
        rejected: r.rejected.slice(0, 3),
      };
    };

    // 1. Blinded squad proposals through the relay.
    const blinded = await observeFor(MAX_EPOCHS_FOR_BLINDED, async () => {
      const p = await landed();
      const c = builderProposalCounts(m.relay.records(), clusterPubkeys, p.landedBlocks);
      return (c?.blindedProposals ?? 0) >= 2;
    });
    assert.ok(
      blinded,
      `2 blinded squad blocks did not land within ${MAX_EPOCHS_FOR_BLINDED} epochs; relay saw ${JSON.stringify(summary())}`,
    );
    // 2. Relay down: local blocks.
    await m.relay.pause();
    const pausedFrom = nowSlot() + 1;
    await observeFor(PAUSE_EPOCHS);
    const pausedTo = nowSlot();
    await m.relay.resume();
    await sleep(2 * slotMs);

    const p = await landed();
    const records = m.relay.records();
    const report = builderReport({
      records,
      clusterPubkeys,
      feeRecipient: FEE_RECIPIENT,
      landed: p.landedBlocks,
    });
    const during = builderProposalCounts(
      records,
      clusterPubkeys,
      p.landedBlocks,
      pausedFrom,
      pausedTo,
    );
    console.log(
      JSON.stringify({
        proposals: { duties: p.duties, landed: p.landed, right: p.rightFeeRecipient },
        report,
        paused: { from: pausedFrom, to: pausedTo, ...during },
      }),
    );
    assert.deepEqual(records.rejected, [], "the relay refused nothing it was sent");
    // Every squad validator registered, the relay verified the signature, Rocket Pool recipient.
    const registered = m.relay.registered();
    for (const pk of clusterPubkeys) {
      const reg = registered.get(pk);
      assert.ok(reg, `no verified registration of ${pk.slice(0, 12)}… at the relay`);
      assert.equal(reg.signatureVerified, true);
      assert.equal(reg.feeRecipient, FEE_RECIPIENT);
    }
    assert.equal(report?.registrationsVerified, 16);
    assert.equal(report?.registrationsWrongFeeRecipient, 0);
    assert.ok((report?.blindedProposals ?? 0) >= 2, JSON.stringify(report));
    // Fee recipient of every landed squad block (blinded ones: the relay's payment).
    assert.deepEqual(p.wrongFeeRecipients, []);
    assert.equal(p.rightFeeRecipient, p.landed);
    // Relay down: the squad's proposals still landed, as local blocks.
    assert.equal(during?.blindedProposals, 0, JSON.stringify(during));
    assert.ok(
      (during?.localFallbacks ?? 0) >= 1,
      `local squad blocks while paused: ${JSON.stringify(during)}`,
    );
  });
});
