/**
 * Errors of the slashing-protection database. A refusal to sign is a {@link SlashingProtectionError}
 * carrying a machine-readable `code`, the validator's public key and the conflicting record (so an
 * operator can see *why* a signature was refused). Only public data goes in here: public keys,
 * slots, epochs and signing roots — never key material.
 *
 * Rule names follow EIP-3076 "Conditions" (1)–(5) and consensus-specs
 * `is_slashable_attestation_data` / `process_proposer_slashing`.
 */
import { BaseError, errorDocsPath } from "../errors.js";

/** Why a signature was refused (or why the database could not be used). */
export type SlashingProtectionCode =
  /** Same slot, different (or unknown) signing root — `process_proposer_slashing`, EIP-3076 (1). */
  | "DOUBLE_BLOCK_PROPOSAL"
  /** slot <= low watermark — EIP-3076 condition (2). */
  | "BLOCK_SLOT_BELOW_WATERMARK"
  /** Same target, different (or unknown) signing root — `is_slashable_attestation_data` (double vote). */
  | "DOUBLE_VOTE"
  /** New attestation surrounds an existing one — `is_slashable_attestation_data` (surround vote). */
  | "SURROUNDING_VOTE"
  /** New attestation is surrounded by an existing one — `is_slashable_attestation_data`. */
  | "SURROUNDED_VOTE"
  /** source > target: never a valid attestation (consensus-specs `is_valid_indexed_attestation` inputs). */
  | "SOURCE_EXCEEDS_TARGET"
  /** source < low watermark — EIP-3076 condition (4). */
  | "SOURCE_BELOW_WATERMARK"
  /** target <= low watermark — EIP-3076 condition (5). */
  | "TARGET_BELOW_WATERMARK"
  /** The database belongs to another network (genesis_validators_root differs). */
  | "WRONG_NETWORK"
  /** The database file was written by a newer rpdvt (unknown schema version). */
  | "UNSUPPORTED_SCHEMA";

/** The record a refused request conflicts with (public data only). */
export type ConflictingRecord =
  | { kind: "block"; slot: bigint; signingRoot: string | null }
  | { kind: "attestation"; sourceEpoch: bigint; targetEpoch: bigint; signingRoot: string | null }
  | { kind: "watermark"; slot?: bigint; sourceEpoch?: bigint; targetEpoch?: bigint }
  | { kind: "network"; genesisValidatorsRoot: string };

/** What was asked for when the refusal happened. */
export type SigningRequest =
  | { kind: "block"; slot: bigint; signingRoot: string }
  | { kind: "attestation"; sourceEpoch: bigint; targetEpoch: bigint; signingRoot: string };

function describeRecord(r: ConflictingRecord): string {
  const root = (x: string | null) => (x === null ? "unknown (imported without signing_root)" : x);
  switch (r.kind) {
    case "block":
      return `existing block slot=${r.slot} signing_root=${root(r.signingRoot)}`;
    case "attestation":
      return `existing attestation source=${r.sourceEpoch} target=${r.targetEpoch} signing_root=${root(r.signingRoot)}`;
    case "watermark":
      return `low watermark ${[
        r.slot !== undefined ? `slot=${r.slot}` : "",
        r.sourceEpoch !== undefined ? `source=${r.sourceEpoch}` : "",
        r.targetEpoch !== undefined ? `target=${r.targetEpoch}` : "",
      ]
        .filter(Boolean)
        .join(" ")}`;
    case "network":
      return `database genesis_validators_root=${r.genesisValidatorsRoot}`;
  }
}

const SHORT: Record<SlashingProtectionCode, string> = {
  DOUBLE_BLOCK_PROPOSAL: "Refused to sign: double block proposal",
  BLOCK_SLOT_BELOW_WATERMARK: "Refused to sign: block slot is at or below the low watermark",
  DOUBLE_VOTE: "Refused to sign: double vote",
  SURROUNDING_VOTE: "Refused to sign: attestation would surround an earlier one",
  SURROUNDED_VOTE: "Refused to sign: attestation would be surrounded by an earlier one",
  SOURCE_EXCEEDS_TARGET: "Refused to sign: attestation source epoch is greater than its target",
  SOURCE_BELOW_WATERMARK: "Refused to sign: attestation source epoch is below the low watermark",
  TARGET_BELOW_WATERMARK:
    "Refused to sign: attestation target epoch is at or below the low watermark",
  WRONG_NETWORK: "Slashing-protection database belongs to another network",
  UNSUPPORTED_SCHEMA: "Slashing-protection database has an unsupported schema version",
};

/**
 * The slashing-protection database refused a request. `conflict` is the record that makes the
 * request unsafe; `details` repeats it in words.
 *
 * @example
 * try {
 *   db.checkAndInsertBlock(pubkey, 100n, root);
 * } catch (err) {
 *   if (err instanceof SlashingProtectionError && err.code === "DOUBLE_BLOCK_PROPOSAL") skipDuty();
 *   else throw err;
 * }
 */
export class SlashingProtectionError extends BaseError {
  static override docsPath = errorDocsPath("slashingprotectionerror");
  override name = "SlashingProtectionError";
  readonly code: SlashingProtectionCode;
  readonly pubkey: string | undefined;
  readonly request: SigningRequest | undefined;
  readonly conflict: ConflictingRecord | undefined;

  constructor(
    code: SlashingProtectionCode,
    params: {
      pubkey?: string | undefined;
      request?: SigningRequest | undefined;
      conflict?: ConflictingRecord | undefined;
      metaMessages?: string[] | undefined;
      file?: string | undefined;
    } = {},
  ) {
    const req = params.request;
    const asked =
      req === undefined
        ? undefined
        : req.kind === "block"
          ? `requested block slot=${req.slot} signing_root=${req.signingRoot}`
          : `requested attestation source=${req.sourceEpoch} target=${req.targetEpoch} signing_root=${req.signingRoot}`;
    super(SHORT[code], {
      details: [asked, params.conflict ? `conflicts with ${describeRecord(params.conflict)}` : ""]
        .filter(Boolean)
        .join("; "),
      metaMessages: [
        ...(params.pubkey ? [`Validator: ${params.pubkey}`] : []),
        ...(params.file ? [`File: ${params.file}`] : []),
        ...(params.metaMessages ?? []),
      ],
    });
    this.code = code;
    this.pubkey = params.pubkey;
    this.request = req;
    this.conflict = params.conflict;
  }
}
