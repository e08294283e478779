/**
 * Error hierarchy (after viem, src/errors/base.ts): every error rpdvt raises derives from
 * {@link BaseError} and carries a one-line `shortMessage`, optional `details` (what exactly was
 * wrong), `metaMessages` (where and what to do), the original `cause`, and a `docsPath`: the
 * section of docs/errors.md that says what this kind of error means and what to do about it
 * (viem's `docsPath`). `walk()` follows the `cause` chain (viem's `BaseError.walk`). The CLI
 * prints these, never a stack trace, and ends with a "Docs:" line (src/cli/run.ts formatError);
 * `message` itself does not include it, so programmatic users and logs see it unchanged.
 *
 * Every subclass that is its own kind of error sets `static override docsPath` to its section
 * (test/unit/errors.test.ts checks each one exists in docs/errors.md).
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
  /** A more specific docs/errors.md section than the class's (rarely needed). */
  docsPath?: string | undefined;
};

/**
 * The docs/errors.md section of an error class: "docs/errors.md#" + the heading's anchor.
 *
 * @example
 * errorDocsPath("inputerror") // "docs/errors.md#inputerror"
 */
export function errorDocsPath(anchor: string): string {
  return `docs/errors.md#${anchor}`;
}

/**
 * Follow `err`'s `cause` chain (viem's `walk`): without `fn`, the innermost cause; with `fn`,
 * the first error in the chain (starting with `err` itself) for which `fn` is true, else null.
 * Stops after 100 links, so a cyclic chain cannot hang it.
 *
 * @example
 * const root = walk(err); // the original error, e.g. the ECONNREFUSED under a BeaconApiError
 * const input = walk(err, (e) => e instanceof InputError); // or null
 */
export function walk(err: unknown, fn?: (err: unknown) => boolean): unknown {
  let current = err;
  for (let depth = 0; depth < 100; depth++) {
    if (fn?.(current)) return current;
    const next =
      current !== null && typeof current === "object" && "cause" in current
        ? (current as { cause?: unknown }).cause
        : undefined;
    if (next === undefined) break;
    current = next;
  }
  return fn ? null : current;
}

/**
 * Root of all rpdvt errors.
 *
 * @example
 * throw new BaseError("Cluster size 5 is not supported", {
 *   metaMessages: ["Use one of 4, 7, 10, 13 (n = 3F+1)."],
 * });
 */
export class BaseError extends Error {
  /** docs/errors.md section of this class (subclasses override it). */
  static docsPath: string = errorDocsPath("baseerror");
  override name = "RpdvtError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly metaMessages: string[];
  /** Where docs/errors.md explains this error and what to do. */
  readonly docsPath: string;

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
    this.docsPath = params.docsPath ?? (new.target as typeof BaseError).docsPath;
  }

  /**
   * This error's cause chain (see {@link walk}): the innermost cause, or the first error
   * (this one included) for which `fn` is true, else null.
   *
   * @example
   * const code = (err.walk() as NodeJS.ErrnoException).code; // e.g. "ECONNREFUSED"
   */
  walk(fn?: (err: unknown) => boolean): unknown {
    return walk(this, fn);
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
  static override docsPath = errorDocsPath("inputerror");
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
  static override docsPath = errorDocsPath("verificationerror");
  override name = "VerificationError";
}

/**
 * An output could not be written (not writable, disk full). Nothing partial is left behind.
 *
 * @example
 * throw new OutputError("Cannot write output directory", { details: "EACCES", metaMessages: ["Path: /out"] });
 */
export class OutputError extends BaseError {
  static override docsPath = errorDocsPath("outputerror");
  override name = "OutputError";
}
