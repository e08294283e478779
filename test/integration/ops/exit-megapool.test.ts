/**
 * `rpdvt exit`, megapool path (issue 16 part 3): a Smartnode wallet with 3 minipool and 4 megapool
 * validators (wallet accounts 0–2 and 3–6, megapool ids 0–3), mixed beacon states, and its client
 * keystores QUARANTINED (validators/ and custom-keys/ gone, what makes `rocketpool megapool
 * exit-validator` fail): a megapool validator selected by id is still exited with the
 * wallet-derived cold key (EIP-7044, verified here), and the Smartnode's next steps are printed;
 * exiting / exited / pending validators are refused with a clear message and nothing is written.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { verifySignature } from "../../../src/crypto/bls.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { makeTempDir, ROOT } from "../../helpers.js";
import { NODE, startMegapoolRpc } from "../../support/megapool-rpc.js";
import { GVR, startFakeBeacon } from "../../support/ops-fakes.js";

const cat = (...parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const chunk = (b: Uint8Array) => cat(b, new Uint8Array(32 - b.length));
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
/** consensus-specs compute_domain / compute_signing_root for the Capella version, by hand. */
function signingRoot(epoch: number, index: number): Uint8Array {
  const forkDataRoot = sha256(
    cat(chunk(Buffer.from("03000001", "hex")), Buffer.from(GVR.slice(2), "hex")),
  );
  const domain = cat(Buffer.from([4, 0, 0, 0]), forkDataRoot.subarray(0, 28));
  return sha256(cat(sha256(cat(chunk(u64(epoch)), chunk(u64(index)))), domain));
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

describe("ops: rpdvt exit of megapool validators (keystores quarantined)", () => {
  let dir: string;
  let rp: string;
  let pubkeys: string[];
  let bn: Awaited<ReturnType<typeof startFakeBeacon>>;
  let rpc: Awaited<ReturnType<typeof startMegapoolRpc>>;
  const megapool = (id: number) => pubkeys[3 + id] as string;
  before(async () => {
    dir = await makeTempDir("ops-exit-megapool");
    const fx = await writeRocketPoolFixture(join(dir, "rp"), { validators: 7 });
    pubkeys = fx.pubkeys;
    rp = join(dir, "rp");
    // Quarantined: no client keystore left (rpdvt migrate moves them away).
    await fsp.rm(join(fx.dataDir, "validators"), { recursive: true });
    bn = await startFakeBeacon({
      pubkeys,
      genesisTime: Math.floor(Date.now() / 1000) - 10 * 384,
      statuses: {
        [pubkeys[1] as string]: "pending_queued",
        [pubkeys[2] as string]: "exited_unslashed",
        [megapool(1)]: "active_exiting",
        [megapool(2)]: "exited_unslashed",
        [megapool(3)]: "pending_initialized",
      },
    });
    rpc = await startMegapoolRpc(pubkeys.slice(3));
  });
  after(async () => {
    await bn.close();
    await rpc.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });
  const base = () => ["exit", "--rocketpool-dir", rp, "--beacon-url", bn.url];
  const chain = () => ["--execution-url", rpc.url, "--node-address", NODE];

  it("megapool validator id 0 (active): cold-key EIP-7044 exit, next steps name notify-validator-exit --validator-id 0", async () => {
    const out = join(dir, "exit-mp0.json");
    const r = await cli([
      ...base(),
      ...chain(),
      "--megapool-validator-id",
      "0",
      "--epoch",
      "8",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /NOT submitted/);
    assert.match(r.out, /rocketpool megapool notify-validator-exit --validator-id 0/);
    assert.match(r.out, /rocketpool megapool notify-final-balance --validator-id 0/);
    const signed = JSON.parse(await fsp.readFile(out, "utf8"));
    assert.deepEqual(signed.message, { epoch: "8", validator_index: "103" });
    assert.equal(
      verifySignature(
        Buffer.from(megapool(0).slice(2), "hex"),
        signingRoot(8, 103),
        Buffer.from(signed.signature.slice(2), "hex"),
      ),
      true,
    );
    // Submitted with --yes --json: the JSON carries the megapool id and the next steps.
    const r2 = await cli([
      ...base(),
      ...chain(),
      "--megapool-validator-id",
      "0",
      "--yes",
      "--json",
    ]);
    assert.equal(r2.code, 0, r2.err);
    const j = JSON.parse(r2.out);
    assert.equal(j.submitted, true);
    assert.equal(j.megapool.id, 0);
    assert.equal(j.megapool.pubkey, megapool(0));
    assert.ok(
      j.nextSteps.some((s: string) => s.includes("notify-validator-exit --validator-id 0")),
    );
    assert.equal(bn.exits.length, 1);
  });

  it("exiting, exited and pending megapool validators are refused with what to do; nothing written", async () => {
    for (const [id, msg] of [
      [1, /already exiting \(active_exiting, exit epoch 5\): nothing to sign/],
      [2, /already exited \(exited_unslashed/],
      [3, /not active yet \(pending_initialized\)/],
    ] as const) {
      const out = join(dir, `refused-${id}.json`);
      const r = await cli([
        ...base(),
        ...chain(),
        "--megapool-validator-id",
        String(id),
        "--out",
        out,
      ]);
      assert.equal(r.code, 1, `id ${id}: ${r.out}`);
      assert.match(r.err, msg);
      if (id !== 3) assert.match(r.err, new RegExp(`notify-validator-exit --validator-id ${id}`));
      assert.doesNotMatch(r.err, /at .*\.ts:\d+/, "no stack trace");
      await assert.rejects(fsp.stat(out), "nothing written");
    }
    // By pubkey: the id is looked up, so the next steps still name it.
    const r = await cli([...base(), ...chain(), "--validator", megapool(1), "--yes"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /notify-validator-exit --validator-id 1/);
    assert.equal(bn.exits.length <= 1, true, "nothing submitted");
  });

  it("minipool validators: pending and exited refused; an id past the megapool's end names the range", async () => {
    let r = await cli([...base(), "--validator", pubkeys[1] as string, "--yes"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /not active yet \(pending_queued\)/);
    r = await cli([...base(), "--validator", pubkeys[2] as string, "--yes"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /already exited/);
    assert.match(r.err, /rocketpool minipool close/);
    r = await cli([...base(), ...chain(), "--megapool-validator-id", "9", "--yes"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /has no validator id 9 \(it has 4: ids 0–3\)/);
  });

  it("selection flags are checked before any network or wallet access", async () => {
    const dead = ["--beacon-url", "http://127.0.0.1:9"];
    for (const [args, msg] of [
      [["--megapool-validator-id", "-1"], /--megapool-validator-id must be a non-negative integer/],
      [["--megapool-validator-id", "x"], /must be a non-negative integer/],
      [[], /Give the validator with --validator PUBKEY or --megapool-validator-id N/],
      [["--validator", megapool(0), "--megapool-validator-id", "0"], /Give the validator with/],
      [["--megapool-validator-id", "0"], /needs --execution-url and --node-address/],
      [["--validator", megapool(0), "--execution-url", "http://127.0.0.1:9"], /go together/],
    ] as const) {
      const r = await cli(["exit", "--rocketpool-dir", rp, ...dead, ...args]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.out}`);
      assert.match(r.err, msg);
      assert.doesNotMatch(r.err, /127\.0\.0\.1:9/, "failed before any request");
    }
  });
});
