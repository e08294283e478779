/**
 * End-to-end against a REAL Lodestar 1.5.1 beacon node (src/devnet: `lodestar dev`, Capella from
 * genesis, minimal preset, 2 s slots, 64 interop validators of which Lodestar runs 0..47), driven
 * only through rpdvt's Beacon API client (src/beacon) and signing roots (src/core/domain.ts):
 *
 * chain info (Capella at epoch 0, 8-slot epochs, genesis validators root recomputed from the
 * interop keys) → validators 48..63 found by their interop public keys → attester duties →
 * attestation data → ONE attestation signed with the full interop key: accepted, while the same
 * attestation signed for the wrong fork version is rejected → liveness turns true for that
 * validator only → our aggregate (selection proof + AggregateAndProof) accepted and the
 * attestation included in a block → a voluntary exit (wrong signer rejected, right one processed)
 * → blocks proposed for 48..63 (v2 produce, v1 publish) become canonical → the chain finalizes
 * (finalized epoch ≥ 1) → stop: the PID is gone.
 *
 * Not installed → the test FAILS naming the install command (bash devnet/lodestar/install.sh).
 */
import "../../src/devnet/preset.js";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { BitArray } from "@chainsafe/ssz";
import { DOMAIN_BEACON_ATTESTER } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import {
  BeaconApiError,
  type BeaconChainInfo,
  type BeaconClient,
  createBeaconClient,
} from "../../src/beacon/index.js";
import type { AttesterDuty } from "../../src/core/beacon.js";
import {
  computeDomain,
  computeSigningRoot,
  createSigningRoots,
  isAggregator,
  type SigningRoots,
} from "../../src/core/domain.js";
import { signMessage } from "../../src/crypto/bls.js";
import {
  type DevnetHandle,
  ensureInstalled,
  interopPublicKey,
  interopSecretKey,
  isDevnetProcess,
  startDevnet,
} from "../../src/devnet/index.js";

/** Validators Lodestar leaves to us (`--startValidators 0..47` of 64). */
const DV = Array.from({ length: 16 }, (_, i) => 48 + i);
/**
 * hash_tree_root of the genesis registry of `lodestar dev --genesisValidators 64`; recomputed
 * below from the interop keys (withdrawal credentials 0x00 ‖ sha256(pubkey)[1:], 32 ETH, active
 * from epoch 0), so this is a check, not just a constant.
 */
const GENESIS_VALIDATORS_ROOT =
  "0x83431ec7fcf92cfc44947fc0418e831c25e1d0806590231c439830db7ad54fda";

const hex = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

let devnet: DevnetHandle | undefined;
let beacon: BeaconClient;
let chain: BeaconChainInfo;
let roots: SigningRoots;
/** Every block we proposed: slot → validator index. */
const proposed = new Map<number, number>();

const slotStartMs = (slot: number) => (chain.genesisTime + slot * chain.secondsPerSlot) * 1000;
const currentSlot = () =>
  Math.floor((Date.now() / 1000 - chain.genesisTime) / chain.secondsPerSlot);
const sign = (index: number, root: Uint8Array) => signMessage(interopSecretKey(index), root);

/** Propose for our validators in every slot from now until `untilMs`. */
async function proposeUntil(untilMs: number, stopWhen: () => boolean): Promise<void> {
  let epochDuties = new Map<number, number>();
  let dutiesEpoch = -1;
  while (Date.now() < untilMs && !stopWhen()) {
    const slot = currentSlot() + 1;
    const epoch = Math.floor(slot / chain.slotsPerEpoch);
    await sleep(slotStartMs(slot) + 50 - Date.now());
    // Duties of the CURRENT epoch only: Lodestar 1.5.1 labels next-epoch proposer duties with
    // the current epoch's slots (the client rejects them).
    if (epoch !== dutiesEpoch) {
      const duties = await beacon.proposerDuties(epoch);
      epochDuties = new Map(
        duties.filter((d) => DV.includes(d.validatorIndex)).map((d) => [d.slot, d.validatorIndex]),
      );
      dutiesEpoch = epoch;
    }
    const proposer = epochDuties.get(slot);
    if (proposer === undefined) continue;
    const randao = sign(proposer, roots.randao(epoch));
    const produced = await beacon.produceBlock(slot, randao, new Uint8Array(32).fill(0x72));
    assert.equal(produced.block.proposerIndex, proposer);
    const signature = sign(proposer, roots.block(produced.fork, produced.block));
    await beacon.publishBlock({ ...produced, signature });
    proposed.set(slot, proposer);
  }
}

describe("real Lodestar 1.5.1 devnet through rpdvt's beacon client", { timeout: 175_000 }, () => {
  before(async () => {
    await ensureInstalled();
    devnet = await startDevnet({ validators: 64, lodestarValidators: "0..47" });
    beacon = createBeaconClient([devnet.restUrl], { timeoutMs: 5000 });
  });
  after(async () => {
    await devnet?.stop();
    if (devnet) await rm(devnet.workDir, { recursive: true, force: true });
  });

  test("chain info: Capella at epoch 0, 8-slot epochs, 2 s slots, genesis validators root", async () => {
    chain = await beacon.chainInfo();
    roots = createSigningRoots(chain);
    const atZero = chain.forks.filter((f) => f.epoch <= 0).at(-1);
    assert.equal(atZero?.name, "capella");
    assert.equal(hex(atZero?.version ?? new Uint8Array()), "0x03000001");
    assert.equal(chain.slotsPerEpoch, 8);
    assert.equal(chain.secondsPerSlot, 2);
    assert.equal(chain.presetBase, "minimal");
    assert.equal(chain.genesisTime, devnet?.genesisTime);
    // The launcher's probe of the installed 1.5.1 scheduled exactly what the chain reports.
    assert.equal(devnet?.lodestar.version, "1.5.1");
    assert.deepEqual(devnet?.lodestar.forkEpochs, { altair: 0, bellatrix: 0, capella: 0 });
    const registry = Array.from({ length: 64 }, (_, i) => {
      const pubkey = interopPublicKey(i);
      const withdrawalCredentials = createHash("sha256").update(pubkey).digest();
      withdrawalCredentials[0] = 0; // BLS_WITHDRAWAL_PREFIX
      return {
        pubkey,
        withdrawalCredentials,
        effectiveBalance: 32e9,
        slashed: false,
        activationEligibilityEpoch: 0,
        activationEpoch: 0,
        exitEpoch: Number.POSITIVE_INFINITY,
        withdrawableEpoch: Number.POSITIVE_INFINITY,
      };
    });
    assert.equal(hex(ssz.phase0.Validators.hashTreeRoot(registry)), GENESIS_VALIDATORS_ROOT);
    assert.equal(hex(chain.genesisValidatorsRoot), GENESIS_VALIDATORS_ROOT);
    assert.match(await beacon.version(), /^Lodestar\/v1\.5\.1/);
    assert.deepEqual(
      (await beacon.health()).map((h) => h.status),
      ["ready"],
    );
  });

  test("validators 48..63 are found by their interop public keys, active, 32 ETH", async () => {
    const vals = await beacon.validators(DV.map(interopPublicKey));
    assert.deepEqual(
      vals.map((v) => v.index),
      DV,
    );
    for (const v of vals) {
      assert.equal(hex(v.pubkey), hex(interopPublicKey(v.index)));
      assert.equal(v.status, "active_ongoing");
      assert.equal(v.balanceGwei, 32_000_000_000n);
    }
  });

  test("one attestation signed with the full interop key is accepted (wrong fork version rejected), is live, aggregated and included", async (t) => {
    await sleep(slotStartMs(1) - Date.now());
    // Earliest duty of ours at least one slot ahead, so we attest on time.
    const first = currentSlot() + 1;
    const e0 = Math.floor(first / chain.slotsPerEpoch);
    const duties = [
      ...(await beacon.attesterDuties(e0, DV)),
      ...(await beacon.attesterDuties(e0 + 1, DV)),
    ];
    assert.equal(duties.length, 2 * DV.length, "one attester duty per validator per epoch");
    const duty = duties
      .filter((d) => d.slot >= first)
      .sort((a, b) => a.slot - b.slot)[0] as AttesterDuty;
    const v = duty.validatorIndex;
    const epoch = Math.floor(duty.slot / chain.slotsPerEpoch);
    t.diagnostic(`validator ${v}: slot ${duty.slot}, committee ${duty.committeeIndex}`);

    // Attest at 1/3 of the slot (phase0 validator.md), once the slot's block is in.
    await sleep(slotStartMs(duty.slot) + (chain.secondsPerSlot * 1000) / 3 - Date.now());
    const data = await beacon.attestationData(duty.slot, duty.committeeIndex);
    assert.equal(data.slot, duty.slot);
    assert.equal(data.target.epoch, epoch);
    const aggregationBits = BitArray.fromSingleBit(
      duty.committeeLength,
      duty.validatorCommitteeIndex,
    );

    // Same key, but signed for the genesis (phase0) fork version instead of Capella's.
    const phase0Version = chain.forks[0]?.version as Uint8Array;
    const wrongRoot = computeSigningRoot(
      ssz.phase0.AttestationData.hashTreeRoot(data),
      computeDomain(DOMAIN_BEACON_ATTESTER, phase0Version, chain.genesisValidatorsRoot),
    );
    const wrong = { aggregationBits, data, signature: sign(v, wrongRoot) };
    await assert.rejects(beacon.submitAttestations([wrong], [duty]), (err: unknown) => {
      assert.ok(err instanceof BeaconApiError);
      assert.ok((err.status ?? 0) >= 400, `status ${err.status}`);
      assert.match(err.message, /INVALID_SIGNATURE/);
      return true;
    });

    const right = { aggregationBits, data, signature: sign(v, roots.attestation(data)) };
    await beacon.submitAttestations([right], [duty]); // resolves only on HTTP 200

    // Liveness (Lodestar 1.5.1: old GET form, current epoch ± 1 only).
    const other = DV.find((i) => i !== v) as number;
    let live = new Map<number, boolean>();
    for (let i = 0; i < 20 && !live.get(v); i++) {
      live = await beacon.liveness(epoch, [v, other]);
      if (!live.get(v)) await sleep(200);
    }
    assert.equal(live.get(v), true, `validator ${v} live in epoch ${epoch}`);
    assert.equal(live.get(other), false, `validator ${other} (nobody attests for it) not live`);

    // Aggregate it ourselves (minimal preset: committees of 4 < TARGET_AGGREGATORS_PER_COMMITTEE
    // = 16, so every member is an aggregator), before Lodestar's own aggregators at 2/3.
    const dataRoot = ssz.phase0.AttestationData.hashTreeRoot(data);
    const aggregate = await beacon.aggregateAttestation(duty.slot, dataRoot, duty.committeeIndex);
    assert.equal(aggregate.aggregationBits.get(duty.validatorCommitteeIndex), true);
    const selectionProof = sign(v, roots.selectionProof(duty.slot));
    assert.ok(isAggregator(duty.committeeLength, selectionProof));
    const message = { aggregatorIndex: v, aggregate, selectionProof };
    await beacon.submitAggregateAndProofs([
      { message, signature: sign(v, roots.aggregateAndProof(message)) },
    ]);

    // Included in a block of the next slots (MIN_ATTESTATION_INCLUSION_DELAY = 1).
    let includedAt: number | undefined;
    for (let slot = duty.slot + 1; slot <= duty.slot + chain.slotsPerEpoch && !includedAt; slot++) {
      await sleep(slotStartMs(slot) + 1000 - Date.now());
      const atts = (await beacon.blockAttestations(slot)) ?? [];
      const hit = atts.some(
        (a) =>
          a.data.slot === duty.slot &&
          a.data.index === duty.committeeIndex &&
          a.aggregationBits.get(duty.validatorCommitteeIndex),
      );
      if (hit) includedAt = slot;
    }
    assert.ok(includedAt !== undefined, "attestation included within an epoch");
    t.diagnostic(`included at slot ${includedAt}`);
  });

  test("voluntary exit of validator 63: wrongly signed rejected, signed one accepted and processed", async () => {
    const exit = { epoch: Math.floor(currentSlot() / chain.slotsPerEpoch), validatorIndex: 63 };
    const root = roots.voluntaryExit(exit);
    await assert.rejects(
      beacon.submitVoluntaryExit({ message: exit, signature: sign(62, root) }),
      /VOLUNTARY_EXIT_ERROR_INVALID_SIGNATURE/,
    );
    await beacon.submitVoluntaryExit({ message: exit, signature: sign(63, root) });
    let status = "";
    for (let i = 0; i < 12 && status !== "active_exiting"; i++) {
      await sleep(1000);
      status = (await beacon.validators([63]))[0]?.status ?? "";
    }
    assert.equal(status, "active_exiting");
  });

  test("blocks proposed for 48..63 (v2 produce, v1 publish on 1.5.1) become canonical; the chain finalizes", async (t) => {
    const deadline = (chain.genesisTime + 8 * chain.slotsPerEpoch * chain.secondsPerSlot) * 1000;
    let finalized = 0;
    let done = false;
    let watchError: unknown;
    const watch = (async () => {
      while (!done && Date.now() < deadline && finalized < 1) {
        finalized = (await beacon.finalityCheckpoints()).finalized.epoch;
        if (finalized < 1) await sleep(2000);
      }
    })().catch((err: unknown) => {
      watchError = err;
    });
    try {
      await proposeUntil(deadline, () => finalized >= 1 && proposed.size > 0);
    } finally {
      done = true;
      await watch;
    }
    assert.equal(watchError, undefined);
    assert.ok(proposed.size > 0, "one of 48..63 had a proposer duty");
    await sleep(slotStartMs(currentSlot() + 1) + 500 - Date.now());
    for (const [slot, proposer] of proposed) {
      const h = await beacon.blockHeader(slot);
      assert.equal(h?.proposerIndex, proposer, `our block at slot ${slot}`);
      assert.equal(h?.canonical, true);
    }
    assert.ok(finalized >= 1, `finalized epoch ${finalized} ≥ 1 by genesis + 8 epochs`);
    t.diagnostic(
      `proposed at slots ${[...proposed.keys()].join(",")}; finalized epoch ${finalized} at ${Math.round(Date.now() / 1000 - chain.genesisTime)} s after genesis`,
    );
    const bal = await beacon.balances(DV.slice(0, 2));
    assert.equal(bal.size, 2);
  });

  test("stop(): the node's PID is gone", async () => {
    const pid = devnet?.pid as number;
    await devnet?.stop();
    assert.equal(isDevnetProcess(pid), false);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
