/**
 * Issue 12 item 2: `keys verify` (and node run's loader, and the writers) reject every split that
 * is not a sharing of the validator key with threshold exactly t — a share off the polynomial at
 * any position, a polynomial of too low a degree (t−1 operators could sign), a share equal to the
 * key. Properties over n ∈ {4, 7, 10, 13} on the G1 check and on cluster.json through
 * verifyOutput; the same forgeries built as an attacker would (cluster.json re-hashed and share
 * keystores re-encrypted; SSV items re-signed by the validator key and re-encrypted to the
 * operators) for n = 4 and 7, so that only the math check can catch them. Item 6: the messages
 * for a non-JSON keyshares file and an unreadable file in --operator-keys.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, mock, test } from "node:test";
import { promisify } from "node:util";
import bls from "bls-eth-wasm";
import fc from "fast-check";
import { publicKeyOf, signMessage } from "../../../src/crypto/bls.js";
import { encryptKeystore } from "../../../src/crypto/eip2335.js";
import { recoverPublicKey } from "../../../src/crypto/interpolate.js";
import { encodeOperatorPublicKey, rsaEncrypt } from "../../../src/crypto/rsa.js";
import {
  bytesToScalar,
  evalPoly,
  randomScalar,
  recoverSecret,
  scalarToBytes,
} from "../../../src/crypto/shamir.js";
import { BaseError, InputError, VerificationError } from "../../../src/errors.js";
import { loadOperator, writeCluster } from "../../../src/keysplit/cluster.js";
import { clusterDefinitionHash } from "../../../src/keysplit/cluster-hash.js";
import { writeDirk } from "../../../src/keysplit/dirk.js";
import { polynomialCoefficients } from "../../../src/keysplit/dirk-vvec.js";
import { findPublicShareDefect, type ShareDefect } from "../../../src/keysplit/format-io.js";
import {
  type SplitValidator,
  splitValidatorKey,
  thresholdFor,
} from "../../../src/keysplit/split.js";
import { buildSsvKeyshares, type SsvKeysharesFile } from "../../../src/keysplit/ssv.js";
import {
  encodeSharesData,
  ownershipMessage,
  type SsvKeysharesItem,
} from "../../../src/keysplit/ssv-format.js";
import { verifyOutput } from "../../../src/keysplit/verify.js";
import { toHex } from "../../../src/util/hex.js";
import { exists, makeTempDir, randomValidatorKey, readJson, rpdvt } from "../../helpers.js";

const LIGHT = { n: 2 ** 10 };
const FEE_55 = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const OWNER = "0x81592c3de184a3e2c0dcb5a261bc107bfa91f494";

let root: string;
before(async () => {
  root = await makeTempDir("keysplit-verify");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});
let seq = 0;
const fresh = (name: string) => join(root, `${name}-${seq++}`);

// ---------------------------------------------------------------------------------------------
// Polynomials over F_r (the test knows every secret; the verifiers see public keys only)

type Poly = bigint[];
const randomPoly = (key: bigint, degree: number): Poly => [
  key,
  ...Array.from({ length: degree }, () => randomScalar()),
];
const at = (p: Poly, x: number) => evalPoly(p, BigInt(x));
/** The polynomial of degree < points.length through the points (x may be 0: the key). */
const polyThrough = (points: { x: number; y: bigint }[]): Poly =>
  polynomialCoefficients(points.map((p) => ({ id: p.x, secret: scalarToBytes(p.y) })));

/** What a forged split does: everything a verifier must reject, and the correct split. */
type Forgery =
  | { kind: "good" }
  | { kind: "off"; position: number }
  | { kind: "degree"; degree: number }
  | { kind: "key-share"; position: number };

/** Share secrets (as scalars) at `ids` of `key` under `forgery`. */
function forgeShares(key: bigint, ids: number[], t: number, forgery: Forgery): bigint[] {
  const good = randomPoly(key, t - 1);
  switch (forgery.kind) {
    case "good":
      return ids.map((x) => at(good, x));
    case "off": {
      // a share of ANOTHER polynomial through the same key, at one position
      const other = randomPoly(key, t - 1);
      return ids.map((x, i) => at(i === forgery.position ? other : good, x));
    }
    case "degree": {
      const low = randomPoly(key, forgery.degree);
      return ids.map((x) => at(low, x));
    }
    case "key-share": {
      // degree t−1, but f(x_p) = f(0): operator p alone holds the key
      const others = ids.filter((_, i) => i !== forgery.position).slice(0, t - 2);
      const p = polyThrough([
        { x: 0, y: key },
        { x: ids[forgery.position] as number, y: key },
        ...others.map((x) => ({ x, y: randomScalar() })),
      ]);
      return ids.map((x) => at(p, x));
    }
  }
}

/** The defect the verifier must report for `forgery`. */
function expectedDefect(forgery: Forgery, ids: number[], t: number): ShareDefect | undefined {
  switch (forgery.kind) {
    case "good":
      return undefined;
    case "off":
      return { kind: "off-polynomial", ids: [ids[forgery.position] as number] };
    case "degree":
      return forgery.degree === 0
        ? { kind: "share-is-key", id: ids[0] as number }
        : { kind: "degree-too-low", ids: ids.slice(0, t - 1) };
    case "key-share":
      return { kind: "share-is-key", id: ids[forgery.position] as number };
  }
}

const sizeArb = fc.constantFrom(4, 7, 10, 13);
/** Ascending distinct operator ids (SSV-like: anything up to 2^31 − 1). */
const idsArb = (n: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 0x7fffffff }), { minLength: n, maxLength: n })
    .map((a) => a.sort((x, y) => x - y));
const forgeryArb = (n: number) => {
  const t = thresholdFor(n);
  return fc.oneof(
    fc.constant<Forgery>({ kind: "good" }),
    fc.integer({ min: 0, max: n - 1 }).map((position): Forgery => ({ kind: "off", position })),
    fc.integer({ min: 0, max: t - 2 }).map((degree): Forgery => ({ kind: "degree", degree })),
    fc
      .integer({ min: 0, max: n - 1 })
      .map((position): Forgery => ({ kind: "key-share", position })),
  );
};
const caseArb = sizeArb.chain((n) =>
  fc.record({ n: fc.constant(n), ids: idsArb(n), forgery: forgeryArb(n) }),
);

const pub = (x: bigint) => publicKeyOf(scalarToBytes(x));

describe("properties, n ∈ {4, 7, 10, 13}: the check in G1 (no secrets)", () => {
  test("a correct split passes; any off-polynomial share (any position), too-low degree or key share is named", () => {
    fc.assert(
      fc.property(caseArb, ({ n, ids, forgery }) => {
        const t = thresholdFor(n);
        const key = randomScalar();
        const shares = forgeShares(key, ids, t, forgery).map((y, i) => ({
          id: ids[i] as number,
          pubkey: pub(y),
        }));
        assert.deepEqual(
          findPublicShareDefect(pub(key), shares, t),
          expectedDefect(forgery, ids, t),
        );
      }),
      { numRuns: 60 },
    );
  });

  test("a correct split is confirmed by the one-sum check: one interpolation (the degree check) instead of n−t+2", () => {
    const recover = mock.method(bls.PublicKey.prototype, "recover");
    try {
      for (const n of [4, 7, 10, 13]) {
        const t = thresholdFor(n);
        const ids = Array.from({ length: n }, (_, i) => 3 * i + 5);
        const key = randomScalar();
        const good = forgeShares(key, ids, t, { kind: "good" }).map((y, i) => ({
          id: ids[i] as number,
          pubkey: pub(y),
        }));
        recover.mock.resetCalls();
        assert.equal(findPublicShareDefect(pub(key), good, t), undefined);
        assert.equal(recover.mock.callCount(), 1, `n=${n}: only the degree check interpolates`);
        // one wrong share: the sum is not the identity, and the per-share checks name it
        const off = forgeShares(key, ids, t, { kind: "off", position: n - 1 }).map((y, i) => ({
          id: ids[i] as number,
          pubkey: pub(y),
        }));
        recover.mock.resetCalls();
        assert.deepEqual(findPublicShareDefect(pub(key), off, t), {
          kind: "off-polynomial",
          ids: [ids[n - 1]],
        });
        assert.ok(recover.mock.callCount() >= n - t + 1);
      }
    } finally {
      recover.mock.restore();
    }
  });

  test("two shares of another polynomial through the key that agrees with the first shares are both named", () => {
    for (const n of [7, 10, 13]) {
      const t = thresholdFor(n);
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      const key = randomScalar();
      const f = randomPoly(key, t - 1);
      // g agrees with f on 0 and t−2 middle shares: the old "first t and last t" check passed this
      const g = polyThrough([
        { x: 0, y: key },
        ...ids.slice(n - t, n - 2).map((x) => ({ x, y: at(f, x) })),
        { x: 1000, y: randomScalar() },
      ]);
      const shares = ids.map((x) => ({ id: x, pubkey: pub(x > n - 2 ? at(g, x) : at(f, x)) }));
      assert.deepEqual(recoverPublicKey(shares.slice(n - t)), pub(key), "last t pass");
      assert.deepEqual(findPublicShareDefect(pub(key), shares, t), {
        kind: "off-polynomial",
        ids: [n - 1, n],
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// cluster.json (definition only) through verifyOutput, the function `rpdvt keys verify` calls

type Forged = { key: bigint; shares: bigint[] };

/** A cluster definition for the validators, with a correct hash (a "valid-looking" forgery). */
function definition(validators: Forged[], ids: number[]): Record<string, unknown> {
  const plain = {
    version: "rpdvt-cluster/v1",
    name: "forged",
    createdAt: "2026-12-06T00:00:00.000Z",
    threshold: thresholdFor(ids.length),
    operators: ids.map((id) => ({ id, identity: null })),
    validators: validators.map((v) => ({
      pubkey: toHex(pub(v.key)),
      shares: v.shares.map((y, i) => ({ operatorId: ids[i] as number, pubkey: toHex(pub(y)) })),
      feeRecipient: FEE_55,
    })),
  };
  return { ...plain, hash: clusterDefinitionHash(plain) };
}

describe("properties, n ∈ {4, 7, 10, 13}: re-hashed cluster.json through verifyOutput", () => {
  test("one forged validator among three is rejected, naming it, its field and the operator(s)", async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArb,
        fc.integer({ min: 0, max: 2 }),
        async ({ n, ids, forgery }, forgedAt) => {
          const t = thresholdFor(n);
          const validators = [0, 1, 2].map((i) => {
            const key = randomScalar();
            return {
              key,
              shares: forgeShares(key, ids, t, i === forgedAt ? forgery : { kind: "good" }),
            };
          });
          const file = `${fresh("def")}.json`;
          await fsp.writeFile(file, JSON.stringify(definition(validators, ids), null, 2));
          const expected = expectedDefect(forgery, ids, t);
          if (!expected) {
            const report = await verifyOutput(file);
            assert.equal(report.validators, 3);
            assert.match(report.checks.join("\n"), new RegExp(`degree exactly ${t - 1}`));
            return;
          }
          await assert.rejects(verifyOutput(file), (e: unknown) => {
            assert.ok(e instanceof VerificationError, String(e));
            assert.match(e.message, new RegExp(toHex(pub(validators[forgedAt]?.key as bigint))));
            assert.match(e.message, new RegExp(`Field: validators\\[${forgedAt}\\]\\.shares`));
            assert.ok(e.message.includes(`File: ${file}`));
            const named = expected.kind === "share-is-key" ? [expected.id] : expected.ids;
            assert.match(e.message, new RegExp(`operators? ${named.join(",")}\\b`));
            assert.match(e.message, /Do not use it/);
            return true;
          });
        },
      ),
      { numRuns: 16 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Realistic forgeries of a whole cluster output: re-encrypted keystores, re-hashed definitions

/** Write a correct cluster of `count` validators over `ids`, returning the keys. */
async function writeGoodCluster(ids: number[], count: number) {
  const keys = Array.from({ length: count }, (_, i) => randomValidatorKey(`m/12381/3600/${i}/0/0`));
  const out = fresh("cluster");
  await writeCluster(
    out,
    keys.map((k) => splitValidatorKey(k, ids)),
    { operators: ids.map((id) => ({ id })), feeRecipients: FEE_55, kdfParams: LIGHT, quiet: true },
  );
  return { out, keys };
}

/**
 * Replace validator `index`'s shares by `shares` everywhere, as an attacker with write access to
 * the folders would: each changed share keystore re-encrypted with its operator's password, the
 * definition's share public keys replaced, its hash recomputed, every copy rewritten.
 */
async function forgeCluster(out: string, ids: number[], index: number, shares: bigint[]) {
  const def = await readJson(join(out, "cluster.json"));
  const v = (def.validators as { pubkey: string; shares: { pubkey: string }[] }[])[index];
  assert.ok(v);
  for (const [i, id] of ids.entries()) {
    const share = shares[i] as bigint;
    const sharePub = pub(share);
    const entry = v.shares[i] as { pubkey: string };
    if (entry.pubkey === toHex(sharePub)) continue;
    entry.pubkey = toHex(sharePub);
    const opDir = join(out, `operator-${id}`);
    const password = await fsp.readFile(join(opDir, "password.txt"), "utf8");
    const ks = await encryptKeystore(scalarToBytes(share), password, {
      pubkey: sharePub,
      path: "",
      kdf: "scrypt",
      kdfParams: LIGHT,
    });
    const file = join(opDir, "keystores", `share-${v.pubkey.slice(0, 18)}.json`);
    await fsp.writeFile(file, `${JSON.stringify(ks, null, 2)}\n`);
  }
  const { hash: _old, ...plain } = def;
  const text = `${JSON.stringify({ ...plain, hash: clusterDefinitionHash(plain) }, null, 2)}\n`;
  await fsp.writeFile(join(out, "cluster.json"), text);
  for (const id of ids) await fsp.writeFile(join(out, `operator-${id}`, "cluster.json"), text);
  return v.pubkey;
}

/** Every t-subset of 0..n−1. */
function subsets(n: number, t: number): number[][] {
  if (t === 0) return [[]];
  if (n < t) return [];
  return [...subsets(n - 1, t), ...subsets(n - 1, t - 1).map((s) => [...s, n - 1])];
}

function rejectsShares(pattern: RegExp, file: string, field: string) {
  return (e: unknown) => {
    assert.ok(e instanceof VerificationError, String(e));
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(`File: ${file}`), e.message);
    assert.ok(e.message.includes(`Field: ${field}`), e.message);
    return true;
  };
}

describe("cluster folders forged realistically (n = 7 and 4, > 20 validators)", () => {
  const IDS7 = [1, 2, 3, 4, 5, 6, 7];
  test("n = 7: operators 6 and 7 hold shares of another polynomial through the key — keys verify, node run's loader and the CLI refuse", async () => {
    const { out, keys } = await writeGoodCluster(IDS7, 22);
    const index = 13;
    const key = bytesToScalar((keys[index] as { secret: Uint8Array }).secret);
    // the real shares of operators 1..5 (t = 5), from their keystores' secrets
    const op1 = await loadOperator(join(out, "operator-1"), undefined, { quiet: true });
    assert.equal(op1.definition.validators.length, 22, "the correct cluster loads");
    const f = (def: typeof op1) => def.shares.get(toHex(pub(key))) as Uint8Array;
    const real = [f(op1)];
    for (const id of [2, 3, 4, 5]) {
      real.push(f(await loadOperator(join(out, `operator-${id}`), undefined, { quiet: true })));
    }
    const fx = real.map(bytesToScalar);
    // g: through the key and the shares of 3, 4, 5, and a random point — g(6), g(7) for 6 and 7
    const g = polyThrough([
      { x: 0, y: key },
      { x: 3, y: fx[2] as bigint },
      { x: 4, y: fx[3] as bigint },
      { x: 5, y: fx[4] as bigint },
      { x: 99, y: randomScalar() },
    ]);
    const shares = [...fx, at(g, 6), at(g, 7)];
    const pubkey = await forgeCluster(out, IDS7, index, shares);

    // The forgery is real: 19 of the 21 five-operator quorums recover another key...
    const quorums = subsets(7, 5);
    const right = quorums.filter((q) => {
      const s = recoverSecret(
        q.map((i) => ({ id: i + 1, secret: scalarToBytes(shares[i] as bigint) })),
      );
      return bytesToScalar(s) === key;
    });
    assert.equal(quorums.length, 21);
    assert.deepEqual(right, [
      [0, 1, 2, 3, 4],
      [2, 3, 4, 5, 6],
    ]);
    // ...yet the first t and the last t share keys interpolate to the validator key (the old check)
    const sharePubs = shares.map((y, i) => ({ id: i + 1, pubkey: pub(y) }));
    assert.deepEqual(recoverPublicKey(sharePubs.slice(0, 5)), pub(key));
    assert.deepEqual(recoverPublicKey(sharePubs.slice(2)), pub(key));

    const message = new RegExp(
      `shares of operators 6,7 of validator ${pubkey} are not shares of its key`,
    );
    const field = `validators[${index}].shares`;
    await assert.rejects(
      verifyOutput(out),
      rejectsShares(message, join(out, "cluster.json"), field),
    );
    for (const id of [1, 6]) {
      const opDir = join(out, `operator-${id}`);
      // one operator folder (what each operator verifies), and node run's loader
      await assert.rejects(
        verifyOutput(opDir),
        rejectsShares(message, join(opDir, "cluster.json"), field),
      );
      await assert.rejects(
        loadOperator(opDir, undefined, { quiet: true }),
        rejectsShares(message, join(opDir, "cluster.json"), field),
      );
    }
    const cli = await rpdvt("keys", "verify", out, "--json");
    assert.equal(cli.code, 1, cli.out);
    assert.match(cli.err, message);
    assert.doesNotMatch(cli.err, /\n\s+at /, "no stack trace");
    // `node run` refuses at start: the cluster is checked before the identity, the slashing
    // database or the beacon node are touched (nothing listens on port 9 of 127.0.0.1)
    const dataDir = fresh("node-data");
    const node = await rpdvt(
      "node",
      "run",
      "--cluster",
      join(out, "operator-2"),
      "--identity",
      join(dataDir, "identity.json"),
      "--data-dir",
      dataDir,
      "--beacon-url",
      "http://127.0.0.1:9",
    );
    assert.equal(node.code, 1, node.out);
    assert.match(node.err, message);
    assert.doesNotMatch(node.err, /\n\s+at /, "no stack trace");
    assert.equal(await exists(join(dataDir, "slashing-protection.sqlite")), false);
  });

  test("n = 4: a degree-1 polynomial (2 operators sign) and a split whose every share is the key are refused", async () => {
    const IDS4 = [11, 22, 33, 44];
    for (const [forgery, pattern] of [
      [
        { kind: "degree", degree: 1 },
        /2 shares \(operators 11,22\) of validator 0x[0-9a-f]{96} already give its key: the threshold is below 3/,
      ],
      [
        { kind: "degree", degree: 0 },
        /share of operator 11 of validator 0x[0-9a-f]{96} is the full validator key/,
      ],
    ] as const) {
      const { out, keys } = await writeGoodCluster(IDS4, 21);
      const key = bytesToScalar((keys[20] as { secret: Uint8Array }).secret);
      await forgeCluster(out, IDS4, 20, forgeShares(key, IDS4, 3, forgery));
      const field = "validators[20].shares";
      await assert.rejects(
        verifyOutput(out),
        rejectsShares(pattern, join(out, "cluster.json"), field),
      );
      const opDir = join(out, "operator-33");
      await assert.rejects(
        loadOperator(opDir, undefined, { quiet: true }),
        rejectsShares(pattern, join(opDir, "cluster.json"), field),
      );
    }
  });

  test("the writers refuse a forged split before writing a byte (cluster, Dirk)", async () => {
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const good = splitValidatorKey(randomValidatorKey(), ids);
    const key = randomValidatorKey();
    const k = bytesToScalar(key.secret);
    for (const forgery of [
      { kind: "off", position: 6 },
      { kind: "degree", degree: 3 },
      { kind: "key-share", position: 2 },
    ] as const) {
      const shares = forgeShares(k, ids, 5, forgery);
      const forged: SplitValidator = {
        pubkey: key.pubkey,
        threshold: 5,
        shares: shares.map((y, i) => ({
          id: ids[i] as number,
          secret: scalarToBytes(y),
          pubkey: pub(y),
        })),
      };
      const cluster = fresh("w-cluster");
      await assert.rejects(
        writeCluster(cluster, [good, forged], {
          operators: ids.map((id) => ({ id })),
          feeRecipients: FEE_55,
          kdfParams: LIGHT,
          quiet: true,
        }),
        (e: unknown) =>
          e instanceof VerificationError &&
          e.message.includes(toHex(key.pubkey)) &&
          /Nothing was written/.test(e.message),
      );
      assert.equal(await exists(cluster), false);
      const dirk = fresh("w-dirk");
      await assert.rejects(
        writeDirk(dirk, [good, forged], { kdfParams: { c: 16 }, kdf: "pbkdf2", quiet: true }),
        VerificationError,
      );
      assert.equal(await exists(dirk), false);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// SSV keyshares forged realistically: signed by the validator key, shares RSA-encrypted

const generateKeyPairAsync = promisify(generateKeyPair);

describe("SSV keyshares forged realistically (n = 4 and 7, > 20 validators)", () => {
  type Ops = { id: number; publicKey: string; key: import("node:crypto").KeyObject }[];
  const sets = new Map<number, { ids: number[]; ops: Ops; keysDir: string }>();
  before(async () => {
    for (const ids of [
      [2, 5, 9, 14],
      [1, 2, 5, 9, 14, 20, 33],
    ]) {
      const pairs = await Promise.all(
        ids.map(() => generateKeyPairAsync("rsa", { modulusLength: 2048 })),
      );
      const keysDir = fresh("ssv-ops");
      await fsp.mkdir(keysDir);
      await Promise.all(
        pairs.map((p, i) =>
          fsp.writeFile(
            join(keysDir, `op-${ids[i]}.pem`),
            p.privateKey.export({ type: "pkcs8", format: "pem" }),
          ),
        ),
      );
      const ops = ids.map((id, i) => ({
        id,
        key: (pairs[i] as (typeof pairs)[number]).publicKey,
        publicKey: encodeOperatorPublicKey((pairs[i] as (typeof pairs)[number]).publicKey),
      }));
      sets.set(ids.length, { ids, ops, keysDir });
    }
  });

  /** An item exactly as a keyshares tool writes it, from arbitrary share scalars. */
  function forgedItem(key: bigint, shares: bigint[], ops: Ops, nonce: number): SsvKeysharesItem {
    const pubkey = toHex(pub(key));
    return {
      data: {
        ownerNonce: nonce,
        ownerAddress: OWNER,
        publicKey: pubkey,
        operators: ops.map((o) => ({ id: o.id, operatorKey: o.publicKey })),
      },
      payload: {
        publicKey: pubkey,
        operatorIds: ops.map((o) => o.id),
        sharesData: encodeSharesData({
          signature: signMessage(scalarToBytes(key), ownershipMessage(OWNER, nonce)),
          sharePubkeys: shares.map(pub),
          encryptedShares: shares.map((y, i) =>
            rsaEncrypt(
              (ops[i] as Ops[number]).key,
              new TextEncoder().encode(toHex(scalarToBytes(y))),
            ),
          ),
        }),
      },
    };
  }

  for (const n of [4, 7]) {
    const t = thresholdFor(n);
    const cases: [string, Forgery, RegExp][] = [
      [
        `degree ${t - 2} (${t - 1} operators can sign)`,
        { kind: "degree", degree: t - 2 },
        new RegExp(
          `${t - 1} shares \\(operators [0-9,]+\\) of the validator already give its key: the threshold is below ${t}`,
        ),
      ],
      [
        "every share is the full key",
        { kind: "degree", degree: 0 },
        /the share of operator \d+ of the validator is the full validator key/,
      ],
      [
        "the first share is of another polynomial",
        { kind: "off", position: 0 },
        /the share of operator \d+ of the validator is not a share of its key/,
      ],
      [
        "the last share is of another polynomial",
        { kind: "off", position: n - 1 },
        /the share of operator \d+ of the validator is not a share of its key/,
      ],
    ];
    for (const [name, forgery, pattern] of cases) {
      test(`n = ${n}: ${name} — rejected with and without operator keys, naming the item`, async () => {
        const { ids, ops, keysDir } = sets.get(n) as { ids: number[]; ops: Ops; keysDir: string };
        const good = buildSsvKeyshares(
          Array.from({ length: 21 }, () => splitValidatorKey(randomValidatorKey(), ids)),
          { operators: ops, owner: OWNER, nonce: 0 },
        );
        const key = randomScalar();
        const file: SsvKeysharesFile = {
          ...good,
          shares: [...good.shares, forgedItem(key, forgeShares(key, ids, t, forgery), ops, 21)],
        };
        const path = `${fresh("ks")}.json`;
        await fsp.writeFile(path, JSON.stringify(file, null, 2));
        for (const opts of [{}, { operatorKeysDir: keysDir }]) {
          await assert.rejects(verifyOutput(path, opts), (e: unknown) => {
            assert.ok(e instanceof VerificationError, String(e));
            assert.match(e.message, /shares\[21\]/);
            assert.match(e.message, pattern);
            assert.ok(e.message.includes(toHex(pub(key))));
            assert.match(e.message, /Do not register this file/);
            return true;
          });
        }
        // control: the same file without the forged item passes, shares decrypted and matching
        const ok = `${fresh("ks-ok")}.json`;
        await fsp.writeFile(ok, JSON.stringify(good));
        const report = await verifyOutput(ok, { operatorKeysDir: keysDir });
        assert.equal(report.validators, 21);
        assert.match(
          report.checks.join("\n"),
          new RegExp(`degree exactly ${t - 1}.*no ${t - 1} shares do, no share is the key`),
        );
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Issue 12 item 6: two verify messages

  test("a keyshares file that is not JSON says so, where, and what to do (without quoting it)", async () => {
    const secretish = "0x2b7f1d5c9e8a4f3b6d0c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b";
    const file = `${fresh("not-json")}.json`;
    await fsp.writeFile(file, `${secretish}\n`);
    await assert.rejects(verifyOutput(file), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match(e.shortMessage, /The file to verify is not JSON/);
      assert.equal(e.file, file);
      assert.match(e.message, /does not start with \{ or \[/);
      assert.match(e.message, /export it again/);
      assert.doesNotMatch(e.message, /Cannot tell which format/);
      assert.ok(!e.message.includes(secretish.slice(2, 12)), "no content quoted");
      return true;
    });
    const cut = `${fresh("truncated")}.json`;
    await fsp.writeFile(cut, '{"version":"v1.1.0","shares":[{"data":{');
    // looks like keyshares (detected as SSV): the SSV reader's message, with the parser's position
    await assert.rejects(verifyOutput(cut), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.file, cut);
      assert.match(e.shortMessage, /keyshares file is not valid JSON \(truncated or altered\?\)/);
      assert.match(e.message, /export it again/);
      assert.match(e.message, /position \d+/);
      return true;
    });
    const other = `${fresh("garbled")}.json`;
    await fsp.writeFile(other, '{"validators": [');
    await assert.rejects(verifyOutput(other), /starts like JSON but is truncated or corrupt/);
  });

  test("an unreadable file in --operator-keys names the file and says what to do", async () => {
    const { ids, ops, keysDir } = sets.get(4) as { ids: number[]; ops: Ops; keysDir: string };
    const ks = buildSsvKeyshares([splitValidatorKey(randomValidatorKey(), ids)], {
      operators: ops,
      owner: OWNER,
      nonce: 0,
    });
    const path = `${fresh("ks-eacces")}.json`;
    await fsp.writeFile(path, JSON.stringify(ks));
    const dir = fresh("ops-eacces");
    await fsp.cp(keysDir, dir, { recursive: true });
    const locked = join(dir, `op-${ids[1]}.pem`);
    // Tests run as root here, and root reads a chmod-000 file anyway: the refusal is simulated by
    // making the file system calls fail for this one file with the errno the kernel gives a
    // normal user (EACCES) — both the open() readInputFile uses and a plain readFile.
    const eacces = () =>
      Object.assign(new Error(`EACCES: permission denied, open '${locked}'`), {
        code: "EACCES",
        errno: -13,
        syscall: "open",
        path: locked,
      });
    const realOpen = fsp.open.bind(fsp);
    const realRead = fsp.readFile.bind(fsp);
    const openMock = mock.method(fsp, "open", (file: unknown, ...rest: unknown[]) =>
      file === locked
        ? Promise.reject(eacces())
        : (realOpen as (...a: unknown[]) => unknown)(file, ...rest),
    );
    const readMock = mock.method(fsp, "readFile", (file: unknown, ...rest: unknown[]) =>
      file === locked
        ? Promise.reject(eacces())
        : (realRead as (...a: unknown[]) => unknown)(file, ...rest),
    );
    try {
      await assert.rejects(verifyOutput(path, { operatorKeysDir: dir }), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.ok(e instanceof BaseError);
        assert.equal(e.file, locked);
        assert.match(e.shortMessage, /Cannot read a file in the operator private keys folder/);
        assert.match(e.message, /Make it readable by the user running rpdvt/);
        assert.match(e.message, /EACCES/);
        return true;
      });
    } finally {
      openMock.mock.restore();
      readMock.mock.restore();
    }
    // and without the fault the same folder works
    const report = await verifyOutput(path, { operatorKeysDir: dir });
    assert.match(report.checks.at(-1) ?? "", /decrypt to secrets matching/);
  });
});
