/** Varint framing (src/p2p/framing.ts): vectors, chunking, bounds, malformed input. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  encodeFrame,
  FrameDecoder,
  type FrameSink,
  varintLength,
  writeVarint,
} from "../../../src/p2p/framing.js";

const varint = (n: number): number[] => {
  const b = new Uint8Array(10);
  return [...b.subarray(0, writeVarint(n, b, 0))];
};

/** Decode `stream` fed in the given chunks; returns frames and the first error. */
function decodeAll(
  max: number,
  chunks: Uint8Array[],
  accept: (len: number) => boolean = () => true,
) {
  const dec = new FrameDecoder(max);
  const frames: number[][] = [];
  const sink: FrameSink = { onHeader: accept, onFrame: (b) => frames.push([...b]) };
  let error: string | undefined;
  for (const c of chunks) {
    error = dec.push(c, sink);
    assert.ok(dec.bufferedBytes <= max, "never buffers more than one maximal frame");
    if (error) break;
  }
  return { frames, error, dec };
}

describe("p2p framing", () => {
  test("unsigned-varint vectors (multiformats/unsigned-varint README)", () => {
    assert.deepEqual(varint(1), [0x01]);
    assert.deepEqual(varint(127), [0x7f]);
    assert.deepEqual(varint(128), [0x80, 0x01]);
    assert.deepEqual(varint(255), [0xff, 0x01]);
    assert.deepEqual(varint(300), [0xac, 0x02]);
    assert.deepEqual(varint(16384), [0x80, 0x80, 0x01]);
    assert.equal(varintLength(16383), 2);
    assert.equal(varintLength(16384), 3);
    assert.deepEqual([...encodeFrame(new Uint8Array([7, 8]))], [2, 7, 8]);
  });

  test("frames survive any chunking, including empty frames", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (msgs, cuts) => {
          const all = Buffer.concat(msgs.map(encodeFrame));
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (let k = 0; at < all.length; k++) {
            const len = cuts[k % cuts.length] as number;
            chunks.push(all.subarray(at, at + len));
            at += len;
          }
          const { frames, error, dec } = decodeAll(300, chunks);
          assert.equal(error, undefined);
          assert.deepEqual(
            frames,
            msgs.map((m) => [...m]),
          );
          assert.equal(dec.finish(), undefined);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a length over the maximum is rejected from the prefix alone", () => {
    const { error, frames } = decodeAll(1000, [new Uint8Array(varint(1001))]);
    assert.equal(error, "oversize");
    assert.equal(frames.length, 0);
    // A prefix longer than the maximum's encoding is rejected before it ends.
    assert.equal(decodeAll(1000, [new Uint8Array([0x80, 0x80])]).error, "oversize");
    // Exactly the maximum passes.
    const ok = decodeAll(1000, [encodeFrame(new Uint8Array(1000))]);
    assert.equal(ok.error, undefined);
    assert.equal(ok.frames[0]?.length, 1000);
  });

  test("non-minimal varints are rejected; the decoder stays failed", () => {
    const { error, dec } = decodeAll(1 << 20, [new Uint8Array([0x81, 0x00, 0x05])]);
    assert.equal(error, "bad-varint");
    assert.equal(
      dec.push(encodeFrame(new Uint8Array(1)), { onHeader: () => true, onFrame: () => {} }),
      "bad-varint",
    );
  });

  test("rejected bodies are skipped without buffering", () => {
    const big = encodeFrame(new Uint8Array(5000).fill(9));
    const small = encodeFrame(new Uint8Array([1, 2, 3]));
    const chunks = [big.subarray(0, 100), big.subarray(100), small];
    const seen: number[] = [];
    const { frames, error, dec } = decodeAll(10_000, chunks, (len) => {
      seen.push(len);
      return len < 100;
    });
    assert.equal(error, undefined);
    assert.deepEqual(seen, [5000, 3]);
    assert.deepEqual(frames, [[1, 2, 3]]);
    assert.equal(dec.bufferedBytes, 0);
  });

  test("end of stream inside a frame is reported as truncated", () => {
    const f = encodeFrame(new Uint8Array(10));
    const { dec } = decodeAll(100, [f.subarray(0, 5)]);
    assert.equal(dec.bufferedBytes, 4);
    assert.equal(dec.finish(), "truncated");
    assert.equal(decodeAll(1000, [new Uint8Array([0x80])]).dec.finish(), "truncated");
    assert.equal(decodeAll(100, [new Uint8Array([0x80])]).error, "oversize", "> 127 from byte 1");
  });

  test("arbitrary bytes never throw and never exceed the bound", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 16 }), (chunks) => {
        const r = decodeAll(256, chunks);
        assert.ok(r.error === undefined || r.error === "oversize" || r.error === "bad-varint");
        assert.ok(r.frames.every((f) => f.length <= 256));
        assert.ok(["truncated", "oversize", "bad-varint", undefined].includes(r.dec.finish()));
      }),
      { numRuns: 500 },
    );
  });

  test("invalid maximum is refused", () => {
    assert.throws(() => new FrameDecoder(-1), RangeError);
    assert.throws(() => new FrameDecoder(2 ** 31), RangeError);
  });
});
