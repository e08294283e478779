/**
 * Validating untrusted JSON with zod: a failed parse becomes an InputError naming the file and the
 * first offending field (with the schema's own message as details), never a zod stack.
 */
import type { z } from "zod";
import { InputError } from "../errors.js";

/**
 * Turn a zod error into an InputError naming the first offending field. An unknown
 * `…kdf.function` (the keystores' KDF) gets a hint naming the KDFs EIP-2335 allows.
 *
 * @example
 * const r = schema.safeParse(json);
 * if (!r.success) throw zodInputError("Not a valid EIP-2335 keystore", r.error, file);
 */
export function zodInputError(message: string, error: z.ZodError, file?: string): InputError {
  const issue = error.issues[0];
  const field = issue?.path.join(".") || undefined;
  const unknownKdf = field?.endsWith("kdf.function")
    ? "Unsupported KDF: EIP-2335 keystores use scrypt or pbkdf2 (hmac-sha256)."
    : undefined;
  return new InputError(message, {
    file,
    field,
    details: issue?.message,
    metaMessages: unknownKdf ? [unknownKdf] : undefined,
  });
}

/**
 * Validate parsed JSON with a zod schema; failures become an InputError naming the file and field.
 *
 * @example
 * const w = parseWith(walletFileSchema, json, "Not a valid Smartnode wallet file", "/data/wallet");
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  json: unknown,
  message: string,
  file?: string,
): z.output<S> {
  const r = schema.safeParse(json);
  if (!r.success) throw zodInputError(message, r.error, file);
  return r.data;
}
