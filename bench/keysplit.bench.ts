/**
 * Key splitting benchmark (issue: Rocket Pool keys → threshold shares).
 *
 * 1. Wallet path: 1,000 validators from a Rocket Pool wallet → SSV keyshares for 4 operators, the
 *    whole pipeline (read wallet + derive, split, share pubkeys, ownership signatures, RSA, write),
 *    vs the floor of its crypto primitives measured on the same keys in the same run
 *    (EIP-2333 derive + Shamir + share pubkeys + BLS sign + 4 RSA encryptions per validator).
 *    Targets: < 10 s wall; ≤ 2× the floor.
 * 2. Keystore path: validators that only have EIP-2335 keystores (scrypt n=2^18): the reader
 *    (parallel on libuv's thread pool, one decryption per key) vs decrypting the same keystores
 *    one after another (the single-core rate). Target ≥ 1.8× on 2 cores.
 * Anchor: SSV's ssv-keys takes ~20–40 min for 1,000 keys (scrypt per keystore, twice, serially).
 *
 * Run: npm run bench [-- --validators 1000 --keystores 8]
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mnemonicToSeedSync } from "@scure/bip39";
import { publicKeyOf, signMessage } from "../src/crypto/bls.js";
import { deriveSecretKey, validatorKeyPath } from "../src/crypto/eip2333.js";
import { decryptKeystore, parseKeystore } from "../src/crypto/eip2335.js";
import { encodeOperatorPublicKey, parseOperatorPublicKey, rsaEncrypt } from "../src/crypto/rsa.js";
import { splitSecret } from "../src/crypto/shamir.js";
import { splitKeys } from "../src/keysplit/run.js";
import { ownershipMessage } from "../src/keysplit/ssv-format.js";
import { readRocketPoolKeys } from "../src/rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../src/rocketpool/fixture.js";
import { table } from "./util.js";

const { values } = parseArgs({
  options: {
    validators: { type: "string", default: "1000" },
    keystores: { type: "string", default: "8" },
  },
});
const N = Number(values.validators);
const K = Number(values.keystores);
const OWNER = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
const work = await mkdtemp(join(tmpdir(), "rpdvt-bench-"));
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

try {
  // ---- 1. wallet path -------------------------------------------------------------------------
  process.stderr.write(`setup: fixture with ${N} validators…\n`);
  const fx = await writeRocketPoolFixture(join(work, "rp"), { validators: N });
  const operators = [11, 22, 33, 44].map((id) => ({
    id,
    publicKey: encodeOperatorPublicKey(
      generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey,
    ),
  }));

  let t = performance.now();
  const { keys } = await readRocketPoolKeys(fx.dataDir);
  const tRead = performance.now() - t;
  t = performance.now();
  await splitKeys(
    keys,
    join(work, "keyshares.json"),
    { format: "ssv", operators, owner: OWNER, nonce: 0 },
    { quiet: true },
  );
  const tSplit = performance.now() - t;
  const pipeline = tRead + tSplit;

  // Floor: the same crypto, with nothing around it.
  const seed = mnemonicToSeedSync(fx.mnemonic);
  const rsaKeys = operators.map((o) => parseOperatorPublicKey(o.publicKey));
  t = performance.now();
  for (let i = 0; i < N; i++) {
    const secret = deriveSecretKey(seed, validatorKeyPath(i));
    const shares = splitSecret(secret, [11, 22, 33, 44], 3);
    for (const s of shares) publicKeyOf(s.secret);
    signMessage(secret, ownershipMessage(OWNER, i));
    for (const [j, s] of shares.entries()) {
      rsaEncrypt(
        rsaKeys[j]!,
        new TextEncoder().encode(`0x${Buffer.from(s.secret).toString("hex")}`),
      );
    }
  }
  const floor = performance.now() - t;

  console.log(`\n1. ${N} validators from a Rocket Pool wallet → SSV keyshares, 4 operators`);
  table([
    ["what", "time", "per validator"],
    ["pipeline: read wallet + derive", sec(tRead), `${(tRead / N).toFixed(3)} ms`],
    ["pipeline: split + sign + RSA + write", sec(tSplit), `${(tSplit / N).toFixed(3)} ms`],
    ["pipeline total (target < 10 s)", sec(pipeline), `${(pipeline / N).toFixed(3)} ms`],
    ["floor of crypto primitives", sec(floor), `${(floor / N).toFixed(3)} ms`],
  ]);
  console.log(`ratio pipeline / floor = ${(pipeline / floor).toFixed(2)}  (target ≤ 2)`);

  // ---- 2. keystore path -----------------------------------------------------------------------
  if (K === 0) process.exit(0);
  process.stderr.write(`setup: ${K} keystore-only validators with real scrypt (n=2^18)…\n`);
  const ks = await writeRocketPoolFixture(join(work, "rp-ks"), { validators: K, kdf: "real" });
  // No wallet, and only the scrypt client layouts: the reader must decrypt one scrypt keystore per key.
  await rm(join(ks.dataDir, "wallet"));
  for (const d of ["nimbus", "prysm-non-hd"])
    await rm(join(ks.dataDir, "validators", d), { recursive: true });
  const tekuDir = join(ks.dataDir, "validators", "teku");
  const files = (await readdir(join(tekuDir, "keys"))).filter((f) => f.endsWith(".json"));

  t = performance.now();
  for (const f of files) {
    const store = parseKeystore(JSON.parse(await readFile(join(tekuDir, "keys", f), "utf8")));
    await decryptKeystore(
      store,
      await readFile(join(tekuDir, "passwords", f.replace(/\.json$/, ".txt")), "utf8"),
    );
  }
  const serial = performance.now() - t;
  t = performance.now();
  const parallel = await readRocketPoolKeys(ks.dataDir);
  const par = performance.now() - t;
  if (parallel.keys.length !== K)
    throw new Error(`expected ${K} keys, read ${parallel.keys.length}`);

  console.log(`\n2. ${K} keystore-only validators (scrypt n=2^18, r=8, p=1)`);
  table([
    ["what", "time", "per key"],
    ["serial decrypt (single-core baseline)", sec(serial), sec(serial / K)],
    ["rpdvt reader (parallel, once per key)", sec(par), sec(par / K)],
  ]);
  console.log(
    `speed-up reader / serial = ${(serial / par).toFixed(2)}×  (target ≥ 1.8× on 2 cores)`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
