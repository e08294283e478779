/**
 * Which strategy each request kind uses over several beacon nodes (after Vouch's `strategies/`,
 * github.com/attestantio/vouch: attestationdata best|majority|first, beaconblockproposal
 * best|first; everything else first-success), and the `--beacon-strategy` flag that sets them:
 * `attestation=majority,proposal=best`.
 */
import { InputError } from "../../errors.js";

/**
 * Attestation data: `majority` (the data most nodes answered, ties to the newest head; Vouch
 * attestationdata/majority), `best` (highest source + target epoch, then nearest head; Vouch
 * attestationdata/best), `first` (first answer).
 *
 * @example
 * const s: AttestationStrategy = "majority";
 */
export type AttestationStrategy = "majority" | "best" | "first";

/**
 * Block proposal: `best` (highest execution + consensus value in wei; Vouch
 * beaconblockproposal/best), `first` (first answer).
 *
 * @example
 * const s: ProposalStrategy = "best";
 */
export type ProposalStrategy = "best" | "first";

/**
 * The strategy of each request kind.
 *
 * @example
 * const s: BeaconStrategies = { attestation: "majority", proposal: "best" };
 */
export type BeaconStrategies = { attestation: AttestationStrategy; proposal: ProposalStrategy };

/**
 * The default: majority attestation data, best block (what `--beacon-strategy` starts from).
 *
 * @example
 * parseBeaconStrategy("proposal=first") // { ...DEFAULT_BEACON_STRATEGIES, proposal: "first" }
 */
export const DEFAULT_BEACON_STRATEGIES: BeaconStrategies = {
  attestation: "majority",
  proposal: "best",
};

const CHOICES = {
  attestation: ["majority", "best", "first"],
  proposal: ["best", "first"],
} as const;

/**
 * Parse `kind=strategy[,kind=strategy]` (kinds: attestation, proposal); unnamed kinds keep the
 * default. Throws an {@link InputError} naming the flag, the bad part and the accepted values.
 *
 * @example
 * parseBeaconStrategy("attestation=best") // { attestation: "best", proposal: "best" }
 */
export function parseBeaconStrategy(text: string, field = "--beacon-strategy"): BeaconStrategies {
  const out: BeaconStrategies = { ...DEFAULT_BEACON_STRATEGIES };
  const seen = new Set<string>();
  const usage = "Example: --beacon-strategy attestation=majority,proposal=best";
  const parts = text.split(",").map((p) => p.trim());
  if (parts.every((p) => p === "")) {
    throw new InputError(`${field} is empty`, { field, metaMessages: [usage] });
  }
  for (const part of parts) {
    const [kind, value, extra] = part.split("=").map((s) => s.trim());
    if (kind === undefined || value === undefined || extra !== undefined || !value) {
      throw new InputError(`${field}: "${part}" is not kind=strategy`, {
        field,
        metaMessages: [usage],
      });
    }
    if (kind !== "attestation" && kind !== "proposal") {
      throw new InputError(`${field}: unknown request kind "${kind}"`, {
        field,
        metaMessages: [
          "Kinds: attestation, proposal (every other request is first-success).",
          usage,
        ],
      });
    }
    if (seen.has(kind)) {
      throw new InputError(`${field}: "${kind}" is given twice`, { field, metaMessages: [usage] });
    }
    seen.add(kind);
    const allowed: readonly string[] = CHOICES[kind];
    if (!allowed.includes(value)) {
      throw new InputError(`${field}: unknown ${kind} strategy "${value}"`, {
        field,
        metaMessages: [`${kind} strategies: ${allowed.join(", ")}.`, usage],
      });
    }
    if (kind === "attestation") out.attestation = value as AttestationStrategy;
    else out.proposal = value as ProposalStrategy;
  }
  return out;
}
