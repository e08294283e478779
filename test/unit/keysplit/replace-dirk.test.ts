/**
 * cluster replace-operator --dirk (src/keysplit/replace-dirk.ts): new Dirk distributed wallets for
 * a new participant set, n = 4 → 4 (4 replaced by 5), 4 → 7, 7 → 4, each with > 20 validators:
 * the new output passes verifyDirk (what `rpdvt keys verify` runs), its verification vector is
 * consistent (A_0 = the validator key, every share on it), any t new shares recover the key, t−1
 * do not, old and new mixed do not (fast-check); the per-participant slashing-protection.json
 * (floors at E, closing records for staying participants' old share keys); journal resume;
 * refusals before the wallet is read.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { publicKeyOf } from "../../../src/crypto/bls.js";
import { decryptCrypto } from "../../../src/crypto/eip2335.js";
import { recoverSecret, type SecretShare } from "../../../src/crypto/shamir.js";
import { InputError, VerificationError } from "../../../src/errors.js";
import { type DirkSummary, verifyDirk, writeDirk } from "../../../src/keysplit/dirk.js";
import { evaluateVerificationVector } from "../../../src/keysplit/dirk-vvec.js";
import {
  CLOSED_EPOCH,
  DIRK_PROTECTION_FILE,
  keysOfDirk,
  type OldDirk,
  planDirkReplacement,
  readOldDirk,
  runDirkReplacement,
} from "../../../src/keysplit/replace-dirk.js";
import { HANDOVER_FILE } from "../../../src/keysplit/replace-run.js";
import { splitValidatorKey, type ValidatorKey } from "../../../src/keysplit/split.js";
import { Journal } from "../../../src/ops/journal.js";
import { readInterchangeFile } from "../../../src/slashing/interchange.js";
import { fromHex, toHex } from "../../../src/util/hex.js";
import { makeTempDir, randomValidatorKey, readJson } from "../../helpers.js";

const LIGHT = { c: 2 ** 10 };
const GVR = `0x${"4b".repeat(32)}`;
const SPE = 32;
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
const endpoint = (id: number) => `dirk${id}.example.org:${13140 + id}`;

let root: string;
before(async () => {
  root = await makeTempDir("replace-dirk");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** An old Dirk output (light KDF) of `count` validators over `pids`, its keys and shares. */
async function oldDirk(name: string, pids: number[], count: number) {
  const keys = Array.from({ length: count }, (_, i) => randomValidatorKey(`m/12381/3600/${i}/0/0`));
  const split = keys.map((k) => splitValidatorKey(k, pids));
  const oldShares = split.map((sv) => sv.shares.map((s) => ({ id: s.id, secret: s.secret })));
  const out = join(root, name);
  await writeDirk(out, split, {
    participants: pids.map((id) => ({ id, endpoint: endpoint(id) })),
    kdfParams: LIGHT,
    quiet: true,
  });
  return { keys, out, oldShares, old: await readOldDirk(out) };
}

/** Every participant's decrypted new shares: validator index → shares. */
async function decryptShares(out: string, summary: DirkSummary): Promise<SecretShare[][]> {
  const byValidator: SecretShare[][] = summary.accounts.map(() => []);
  for (const p of summary.participants) {
    const pdir = join(out, `participant-${p.id}`);
    const passphrase = await fsp.readFile(join(pdir, "passphrase.txt"), "utf8");
    for (const [v, a] of summary.accounts.entries()) {
      const uuid = a.shares.find((s) => s.participant === p.id)?.uuid as string;
      const acc = await readJson(join(pdir, "wallets", p.walletUuid, uuid));
      const secret = await decryptCrypto(acc.crypto as never, passphrase);
      byValidator[v]?.push({ id: p.id, secret });
    }
  }
  return byValidator;
}

const recovers = (shares: SecretShare[], secret: Uint8Array): boolean => {
  try {
    return Buffer.from(recoverSecret(shares)).equals(Buffer.from(secret));
  } catch {
    return false;
  }
};

/** Properties over every validator: any t new recover, t−1 do not, mixes with old do not. */
function assertSharing(
  keys: ValidatorKey[],
  fresh: SecretShare[][],
  old: SecretShare[][],
  tNew: number,
  tOld: number,
): void {
  const v = fc.integer({ min: 0, max: keys.length - 1 });
  const pick = (xs: SecretShare[], k: number, seed: number) =>
    [...xs]
      .sort((a, b) => ((a.id * 7919 + seed) % 104729) - ((b.id * 7919 + seed) % 104729))
      .slice(0, k);
  fc.assert(
    fc.property(v, fc.nat(), (i, seed) =>
      recovers(pick(fresh[i] as SecretShare[], tNew, seed), (keys[i] as ValidatorKey).secret),
    ),
    { numRuns: 40 },
  );
  fc.assert(
    fc.property(
      v,
      fc.nat(),
      (i, seed) =>
        !recovers(
          pick(fresh[i] as SecretShare[], tNew - 1, seed),
          (keys[i] as ValidatorKey).secret,
        ),
    ),
    { numRuns: 40 },
  );
  fc.assert(
    fc.property(
      v,
      fc.integer({ min: 1, max: tOld - 1 }),
      fc.integer({ min: 1, max: tNew - 1 }),
      fc.nat(),
      (i, nOld, nNew, seed) => {
        const o = pick(old[i] as SecretShare[], nOld, seed);
        const used = new Set(o.map((s) => s.id));
        const n = pick(
          (fresh[i] as SecretShare[]).filter((s) => !used.has(s.id)),
          nNew,
          seed + 1,
        );
        return !recovers([...o, ...n], (keys[i] as ValidatorKey).secret);
      },
    ),
    { numRuns: 60 },
  );
}

/** The new summary's vectors: A_0 = the validator key, every share key = vvec(x = id). */
function assertVectors(summary: DirkSummary, keys: ValidatorKey[]): void {
  for (const [v, a] of summary.accounts.entries()) {
    const vvec = a.verificationVector.map((h) => fromHex(h));
    assert.equal(a.verificationVector[0], toHex((keys[v] as ValidatorKey).pubkey));
    assert.equal(vvec.length, summary.threshold);
    for (const s of a.shares)
      assert.equal(toHex(evaluateVerificationVector(vvec, s.participant)), s.pubkey);
  }
}

async function run(
  old: OldDirk,
  keys: ValidatorKey[],
  out: string,
  req: Parameters<typeof planDirkReplacement>[1],
  afterStep?: (s: string) => void,
) {
  const plan = planDirkReplacement(old, req);
  const journal = await Journal.open(`${out}.journal.jsonl`);
  const r = await runDirkReplacement({
    old,
    plan,
    keys,
    out,
    journal,
    slotsPerEpoch: SPE,
    genesisValidatorsRoot: GVR,
    kdfParams: LIGHT,
    quiet: true,
    afterStep,
  });
  return { plan, r };
}

describe("runDirkReplacement: new Dirk wallets for the new participant set", () => {
  test("4 → 4 (participant 4 replaced by 5), 24 validators: verifies, vectors, sharing, protection files, hand-over", async () => {
    const { keys, old, oldShares } = await oldDirk("old-4", ids(4), 24);
    const out = join(root, "new-4-4");
    const { r } = await run(old, keys, out, {
      replace: new Map([[4, 5]]),
      endpoints: new Map([[5, endpoint(5)]]),
      currentEpoch: 100,
      activationEpoch: 120,
    });
    assert.deepEqual(r.participants, [1, 2, 3, 5]);
    assert.deepEqual([r.staying, r.removed, r.added], [[1, 2, 3], [4], [5]]);
    assert.equal(r.wallet, "rpdvt-e120");
    const report = await verifyDirk(out, { quiet: true });
    assert.equal(report.validators, 24);
    assert.deepEqual(report.operators, [1, 2, 3, 5]);
    const summary = (await readJson(join(out, "distributed-accounts.json"))) as DirkSummary;
    assert.deepEqual(summary.previous, {
      summarySha256: old.sha256,
      wallet: "rpdvt",
      activationEpoch: 120,
    });
    assert.deepEqual(
      summary.participants.map((p) => p.endpoint),
      [1, 2, 3, 5].map(endpoint),
      "staying participants keep their endpoint, the new one has its own",
    );
    assertVectors(summary, keys);
    const fresh = await decryptShares(out, summary);
    assertSharing(keys, fresh, oldShares, 3, 3);
    for (const [v, shares] of fresh.entries()) {
      for (const id of [1, 2, 3]) {
        const a = shares.find((s) => s.id === id)?.secret;
        const b = oldShares[v]?.find((s) => s.id === id)?.secret;
        assert.notDeepEqual(a, b, `participant ${id}'s share of validator ${v} must be fresh`);
      }
    }
    // Slashing protection: floors on the new share keys; closing records for staying ones' old keys.
    for (const id of [1, 2, 3, 5]) {
      const ic = await readInterchangeFile(join(out, `participant-${id}`, DIRK_PROTECTION_FILE));
      assert.equal(ic.metadata.genesis_validators_root, GVR);
      const mine = summary.accounts.map((a) => a.shares.find((s) => s.participant === id)?.pubkey);
      const floors = ic.data.filter((d) => mine.includes(d.pubkey));
      assert.equal(floors.length, 24);
      for (const d of floors) {
        assert.deepEqual(d.signed_attestations, [{ source_epoch: "0", target_epoch: "119" }]);
        assert.deepEqual(d.signed_blocks, [{ slot: String(120 * SPE - 1) }]);
      }
      const oldMine = old.summary.accounts.map(
        (a) => a.shares.find((s) => s.participant === id)?.pubkey,
      );
      const closing = ic.data.filter((d) => oldMine.includes(d.pubkey));
      assert.equal(closing.length, id === 5 ? 0 : 24, `participant ${id}'s closing records`);
      for (const d of closing) {
        assert.deepEqual(d.signed_blocks, [{ slot: String(CLOSED_EPOCH) }]);
        assert.equal(d.signed_attestations[0]?.target_epoch, String(CLOSED_EPOCH));
      }
      assert.equal(ic.data.length, floors.length + closing.length);
      const mode = (await fsp.stat(join(out, `participant-${id}`, DIRK_PROTECTION_FILE))).mode;
      assert.equal(mode & 0o777, 0o600);
    }
    const handover = await fsp.readFile(join(out, HANDOVER_FILE), "utf8");
    assert.match(handover, /dirk --import-slashing-protection --genesis-validators-root=0x4b4b/);
    assert.match(handover, /during epoch 119 \(slots 3808\.\.3839\)/);
    assert.match(handover, /at least 2 of the 4 old participants closed/);
    assert.match(handover, /3 old shares together still rebuild the key/);
  });

  for (const [name, from, req, tOld, tNew, count] of [
    [
      "4 → 7",
      ids(4),
      {
        operatorIds: ids(7),
        endpoints: new Map(ids(3, 5).map((id) => [id, endpoint(id)])),
      },
      3,
      5,
      21,
    ],
    [
      "7 → 4",
      ids(7),
      { operatorIds: [1, 2, 3, 8], endpoints: new Map([[8, endpoint(8)]]) },
      5,
      3,
      22,
    ],
  ] as const) {
    test(`${name}, ${count} validators: thresholds follow n; verifies; any t new recover, t−1 and mixes do not`, async () => {
      const { keys, old, oldShares } = await oldDirk(`old-${name}`, [...from], count);
      const out = join(root, `new-${name}`);
      const { r } = await run(old, keys, out, { ...req, currentEpoch: 10, activationEpoch: 12 });
      assert.equal(r.threshold, tNew);
      const report = await verifyDirk(out, { quiet: true });
      assert.equal(report.threshold, tNew);
      assert.equal(report.validators, count);
      const summary = (await readJson(join(out, "distributed-accounts.json"))) as DirkSummary;
      assertVectors(summary, keys);
      assertSharing(keys, await decryptShares(out, summary), oldShares, tNew, tOld);
    });
  }
});

describe("runDirkReplacement: crash and resume", () => {
  test("killed after split: rerun completes; killed after write: rerun resumes; another plan into the same --out is refused", async () => {
    const { keys, old } = await oldDirk("old-resume", ids(4), 3);
    const out = join(root, "new-resume");
    const req = {
      replace: new Map([[4, 5]]),
      endpoints: new Map([[5, endpoint(5)]]),
      currentEpoch: 100,
      activationEpoch: 110,
    };
    const crashAt = (step: string) => (s: string) => {
      if (s === step) throw new Error(`crash at ${s}`);
    };
    await assert.rejects(run(old, keys, out, req, crashAt("split")), /crash at split/);
    assert.equal((await fsp.stat(out).catch(() => null)) === null, true, "nothing at --out");
    await assert.rejects(run(old, keys, out, req, crashAt("write")), /crash at write/);
    const summary = await readJson(join(out, "distributed-accounts.json"));
    const { r } = await run(old, keys, out, req);
    assert.deepEqual(r.resumed, ["plan", "write"]);
    assert.deepEqual(await readJson(join(out, "distributed-accounts.json")), summary);
    assert.ok((await fsp.stat(join(out, HANDOVER_FILE))).isFile());
    await verifyDirk(out, { quiet: true });
    await assert.rejects(
      run(old, keys, out, { ...req, activationEpoch: 111 }),
      (e: unknown) => e instanceof InputError && e.field === "--out",
    );
  });
});

describe("refusals before the wallet is read", () => {
  let fixture: Awaited<ReturnType<typeof oldDirk>>;
  before(async () => {
    fixture = await oldDirk("old-refuse", ids(4), 2);
  });
  const field = (f: string) => (e: unknown) => e instanceof InputError && e.field === f;

  test("old output: missing, edited composite key, a share not on the vector", async () => {
    await assert.rejects(readOldDirk(join(root, "nope")), field("--dirk"));
    const summary = await readJson(join(fixture.out, "distributed-accounts.json"));
    const accounts = summary.accounts as DirkSummary["accounts"];
    const edit = async (name: string, change: (s: DirkSummary) => void) => {
      const copy = structuredClone(summary) as DirkSummary;
      change(copy);
      const file = join(root, `${name}.json`);
      await fsp.writeFile(file, JSON.stringify(copy));
      return file;
    };
    const swapped = await edit("composite", (s) => {
      (s.accounts[0] as DirkSummary["accounts"][number]).compositePubkey = accounts[1]
        ?.compositePubkey as string;
    });
    await assert.rejects(readOldDirk(swapped), field("accounts[0].verificationVector"));
    const share = await edit("share", (s) => {
      const a = s.accounts[0] as DirkSummary["accounts"][number];
      (a.shares[1] as { pubkey: string }).pubkey = accounts[1]?.shares[1]?.pubkey as string;
    });
    await assert.rejects(readOldDirk(share), field("accounts[0].shares[participant=2].pubkey"));
    const twice = await edit("twice", (s) => {
      s.accounts[1] = s.accounts[0] as DirkSummary["accounts"][number];
    });
    await assert.rejects(readOldDirk(twice), field("accounts[1]"));
    const threshold = await edit("threshold", (s) => {
      s.threshold = 2;
    });
    await assert.rejects(readOldDirk(threshold), field("threshold"));
  });

  test("plan: endpoint of a new participant, unknown ids, wallet name, epoch, n, nothing changed", () => {
    const { old } = fixture;
    const base = { currentEpoch: 100, activationEpoch: 120 };
    const five = new Map([[5, endpoint(5)]]);
    assert.throws(
      () => planDirkReplacement(old, { ...base, replace: new Map([[4, 5]]) }),
      (e: unknown) => field("--endpoints")(e) && /participant\(s\) 5/.test((e as Error).message),
    );
    assert.throws(
      () =>
        planDirkReplacement(old, {
          ...base,
          replace: new Map([[4, 5]]),
          endpoints: new Map([...five, [9, endpoint(9)]]),
        }),
      field("--endpoints"),
    );
    assert.throws(
      () =>
        planDirkReplacement(old, {
          ...base,
          replace: new Map([[4, 5]]),
          endpoints: five,
          walletName: "rpdvt",
        }),
      field("--wallet-name"),
    );
    assert.throws(
      () =>
        planDirkReplacement(old, {
          ...base,
          activationEpoch: 101,
          replace: new Map([[4, 5]]),
          endpoints: five,
        }),
      field("--activation-epoch"),
    );
    assert.throws(
      () => planDirkReplacement(old, { ...base, operatorIds: ids(5), endpoints: five }),
      field("--operator-ids"),
    );
    assert.throws(
      () => planDirkReplacement(old, { ...base, operatorIds: ids(4) }),
      field("--operator-ids"),
    );
    assert.throws(
      () => planDirkReplacement(old, { ...base, replace: new Map([[9, 5]]), endpoints: five }),
      field("--replace"),
    );
    const plan = planDirkReplacement(old, { ...base, replace: new Map([[4, 5]]), endpoints: five });
    assert.equal(plan.walletName, "rpdvt-e120");
  });

  test("wallet: a missing key names --rocketpool-dir; a key that is not the old vector's A_0 is refused", () => {
    const { old, keys } = fixture;
    assert.throws(() => keysOfDirk(old, keys.slice(1)), field("--rocketpool-dir"));
    const other = randomValidatorKey("m/12381/3600/99/0/0");
    const forged = { ...other, pubkey: (keys[0] as ValidatorKey).pubkey };
    assert.deepEqual(publicKeyOf(other.secret), other.pubkey);
    assert.throws(
      () => keysOfDirk(old, [forged, keys[1] as ValidatorKey]),
      (e: unknown) =>
        e instanceof VerificationError && /verification vector/.test((e as Error).message),
    );
  });
});
