/**
 * Sync-committee duties against a REAL Lodestar 1.5.1 beacon node (src/devnet, minimal preset:
 * SYNC_COMMITTEE_SIZE 32, subcommittees of 8, so every member is an aggregator), driven through
 * rpdvt's Beacon API client and signing roots (src/core/domain.ts), signed with the full
 * interop key of one of the validators Lodestar leaves to us (48..63):
 *
 * sync duties (POST duties/sync) → head block root → a sync committee message signed for the
 * wrong fork version is rejected, the right one accepted → the contribution for its subcommittee
 * (GET sync_committee_contribution) carries its bit → selection proof + ContributionAndProof
 * accepted (POST contribution_and_proofs) → the next block's sync aggregate has its bit(s) set.
 *
 * Not installed → the test FAILS naming the install command (bash devnet/lodestar/install.sh).
 */
import "../../src/devnet/preset.js";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { DOMAIN_SYNC_COMMITTEE } from "@lodestar/params";
import { type altair, ssz } from "@lodestar/types";
import {
  BeaconApiError,
  type BeaconChainInfo,
  type BeaconClient,
  createBeaconClient,
} from "../../src/beacon/index.js";
import {
  computeDomain,
  computeSigningRoot,
  createSigningRoots,
  isSyncCommitteeAggregator,
  SYNC_SUBCOMMITTEE_SIZE,
  syncSubcommitteeOf,
} from "../../src/core/domain.js";
import { signMessage } from "../../src/crypto/bls.js";
import {
  type DevnetHandle,
  ensureInstalled,
  interopSecretKey,
  startDevnet,
} from "../../src/devnet/index.js";

const DV = Array.from({ length: 16 }, (_, i) => 48 + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const hex = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;

let devnet: DevnetHandle | undefined;
let beacon: BeaconClient;
let chain: BeaconChainInfo;

describe("real Lodestar 1.5.1: sync committee message and contribution", {
  timeout: 140_000,
}, () => {
  before(async () => {
    await ensureInstalled();
    devnet = await startDevnet({ validators: 64, lodestarValidators: "0..47" });
    beacon = createBeaconClient([devnet.restUrl], { timeoutMs: 5000 });
    chain = await beacon.chainInfo();
  });
  after(async () => {
    await devnet?.stop();
    if (devnet) await rm(devnet.workDir, { recursive: true, force: true });
  });

  test("signed via rpdvt's roots: accepted (wrong fork rejected), contributed, in the sync aggregate", async (t) => {
    const roots = createSigningRoots(chain);
    const slotMs = chain.secondsPerSlot * 1000;
    const slotStartMs = (s: number) => chain.genesisTime * 1000 + s * slotMs;
    const currentSlot = () => Math.floor((Date.now() - chain.genesisTime * 1000) / slotMs);
    await sleep(slotStartMs(2) - Date.now());
    const epoch = Math.floor((currentSlot() + 1) / chain.slotsPerEpoch);
    const duties = await beacon.syncCommitteeDuties(epoch, DV);
    t.diagnostic(`${duties.length} of validators 48..63 in the sync committee`);
    assert.ok(duties.length > 0, "some of 48..63 are in the sync committee");
    const duty = duties[0] as (typeof duties)[number];
    const v = duty.validatorIndex;
    const sub = syncSubcommitteeOf(duty.validatorSyncCommitteeIndices) as number;
    // A slot whose NEXT slot Lodestar proposes (48..63 have nobody proposing for them here).
    const proposers = new Map(
      [...(await beacon.proposerDuties(epoch))].map((d) => [d.slot, d.validatorIndex]),
    );
    let slot = currentSlot() + 1;
    while (DV.includes(proposers.get(slot + 1) ?? -1) || !proposers.has(slot + 1)) slot++;
    t.diagnostic(`validator ${v} positions ${duty.validatorSyncCommitteeIndices} at slot ${slot}`);

    // Sync committee message at 1/3 of the slot (altair validator.md), for the head root.
    await sleep(slotStartMs(slot) + slotMs / 3 - Date.now());
    const root = await beacon.beaconBlockRoot("head");
    const phase0Version = chain.forks[0]?.version as Uint8Array;
    const wrong = computeSigningRoot(
      ssz.Root.hashTreeRoot(root),
      computeDomain(DOMAIN_SYNC_COMMITTEE, phase0Version, chain.genesisValidatorsRoot),
    );
    const msg = (signature: Uint8Array): altair.SyncCommitteeMessage => ({
      slot,
      beaconBlockRoot: root,
      validatorIndex: v,
      signature,
    });
    await assert.rejects(
      beacon.submitSyncCommitteeMessages([msg(signMessage(interopSecretKey(v), wrong))]),
      (err: unknown) => err instanceof BeaconApiError && (err.status ?? 0) >= 400,
    );
    const right = signMessage(interopSecretKey(v), roots.syncCommitteeMessage(slot, root));
    await beacon.submitSyncCommitteeMessages([msg(right)]); // resolves only on HTTP 200

    // Contribution at 2/3 of the slot: carries our bit(s); we aggregate it ourselves too.
    await sleep(slotStartMs(slot) + (2 * slotMs) / 3 - Date.now());
    const contribution = await beacon.syncCommitteeContribution(slot, sub, root);
    assert.equal(contribution.aggregationBits.bitLen, SYNC_SUBCOMMITTEE_SIZE);
    for (const p of duty.validatorSyncCommitteeIndices) {
      if (Math.floor(p / SYNC_SUBCOMMITTEE_SIZE) !== sub) continue;
      assert.ok(contribution.aggregationBits.get(p % SYNC_SUBCOMMITTEE_SIZE), `bit of ${p}`);
    }
    const selectionProof = signMessage(interopSecretKey(v), roots.syncSelectionProof(slot, sub));
    assert.ok(isSyncCommitteeAggregator(selectionProof), "minimal preset: modulo 1");
    const message: altair.ContributionAndProof = {
      aggregatorIndex: v,
      contribution,
      selectionProof,
    };
    const signature = signMessage(interopSecretKey(v), roots.contributionAndProof(message));
    await beacon.submitContributionAndProofs([{ message, signature }]);

    // The next block's sync aggregate (for slot `slot`) has the validator's positions set.
    let body: { syncAggregate: altair.SyncAggregate } | undefined;
    for (let i = 0; i < 20 && !body; i++) {
      await sleep(slotStartMs(slot + 1) + slotMs / 2 - Date.now() + i * 250);
      const b = await beacon.block(slot + 1);
      body = (b?.signedBlock.message as unknown as { body?: typeof body })?.body;
    }
    assert.ok(body, `block at slot ${slot + 1}`);
    const bits = body.syncAggregate.syncCommitteeBits;
    for (const p of duty.validatorSyncCommitteeIndices) {
      assert.ok(bits.get(p), `sync aggregate bit ${p} of validator ${v}`);
    }
    t.diagnostic(
      `block ${slot + 1}: ${bits.getTrueBitIndexes().length}/32 sync bits; root ${hex(root)}`,
    );
  });
});
