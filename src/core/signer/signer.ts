/**
 * The signer (Charon core/validatorapi + core/signeddata's signing, condensed): the ONE function
 * through which every BLS signature of this operator passes.
 *
 * Order per request batch (EIP-3076 usage; consensus-specs phase0 validator.md "How to avoid
 * slashing"):
 * 1. gate — doppelganger protection (a refusal while watching or after detection), then the
 *    node's other signing gates (key guard, signing window): `gate(pubkey, duty)`;
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
import type { SigningGate, SignRequest } from "../interfaces.js";
import type { ProtectionView } from "../protection.js";
import type { Duty, FailureReason, ParSig, PubkeyHex } from "../types.js";

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
 * const { signed, refused } = signer.sign(requests, duty);
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
  sign(requests: readonly SignRequest[], duty: Duty): SignResult;
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
  /** The signing gates (doppelganger first): a refusal, or undefined when signing is allowed. */
  gate?: SigningGate | undefined;
};

/**
 * Create the signer.
 *
 * @example
 * const { signed, refused } = createSigner(opts).sign([{ pubkey, signingRoot, protect }], duty);
 */
export function createSigner(opts: SignerOptions): Signer {
  return new ShareSigner(opts);
}

type AttestationRule = { kind: "attestation"; source: bigint; target: bigint };

/**
 * The signer's implementation: {@link ShareSigner.sign} = gate → slashing protection (attestations
 * in one transaction, then blocks) → BLS sign what passed; see the module header.
 *
 * @example
 * const signer: Signer = new ShareSigner(opts);
 */
export class ShareSigner implements Signer {
  readonly shareIdx: number;
  private readonly keys = new Map<PubkeyHex, SecretKey>();
  /** Copies of the share secrets, zeroed on close. */
  private readonly raw: Uint8Array[] = [];

  constructor(private readonly opts: SignerOptions) {
    this.shareIdx = opts.shareIdx;
    for (const [pk, secret] of opts.shares) {
      const copy = secret.slice();
      this.raw.push(copy);
      this.keys.set(pk.toLowerCase(), secretKeyFromBytes(copy, { field: `share of ${pk}` }));
    }
  }

  has(pubkey: PubkeyHex): boolean {
    return this.keys.has(pubkey);
  }

  sign(requests: readonly SignRequest[], duty: Duty): SignResult {
    const refused: Refusal[] = [];
    const allowed = this.gate(requests, duty, refused);
    // Slashing protection first (attestations as one transaction), then sign.
    const ok = new Set<SignRequest>(allowed.filter((r) => r.protect === undefined));
    this.protectAttestations(allowed, ok, refused);
    this.protectBlocks(allowed, ok, refused);
    const signed: ParSig[] = [];
    for (const r of allowed) {
      if (!ok.has(r)) continue;
      const sk = this.keys.get(r.pubkey) as SecretKey;
      signed.push({
        pubkey: r.pubkey,
        signingRoot: r.signingRoot,
        signature: sk.sign(r.signingRoot).toBytes(),
        shareIdx: this.shareIdx,
      });
    }
    return { signed, refused };
  }

  close(): void {
    this.keys.clear();
    for (const s of this.raw) s.fill(0);
  }

  /** Requests for held shares that the signing gates (doppelganger first) let through. */
  private gate(requests: readonly SignRequest[], duty: Duty, refused: Refusal[]): SignRequest[] {
    const allowed: SignRequest[] = [];
    for (const r of requests) {
      if (!this.keys.has(r.pubkey)) {
        refused.push({ pubkey: r.pubkey, reason: "beacon-error", details: "no share held" });
        continue;
      }
      const g = this.opts.gate?.(r.pubkey, duty);
      if (g) {
        refused.push({ pubkey: r.pubkey, reason: g.reason, details: g.details });
        continue;
      }
      allowed.push(r);
    }
    return allowed;
  }

  /** EIP-3076 attestation rule for every attestation of the batch, in ONE transaction. */
  private protectAttestations(
    allowed: readonly SignRequest[],
    ok: Set<SignRequest>,
    refused: Refusal[],
  ): void {
    const atts = allowed.filter((r) => r.protect?.kind === "attestation");
    if (!atts.length) return;
    const out = this.opts.slashingDb.checkAndInsertAttestations(
      atts.map((r) => {
        const p = r.protect as AttestationRule;
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
      const p = r.protect as AttestationRule;
      if (o.ok) {
        this.opts.view.recordAttestation(r.pubkey, p.source, p.target, r.signingRoot);
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

  /** EIP-3076 block rule, one check-and-insert per block. */
  private protectBlocks(
    allowed: readonly SignRequest[],
    ok: Set<SignRequest>,
    refused: Refusal[],
  ): void {
    for (const r of allowed) {
      if (r.protect?.kind !== "block") continue;
      try {
        this.opts.slashingDb.checkAndInsertBlock(r.pubkey, r.protect.slot, r.signingRoot);
        this.opts.view.recordBlock(r.pubkey, r.protect.slot, r.signingRoot);
        ok.add(r);
      } catch (err) {
        if (!(err instanceof SlashingProtectionError || err instanceof InputError)) throw err;
        refused.push({
          pubkey: r.pubkey,
          reason: "slashing-protection",
          details: err.shortMessage,
        });
      }
    }
  }
}
