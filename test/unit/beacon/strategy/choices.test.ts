/**
 * The strategies' pure choices (src/beacon/strategy/attestation-majority.ts, attestation-best.ts,
 * proposal-best.ts; Vouch's score.go formulas): majority groups by root with ties to the newer
 * head, best scores source + target + 1/(1 + slot − head slot), proposals by total value.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ForkName } from "@lodestar/params";
import type { phase0 } from "@lodestar/types";
import {
  chooseBestData,
  chooseBestProposal,
  chooseMajority,
  type DataAnswer,
  hasMajority,
  scoreAttestationData,
  scoreProposal,
  strictMajority,
  type ValuedBlock,
} from "../../../../src/beacon/strategy/index.js";

const data = (
  slot: number,
  head: number,
  target = Math.floor(slot / 32),
): phase0.AttestationData => ({
  slot,
  index: 0,
  beaconBlockRoot: new Uint8Array(32).fill(head),
  source: { epoch: target - 1, root: new Uint8Array(32) },
  target: { epoch: target, root: new Uint8Array(32).fill(target) },
});
const answer = (node: string, slot: number, head: number, target?: number): DataAnswer => ({
  node,
  data: data(slot, head, target),
  root: `r${head}-${target ?? ""}`,
  headSlot: head,
});

test("strict majority of n = 4 and n = 7", () => {
  assert.equal(strictMajority(4), 3);
  assert.equal(strictMajority(7), 4);
  const seven = ["a", "b", "c", "d", "e", "f", "g"];
  const fresh = seven.slice(0, 4).map((n) => answer(n, 100, 100));
  const stale = seven.slice(4).map((n) => answer(n, 100, 98));
  assert.equal(hasMajority([...stale, ...fresh.slice(0, 3)], 7), false);
  assert.equal(hasMajority([...stale, ...fresh], 7), true);
  const c = chooseMajority([...stale, ...fresh]);
  assert.equal(c?.votes, 4);
  assert.deepEqual(c?.nodes, ["a", "b", "c", "d"]);
});

test("majority: a tie goes to the newer head, then to the first answered", () => {
  const c = chooseMajority([
    answer("old1", 100, 97),
    answer("new1", 100, 100),
    answer("old2", 100, 97),
    answer("new2", 100, 100),
  ]);
  assert.equal(c?.answer.node, "new1");
  const unknown = { ...answer("u", 100, 0), headSlot: undefined, root: "x" };
  assert.equal(chooseMajority([unknown, answer("k", 100, 99)])?.answer.node, "k");
  assert.equal(chooseMajority([]), undefined);
});

test("best: higher checkpoints, then the nearest head; a stale node loses", () => {
  assert.equal(scoreAttestationData(data(100, 99, 3), 99), 2 + 3 + 1 / 2);
  assert.equal(scoreAttestationData(data(100, 99, 3), undefined), 5);
  const answers = [
    answer("stale", 100, 90, 3),
    answer("fresh", 100, 100, 3),
    answer("fresh2", 100, 100, 3),
  ];
  assert.equal(chooseBestData(answers)?.answer.node, "fresh");
  // A node that missed the epoch boundary (older target) loses to any head distance.
  const old = chooseBestData([answer("oldtarget", 100, 100, 2), answer("far", 100, 70, 3)]);
  assert.equal(old?.answer.node, "far");
});

test("best proposal: highest execution + consensus value, first of equals", () => {
  const block = (e?: bigint, c?: bigint): ValuedBlock => ({
    fork: ForkName.deneb,
    block: {} as ValuedBlock["block"],
    executionPayloadValue: e,
    consensusBlockValue: c,
  });
  assert.equal(scoreProposal(block(5n, 2n)), 7n);
  assert.equal(scoreProposal(block()), 0n);
  const best = chooseBestProposal([
    { node: "a", block: block(10n ** 16n, 1n) },
    { node: "b", block: block(10n ** 17n) },
    { node: "c", block: block(10n ** 17n) },
  ]);
  assert.equal(best?.node, "b");
  assert.equal(best?.value, 10n ** 17n);
});
