/**
 * Read-only slashing-protection check for consensus validity (`isValid`): would this operator's
 * slashing-protection database accept signing this attestation / block? Used so a Byzantine
 * leader cannot make honest operators decide data they would then refuse to sign (or, worse, that
 * a lagging peer would sign).
 *
 * The database (src/slashing/db.ts) only offers check-AND-insert, so this keeps a per-validator
 * summary — EIP-3076 "Minimal" form: the highest signed source/target epochs (with the signing
 * root at the highest target) and the highest signed block slot (with its root) — loaded for every
 * validator from ONE minimal export of the database on first use (a per-validator export read the
 * whole validator table each time: O(N) per check) and advanced by the signer after every accepted
 * insert. Checked against it, the rules are the EIP-3076 low-watermark conditions (2), (4), (5)
 * with the database's repeat exemption: at least as strict as the database (anything it passes
 * the database accepts too; honest chains always pass, since source is non-decreasing and each
 * validator attests once per target epoch). Assumes this process is the database's only writer.
 */
import type { SlashingProtectionDb } from "../slashing/db.js";
import { toHex } from "../util/hex.js";
import type { PubkeyHex } from "./types.js";

type Summary = {
  source?: bigint;
  target?: bigint;
  /** Signing root at `target` (undefined = unknown → no repeat exemption). */
  targetRoot?: string;
  slot?: bigint;
  slotRoot?: string;
};

/**
 * See the module header.
 *
 * @example
 * const view = createProtectionView(db);
 * if (!view.attestationOk(pk, 3n, 4n, root)) rejectProposal();
 */
export interface ProtectionView {
  /** True iff the database would accept this attestation (read-only). */
  attestationOk(
    pubkey: PubkeyHex,
    source: bigint,
    target: bigint,
    signingRoot: Uint8Array,
  ): boolean;
  /** True iff the database would accept this block (read-only). */
  blockOk(pubkey: PubkeyHex, slot: bigint, signingRoot: Uint8Array): boolean;
  /** Record an attestation the database accepted (signer only). */
  recordAttestation(
    pubkey: PubkeyHex,
    source: bigint,
    target: bigint,
    signingRoot: Uint8Array,
  ): void;
  /** Record a block the database accepted (signer only). */
  recordBlock(pubkey: PubkeyHex, slot: bigint, signingRoot: Uint8Array): void;
}

/**
 * Create the view over `db` (lazy: a validator's summary is read on its first check).
 *
 * @example
 * const view = createProtectionView(SlashingProtectionDb.open(dir, { genesisValidatorsRoot }));
 */
export function createProtectionView(db: SlashingProtectionDb): ProtectionView {
  // Every validator's summary, from ONE minimal export on first use (a validator without records
  // has none until this process's signer records one: it is the database's only writer).
  let summaries: Map<PubkeyHex, Summary> | undefined;
  const load = (pk: PubkeyHex): Summary => {
    if (!summaries) {
      summaries = new Map();
      for (const rec of db.exportInterchange({ format: "minimal" }).data) {
        const s: Summary = {};
        const a = rec.signed_attestations[0];
        if (a) {
          s.source = BigInt(a.source_epoch);
          s.target = BigInt(a.target_epoch);
          if (a.signing_root) s.targetRoot = a.signing_root.toLowerCase();
        }
        const b = rec.signed_blocks[0];
        if (b) {
          s.slot = BigInt(b.slot);
          if (b.signing_root) s.slotRoot = b.signing_root.toLowerCase();
        }
        summaries.set(rec.pubkey.toLowerCase(), s);
      }
    }
    let s = summaries.get(pk);
    if (!s) {
      s = {};
      summaries.set(pk, s);
    }
    return s;
  };
  return {
    attestationOk(pk, source, target, signingRoot) {
      if (source > target) return false;
      const s = load(pk);
      if (s.target === undefined || s.source === undefined) return true;
      if (target === s.target && source === s.source && s.targetRoot === toHex(signingRoot)) {
        return true; // exact repeat
      }
      return source >= s.source && target > s.target;
    },
    blockOk(pk, slot, signingRoot) {
      const s = load(pk);
      if (s.slot === undefined) return true;
      if (slot === s.slot) return s.slotRoot === toHex(signingRoot);
      return slot > s.slot;
    },
    recordAttestation(pk, source, target, signingRoot) {
      const s = load(pk);
      if (s.source === undefined || source > s.source) s.source = source;
      if (s.target === undefined || target > s.target) {
        s.target = target;
        s.targetRoot = toHex(signingRoot);
      }
    },
    recordBlock(pk, slot, signingRoot) {
      const s = load(pk);
      if (s.slot === undefined || slot > s.slot) {
        s.slot = slot;
        s.slotRoot = toHex(signingRoot);
      }
    },
  };
}
