/**
 * The performance-file parser on REAL published Rocket Pool files (rocket-pool/rewards-trees @
 * 940d81a, pinned in test/vectors.lock.json, resolved by test/vectors.ts): the oDAO's v3 minipool
 * performance file of testnet interval 10, the Saturn-era v4 `rp-performance-testnet-232.json`
 * with `megapoolPerformance`, and the mainnet rewards tree of interval 20 (refused as what it is).
 * Every expected number below was read from the files with `jq` independently of this code.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { reputationCommand } from "../../../src/cli/reputation.js";
import { InputError } from "../../../src/errors.js";
import { buildClaimPayload, signClaim, verifyClaim } from "../../../src/reputation/claim.js";
import {
  checkPerformanceSet,
  type PerformanceFile,
  parsePerformanceFile,
  readPerformanceFile,
} from "../../../src/reputation/performance-file.js";
import { nodeIntervals } from "../../../src/reputation/score.js";
import { runCommand } from "../../helpers.js";
import { vectorPath } from "../../vectors.js";

const V3 = "rocketpool/rp-minipool-performance-testnet-10.json";
const V4 = "rocketpool/rp-performance-testnet-232.json";
const TREE = "rocketpool/rp-rewards-mainnet-20.json";

let v3: PerformanceFile;
let v4: PerformanceFile;
const parseMs: Record<string, number> = {};

async function timed(name: string): Promise<PerformanceFile> {
  const file = await vectorPath(name);
  const t = performance.now();
  const pf = await readPerformanceFile(file);
  parseMs[name] = performance.now() - t;
  return pf;
}

before(async () => {
  v3 = await timed(V3);
  v4 = await timed(V4);
});

const sum = (rs: PerformanceFile["records"], k: "successfulAttestations" | "missedAttestations") =>
  rs.reduce((a, r) => a + r[k], 0);

describe("real performance files", () => {
  test("v3 oDAO minipool performance file, testnet interval 10", (t) => {
    t.diagnostic(`parse ${parseMs[V3]?.toFixed(0)} ms (142 kB, 270 minipools)`);
    assert.deepEqual(
      {
        name: v3.name,
        network: v3.network,
        interval: v3.interval,
        rewardsFileVersion: v3.rewardsFileVersion,
        rulesetVersion: v3.rulesetVersion,
        startTime: v3.startTime,
        endTime: v3.endTime,
        sha256: v3.sha256,
      },
      {
        name: "rp-minipool-performance-testnet-10.json",
        network: "testnet",
        interval: 10,
        rewardsFileVersion: 3,
        rulesetVersion: 10,
        startTime: "2025-04-30T00:00:24Z",
        endTime: "2025-05-02T00:00:12Z",
        sha256: "0x3e6bf92df6591d355e44e5b61d3e1a50284e5bde9acfb21393b863a4149dedc1",
      },
    );
    assert.equal(v3.records.length, 270);
    assert.ok(v3.records.every((r) => r.kind === "minipool"));
    assert.equal(sum(v3.records, "successfulAttestations"), 95_803);
    assert.equal(sum(v3.records, "missedAttestations"), 378);
    assert.equal(v3.records.filter((r) => r.missedAttestations > 0).length, 213);
    // The minipool with the most misses, every field as published.
    const r = v3.records.find((x) => x.address === "0xcbd69a3207cf776e196b566ba3b8b67289e9c802");
    assert.ok(r);
    assert.equal(
      r.pubkey,
      "0x99fdec2ac5c5846c476cf569eeb116033956ad185b9564f7bb86d6ddc0978c5ce2b04786170e6dbf0c9496059b2d5d04",
    );
    assert.equal(r.successfulAttestations, 442);
    assert.equal(r.missedAttestations, 8);
    assert.equal(r.attestationScore, 148_204_092_834_549_514_386n);
    assert.equal(r.ethEarnedWei, 16_504_451_562_397n);
    assert.equal(r.missingAttestationSlots.length, 8);
    assert.deepEqual(r.missingAttestationSlots.slice(0, 3), [315_296, 319_040, 321_536]);
  });

  test("v4 Saturn performance file, testnet interval 232: minipools and megapool validators", (t) => {
    t.diagnostic(
      `parse ${parseMs[V4]?.toFixed(0)} ms (704 kB, 26 minipools + 2039 megapool validators)`,
    );
    assert.deepEqual(
      [v4.name, v4.network, v4.interval, v4.rewardsFileVersion, v4.rulesetVersion],
      ["rp-performance-testnet-232.json", "testnet", 232, 4, 11],
    );
    const minipools = v4.records.filter((r) => r.kind === "minipool");
    const mega = v4.records.filter((r) => r.kind === "megapool-validator");
    assert.equal(minipools.length, 26);
    assert.equal(mega.length, 2039);
    assert.equal(sum(minipools, "successfulAttestations"), 11_686);
    assert.equal(sum(minipools, "missedAttestations"), 14);
    assert.equal(sum(mega, "successfulAttestations"), 916_967);
    assert.equal(sum(mega, "missedAttestations"), 583);
    // 18 megapools: 10 list validators, 8 only a voterShare (no records).
    assert.equal(new Set(mega.map((r) => r.address)).size, 10);
    assert.equal(
      mega.filter((r) => r.address === "0x2b3a775047316345dd97628cc9a8350e59139fac").length,
      1000,
    );
    const r = mega.find(
      (x) =>
        x.pubkey ===
        "0x860e460b49a9f8994d403230f296b65df62ede112ac75acc6bb4378b7284c2662b09add84b65190be94cfd8880da891f",
    );
    assert.deepEqual(r && { ...r }, {
      address: "0x50aca3a1e577694c873d5f80f6a2824e8473bdbe",
      pubkey:
        "0x860e460b49a9f8994d403230f296b65df62ede112ac75acc6bb4378b7284c2662b09add84b65190be94cfd8880da891f",
      kind: "megapool-validator",
      successfulAttestations: 443,
      missedAttestations: 7,
      attestationScore: 74_756_250_000_000_000_000n,
      missingAttestationSlots: r?.missingAttestationSlots,
      ethEarnedWei: 9_656_244_051_540n,
    });
    assert.deepEqual(r?.missingAttestationSlots.slice(0, 2), [3_641_041, 3_641_078]);
    assert.equal(r?.missingAttestationSlots.length, 7);
    // Both real files are one network with distinct intervals: a valid set, sorted.
    assert.deepEqual(
      checkPerformanceSet([v4, v3]).map((f) => f.interval),
      [10, 232],
    );
  });

  test("a node's score and a claim from the real v4 file (megapool + minipool), verified against it", async () => {
    const node = privateKeyToAccount(`0x${"44".repeat(32)}`);
    const validators = [
      // megapool 0x50aca3…: 443/7 and 448/2
      "0x860e460b49a9f8994d403230f296b65df62ede112ac75acc6bb4378b7284c2662b09add84b65190be94cfd8880da891f",
      "0xaee339f9f8a759027aa72681836fabcc75a191174c3228ce2441c184869fa2b7cc5351c381e6bc2a55fea2cd3a492b80",
      // minipool 0x7528b0…: 448/2
      "0x9321cc28234c831a328ec57b57e3f48a7f893a4debe1b300ed2b7c1e9582d48ff81575f423533e284f99dff03a8e2412",
    ];
    const { intervals, found } = nodeIntervals([v4], validators);
    assert.deepEqual(intervals, [{ interval: 232, minipools: 3, successful: 1339, missed: 11 }]);
    assert.deepEqual(
      found.map((f) => f.minipool), // by pubkey: 0x860e…, 0x9321…, 0xaee3…
      [
        "0x50aca3a1e577694c873d5f80f6a2824e8473bdbe",
        "0x7528b0345b99ca55c1a7553df38516730118f487",
        "0x50aca3a1e577694c873d5f80f6a2824e8473bdbe",
      ],
    );
    const { payload } = buildClaimPayload({
      nodeAddress: node.address,
      operator: { type: "ssv", id: "7", publicKey: "LS0tLS1CRUdJTg" },
      validators,
      performanceFiles: [v4],
      beacon: null,
    });
    const claim = await signClaim(payload, node);
    const ok = await verifyClaim(claim, { performanceFiles: [v4] });
    assert.equal(ok.checks.find((c) => c.id === "performance-files")?.status, "verified");
    const wrong = await verifyClaim(claim, { performanceFiles: [v3] });
    assert.equal(wrong.checks.find((c) => c.id === "performance-files")?.status, "failed");
  });
});

describe("edited real files are refused naming the field", () => {
  test("a bad count, pubkey, slot list or score in a real record", async () => {
    const text = await fsp.readFile(await vectorPath(V4), "utf8");
    const mp = "0x50aca3a1e577694c873d5f80f6a2824e8473bdbe";
    const vk =
      "860e460b49a9f8994d403230f296b65df62ede112ac75acc6bb4378b7284c2662b09add84b65190be94cfd8880da891f";
    const mini = "0x7528b0345b99ca55c1a7553df38516730118f487";
    type Rec = Record<string, unknown> & { missingAttestationSlots: number[] };
    type Json = {
      minipoolPerformance: Record<string, Rec>;
      megapoolPerformance: Record<string, { validatorPerformance: Record<string, Rec> }>;
    };
    const megaRec = (j: Json) => (j.megapoolPerformance[mp]?.validatorPerformance[vk] ?? {}) as Rec;
    const miniRec = (j: Json) => (j.minipoolPerformance[mini] ?? {}) as Rec;
    const cases: [(j: Json) => void, string, RegExp][] = [
      [
        (j) => {
          megaRec(j).successfulAttestations = "443";
        },
        `megapoolPerformance.${mp}.validatorPerformance.${vk}.successfulAttestations`,
        /non-negative integer/,
      ],
      [
        (j) => {
          miniRec(j).pubkey = "0x1234";
        },
        `minipoolPerformance.${mini}.pubkey`,
        /48-byte hex public key/,
      ],
      [
        (j) => {
          miniRec(j).missingAttestationSlots.push(-1);
        },
        `minipoolPerformance.${mini}.missingAttestationSlots`,
        /slot numbers/,
      ],
      [
        (j) => {
          megaRec(j).missedAttestations = 6;
        },
        `megapoolPerformance.${mp}.validatorPerformance.${vk}.missedAttestations`,
        /missedAttestations is 6 but 7 missing slots/,
      ],
      [
        (j) => {
          miniRec(j).attestationScore = "12.5";
        },
        `minipoolPerformance.${mini}.attestationScore`,
        /quoted non-negative integer/,
      ],
    ];
    for (const [edit, field, re] of cases) {
      const j = JSON.parse(text) as Json;
      edit(j);
      assert.throws(
        () =>
          parsePerformanceFile(Buffer.from(JSON.stringify(j)), "rp-performance-testnet-232.json"),
        (e: unknown) =>
          e instanceof InputError &&
          e.field === field &&
          re.test(`${e.shortMessage} ${e.details ?? ""}`),
        field,
      );
    }
  });
});

describe("the rewards tree is not a performance file", () => {
  let dir = "";
  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), "rpdvt-rep-pf-"));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test("refused, saying what it is and which performance file it names", async () => {
    const file = await vectorPath(TREE);
    const bytes = await fsp.readFile(file);
    assert.throws(
      () => parsePerformanceFile(bytes, file),
      (e: unknown) =>
        e instanceof InputError &&
        e.shortMessage ===
          "This is a Rocket Pool rewards tree (mainnet interval 20), not a performance file" &&
        e.metaMessages.some((m) =>
          m.includes("IPFS CID bafybeicnrz7ld2cl3xmezjyketjjlcfaig45soogykdeir6tnxkkeqrglu"),
        ),
    );
    // Through the CLI: one clear error, no stack trace.
    const r = await runCommand(reputationCommand(), [
      "score",
      "--performance-files",
      file,
      "--validators",
      `0x${"ab".repeat(48)}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /This is a Rocket Pool rewards tree \(mainnet interval 20\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    // Any other JSON without a performance map is refused too (it used to parse as 0 records).
    const other = path.join(dir, "rp-minipool-performance-mainnet-5.json");
    await fsp.writeFile(other, JSON.stringify({ index: 5, network: "mainnet" }));
    await assert.rejects(readPerformanceFile(other), /no minipoolPerformance/);
  });
});
