/**
 * `rpdvt exit`: the exit is signed with the wallet-derived cold key, for the EIP-7044 domain
 * computed here independently (sha256 by hand: Capella version, genesis validators root), and is
 * only submitted with --yes.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { verifySignature } from "../../../src/crypto/bls.js";
import { clusterExitInstructions } from "../../../src/ops/exit/exit.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { makeTempDir, ROOT } from "../../helpers.js";
import { GVR, startFakeBeacon } from "../../support/ops-fakes.js";

const cat = (...parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const chunk = (b: Uint8Array) => cat(b, new Uint8Array(32 - b.length));
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
/** consensus-specs compute_domain / compute_signing_root, by hand. */
function signingRoot(version: string, epoch: number, index: number): Uint8Array {
  const forkDataRoot = sha256(
    cat(chunk(Buffer.from(version.slice(2), "hex")), Buffer.from(GVR.slice(2), "hex")),
  );
  const domain = cat(Buffer.from([4, 0, 0, 0]), forkDataRoot.subarray(0, 28)); // DOMAIN_VOLUNTARY_EXIT
  const exitRoot = sha256(cat(chunk(u64(epoch)), chunk(u64(index))));
  return sha256(cat(exitRoot, domain));
}

function cli(args: string[]): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test/e2e/ops-runner.ts"), ...args],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ out, err, code }));
  });
}

describe("ops: rpdvt exit", () => {
  let dir: string;
  let pubkeys: string[];
  let bn: Awaited<ReturnType<typeof startFakeBeacon>>;
  before(async () => {
    dir = await makeTempDir("ops-exit");
    const fx = await writeRocketPoolFixture(join(dir, "rp"), { validators: 2 });
    pubkeys = fx.pubkeys;
    bn = await startFakeBeacon({ pubkeys, genesisTime: Math.floor(Date.now() / 1000) - 10 * 384 });
  });
  after(async () => {
    await bn.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("--out writes an exit signed for the Capella domain (not the current fork's), nothing submitted", async () => {
    const out = join(dir, "exit.json");
    const r = await cli([
      "exit",
      "--rocketpool-dir",
      join(dir, "rp"),
      "--validator",
      pubkeys[1] as string,
      "--beacon-url",
      bn.url,
      "--epoch",
      "7",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /NOT submitted/);
    const signed = JSON.parse(await fsp.readFile(out, "utf8"));
    assert.deepEqual(signed.message, { epoch: "7", validator_index: "101" });
    const sig = Buffer.from(signed.signature.slice(2), "hex");
    const pk = Buffer.from((pubkeys[1] as string).slice(2), "hex");
    assert.equal(
      verifySignature(pk, signingRoot("0x03000001", 7, 101), sig),
      true,
      "EIP-7044: Capella version",
    );
    assert.equal(
      verifySignature(pk, signingRoot("0x05000001", 7, 101), sig),
      false,
      "not the current (Electra) version",
    );
    assert.equal(((await fsp.stat(out)).mode & 0o777).toString(8), "600");
    assert.equal(bn.exits.length, 0);
  });

  it("refuses to submit without --yes on a non-terminal; submits with --yes", async () => {
    const args = [
      "exit",
      "--rocketpool-dir",
      join(dir, "rp"),
      "--validator",
      pubkeys[0] as string,
      "--beacon-url",
      bn.url,
    ];
    const r = await cli(args);
    assert.equal(r.code, 1);
    assert.match(r.err, /Not submitted: confirm with --yes/);
    assert.match(r.err, /IRREVERSIBLE/);
    assert.equal(bn.exits.length, 0);
    const r2 = await cli([...args, "--yes", "--epoch", "9"]);
    assert.equal(r2.code, 0, r2.err);
    assert.equal(bn.exits.length, 1);
    const posted = bn.exits[0] as {
      message: { epoch: string; validator_index: string };
      signature: string;
    };
    assert.deepEqual(posted.message, { epoch: "9", validator_index: "100" });
    const pk = Buffer.from((pubkeys[0] as string).slice(2), "hex");
    assert.equal(
      verifySignature(
        pk,
        signingRoot("0x03000001", 9, 100),
        Buffer.from(posted.signature.slice(2), "hex"),
      ),
      true,
    );
  });

  it("--epoch is checked before anything else: -5, 1.5 and abc are refused naming the flag", async () => {
    // A validator this beacon does not know: checked first, it gave "not on this beacon chain".
    for (const epoch of ["-5", "1.5", "abc"]) {
      const r = await cli([
        "exit",
        "--rocketpool-dir",
        join(dir, "rp"),
        "--validator",
        `0x${"b".repeat(96)}`,
        "--beacon-url",
        bn.url,
        `--epoch=${epoch}`,
        "--out",
        join(dir, "never.json"),
      ]);
      assert.equal(r.code, 1, epoch);
      assert.match(r.err, new RegExp(`--epoch must be a non-negative integer, got "${epoch}"`));
      assert.doesNotMatch(r.err, /not on this beacon chain/);
    }
    const cluster = await cli([
      "exit",
      "--validator",
      pubkeys[0] as string,
      "--cluster-nodes",
      "http://127.0.0.1:9",
      "--token-file",
      join(dir, "no-such-token"),
      "--epoch=-5",
    ]);
    assert.equal(cluster.code, 1);
    assert.match(cluster.err, /--epoch must be a non-negative integer/);
  });

  it("--cluster-nodes takes the token from --token-file (regular, non-empty, newline stripped); --help says --token shows in ps", async () => {
    const seen: { method: string; url: string; auth: string | undefined }[] = [];
    const srv = createServer((req, res) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization });
      res.setHeader("content-type", "application/json");
      if (req.url === "/api/cluster") {
        res.end(JSON.stringify({ threshold: 1, validators: [pubkeys[0]] }));
        return;
      }
      req.resume();
      req.on("end", () => {
        res.statusCode = 202;
        res.end(JSON.stringify({ accepted: true, operatorId: 1, epoch: 7 }));
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const base = ["exit", "--validator", pubkeys[0] as string, "--cluster-nodes", url, "--yes"];
    try {
      const tokenFile = join(dir, "token");
      await fsp.writeFile(tokenFile, "s3cret-token\n", { mode: 0o600 });
      const ok = await cli([...base, "--token-file", tokenFile, "--epoch", "7", "--json"]);
      assert.equal(ok.code, 0, ok.err);
      assert.equal(JSON.parse(ok.out).accepted, 1);
      const post = seen.find((s) => s.method === "POST");
      assert.equal(post?.auth, "Bearer s3cret-token");
      assert.doesNotMatch(ok.out + ok.err, /s3cret-token/);

      seen.length = 0;
      const empty = join(dir, "empty-token");
      await fsp.writeFile(empty, "\n", { mode: 0o600 });
      const fifo = join(dir, "token-fifo");
      execFileSync("mkfifo", [fifo]);
      for (const [file, why] of [
        [empty, /The token file is empty/],
        [fifo, /not a regular file/],
        [join(dir, "missing-token"), /Token file not found/],
      ] as const) {
        const t0 = Date.now();
        const r = await cli([...base, "--token-file", file]);
        assert.equal(r.code, 1, file);
        assert.match(r.err, why);
        assert.match(r.err, new RegExp(`File: ${file}`));
        assert.match(r.err, /Field: --token-file/);
        assert.ok(Date.now() - t0 < 20_000, "a FIFO must not hang");
      }
      const both = await cli([...base, "--token-file", tokenFile, "--token", "x"]);
      assert.equal(both.code, 1);
      assert.match(both.err, /Give --token-file or --token, not both/);
      assert.equal(seen.filter((s) => s.method === "POST").length, 0, "no node was asked");

      const help = await cli(["exit", "--help"]);
      assert.match(help.out, /--token-file <file>/);
      assert.match(help.out.replace(/\s+/g, " "), /VISIBLE to every local user in `ps`/);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it("a key not derived from the wallet is refused; cluster formats print their exit command", async () => {
    // A key the chain knows but the wallet does not derive (e.g. an imported key).
    const other = await startFakeBeacon({
      pubkeys: [`0x${"a".repeat(96)}`],
      genesisTime: Math.floor(Date.now() / 1000) - 3840,
    });
    try {
      const r = await cli([
        "exit",
        "--rocketpool-dir",
        join(dir, "rp"),
        "--validator",
        `0x${"a".repeat(96)}`,
        "--beacon-url",
        other.url,
        "--out",
        join(dir, "x.json"),
      ]);
      assert.equal(r.code, 1);
      assert.match(r.err, /is not derived from this Smartnode wallet/);
    } finally {
      await other.close();
    }
    assert.match(clusterExitInstructions("obol", "0xab", []), /charon exit sign/);
    assert.match(
      clusterExitInstructions("ssv", "0xab", [1, 2, 3, 4]),
      /exitValidator\(bytes,uint64\[\]\)" 0xab "\[1,2,3,4\]"/,
    );
  });
});
