/**
 * Beacon observations for the reputation score against a local HTTP server speaking the standard
 * Beacon API paths (validators, attestation rewards, proposer duties, blocks v2, liveness): the
 * summary numbers checked by hand, request shapes checked by the server, errors naming the URL,
 * and `reputation score --beacon` / `reputation verify --beacon` end to end.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { BeaconApiError } from "../../../src/beacon/index.js";
import { reputationCommand } from "../../../src/cli/reputation.js";
import { httpReputationBeacon, REPUTATION_BEACON_HINT } from "../../../src/reputation/beacon.js";
import { buildClaimPayload, claimFileText, signClaim } from "../../../src/reputation/claim.js";
import { fixturePubkey } from "../../../src/reputation/fixture.js";
import { observeBeacon, parseEpochRange } from "../../../src/reputation/observe.js";
import { computeReputation } from "../../../src/reputation/score.js";
import { runCommand } from "../../helpers.js";
import {
  type FakeBeacon,
  type FakeRequest,
  lodestarQueryIds,
  startFakeBeacon,
  TOO_MANY_IDS,
} from "../../support/beacon-fake.js";

const FAR = "18446744073709551615";
const P = [0, 1, 2].map((i) => fixturePubkey("beacon", i));
/** Validator 10 active throughout, 11 from epoch 102, P[2] unknown to the beacon. */
const VALIDATORS = [
  { index: 10, pubkey: P[0] as string, activation: 0, slashed: false, balance: 32_100_000_000 },
  { index: 11, pubkey: P[1] as string, activation: 102, slashed: false, balance: 32_000_000_000 },
];
const IDEAL = { head: 2000, target: 4000, source: 3000 }; // 9000 gwei at 32 ETH effective

type Fake = { server: Server; url: string; requests: string[]; liveOverride?: boolean };
let fake: Fake;
let dir = "";

function rewardsFor(
  index: number,
  epoch: number,
): { head: number; target: number; source: number } {
  if (index === 10 && epoch === 101) return { head: 0, target: 4000, source: 3000 }; // late head
  if (index === 11 && epoch === 103) return { head: 0, target: -4000, source: -3000 }; // missed
  return IDEAL;
}

async function body(req: IncomingMessage): Promise<unknown> {
  let s = "";
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : undefined;
}

function startFake(): Promise<Fake> {
  const requests: string[] = [];
  const f: Fake = { server: undefined as unknown as Server, url: "", requests };
  f.server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(data));
    };
    const route = (method: string, re: RegExp) =>
      req.method === method ? re.exec(url.pathname) : null;
    let m: RegExpExecArray | null = null;
    m = route("GET", /^\/eth\/v1\/beacon\/states\/(\d+)\/validators$/);
    if (m) {
      assert.equal(m[1], String(104 * 32 - 1), "state at the last slot of the range");
      // Repeated id= parameters (Lodestar ≤ 1.5 answers [] to a comma list).
      assert.equal(url.searchParams.get("id")?.includes(","), false, "ids repeated, not joined");
      const ids = url.searchParams.getAll("id");
      return send(200, {
        execution_optimistic: false,
        finalized: true,
        data: VALIDATORS.filter((v) => ids.includes(v.pubkey)).map((v) => ({
          index: String(v.index),
          balance: String(v.balance),
          status: "active_ongoing",
          validator: {
            pubkey: v.pubkey,
            withdrawal_credentials: `0x01${"00".repeat(31)}`,
            effective_balance: "32000000000",
            slashed: v.slashed,
            activation_eligibility_epoch: "0",
            activation_epoch: String(v.activation),
            exit_epoch: FAR,
            withdrawable_epoch: FAR,
          },
        })),
      });
    }
    m = route("POST", /^\/eth\/v1\/validator\/liveness\/(\d+)$/);
    if (m) {
      const epoch = Number(m[1]);
      const ids = (await body(req)) as string[];
      assert.ok(
        ids.every((x) => typeof x === "string"),
        "indices as strings",
      );
      return send(200, {
        data: ids.map((i) => ({
          index: i,
          is_live: f.liveOverride ?? !(i === "11" && epoch === 103),
        })),
      });
    }
    m = route("POST", /^\/eth\/v1\/beacon\/rewards\/attestations\/(\d+)$/);
    if (m) {
      const epoch = Number(m[1]);
      const ids = (await body(req)) as string[];
      const s = (r: { head: number; target: number; source: number }) => ({
        head: String(r.head),
        target: String(r.target),
        source: String(r.source),
        inactivity: "0",
      });
      return send(200, {
        execution_optimistic: false,
        finalized: true,
        data: {
          ideal_rewards: [
            { effective_balance: "31000000000", ...s({ head: 1937, target: 3875, source: 2906 }) },
            { effective_balance: "32000000000", ...s(IDEAL) },
          ],
          total_rewards: ids.map((i) => ({
            validator_index: i,
            ...s(rewardsFor(Number(i), epoch)),
          })),
        },
      });
    }
    m = route("GET", /^\/eth\/v1\/validator\/duties\/proposer\/(\d+)$/);
    if (m) {
      const epoch = Number(m[1]);
      const data = Array.from({ length: 32 }, (_, k) => {
        const slot = epoch * 32 + k;
        const idx =
          epoch === 100 && k === 5
            ? 10
            : epoch === 103 && k === 7
              ? 11
              : epoch === 101 && k === 1
                ? 11
                : 500 + k;
        return { pubkey: `0x${"11".repeat(48)}`, validator_index: String(idx), slot: String(slot) };
      });
      return send(200, {
        dependent_root: `0x${"00".repeat(32)}`,
        execution_optimistic: false,
        data,
      });
    }
    m = route("GET", /^\/eth\/v2\/beacon\/blocks\/(\d+)$/);
    if (m) {
      const slot = Number(m[1]);
      if (slot === 103 * 32 + 7)
        return send(404, { code: 404, message: "NOT_FOUND: beacon block at slot" });
      const proposer = slot === 100 * 32 + 5 ? 10 : 999;
      return send(200, {
        version: "deneb",
        data: {
          message: { slot: String(slot), proposer_index: String(proposer) },
          signature: "0x",
        },
      });
    }
    if (url.pathname === "/eth/v1/fail") return send(500, { code: 500, message: "boom" });
    send(404, { code: 404, message: `no route ${url.pathname}` });
  });
  return new Promise((resolve) =>
    f.server.listen(0, "127.0.0.1", () => {
      f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
      resolve(f);
    }),
  );
}

const runCli = (args: string[]) => runCommand(reputationCommand(), args);

before(async () => {
  fake = await startFake();
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "rpdvt-rep-beacon-"));
});
after(async () => {
  await new Promise((r) => fake.server.close(r));
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("beacon observation", () => {
  test("summary numbers by hand", async () => {
    const obs = await observeBeacon(httpReputationBeacon(fake.url), P, { from: 100, to: 103 });
    const s = obs.summary;
    assert.deepEqual(obs.unknownPubkeys, [P[2]]);
    assert.equal(s.validators, 2);
    // Active pairs: 10 × 4 epochs + 11 × 2 (102, 103) = 6; 11 not live in 103 → 5 live.
    assert.equal(s.liveDuties, 6);
    assert.equal(s.live, 5);
    // Actual: 10 → 9000·3 + 7000; 11 → 9000 − 7000; ideal: 6 × 9000.
    assert.equal(s.actualRewardGwei, 36_000);
    assert.equal(s.idealRewardGwei, 54_000);
    // Duties: 10 @ 100·32+5 proposed; 11 @ 103·32+7 missed (404); 11 @ 101 not yet active → ignored.
    assert.equal(s.proposed, 1);
    assert.equal(s.missedProposals, 1);
    assert.equal(s.slashed, 0);
    assert.equal(s.balanceGwei, 64_100_000_000);
    assert.equal(s.stateId, "3327");
    assert.match(s.sha256, /^0x[0-9a-f]{64}$/);
    const again = await observeBeacon(httpReputationBeacon(fake.url), [...P].reverse(), {
      from: 100,
      to: 103,
    });
    assert.equal(again.summary.sha256, s.sha256, "same observations, same hash");
    assert.ok(fake.requests.includes("GET /eth/v2/beacon/blocks/3303"));
    const score = computeReputation({ intervals: [], beacon: s });
    assert.equal(
      score.components.find((c) => c.id === "attestationEfficiency")?.value,
      Number((36 / 54).toFixed(6)),
    );
  });

  test("HTTP and network errors name the request, the beacon URL and what to check", async () => {
    const b = httpReputationBeacon(fake.url);
    await assert.rejects(b.proposerDuties(-1 as number), (e: unknown) => {
      assert.ok(e instanceof BeaconApiError);
      assert.match(
        e.shortMessage,
        /Beacon node rejected GET \/eth\/v1\/validator\/duties\/proposer\/-1 \(HTTP 404\)/,
      );
      assert.equal(e.details, "no route /eth/v1/validator/duties/proposer/-1");
      assert.ok(e.metaMessages.some((m) => m.includes(`${fake.url}: HTTP 404`)));
      assert.ok(e.metaMessages.includes(REPUTATION_BEACON_HINT));
      return true;
    });
    const dead = httpReputationBeacon("http://127.0.0.1:9", { timeoutMs: 2000 });
    await assert.rejects(dead.liveness(1, [1]), (e: unknown) => {
      assert.ok(e instanceof BeaconApiError);
      assert.match(
        e.shortMessage,
        /No beacon node answered POST \/eth\/v1\/validator\/liveness\/1/,
      );
      assert.ok(e.metaMessages.some((m) => m.startsWith("  http://127.0.0.1:9: network")));
      assert.ok(e.metaMessages.includes(REPUTATION_BEACON_HINT));
      return true;
    });
    assert.equal(await b.blockProposer(103 * 32 + 7), null, "404 = empty slot");
    assert.throws(() => parseEpochRange("5-3"), /end must be ≥ its start/);
    assert.throws(() => parseEpochRange("0-2000"), /at most 1575 epochs/);
    assert.deepEqual(parseEpochRange("7"), { from: 7, to: 7 });
  });
});

describe("Lodestar 1.5.1 quirks", () => {
  test("old liveness GET form, no rewards route, past proposer duties refused → unavailable", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(data));
      };
      if (req.method === "GET" && url.pathname === "/eth/v1/beacon/states/23/validators") {
        return send(200, {
          data: url.searchParams.getAll("id").map((pk, i) => ({
            index: String(i),
            balance: "32000000000",
            status: "active_ongoing",
            validator: {
              pubkey: pk,
              withdrawal_credentials: `0x01${"00".repeat(31)}`,
              effective_balance: "32000000000",
              slashed: false,
              activation_eligibility_epoch: "0",
              activation_epoch: "0",
              exit_epoch: FAR,
              withdrawable_epoch: FAR,
            },
          })),
        });
      }
      if (req.method === "GET" && url.pathname === "/eth/v1/validator/liveness") {
        const idx = url.searchParams.getAll("indices").map(Number);
        assert.equal(url.searchParams.get("epoch"), "2");
        return send(200, { data: idx.map((index) => ({ index, epoch: 2, is_live: index === 0 })) });
      }
      if (req.method === "GET" && url.pathname === "/eth/v1/validator/duties/proposer/2") {
        return send(500, {
          statusCode: 500,
          error: "Internal Server Error",
          message: "Requested epoch 2 must equal current 3 or next epoch 4",
        });
      }
      send(404, {
        message: `Route ${req.method}:${url.pathname} not found`,
        error: "Not Found",
        statusCode: 404,
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const obs = await observeBeacon(
        httpReputationBeacon(url),
        [P[0] as string, P[1] as string],
        { from: 2, to: 2 },
        { slotsPerEpoch: 8 },
      );
      assert.equal(obs.summary.stateId, "23");
      assert.equal(obs.summary.liveDuties, 2);
      assert.equal(obs.summary.live, 1);
      assert.equal(obs.summary.idealRewardGwei, 0);
      assert.deepEqual(obs.epochs[0]?.unavailable, ["attestationRewards", "proposerDuties"]);
      assert.ok(seen.some((r) => r.startsWith("POST /eth/v1/validator/liveness/2")));
      assert.ok(seen.some((r) => /liveness\?indices=0&indices=1&epoch=2$/.test(r)));
      const score = computeReputation({ intervals: [], beacon: obs.summary });
      const comp = (id: string) => score.components.find((c) => c.id === id)?.value;
      assert.equal(comp("attestationEfficiency"), null);
      assert.equal(comp("proposals"), null);
      assert.equal(typeof comp("beaconLiveness"), "number");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

/**
 * 24 validators of mixed states (+ one unknown pubkey) observed over epochs 100–101 (32-slot
 * epochs): 0–15 active, 16–17 pending, 18–19 exiting at 101, 20 slashed (exit 200), 21 activating
 * at 101, 22–23 withdrawn long ago. Validator 5 misses epoch 101; 3 proposes slot 3203, 21 misses
 * slot 3241.
 */
const MIXED = Array.from({ length: 24 }, (_, i) => {
  const [activation, exit, status] =
    i <= 15
      ? [0, FAR, "active_ongoing"]
      : i <= 17
        ? [FAR, FAR, "pending_queued"]
        : i <= 19
          ? [0, "101", "active_exiting"]
          : i === 20
            ? [0, "200", "active_slashed"]
            : i === 21
              ? [101, FAR, "pending_queued"]
              : [0, "50", "withdrawal_done"];
  return {
    index: String(i),
    balance: String(32_000_000_000 + i),
    status,
    validator: {
      pubkey: fixturePubkey("mixed", i),
      withdrawal_credentials: `0x01${"00".repeat(31)}`,
      effective_balance: "32000000000",
      slashed: i === 20,
      activation_eligibility_epoch: "0",
      activation_epoch: String(activation),
      exit_epoch: String(exit),
      withdrawable_epoch: FAR,
    },
  };
});
const MIXED_KEYS = [...MIXED.map((v) => v.validator.pubkey), fixturePubkey("mixed", 99)];
const MIXED_STATE = "/eth/v1/beacon/states/3263";

/** The non-validator routes of the mixed scenario; `old`: as Lodestar 1.5.1 answers them. */
function mixedRoutes(bn: FakeBeacon, old: boolean): void {
  const s = (head: number, target: number, source: number) => ({
    head: String(head),
    target: String(target),
    source: String(source),
    inactivity: "0",
  });
  const live = (epoch: number, i: number) => !(epoch === 101 && i === 5);
  for (const epoch of [100, 101]) {
    if (old) {
      bn.on(`GET /eth/v1/validator/duties/proposer/${epoch}`, () => ({
        status: 500,
        json: {
          statusCode: 500,
          message: `Requested epoch ${epoch} must equal current 102 or next epoch 103`,
        },
      }));
    } else {
      bn.on(`POST /eth/v1/validator/liveness/${epoch}`, (r) => ({
        json: {
          data: (r.body as string[]).map((i) => ({ index: i, is_live: live(epoch, Number(i)) })),
        },
      }));
      bn.on(`POST /eth/v1/beacon/rewards/attestations/${epoch}`, (r) => ({
        json: {
          data: {
            ideal_rewards: [{ effective_balance: "32000000000", ...s(2000, 4000, 3000) }],
            total_rewards: (r.body as string[]).map((i) => ({
              validator_index: i,
              ...(live(epoch, Number(i)) ? s(2000, 4000, 3000) : s(0, -4000, -3000)),
            })),
          },
        },
      }));
      bn.on(`GET /eth/v1/validator/duties/proposer/${epoch}`, () => ({
        json: {
          dependent_root: `0x${"00".repeat(32)}`,
          data: Array.from({ length: 32 }, (_, k) => ({
            pubkey: `0x${"11".repeat(48)}`,
            validator_index: String(
              epoch === 100 && k === 3 ? 3 : epoch === 101 && k === 9 ? 21 : 900 + k,
            ),
            slot: String(epoch * 32 + k),
          })),
        },
      }));
    }
  }
  if (old) {
    bn.on("GET /eth/v1/validator/liveness", (r) => {
      const epoch = Number(r.query.get("epoch"));
      const data = r.query
        .getAll("indices")
        .map((i) => ({ index: Number(i), epoch, is_live: live(epoch, Number(i)) }));
      return { json: { data } };
    });
  }
  bn.on("GET /eth/v2/beacon/blocks/3203", () => ({
    json: { version: "deneb", data: { message: { slot: "3203", proposer_index: "3" } } },
  }));
  bn.on("GET /eth/v2/beacon/blocks/3241", () => ({
    status: 404,
    json: { code: 404, message: "No block found for id '3241'" },
  }));
}

const recordsOf = (ids: readonly string[]) => MIXED.filter((v) => ids.includes(v.validator.pubkey));

describe("through the one Beacon client: 24 validators of mixed states", () => {
  test("Lodestar v1.39 (> 20 repeated ids → 400; POST …/validators): one POST, every component observed", async () => {
    const bn = await startFakeBeacon();
    try {
      bn.on(`GET ${MIXED_STATE}/validators`, (r: FakeRequest) => {
        const ids = lodestarQueryIds(r);
        return ids ? { json: { data: recordsOf(ids) } } : TOO_MANY_IDS;
      });
      bn.on(`POST ${MIXED_STATE}/validators`, (r) => ({
        json: { data: recordsOf((r.body as { ids: string[] }).ids) },
      }));
      mixedRoutes(bn, false);
      const obs = await observeBeacon(httpReputationBeacon(bn.url), MIXED_KEYS, {
        from: 100,
        to: 101,
      });
      const s = obs.summary;
      assert.deepEqual(obs.unknownPubkeys, [fixturePubkey("mixed", 99)]);
      assert.equal(s.validators, 24);
      // Active: epoch 100 → 0–15, 18, 19, 20 (19); epoch 101 → 0–15, 20, 21 (18).
      assert.deepEqual(
        obs.epochs.map((e) => e.active.length),
        [19, 18],
      );
      assert.equal(s.liveDuties, 37);
      assert.equal(s.live, 36);
      assert.equal(s.idealRewardGwei, 37 * 9000);
      assert.equal(s.actualRewardGwei, 36 * 9000 - 7000);
      assert.deepEqual([s.proposed, s.missedProposals], [1, 1]);
      assert.equal(s.slashed, 1);
      assert.equal(s.balanceGwei, 24 * 32_000_000_000 + (23 * 24) / 2);
      assert.equal(
        obs.epochs.some((e) => e.unavailable),
        false,
      );
      const v = bn.requests.filter((r) => r.path.endsWith("/validators"));
      assert.deepEqual(
        v.map((r) => r.method),
        ["POST"],
      );
      assert.equal((v[0]?.body as { ids?: string[] } | undefined)?.ids?.length, 25);
    } finally {
      await bn.close();
    }
  });

  test("Lodestar 1.5.1 (GETs only, old liveness, no rewards, past duties refused): ≤ 20 ids per GET, the rest unavailable", async () => {
    const bn = await startFakeBeacon();
    try {
      bn.on(`GET ${MIXED_STATE}/validators`, (r) => ({
        json: { data: recordsOf(r.query.getAll("id")) },
      }));
      mixedRoutes(bn, true);
      const obs = await observeBeacon(
        httpReputationBeacon(bn.url),
        MIXED_KEYS,
        { from: 100, to: 101 },
        { concurrency: 1 },
      );
      const s = obs.summary;
      assert.equal(s.validators, 24);
      assert.equal(s.liveDuties, 37);
      assert.equal(s.live, 36);
      assert.equal(s.idealRewardGwei, 0);
      assert.equal(s.proposed + s.missedProposals, 0);
      for (const e of obs.epochs)
        assert.deepEqual(e.unavailable, ["attestationRewards", "proposerDuties"]);
      const gets = bn.requests.filter((r) => r.method === "GET" && r.path.endsWith("/validators"));
      assert.deepEqual(
        gets.map((r) => r.query.getAll("id").length),
        [20, 5],
      );
      // The missing POST liveness is learnt once, then the old GET form is asked directly.
      const liveness = bn.requests.filter((r) => r.path.startsWith("/eth/v1/validator/liveness"));
      assert.deepEqual(
        liveness.map((r) => `${r.method} ${r.path}`),
        [
          "POST /eth/v1/validator/liveness/100",
          "GET /eth/v1/validator/liveness",
          "GET /eth/v1/validator/liveness",
        ],
      );
    } finally {
      await bn.close();
    }
  });
});

describe("CLI with --beacon", () => {
  test("score --beacon --json explains the beacon components", async () => {
    const r = await runCli([
      "score",
      "--beacon",
      fake.url,
      "--epochs",
      "100-103",
      "--validators",
      P.join(","),
      "--json",
    ]);
    assert.equal(r.code, undefined, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.unknownToBeacon, [P[2]]);
    const byId = Object.fromEntries(j.components.map((c: { id: string }) => [c.id, c]));
    assert.deepEqual(byId.beaconLiveness.inputs, { live: 5, observed: 6, epochs: "100-103" });
    assert.deepEqual(byId.proposals.inputs, { proposed: 1, missed: 1 });
    assert.equal(byId.rpParticipation.value, null);
    const missing = await runCli(["score", "--beacon", fake.url, "--validators", P[0] as string]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--epochs is required with --beacon/);
    const notUrl = await runCli([
      "score",
      "--beacon",
      "ftp://localhost:5052",
      "--epochs",
      "100-103",
      "--validators",
      P[0] as string,
    ]);
    assert.equal(notUrl.code, 1);
    assert.match(notUrl.stderr, /Beacon node URL must be http\(s\): ftp:\/\/localhost:5052/);
    assert.match(notUrl.stderr, /Field: --beacon/);
    assert.doesNotMatch(notUrl.stderr, /\n\s+at /, "no stack trace");
  });

  test("verify --beacon re-observes the claimed epochs", async () => {
    const obs = await observeBeacon(httpReputationBeacon(fake.url), P, { from: 100, to: 103 });
    const account = privateKeyToAccount(`0x${"42".repeat(32)}`);
    const { payload } = buildClaimPayload({
      nodeAddress: account.address,
      operator: { type: "rpdvt", id: "16Uiu2HAm", publicKey: `0x02${"ab".repeat(32)}` },
      validators: P,
      performanceFiles: [],
      beacon: obs.summary,
      network: "mainnet",
    });
    const file = path.join(dir, "claim.json");
    await fsp.writeFile(file, claimFileText(await signClaim(payload, account)));
    // The beacon summary is verified; the node's validator set is not (no --rpc): exit 1 unless
    // --self-consistent-only.
    const partial = await runCli(["verify", file, "--beacon", fake.url, "--json"]);
    assert.equal(partial.code, 1);
    const rep = JSON.parse(partial.stdout);
    assert.deepEqual(
      rep.checks.map((c: { id: string; status: string }) => [c.id, c.status]),
      [
        ["signature", "verified"],
        ["expiry", "verified"],
        ["score", "verified"],
        ["beacon", "verified"],
        ["onchain", "unverified"],
      ],
    );
    const ok = await runCli(["verify", file, "--beacon", fake.url, "--self-consistent-only"]);
    assert.equal(ok.code, undefined, ok.stderr);
    assert.match(ok.stdout, /beacon re-observation matches; inputs UNVERIFIED: supply --rpc/);
    fake.liveOverride = true; // the beacon now says every pair was live
    try {
      const bad = await runCli(["verify", file, "--beacon", fake.url, "--json"]);
      assert.equal(bad.code, 1);
      const c = JSON.parse(bad.stdout).checks.find((x: { id: string }) => x.id === "beacon");
      assert.equal(c.status, "failed");
      assert.match(c.message, /differs in live \(claimed 5, observed 6\), sha256/);
    } finally {
      fake.liveOverride = undefined;
    }
  });
});
