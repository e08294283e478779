/**
 * Shared command plumbing: every action runs through {@link runAction}, which prints rpdvt errors
 * as "Error: <shortMessage>" plus where/what-to-do lines and a "Docs:" line naming the section of
 * docs/errors.md for that kind of error (never a stack trace), and sets exit code 1.
 * Unexpected errors print their message only; `RPDVT_DEBUG=1` adds the stack.
 */
import { BaseError } from "../errors.js";
import { toHex } from "../util/hex.js";

/**
 * Wrap a commander action so that errors become clear messages and a non-zero exit code.
 *
 * @example
 * cmd.action(runAction(async (opts) => { ... }));
 */
export function runAction<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(`${formatError(err)}\n`);
      if (process.env.RPDVT_DEBUG && err instanceof Error && err.stack)
        process.stderr.write(`${err.stack}\n`);
    }
  };
}

/**
 * Render an error for a human: short message first, then details and hints.
 *
 * @example
 * formatError(new InputError("bad", { file: "x.json" }))
 * // "Error: bad\n  File: x.json\n  Docs: docs/errors.md#inputerror"
 */
export function formatError(err: unknown): string {
  if (err instanceof BaseError) {
    const lines = [`Error: ${err.shortMessage}`, ...err.metaMessages.map((m) => `  ${m}`)];
    if (err.details && err.details !== err.shortMessage) lines.push(`  Details: ${err.details}`);
    lines.push(`  Docs: ${err.docsPath}`);
    return lines.join("\n");
  }
  return `Error: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Print data as one JSON line on stdout (for `--json`). Uint8Array/bigint values become hex/strings.
 *
 * @example
 * printJson({ validators: 3 });
 */
export function printJson(data: unknown): void {
  process.stdout.write(
    `${JSON.stringify(data, (_k, v) =>
      typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v,
    )}\n`,
  );
}
