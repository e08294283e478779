/**
 * The QBFT consensus component of a DV node: runs many {@link QbftInstance}s (one per slot and
 * duty type) over one {@link Transport}, with one {@link Clock}, signer and verifier.
 *
 * Responsibilities around the per-instance state machine (instance.ts):
 * - wire decoding (codec.ts): any decode failure → drop + `decode.<reason>` counter, never throw;
 * - sender checks: the claimed source must be a cluster member and (by default) equal the
 *   transport-authenticated peer — messages are never relayed, only justifications are, so a
 *   forged source is dropped before paying for a signature verification;
 * - signature verification with a bounded cache (the same PREPARE arrives directly and again
 *   inside ROUND-CHANGE / PRE-PREPARE justifications);
 * - instance window: messages for slots more than `maxSlotsAhead` past the highest started slot or
 *   `maxSlotsBehind` before it are dropped; messages for not-yet-started instances inside the
 *   window are buffered (bounded per sender) and replayed on start; old instances are garbage
 *   collected;
 * - a serial queue: every handler (network input, own messages, timers, async validation
 *   continuations) runs to completion one at a time, so instance code is never re-entered.
 *
 * Own messages are delivered locally through the same queue (the transport's broadcast excludes
 * self), as Charon's transport loops its own broadcast back (core/consensus/qbft/transport.go).
 */
import { BaseError, InputError } from "../../errors.js";
import type { Clock, Transport } from "../transport.js";
import {
  decodeEnvelope,
  encodeEnvelope,
  hashValue,
  MAX_OPERATORS,
  MAX_VALUE_SIZE,
  signedKey,
  signingBytes,
} from "./codec.js";
import { QbftInstance } from "./instance.js";
import { defaultLeader, faultyFor, type LeaderFn, quorumFor } from "./params.js";
import type { Signer, Verifier } from "./signer.js";
import { DEFAULT_ROUND_TIMER, type RoundTimerConfig, roundTimeoutMs } from "./timer.js";
import {
  type Decided,
  type Envelope,
  type InstanceId,
  MsgType,
  type SignedMessage,
} from "./types.js";

/**
 * Default round window W: messages more than 10 rounds ahead/behind rᵢ are dropped (brief; ≥ 18 s of linear rounds).
 *
 * @example
 * createQbftNode({ ...cfg, maxRoundsAhead: DEFAULT_MAX_ROUNDS_AHEAD });
 */
export const DEFAULT_MAX_ROUNDS_AHEAD = 10;
/**
 * Default: accept messages up to 2 slots (24 s) ahead of the highest started slot — clock skew between operators.
 *
 * @example
 * createQbftNode({ ...cfg, maxSlotsAhead: DEFAULT_MAX_SLOTS_AHEAD });
 */
export const DEFAULT_MAX_SLOTS_AHEAD = 2;
/**
 * Default: keep instances for 32 slots (one epoch, SLOTS_PER_EPOCH) to answer laggards with DECIDED.
 *
 * @example
 * createQbftNode({ ...cfg, maxSlotsBehind: DEFAULT_MAX_SLOTS_BEHIND });
 */
export const DEFAULT_MAX_SLOTS_BEHIND = 32;
/**
 * Default cap on buffered messages for not-yet-started instances (shared equally by senders).
 *
 * @example
 * createQbftNode({ ...cfg, maxPendingMessages: DEFAULT_MAX_PENDING });
 */
export const DEFAULT_MAX_PENDING = 1024;
/**
 * Default signature-verification cache size (entries).
 *
 * @example
 * createQbftNode({ ...cfg, verifyCacheSize: DEFAULT_VERIFY_CACHE });
 */
export const DEFAULT_VERIFY_CACHE = 4096;

/**
 * Round timeout when the round's leader is not connected: long enough for a leader that is just
 * reconnecting (a redial on loopback/LAN takes a few ms) to be seen, short against a 4 s
 * attestation deadline.
 *
 * @example
 * createQbftNode({ ...cfg, peerConnected: (i) => transport.connectedPeers().includes(i) });
 */
export const UNREACHABLE_LEADER_TIMEOUT_MS = 50;

/**
 * Configuration of a {@link QbftNode}.
 *
 * @example
 * const cfg: QbftNodeConfig = { n: 4, self: 0, transport, clock: systemClock, signer, verifier,
 *   isValid: (v) => v.length > 0 };
 */
export type QbftNodeConfig = {
  n: number;
  self: number;
  transport: Transport;
  clock: Clock;
  signer: Signer;
  verifier: Verifier;
  /** Value validity predicate β, checked on every proposal before PREPARE. May be async. */
  isValid: (value: Uint8Array, instance: InstanceId) => boolean | Promise<boolean>;
  timer?: RoundTimerConfig | undefined;
  leader?: LeaderFn | undefined;
  maxRoundsAhead?: number | undefined;
  maxSlotsAhead?: number | undefined;
  maxSlotsBehind?: number | undefined;
  maxPendingMessages?: number | undefined;
  /** Drop messages whose claimed source is not the transport peer (default true). */
  requireSourceMatch?: boolean | undefined;
  /**
   * Is operator `i` connected now? When a round's leader (not this node) is not, the round's
   * timer is {@link UNREACHABLE_LEADER_TIMEOUT_MS} instead of t(r): its PRE-PREPARE cannot arrive,
   * so waiting out t(r) only delays the duty (Charon's timers shorten rounds of absent leaders
   * too). Timers never affect QBFT safety; a wrong answer costs at most one round.
   */
  peerConnected?: ((operator: number) => boolean) | undefined;
  verifyCacheSize?: number | undefined;
};

/**
 * Counters and gauges of a node.
 *
 * @example
 * const { counters, instances, storedMessages } = node.stats();
 */
export type QbftStats = {
  counters: Record<string, number>;
  instances: number;
  pendingMessages: number;
  storedMessages: number;
};

/**
 * The consensus component. See {@link createQbftNode}.
 *
 * @example
 * const node = createQbftNode(cfg);
 * node.onDecided((d) => signDuty(d.instance, d.value));
 * node.start({ slot, dutyType: 2 }, value);
 */
export interface QbftNode {
  readonly self: number;
  /** Start consensus for `instance` with our input value (idempotent per instance). */
  start(instance: InstanceId, value: Uint8Array): void;
  /** `start`, returning the decision (rejects if the instance is stopped/collected first). */
  propose(instance: InstanceId, value: Uint8Array): Promise<Decided>;
  /** Abandon an instance (e.g. duty deadline passed). */
  stop(instance: InstanceId): void;
  /** Subscribe to decisions (each instance delivers once); returns unsubscribe. */
  onDecided(cb: (d: Decided) => void): () => void;
  /** The decision of an instance, if delivered and not yet collected. */
  decided(instance: InstanceId): Decided | undefined;
  /** Current round of a started instance. */
  round(instance: InstanceId): number | undefined;
  /** Feed raw bytes from `from` (wired to the transport; public for tests/fuzzing). Never throws. */
  receive(from: number, bytes: Uint8Array): void;
  stats(): QbftStats;
  /** Unsubscribe from the transport and cancel all timers. */
  close(): void;
}

const keyOf = (i: InstanceId): string => `${i.slot}/${i.dutyType}`;

/**
 * Create a QBFT node and subscribe it to its transport.
 *
 * @example
 * const node = createQbftNode({ n: 4, self: 1, transport, clock, signer, verifier, isValid });
 * const decided = await node.propose({ slot: 123, dutyType: 2 }, value);
 */
export function createQbftNode(cfg: QbftNodeConfig): QbftNode {
  const { n, self } = cfg;
  if (!Number.isInteger(n) || n < 1 || n > MAX_OPERATORS) {
    throw new InputError(`Cluster size must be 1..${MAX_OPERATORS}, got ${n}`, { field: "n" });
  }
  if (!Number.isInteger(self) || self < 0 || self >= n) {
    throw new InputError(`Operator index must be 0..${n - 1}, got ${self}`, { field: "self" });
  }
  if (cfg.verifier.n !== n) {
    throw new InputError(`Verifier knows ${cfg.verifier.n} operators, cluster has ${n}`, {
      field: "verifier",
    });
  }
  const f = faultyFor(n);
  const quorum = quorumFor(n);
  const timer = cfg.timer ?? DEFAULT_ROUND_TIMER;
  const leaderFn = cfg.leader ?? defaultLeader;
  const maxRoundsAhead = cfg.maxRoundsAhead ?? DEFAULT_MAX_ROUNDS_AHEAD;
  const slotsAhead = cfg.maxSlotsAhead ?? DEFAULT_MAX_SLOTS_AHEAD;
  const slotsBehind = cfg.maxSlotsBehind ?? DEFAULT_MAX_SLOTS_BEHIND;
  const maxPending = cfg.maxPendingMessages ?? DEFAULT_MAX_PENDING;
  const perSourcePending = Math.max(1, Math.floor(maxPending / n));
  const requireSourceMatch = cfg.requireSourceMatch ?? true;
  const cacheSize = cfg.verifyCacheSize ?? DEFAULT_VERIFY_CACHE;

  const counters: Record<string, number> = {};
  const count = (label: string): void => {
    counters[label] = (counters[label] ?? 0) + 1;
  };

  const instances = new Map<string, QbftInstance>();
  const decisions = new Map<string, Decided>();
  const waiters = new Map<
    string,
    { resolve: (d: Decided) => void; reject: (e: Error) => void }[]
  >();
  const pending = new Map<string, { from: number; env: Envelope }[]>();
  const pendingBySource = new Map<number, number>();
  const listeners = new Set<(d: Decided) => void>();
  const verifyCache = new Map<string, boolean>();
  let highestSlot: number | undefined;
  let closed = false;

  // Serial queue (index-based to keep push/shift O(1)).
  let queue: (() => void)[] = [];
  let head = 0;
  let draining = false;
  const run = (fn: () => void): void => {
    if (closed) return;
    queue.push(fn);
    if (draining) return;
    draining = true;
    try {
      while (head < queue.length) {
        const next = queue[head++] as () => void;
        try {
          next();
        } catch {
          count("internal-error");
        }
      }
    } finally {
      queue = [];
      head = 0;
      draining = false;
    }
  };

  const verify = (m: SignedMessage): boolean => {
    if (m.source >= n) return false;
    const k = signedKey(m);
    const hit = verifyCache.get(k);
    if (hit !== undefined) {
      count("verify-cache-hit");
      return hit;
    }
    let ok = false;
    try {
      ok = cfg.verifier.verify(m.source, signingBytes(m), m.signature) === true;
    } catch {
      ok = false;
    }
    count("verify");
    verifyCache.set(k, ok);
    if (verifyCache.size > cacheSize) {
      const oldest = verifyCache.keys().next().value;
      if (oldest !== undefined) verifyCache.delete(oldest);
    }
    return ok;
  };

  const sendBytes = (fn: () => void): void => {
    try {
      fn();
    } catch {
      count("transport-error");
    }
  };

  const deliver = (d: Decided): void => {
    const k = keyOf(d.instance);
    decisions.set(k, d);
    count("decided");
    for (const cb of [...listeners]) {
      try {
        cb(d);
      } catch {
        count("listener-error");
      }
    }
    for (const w of waiters.get(k) ?? []) w.resolve(d);
    waiters.delete(k);
  };

  const createInstance = (instance: InstanceId): QbftInstance =>
    new QbftInstance({
      n,
      f,
      quorum,
      self,
      instance,
      maxRoundsAhead,
      leader: (round) => leaderFn(instance, round, n),
      timeoutMs: (round) => {
        const t = roundTimeoutMs(timer, round);
        const l = leaderFn(instance, round, n);
        if (l === self || !cfg.peerConnected || cfg.peerConnected(l)) return t;
        count("timer.leader-unreachable");
        return Math.min(t, UNREACHABLE_LEADER_TIMEOUT_MS);
      },
      isValid: (value) => cfg.isValid(value, instance),
      sign: (m) => {
        count("sign");
        return { ...m, signature: cfg.signer.sign(signingBytes(m)) };
      },
      verify,
      broadcast: (env) => {
        const bytes = encodeEnvelope(env);
        sendBytes(() => cfg.transport.broadcast(bytes));
        run(() => instances.get(keyOf(instance))?.receive(env, true));
      },
      send: (to, env) => {
        const bytes = encodeEnvelope(env);
        sendBytes(() => cfg.transport.send(to, bytes));
      },
      setTimer: (ms, cb) => cfg.clock.setTimeout(() => run(cb), ms),
      schedule: (fn) => run(fn),
      decide: deliver,
      count,
    });

  const dropInstance = (k: string, why: string): void => {
    instances.get(k)?.stop();
    instances.delete(k);
    decisions.delete(k);
    for (const w of waiters.get(k) ?? []) {
      w.reject(new BaseError(`QBFT instance ${k} ${why} before deciding`));
    }
    waiters.delete(k);
    const buffered = pending.get(k);
    if (buffered) {
      for (const p of buffered) {
        pendingBySource.set(p.from, (pendingBySource.get(p.from) ?? 1) - 1);
      }
      pending.delete(k);
    }
  };

  const collectGarbage = (): void => {
    if (highestSlot === undefined) return;
    const min = highestSlot - slotsBehind;
    for (const [k, inst] of instances) if (inst.id.slot < min) dropInstance(k, "collected");
    for (const k of [...pending.keys()]) {
      const slot = Number(k.split("/")[0]);
      if (slot < min || slot > highestSlot + slotsAhead) dropInstance(k, "collected");
    }
  };

  const route = (from: number, env: Envelope): void => {
    const id = env.msg.instance;
    if (highestSlot !== undefined) {
      if (id.slot > highestSlot + slotsAhead) {
        count("drop.instance-too-far-ahead");
        return;
      }
      if (id.slot < highestSlot - slotsBehind) {
        count("drop.instance-too-old");
        return;
      }
    }
    const k = keyOf(id);
    const inst = instances.get(k);
    if (inst) {
      inst.receive(env, false, requireSourceMatch);
      return;
    }
    const used = pendingBySource.get(from) ?? 0;
    if (used >= perSourcePending) {
      count("drop.pending-full");
      return;
    }
    let list = pending.get(k);
    if (!list) {
      list = [];
      pending.set(k, list);
    }
    list.push({ from, env });
    pendingBySource.set(from, used + 1);
    count("buffered-for-unstarted-instance");
  };

  const receive = (from: number, bytes: Uint8Array): void => {
    if (closed) return;
    try {
      count("received");
      const r = decodeEnvelope(bytes);
      if (!r.ok) {
        count(`decode.${r.reason}`);
        return;
      }
      const env = r.envelope;
      if (env.msg.source >= n) {
        count("drop.not-member");
        return;
      }
      if (requireSourceMatch && env.msg.source !== from) {
        count("drop.source-mismatch");
        return;
      }
      run(() => route(from, env));
    } catch {
      count("internal-error");
    }
  };

  const unsubscribe = cfg.transport.onMessage(receive);

  const start = (instance: InstanceId, value: Uint8Array): void => {
    if (closed) throw new BaseError("QBFT node is closed");
    if (
      !Number.isSafeInteger(instance.slot) ||
      instance.slot < 0 ||
      !Number.isInteger(instance.dutyType) ||
      instance.dutyType < 0 ||
      instance.dutyType > 0xffff
    ) {
      throw new InputError("Invalid QBFT instance id", {
        field: "instance",
        details: `slot must be a safe non-negative integer, dutyType 0..65535; got ${JSON.stringify(instance)}`,
      });
    }
    if (!(value instanceof Uint8Array) || value.length < 1 || value.length > MAX_VALUE_SIZE) {
      throw new InputError(`QBFT input value must be 1..${MAX_VALUE_SIZE} bytes`, {
        field: "value",
      });
    }
    const k = keyOf(instance);
    if (instances.has(k)) return;
    if (highestSlot !== undefined && instance.slot < highestSlot - slotsBehind) {
      throw new InputError(`Slot ${instance.slot} is older than the instance window`, {
        field: "instance.slot",
        metaMessages: [`Highest started slot: ${highestSlot}; window: ${slotsBehind} slots.`],
      });
    }
    highestSlot = Math.max(highestSlot ?? instance.slot, instance.slot);
    collectGarbage();
    const inst = createInstance({ slot: instance.slot, dutyType: instance.dutyType });
    instances.set(k, inst);
    const buffered = pending.get(k) ?? [];
    pending.delete(k);
    for (const p of buffered) pendingBySource.set(p.from, (pendingBySource.get(p.from) ?? 1) - 1);
    run(() => inst.start(value.slice()));
    for (const p of buffered) run(() => inst.receive(p.env, false, requireSourceMatch));
  };

  return {
    self,
    start,
    propose(instance, value) {
      const k = keyOf(instance);
      const done = decisions.get(k);
      if (done) return Promise.resolve(done);
      const p = new Promise<Decided>((resolve, reject) => {
        const list = waiters.get(k) ?? [];
        list.push({ resolve, reject });
        waiters.set(k, list);
      });
      start(instance, value);
      return p;
    },
    stop(instance) {
      const k = keyOf(instance);
      const inst = instances.get(k);
      if (!inst) return;
      inst.stop();
      if (!inst.delivered) {
        for (const w of waiters.get(k) ?? []) {
          w.reject(new BaseError(`QBFT instance ${k} stopped before deciding`));
        }
        waiters.delete(k);
      }
    },
    onDecided(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    decided: (instance) => decisions.get(keyOf(instance)),
    round: (instance) => instances.get(keyOf(instance))?.round,
    receive,
    stats() {
      let stored = 0;
      for (const inst of instances.values()) stored += inst.storedMessages;
      let pend = 0;
      for (const l of pending.values()) pend += l.length;
      return {
        counters: { ...counters },
        instances: instances.size,
        pendingMessages: pend,
        storedMessages: stored,
      };
    },
    close() {
      if (closed) return;
      unsubscribe();
      for (const k of [...instances.keys()]) dropInstance(k, "closed");
      closed = true;
    },
  };
}

/**
 * Check a decision certificate: a quorum of correctly signed COMMITs from distinct members for
 * exactly (instance, round, hash), and the value hashing to `hash`. For consumers that receive a
 * {@link Decided} from elsewhere (e.g. persisted, or from another component).
 *
 * @example
 * if (!verifyDecided(d, verifier)) throw new VerificationError("bad QBFT certificate");
 */
export function verifyDecided(d: Decided, verifier: Verifier): boolean {
  try {
    const h = hashValue(d.value);
    if (!Buffer.from(h).equals(Buffer.from(d.hash))) return false;
    const seen = new Set<number>();
    for (const c of d.commits) {
      if (
        c.type !== MsgType.Commit ||
        c.instance.slot !== d.instance.slot ||
        c.instance.dutyType !== d.instance.dutyType ||
        c.round !== d.round ||
        !Buffer.from(c.valueHash).equals(Buffer.from(d.hash)) ||
        c.source >= verifier.n ||
        seen.has(c.source)
      ) {
        return false;
      }
      seen.add(c.source);
      if (!verifier.verify(c.source, signingBytes(c), c.signature)) return false;
    }
    return seen.size >= quorumFor(verifier.n);
  } catch {
    return false;
  }
}
