/**
 * The signer (Charon core/validatorapi + core/signeddata's signing, condensed): the ONE function
 * through which every BLS signature of this operator passes.
 *
 * Order per request batch (EIP-3076 usage; consensus-specs phase0 validator.md "How to avoid
 * slashing"):
 * 1. gate — doppelganger protection (`gate(pubkey)` returns a refusal reason while watching or
 *    after detection);
 * 2. slashing protection check-and-insert FIRST: all attestations of the batch in ONE database
 *    transaction (`checkAndInsertAttestations`), blocks one by one (`checkAndInsertBlock`);
 *    non-slashable messages (randao reveal, selection proof, aggregate-and-proof, exit) have no
 *    database rule;
 * 3. only then BLS-sign the signing root with this operator's share.
 * Refused items are dropped and returned with a reason; secrets never leave this module.
 */
import type { SecretKey } from "@chainsafe/blst";
import { secretKeyFromBytes } from "../../crypto/bls.js";
import { InputError } from "../../errors.js";
import type { SlashingProtectionDb } from "../../slashing/db.js";
import { SlashingProtectionError } from "../../slashing/errors.js";
import type { ProtectionView } from "../protection.js";
import type { FailureReason, ParSig, PubkeyHex } from "../types.js";

/**
 * One thing to sign. `protect` says which slashing rule applies (none for non-slashable types).
 *
 * @example
 * const req: SignRequest = { pubkey, signingRoot, protect: { kind: "attestation", source: 3n, target: 4n } };
 */
export type SignRequest = {
  pubkey: PubkeyHex;
  signingRoot: Uint8Array;
  protect?:
    | { kind: "attestation"; source: bigint; target: bigint }
    | { kind: "block"; slot: bigint }
    | undefined;
};

/**
 * A refused request and why (`details`: the database's message, public data only).
 *
 * @example
 * for (const r of result.refused) console.warn(r.pubkey, r.reason, r.details);
 */
export type Refusal = { pubkey: PubkeyHex; reason: FailureReason; details: string };

/**
 * Result of {@link Signer.sign}.
 *
 * @example
 * const { signed, refused } = signer.sign(requests);
 */
export type SignResult = { signed: ParSig[]; refused: Refusal[] };

/**
 * This operator's signer. See the module header.
 *
 * @example
 * const signer = createSigner({ shares, shareIdx: 2, slashingDb, view });
 */
export interface Signer {
  /** This operator's share index (operator id). */
  readonly shareIdx: number;
  /** Sign a batch (see module header). Never throws for refusals; throws on database I/O failure. */
  sign(requests: readonly SignRequest[]): SignResult;
  /** Whether a share for `pubkey` is held. */
  has(pubkey: PubkeyHex): boolean;
  /** Forget the secrets (zeroes the copies held here). */
  close(): void;
}

/**
 * Options of {@link createSigner}.
 *
 * @example
 * const opts: SignerOptions = { shares, shareIdx: 1, slashingDb: db, view, gate: () => undefined };
 */
export type SignerOptions = {
  /** validator pubkey (0x-hex, lowercase) → this operator's 32-byte share secret. Copied. */
  shares: ReadonlyMap<PubkeyHex, Uint8Array>;
  shareIdx: number;
  slashingDb: SlashingProtectionDb;
  view: ProtectionView;
  /** Doppelganger gate: a refusal reason, or undefined when signing is allowed. */
  gate?: ((pubkey: PubkeyHex) => FailureReason | undefined) | undefined;
};

/**
 * Create the signer.
 *
 * @example
 * const { signed, refused } = createSigner(opts).sign([{ pubkey, signingRoot, protect }]);
 */
export function createSigner(opts: SignerOptions): Signer {
  const keys = new Map<PubkeyHex, SecretKey>();
  const raw: Uint8Array[] = [];
  for (const [pk, secret] of opts.shares) {
    const copy = secret.slice();
    raw.push(copy);
    keys.set(pk.toLowerCase(), secretKeyFromBytes(copy, { field: `share of ${pk}` }));
  }
  const { slashingDb: db, view } = opts;

  return {
    shareIdx: opts.shareIdx,
    has: (pk) => keys.has(pk),
    sign(requests) {
      const refused: Refusal[] = [];
      const allowed: SignRequest[] = [];
      for (const r of requests) {
        if (!keys.has(r.pubkey)) {
          refused.push({ pubkey: r.pubkey, reason: "beacon-error", details: "no share held" });
          continue;
        }
        const g = opts.gate?.(r.pubkey);
        if (g) {
          refused.push({ pubkey: r.pubkey, reason: g, details: "doppelganger protection" });
          continue;
        }
        allowed.push(r);
      }
      // Slashing protection first: attestations as one transaction.
      const atts = allowed.filter((r) => r.protect?.kind === "attestation");
      const ok = new Set<SignRequest>(allowed.filter((r) => r.protect === undefined));
      if (atts.length) {
        const out = db.checkAndInsertAttestations(
          atts.map((r) => {
            const p = r.protect as { source: bigint; target: bigint };
            return {
              pubkey: r.pubkey,
              sourceEpoch: p.source,
              targetEpoch: p.target,
              signingRoot: r.signingRoot,
            };
          }),
        );
        out.forEach((o, i) => {
          const r = atts[i] as SignRequest;
          const p = r.protect as { source: bigint; target: bigint };
          if (o.ok) {
            view.recordAttestation(r.pubkey, p.source, p.target, r.signingRoot);
            ok.add(r);
          } else {
            refused.push({
              pubkey: r.pubkey,
              reason: "slashing-protection",
              details: o.error.shortMessage,
            });
          }
        });
      }
      for (const r of allowed) {
        if (r.protect?.kind !== "block") continue;
        try {
          db.checkAndInsertBlock(r.pubkey, r.protect.slot, r.signingRoot);
          view.recordBlock(r.pubkey, r.protect.slot, r.signingRoot);
          ok.add(r);
        } catch (err) {
          if (err instanceof SlashingProtectionError || err instanceof InputError) {
            refused.push({
              pubkey: r.pubkey,
              reason: "slashing-protection",
              details: err.shortMessage,
            });
          } else {
            throw err;
          }
        }
      }
      // Only now: sign.
      const signed: ParSig[] = [];
      for (const r of allowed) {
        if (!ok.has(r)) continue;
        const sk = keys.get(r.pubkey) as SecretKey;
        signed.push({
          pubkey: r.pubkey,
          signingRoot: r.signingRoot,
          signature: sk.sign(r.signingRoot).toBytes(),
          shareIdx: opts.shareIdx,
        });
      }
      return { signed, refused };
    },
    close() {
      keys.clear();
      for (const s of raw) s.fill(0);
    },
  };
}
