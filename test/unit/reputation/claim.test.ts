/**
 * Signed reputation claims: the node account derived from a Smartnode fixture wallet equals the
 * one viem derives from the mnemonic on its own; `reputation claim` → `reputation verify` round
 * trip through the CLI; tampered claims (changed score, changed operator id, wrong signer,
 * expired) rejected with precise messages; canonical-form checks; the signed message format.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { hashMessage, recoverMessageAddress, verifyMessage } from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { reputationCommand } from "../../../src/cli/reputation.js";
import { InputError } from "../../../src/errors.js";
import {
  buildClaimPayload,
  claimMessage,
  parseClaim,
  type ReputationClaim,
  signClaim,
  verifyClaim,
} from "../../../src/reputation/claim.js";
import { fixturePubkey, generatePerformanceFiles } from "../../../src/reputation/fixture.js";
import { loadNodeAccount, nodeAccountFromSeed } from "../../../src/reputation/node-key.js";
import {
  type PerformanceFile,
  readPerformanceFiles,
} from "../../../src/reputation/performance-file.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { canonicalJson } from "../../../src/util/canonical-json.js";
import { runCommand } from "../../helpers.js";

/** The well-known Hardhat/Foundry development mnemonic and its first account (m/44'/60'/0'/0/0). */
const MNEMONIC = "test test test test test test test test test test test junk";
const HARDHAT_ACCOUNT0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

let dir = "";
let rpDir = "";
let nodePubkeys: string[] = [];
let perfPaths: string[] = [];
let files: PerformanceFile[] = [];

const runCli = (args: string[]) => runCommand(reputationCommand(), args);

before(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "rpdvt-rep-claim-"));
  rpDir = path.join(dir, "rp");
  const fx = await writeRocketPoolFixture(rpDir, { validators: 2, mnemonic: MNEMONIC });
  nodePubkeys = fx.pubkeys;
  const generated = generatePerformanceFiles({
    intervals: [30, 31, 32],
    seed: 3,
    minipools: [
      ...nodePubkeys.map((pubkey) => ({ pubkey, missRate: 0.003 })),
      ...[0, 1, 2].map((i) => ({ pubkey: fixturePubkey("someone-else", i), missRate: 0.01 })),
    ],
  });
  perfPaths = [];
  for (const f of generated) {
    perfPaths.push(path.join(dir, f.name));
    await fsp.writeFile(path.join(dir, f.name), f.text);
  }
  files = await readPerformanceFiles(perfPaths);
});
after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const operator = {
  type: "ssv" as const,
  id: "1234",
  publicKey: "LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t",
};

async function signedClaim(
  issuedAt = new Date("2026-11-01T00:00:00.000Z"),
): Promise<ReputationClaim> {
  const account = await loadNodeAccount(path.join(rpDir, "data"));
  const { payload } = buildClaimPayload({
    nodeAddress: account.address,
    operator,
    validators: nodePubkeys,
    performanceFiles: files,
    beacon: null,
    issuedAt,
    validDays: 30,
  });
  return signClaim(payload, account);
}
const NOW = new Date("2026-11-10T00:00:00.000Z");

describe("node account", () => {
  test("derived from the fixture wallet = viem's account for the same mnemonic", async () => {
    const fromWallet = await loadNodeAccount(path.join(rpDir, "data"));
    const independent = mnemonicToAccount(MNEMONIC); // viem: BIP-39 seed → m/44'/60'/0'/0/0
    assert.equal(fromWallet.address, independent.address);
    assert.equal(fromWallet.address, HARDHAT_ACCOUNT0);
    // walletIndex selects the last path element (Smartnode: fmt.Sprintf(derivationPath, index)).
    const { mnemonicToSeedSync } = await import("@scure/bip39");
    const seed = mnemonicToSeedSync(MNEMONIC);
    assert.equal(
      nodeAccountFromSeed(seed, "m/44'/60'/0'/0/%d", 3).address,
      mnemonicToAccount(MNEMONIC, { addressIndex: 3 }).address,
    );
    assert.throws(() => nodeAccountFromSeed(seed, "m/44'/60'/x/%d", 0), InputError);
  });
});

describe("claim round trip (CLI)", () => {
  test("claim from the data folder's keys, then verify with the performance files", async () => {
    const out = path.join(dir, "claim.json");
    const c = await runCli([
      "claim",
      "--rocketpool-dir",
      rpDir,
      "--operator-type",
      "ssv",
      "--operator-id",
      "1234",
      "--operator-key",
      operator.publicKey,
      "--performance-files",
      ...perfPaths,
      "--out",
      out,
      "--json",
    ]);
    assert.equal(c.code, undefined, c.stderr);
    const summary = JSON.parse(c.stdout);
    assert.equal(summary.nodeAddress, HARDHAT_ACCOUNT0);
    const text = await fsp.readFile(out, "utf8");
    const claim = parseClaim(JSON.parse(text), out);
    assert.equal(claim.score.value, summary.score);
    assert.deepEqual(
      claim.inputs.validators.map((v) => v.pubkey),
      [...nodePubkeys].sort(),
    );
    assert.ok(claim.inputs.validators.every((v) => v.minipool !== null));
    assert.deepEqual(
      claim.inputs.performanceFiles.map((f) => [f.interval, f.minipools, f.missedAttestations]),
      [
        [30, 2, 38],
        [31, 2, 38],
        [32, 2, 38],
      ],
    ); // round(0.003·6300) = 19 per minipool
    // The node key is never printed nor written.
    const priv = Buffer.from(
      mnemonicToAccount(MNEMONIC).getHdKey().privateKey as Uint8Array,
    ).toString("hex");
    for (const s of [c.stdout, c.stderr, text]) assert.ok(!s.includes(priv));
    // Never overwrites.
    const again = await runCli([
      "claim",
      "--rocketpool-dir",
      rpDir,
      "--operator-type",
      "ssv",
      "--operator-id",
      "1",
      "--operator-key",
      "k",
      "--performance-files",
      ...perfPaths,
      "--out",
      out,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    // Files checked, but not the chain: the node and its validator set stay UNVERIFIED → exit 1,
    // unless --self-consistent-only.
    const v = await runCli(["verify", out, "--performance-files", ...perfPaths]);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /ok {3}signature: signed by the node address 0xf39F/);
    assert.match(v.stdout, /ok {3}performance-files: 3 performance file\(s\) match/);
    assert.match(v.stdout, /\? {4}onchain: UNVERIFIED: that 0xf39F\w+ is a Rocket Pool node/);
    assert.doesNotMatch(v.stdout, /Valid/);
    assert.match(
      v.stdout,
      /Not verified: signature valid; not expired; score follows from the claimed inputs; performance files match; inputs UNVERIFIED: supply --rpc \(the node and its complete validator set\)\./,
    );
    assert.match(v.stderr, /not verified: some inputs are the claimant's own numbers/);
    assert.match(v.stderr, /onchain: supply --rpc/);
    assert.match(v.stderr, /--self-consistent-only/);
    const vs = await runCli([
      "verify",
      out,
      "--performance-files",
      ...perfPaths,
      "--self-consistent-only",
    ]);
    assert.equal(vs.code, undefined, vs.stderr);
    assert.match(vs.stdout, /Self-consistent only \(--self-consistent-only\): .*supply --rpc/);
    const vj = await runCli(["verify", out, "--json"]);
    assert.equal(vj.code, 1);
    const rep = JSON.parse(vj.stdout);
    assert.deepEqual(
      { ok: rep.ok, valid: rep.valid, complete: rep.complete },
      { ok: false, valid: true, complete: false },
    );
    assert.deepEqual(
      rep.checks.map((c: { id: string; status: string; supply?: string }) => [
        c.id,
        c.status,
        c.supply ?? null,
      ]),
      [
        ["signature", "verified", null],
        ["expiry", "verified", null],
        ["score", "verified", null],
        ["performance-files", "unverified", "--performance-files"],
        ["onchain", "unverified", "--rpc"],
      ],
    );
    const vjs = await runCli(["verify", out, "--json", "--self-consistent-only"]);
    assert.equal(vjs.code, undefined);
    assert.equal(JSON.parse(vjs.stdout).ok, true);
    // Missing one file: the file check fails precisely.
    const partial = await runCli([
      "verify",
      out,
      "--performance-files",
      ...perfPaths.slice(0, 2),
      "--json",
    ]);
    assert.equal(partial.code, 1);
    const pc = JSON.parse(partial.stdout).checks.find(
      (x: { id: string }) => x.id === "performance-files",
    );
    assert.match(
      pc.message,
      /claimed file rp-minipool-performance-mainnet-32\.json \(interval 32, 0x[0-9a-f]{64}\) was not given/,
    );
  });
});

describe("tampered claims", () => {
  test("changed score: signature and score checks fail", async () => {
    const claim = { ...(await signedClaim()) };
    claim.score = { ...claim.score, value: 99.99 };
    const r = await verifyClaim(claim, { now: NOW, performanceFiles: files });
    assert.equal(r.ok, false);
    const by = (id: string) => r.checks.find((c) => c.id === id);
    assert.equal(by("signature")?.status, "failed");
    assert.match(
      by("signature")?.message ?? "",
      /signature recovers 0x[0-9a-fA-F]{40}, not the claimed node 0xf39F/,
    );
    assert.notEqual(r.recoveredAddress, HARDHAT_ACCOUNT0);
    assert.equal(by("score")?.status, "failed");
    assert.match(
      by("score")?.message ?? "",
      /claimed score 99\.99 does not follow from the claimed inputs \(recomputed \d/,
    );
    assert.match(
      by("performance-files")?.message ?? "",
      /recomputed score [\d.]+ ≠ claimed 99\.99/,
    );
    assert.equal(by("expiry")?.status, "verified");
  });

  test("changed operator id: only the signature fails", async () => {
    const claim = await signedClaim();
    const tampered = { ...claim, operator: { ...claim.operator, id: "9999" } };
    const r = await verifyClaim(tampered, { now: NOW });
    assert.deepEqual(
      r.checks.filter((c) => c.status === "failed").map((c) => c.id),
      ["signature"],
    );
    const untouched = await verifyClaim(claim, { now: NOW });
    assert.equal(untouched.valid, true, "the untouched claim is valid");
    assert.equal(untouched.ok, false, "but its inputs are unverified");
    assert.ok(
      (await verifyClaim(claim, { now: NOW, selfConsistentOnly: true })).ok,
      "accepted as self-consistent",
    );
  });

  test("wrong signer: the recovered address is the other key's", async () => {
    const node = await loadNodeAccount(path.join(rpDir, "data"));
    const other = privateKeyToAccount(generatePrivateKey());
    const { payload } = buildClaimPayload({
      nodeAddress: node.address,
      operator,
      validators: nodePubkeys,
      performanceFiles: files,
      beacon: null,
      issuedAt: new Date("2026-11-01T00:00:00.000Z"),
    });
    await assert.rejects(signClaim(payload, other), /node address is not the claim's nodeAddress/);
    const forged: ReputationClaim = {
      ...payload,
      signature: await other.signMessage({ message: claimMessage(payload) }),
    };
    const r = await verifyClaim(forged, { now: NOW });
    assert.equal(r.recoveredAddress, other.address);
    assert.equal(
      r.checks.find((c) => c.id === "signature")?.message,
      `signature recovers ${other.address}, not the claimed node ${HARDHAT_ACCOUNT0}: the claim was changed after signing or signed by another key`,
    );
  });

  test("expired (and not yet valid) claims fail the expiry check only", async () => {
    const claim = await signedClaim();
    const late = await verifyClaim(claim, { now: new Date("2026-12-01T00:00:00.000Z") });
    assert.deepEqual(
      late.checks.filter((c) => c.status === "failed").map((c) => c.message),
      ["expired at 2026-12-01T00:00:00.000Z (now 2026-12-01T00:00:00.000Z)"],
    );
    const early = await verifyClaim(claim, { now: new Date("2026-10-01T00:00:00.000Z") });
    assert.match(
      early.checks.find((c) => c.id === "expiry")?.message ?? "",
      /issued in the future/,
    );
    // Through the CLI: exit code 1 and the failed check named.
    const f = path.join(dir, "expired.json");
    await fsp.writeFile(f, JSON.stringify(claim));
    const r = await runCli(["verify", f, "--now", "2027-01-01T00:00:00Z"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Error: The reputation claim is NOT valid\n {2}expiry: expired at 2026-12-01T00:00:00\.000Z/,
    );
  });

  test("verify --json on a tampered file: ok false, exit code 1", async () => {
    const claim = await signedClaim();
    const f = path.join(dir, "tampered.json");
    await fsp.writeFile(
      f,
      JSON.stringify({
        ...claim,
        network: "hoodi",
        inputs: { ...claim.inputs, performanceFiles: [] },
      }),
    );
    const r = await runCli(["verify", f, "--json", "--now", NOW.toISOString()]);
    assert.equal(r.code, 1);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.ok, false);
    assert.deepEqual(
      rep.checks
        .filter((c: { status: string }) => c.status === "failed")
        .map((c: { id: string }) => c.id),
      ["signature", "score"],
    );
  });
});

describe("canonical form and message", () => {
  test("the signed message: human-readable statement, blank line, canonical JSON", async () => {
    const claim = await signedClaim();
    const message = claimMessage(claim);
    const [head, body] = message.split("\n\n");
    assert.deepEqual(head?.split("\n").slice(0, 2), [
      "rpdvt reputation claim v1",
      `I operate Rocket Pool node ${HARDHAT_ACCOUNT0} on mainnet and DVT operator ssv 1234 (public key LS0tLS1CRUdJ…WS0tLS0t).`,
    ]);
    assert.match(head ?? "", /\nSigning this only makes this statement; it moves no funds\.$/);
    const { signature, ...payload } = claim;
    assert.equal(body, canonicalJson(payload));
    assert.ok(!body?.includes("signature"));
    // Independent EIP-191 check with viem's verifyMessage / hashMessage.
    assert.ok(await verifyMessage({ address: HARDHAT_ACCOUNT0, message, signature }));
    assert.equal(await recoverMessageAddress({ message, signature }), HARDHAT_ACCOUNT0);
    // EIP-191 version 0x45 by hand: keccak256("\x19Ethereum Signed Message:\n" + byte length + message).
    const bytes = new TextEncoder().encode(message);
    const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${bytes.length}`);
    const digest = keccak_256(new Uint8Array([...prefix, ...bytes]));
    assert.equal(hashMessage(message), `0x${Buffer.from(digest).toString("hex")}`);
  });

  test("non-canonical claims are rejected naming the field", async () => {
    const claim = await signedClaim();
    const fails = (
      mutate: (c: Record<string, unknown>) => void,
      field: string | undefined,
      re: RegExp,
    ) => {
      const c = JSON.parse(JSON.stringify(claim)) as Record<string, unknown>;
      mutate(c);
      assert.throws(
        () => parseClaim(c, "claim.json"),
        (e: unknown) => e instanceof InputError && e.field === field && re.test(e.shortMessage),
        String(field),
      );
    };
    fails(
      (c) => (c.nodeAddress = (c.nodeAddress as string).toLowerCase()),
      "nodeAddress",
      /EIP-55/,
    );
    fails((c) => (c.extra = 1), undefined, /Not a valid rpdvt reputation claim/);
    fails((c) => (c.issuedAt = "2026-11-01T00:00:00Z"), "issuedAt", /toISOString/);
    fails((c) => (c.expiresAt = c.issuedAt), "expiresAt", /after issuedAt/);
    fails(
      (c) => (c.inputs as { validators: unknown[] }).validators.reverse(),
      "inputs.validators",
      /sorted by pubkey/,
    );
    fails((c) => ((c.operator as { type: string }).type = "lido"), "operator.type", /Not a valid/);
    fails((c) => ((c.operator as { id: string }).id = "abc"), "operator.id", /Not a valid/);
    fails((c) => (c.signature = "0x1234"), "signature", /Not a valid/);
  });
});
