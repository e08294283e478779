/**
 * The one hex/bytes module (src/util/hex.ts) and the rule that no other module keeps its own
 * hex / byte-equality / bigint helper (issue 14 item 3).
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { InputError } from "../../../src/errors.js";
import { bigIntToBytes, bytesEqual, bytesToBigInt, fromHex, toHex } from "../../../src/util/hex.js";
import { ROOT } from "../../support/root.js";

const src = join(ROOT, "src");

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("util/hex", () => {
  it("hex round trip, 0x optional on input, lowercase on output, subarrays respected", () => {
    const buf = new Uint8Array([9, 0xab, 0xcd, 0xef, 7]);
    assert.equal(toHex(buf.subarray(1, 4)), "0xabcdef");
    assert.equal(toHex(buf.subarray(1, 4), false), "abcdef");
    assert.deepEqual(fromHex("0xABCDEF"), new Uint8Array([0xab, 0xcd, 0xef]));
    assert.deepEqual(fromHex("abcdef"), new Uint8Array([0xab, 0xcd, 0xef]));
    assert.deepEqual(fromHex("0x"), new Uint8Array(0));
  });

  it("bad hex is an InputError naming the field and file", () => {
    for (const bad of ["0xabc", "0xzz", "0x 1"]) {
      assert.throws(
        () => fromHex(bad, { field: "pubkey", file: "c.json" }),
        (e: unknown) => e instanceof InputError && e.field === "pubkey" && e.file === "c.json",
      );
    }
    assert.throws(
      () => fromHex("0x0102", { field: "root", length: 32 }),
      (e: unknown) => e instanceof InputError && /Expected 32 bytes/.test(e.shortMessage),
    );
  });

  it("bytesEqual on short and long arrays, views and different lengths", () => {
    const long = new Uint8Array(1000).fill(5);
    const other = long.slice();
    assert.equal(bytesEqual(long, other), true);
    other[999] = 6;
    assert.equal(bytesEqual(long, other), false);
    const root = new Uint8Array(32).fill(1);
    const view = new Uint8Array(40).fill(1).subarray(8);
    assert.equal(bytesEqual(root, view), true);
    view[31] = 2;
    assert.equal(bytesEqual(root, view), false);
    assert.equal(bytesEqual(root, root.subarray(1)), false);
    assert.equal(bytesEqual(new Uint8Array(0), new Uint8Array(0)), true);
  });

  it("big-endian bigint ↔ bytes (scalars), refusing what does not fit", () => {
    assert.equal(bytesToBigInt(new Uint8Array([1, 0])), 256n);
    assert.equal(bytesToBigInt(new Uint8Array(0)), 0n);
    const n = (1n << 255n) + 12345n;
    assert.equal(bytesToBigInt(bigIntToBytes(n, 32)), n);
    assert.deepEqual(bigIntToBytes(1n, 4), new Uint8Array([0, 0, 0, 1]));
    assert.throws(() => bigIntToBytes(1n << 256n, 32), RangeError);
    assert.throws(() => bigIntToBytes(-1n, 32), RangeError);
  });

  it("no module outside util/hex.ts defines its own hex, byte-equality or bigint helper", async () => {
    const own = [
      /^(?:export )?function (?:hex|unhex|toHex|fromHex|bytesToHex|hexToBytes|sameBytes|equalBytes|bytesEqual)\(/m,
      /^const (?:hex|unhex|toHex|fromHex|sameBytes|equalBytes) = \(\w+: Uint8Array/m,
      /BigInt\(`0x\$\{Buffer\.from/,
    ];
    const offenders: string[] = [];
    for (const f of await sources(src)) {
      if (f.endsWith(join("util", "hex.ts"))) continue;
      const text = await readFile(f, "utf8");
      for (const re of own) if (re.test(text)) offenders.push(`${relative(src, f)} ${re.source}`);
    }
    assert.deepEqual(offenders, []);
  });
});
