/**
 * A Byzantine LEADER proposing a bad blinded block (issue 15, Tests: "a Byzantine leader proposing
 * a blinded block paying someone else → no signature"; the rule: src/core/duties/proposer.ts
 * checkBlinded, src/builder/proposal.ts checkBlindedBlock / checkBid). On the simulated network
 * and beacon, n = 4 and n = 7 squads of 24 validators with the builder on; operator 1 runs the
 * honest node but rewrites every PRE-PREPARE it sends as leader of a proposer instance (validly
 * signed by itself, test/simnet/dv.ts `equivocate`) into a blinded block that
 * - pays another fee recipient (the header's fee recipient), or
 * - reports a value below the squad's minimum bid (`minBidWei`; graffiti changed so that the
 *   block is not the honest one), or
 * - is for another slot.
 * Then no operator signs it (no slashing-protection record of its signing root on any operator,
 * the beacon never sees it), the honest operators count the refusal by its reason
 * (rpdvt_consensus_invalid_proposals_total), and the squad still lands a block paying the right
 * recipient in each of those slots (the next round's leader proposes an honest one).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ProducedBlindedBlock } from "../../../../src/core/beacon.js";
import { decodeUnsignedSet, encodeUnsignedSet } from "../../../../src/core/codec.js";
import { createSigningRoots } from "../../../../src/core/domain.js";
import { blindedSigningRoot } from "../../../../src/core/duties/proposer.js";
import { fromHex, toHex } from "../../../../src/util/hex.js";
import { withDvCluster } from "../../../helpers.js";
import type { DvSimCluster } from "../../../simnet/dv.js";

const OTHER = `0x${"66".repeat(20)}`;
const MIN_BID = 10n ** 15n;
const BYZANTINE = 0; // operator 1
const SLOTS = 16;

type Case = {
  name: string;
  reason: string;
  minBidWei: bigint;
  /** The Byzantine leader's rewrite of its honest blinded block (a copy). */
  rewrite(p: ProducedBlindedBlock): void;
};

const CASES: Case[] = [
  {
    name: "pays another fee recipient",
    reason: "fee-recipient",
    minBidWei: 0n,
    rewrite: (p) => {
      p.block.body.executionPayloadHeader.feeRecipient = fromHex(OTHER);
    },
  },
  {
    name: "reports a value below --min-bid-wei",
    reason: "value",
    minBidWei: MIN_BID,
    rewrite: (p) => {
      p.valueWei = MIN_BID - 1n;
      p.block.body.graffiti = new Uint8Array(32).fill(0x42);
    },
  },
  {
    name: "is for another slot",
    reason: "slot",
    minBidWei: 0n,
    rewrite: (p) => {
      p.block.slot += 1;
    },
  },
];

/** Install the Byzantine leader; returns the bad blocks it proposed (slot → signing roots). */
function byzantineLeader(c: DvSimCluster, k: Case): Map<number, Set<string>> {
  const roots = createSigningRoots(c.beacon.chain);
  const bad = new Map<number, Set<string>>();
  c.equivocate(BYZANTINE, (value) => {
    const decoded = decodeUnsignedSet(value);
    if (decoded?.kind !== "blinded_block") return undefined;
    const set = new Map(decoded.set);
    for (const [pk, u] of set) {
      if (u.kind !== "blinded_block") return undefined;
      const slot = u.block.block.slot;
      const block = structuredClone(u.block);
      k.rewrite(block);
      set.set(pk, { kind: "blinded_block", block });
      const root = toHex(blindedSigningRoot(roots, c.beacon.chain.slotsPerEpoch, block));
      bad.set(slot, (bad.get(slot) ?? new Set()).add(root));
    }
    return encodeUnsignedSet(set);
  });
  return bad;
}

/** Every block signing root in operator i's slashing-protection database. */
function signedBlockRoots(c: DvSimCluster, i: number): Set<string> {
  const db = c.dbs[i];
  assert.ok(db, `operator ${i + 1} has its database open`);
  const out = new Set<string>();
  for (const rec of db.exportInterchange().data)
    for (const b of rec.signed_blocks) if (b.signing_root) out.add(b.signing_root.toLowerCase());
  return out;
}

/** Refusals counted by operator i's validity predicate for `reason`. */
async function refusals(c: DvSimCluster, i: number, reason: string): Promise<number> {
  const m = await c.nodes[i]?.metrics.consensusRejected.get();
  return m?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

for (const n of [4, 7] as const) {
  describe(`a Byzantine leader's bad blinded block, n = ${n}, 24 validators`, () => {
    for (const [j, k] of CASES.entries()) {
      it(`a blinded block that ${k.name}: no operator signs it, a good block lands in the slot`, async () => {
        await withDvCluster(
          {
            n,
            validators: 24,
            seed: 2700 + 10 * n + j,
            latencyMs: 20,
            beacon: { proposerEvery: 1 },
          },
          async (c) => {
            c.beacon.builder.enabled = true;
            const bad = byzantineLeader(c, k);
            await c.startAll({
              aggregation: false,
              builder: { boostFactor: 100n, minBidWei: k.minBidWei },
            });
            await c.runToSlot(SLOTS);
            assert.ok(bad.size >= 1, `operator 1 led no proposer instance in ${SLOTS} slots`);
            const badRoots = new Set([...bad.values()].flatMap((s) => [...s]));
            for (let i = 0; i < n; i++) {
              const signed = signedBlockRoots(c, i);
              for (const r of badRoots)
                assert.equal(signed.has(r), false, `operator ${i + 1} signed the bad block ${r}`);
              if (i !== BYZANTINE)
                assert.ok(
                  (await refusals(c, i, k.reason)) >= 1,
                  `operator ${i + 1} counted no "${k.reason}" refusal`,
                );
            }
            const want = (index: number) =>
              c.cluster.validators[index - 100]?.feeRecipient.toLowerCase();
            for (const slot of bad.keys()) {
              // Every operator publishes the aggregated block: one root per slot.
              const landed = c.beacon.blocks.filter((b) => b.slot === slot);
              assert.ok(
                landed.length >= 1,
                `slot ${slot}: no block landed in the bad block's slot`,
              );
              assert.equal(new Set(landed.map((b) => b.root)).size, 1, `slot ${slot}: one root`);
              for (const b of landed)
                assert.equal(b.feeRecipient, want(b.proposerIndex), `slot ${slot} fee recipient`);
            }
            const slots = new Set(c.beacon.blocks.map((b) => b.slot));
            const roots = new Set(c.beacon.blocks.map((b) => `${b.slot}/${b.root}`));
            assert.equal(roots.size, slots.size, "one block root per slot");
            assert.ok(slots.size >= SLOTS - 2, `blocks in slots ${[...slots]}`);
            assert.deepEqual(c.beacon.slashings, []);
            assert.deepEqual(c.beacon.invalid, []);
          },
        );
      });
    }
  });
}
