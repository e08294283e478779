/**
 * Operator identity keys (src/p2p/identity.ts), addresses (address.ts), channel names, and the
 * `rpdvt node identity` command (src/cli/node-identity.ts).
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { nodeIdentityCommand } from "../../../src/cli/node-identity.js";
import { secp256k1Signer, secp256k1Verifier } from "../../../src/core/consensus/signer.js";
import { publicKeyFromIdentity, SECP256K1_PEER_ID_PATTERN } from "../../../src/crypto/secp256k1.js";
import { InputError, OutputError } from "../../../src/errors.js";
import { dialAddress, toHostPort, toMultiaddr } from "../../../src/p2p/address.js";
import {
  encodeIdentityFile,
  generateIdentity,
  IDENTITY_FILE_VERSION,
  identityFromSecretKey,
  identityString,
  loadIdentity,
  parseIdentityFile,
  writeIdentityFile,
} from "../../../src/p2p/identity.js";
import { protocolId } from "../../../src/p2p/transport.js";
import { runCommand } from "../../helpers.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** base58btc (Bitcoin alphabet), written out here to check peer ids independently of libp2p. */
function base58btc(bytes: Uint8Array): string {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let n = BigInt(`0x${hex(bytes) || "0"}`);
  let out = "";
  while (n > 0n) {
    out = alphabet[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rpdvt-p2p-id-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("p2p identity keys", () => {
  test("libp2p peer-ids spec secp256k1 vector: key → public key → peer id", () => {
    // libp2p/specs peer-ids/peer-ids.md "Test vectors": PrivateKey protobuf 08 02 12 20 ‖ sk,
    // PublicKey protobuf 08 02 12 21 ‖ compressed point.
    const sk = Buffer.from(
      "53DADF1D5A164D6B4ACDB15E24AA4C5B1D3461BDBD42ABEDB0A4404D56CED8FB",
      "hex",
    );
    const id = identityFromSecretKey(new Uint8Array(sk));
    assert.equal(
      `08021221${hex(id.publicKey)}`,
      "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99",
    );
    // Peer id = base58btc(identity multihash 0x00, length 0x25, protobuf public key).
    const mh = Buffer.concat([Buffer.from("002508021221", "hex"), id.publicKey]);
    assert.equal(id.peerId, base58btc(mh));
    assert.equal(id.peerId, "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY");
    assert.match(id.peerId, SECP256K1_PEER_ID_PATTERN);
  });

  test("the peer id key is the QBFT signing key", () => {
    const id = generateIdentity();
    const sig = secp256k1Signer(id.secretKey).sign(new Uint8Array([1, 2]));
    assert.equal(secp256k1Verifier([id.publicKey]).verify(0, new Uint8Array([1, 2]), sig), true);
    assert.deepEqual(id.publicKey, secp256k1.getPublicKey(id.secretKey, true));
  });

  test("identity strings: peer id or 0x-hex → public key; others refused", async () => {
    const id = generateIdentity();
    assert.equal(identityString(id), id.peerId);
    assert.deepEqual(publicKeyFromIdentity(id.peerId), id.publicKey);
    assert.deepEqual(publicKeyFromIdentity(`0x${hex(id.publicKey)}`), id.publicKey);
    const ed = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
    assert.throws(
      () => publicKeyFromIdentity(ed, "operators[0].identity"),
      (e: unknown) => {
        return e instanceof InputError && e.field === "operators[0].identity";
      },
    );
    assert.throws(() => publicKeyFromIdentity(`0x04${"11".repeat(32)}`), InputError);
    assert.throws(() => publicKeyFromIdentity(`${id.peerId.slice(0, -1)}0`), InputError);
  });

  test("file round trip; written 0600, atomically, never overwritten", async () => {
    const id = generateIdentity();
    const file = join(dir, "id-a.json");
    await writeIdentityFile(file, id);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const json = JSON.parse(await readFile(file, "utf8"));
    assert.equal(json.version, IDENTITY_FILE_VERSION);
    assert.equal(json.type, "secp256k1");
    assert.equal(json.privateKey, `0x${hex(id.secretKey)}`);
    const warnings: string[] = [];
    const back = await loadIdentity(file, { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(back, id);
    assert.deepEqual(warnings, []);
    await assert.rejects(writeIdentityFile(file, generateIdentity()), OutputError);
    assert.deepEqual((await loadIdentity(file)).peerId, id.peerId, "old key untouched");
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes(".tmp-")),
      [],
      "no temp files left",
    );
  });

  test("load: missing file, wrong mode (warns), corrupt and tampered files", async () => {
    await assert.rejects(loadIdentity(join(dir, "nope.json")), (e: unknown) => {
      return (
        e instanceof InputError &&
        /not found/.test(e.shortMessage) &&
        e.metaMessages.some((m) => m.includes("rpdvt node identity --out"))
      );
    });
    const id = generateIdentity();
    const file = join(dir, "id-b.json");
    await writeIdentityFile(file, id);
    await chmod(file, 0o644);
    const warnings: string[] = [];
    assert.equal(
      (await loadIdentity(file, { onWarning: (m) => warnings.push(m) })).peerId,
      id.peerId,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /0644.*chmod 600/);

    const secret = hex(id.secretKey);
    const bad = async (text: string, re: RegExp, field?: string) => {
      const f = join(dir, `bad-${Math.random().toString(16).slice(2)}.json`);
      await writeFile(f, text, { mode: 0o600 });
      await assert.rejects(loadIdentity(f), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.shortMessage, re);
        if (field) assert.equal(e.field, field);
        assert.ok(!e.message.includes(secret), "the secret never appears in an error");
        assert.ok(e.file === f);
        return true;
      });
    };
    const good = JSON.parse(encodeIdentityFile(id));
    await bad(`{"privateKey": 0x${secret}}`, /not valid JSON/);
    await bad(JSON.stringify({ ...good, version: "v0" }), /unexpected format/, "version");
    await bad(JSON.stringify({ ...good, type: "ed25519" }), /unexpected format/, "type");
    await bad(JSON.stringify({ ...good, extra: 1 }), /unexpected format/);
    await bad(
      JSON.stringify({ ...good, privateKey: `0x${"00".repeat(32)}` }),
      /not a valid/,
      "privateKey",
    );
    await bad(JSON.stringify({ ...good, privateKey: "0xzz" }), /hex/, "privateKey");
    await bad(
      JSON.stringify({ ...good, publicKey: `0x${hex(generateIdentity().publicKey)}` }),
      /does not match/,
      "publicKey",
    );
    await bad(
      JSON.stringify({ ...good, peerId: generateIdentity().peerId }),
      /does not match/,
      "peerId",
    );
    assert.equal(
      parseIdentityFile(JSON.stringify({ ...good, peerId: undefined })).peerId,
      id.peerId,
    );
  });
});

describe("p2p addresses and channel names", () => {
  test("host:port and multiaddrs", () => {
    assert.equal(toMultiaddr("127.0.0.1:0").toString(), "/ip4/127.0.0.1/tcp/0");
    assert.equal(toMultiaddr("[::1]:9000").toString(), "/ip6/::1/tcp/9000");
    assert.equal(toMultiaddr("node.example.org:9000").toString(), "/dns/node.example.org/tcp/9000");
    assert.equal(toMultiaddr("/ip4/10.0.0.1/tcp/1").toString(), "/ip4/10.0.0.1/tcp/1");
    for (const bad of ["", "127.0.0.1", "h:99999", "[1.2.3.4]:1", "/nope/1", "a:b"]) {
      assert.throws(() => toMultiaddr(bad, "peers[1].address"), InputError, bad);
    }
    const id = generateIdentity();
    const ma = dialAddress("127.0.0.1:9", id.peerId);
    assert.equal(ma.toString(), `/ip4/127.0.0.1/tcp/9/p2p/${id.peerId}`);
    assert.equal(dialAddress(ma.toString(), id.peerId).toString(), ma.toString());
    assert.throws(() => dialAddress(ma.toString(), generateIdentity().peerId), InputError);
    assert.equal(toHostPort(ma), "127.0.0.1:9");
    assert.equal(toHostPort("/ip6/::1/tcp/7"), "[::1]:7");
  });

  test("channel names", () => {
    assert.equal(protocolId("parsigex"), "/rpdvt/parsigex/1.0.0");
    assert.equal(protocolId("/rpdvt/qbft/1.0.0"), "/rpdvt/qbft/1.0.0");
    assert.throws(() => protocolId("Bad Name"), InputError);
  });
});

describe("rpdvt node identity", () => {
  async function run(...args: string[]) {
    const r = await runCommand(nodeIdentityCommand(), args);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code ?? 0 };
  }

  test("--out writes a key and prints its identity; --show reads it back", async () => {
    const file = join(dir, "node.json");
    const r = await run("--out", file, "--json");
    assert.equal(r.exitCode, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.created, true);
    assert.match(j.peerId, SECP256K1_PEER_ID_PATTERN);
    assert.equal(j.identity, j.peerId);
    assert.match(j.publicKey, /^0x0[23][0-9a-f]{64}$/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const onDisk = await loadIdentity(file);
    assert.equal(onDisk.peerId, j.peerId);
    assert.ok(!r.stdout.includes(hex(onDisk.secretKey)), "the secret is never printed");

    const text = await run("--show", file);
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, new RegExp(`identity:\\s+${j.peerId}`));

    const again = await run("--out", file);
    assert.equal(again.exitCode, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal((await loadIdentity(file)).peerId, j.peerId, "not overwritten");

    const neither = await run();
    assert.equal(neither.exitCode, 1);
    assert.match(neither.stderr, /exactly one of --out/);
  });
});
