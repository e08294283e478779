/**
 * Error hierarchy (after viem): every error rpdvt raises derives from {@link BaseError} and carries a
 * one-line `shortMessage`, optional `details` (what exactly was wrong), `metaMessages` (where and
 * what to do) and the original `cause`. The CLI prints these, never a stack trace.
 *
 * Secrets never go into any of these fields.
 */

export type BaseErrorParameters = {
  /** What exactly was wrong (e.g. the underlying library message). */
  details?: string | undefined;
  /** Extra lines: where it happened, what to do about it. */
  metaMessages?: string[] | undefined;
  /** The error that caused this one. */
  cause?: unknown;
};

/**
 * Root of all rpdvt errors.
 *
 * @example
 * throw new BaseError("Cluster size 5 is not supported", {
 *   metaMessages: ["Use one of 4, 7, 10, 13 (n = 3F+1)."],
 * });
 */
export class BaseError extends Error {
  override name = "RpdvtError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly metaMessages: string[];

  constructor(shortMessage: string, params: BaseErrorParameters = {}) {
    const details =
      params.details ??
      (params.cause instanceof BaseError
        ? params.cause.details
        : params.cause instanceof Error
          ? params.cause.message
          : undefined);
    const metaMessages = params.metaMessages ?? [];
    const message = [
      shortMessage,
      ...(metaMessages.length ? ["", ...metaMessages] : []),
      ...(details && details !== shortMessage ? ["", `Details: ${details}`] : []),
    ].join("\n");
    super(message, params.cause === undefined ? undefined : { cause: params.cause });
    this.shortMessage = shortMessage;
    this.details = details;
    this.metaMessages = metaMessages;
  }
}

/**
 * Bad input from the user: a file, a flag, a field. Names the place (`file`, `field`) so the
 * message says where to look.
 *
 * @example
 * throw new InputError("Keystore checksum mismatch (wrong password?)", {
 *   file: "/data/validators/teku/keys/0xab.json",
 *   field: "crypto.checksum",
 * });
 */
export class InputError extends BaseError {
  override name = "InputError";
  readonly file: string | undefined;
  readonly field: string | undefined;

  constructor(
    shortMessage: string,
    params: BaseErrorParameters & { file?: string | undefined; field?: string | undefined } = {},
  ) {
    const where = [
      params.file ? `File: ${params.file}` : undefined,
      params.field ? `Field: ${params.field}` : undefined,
    ].filter((x): x is string => x !== undefined);
    super(shortMessage, { ...params, metaMessages: [...where, ...(params.metaMessages ?? [])] });
    this.file = params.file;
    this.field = params.field;
  }
}

/**
 * A cryptographic check failed on data that should be valid (bad signature, share that does not
 * interpolate, point not in the subgroup).
 *
 * @example
 * throw new VerificationError("Share public keys do not interpolate to the validator public key");
 */
export class VerificationError extends BaseError {
  override name = "VerificationError";
}

/**
 * An output could not be written (not writable, disk full). Nothing partial is left behind.
 *
 * @example
 * throw new OutputError("Cannot write output directory", { details: "EACCES", metaMessages: ["Path: /out"] });
 */
export class OutputError extends BaseError {
  override name = "OutputError";
}
