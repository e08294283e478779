/**
 * The demo's MEV-Boost report (src/devnet/demo/builder.ts) from the relay's records and the
 * judge's landed blocks: 24 cluster validators (n = 4 and n = 7 squads alike: the report is per
 * validator), mixed states — verified registrations for the active ones, none for the
 * never-deposited ones, one registered with ANOTHER fee recipient —, blinded blocks that landed,
 * one orphaned, one of a validator outside the cluster, local blocks; and no relay → null (n/a),
 * not zeros.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { builderProposalCounts, builderReport } from "../../../../src/devnet/demo/builder.js";
import type { LandedBlock } from "../../../../src/devnet/judge.js";
import type { RelayRecords } from "../../../../src/devnet/relay/relay.js";

const RP = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
const OTHER = "0x1111111111111111111111111111111111111111";
const pk = (i: number) => `0x${i.toString(16).padStart(4, "0")}${"ab".repeat(46)}`;
const hash = (i: number) => `0x${i.toString(16).padStart(64, "0")}`;
/** Cluster validators 48..71 (24): 48..69 active, 70..71 never deposited. */
const CLUSTER = Array.from({ length: 24 }, (_, i) => pk(48 + i));

function registration(i: number, feeRecipient = RP, timestamp = 1000) {
  return {
    pubkey: pk(i),
    feeRecipient,
    gasLimit: 30_000_000,
    timestamp,
    signatureVerified: true as const,
  };
}

function blinded(slot: number, index: number, h = hash(slot)) {
  return {
    slot,
    proposerIndex: index,
    pubkey: pk(index).toUpperCase().replace("0X", "0x"),
    blockHash: h,
    signatureVerified: true as const,
    route: "v1" as const,
  };
}

function records(): RelayRecords {
  return {
    // active cluster validators 48..69 registered (an older record of 50 too), Lodestar's 3
    registrations: [
      registration(50, OTHER, 900),
      ...Array.from({ length: 22 }, (_, i) => registration(48 + i)),
      registration(3),
      registration(4),
      registration(5),
    ],
    rejected: [
      { route: "POST /eth/v1/builder/blinded_blocks", code: 400, reason: "invalid signature" },
      // the relay's upstream failure (its beacon read), twice: counted apart, listed once
      {
        route: "POST /eth/v1/builder/validators",
        code: 502,
        reason:
          "Beacon node unreachable: GET http://127.0.0.1:9596/eth/v1/beacon/states/head/validators",
      },
      {
        route: "POST /eth/v1/builder/validators",
        code: 502,
        reason:
          "Beacon node unreachable: GET http://127.0.0.1:9596/eth/v1/beacon/states/head/validators",
      },
    ],
    headers: [],
    blindedBlocks: [
      blinded(20, 49),
      blinded(27, 55),
      blinded(33, 60), // orphaned: slot 33's canonical block is another (local) one
      blinded(34, 7), // Lodestar's own validator: not the cluster's
    ],
  };
}

const LANDED: LandedBlock[] = [
  { slot: 20, validatorIndex: 49, blockHash: hash(20) },
  { slot: 27, validatorIndex: 55, blockHash: hash(27) },
  { slot: 33, validatorIndex: 60, blockHash: hash(9999) }, // local (engine) block
  { slot: 41, validatorIndex: 62, blockHash: hash(4100) }, // relay paused: local
  { slot: 44, validatorIndex: 63, blockHash: null }, // no payload at all: local
];

test("builder report: registrations, blinded and local proposals counted from the relay's records", () => {
  const r = builderReport({
    records: records(),
    clusterPubkeys: CLUSTER,
    feeRecipient: RP.toUpperCase().replace("0X", "0x"),
    landed: LANDED,
  });
  assert.deepEqual(r, {
    registrationsVerified: 22, // not Lodestar's 3, not the 2 never-deposited ones
    registrationsWrongFeeRecipient: 0, // 50's latest registration is the right one
    blindedProposals: 2,
    localFallbacks: 3,
    blindedNotLanded: 1,
    relayRejected: 1,
    relayFailed: 2,
    relayErrors: [
      { route: "POST /eth/v1/builder/blinded_blocks", code: 400, reason: "invalid signature" },
      {
        route: "POST /eth/v1/builder/validators",
        code: 502,
        reason:
          "Beacon node unreachable: GET http://127.0.0.1:9596/eth/v1/beacon/states/head/validators",
      },
    ],
  });
});

test("builder report: a cluster validator whose latest registration pays another recipient is counted", () => {
  const rec = records();
  rec.registrations.push(registration(52, OTHER, 2000));
  const r = builderReport({
    records: rec,
    clusterPubkeys: CLUSTER,
    feeRecipient: RP,
    landed: LANDED,
  });
  assert.equal(r?.registrationsVerified, 22);
  assert.equal(r?.registrationsWrongFeeRecipient, 1);
});

test("builder report: a relay block hash at another slot or by another proposer is not a blinded proposal", () => {
  const rec = records();
  // the relay's record of slot 20 names proposer 48, the canonical block's proposer is 49
  rec.blindedBlocks[0] = blinded(20, 48, hash(20));
  rec.blindedBlocks[1] = blinded(26, 55, hash(27));
  const r = builderReport({
    records: rec,
    clusterPubkeys: CLUSTER,
    feeRecipient: RP,
    landed: LANDED,
  });
  assert.equal(r?.blindedProposals, 0);
  assert.equal(r?.localFallbacks, 5);
});

test("per-phase counts: only the phase's slots; no relay → null (n/a), not zeros", () => {
  assert.deepEqual(builderProposalCounts(records(), CLUSTER, LANDED, 16, 31), {
    blindedProposals: 2,
    localFallbacks: 0,
  });
  assert.deepEqual(builderProposalCounts(records(), CLUSTER, LANDED, 32, 47), {
    blindedProposals: 0,
    localFallbacks: 3,
  });
  assert.equal(builderProposalCounts(null, CLUSTER, LANDED, 0, 100), null);
  assert.equal(
    builderReport({ records: null, clusterPubkeys: CLUSTER, feeRecipient: RP, landed: LANDED }),
    null,
  );
  // a relay that saw nothing: real zeros
  assert.deepEqual(
    builderReport({
      records: { registrations: [], rejected: [], headers: [], blindedBlocks: [] },
      clusterPubkeys: CLUSTER,
      feeRecipient: RP,
      landed: [],
    }),
    {
      registrationsVerified: 0,
      registrationsWrongFeeRecipient: 0,
      blindedProposals: 0,
      localFallbacks: 0,
      blindedNotLanded: 0,
      relayRejected: 0,
      relayFailed: 0,
      relayErrors: [],
    },
  );
});
