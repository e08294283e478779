/**
 * Fuzzing the untrusted-input surface: decodeEnvelope and QbftNode.receive on random bytes and on
 * structurally mutated valid messages of every type. Properties: never throws, every accepted
 * byte string is canonical (re-encodes identically), the node never hits its internal-error path,
 * memory stays bounded, and the honest protocol still decides the right value afterwards.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeEnvelope,
  encodeEnvelope,
  hashValue,
  signingBytes,
} from "../../../../src/core/consensus/codec.js";
import { createQbftNode } from "../../../../src/core/consensus/node.js";
import { defaultLeader } from "../../../../src/core/consensus/params.js";
import {
  type Decided,
  type Envelope,
  type InstanceId,
  MsgType,
  type QbftMessage,
  type SignedMessage,
  ZERO_HASH,
} from "../../../../src/core/consensus/types.js";
import { mutate } from "../../../simnet/byzantine.js";
import { createPrng } from "../../../simnet/prng.js";
import { macTestSigning } from "../../../simnet/signing.js";

const N = 4;
const { signers, verifier } = macTestSigning(N, 9);
const I: InstanceId = { slot: 77, dutyType: 1 };
const vA = new Uint8Array([1, 2, 3, 4]);
const hA = hashValue(vA);
const sm = (type: MsgType, source: number, round: number, o: Partial<QbftMessage> = {}) => {
  const m: QbftMessage = {
    type,
    instance: I,
    source,
    round,
    valueHash: type === MsgType.RoundChange ? ZERO_HASH : hA,
    preparedRound: 0,
    preparedHash: ZERO_HASH,
    ...o,
  };
  return { ...m, signature: signers[source]?.sign(signingBytes(m)) as Uint8Array } as SignedMessage;
};
const L = (r: number) => defaultLeader(I, r, N);

/** Valid messages of every type and justification shape (the mutation corpus). */
const corpus: Envelope[] = [
  { msg: sm(MsgType.PrePrepare, L(1), 1), value: vA, justification: [] },
  ...[1, 2, 3].map((s) => ({ msg: sm(MsgType.Prepare, s, 1), justification: [] })),
  ...[1, 2, 3].map((s) => ({ msg: sm(MsgType.Commit, s, 1), justification: [] })),
  { msg: sm(MsgType.RoundChange, 1, 2), justification: [] },
  {
    msg: sm(MsgType.RoundChange, 2, 2, { preparedRound: 1, preparedHash: hA }),
    value: vA,
    justification: [1, 2, 3].map((s) => sm(MsgType.Prepare, s, 1)),
  },
  {
    msg: sm(MsgType.PrePrepare, L(3), 3),
    value: vA,
    justification: [
      ...[1, 2, 3].map((s) =>
        sm(MsgType.RoundChange, s, 3, { preparedRound: 1, preparedHash: hA }),
      ),
      ...[1, 2, 3].map((s) => sm(MsgType.Prepare, s, 1)),
    ],
  },
  {
    msg: sm(MsgType.Decided, 2, 1),
    value: vA,
    justification: [1, 2, 3].map((s) => sm(MsgType.Commit, s, 1)),
  },
];
const corpusBytes = corpus.map(encodeEnvelope);

/** Arbitrary input: random bytes, or k stacked mutations of a corpus message. */
const input = fc.oneof(
  fc.uint8Array({ maxLength: 700 }),
  fc
    .record({
      i: fc.nat({ max: corpusBytes.length - 1 }),
      seed: fc.integer(),
      k: fc.integer({ min: 1, max: 4 }),
    })
    .map(({ i, seed, k }) => {
      const rng = createPrng(seed);
      let b = corpusBytes[i] as Uint8Array;
      for (let j = 0; j < k; j++) b = mutate(rng, b);
      return b;
    }),
);

describe("fuzz: decodeEnvelope", () => {
  it("never throws; accepted inputs are canonical", () => {
    let accepted = 0;
    fc.assert(
      fc.property(input, (bytes) => {
        const r = decodeEnvelope(bytes);
        if (r.ok) {
          accepted++;
          assert.deepEqual(encodeEnvelope(r.envelope), bytes, "one encoding per message");
        } else {
          assert.equal(typeof r.reason, "string");
        }
      }),
      { seed: 1, numRuns: 3000 },
    );
    assert.ok(accepted > 0, "some mutations (e.g. signature bit flips) still decode");
  });

  it("every corpus message decodes", () => {
    for (const b of corpusBytes) assert.ok(decodeEnvelope(b).ok);
  });
});

describe("fuzz: QbftNode.receive", () => {
  it("never throws or errors internally, stays bounded, and still decides correctly", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: N - 1 }), input), { minLength: 1, maxLength: 60 }),
        async (inputs) => {
          const decided: Decided[] = [];
          const node = createQbftNode({
            n: N,
            self: 0,
            transport: { self: 0, n: N, send() {}, broadcast() {}, onMessage: () => () => {} },
            clock: { now: () => 0, setTimeout: () => () => {} },
            signer: signers[0] as (typeof signers)[number],
            verifier,
            isValid: (v) => v[0] === 1,
          });
          node.onDecided((d) => decided.push(d));
          node.start(I, new Uint8Array([1, 9]));
          for (const [from, bytes] of inputs) {
            node.receive(from, bytes);
            node.receive(decodeEnvelope(bytes).ok ? Number(bytes[12]) : from, bytes);
          }
          // The genuine protocol run afterwards.
          for (const b of corpusBytes.slice(0, 7)) {
            const r = decodeEnvelope(b);
            if (r.ok) node.receive(r.envelope.msg.source, b);
          }
          await new Promise((r) => setImmediate(r));
          const s = node.stats();
          assert.equal(s.counters["internal-error"] ?? 0, 0);
          assert.ok(s.storedMessages <= N * 4 * 21);
          assert.equal(decided.length, 1, "decides exactly once");
          assert.deepEqual(decided[0]?.value, vA);
          node.close();
        },
      ),
      { seed: 2, numRuns: 150 },
    );
  });
});
