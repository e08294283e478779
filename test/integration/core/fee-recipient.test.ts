/**
 * Fee recipient per validator (issue #7): the node registers the cluster definition's fee
 * recipients with its beacon node(s) (POST prepare_beacon_proposer) at start and every epoch, and
 * consensus validity refuses a block whose execution payload pays anyone else — so with a beacon
 * node that ignores the registration no operator signs the block, and with one that honours it
 * the block lands paying the right address. The simulated beacon forgets a registration after
 * SIM_PREPARATION_EPOCHS epochs, like Lodestar, so the per-epoch renewal is exercised too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecretKey } from "@chainsafe/blst";
import { type BeaconNode, fallbackBeacon } from "../../../src/core/beacon.js";
import { encodeUnsignedSet } from "../../../src/core/codec.js";
import { createSigningRoots } from "../../../src/core/domain.js";
import { createDutyHandlers } from "../../../src/core/duties/index.js";
import { indexHandlers } from "../../../src/core/duty-handler.js";
import { createValidityCheck } from "../../../src/core/fetcher/validate.js";
import { metricValue } from "../../../src/core/metrics.js";
import { DutyType } from "../../../src/core/types.js";
import { publicKeyOf } from "../../../src/crypto/bls.js";
import { toHex } from "../../../src/util/hex.js";
import { withDvCluster } from "../../helpers.js";
import { createSimBeacon, SIM_DEFAULT_FEE_RECIPIENT } from "../../simnet/beacon.js";
import { randomSecret } from "../../simnet/dv.js";
import { createPrng } from "../../simnet/prng.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const view = {
  attestationOk: () => true,
  blockOk: () => true,
  recordAttestation() {},
  recordBlock() {},
};

describe("consensus validity: the block's fee recipient", () => {
  it("accepts the cluster definition's recipient, refuses any other (reason fee-recipient)", async () => {
    const secret = randomSecret(createPrng(71));
    const pubkey = publicKeyOf(secret);
    const pk = toHex(pubkey);
    const clock = { now: () => 0, setTimeout: () => () => {} };
    const beacon = createSimBeacon({
      clock,
      validators: [pubkey],
      slotsPerEpoch: 4,
      proposerEvery: 1,
    });
    const roots = createSigningRoots(beacon.chain);
    const randao = SecretKey.fromBytes(secret).sign(roots.randao(0)).toBytes();
    const rejects: string[] = [];
    const check = (feeRecipients: ReadonlyMap<string, string> | undefined) =>
      createValidityCheck({
        chain: beacon.chain,
        roots,
        view,
        validators: new Set([pk]),
        feeRecipients,
        localDuty: () => undefined,
        handlers: indexHandlers(createDutyHandlers()),
        onReject: (r) => rejects.push(r),
      });
    const isValid = check(new Map([[pk, FEE]]));
    const inst = { slot: 2, dutyType: DutyType.Proposer };
    const value = async () => {
      const block = await beacon.produceBlock(2, randao, new Uint8Array(32));
      return encodeUnsignedSet(new Map([[pk, { kind: "block", block }]]));
    };

    const unregistered = await value(); // the beacon node's default recipient
    assert.equal(isValid(unregistered, inst), false);
    await beacon.prepareBeaconProposer([
      { validatorIndex: 100, feeRecipient: `0x${"11".repeat(20)}` },
    ]);
    assert.equal(isValid(await value(), inst), false, "another address");
    await beacon.prepareBeaconProposer([{ validatorIndex: 100, feeRecipient: FEE }]);
    const right = await value();
    assert.equal(isValid(right, inst), true, "the cluster's address (any letter case)");
    assert.equal(check(new Map())(right, inst), false, "a validator without a recipient");
    assert.equal(check(undefined)(right, inst), false, "no recipients given: no block is valid");
    assert.deepEqual(rejects, Array(4).fill("fee-recipient"));
  });
});

describe("DV proposer duty and fee recipients (simnet)", () => {
  it("beacon nodes that ignore the registration: the block pays their default, nobody signs it", async () => {
    await withDvCluster(
      { n: 4, validators: 3, seed: 171, latencyMs: 20, beacon: { proposerEvery: 3 } },
      async (c) => {
        for (const b of c.beacons) b.ignoreProposerPreparation(true);
        const errors: string[] = [];
        await c.startAll({
          aggregation: false,
          onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`),
        });
        await c.runToSlot(8);
        assert.deepEqual(c.beacon.blocks, [], "no block published");
        assert.deepEqual(c.beacon.invalid, []);
        for (const node of c.nodes) {
          assert.ok(node);
          assert.ok(
            (await metricValue(node.metrics.consensusRejected, { reason: "fee-recipient" })) > 0,
          );
          // Randao reveals are signed (no fee recipient in them); no block signature exists.
          const s = node.tracker.summary();
          assert.equal(s.proposer?.success, undefined, JSON.stringify(s));
          assert.ok((s.randao?.success ?? 0) >= 2, JSON.stringify(s));
          const blockReports = node.tracker
            .reports({ type: DutyType.Proposer })
            .filter((r) => r.outcome === "failed");
          assert.ok(blockReports.length >= 2, JSON.stringify(blockReports));
        }
        // The registration was sent (and ignored); the fetcher said what is wrong.
        assert.ok(c.beacons.every((b) => b.preparations.length >= 2));
        assert.ok(
          errors.some(
            (e) =>
              e.includes(`fee recipient ${SIM_DEFAULT_FEE_RECIPIENT}`) &&
              e.includes("prepare_beacon_proposer"),
          ),
          errors.join("\n"),
        );
      },
    );
  });

  it("beacon nodes that honour it: every block lands paying the validator's own recipient, renewed every epoch", async () => {
    await withDvCluster(
      { n: 4, validators: 3, seed: 172, latencyMs: 20, beacon: { proposerEvery: 3 } },
      async (c) => {
        // One operator's beacon node ignores the registration: the others' blocks win.
        c.beacons[0]?.ignoreProposerPreparation(true);
        await c.startAll({ aggregation: false });
        await c.runToSlot(17); // epochs 0..4: registrations expire after 2 epochs unless renewed
        const want = (index: number) =>
          c.cluster.validators[index - 100]?.feeRecipient.toLowerCase();
        const slots = [...new Set(c.beacon.blocks.map((b) => b.slot))].sort((x, y) => x - y);
        assert.deepEqual(slots, [0, 3, 6, 9, 12, 15]);
        for (const b of c.beacon.blocks) assert.equal(b.feeRecipient, want(b.proposerIndex));
        assert.equal(new Set(c.beacon.blocks.map((b) => b.feeRecipient)).size, 3);
        for (const b of c.beacons.slice(1)) {
          assert.deepEqual(
            [...new Set(b.preparations.map((p) => p.epoch))],
            [0, 1, 2, 3, 4],
            "registered at start and every epoch",
          );
          assert.deepEqual(
            b.preparations[0]?.entries,
            c.cluster.validators.map((v, i) => ({
              validatorIndex: 100 + i,
              feeRecipient: v.feeRecipient,
            })),
          );
        }
        assert.deepEqual(c.beacon.invalid, []);
        assert.deepEqual(c.beacon.slashings, []);
      },
    );
  });

  it("a failed registration is reported, not fatal, and retried the next epoch", async () => {
    await withDvCluster({ n: 4, validators: 2, seed: 173, latencyMs: 20 }, async (c) => {
      const b = c.beacons[1];
      assert.ok(b);
      const honest = b.prepareBeaconProposer.bind(b);
      let refuse = true;
      b.prepareBeaconProposer = async (entries) => {
        if (refuse) throw new Error("HTTP 500 from the beacon node");
        return honest(entries);
      };
      const errors: string[] = [];
      await c.startAll({
        aggregation: false,
        onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`),
      });
      await c.runToSlot(3);
      refuse = false;
      assert.deepEqual(errors, ["fee recipients for epoch 0: HTTP 500 from the beacon node"]);
      assert.equal(b.preparations.length, 0);
      await c.runToSlot(5);
      assert.deepEqual(
        b.preparations.map((p) => p.epoch),
        [1],
      );
      assert.ok(
        (c.nodes[1]?.tracker.summary().attester?.success ?? 0) > 0,
        "duties went on meanwhile",
      );
    });
  });

  it("fallbackBeacon sends the registration to every node; one failing is reported after all got it", async () => {
    const clock = { now: () => 0, setTimeout: () => () => {} };
    const beacon = createSimBeacon({ clock, validators: [], slotsPerEpoch: 4 });
    const [x, y, z] = [beacon.view(), beacon.view(), beacon.view()];
    const entries = [{ validatorIndex: 100, feeRecipient: FEE }];
    await fallbackBeacon([x, y] as BeaconNode[]).prepareBeaconProposer(entries);
    assert.deepEqual([x.preparations.length, y.preparations.length], [1, 1]);
    z.setDown(true);
    await assert.rejects(
      fallbackBeacon([z, x, y] as BeaconNode[]).prepareBeaconProposer(entries),
      /1 of 3 beacon nodes refused the fee recipients/,
    );
    assert.deepEqual([x.preparations.length, y.preparations.length], [2, 2]);
  });
});
