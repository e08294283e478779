/**
 * The result every `verify*` function returns (SSV keyshares, Obol, Dirk, …), printed by the
 * `verify` command as text or `--json`. A verifier throws on the first failed check; a report
 * means every listed check passed.
 */

/**
 * What a verifier checked and found.
 *
 * @example
 * const report: VerifyReport = {
 *   format: "ssv-keyshares v1.1.0",
 *   file: "/out/keyshares.json",
 *   validators: 2,
 *   operators: [11, 22, 33, 44],
 *   threshold: 3,
 *   checks: ["ownership signatures valid (2)"],
 * };
 */
export type VerifyReport = {
  /** Format and version, e.g. "ssv-keyshares v1.2.0". */
  format: string;
  /** The verified file or directory. */
  file: string;
  /** Number of validators in it. */
  validators: number;
  /** Operator (share) ids, ascending. */
  operators: number[];
  /** Shares needed to sign (2F+1). */
  threshold: number;
  /** One line per check that passed, human-readable. */
  checks: string[];
};
