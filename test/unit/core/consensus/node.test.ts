/**
 * One QBFT node driven by hand (fake transport, simulated clock): the upon-rules of Moniz's
 * Algorithms 1–3, dedupe/equivocation, sender checks, round and instance windows, the validity
 * predicate (sync, async, throwing), DECIDED, F+1 round-change, timers, API contracts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeEnvelope,
  encodeEnvelope,
  hashValue,
  signingBytes,
} from "../../../../src/core/consensus/codec.js";
import {
  createQbftNode,
  type QbftNode,
  verifyDecided,
} from "../../../../src/core/consensus/node.js";
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
import type { Clock, Transport } from "../../../../src/core/transport.js";
import { BaseError, InputError } from "../../../../src/errors.js";
import { Scheduler } from "../../../simnet/scheduler.js";
import { macTestSigning } from "../../../simnet/signing.js";

const N = 4;
const SELF = 0;
const { signers, verifier } = macTestSigning(N, 5);
const I: InstanceId = { slot: 100, dutyType: 2 }; // leader(1) = (100 + 2 + 1) % 4 = 3
const L1 = defaultLeader(I, 1, N);
const vA = new Uint8Array([1, 65]);
const vB = new Uint8Array([1, 66]);
const hA = hashValue(vA);

function sm(
  type: MsgType,
  source: number,
  round: number,
  o: Partial<QbftMessage> = {},
): SignedMessage {
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
  return { ...m, signature: signers[source]?.sign(signingBytes(m)) as Uint8Array };
}

type Sent = { to: number | "all"; env: Envelope };

function setup(
  o: {
    isValid?: (v: Uint8Array) => boolean | Promise<boolean>;
    self?: number;
    maxSlotsAhead?: number;
    peerConnected?: (operator: number) => boolean;
    requireSourceMatch?: boolean;
  } = {},
) {
  const sched = new Scheduler();
  const sent: Sent[] = [];
  const self = o.self ?? SELF;
  const decode = (b: Uint8Array): Envelope => {
    const r = decodeEnvelope(b);
    assert.ok(r.ok, "node emits decodable messages");
    return r.envelope;
  };
  const transport: Transport = {
    self,
    n: N,
    send: (to, b) => sent.push({ to, env: decode(b) }),
    broadcast: (b) => sent.push({ to: "all", env: decode(b) }),
    onMessage: () => () => {},
  };
  const clock: Clock = {
    now: () => sched.now,
    setTimeout(cb, ms) {
      const ev = sched.after(ms, cb);
      return () => sched.cancel(ev);
    },
  };
  const decisions: Decided[] = [];
  const node: QbftNode = createQbftNode({
    n: N,
    self,
    transport,
    clock,
    signer: signers[self] as (typeof signers)[number],
    verifier,
    isValid: o.isValid ?? ((v) => v[0] === 1),
    maxSlotsAhead: o.maxSlotsAhead,
    peerConnected: o.peerConnected,
    requireSourceMatch: o.requireSourceMatch,
  });
  node.onDecided((d) => decisions.push(d));
  const feed = (env: Envelope, from = env.msg.source): void =>
    node.receive(from, encodeEnvelope(env));
  const plain = (m: SignedMessage): Envelope => ({ msg: m, justification: [] });
  const proposal = (round = 1, value = vA, just: SignedMessage[] = []): Envelope => ({
    msg: sm(MsgType.PrePrepare, defaultLeader(I, round, N), round, { valueHash: hashValue(value) }),
    value,
    justification: just,
  });
  const sentOf = (type: MsgType) => sent.filter((s) => s.env.msg.type === type);
  const c = (label: string): number => node.stats().counters[label] ?? 0;
  return { node, sched, sent, sentOf, decisions, feed, plain, proposal, c };
}

describe("QBFT node: normal case (Alg. 2)", () => {
  it("prepares a valid proposal, commits on a PREPARE quorum, decides once on a COMMIT quorum", async () => {
    const t = setup();
    t.node.start(I, vB);
    assert.equal(t.sent.length, 0, "not the round-1 leader: nothing sent at start");
    t.feed(t.proposal());
    assert.equal(t.sentOf(MsgType.Prepare).length, 1);
    assert.deepEqual(t.sentOf(MsgType.Prepare)[0]?.env.msg.valueHash, hA);
    t.feed(t.plain(sm(MsgType.Prepare, 1, 1)));
    assert.equal(t.sentOf(MsgType.Commit).length, 0, "own + 1 prepare < quorum 3");
    t.feed(t.plain(sm(MsgType.Prepare, 2, 1)));
    assert.equal(t.sentOf(MsgType.Commit).length, 1);
    t.feed(t.plain(sm(MsgType.Commit, 1, 1)));
    assert.equal(t.decisions.length, 0);
    t.feed(t.plain(sm(MsgType.Commit, 3, 1)));
    assert.equal(t.decisions.length, 1);
    t.feed(t.plain(sm(MsgType.Commit, 2, 1)));
    assert.equal(t.decisions.length, 1, "delivered exactly once");
    const d = t.decisions[0] as Decided;
    assert.deepEqual(d.value, vA);
    assert.equal(d.round, 1);
    assert.equal(d.commits.length, 3);
    assert.ok(verifyDecided(d, verifier));
    assert.deepEqual(t.node.decided(I), d);
    assert.ok(!verifyDecided({ ...d, value: vB }, verifier), "value must match the hash");
    assert.ok(!verifyDecided({ ...d, commits: d.commits.slice(0, 2) }, verifier), "needs quorum");
    assert.ok(
      !verifyDecided(
        { ...d, commits: [d.commits[0], d.commits[0], d.commits[1]] as SignedMessage[] },
        verifier,
      ),
      "distinct senders",
    );
    assert.ok(!verifyDecided({ ...d, round: 2 }, verifier), "round must match");
  });

  it("the round-1 leader proposes its input at start", () => {
    const t = setup({ self: L1 });
    t.node.start(I, vA);
    const pp = t.sentOf(MsgType.PrePrepare);
    assert.equal(pp.length, 1);
    assert.deepEqual(pp[0]?.env.value, vA);
    assert.equal(t.sentOf(MsgType.Prepare).length, 1, "the leader prepares its own proposal");
  });

  it("propose() resolves with the decision; stop() rejects a pending propose()", async () => {
    const t = setup();
    const p = t.node.propose(I, vB);
    t.feed(t.proposal());
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Prepare, s, 1)));
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Commit, s, 1)));
    assert.deepEqual((await p).value, vA);
    assert.deepEqual((await t.node.propose(I, vB)).value, vA, "already decided: resolves at once");
    const other: InstanceId = { slot: 101, dutyType: 2 };
    const q = t.node.propose(other, vB);
    t.node.stop(other);
    await assert.rejects(q, BaseError);
  });
});

describe("QBFT node: message hygiene", () => {
  it("drops duplicates, counts equivocation, and a forgery does not block the genuine message", () => {
    const t = setup();
    t.node.start(I, vB);
    const forged = { ...sm(MsgType.Prepare, 1, 1), signature: new Uint8Array(32) };
    t.feed(t.plain(forged));
    assert.equal(t.c("drop.bad-signature"), 1);
    t.feed(t.plain(sm(MsgType.Prepare, 1, 1)));
    t.feed(t.plain(sm(MsgType.Prepare, 1, 1)));
    assert.equal(t.c("drop.duplicate"), 1);
    t.feed(t.plain(sm(MsgType.Prepare, 1, 1, { valueHash: hashValue(vB) })));
    assert.equal(t.c("drop.equivocation"), 1);
    t.feed(t.plain(sm(MsgType.Prepare, 2, 1)));
    t.feed(t.plain(sm(MsgType.Prepare, 3, 1)));
    assert.equal(t.sentOf(MsgType.Commit).length, 1, "the genuine PREPARE of 1 counted");
  });

  it("drops wrong senders, non-members, proposals from non-leaders, far rounds and far slots", () => {
    const t = setup();
    t.node.start(I, vB);
    t.feed(t.plain(sm(MsgType.Prepare, 1, 1)), 2);
    assert.equal(t.c("drop.source-mismatch"), 1);
    const notLeader = { ...t.proposal(), msg: sm(MsgType.PrePrepare, (L1 + 1) % N, 1) };
    t.feed(notLeader);
    assert.equal(t.c("drop.proposal-not-from-leader"), 1);
    t.feed(t.plain(sm(MsgType.Prepare, 1, 12)));
    assert.equal(t.c("drop.round-too-far-ahead"), 1);
    t.feed(t.plain(sm(MsgType.Prepare, 1, 11)));
    assert.equal(t.node.stats().storedMessages, 1, "round 11 = current + 10 is kept");
    const far = { ...sm(MsgType.Prepare, 1, 1), instance: { slot: 103, dutyType: 2 } };
    const farSigned = { ...far, signature: signers[1]?.sign(signingBytes(far)) as Uint8Array };
    t.feed(t.plain(farSigned));
    assert.equal(t.c("drop.instance-too-far-ahead"), 1);
    const old = { ...sm(MsgType.Prepare, 1, 1), instance: { slot: 67, dutyType: 2 } };
    t.feed(t.plain({ ...old, signature: signers[1]?.sign(signingBytes(old)) as Uint8Array }));
    assert.equal(t.c("drop.instance-too-old"), 1);
    const bytes = encodeEnvelope(t.plain(sm(MsgType.Prepare, 1, 1)));
    bytes[1 + 11] = 9; // source 9 of a 4-node cluster (wire allows < 64)
    t.node.receive(9, bytes);
    assert.equal(t.c("drop.not-member"), 1);
    t.node.receive(1, new Uint8Array([1, 2, 3]));
    t.node.receive(1, "junk" as unknown as Uint8Array);
    assert.equal(t.c("decode.truncated") + t.c("decode.not-bytes"), 2);
  });

  it("buffers messages for a not-yet-started instance and replays them on start", () => {
    const t = setup();
    t.node.start(I, vB);
    const J: InstanceId = { slot: 102, dutyType: 2 }; // leader(1) = 1, not self
    const leaderJ = defaultLeader(J, 1, N);
    const mk = (type: MsgType, source: number): SignedMessage => {
      const m: QbftMessage = {
        type,
        instance: J,
        source,
        round: 1,
        valueHash: hA,
        preparedRound: 0,
        preparedHash: ZERO_HASH,
      };
      return { ...m, signature: signers[source]?.sign(signingBytes(m)) as Uint8Array };
    };
    t.feed({ msg: mk(MsgType.PrePrepare, leaderJ), value: vA, justification: [] });
    for (const s of [1, 2, 3]) t.feed(t.plain(mk(MsgType.Commit, s)));
    assert.equal(t.node.stats().pendingMessages, 4);
    assert.equal(t.decisions.length, 0);
    t.node.start(J, vB);
    assert.equal(t.node.stats().pendingMessages, 0);
    assert.equal(t.decisions.length, 1);
    assert.equal(t.decisions[0]?.instance.slot, 102);
  });
});

describe("QBFT node: validity predicate", () => {
  it("does not PREPARE an invalid value", () => {
    const t = setup();
    t.node.start(I, vB);
    const bad = new Uint8Array([0, 1]);
    t.feed(t.proposal(1, bad));
    assert.equal(t.sentOf(MsgType.Prepare).length, 0);
    assert.equal(t.c("drop.invalid-value"), 1);
  });

  it("treats a throwing or rejecting predicate as invalid, without throwing", async () => {
    const t = setup({
      isValid: () => {
        throw new Error("boom");
      },
    });
    t.node.start(I, vB);
    t.feed(t.proposal());
    assert.equal(t.sentOf(MsgType.Prepare).length, 0);
    assert.equal(t.c("validity-check-threw"), 1);
    const u = setup({ isValid: () => Promise.reject(new Error("no")) });
    u.node.start(I, vB);
    u.feed(u.proposal());
    await new Promise((r) => setImmediate(r));
    assert.equal(u.sentOf(MsgType.Prepare).length, 0);
    assert.equal(u.c("validity-check-threw"), 1);
  });

  it("waits for an async predicate before preparing", async () => {
    let release: (ok: boolean) => void = () => {};
    const t = setup({ isValid: () => new Promise<boolean>((r) => (release = r)) });
    t.node.start(I, vB);
    t.feed(t.proposal());
    assert.equal(t.sentOf(MsgType.Prepare).length, 0, "still validating");
    release(true);
    await new Promise((r) => setImmediate(r));
    assert.equal(t.sentOf(MsgType.Prepare).length, 1);
  });
});

describe("QBFT node: round changes (Alg. 3) and DECIDED", () => {
  it("times out (750 ms, then 1000 ms) and broadcasts ROUND-CHANGEs", async () => {
    const t = setup();
    t.node.start(I, vB);
    await t.sched.run(749);
    assert.equal(t.sentOf(MsgType.RoundChange).length, 0);
    await t.sched.run(750);
    assert.equal(t.node.round(I), 2);
    assert.equal(t.sentOf(MsgType.RoundChange)[0]?.env.msg.round, 2);
    await t.sched.run(1749);
    assert.equal(t.node.round(I), 2);
    await t.sched.run(1750);
    assert.equal(t.node.round(I), 3);
  });

  it("a round whose leader is not connected times out after 50 ms, others after t(r)", async () => {
    const L2 = defaultLeader(I, 2, N);
    const self = 1;
    assert.ok(L1 !== self && L2 !== self && L2 !== L1, "test instance: two other leaders");
    const t = setup({ self, peerConnected: (i) => i !== L1 });
    t.node.start(I, vB);
    await t.sched.run(49);
    assert.equal(t.sentOf(MsgType.RoundChange).length, 0);
    await t.sched.run(50);
    assert.equal(t.node.round(I), 2, "round 1's leader is offline: no point waiting 750 ms");
    assert.equal(t.sentOf(MsgType.RoundChange)[0]?.env.msg.round, 2);
    assert.equal(t.c("timer.leader-unreachable"), 1);
    // Round 2's leader is connected: round 2 runs to the common instant every operator's round 2
    // ends at (adaptive timer: 750 + 1000 ms from the start), so the operators that did wait
    // for round 1's leader stay in step with this one.
    await t.sched.run(1749);
    assert.equal(t.node.round(I), 2);
    await t.sched.run(1750);
    assert.equal(t.node.round(I), 3);
    // Connected leader: the normal timer (the test above), nothing shortened.
    const u = setup({ self, peerConnected: () => true });
    u.node.start(I, vB);
    await u.sched.run(749);
    assert.equal(u.node.round(I), 1);
    assert.equal(u.c("timer.leader-unreachable"), 0);
  });

  it("a ROUND-CHANGE carries the prepared round, value and PREPARE quorum", async () => {
    const t = setup();
    t.node.start(I, vB);
    t.feed(t.proposal());
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Prepare, s, 1)));
    await t.sched.run(750);
    const rc = t.sentOf(MsgType.RoundChange)[0]?.env as Envelope;
    assert.equal(rc.msg.preparedRound, 1);
    assert.deepEqual(rc.msg.preparedHash, hA);
    assert.deepEqual(rc.value, vA);
    assert.equal(rc.justification.length, 3);
  });

  it("joins higher rounds on F+1 ROUND-CHANGEs, not on F", () => {
    const t = setup();
    t.node.start(I, vB);
    t.feed(t.plain(sm(MsgType.RoundChange, 1, 5)));
    assert.equal(t.node.round(I), 1, "f = 1 round change is not enough");
    t.feed(t.plain(sm(MsgType.RoundChange, 2, 3)));
    assert.equal(t.node.round(I), 3, "jumps to the smallest round f+1 senders reached");
    assert.equal(t.sentOf(MsgType.RoundChange).at(-1)?.env.msg.round, 3);
  });

  it("as leader of round r, proposes after a quorum of ROUND-CHANGEs (J1: own value)", () => {
    const r = 2;
    const self = defaultLeader(I, r, N);
    const t = setup({ self });
    t.node.start(I, vB);
    const others = [0, 1, 2, 3].filter((s) => s !== self);
    for (const s of others.slice(0, 2)) t.feed(t.plain(sm(MsgType.RoundChange, s, r)));
    // f+1 = 2 round changes moved it to round 2 and it sent its own: quorum reached.
    const pp = t.sentOf(MsgType.PrePrepare).at(-1)?.env as Envelope;
    assert.equal(pp.msg.round, r);
    assert.deepEqual(pp.value, vB);
    assert.equal(pp.justification.filter((j) => j.type === MsgType.RoundChange).length, 3);
  });

  it("learns a decision from a DECIDED (quorum of COMMITs) and answers ROUND-CHANGEs with it", () => {
    const t = setup();
    t.node.start(I, vB);
    const decided = (commits: number[]): Envelope => ({
      msg: sm(MsgType.Decided, 1, 4),
      value: vA,
      justification: commits.map((s) => sm(MsgType.Commit, s, 4)),
    });
    t.feed(decided([1, 2]));
    assert.equal(t.decisions.length, 0, "2 commits are not a quorum");
    t.feed({ ...decided([1, 2, 3]), msg: sm(MsgType.Decided, 2, 4) });
    assert.equal(t.decisions.length, 1);
    assert.equal(t.decisions[0]?.round, 4);
    t.feed(t.plain(sm(MsgType.RoundChange, 3, 2)));
    t.feed(t.plain(sm(MsgType.RoundChange, 3, 2)));
    const replies = t.sent.filter((s) => s.to === 3 && s.env.msg.type === MsgType.Decided);
    assert.equal(replies.length, 1, "one reply per (peer, round)");
    assert.equal(replies[0]?.env.justification.length, 3);
  });
});

describe("QBFT node: decision without the value", () => {
  it("a COMMIT quorum for a value it never saw waits for the bytes, then delivers", async () => {
    const t = setup();
    t.node.start(I, vB);
    for (const s of [1, 2, 3]) t.feed(t.plain(sm(MsgType.Commit, s, 1)));
    assert.equal(t.decisions.length, 0);
    assert.equal(t.c("decided-awaiting-value"), 1);
    await t.sched.run(750);
    assert.equal(t.sentOf(MsgType.RoundChange).length, 1, "keeps round-changing to get the value");
    assert.equal(t.sentOf(MsgType.Prepare).length, 0, "but no longer votes");
    t.feed(t.proposal());
    assert.equal(t.decisions.length, 1);
    assert.deepEqual(t.decisions[0]?.value, vA);
  });
});

describe("QBFT node: CPU per duty (verify and sign only what can matter)", () => {
  it("a follower verifies 2 + 2 signatures and signs 2 messages in the normal case", () => {
    const t = setup();
    t.node.start(I, vB);
    t.feed(t.proposal());
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Prepare, s, 1)));
    assert.equal(t.sentOf(MsgType.Commit).length, 1);
    const stored = t.node.stats().storedMessages;
    t.feed(t.plain(sm(MsgType.Prepare, 3, 1)));
    assert.equal(t.c("skip.no-longer-needed"), 1, "PREPARE after the quorum: not verified");
    assert.equal(t.node.stats().storedMessages, stored, "…and not stored");
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Commit, s, 1)));
    assert.equal(t.decisions.length, 1);
    t.feed(t.plain(sm(MsgType.Commit, 3, 1)));
    assert.equal(t.c("verify"), 4, "2 PREPAREs + 2 COMMITs (the leader's proposal: authenticated)");
    assert.equal(t.c("sign"), 2, "PREPARE + COMMIT; no DECIDED until a laggard asks");
    assert.equal(t.sentOf(MsgType.Decided).length, 0);
  });

  it("verifies a proposal's signature unless the transport authenticated the leader", () => {
    const forged = (t: ReturnType<typeof setup>): Envelope => {
      const p = t.proposal();
      return { ...p, msg: { ...p.msg, signature: new Uint8Array(64).fill(1) } };
    };
    // Authenticated leader (source = transport peer, the default): the proposal counts unverified.
    const a = setup();
    a.node.start(I, vB);
    a.feed(forged(a));
    assert.equal(a.c("verify"), 0);
    assert.equal(a.sentOf(MsgType.Prepare).length, 1);
    // No source check: a proposal's claimed sender is only proven by its signature.
    const b = setup({ requireSourceMatch: false });
    b.node.start(I, vB);
    b.feed(forged(b), 3);
    assert.equal(b.c("verify"), 1);
    assert.equal(b.c("drop.bad-signature"), 1);
    assert.equal(b.sentOf(MsgType.Prepare).length, 0);
    b.feed(b.proposal(), 3);
    assert.equal(b.sentOf(MsgType.Prepare).length, 1);
  });

  it("signs DECIDED once, when a ROUND-CHANGE first asks, and the reply verifies", () => {
    const t = setup();
    t.node.start(I, vB);
    t.feed(t.proposal());
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Prepare, s, 1)));
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Commit, s, 1)));
    assert.equal(t.c("sign"), 2);
    t.feed(t.plain(sm(MsgType.RoundChange, 3, 2)));
    t.feed(t.plain(sm(MsgType.RoundChange, 1, 2)));
    const replies = t.sentOf(MsgType.Decided);
    assert.deepEqual(
      replies.map((r) => r.to),
      [3, 1],
    );
    assert.equal(t.c("sign"), 3, "one DECIDED signature serves every laggard");
    const env = replies[0]?.env as Envelope;
    assert.ok(verifier.verify(SELF, signingBytes(env.msg), env.msg.signature));
    const d = t.decisions[0] as Decided;
    assert.ok(
      verifyDecided({ ...d, value: env.value as Uint8Array, commits: env.justification }, verifier),
    );
    // A laggard learns the decision from that reply.
    const lag = setup({ self: 3 });
    lag.node.start(I, vB);
    lag.feed(env, SELF);
    assert.deepEqual(lag.decisions[0]?.value, vA);
  });

  it("never counts an unverified message: forged PREPAREs / COMMITs that could matter are checked", () => {
    const t = setup();
    t.node.start(I, vB);
    t.feed(t.proposal());
    const forge = (m: SignedMessage): SignedMessage => ({ ...m, signature: new Uint8Array(32) });
    for (const s of [1, 2, 3]) t.feed(t.plain(forge(sm(MsgType.Prepare, s, 1))));
    assert.equal(t.sentOf(MsgType.Commit).length, 0, "forged PREPAREs make no quorum");
    for (const s of [1, 2, 3]) t.feed(t.plain(forge(sm(MsgType.Commit, s, 1))));
    assert.equal(t.decisions.length, 0, "forged COMMITs make no quorum");
    assert.equal(t.c("drop.bad-signature"), 6);
    assert.equal(t.c("skip.no-longer-needed"), 0);
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Prepare, s, 1)));
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.Commit, s, 1)));
    assert.equal(t.decisions.length, 1, "the genuine messages still count");
  });

  it("drops PREPAREs of rounds below the current one unverified; keeps future rounds", () => {
    const t = setup();
    t.node.start(I, vB);
    for (const s of [1, 2]) t.feed(t.plain(sm(MsgType.RoundChange, s, 2)));
    assert.equal(t.node.round(I), 2);
    const verified = t.c("verify");
    t.feed(t.plain(sm(MsgType.Prepare, 3, 1)));
    assert.equal(t.c("skip.no-longer-needed"), 1);
    assert.equal(t.c("verify"), verified);
    t.feed(t.plain(sm(MsgType.Prepare, 3, 3)));
    assert.equal(t.c("verify"), verified + 1, "a PREPARE for a later round may still count");
    assert.equal(t.c("skip.no-longer-needed"), 1);
  });
});

describe("QBFT node: configuration", () => {
  it("rejects bad configuration and inputs with InputError", () => {
    const base = setup();
    const transport = { self: 0, n: N, send() {}, broadcast() {}, onMessage: () => () => {} };
    const clock = { now: () => 0, setTimeout: () => () => {} };
    const cfg = {
      n: N,
      self: 0,
      transport,
      clock,
      signer: signers[0] as (typeof signers)[number],
      verifier,
      isValid: () => true,
    };
    assert.throws(() => createQbftNode({ ...cfg, n: 0 }), InputError);
    assert.throws(() => createQbftNode({ ...cfg, self: 4 }), InputError);
    assert.throws(() => createQbftNode({ ...cfg, n: 7 }), InputError, "verifier size mismatch");
    assert.throws(() => base.node.start(I, new Uint8Array(0)), InputError);
    assert.throws(() => base.node.start({ slot: -1, dutyType: 0 }, vA), InputError);
    assert.throws(() => base.node.start({ slot: 1, dutyType: 70000 }, vA), InputError);
    base.node.start({ slot: 500, dutyType: 1 }, vA);
    assert.throws(() => base.node.start({ slot: 400, dutyType: 1 }, vA), InputError, "too old");
    assert.equal(base.node.stats().instances, 1, "slot 500 collected nothing but itself");
  });
});
