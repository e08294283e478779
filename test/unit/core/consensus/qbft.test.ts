/**
 * QBFT building blocks: quorum/leader/timer parameters, wire codec (round trip + strictness),
 * secp256k1 identity signatures, and the justification predicates (Moniz Alg. 4).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import {
  decodeEnvelope,
  encodeEnvelope,
  encodePayload,
  hashValue,
  MAX_MESSAGE_SIZE,
  MAX_VALUE_SIZE,
  PAYLOAD_LENGTH,
  peekInstance,
  signingBytes,
} from "../../../../src/core/consensus/codec.js";
import {
  highestPrepared,
  isJustifiedDecided,
  isJustifiedProposal,
  isJustifiedRoundChange,
  type JustifyContext,
} from "../../../../src/core/consensus/justify.js";
import { defaultLeader, faultyFor, quorumFor } from "../../../../src/core/consensus/params.js";
import {
  noopSigning,
  secp256k1Signer,
  secp256k1TestKeys,
  secp256k1Verifier,
} from "../../../../src/core/consensus/signer.js";
import {
  DEFAULT_ROUND_TIMER,
  ROUND_TIMER_PRESETS,
  roundTimeoutMs,
} from "../../../../src/core/consensus/timer.js";
import {
  type Envelope,
  type InstanceId,
  MsgType,
  type QbftMessage,
  type SignedMessage,
  ZERO_HASH,
} from "../../../../src/core/consensus/types.js";
import { InputError } from "../../../../src/errors.js";
import { macTestSigning } from "../../../simnet/signing.js";

const N = 4;
const { signers, verifier } = macTestSigning(N, 1);
const instance: InstanceId = { slot: 1234, dutyType: 2 };
const valueA = new TextEncoder().encode("\x01value-a");
const valueB = new TextEncoder().encode("\x01value-b");
const hA = hashValue(valueA);
const hB = hashValue(valueB);

function msg(
  type: MsgType,
  source: number,
  round: number,
  o: Partial<QbftMessage> = {},
): SignedMessage {
  const m: QbftMessage = {
    type,
    instance,
    source,
    round,
    valueHash: type === MsgType.RoundChange ? ZERO_HASH : hA,
    preparedRound: 0,
    preparedHash: ZERO_HASH,
    ...o,
  };
  return { ...m, signature: signers[m.source]?.sign(signingBytes(m)) ?? new Uint8Array(32) };
}

const ctx = (inst: InstanceId = instance): JustifyContext => ({
  n: N,
  quorum: quorumFor(N),
  instance: inst,
  leader: (r) => defaultLeader(inst, r, N),
  verify: (m) => verifier.verify(m.source, signingBytes(m), m.signature),
});
const leaderOf = (r: number): number => defaultLeader(instance, r, N);

describe("params", () => {
  it("quorum is 2F+1 for n = 3F+1 and always intersects in an honest node", () => {
    assert.deepEqual(
      [4, 7, 10, 13].map((n) => [faultyFor(n), quorumFor(n)]),
      [
        [1, 3],
        [2, 5],
        [3, 7],
        [4, 9],
      ],
    );
    for (let n = 1; n <= 64; n++) {
      const f = faultyFor(n);
      const q = quorumFor(n);
      assert.ok(2 * q - n >= f + 1, `n=${n}: two quorums share an honest node`);
      assert.ok(q <= n - f, `n=${n}: a quorum exists with f nodes silent`);
      assert.equal(q, Math.ceil((2 * n) / 3), `n=${n}: equals Charon's ceil(2n/3)`);
    }
  });

  it("leader rotates with slot, duty type and round (Charon's formula)", () => {
    assert.equal(defaultLeader({ slot: 10, dutyType: 2 }, 1, 4), 1);
    assert.equal(defaultLeader({ slot: 10, dutyType: 2 }, 2, 4), 2);
    assert.equal(defaultLeader({ slot: 11, dutyType: 2 }, 1, 4), 2);
    const leaders = new Set(Array.from({ length: 7 }, (_, r) => defaultLeader(instance, r + 1, 7)));
    assert.equal(leaders.size, 7, "n consecutive rounds visit every operator");
    assert.equal(defaultLeader({ slot: 2 ** 52, dutyType: 65535 }, 1, 13), (2 ** 52 + 65536) % 13);
  });

  it("round timers: linear default, exponential, SSV step, Charon inc", () => {
    assert.deepEqual(
      [1, 2, 3, 10, 100].map((r) => roundTimeoutMs(DEFAULT_ROUND_TIMER, r)),
      [750, 1000, 1250, 3000, 12_000],
    );
    const expo = { kind: "exponential", firstMs: 500, factor: 2, maxMs: 8000 } as const;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((r) => roundTimeoutMs(expo, r)),
      [500, 1000, 2000, 4000, 8000, 8000],
    );
    assert.deepEqual(
      [1, 8, 9].map((r) => roundTimeoutMs(ROUND_TIMER_PRESETS.ssv, r)),
      [2000, 2000, 120_000],
    );
    assert.deepEqual(
      [1, 2, 3].map((r) => roundTimeoutMs(ROUND_TIMER_PRESETS.charonInc, r)),
      [1000, 1250, 1500],
    );
  });
});

describe("codec", () => {
  const proposal2: Envelope = {
    msg: msg(MsgType.PrePrepare, leaderOf(2), 2),
    value: valueA,
    justification: [0, 1, 2].map((s) =>
      msg(MsgType.RoundChange, s, 2, { preparedRound: 1, preparedHash: hA }),
    ),
  };
  proposal2.justification.push(...[0, 1, 3].map((s) => msg(MsgType.Prepare, s, 1)));
  const samples: Envelope[] = [
    { msg: msg(MsgType.PrePrepare, leaderOf(1), 1), value: valueA, justification: [] },
    { msg: msg(MsgType.Prepare, 2, 1), justification: [] },
    { msg: msg(MsgType.Commit, 3, 7), justification: [] },
    { msg: msg(MsgType.RoundChange, 1, 3), justification: [] },
    {
      msg: msg(MsgType.RoundChange, 1, 3, { preparedRound: 2, preparedHash: hA }),
      value: valueA,
      justification: [0, 1, 2].map((s) => msg(MsgType.Prepare, s, 2)),
    },
    proposal2,
    {
      msg: msg(MsgType.Decided, 0, 2),
      value: valueA,
      justification: [0, 1, 2].map((s) => msg(MsgType.Commit, s, 2)),
    },
  ];

  it("round-trips every message type exactly (decode ∘ encode = id, encode ∘ decode = id)", () => {
    for (const env of samples) {
      const bytes = encodeEnvelope(env);
      const r = decodeEnvelope(bytes);
      assert.ok(r.ok, `type ${env.msg.type}: ${r.ok ? "" : r.reason}`);
      assert.deepEqual(r.envelope.msg, env.msg);
      assert.deepEqual(r.envelope.justification, env.justification);
      assert.deepEqual(r.envelope.value, env.value);
      assert.deepEqual(encodeEnvelope(r.envelope), bytes);
    }
    assert.equal(encodePayload(samples[1]?.msg as SignedMessage).length, PAYLOAD_LENGTH);
  });

  it("round-trips arbitrary well-formed messages (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          slot: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          dutyType: fc.integer({ min: 0, max: 0xffff }),
          source: fc.integer({ min: 0, max: 63 }),
          round: fc.integer({ min: 1, max: 0xffffffff }),
          hash: fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((h) => h.some((b) => b)),
          sig: fc.uint8Array({ maxLength: 96 }),
          type: fc.constantFrom(MsgType.Prepare, MsgType.Commit),
        }),
        (o) => {
          const m: SignedMessage = {
            type: o.type,
            instance: { slot: o.slot, dutyType: o.dutyType },
            source: o.source,
            round: o.round,
            valueHash: o.hash,
            preparedRound: 0,
            preparedHash: ZERO_HASH,
            signature: o.sig,
          };
          const r = decodeEnvelope(encodeEnvelope({ msg: m, justification: [] }));
          assert.ok(r.ok);
          assert.deepEqual(r.envelope.msg, m);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it("rejects malformed and non-canonical encodings with a reason (never throws)", () => {
    const good = encodeEnvelope(samples[1] as Envelope);
    const reason = (b: unknown): string => {
      const r = decodeEnvelope(b);
      return r.ok ? "ok" : r.reason;
    };
    const patch = (bytes: Uint8Array, at: number, v: number[]): Uint8Array => {
      const b = bytes.slice();
      b.set(v, at);
      return b;
    };
    assert.equal(reason(good), "ok");
    assert.equal(reason("not bytes"), "not-bytes");
    assert.equal(reason(new Uint8Array(0)), "truncated");
    assert.equal(reason(good.subarray(0, good.length - 1)), "truncated");
    assert.equal(reason(new Uint8Array([...good, 0])), "trailing-bytes");
    assert.equal(reason(patch(good, 0, [2])), "bad-version");
    assert.equal(reason(patch(good, 1, [9])), "bad-type");
    assert.equal(reason(patch(good, 2, [0xff])), "bad-slot"); // slot ≥ 2^56
    assert.equal(reason(patch(good, 1 + 11, [64])), "bad-source");
    assert.equal(reason(patch(good, 1 + 12, [0, 0, 0, 0])), "bad-round");
    assert.equal(reason(patch(good, 1 + 16, new Array(32).fill(0))), "non-canonical");
    assert.equal(reason(patch(good, 1 + 48, [0, 0, 0, 1])), "non-canonical"); // prepared round on PREPARE
    assert.equal(reason(patch(good, 1 + PAYLOAD_LENGTH, [97])), "bad-signature-length");
    // PREPARE carrying a value; PRE-PREPARE whose value does not hash to its hash.
    const withValue = encodeEnvelope({ ...(samples[1] as Envelope), value: valueA });
    assert.equal(reason(withValue), "bad-value");
    const pp = samples[0] as Envelope;
    assert.equal(reason(encodeEnvelope({ ...pp, value: valueB })), "value-hash-mismatch");
    assert.equal(reason(encodeEnvelope({ ...pp, value: undefined })), "bad-value");
    // Round-1 proposal with a justification; COMMIT inside a ROUND-CHANGE; DECIDED without commits.
    assert.equal(
      reason(encodeEnvelope({ ...pp, justification: [msg(MsgType.Prepare, 1, 1)] })),
      "bad-justification",
    );
    const rc = samples[4] as Envelope;
    assert.equal(
      reason(encodeEnvelope({ ...rc, justification: [msg(MsgType.Commit, 1, 2)] })),
      "bad-justification",
    );
    assert.equal(
      reason(encodeEnvelope({ ...(samples[6] as Envelope), justification: [] })),
      "bad-justification",
    );
    // ROUND-CHANGE whose prepared round is not below its round.
    const rcBad = encodeEnvelope({
      msg: msg(MsgType.RoundChange, 1, 3, { preparedRound: 3, preparedHash: hA }),
      justification: [msg(MsgType.Prepare, 0, 3)],
    });
    assert.equal(reason(rcBad), "bad-round");
    // Length field claiming more than the maximum value size.
    const huge = patch(good, 1 + PAYLOAD_LENGTH + 1 + 32, [0xff, 0xff, 0xff, 0xff]);
    assert.equal(reason(huge), "bad-value");
    assert.equal(reason(new Uint8Array(MAX_MESSAGE_SIZE + 1)), "too-large");
  });

  it("peekInstance reads the instance from the header only, as decodeEnvelope would", () => {
    for (const env of samples) {
      assert.deepEqual(peekInstance(encodeEnvelope(env)), env.msg.instance);
    }
    const other: InstanceId = { slot: Number.MAX_SAFE_INTEGER, dutyType: 0xffff };
    const m = { ...msg(MsgType.Prepare, 1, 1), instance: other };
    const bytes = encodeEnvelope({ msg: m, justification: [] });
    assert.deepEqual(peekInstance(bytes), other);
    // A sub-array of a larger buffer (as transports deliver) reads at its own offset.
    const framed = new Uint8Array(bytes.length + 7);
    framed.set(bytes, 7);
    assert.deepEqual(peekInstance(framed.subarray(7)), other);
    const bad = (at: number, v: number): Uint8Array => {
      const b = bytes.slice();
      b[at] = v;
      return b;
    };
    assert.equal(peekInstance(bad(0, 2)), undefined, "version");
    assert.equal(peekInstance(bad(1, 0)), undefined, "type 0");
    assert.equal(peekInstance(bad(1, 6)), undefined, "type 6");
    assert.equal(peekInstance(bad(2, 0xff)), undefined, "slot above 2^53");
    assert.equal(peekInstance(bytes.subarray(0, 1 + PAYLOAD_LENGTH)), undefined, "short");
    assert.equal(peekInstance(new Uint8Array(0)), undefined);
    assert.equal(peekInstance("junk"), undefined);
  });

  it("carries values up to MAX_VALUE_SIZE", () => {
    const big = new Uint8Array(MAX_VALUE_SIZE).fill(1);
    const m = msg(MsgType.PrePrepare, leaderOf(1), 1, { valueHash: hashValue(big) });
    const bytes = encodeEnvelope({ msg: m, value: big, justification: [] });
    assert.ok(bytes.length <= MAX_MESSAGE_SIZE);
    const r = decodeEnvelope(bytes);
    assert.ok(r.ok);
    assert.equal(r.envelope.value?.length, MAX_VALUE_SIZE);
  });
});

describe("secp256k1 identity signatures", () => {
  const keys = secp256k1TestKeys(4, 7);
  const bytes = signingBytes(msg(MsgType.Prepare, 1, 1));

  it("signs and verifies by operator index; rejects other keys, tampering, non-members", () => {
    const sig = keys.signers[1]?.sign(bytes) as Uint8Array;
    assert.equal(sig.length, 64);
    assert.equal(keys.verifier.verify(1, bytes, sig), true);
    assert.equal(keys.verifier.verify(2, bytes, sig), false);
    assert.equal(keys.verifier.verify(4, bytes, sig), false);
    assert.equal(keys.verifier.verify(-1, bytes, sig), false);
    const tampered = bytes.slice();
    tampered[20] = (tampered[20] as number) ^ 1;
    assert.equal(keys.verifier.verify(1, tampered, sig), false);
    assert.equal(keys.verifier.verify(1, bytes, sig.subarray(0, 63)), false);
    assert.equal(keys.verifier.verify(1, bytes, new Uint8Array(64)), false);
    assert.equal(keys.verifier.verify(1, bytes, new Uint8Array(64).fill(0xff)), false);
  });

  it("rejects the malleated high-S twin of a valid signature", () => {
    const sig = keys.signers[0]?.sign(bytes) as Uint8Array;
    const s = secp256k1.Signature.fromBytes(sig);
    const N_ORDER = secp256k1.Point.CURVE().n;
    const twin = new secp256k1.Signature(s.r, N_ORDER - s.s).toBytes();
    assert.notDeepEqual(twin, sig);
    assert.equal(keys.verifier.verify(0, bytes, twin), false);
  });

  it("refuses invalid keys with InputError", () => {
    assert.throws(() => secp256k1Signer(new Uint8Array(32)), InputError);
    assert.throws(() => secp256k1Signer(new Uint8Array(31).fill(1)), InputError);
    assert.throws(() => secp256k1Verifier([new Uint8Array(33)]), InputError);
    assert.throws(() => secp256k1Verifier([new Uint8Array(65).fill(4)]), InputError);
  });

  it("no-op baseline accepts members only", () => {
    const { signer, verifier: v } = noopSigning(4);
    assert.equal(signer.sign(bytes).length, 0);
    assert.equal(v.verify(3, bytes, new Uint8Array(0)), true);
    assert.equal(v.verify(4, bytes, new Uint8Array(0)), false);
  });
});

describe("justification predicates", () => {
  const L2 = leaderOf(2);
  const rcs = (round: number, sources: number[], o: Partial<QbftMessage> = {}) =>
    sources.map((s) => msg(MsgType.RoundChange, s, round, o));
  const proposal = (
    round: number,
    just: SignedMessage[],
    valueHash = hA,
    source = leaderOf(round),
  ) =>
    ({
      msg: msg(MsgType.PrePrepare, source, round, { valueHash }),
      value: valueHash === hA ? valueA : valueB,
      justification: just,
    }) as Envelope;
  const why = (r: { ok: boolean; reason?: string }): string => (r.ok ? "ok" : (r.reason ?? ""));

  it("round 1: only the leader, no justification", () => {
    assert.equal(why(isJustifiedProposal(proposal(1, []), ctx())), "ok");
    const other = (leaderOf(1) + 1) % N;
    assert.equal(why(isJustifiedProposal(proposal(1, [], hA, other), ctx())), "not-leader");
  });

  it("J1: a quorum of ROUND-CHANGEs with nothing prepared justifies any value", () => {
    assert.equal(why(isJustifiedProposal(proposal(2, rcs(2, [0, 1, 2])), ctx())), "ok");
    assert.equal(why(isJustifiedProposal(proposal(2, rcs(2, [0, 1, 2]), hB), ctx())), "ok");
    assert.equal(
      why(isJustifiedProposal(proposal(2, rcs(2, [0, 1])), ctx())),
      "round-changes-no-quorum",
    );
    assert.equal(
      why(isJustifiedProposal(proposal(2, rcs(2, [0, 1, 1])), ctx())),
      "round-changes-duplicate-sender",
    );
    assert.equal(
      why(isJustifiedProposal(proposal(2, rcs(2, [0, 1, 2]), hA, (L2 + 1) % N), ctx())),
      "not-leader",
    );
  });

  it("rejects replayed justifications: other round, other slot, other duty type, forged", () => {
    assert.equal(
      why(isJustifiedProposal(proposal(2, [...rcs(2, [0, 1]), ...rcs(3, [2])]), ctx())),
      "round-changes-mismatch",
    );
    const foreign = (inst: InstanceId) =>
      [0, 1, 2].map((s) => {
        const m: QbftMessage = {
          type: MsgType.RoundChange,
          instance: inst,
          source: s,
          round: 2,
          valueHash: ZERO_HASH,
          preparedRound: 0,
          preparedHash: ZERO_HASH,
        };
        return { ...m, signature: signers[s]?.sign(signingBytes(m)) as Uint8Array };
      });
    for (const inst of [
      { slot: instance.slot + 1, dutyType: instance.dutyType },
      { slot: instance.slot, dutyType: instance.dutyType + 1 },
    ]) {
      assert.equal(
        why(isJustifiedProposal(proposal(2, foreign(inst)), ctx())),
        "round-changes-foreign-instance",
      );
    }
    const forged = rcs(2, [0, 1, 2]);
    (forged[2] as SignedMessage).signature = signers[0]?.sign(
      signingBytes(forged[2] as SignedMessage),
    ) as Uint8Array;
    assert.equal(
      why(isJustifiedProposal(proposal(2, forged), ctx())),
      "round-changes-bad-signature",
    );
  });

  it("J2: the highest prepared value must be re-proposed with its PREPARE quorum", () => {
    // RCs: 0 prepared A in round 1, 1 prepared nothing, 2 prepared A in round 1.
    const qrc = [
      msg(MsgType.RoundChange, 0, 3, { preparedRound: 1, preparedHash: hA }),
      msg(MsgType.RoundChange, 1, 3),
      msg(MsgType.RoundChange, 2, 3, { preparedRound: 1, preparedHash: hA }),
    ];
    const qp = [0, 1, 3].map((s) => msg(MsgType.Prepare, s, 1));
    assert.equal(why(isJustifiedProposal(proposal(3, [...qrc, ...qp]), ctx())), "ok");
    assert.equal(
      why(isJustifiedProposal(proposal(3, [...qrc, ...qp], hB), ctx())),
      "not-highest-prepared",
    );
    assert.equal(
      why(isJustifiedProposal(proposal(3, [...qrc, ...qp.slice(0, 2)]), ctx())),
      "prepares-no-quorum",
    );
    assert.equal(why(isJustifiedProposal(proposal(3, qrc), ctx())), "prepares-no-quorum");
    const wrongRound = [0, 1, 3].map((s) => msg(MsgType.Prepare, s, 2));
    assert.equal(
      why(isJustifiedProposal(proposal(3, [...qrc, ...wrongRound]), ctx())),
      "prepares-mismatch",
    );
    const wrongValue = [0, 1, 3].map((s) => msg(MsgType.Prepare, s, 1, { valueHash: hB }));
    assert.equal(
      why(isJustifiedProposal(proposal(3, [...qrc, ...wrongValue]), ctx())),
      "prepares-mismatch",
    );
    // Prepares present although nobody prepared: rejected (strict).
    assert.equal(
      why(isJustifiedProposal(proposal(2, [...rcs(2, [0, 1, 2]), ...qp]), ctx())),
      "unexpected-prepares",
    );
  });

  it("highestPrepared picks the highest round and flags conflicting claims", () => {
    const a = msg(MsgType.RoundChange, 0, 5, { preparedRound: 2, preparedHash: hA });
    const b = msg(MsgType.RoundChange, 1, 5, { preparedRound: 4, preparedHash: hB });
    const c = msg(MsgType.RoundChange, 2, 5, { preparedRound: 4, preparedHash: hA });
    assert.deepEqual(highestPrepared([a, b]), { round: 4, hash: hB, conflict: false });
    assert.equal(highestPrepared([a, b, c]).conflict, true);
    assert.equal(highestPrepared([msg(MsgType.RoundChange, 0, 2)]).round, 0);
  });

  it("justified round change and DECIDED need exact quorums", () => {
    const rc = (just: SignedMessage[]): Envelope => ({
      msg: msg(MsgType.RoundChange, 1, 3, { preparedRound: 2, preparedHash: hA }),
      value: valueA,
      justification: just,
    });
    assert.equal(
      why(isJustifiedRoundChange(rc([0, 1, 2].map((s) => msg(MsgType.Prepare, s, 2))), ctx())),
      "ok",
    );
    assert.equal(
      why(isJustifiedRoundChange(rc([0, 1, 2].map((s) => msg(MsgType.Prepare, s, 1))), ctx())),
      "prepares-mismatch",
    );
    assert.equal(
      why(isJustifiedRoundChange(rc([0, 1].map((s) => msg(MsgType.Prepare, s, 2))), ctx())),
      "prepares-no-quorum",
    );
    assert.equal(
      why(
        isJustifiedRoundChange({ msg: msg(MsgType.RoundChange, 1, 3), justification: [] }, ctx()),
      ),
      "ok",
    );
    const decided = (just: SignedMessage[]): Envelope => ({
      msg: msg(MsgType.Decided, 3, 2),
      value: valueA,
      justification: just,
    });
    assert.equal(
      why(isJustifiedDecided(decided([0, 1, 2].map((s) => msg(MsgType.Commit, s, 2))), ctx())),
      "ok",
    );
    assert.equal(
      why(
        isJustifiedDecided(
          decided([0, 1, 2].map((s) => msg(MsgType.Commit, s, 2, { valueHash: hB }))),
          ctx(),
        ),
      ),
      "commits-mismatch",
    );
    assert.equal(
      why(
        isJustifiedDecided(
          decided([0, 1, 2].map((s) => msg(MsgType.Commit, s, 2))),
          ctx({ ...instance, slot: 1 }),
        ),
      ),
      "foreign-instance",
    );
  });
});
