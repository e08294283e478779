/**
 * Byzantine behaviours for simulations, built only from what a faulty operator really has: its
 * own signing key, the network, and the messages it receives. Each returns a `stop` function.
 *
 * - {@link equivocatingLeader}: runs the honest protocol but sends a different (valid, own-signed)
 *   PRE-PREPARE to some peers — the classic equivocation QBFT must survive.
 * - {@link garbageSender}: random bytes plus mutated copies of real messages it received
 *   (bit flips, truncation, extension, splices) — exercises strict decoding.
 * - {@link forger}: well-formed messages with corrupted signatures, forged sources, forged
 *   justifications, replays of other instances' justifications.
 * - {@link flooder}: large bursts of validly signed messages for random rounds, types and slots
 *   (and exact replays of others' messages) — exercises dedupe, windows and memory bounds.
 */
import {
  decodeEnvelope,
  encodeEnvelope,
  hashValue,
  signingBytes,
} from "../../src/core/consensus/codec.js";
import type { Signer } from "../../src/core/consensus/signer.js";
import {
  type Envelope,
  type InstanceId,
  MsgType,
  type QbftMessage,
  type SignedMessage,
  ZERO_HASH,
} from "../../src/core/consensus/types.js";
import type { Simnet } from "./network.js";
import type { Prng } from "./prng.js";

function sign(signer: Signer, m: QbftMessage): SignedMessage {
  return { ...m, signature: signer.sign(signingBytes(m)) };
}

/** Keep the last `max` messages node i receives (what a real attacker could replay). */
function capture(net: Simnet, i: number, max: number): Uint8Array[] {
  const seen: Uint8Array[] = [];
  net.transport(i).onMessage((_from, bytes) => {
    seen.push(bytes);
    if (seen.length > max) seen.shift();
  });
  return seen;
}

function every(net: Simnet, ms: number, untilMs: number, fn: () => void): () => void {
  let stopped = false;
  const tick = (): void => {
    if (stopped || net.now() > untilMs) return;
    fn();
    net.globalClock.setTimeout(tick, ms);
  };
  net.globalClock.setTimeout(tick, ms);
  return () => {
    stopped = true;
  };
}

/**
 * Node i (running the honest protocol) sends, to every peer for which `alternative(value, to)`
 * returns bytes, a PRE-PREPARE for those bytes instead of its real proposal (same round and
 * justification, correctly signed by i).
 *
 * @example
 * equivocatingLeader(net, 1, signers[1], (v, to) => (to % 2 ? altValue : undefined));
 */
export function equivocatingLeader(
  net: Simnet,
  i: number,
  signer: Signer,
  alternative: (value: Uint8Array, to: number) => Uint8Array | undefined,
): () => void {
  net.setOutbound(i, (to, bytes) => {
    const r = decodeEnvelope(bytes);
    if (!r.ok || r.envelope.msg.type !== MsgType.PrePrepare || r.envelope.msg.source !== i) {
      return [bytes];
    }
    const { msg, value, justification } = r.envelope;
    const alt = value ? alternative(value, to) : undefined;
    if (!alt) return [bytes];
    const forged = sign(signer, { ...msg, valueHash: hashValue(alt) });
    return [encodeEnvelope({ msg: forged, value: alt, justification })];
  });
  return () => net.setOutbound(i, undefined);
}

/**
 * One random structural mutation of `bytes`.
 *
 * @example
 * const fuzzed = mutate(createPrng(1), validBytes);
 */
export function mutate(rng: Prng, bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  switch (rng.int(6)) {
    case 0: {
      if (b.length) {
        const at = rng.int(b.length);
        b[at] = (b[at] as number) ^ (1 << rng.int(8));
      }
      return b;
    }
    case 1:
      return b.slice(0, rng.int(b.length + 1));
    case 2: {
      const out = new Uint8Array(b.length + 1 + rng.int(16));
      out.set(b);
      out.set(rng.bytes(out.length - b.length), b.length);
      return out;
    }
    case 3: {
      if (b.length) b[rng.int(b.length)] = rng.int(256);
      return b;
    }
    case 4: {
      // Overwrite a 4-byte window with an extreme value (length/round fields).
      if (b.length >= 4) {
        const at = rng.int(b.length - 3);
        const v = [0, 0xff, 0x7f, 0x80][rng.int(4)] as number;
        b.fill(v, at, at + 4);
      }
      return b;
    }
    default: {
      const cut = rng.int(b.length + 1);
      const other = rng.bytes(rng.int(64));
      const out = new Uint8Array(cut + other.length);
      out.set(b.subarray(0, cut));
      out.set(other, cut);
      return out;
    }
  }
}

/**
 * Every `everyMs`, node i sends each peer `perTick` messages: random bytes (length 0..maxLen) or
 * mutations of messages it received.
 *
 * @example
 * garbageSender(net, 3, { everyMs: 50, perTick: 5, maxLen: 600, untilMs: 10_000 });
 */
export function garbageSender(
  net: Simnet,
  i: number,
  o: { everyMs: number; perTick: number; maxLen: number; untilMs: number },
): () => void {
  const rng = net.prng.fork();
  const seen = capture(net, i, 64);
  return every(net, o.everyMs, o.untilMs, () => {
    for (let to = 0; to < net.n; to++) {
      if (to === i) continue;
      for (let k = 0; k < o.perTick; k++) {
        const sample = seen.length ? seen[rng.int(seen.length)] : undefined;
        const bytes =
          sample && rng.chance(0.7) ? mutate(rng, sample) : rng.bytes(rng.int(o.maxLen + 1));
        net.inject(i, to, bytes);
      }
    }
  });
}

/**
 * Every `everyMs`, node i sends each peer forged variants of messages it received: its own copy
 * with a corrupted signature, the original with a forged source, a ROUND-CHANGE claiming a
 * prepared value with forged PREPAREs, and a proposal whose justification is replayed from
 * another instance or round.
 *
 * @example
 * forger(net, 2, signers[2], { everyMs: 100, untilMs: 10_000 });
 */
export function forger(
  net: Simnet,
  i: number,
  signer: Signer,
  o: { everyMs: number; untilMs: number },
): () => void {
  const rng = net.prng.fork();
  const seen = capture(net, i, 64);
  return every(net, o.everyMs, o.untilMs, () => {
    const sample = seen.length ? seen[rng.int(seen.length)] : undefined;
    const r = sample ? decodeEnvelope(sample) : undefined;
    if (!r?.ok) return;
    const env = r.envelope;
    const variants: Envelope[] = [];
    // 1. Own source, valid shape, corrupted signature.
    const mine = sign(signer, { ...env.msg, source: i });
    const badSig = mine.signature.slice();
    if (badSig.length) {
      const at = rng.int(badSig.length);
      badSig[at] = (badSig[at] as number) ^ 1;
    }
    variants.push({ ...env, msg: { ...mine, signature: badSig } });
    // 2. Another operator's message sent as if from i's connection but claiming its source:
    //    dropped as a source mismatch; and i's source with the other's signature.
    variants.push(env);
    variants.push({ ...env, msg: { ...env.msg, source: i } });
    // 3. ROUND-CHANGE claiming a prepared value, "justified" by PREPAREs i signed for others.
    const pv = hashValue(rng.bytes(8));
    const round = env.msg.round + 1;
    const prepares = Array.from({ length: net.n }, (_, s) => ({
      ...sign(signer, {
        type: MsgType.Prepare,
        instance: env.msg.instance,
        source: i,
        round: env.msg.round,
        valueHash: pv,
        preparedRound: 0,
        preparedHash: ZERO_HASH,
      }),
      source: s,
    }));
    variants.push({
      msg: sign(signer, {
        type: MsgType.RoundChange,
        instance: env.msg.instance,
        source: i,
        round,
        valueHash: ZERO_HASH,
        preparedRound: env.msg.round,
        preparedHash: pv,
      }),
      justification: prepares,
    });
    // 4. A proposal from i for round 2 of ANOTHER slot, justified by this instance's messages
    //    (foreign-instance replay); and for this instance, justified by RCs of another round.
    if (env.justification.length) {
      for (const instance of [
        { ...env.msg.instance, slot: env.msg.instance.slot + 1 },
        env.msg.instance,
      ] as InstanceId[]) {
        const value = new Uint8Array([1, ...rng.bytes(8)]);
        variants.push({
          msg: sign(signer, {
            type: MsgType.PrePrepare,
            instance,
            source: i,
            round: env.msg.round + 3,
            valueHash: hashValue(value),
            preparedRound: 0,
            preparedHash: ZERO_HASH,
          }),
          value,
          justification: env.justification.filter((j) => j.type === MsgType.RoundChange),
        });
      }
    }
    for (const v of variants) {
      let bytes: Uint8Array;
      try {
        bytes = encodeEnvelope(v);
      } catch {
        continue;
      }
      for (let to = 0; to < net.n; to++) if (to !== i) net.inject(i, to, bytes);
    }
  });
}

/**
 * Every `everyMs`, node i sends each peer `perTick` validly signed messages of random type,
 * round (1..maxRound) and slot (from `instances()` ± 3), plus exact replays of messages it saw.
 * Its round-1 PRE-PREPAREs are genuine proposals when it leads round 1: report them via `onValue`.
 *
 * @example
 * flooder(net, 0, signers[0], { everyMs: 10, perTick: 50, maxRound: 40, untilMs: 5000,
 *   instances: () => [{ slot: 1, dutyType: 2 }] });
 */
export function flooder(
  net: Simnet,
  i: number,
  signer: Signer,
  o: {
    everyMs: number;
    perTick: number;
    maxRound: number;
    untilMs: number;
    instances: () => InstanceId[];
    /** Called with every value it proposes (a Byzantine leader's valid proposal may win). */
    onValue?: (value: Uint8Array) => void;
  },
): () => void {
  const rng = net.prng.fork();
  const seen = capture(net, i, 128);
  return every(net, o.everyMs, o.untilMs, () => {
    const targets = o.instances();
    for (let k = 0; k < o.perTick; k++) {
      let bytes: Uint8Array;
      const sample = seen.length ? seen[rng.int(seen.length)] : undefined;
      if (sample && rng.chance(0.2)) {
        bytes = sample;
      } else {
        const base = targets.length ? targets[rng.int(targets.length)] : undefined;
        const instance = {
          slot: Math.max(0, (base?.slot ?? 0) + rng.int(7) - 3),
          dutyType: base?.dutyType ?? 0,
        };
        const round = 1 + rng.int(o.maxRound);
        const t = [MsgType.Prepare, MsgType.Commit, MsgType.RoundChange, MsgType.PrePrepare][
          rng.int(4)
        ] as MsgType;
        const value = new Uint8Array([1, ...rng.bytes(6)]);
        if (t === MsgType.PrePrepare) o.onValue?.(value);
        const isRc = t === MsgType.RoundChange;
        const msg = sign(signer, {
          type: t,
          instance,
          source: i,
          round: isRc ? Math.max(2, round) : t === MsgType.PrePrepare ? 1 : round,
          valueHash: isRc ? ZERO_HASH : hashValue(value),
          preparedRound: 0,
          preparedHash: ZERO_HASH,
        });
        bytes = encodeEnvelope({
          msg,
          value: t === MsgType.PrePrepare ? value : undefined,
          justification: [],
        });
      }
      for (let to = 0; to < net.n; to++) if (to !== i) net.inject(i, to, bytes);
    }
  });
}
