/**
 * src/core/signer/doppelganger.ts: a watch re-armed in an epoch the cluster already signed in
 * (the key guard firing after the squad's attestation of that epoch) does not take the squad's
 * own signature for a doppelganger — while a validator live without the cluster still is one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BeaconNode } from "../../../../src/core/beacon.js";
import { createDoppelganger } from "../../../../src/core/signer/doppelganger.js";

const PK_A = `0x${"aa".repeat(48)}`;
const PK_B = `0x${"bb".repeat(48)}`;

/** A beacon double whose liveness says every asked index was live in every epoch. */
function allLive(): BeaconNode {
  return {
    liveness: async (_epoch: number, indices: number[]) => new Map(indices.map((i) => [i, true])),
  } as unknown as BeaconNode;
}

test("re-armed after the cluster signed in the epoch: the squad's own signature is no doppelganger", async () => {
  const detected: string[] = [];
  const dg = createDoppelganger({
    epochs: 1,
    beacon: allLive(),
    onDetected: (pk) => detected.push(pk),
  });
  dg.start(3);
  dg.track(PK_A, 40, 3);
  dg.track(PK_B, 41, 3);
  // Epoch 3: the start watch; the cluster signs both (peers' partials observed).
  dg.observeCluster(PK_A, 3);
  dg.observeCluster(PK_B, 3);
  await dg.poll(4);
  assert.equal(dg.status(PK_A), "safe");
  assert.equal(dg.status(PK_B), "safe");
  // Epoch 5: the squad signs both (the watch is done, so this is outside any watch) …
  dg.observeCluster(PK_A, 5);
  dg.observeCluster(PK_B, 5);
  // … then the key guard fires for A in the same epoch and re-arms its watch from epoch 5.
  dg.rearm(PK_A, 5);
  assert.equal(dg.gate(PK_A), "doppelganger", "watching again: refused meanwhile");
  await dg.poll(5); // epoch 5 not finished: nothing checked yet
  await dg.poll(6);
  assert.deepEqual(detected, [], "live in epoch 5 by the cluster itself: no doppelganger");
  assert.equal(dg.status(PK_A), "safe");
  assert.equal(dg.gate(PK_A), undefined);
  // A validator live in a watched epoch WITHOUT the cluster producing it is a doppelganger.
  dg.rearm(PK_B, 7);
  await dg.poll(8);
  assert.deepEqual(detected, [PK_B]);
  assert.equal(dg.status(PK_B), "detected");
  assert.equal(dg.gate(PK_B), "doppelganger");
});
