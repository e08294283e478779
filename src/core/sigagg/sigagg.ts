/**
 * Signature aggregation (Charon core/sigagg): once `threshold` (t = 2F+1) partial signatures of
 * the SAME signing root are held for a (duty, validator), interpolate them at x = 0 (Lagrange in
 * G2, src/crypto/interpolate.ts `recoverSignature`) and verify the result against the validator's
 * public key over that root before handing it on (consensus-specs BLS `Verify`).
 *
 * Aggregate first: partials arrive unverified from parsigex (decoded and bound to their
 * transport-authenticated sender only). The aggregate's one verification vouches for the t
 * partials it was made from — Lagrange interpolation of t shares is unique, so if it verifies it
 * IS the validator's signature — which replaces n − 1 partial verifications per validator (each
 * about as costly as the aggregate's) with none. Only if an aggregate fails are its unverified
 * partials verified one by one (a batch check first): the invalid ones are dropped and counted
 * (`drop.invalid-signature`), their sender's share index is barred for that root, and the
 * aggregate is retried from the valid ones and any others held. A share index caught once is a
 * suspect for {@link SUSPECT_SLOTS}: its partials are verified before use, so a Byzantine
 * operator costs at most one failed aggregate per suspect period, never a blocked or poisoned one.
 *
 * Only the root the workflow expects is aggregated (`expect`: the root of the decided data, or of
 * the deterministic message for randao / selection proof / exit); partials for other roots (a
 * Byzantine peer signing something else) are kept apart and never mixed in. Partials may arrive
 * before the expectation (a lagging consensus) and are aggregated as soon as it is set.
 */
import {
  verify as blstVerify,
  type PublicKey,
  type SignatureSet,
  verifyMultipleAggregateSignatures,
} from "@chainsafe/blst";
import { publicKeyFromBytes, signatureFromBytes } from "../../crypto/bls.js";
import { recoverSignature } from "../../crypto/interpolate.js";
import { type Duty, dutyKey, hex, type ParSig, type PubkeyHex } from "../types.js";

/**
 * Slots a share index stays suspect after one of its partials failed verification: 64 = 2 epochs
 * of mainnet SLOTS_PER_EPOCH (the state window of wire.ts).
 *
 * @example
 * if (caughtAt >= slot - SUSPECT_SLOTS) verifyFirst();
 */
export const SUSPECT_SLOTS = 64;

/**
 * Options of {@link createSigAgg}.
 *
 * @example
 * const opts: SigAggOptions = { threshold: 3, validatorPubkeys, sharePubkeys, onAggregated: (d, pk, root, sig) => {} };
 */
export type SigAggOptions = {
  threshold: number;
  /** validator pubkey (0x-hex) → 48-byte public key. */
  validatorPubkeys: ReadonlyMap<PubkeyHex, Uint8Array>;
  /** validator pubkey → (share index → share public key), from the cluster definition. */
  sharePubkeys: ReadonlyMap<PubkeyHex, ReadonlyMap<number, Uint8Array>>;
  onAggregated: (
    duty: Duty,
    pubkey: PubkeyHex,
    signingRoot: Uint8Array,
    signature: Uint8Array,
  ) => void;
  /** Counter hook: `aggregated`, `fallback`, `drop.invalid-signature`, `aggregate-invalid`. */
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
  /** Add partials (own, or a peer's from parsigex: unverified, sender-bound). */
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

type Held = { signature: Uint8Array; verified: boolean };
type ByRoot = { root: Uint8Array; sigs: Map<number, Held>; barred: Set<number> };
type Entry = { slot: number; expected?: string; byRoot: Map<string, ByRoot>; done?: Uint8Array };

/**
 * Create the sigagg component.
 *
 * @example
 * const sigagg = createSigAgg({ threshold: 3, validatorPubkeys, sharePubkeys, onAggregated });
 */
export function createSigAgg(opts: SigAggOptions): SigAgg {
  const t = opts.threshold;
  const entries = new Map<string, Entry>();
  const suspects = new Map<number, number>(); // share index → slot it was last caught
  const count = (l: string, by = 1): void => opts.count?.(l, by);
  // Public keys parsed (subgroup-checked) once, on first use.
  const parsed = new Map<string, PublicKey | null>();
  const publicKey = (bytes: Uint8Array | undefined): PublicKey | undefined => {
    if (!bytes) return undefined;
    const k = hex(bytes);
    let pk = parsed.get(k);
    if (pk === undefined) {
      try {
        pk = publicKeyFromBytes(bytes);
      } catch {
        pk = null;
      }
      parsed.set(k, pk);
    }
    return pk ?? undefined;
  };
  const verifies = (pk: PublicKey | undefined, root: Uint8Array, sig: Uint8Array): boolean => {
    if (!pk) return false;
    try {
      return blstVerify(root, pk, signatureFromBytes(sig));
    } catch {
      return false;
    }
  };

  const entryOf = (duty: Duty, pk: PubkeyHex): Entry => {
    const k = `${dutyKey(duty)}/${pk}`;
    let e = entries.get(k);
    if (!e) {
      e = { slot: duty.slot, byRoot: new Map() };
      entries.set(k, e);
    }
    return e;
  };

  /** Verify partials of `r` (a batch check first); drop and bar the invalid ones. */
  const check = (e: Entry, pk: PubkeyHex, r: ByRoot, ids: readonly number[]): void => {
    const shares = opts.sharePubkeys.get(pk);
    const items = ids.map((id) => {
      const held = r.sigs.get(id) as Held;
      let set: SignatureSet | undefined;
      try {
        const key = publicKey(shares?.get(id));
        if (key) set = { msg: r.root, pk: key, sig: signatureFromBytes(held.signature) };
      } catch {
        // not a G2 subgroup point: invalid
      }
      return { id, held, set };
    });
    const sets = items.flatMap((it) => (it.set ? [it.set] : []));
    const allOk =
      sets.length === items.length && sets.length > 1 && verifyMultipleAggregateSignatures(sets);
    for (const it of items) {
      const ok = allOk || (it.set !== undefined && blstVerify(it.set.msg, it.set.pk, it.set.sig));
      if (ok) {
        it.held.verified = true;
        continue;
      }
      r.sigs.delete(it.id);
      r.barred.add(it.id);
      suspects.set(it.id, Math.max(e.slot, suspects.get(it.id) ?? 0));
      count("drop.invalid-signature");
    }
  };

  const tryAggregate = (duty: Duty, pk: PubkeyHex, e: Entry): void => {
    if (e.done || e.expected === undefined) return;
    const r = e.byRoot.get(e.expected);
    if (!r || r.sigs.size < t) return;
    const vpk = publicKey(opts.validatorPubkeys.get(pk));
    if (!vpk) return;
    const suspect = [...r.sigs].flatMap(([id, h]) =>
      !h.verified && (suspects.get(id) ?? -Infinity) >= e.slot - SUSPECT_SLOTS ? [id] : [],
    );
    if (suspect.length) check(e, pk, r, suspect);
    // Each failed round verifies ≥ 1 unverified partial or returns: at most t + 1 rounds.
    while (r.sigs.size >= t) {
      const chosen = [...r.sigs]
        .sort(([a, x], [b, y]) => Number(y.verified) - Number(x.verified) || a - b)
        .slice(0, t);
      let sig: Uint8Array | undefined;
      try {
        sig = recoverSignature(chosen.map(([id, h]) => ({ id, signature: h.signature })));
      } catch {
        // a partial is not a G2 point: found below
      }
      if (sig && verifies(vpk, r.root, sig)) {
        e.done = sig;
        count("aggregated");
        opts.onAggregated(duty, pk, r.root, sig);
        return;
      }
      const unverified = chosen.flatMap(([id, h]) => (h.verified ? [] : [id]));
      if (!unverified.length) {
        // t verified partials, yet no valid aggregate: share keys inconsistent with the
        // validator key (a cluster-definition error). Retrying cannot help.
        count("aggregate-invalid");
        return;
      }
      count("fallback");
      check(e, pk, r, unverified);
    }
  };

  return {
    add(duty, partials) {
      for (const p of partials) {
        const e = entryOf(duty, p.pubkey);
        const rk = hex(p.signingRoot);
        let r = e.byRoot.get(rk);
        if (!r) {
          r = { root: p.signingRoot, sigs: new Map(), barred: new Set() };
          e.byRoot.set(rk, r);
        }
        if (r.sigs.has(p.shareIdx) || r.barred.has(p.shareIdx)) continue;
        r.sigs.set(p.shareIdx, { signature: p.signature, verified: false });
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
      for (const [id, s] of suspects) if (s < minSlot - SUSPECT_SLOTS) suspects.delete(id);
    },
  };
}
