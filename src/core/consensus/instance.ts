/**
 * One QBFT instance (one (slot, duty type)): the state machine of Moniz, "The Istanbul BFT
 * Consensus Algorithm" (arXiv:2002.03613), Algorithms 1–4, in "upon rule" form as in Charon
 * core/qbft/qbft.go and SSV protocol/v2/qbft/instance/*.go. The paper's rules map to methods:
 *
 *   Alg 1:11  start              leader of round 1 broadcasts PRE-PREPARE, timer t(1)
 *   Alg 2:1   onProposal         justified PRE-PREPARE for r ≥ rᵢ, value valid → rᵢ = r, reset
 *                                timer, broadcast PREPARE (once per round)
 *   Alg 2:4   tryPrepared        quorum PREPARE(rᵢ, v) → (prᵢ, pvᵢ) = (rᵢ, v), broadcast COMMIT
 *   Alg 2:8   tryDecide          quorum COMMIT(r, v), any r in the window → decide v
 *   Alg 3:1   onTimeout          rᵢ += 1, timer t(rᵢ), broadcast ROUND-CHANGE(rᵢ, prᵢ, pvᵢ)
 *   Alg 3:5   tryFPlus1          f+1 ROUND-CHANGEs for rounds > rᵢ (highest per sender) → jump
 *                                to the smallest such round that f+1 senders reached, timer, RC
 *   Alg 3:11  tryPropose         leader of rᵢ with a justified quorum of ROUND-CHANGEs for rᵢ →
 *                                PRE-PREPARE(highest prepared value, else own input) + Qrc (+ Qp)
 *   Charon    DECIDED            a decided node answers a peer's ROUND-CHANGE with the COMMIT
 *                                quorum and value; a node learns a decision from it
 *
 * The decided value is delivered exactly once, with its COMMIT quorum as certificate. A node that
 * saw a COMMIT quorum but not the value bytes (it missed the proposal) keeps round-changing until
 * some message carries bytes hashing to the decided hash (typically a DECIDED reply).
 *
 * Memory is bounded: only messages for rounds in [rᵢ − W, rᵢ + W] are kept (W = maxRoundsAhead),
 * one per (type, round, sender); a second, different one is counted as equivocation and dropped.
 *
 * CPU: a signature is verified only for a message that can still change something (`useless`):
 * a PREPARE for a round below rᵢ or for a round whose PREPARE quorum this node already has, and any
 * PRE-PREPARE / PREPARE / COMMIT once a COMMIT quorum is known, are dropped unverified and never
 * stored (so never counted, never relayed as justification). Every message that counts toward a
 * quorum or is kept as justification material is still verified first. The DECIDED message is
 * signed only when a laggard's ROUND-CHANGE first asks for it, not on every decision.
 */

import { bytesEqual, toHex } from "../../util/hex.js";
import { encodePayload, hashValue } from "./codec.js";
import {
  highestPrepared,
  isJustifiedDecided,
  isJustifiedProposal,
  isJustifiedRoundChange,
  type JustifyContext,
} from "./justify.js";
import {
  type Decided,
  type Envelope,
  type InstanceId,
  MsgType,
  type QbftMessage,
  type SignedMessage,
  ZERO_HASH,
} from "./types.js";

/**
 * Everything an instance needs from its node: parameters and side effects.
 *
 * @example
 * const inst = new QbftInstance({ ...hooks, instance: { slot: 1, dutyType: 2 } });
 */
export type InstanceHooks = {
  n: number;
  f: number;
  quorum: number;
  self: number;
  instance: InstanceId;
  maxRoundsAhead: number;
  leader(round: number): number;
  timeoutMs(round: number): number;
  isValid(value: Uint8Array): boolean | Promise<boolean>;
  sign(m: QbftMessage): SignedMessage;
  verify(m: SignedMessage): boolean;
  /** Send to all peers AND deliver to self (asynchronously, via the node's queue). */
  broadcast(env: Envelope): void;
  send(to: number, env: Envelope): void;
  setTimer(ms: number, cb: () => void): () => void;
  /** Run `fn` later on the node's serial queue (continuations of async validation). */
  schedule(fn: () => void): void;
  decide(d: Decided): void;
  count(label: string): void;
};

type StoredRc = { msg: SignedMessage; justification: SignedMessage[] };

/**
 * State machine of one QBFT instance. Not thread-safe by design: the owning node calls it from a
 * single serial queue. Never throws on message input.
 *
 * @example
 * const inst = new QbftInstance(hooks);
 * inst.start(value);
 * inst.receive(envelope, false);
 */
export class QbftInstance {
  readonly id: InstanceId;
  private readonly h: InstanceHooks;
  private readonly ctx: JustifyContext;

  /** rᵢ (0 until started). */
  round = 0;
  private input: Uint8Array | undefined;
  private inputHash = "";
  private preparedRound = 0;
  private preparedHash: Uint8Array = ZERO_HASH;
  private preparedCert: SignedMessage[] = [];

  private readonly seen = new Map<string, SignedMessage>();
  private readonly prepares = new Map<number, Map<string, Map<number, SignedMessage>>>();
  private readonly commits = new Map<number, Map<string, Map<number, SignedMessage>>>();
  private readonly roundChanges = new Map<number, Map<number, StoredRc>>();
  private readonly rcHighest = new Map<number, number>();
  private readonly values = new Map<string, Uint8Array>();
  private readonly validity = new Map<string, boolean | Promise<boolean>>();
  private readonly accepted = new Map<number, string>();
  private readonly committedIn = new Set<number>();
  private readonly proposedIn = new Set<number>();
  private readonly decidedRepliedTo = new Map<number, number>();
  private readonly decidedFrom = new Set<number>();

  private decision: { round: number; hash: Uint8Array; commits: SignedMessage[] } | undefined;
  /** The delivered value (kept to answer laggards with DECIDED). */
  private decidedValue: Uint8Array | undefined;
  /** The DECIDED reply, signed on first need (most instances never need one). */
  private decidedEnvelope: Envelope | undefined;
  /** True once the decision has been delivered. */
  delivered = false;
  /** True once stopped (by the caller or garbage collection). */
  stopped = false;
  private cancelTimer: (() => void) | undefined;

  constructor(hooks: InstanceHooks) {
    this.h = hooks;
    this.id = hooks.instance;
    this.ctx = {
      n: hooks.n,
      quorum: hooks.quorum,
      instance: hooks.instance,
      leader: hooks.leader,
      verify: hooks.verify,
    };
  }

  /** Number of protocol messages currently held (memory bound checks). */
  get storedMessages(): number {
    return this.seen.size;
  }

  /** Alg 1:11 — begin round 1 with our input value. */
  start(value: Uint8Array): void {
    if (this.round !== 0 || this.stopped) return;
    const hash = hashValue(value);
    this.input = value;
    this.inputHash = toHex(hash);
    this.values.set(this.inputHash, value);
    this.round = 1;
    this.restartTimer();
    if (this.h.leader(1) === this.h.self) {
      this.proposedIn.add(1);
      this.h.broadcast({
        msg: this.signed(MsgType.PrePrepare, 1, hash),
        value,
        justification: [],
      });
    }
  }

  /** Stop: cancel the timer and ignore everything from now on. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /**
   * Handle one decoded envelope. `local` = our own message (already trusted, not re-verified);
   * `authenticated` = the transport authenticated the message's source as its sender.
   */
  receive(env: Envelope, local: boolean, authenticated = false): void {
    if (this.stopped) return;
    const m = env.msg;
    if (this.decision && !this.delivered) this.learnValue(env);
    if (this.delivered) {
      if (m.type === MsgType.RoundChange && m.source !== this.h.self) this.replyDecided(m, local);
      return;
    }
    if (m.type === MsgType.Decided) {
      this.onDecidedMsg(env, local);
      return;
    }
    const w = this.h.maxRoundsAhead;
    if (m.round > this.round + w) {
      this.h.count("drop.round-too-far-ahead");
      return;
    }
    if (m.round + w < this.round) {
      this.h.count("drop.round-too-old");
      return;
    }
    if (m.type === MsgType.PrePrepare && m.source !== this.h.leader(m.round)) {
      this.h.count("drop.proposal-not-from-leader");
      return;
    }
    const key = `${m.type}:${m.round}:${m.source}`;
    const prev = this.seen.get(key);
    if (prev) {
      this.h.count(sameMessage(prev, m) ? "drop.duplicate" : "drop.equivocation");
      return;
    }
    if (!local && this.useless(m)) {
      this.h.count("skip.no-longer-needed");
      return;
    }
    // A PRE-PREPARE is never relayed (justifications carry PREPAREs and ROUND-CHANGEs only), so
    // once the transport authenticated its sender — checked above to be the round's leader — its
    // signature proves nothing more: not verified (saves one verification per duty and replica
    // on the critical path). Every message that can be relayed is still verified.
    const trusted = local || (authenticated && m.type === MsgType.PrePrepare);
    if (!trusted && !this.h.verify(m)) {
      this.h.count("drop.bad-signature");
      return;
    }
    this.seen.set(key, m);
    switch (m.type) {
      case MsgType.PrePrepare:
        this.onProposal(env, local);
        return;
      case MsgType.Prepare:
        this.add(this.prepares, m);
        if (m.round === this.round) this.tryPrepared();
        return;
      case MsgType.Commit:
        this.add(this.commits, m);
        this.tryDecide(m.round, m.valueHash);
        return;
      case MsgType.RoundChange:
        this.onRoundChange(env, local);
        return;
    }
  }

  /**
   * True for a message that can no longer change this instance's state, so it is not worth a
   * signature verification (it is dropped, not stored):
   * - any PRE-PREPARE / PREPARE / COMMIT once a COMMIT quorum is known (the decision is final; its
   *   value, if missing, is learned from any message's bytes before this check);
   * - a PREPARE for a round below rᵢ (only rᵢ's PREPAREs are ever counted: `tryPrepared`), or for a
   *   round whose PREPARE quorum this node already has (its prepared certificate is fixed).
   * ROUND-CHANGEs are always processed (they drive round changes and DECIDED replies).
   */
  private useless(m: SignedMessage): boolean {
    if (m.type === MsgType.RoundChange) return false;
    if (this.decision) return true;
    if (m.type !== MsgType.Prepare) return false;
    return m.round < this.round || this.committedIn.has(m.round);
  }

  // --- Alg 2:1 -------------------------------------------------------------------------------

  private onProposal(env: Envelope, local: boolean): void {
    const m = env.msg;
    const value = env.value;
    if (!value) {
      this.h.count("drop.proposal-without-value");
      return;
    }
    if (m.round < this.round) {
      this.h.count("drop.proposal-stale");
      return;
    }
    if (!local) {
      const j = isJustifiedProposal(env, this.ctx);
      if (!j.ok) {
        this.h.count(`drop.unjustified-proposal.${j.reason}`);
        return;
      }
    }
    this.validate(m.valueHash, value, (valid) => {
      if (!valid) {
        this.h.count("drop.invalid-value");
        return;
      }
      this.acceptProposal(m, value);
    });
  }

  private acceptProposal(m: SignedMessage, value: Uint8Array): void {
    if (this.stopped || this.decision) return;
    if (m.round < this.round) {
      this.h.count("drop.proposal-stale");
      return;
    }
    if (this.accepted.has(m.round)) return;
    if (m.round > this.round) {
      this.round = m.round;
      this.prune();
    }
    const k = toHex(m.valueHash);
    this.accepted.set(m.round, k);
    this.values.set(k, value);
    this.restartTimer();
    this.h.broadcast({
      msg: this.signed(MsgType.Prepare, m.round, m.valueHash),
      justification: [],
    });
    this.evaluate();
  }

  private validate(hash: Uint8Array, value: Uint8Array, cb: (valid: boolean) => void): void {
    const k = toHex(hash);
    let r = this.validity.get(k);
    if (r === undefined) {
      try {
        r = this.h.isValid(value);
      } catch {
        this.h.count("validity-check-threw");
        r = false;
      }
      if (typeof r !== "boolean" && !isThenable(r)) r = false;
      this.validity.set(k, r);
    }
    if (typeof r === "boolean") {
      cb(r);
      return;
    }
    this.h.count("validity-check-async");
    const p = r;
    p.then(
      (ok) => {
        this.validity.set(k, ok === true);
        this.h.schedule(() => cb(ok === true));
      },
      () => {
        this.h.count("validity-check-threw");
        this.validity.set(k, false);
        this.h.schedule(() => cb(false));
      },
    );
  }

  // --- Alg 2:4 -------------------------------------------------------------------------------

  private tryPrepared(): void {
    const r = this.round;
    if (this.decision || this.committedIn.has(r)) return;
    const byHash = this.prepares.get(r);
    if (!byHash) return;
    for (const bySource of byHash.values()) {
      if (bySource.size < this.h.quorum) continue;
      const cert = [...bySource.values()]
        .sort((a, b) => a.source - b.source)
        .slice(0, this.h.quorum);
      const first = cert[0];
      if (!first) return;
      this.preparedRound = r;
      this.preparedHash = first.valueHash;
      this.preparedCert = cert;
      this.committedIn.add(r);
      this.h.broadcast({
        msg: this.signed(MsgType.Commit, r, first.valueHash),
        justification: [],
      });
      return;
    }
  }

  // --- Alg 2:8 -------------------------------------------------------------------------------

  private tryDecide(round: number, hash: Uint8Array): void {
    if (this.decision) return;
    const bySource = this.commits.get(round)?.get(toHex(hash));
    if (!bySource || bySource.size < this.h.quorum) return;
    const commits = [...bySource.values()]
      .sort((a, b) => a.source - b.source)
      .slice(0, this.h.quorum);
    this.decision = { round, hash, commits };
    this.deliverIfValueKnown();
  }

  private onDecidedMsg(env: Envelope, local: boolean): void {
    const m = env.msg;
    if (local || this.decidedFrom.has(m.source)) {
      this.h.count("drop.duplicate");
      return;
    }
    if (!this.h.verify(m)) {
      this.h.count("drop.bad-signature");
      return;
    }
    this.decidedFrom.add(m.source);
    const j = isJustifiedDecided(env, this.ctx);
    if (!j.ok) {
      this.h.count(`drop.unjustified-decided.${j.reason}`);
      return;
    }
    if (this.decision && !bytesEqual(this.decision.hash, m.valueHash)) {
      this.h.count("alarm.conflicting-decision");
      return;
    }
    if (env.value) this.values.set(toHex(m.valueHash), env.value);
    if (!this.decision) {
      const commits = [...env.justification].sort((a, b) => a.source - b.source);
      this.decision = { round: m.round, hash: m.valueHash, commits };
    }
    this.h.count("decided-via-decided-message");
    this.deliverIfValueKnown();
  }

  private learnValue(env: Envelope): void {
    const d = this.decision;
    if (!d || !env.value) return;
    const bound = env.msg.type === MsgType.RoundChange ? env.msg.preparedHash : env.msg.valueHash;
    // decodeEnvelope checked sha256(value) == bound hash, so matching hashes mean matching bytes.
    if (bytesEqual(bound, d.hash)) {
      this.values.set(toHex(d.hash), env.value);
      this.deliverIfValueKnown();
    }
  }

  private deliverIfValueKnown(): void {
    const d = this.decision;
    if (!d || this.delivered) return;
    const value = this.values.get(toHex(d.hash));
    if (!value) {
      this.h.count("decided-awaiting-value");
      return;
    }
    this.delivered = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    // Free per-round state; keep what is needed to answer laggards.
    this.seen.clear();
    this.prepares.clear();
    this.commits.clear();
    this.roundChanges.clear();
    this.validity.clear();
    this.decidedValue = value;
    this.values.clear();
    this.h.decide({
      instance: this.id,
      value,
      hash: d.hash,
      round: d.round,
      commits: d.commits,
    });
  }

  private replyDecided(m: SignedMessage, local: boolean): void {
    const last = this.decidedRepliedTo.get(m.source) ?? 0;
    const d = this.decision;
    if (m.round <= last || !d || !this.decidedValue) return;
    if (!local && !this.h.verify(m)) {
      this.h.count("drop.bad-signature");
      return;
    }
    this.decidedRepliedTo.set(m.source, m.round);
    this.decidedEnvelope ??= {
      msg: this.signed(MsgType.Decided, d.round, d.hash),
      value: this.decidedValue,
      justification: d.commits,
    };
    this.h.count("sent-decided");
    this.h.send(m.source, this.decidedEnvelope);
  }

  // --- Alg 3 -------------------------------------------------------------------------------

  /** Alg 3:1 — round timer expiry. */
  private onTimeout(round: number): void {
    if (this.stopped || this.delivered || round !== this.round) return;
    this.h.count("round-timeout");
    this.enterRound(round + 1);
    this.evaluate();
  }

  private enterRound(r: number): void {
    this.round = r;
    this.prune();
    this.restartTimer();
    const pr = this.preparedRound;
    this.h.broadcast({
      msg: this.signed(MsgType.RoundChange, r, ZERO_HASH, pr, this.preparedHash),
      value: pr > 0 ? this.values.get(toHex(this.preparedHash)) : undefined,
      justification: pr > 0 ? this.preparedCert : [],
    });
  }

  private onRoundChange(env: Envelope, local: boolean): void {
    const m = env.msg;
    if (!local) {
      const j = isJustifiedRoundChange(env, this.ctx);
      if (!j.ok) {
        this.h.count(`drop.unjustified-round-change.${j.reason}`);
        return;
      }
    }
    let byRound = this.roundChanges.get(m.round);
    if (!byRound) {
      byRound = new Map();
      this.roundChanges.set(m.round, byRound);
    }
    byRound.set(m.source, { msg: m, justification: env.justification });
    if (m.round > (this.rcHighest.get(m.source) ?? 0)) this.rcHighest.set(m.source, m.round);
    if (env.value && m.preparedRound > 0) this.values.set(toHex(m.preparedHash), env.value);
    this.evaluate();
  }

  /** Alg 3:5 — f+1 ROUND-CHANGEs for higher rounds: join the f+1-th highest of them. */
  private tryFPlus1(): boolean {
    if (this.decision) return false;
    const higher: number[] = [];
    for (const r of this.rcHighest.values()) if (r > this.round) higher.push(r);
    if (higher.length < this.h.f + 1) return false;
    higher.sort((a, b) => b - a);
    const target = higher[this.h.f] as number; // f+1 senders are at ≥ target > rᵢ
    this.h.count("round-change-fplus1");
    this.enterRound(target);
    return true;
  }

  /** Alg 3:11 — leader of rᵢ > 1 with a justified quorum of ROUND-CHANGEs proposes. */
  private tryPropose(): void {
    const r = this.round;
    if (r <= 1 || this.decision || this.proposedIn.has(r) || this.h.leader(r) !== this.h.self) {
      return;
    }
    const byRound = this.roundChanges.get(r);
    if (!byRound || byRound.size < this.h.quorum || !this.input) return;
    const all = [...byRound.values()].sort((a, b) => a.msg.source - b.msg.source);
    const hp = highestPrepared(all.map((s) => s.msg));
    if (hp.conflict) {
      this.h.count("alarm.conflicting-prepared");
      return;
    }
    let value: Uint8Array;
    let justification: SignedMessage[];
    if (hp.round === 0 || !hp.hash) {
      value = this.input;
      justification = all.slice(0, this.h.quorum).map((s) => s.msg);
    } else {
      const pv = hp.hash;
      const top = all.find((s) => s.msg.preparedRound === hp.round) as StoredRc;
      const known = this.values.get(toHex(pv));
      if (!known) {
        this.h.count("leader-missing-prepared-value");
        return;
      }
      value = known;
      const others = all.filter((s) => s !== top).slice(0, this.h.quorum - 1);
      justification = [top.msg, ...others.map((s) => s.msg), ...top.justification];
    }
    this.proposedIn.add(r);
    this.h.broadcast({
      msg: this.signed(MsgType.PrePrepare, r, hashValue(value)),
      value,
      justification,
    });
  }

  /** Re-check the rules that depend on the current round after any state change. */
  private evaluate(): void {
    if (this.stopped || this.decision) return;
    // Each f+1 jump strictly increases rᵢ, so this terminates.
    while (this.tryFPlus1()) {}
    this.tryPrepared();
    this.tryPropose();
  }

  // --- helpers -------------------------------------------------------------------------------

  private restartTimer(): void {
    this.cancelTimer?.();
    const round = this.round;
    this.cancelTimer = this.h.setTimer(this.h.timeoutMs(round), () => this.onTimeout(round));
  }

  private signed(
    type: MsgType,
    round: number,
    valueHash: Uint8Array,
    preparedRound = 0,
    preparedHash: Uint8Array = ZERO_HASH,
  ): SignedMessage {
    return this.h.sign({
      type,
      instance: this.id,
      source: this.h.self,
      round,
      valueHash,
      preparedRound,
      preparedHash,
    });
  }

  private add(store: Map<number, Map<string, Map<number, SignedMessage>>>, m: SignedMessage): void {
    let byHash = store.get(m.round);
    if (!byHash) {
      byHash = new Map();
      store.set(m.round, byHash);
    }
    const k = toHex(m.valueHash);
    let bySource = byHash.get(k);
    if (!bySource) {
      bySource = new Map();
      byHash.set(k, bySource);
    }
    bySource.set(m.source, m);
  }

  /** Forget everything for rounds below rᵢ − W. */
  private prune(): void {
    const min = this.round - this.h.maxRoundsAhead;
    for (const [k, m] of this.seen) if (m.round < min) this.seen.delete(k);
    for (const store of [this.prepares, this.commits, this.roundChanges] as Map<
      number,
      unknown
    >[]) {
      for (const r of store.keys()) if (r < min) store.delete(r);
    }
    for (const r of this.accepted.keys()) if (r < min) this.accepted.delete(r);
    for (const s of [this.committedIn, this.proposedIn])
      for (const r of s) if (r < min) s.delete(r);
    // Values: keep the input, the prepared value and those of accepted proposals / stored RCs.
    const keep = new Set<string>([
      this.inputHash,
      toHex(this.preparedHash),
      ...this.accepted.values(),
    ]);
    for (const byRound of this.roundChanges.values()) {
      for (const s of byRound.values()) keep.add(toHex(s.msg.preparedHash));
    }
    for (const k of this.values.keys()) if (!keep.has(k)) this.values.delete(k);
    for (const k of this.validity.keys()) if (!keep.has(k)) this.validity.delete(k);
  }
}

function isThenable(x: unknown): x is Promise<boolean> {
  return typeof (x as { then?: unknown } | null)?.then === "function";
}

function sameMessage(a: SignedMessage, b: SignedMessage): boolean {
  return bytesEqual(encodePayload(a), encodePayload(b)) && bytesEqual(a.signature, b.signature);
}
