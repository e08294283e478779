/**
 * Beacon API REST client (src/beacon) against fake beacon nodes on 127.0.0.1: fallback order,
 * per-attempt and slot-fitted timeouts, error mapping (4xx final, 5xx/timeouts fall back),
 * repeated query parameters, endpoint fallbacks for old nodes (v3 → v2 block production, v2 → v1
 * publication, POST → GET liveness, Lodestar 1.5's index-blind validator_balances), chain info
 * parsing and the Electra request shapes. The real Lodestar is in test/e2e/devnet.test.ts.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { BitArray } from "@chainsafe/ssz";
import { ssz } from "@lodestar/types";
import {
  BeaconApiError,
  createBeaconClient,
  normalizeUrls,
  withQuery,
} from "../../../src/beacon/index.js";
import { InputError } from "../../../src/errors.js";
import {
  chainRoutes,
  deadPort,
  type FakeBeacon,
  lodestarQueryIds,
  startFakeBeacon,
  TOO_MANY_IDS,
} from "../../support/beacon-fake.js";

const PK = (b: number) => new Uint8Array(48).fill(b);
const hexOf = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;

const attData = (slot: number) =>
  ssz.phase0.AttestationData.toJson({
    slot,
    index: 0,
    beaconBlockRoot: new Uint8Array(32).fill(1),
    source: { epoch: 0, root: new Uint8Array(32) },
    target: { epoch: Math.floor(slot / 8), root: new Uint8Array(32).fill(2) },
  });

function attestation(slot: number) {
  return {
    aggregationBits: BitArray.fromSingleBit(4, 1),
    data: ssz.phase0.AttestationData.fromJson(attData(slot)),
    signature: new Uint8Array(96).fill(3),
  };
}

/** A GET/POST …/validators entry for `id` (a pubkey, or an index: pubkey 0x09…). */
function validatorJson(i: number, id: string) {
  return {
    index: id.startsWith("0x") ? String(i) : id,
    balance: "32000000001",
    status: "active_ongoing",
    validator: {
      pubkey: id.startsWith("0x") ? id : hexOf(PK(9)),
      withdrawal_credentials: `0x${"00".repeat(32)}`,
      effective_balance: "32000000000",
      slashed: false,
      activation_eligibility_epoch: "0",
      activation_epoch: "0",
      exit_epoch: "18446744073709551615",
      withdrawable_epoch: "18446744073709551615",
    },
  };
}
/** A …/validator_balances entry: index from the pubkey's first byte. */
const balanceJson = (id: string) => ({
  index: id.startsWith("0x") ? String(Number.parseInt(id.slice(2, 4), 16)) : id,
  balance: "32000000000",
});

let a: FakeBeacon;
let b: FakeBeacon;
beforeEach(async () => {
  a = await startFakeBeacon();
  b = await startFakeBeacon();
});
afterEach(async () => {
  await a.close();
  await b.close();
});

describe("URLs and query strings", () => {
  test("normalizeUrls strips trailing slashes, rejects non-http, duplicates and empty lists", () => {
    assert.deepEqual(normalizeUrls(["http://127.0.0.1:5052/"]), ["http://127.0.0.1:5052"]);
    assert.throws(() => normalizeUrls([]), InputError);
    assert.throws(() => normalizeUrls(["ftp://x"]), InputError);
    assert.throws(() => normalizeUrls(["http://a:1", "http://a:1/"]), InputError);
  });

  test("arrays become repeated parameters (id=48&id=49), undefined values are dropped", () => {
    assert.equal(withQuery("/p", { id: [48, 49], x: undefined, y: 1 }), "/p?id=48&id=49&y=1");
    assert.equal(withQuery("/p", {}), "/p");
  });
});

describe("fallback", () => {
  test("a refused connection or a 503 skips the node, which is then tried last until retryFailedAfterMs", async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    a.on("GET /eth/v1/node/version", () => ({ status: 503, json: { message: "not ready" } }));
    b.on("GET /eth/v1/node/version", () => ({ json: { data: { version: "B" } } }));
    const beacon = createBeaconClient([dead, a.url, b.url], { timeoutMs: 2000 });
    assert.equal(await beacon.version(), "B");
    assert.equal(await beacon.version(), "B");
    // The second call went straight to B: demoted nodes are tried last, not first.
    assert.equal(a.requests.length, 1);
    assert.equal(b.requests.length, 2);
    const eager = createBeaconClient([a.url, b.url], { timeoutMs: 2000, retryFailedAfterMs: 0 });
    await eager.version();
    await eager.version();
    assert.equal(a.requests.length, 3, "with retryFailedAfterMs 0 the first node is asked again");
  });

  test("a node that does not answer in time is abandoned after timeoutMs and the next one asked", async () => {
    a.on("GET /eth/v1/node/version", () => ({ delayMs: 3000, json: { data: { version: "A" } } }));
    b.on("GET /eth/v1/node/version", () => ({ json: { data: { version: "B" } } }));
    const beacon = createBeaconClient([a.url, b.url], { timeoutMs: 200 });
    const t0 = performance.now();
    assert.equal(await beacon.version(), "B");
    const ms = performance.now() - t0;
    assert.ok(ms >= 180 && ms < 1500, `took ${ms} ms`);
  });

  test("all nodes failing: BeaconApiError listing every attempt, status undefined, what to check", async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    a.on("GET /eth/v1/node/version", () => ({ delayMs: 2000, json: {} }));
    const beacon = createBeaconClient([a.url, dead], { timeoutMs: 150 });
    const err = await beacon.version().then(
      () => assert.fail("should throw"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BeaconApiError);
    assert.equal(err.status, undefined);
    assert.deepEqual(
      err.attempts.map((x) => x.kind),
      ["timeout", "network"],
    );
    assert.match(err.message, /No beacon node answered GET \/eth\/v1\/node\/version/);
    assert.match(err.message, /REST API is enabled/);
  });

  test("4xx is final (not retried elsewhere) and carries the indexed failures", async () => {
    chainRoutes(a);
    a.on("POST /eth/v1/beacon/pool/attestations", () => ({
      status: 400,
      json: {
        code: 400,
        message: "some failed",
        failures: [{ index: 0, message: "invalid signature" }],
      },
    }));
    b.on("POST /eth/v1/beacon/pool/attestations", () => ({ json: {} }));
    const beacon = createBeaconClient([a.url, b.url], { timeoutMs: 2000 });
    const err = await beacon.submitAttestations([attestation(9)]).then(
      () => assert.fail("should throw"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BeaconApiError);
    assert.equal(err.status, 400);
    assert.deepEqual(err.failures, [{ index: 0, message: "invalid signature" }]);
    assert.equal(b.requests.length, 0);
    // And the body sent was the phase0 Attestation JSON.
    const sent = a.requests.find((r) => r.path === "/eth/v1/beacon/pool/attestations");
    assert.deepEqual(sent?.body, [ssz.phase0.Attestation.toJson(attestation(9))]);
  });

  test("5xx falls back to the next node (Lodestar 1.5 answers bad items with 500)", async () => {
    chainRoutes(a);
    a.on("POST /eth/v1/beacon/pool/attestations", () => ({
      status: 500,
      json: { statusCode: 500, error: "Internal Server Error", message: "ATTESTATION_ERROR_X" },
    }));
    b.on("POST /eth/v1/beacon/pool/attestations", () => ({ json: {} }));
    const beacon = createBeaconClient([a.url, b.url], { timeoutMs: 2000 });
    await beacon.submitAttestations([attestation(9)]);
    assert.equal(b.requests.length, 1);
    // With only A, the 500's message is what the caller sees.
    const only = createBeaconClient([a.url], { timeoutMs: 2000 });
    await assert.rejects(only.submitAttestations([attestation(9)]), (e: unknown) => {
      assert.ok(e instanceof BeaconApiError);
      assert.equal(e.status, 500);
      assert.match(e.message, /ATTESTATION_ERROR_X/);
      return true;
    });
  });

  test("an answer that is not the documented shape is a clear error, and the next node is not asked", async () => {
    a.on("GET /eth/v1/node/syncing", () => ({ json: { data: { head_slot: "x" } } }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    await assert.rejects(beacon.syncing(), /Unexpected answer from the beacon node/);
  });

  test("health() asks every node: 200 ready, 206 syncing, 503 not-ready, no answer unreachable", async () => {
    const c = await startFakeBeacon();
    const dead = `http://127.0.0.1:${await deadPort()}`;
    try {
      a.on("GET /eth/v1/node/health", () => ({ status: 200 }));
      b.on("GET /eth/v1/node/health", () => ({ status: 206 }));
      c.on("GET /eth/v1/node/health", () => ({ status: 503 }));
      const beacon = createBeaconClient([a.url, b.url, c.url, dead], { timeoutMs: 1000 });
      const h = await beacon.health();
      assert.deepEqual(
        h.map((x) => x.status),
        ["ready", "syncing", "not-ready", "unreachable"],
      );
      assert.deepEqual(
        h.map((x) => x.httpStatus),
        [200, 206, 503, undefined],
      );
    } finally {
      await c.close();
    }
  });
});

describe("slot-fitted timeouts", () => {
  test("attestation data gets at most 1/3 of the slot even when timeoutMs is larger", async () => {
    chainRoutes(a, { secondsPerSlot: 1 });
    a.on("GET /eth/v1/validator/attestation_data", () => ({
      delayMs: 700,
      json: { data: attData(3) },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 5000 });
    await beacon.chainInfo();
    const t0 = performance.now();
    await assert.rejects(beacon.attestationData(3, 0), (e: unknown) => {
      assert.ok(e instanceof BeaconApiError);
      assert.equal(e.attempts[0]?.kind, "timeout");
      assert.match(e.attempts[0]?.message ?? "", /333 ms/);
      return true;
    });
    assert.ok(performance.now() - t0 < 650);
  });

  test("before chainInfo() the configured secondsPerSlot fits the timeouts; data round-trips", async () => {
    a.on("GET /eth/v1/validator/attestation_data", (r) => ({
      delayMs: 100,
      json: { data: attData(Number(r.query.get("slot"))) },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 5000, secondsPerSlot: 12 });
    const d = await beacon.attestationData(17, 0);
    assert.equal(d.slot, 17);
    assert.equal(d.target.epoch, 2);
    assert.equal(a.requests[0]?.query.get("committee_index"), "0");
  });
});

describe("endpoints", () => {
  test("chainInfo: fork names from the spec (GENESIS→phase0, EIP4844→deneb), sorted, FAR_FUTURE→Infinity", async () => {
    chainRoutes(a);
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const c = await beacon.chainInfo();
    assert.deepEqual(
      c.forks.map((f) => `${f.name}@${f.epoch}`),
      ["phase0@0", "altair@0", "bellatrix@0", "capella@0", "deneb@Infinity", "electra@Infinity"],
    );
    assert.equal(c.slotsPerEpoch, 8);
    assert.equal(c.genesisTime, 1700000000);
    assert.equal(hexOf(c.genesisValidatorsRoot), `0x${"ab".repeat(32)}`);
    assert.equal(c.presetBase, "mainnet");
    await beacon.chainInfo();
    assert.equal(a.requests.length, 3, "chain info is read once");
  });

  test("chainInfo: a spec with SLOT_DURATION_MS only gives the slot length in seconds", async () => {
    chainRoutes(a, { slotDurationMs: 3000 });
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    assert.equal((await beacon.chainInfo()).secondsPerSlot, 3);
  });

  test("validators on a node without the POST (Lodestar 1.5): repeated id parameters, 20 per GET, remembered", async () => {
    a.on("GET /eth/v1/beacon/states/head/validators", (r) => ({
      json: { data: r.query.getAll("id").map((id, i) => validatorJson(i, id)) },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const ids = [...Array.from({ length: 40 }, (_, i) => PK(i + 1)), 48];
    const vals = await beacon.validators(ids);
    assert.equal(vals.length, 41);
    // POST → 404, then 20 + 20 + 1 ids.
    assert.deepEqual(
      a.requests.map((r) => `${r.method} ${r.query.getAll("id").length}`),
      ["POST 0", "GET 20", "GET 20", "GET 1"],
    );
    assert.deepEqual(a.requests[3]?.query.getAll("id"), ["48"]);
    assert.equal(a.requests[1]?.query.getAll("id")[0], hexOf(PK(1)));
    assert.equal(vals[0]?.balanceGwei, 32000000001n);
    assert.equal(vals[0]?.exitEpoch, Number.POSITIVE_INFINITY);
    await beacon.validators([PK(1)]);
    assert.equal(a.requests[4]?.method, "GET", "the missing POST is remembered per node");
  });

  // A server that behaves like Lodestar v1.39: its query parser (qs, comma: true) turns more than
  // 20 repeated ids into an object → 400 "id must be array"; the POSTs are there.
  const currentLodestar = (bn: FakeBeacon, post = true) => {
    const ids = lodestarQueryIds;
    const tooMany = TOO_MANY_IDS;
    bn.on("GET /eth/v1/beacon/states/head/validators", (r) => {
      const v = ids(r);
      return v ? { json: { data: v.map((id, i) => validatorJson(i, id)) } } : tooMany;
    });
    bn.on("GET /eth/v1/beacon/states/head/validator_balances", (r) => {
      const v = ids(r);
      return v ? { json: { data: v.map((id) => balanceJson(id)) } } : tooMany;
    });
    if (!post) return;
    bn.on("POST /eth/v1/beacon/states/head/validators", (r) => {
      const body = r.body as { ids?: string[] };
      return { json: { data: (body.ids ?? []).map((id, i) => validatorJson(i, id)) } };
    });
    bn.on("POST /eth/v1/beacon/states/head/validator_balances", (r) => ({
      json: { data: (r.body as string[]).map((id) => balanceJson(id)) },
    }));
  };

  test("100 validators against a current Lodestar (> 20 repeated ids → 400): one POST each for validators and balances", async () => {
    currentLodestar(a);
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const ids = Array.from({ length: 100 }, (_, i) => PK(i + 1));
    const vals = await beacon.validators(ids);
    assert.equal(vals.length, 100);
    assert.deepEqual(
      vals.map((v) => hexOf(v.pubkey)),
      ids.map(hexOf),
    );
    const bal = await beacon.balances(ids);
    assert.equal(bal.size, 100);
    assert.deepEqual(
      a.requests.map((r) => `${r.method} ${r.path.split("/").pop()}`),
      ["POST validators", "POST validator_balances"],
    );
    const [postValidators, postBalances] = a.requests;
    assert.ok(postValidators && postBalances);
    assert.equal((postValidators.body as { ids: string[] }).ids.length, 100);
    assert.deepEqual((postBalances.body as string[]).slice(0, 1), [hexOf(PK(1))]);
    // The same server refuses what the client used to send: 30 repeated ids in one GET.
    const old = await fetch(
      `${a.url}/eth/v1/beacon/states/head/validators?${ids
        .slice(0, 30)
        .map((p) => `id=${hexOf(p)}`)
        .join("&")}`,
    );
    assert.equal(old.status, 400);
  });

  test("100 validators on a node with the 20-id limit but no POST: GETs of ≤ 20 ids, all answered", async () => {
    currentLodestar(a, false);
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const ids = Array.from({ length: 100 }, (_, i) => PK(i + 1));
    assert.equal((await beacon.validators(ids)).length, 100);
    assert.equal((await beacon.balances(ids)).size, 100);
    const gets = a.requests.filter((r) => r.method === "GET");
    assert.equal(gets.length, 10);
    assert.ok(gets.every((r) => r.query.getAll("id").length === 20));
    assert.equal(a.requests.filter((r) => r.method === "POST").length, 2, "one 404 per endpoint");
  });

  test("balances: numeric ids a node ignores (Lodestar 1.5 answers []) are read via validators", async () => {
    a.on("GET /eth/v1/beacon/states/head/validator_balances", (r) => ({
      json: {
        data: r.query
          .getAll("id")
          .filter((id) => id.startsWith("0x"))
          .map(() => ({ index: "7", balance: "5" })),
      },
    }));
    a.on("GET /eth/v1/beacon/states/head/validators", () => ({
      json: {
        data: [
          {
            index: "48",
            balance: "31999988820",
            status: "active_ongoing",
            validator: {
              pubkey: hexOf(PK(1)),
              withdrawal_credentials: `0x${"00".repeat(32)}`,
              effective_balance: "32000000000",
              slashed: false,
              activation_eligibility_epoch: "0",
              activation_epoch: "0",
              exit_epoch: "18446744073709551615",
              withdrawable_epoch: "18446744073709551615",
            },
          },
        ],
      },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const m = await beacon.balances([PK(7), 48]);
    assert.deepEqual(
      [...m.entries()],
      [
        [7, 5n],
        [48, 31999988820n],
      ],
    );
  });

  test("block attestations: v2 with the fork's type (Electra: committee_bits); v1 on a node without v2, remembered; unknown block → null", async () => {
    chainRoutes(a, { electraEpoch: 0 });
    const electraAtt = ssz.electra.Attestation.toJson({
      ...attestation(9),
      committeeBits: BitArray.fromSingleBit(64, 3),
    });
    a.on("GET /eth/v2/beacon/blocks/10/attestations", () => ({
      json: {
        version: "electra",
        execution_optimistic: false,
        finalized: false,
        data: [electraAtt],
      },
    }));
    a.on("GET /eth/v2/beacon/blocks/11/attestations", () => ({
      status: 404,
      json: { code: 404, message: "No block found for id '11'" },
    }));
    // Post-Electra Lodestar refuses v1: the client must not use it there.
    a.on("GET /eth/v1/beacon/blocks/10/attestations", () => ({
      status: 400,
      json: { code: 400, message: "Use getBlockAttestationsV2 to retrieve electra+ attestations" },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const [att] = (await beacon.blockAttestations(10)) ?? [];
    assert.ok(att && "committeeBits" in att);
    assert.deepEqual(att.committeeBits.getTrueBitIndexes(), [3]);
    assert.equal(att.data.slot, 9);
    assert.equal(await beacon.blockAttestations(11), null);
    // A Lodestar 1.5 (no v2 route: fastify's "Route … not found"): v1, phase0 attestations.
    b.on("GET /eth/v1/beacon/blocks/5/attestations", () => ({
      json: { data: [ssz.phase0.Attestation.toJson(attestation(4))] },
    }));
    const old = createBeaconClient([b.url], { timeoutMs: 2000 });
    const [p0] = (await old.blockAttestations(5)) ?? [];
    assert.ok(p0 && !("committeeBits" in p0));
    await old.blockAttestations(5);
    assert.deepEqual(
      b.requests.map((r) => r.path.split("/")[2]),
      ["v2", "v1", "v1"],
      "the missing v2 route is remembered",
    );
  });

  test("attester duties: POST of index strings; empty list makes no request", async () => {
    chainRoutes(a);
    a.on("POST /eth/v1/validator/duties/attester/3", (r) => ({
      json: {
        dependent_root: `0x${"11".repeat(32)}`,
        execution_optimistic: false,
        data: (r.body as string[]).map((i) => ({
          pubkey: hexOf(PK(Number(i))),
          validator_index: i,
          committee_index: "1",
          committee_length: "4",
          committees_at_slot: "2",
          validator_committee_index: "3",
          slot: "26",
        })),
      },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    assert.deepEqual(await beacon.attesterDuties(3, []), []);
    const d = await beacon.attesterDuties(3, [48, 49]);
    const sent = a.requests.find((r) => r.path === "/eth/v1/validator/duties/attester/3");
    assert.deepEqual(sent?.body, ["48", "49"]);
    assert.deepEqual(
      d.map((x) => [x.validatorIndex, x.committeeIndex, x.validatorCommitteeIndex, x.slot]),
      [
        [48, 1, 3, 26],
        [49, 1, 3, 26],
      ],
    );
  });

  test("proposer duties outside the epoch asked for (Lodestar 1.5.1 next-epoch bug) are refused", async () => {
    chainRoutes(a);
    const duty = (slot: number) => ({
      pubkey: hexOf(PK(1)),
      validator_index: "50",
      slot: String(slot),
    });
    a.on("GET /eth/v1/validator/duties/proposer/1", () => ({
      json: { dependent_root: `0x${"00".repeat(32)}`, data: [duty(8), duty(15)] },
    }));
    a.on("GET /eth/v1/validator/duties/proposer/2", () => ({
      json: { dependent_root: `0x${"00".repeat(32)}`, data: [duty(8)] },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    assert.deepEqual(
      (await beacon.proposerDuties(1)).map((d) => [d.slot, d.validatorIndex]),
      [
        [8, 50],
        [15, 50],
      ],
    );
    await assert.rejects(beacon.proposerDuties(2), /duties of epoch 2 with slot 8/);
  });

  test("liveness: standard POST first; a node without it (404) gets the old GET form from then on", async () => {
    a.on("GET /eth/v1/validator/liveness", (r) => ({
      json: {
        data: r.query
          .getAll("indices")
          .map((i) => ({ index: i, epoch: r.query.get("epoch"), is_live: i === "48" })),
      },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const m = await beacon.liveness(5, [48, 49]);
    assert.deepEqual(
      [...m.entries()],
      [
        [48, true],
        [49, false],
      ],
    );
    await beacon.liveness(5, [48]);
    assert.deepEqual(
      a.requests.map((r) => `${r.method} ${r.path}`),
      [
        "POST /eth/v1/validator/liveness/5",
        "GET /eth/v1/validator/liveness",
        "GET /eth/v1/validator/liveness",
      ],
    );
    assert.deepEqual(a.requests[1]?.query.getAll("indices"), ["48", "49"]);

    b.on("POST /eth/v1/validator/liveness/5", (r) => ({
      json: { data: (r.body as string[]).map((i) => ({ index: i, is_live: true })) },
    }));
    const modern = createBeaconClient([b.url], { timeoutMs: 2000 });
    assert.equal((await modern.liveness(5, [1])).get(1), true);
    assert.deepEqual(b.requests[0]?.body, ["1"]);
  });

  test("block production: v3 missing → v2 (remembered); publication: v2 missing → v1, with the fork header", async () => {
    chainRoutes(a);
    const block = ssz.capella.BeaconBlock.defaultValue();
    block.slot = 33;
    block.proposerIndex = 50;
    a.on("GET /eth/v2/validator/blocks/33", () => ({
      json: { version: "capella", data: ssz.capella.BeaconBlock.toJson(block) },
    }));
    a.on("POST /eth/v1/beacon/blocks", () => ({ status: 200 }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const randao = new Uint8Array(96).fill(4);
    const produced = await beacon.produceBlock(33, randao, new Uint8Array(32).fill(5));
    assert.equal(produced.fork, "capella");
    assert.equal(produced.endpoint, "v2");
    assert.equal(produced.block.slot, 33);
    assert.deepEqual(produced.blockRoot, ssz.capella.BeaconBlock.hashTreeRoot(block));
    const v2 = a.requests.find((r) => r.path === "/eth/v2/validator/blocks/33");
    assert.equal(v2?.query.get("randao_reveal"), hexOf(randao));
    assert.equal(v2?.query.get("graffiti"), `0x${"05".repeat(32)}`);
    const v3 = a.requests.find((r) => r.path === "/eth/v3/validator/blocks/33");
    assert.equal(v3?.query.get("builder_boost_factor"), "0");

    const signature = new Uint8Array(96).fill(6);
    await beacon.publishBlock({ ...produced, signature });
    const pub = a.requests.filter((r) => r.method === "POST");
    assert.deepEqual(
      pub.map((r) => r.path),
      ["/eth/v2/beacon/blocks", "/eth/v1/beacon/blocks"],
    );
    assert.equal(pub[1]?.headers["eth-consensus-version"], "capella");
    assert.deepEqual(
      pub[1]?.body,
      ssz.capella.SignedBeaconBlock.toJson({ message: block, signature }),
    );

    // Remembered: the next production asks v2 directly.
    const before = a.requests.length;
    await beacon.produceBlock(33, randao);
    assert.deepEqual(
      a.requests.slice(before).map((r) => r.path),
      ["/eth/v2/validator/blocks/33"],
    );
  });

  test("prepare_beacon_proposer goes to EVERY node (snake_case strings); one refusing is reported after all were asked", async () => {
    const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    a.on("POST /eth/v1/validator/prepare_beacon_proposer", () => ({ status: 200 }));
    b.on("POST /eth/v1/validator/prepare_beacon_proposer", () => ({ status: 200 }));
    const beacon = createBeaconClient([a.url, b.url], { timeoutMs: 2000 });
    await beacon.prepareBeaconProposer([
      { validatorIndex: 48, feeRecipient: FEE },
      { validatorIndex: 49, feeRecipient: FEE },
    ]);
    const want = [
      { validator_index: "48", fee_recipient: FEE },
      { validator_index: "49", fee_recipient: FEE },
    ];
    for (const bn of [a, b]) {
      const r = bn.requests.filter((x) => x.path === "/eth/v1/validator/prepare_beacon_proposer");
      assert.equal(r.length, 1, bn.url);
      assert.deepEqual(r[0]?.body, want);
    }
    // Nothing to register: no request.
    await beacon.prepareBeaconProposer([]);
    assert.equal(a.requests.length + b.requests.length, 2);
    // The first node refuses: the second still gets it, and the error names the first.
    a.on("POST /eth/v1/validator/prepare_beacon_proposer", () => ({
      status: 400,
      json: { code: 400, message: "bad fee recipient" },
    }));
    const refused = await beacon
      .prepareBeaconProposer([{ validatorIndex: 48, feeRecipient: FEE }])
      .then(
        () => assert.fail("should throw"),
        (e: unknown) => e,
      );
    assert.ok(refused instanceof BeaconApiError);
    assert.match(refused.message, /1 of 2 beacon nodes refused the fee recipients/);
    assert.equal(refused.status, 400);
    assert.equal(refused.attempts[0]?.url, a.url);
    assert.equal(
      b.requests.filter((x) => x.path === "/eth/v1/validator/prepare_beacon_proposer").length,
      2,
    );
  });

  test("block production refuses a block whose preset differs from this process's", async () => {
    chainRoutes(a, { preset: "minimal" });
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    await assert.rejects(
      beacon.produceBlock(1, new Uint8Array(96)),
      /runs the "minimal" preset but this process loaded "mainnet"/,
    );
  });

  test("Electra+: SingleAttestation on POST /eth/v2/beacon/pool/attestations; aggregates via v2", async () => {
    chainRoutes(a, { electraEpoch: 0 });
    a.on("POST /eth/v2/beacon/pool/attestations", () => ({ status: 200 }));
    a.on("GET /eth/v2/validator/aggregate_attestation", () => ({
      json: {
        version: "electra",
        data: ssz.electra.Attestation.toJson({
          ...attestation(9),
          committeeBits: BitArray.fromSingleBit(64, 0),
        }),
      },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const duty = {
      pubkey: PK(1),
      validatorIndex: 48,
      committeeIndex: 0,
      committeeLength: 4,
      committeesAtSlot: 1,
      validatorCommitteeIndex: 1,
      slot: 9,
    };
    await assert.rejects(beacon.submitAttestations([attestation(9)]), InputError);
    await beacon.submitAttestations([attestation(9)], [duty]);
    const sent = a.requests.find((r) => r.path === "/eth/v2/beacon/pool/attestations");
    assert.equal(sent?.headers["eth-consensus-version"], "electra");
    assert.deepEqual(sent?.body, [
      {
        committee_index: "0",
        attester_index: "48",
        data: attData(9),
        signature: hexOf(new Uint8Array(96).fill(3)),
      },
    ]);
    const agg = await beacon.aggregateAttestation(9, new Uint8Array(32).fill(7), 0);
    assert.equal(agg.data.slot, 9);
    const q = a.requests.find((r) => r.path === "/eth/v2/validator/aggregate_attestation")?.query;
    assert.equal(q?.get("committee_index"), "0");
    assert.equal(q?.get("attestation_data_root"), `0x${"07".repeat(32)}`);
  });

  test("pre-Electra aggregation: v1 aggregate_attestation and aggregate_and_proofs", async () => {
    chainRoutes(a);
    a.on("GET /eth/v1/validator/aggregate_attestation", () => ({
      json: { data: ssz.phase0.Attestation.toJson(attestation(9)) },
    }));
    a.on("POST /eth/v1/validator/aggregate_and_proofs", () => ({ status: 200 }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const agg = await beacon.aggregateAttestation(9, new Uint8Array(32), 0);
    assert.equal(agg.aggregationBits.get(1), true);
    const signed = {
      message: { aggregatorIndex: 48, aggregate: agg, selectionProof: new Uint8Array(96).fill(8) },
      signature: new Uint8Array(96).fill(9),
    };
    await beacon.submitAggregateAndProofs([signed]);
    const sent = a.requests.find((r) => r.path === "/eth/v1/validator/aggregate_and_proofs");
    assert.deepEqual(sent?.body, [ssz.phase0.SignedAggregateAndProof.toJson(signed)]);
    assert.equal(
      a.requests
        .find((r) => r.path.includes("aggregate_attestation"))
        ?.query.get("committee_index"),
      null,
    );
  });

  test("voluntary exit, finality checkpoints, unknown block header (404 → null)", async () => {
    a.on("POST /eth/v1/beacon/pool/voluntary_exits", () => ({ status: 200 }));
    const cp = (e: number) => ({ epoch: String(e), root: `0x${"0e".repeat(32)}` });
    a.on("GET /eth/v1/beacon/states/head/finality_checkpoints", () => ({
      json: { data: { previous_justified: cp(3), current_justified: cp(4), finalized: cp(2) } },
    }));
    a.on("GET /eth/v1/beacon/headers/999", () => ({
      status: 404,
      json: { code: 404, message: "No block found for id '999'" },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const exit = { message: { epoch: 5, validatorIndex: 48 }, signature: new Uint8Array(96) };
    await beacon.submitVoluntaryExit(exit);
    assert.deepEqual(
      a.requests.find((r) => r.path === "/eth/v1/beacon/pool/voluntary_exits")?.body,
      { message: { epoch: "5", validator_index: "48" }, signature: hexOf(new Uint8Array(96)) },
    );
    const f = await beacon.finalityCheckpoints();
    assert.deepEqual(
      [f.previousJustified.epoch, f.currentJustified.epoch, f.finalized.epoch],
      [3, 4, 2],
    );
    assert.equal(await beacon.blockHeader(999), null);
  });

  test("timeoutMs must be positive", () => {
    assert.throws(() => createBeaconClient([a.url], { timeoutMs: 0 }), InputError);
  });
});

describe("reads merged from the reputation client", () => {
  const rewards = (epoch: number, ids: string[]) => ({
    execution_optimistic: false,
    finalized: true,
    data: {
      ideal_rewards: [
        { effective_balance: "32000000000", head: "2000", target: "4000", source: "3000" },
      ],
      total_rewards: ids.map((i) => ({
        validator_index: i,
        head: "0",
        target: epoch === 7 ? "-4000" : "4000",
        source: "-3000",
        inclusion_delay: "0",
        inactivity: "0",
      })),
    },
  });

  test("attestation rewards: signed components, no request for no indices, missing route → null, an epoch the node cannot serve → error", async () => {
    a.on("POST /eth/v1/beacon/rewards/attestations/7", (r) => ({
      json: rewards(7, r.body as string[]),
    }));
    a.on("POST /eth/v1/beacon/rewards/attestations/9", () => ({
      status: 404,
      json: { code: 404, message: "Epoch 9 is not finalized or its state is not available" },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000, hint: "Check --beacon." });
    const r = await beacon.attestationRewards(7, [48, 49]);
    assert.deepEqual(a.requests[0]?.body, ["48", "49"]);
    assert.deepEqual(r?.ideal, [
      { effectiveBalanceGwei: 32000000000n, head: 2000, target: 4000, source: 3000 },
    ]);
    assert.deepEqual(
      r?.total.map((t) => [t.validatorIndex, t.head + t.target + t.source]),
      [
        [48, -7000],
        [49, -7000],
      ],
    );
    assert.deepEqual(await beacon.attestationRewards(7, []), { ideal: [], total: [] });
    assert.equal(a.requests.length, 1, "an empty body would ask for every validator");
    // No such route at all (fastify's "Route … not found", as Lodestar 1.5.1): not available.
    assert.equal(await beacon.attestationRewards(8, [48]), null);
    // The route exists but the epoch is not served: an error naming the node and what to do.
    await assert.rejects(beacon.attestationRewards(9, [48]), (e: unknown) => {
      assert.ok(e instanceof BeaconApiError);
      assert.equal(e.status, 404);
      assert.match(e.message, /not finalized/);
      assert.ok(e.metaMessages.includes("Check --beacon."));
      assert.ok(e.metaMessages.some((m) => m.startsWith(`  ${a.url}: HTTP 404`)));
      return true;
    });
    b.on("POST /eth/v1/beacon/rewards/attestations/7", () => ({
      status: 501,
      json: { code: 501, message: "not implemented" },
    }));
    const other = createBeaconClient([b.url], { timeoutMs: 2000 });
    assert.equal(await other.attestationRewards(7, [48]), null, "501 = not available");
  });

  test("proposer duties of a past epoch: Lodestar 1.5's refusal → null, any other 500 → error; no chain info read", async () => {
    const duty = (slot: number) => ({
      pubkey: hexOf(PK(1)),
      validator_index: "50",
      slot: String(slot),
    });
    a.on("GET /eth/v1/validator/duties/proposer/3", () => ({
      json: { dependent_root: `0x${"00".repeat(32)}`, data: [duty(24), duty(31)] },
    }));
    a.on("GET /eth/v1/validator/duties/proposer/2", () => ({
      status: 500,
      json: {
        statusCode: 500,
        error: "Internal Server Error",
        message: "Requested epoch 2 must equal current 3 or next epoch 4",
      },
    }));
    a.on("GET /eth/v1/validator/duties/proposer/1", () => ({
      status: 500,
      json: { statusCode: 500, error: "Internal Server Error", message: "state regen failed" },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    assert.deepEqual(await beacon.proposerDutiesIfServed(3), [
      { validatorIndex: 50, slot: 24 },
      { validatorIndex: 50, slot: 31 },
    ]);
    assert.equal(await beacon.proposerDutiesIfServed(2), null);
    await assert.rejects(beacon.proposerDutiesIfServed(1), /state regen failed/);
    assert.ok(a.requests.every((r) => r.path.startsWith("/eth/v1/validator/duties/proposer/")));
  });

  test("block proposer: only proposer_index is read (no preset, no SSZ), empty slot (404) → null, a malformed block → clear error", async () => {
    a.on("GET /eth/v2/beacon/blocks/3205", () => ({
      json: { version: "deneb", data: { message: { slot: "3205", proposer_index: "10" } } },
    }));
    a.on("GET /eth/v2/beacon/blocks/3206", () => ({
      status: 404,
      json: { code: 404, message: "No block found for id '3206'" },
    }));
    a.on("GET /eth/v2/beacon/blocks/3207", () => ({
      json: { version: "deneb", data: { message: { slot: "3207" } } },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    assert.equal(await beacon.blockProposer(3205), 10);
    assert.equal(await beacon.blockProposer(3206), null);
    await assert.rejects(beacon.blockProposer(3207), (e: unknown) => {
      assert.ok(e instanceof BeaconApiError);
      assert.match(
        e.message,
        /Unexpected answer from the beacon node to \/eth\/v2\/beacon\/blocks\/3207/,
      );
      assert.match(e.message, /data\.message\.proposer_index/);
      return true;
    });
  });

  test("dated block header: the answer's Date header and node; an unknown block → header null", async () => {
    const c = await startFakeBeacon();
    try {
      const header = {
        root: `0x${"33".repeat(32)}`,
        canonical: true,
        header: {
          message: {
            slot: "77",
            proposer_index: "5",
            parent_root: `0x${"44".repeat(32)}`,
            state_root: `0x${"55".repeat(32)}`,
            body_root: `0x${"66".repeat(32)}`,
          },
          signature: `0x${"00".repeat(96)}`,
        },
      };
      b.on("GET /eth/v1/beacon/headers/head", () => ({
        status: 503,
        json: { message: "syncing" },
      }));
      c.on("GET /eth/v1/beacon/headers/head", () => ({ json: { data: header } }));
      const beacon = createBeaconClient([b.url, c.url], { timeoutMs: 2000 });
      const d = await beacon.blockHeaderDated("head");
      assert.equal(d.url, c.url, "the node that answered");
      assert.equal(d.header?.slot, 77);
      assert.equal(d.header?.proposerIndex, 5);
      // node:http sets Date on every answer: the server's clock, to the second.
      assert.ok(Math.abs(Date.parse(d.date ?? "") - Date.now()) < 5000, d.date);
      const none = await beacon.blockHeaderDated(999);
      assert.equal(none.header, null);
    } finally {
      await c.close();
    }
  });

  test("the client's hint is on every kind of error: refused, unreachable, bad answer, refused by some nodes", async () => {
    const hint = "Check --beacon-url.";
    const dead = `http://127.0.0.1:${await deadPort()}`;
    a.on("GET /eth/v1/node/syncing", () => ({ json: { data: { head_slot: "x" } } }));
    a.on("POST /eth/v1/validator/prepare_beacon_proposer", () => ({
      status: 400,
      json: { code: 400, message: "bad fee recipient" },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 1000, hint });
    const unreachable = createBeaconClient([dead], { timeoutMs: 1000, hint });
    const errors = await Promise.all(
      [
        beacon.version(),
        unreachable.version(),
        beacon.syncing(),
        beacon.prepareBeaconProposer([{ validatorIndex: 1, feeRecipient: `0x${"11".repeat(20)}` }]),
      ].map((p) =>
        p.then(
          () => assert.fail("should throw"),
          (e: unknown) => e,
        ),
      ),
    );
    for (const e of errors) {
      assert.ok(e instanceof BeaconApiError);
      assert.ok(e.metaMessages.includes(hint), e.message);
    }
  });
});
