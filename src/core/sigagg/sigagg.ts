/**
 * Signature aggregation (Charon core/sigagg): once `threshold` (t = 2F+1) verified partial
 * signatures of the SAME signing root are held for a (duty, validator), interpolate them at x = 0
 * (Lagrange in G2, src/crypto/interpolate.ts `recoverSignature`) and verify the result against
 * the validator's public key over that root before handing it on (consensus-specs BLS `Verify`).
 *
 * Only the root the workflow expects is aggregated (`expect`: the root of the decided data, or of
 * the deterministic message for randao / selection proof / exit); partials for other roots (a
 * Byzantine peer signing something else) are kept apart and never mixed in. Partials may arrive
 * before the expectation (a lagging consensus) and are aggregated as soon as it is set.
 */
import { verifySignature } from "../../crypto/bls.js";
import { recoverSignature } from "../../crypto/interpolate.js";
import { type Duty, dutyKey, hex, type ParSig, type PubkeyHex } from "../types.js";

/**
 * Options of {@link createSigAgg}.
 *
 * @example
 * const opts: SigAggOptions = { threshold: 3, validatorPubkeys, onAggregated: (d, pk, root, sig) => {} };
 */
export type SigAggOptions = {
  threshold: number;
  /** validator pubkey (0x-hex) → 48-byte public key. */
  validatorPubkeys: ReadonlyMap<PubkeyHex, Uint8Array>;
  onAggregated: (
    duty: Duty,
    pubkey: PubkeyHex,
    signingRoot: Uint8Array,
    signature: Uint8Array,
  ) => void;
  count?: ((label: string, by?: number) => void) | undefined;
};

/**
 * The sigagg component.
 *
 * @example
 * const agg = createSigAgg(opts);
 * agg.expect(duty, pubkey, root);
 * agg.add(duty, partials);
 */
export interface SigAgg {
  /** Add verified partials (own or from parsigex). */
  add(duty: Duty, partials: readonly ParSig[]): void;
  /** Aggregate `signingRoot` for (duty, pubkey) once t partials of it are held. */
  expect(duty: Duty, pubkey: PubkeyHex, signingRoot: Uint8Array): void;
  /** Number of distinct partials held for the expected root (or the best root if none expected). */
  partials(duty: Duty, pubkey: PubkeyHex): number;
  /** The aggregate, if done. */
  aggregate(duty: Duty, pubkey: PubkeyHex): Uint8Array | undefined;
  /** Drop state for duties with slot < minSlot. */
  prune(minSlot: number): void;
}

type Entry = {
  slot: number;
  expected?: string;
  byRoot: Map<string, { root: Uint8Array; sigs: Map<number, Uint8Array> }>;
  done?: Uint8Array;
};

/**
 * Create the sigagg component.
 *
 * @example
 * const sigagg = createSigAgg({ threshold: 3, validatorPubkeys, onAggregated });
 */
export function createSigAgg(opts: SigAggOptions): SigAgg {
  const entries = new Map<string, Entry>();
  const count = (l: string, by = 1): void => opts.count?.(l, by);
  const entryOf = (duty: Duty, pk: PubkeyHex): Entry => {
    const k = `${dutyKey(duty)}/${pk}`;
    let e = entries.get(k);
    if (!e) {
      e = { slot: duty.slot, byRoot: new Map() };
      entries.set(k, e);
    }
    return e;
  };
  const tryAggregate = (duty: Duty, pk: PubkeyHex, e: Entry): void => {
    if (e.done || e.expected === undefined) return;
    const r = e.byRoot.get(e.expected);
    if (!r || r.sigs.size < opts.threshold) return;
    const vpk = opts.validatorPubkeys.get(pk);
    if (!vpk) return;
    const chosen = [...r.sigs]
      .sort(([a], [b]) => a - b)
      .slice(0, opts.threshold)
      .map(([id, signature]) => ({ id, signature }));
    let sig: Uint8Array;
    try {
      sig = recoverSignature(chosen);
    } catch {
      count("recover-error");
      return;
    }
    if (!verifySignature(vpk, r.root, sig)) {
      count("aggregate-invalid");
      return;
    }
    e.done = sig;
    count("aggregated");
    opts.onAggregated(duty, pk, r.root, sig);
  };
  return {
    add(duty, partials) {
      for (const p of partials) {
        const e = entryOf(duty, p.pubkey);
        const rk = hex(p.signingRoot);
        let r = e.byRoot.get(rk);
        if (!r) {
          r = { root: p.signingRoot, sigs: new Map() };
          e.byRoot.set(rk, r);
        }
        if (!r.sigs.has(p.shareIdx)) r.sigs.set(p.shareIdx, p.signature);
        tryAggregate(duty, p.pubkey, e);
      }
    },
    expect(duty, pk, root) {
      const e = entryOf(duty, pk);
      if (e.expected === undefined) e.expected = hex(root);
      tryAggregate(duty, pk, e);
    },
    partials(duty, pk) {
      const e = entries.get(`${dutyKey(duty)}/${pk}`);
      if (!e) return 0;
      if (e.expected !== undefined) return e.byRoot.get(e.expected)?.sigs.size ?? 0;
      let best = 0;
      for (const r of e.byRoot.values()) best = Math.max(best, r.sigs.size);
      return best;
    },
    aggregate: (duty, pk) => entries.get(`${dutyKey(duty)}/${pk}`)?.done,
    prune(minSlot) {
      for (const [k, e] of entries) if (e.slot < minSlot) entries.delete(k);
    },
  };
}
