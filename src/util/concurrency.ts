/**
 * Bounded concurrency for KDF-heavy work: scrypt and pbkdf2 run on libuv's thread pool, so a few
 * encryptions/decryptions in flight keep the cores busy without queueing hundreds of them (scrypt
 * n=2^18, r=8 needs 256 MiB per call).
 */
import { availableParallelism } from "node:os";

/**
 * Default concurrency: one job per available core.
 *
 * @example
 * await mapConcurrent(items, defaultConcurrency(), work);
 */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}

/**
 * How many keystores to encrypt/decrypt at once. scrypt n=2^18, r=8 needs 256 MiB per call
 * (128·n·r bytes, EIP-2335 defaults), so heavy scrypt runs 2 at a time; otherwise up to 4 (the
 * default libuv thread-pool size, which runs Node's scrypt/pbkdf2). `kdf` is the EIP-2335 KDF
 * name (crypto/eip2335.ts `KdfChoice`, spelled out here so util/ stays below crypto/).
 *
 * @example
 * const limit = kdfConcurrency("scrypt", {}); // 2
 */
export function kdfConcurrency(
  kdf: "scrypt" | "pbkdf2",
  params: { n?: number; c?: number } = {},
): number {
  const cores = Math.max(1, Math.min(4, availableParallelism()));
  if (kdf === "scrypt" && (params.n ?? 2 ** 18) >= 2 ** 16) return Math.min(2, cores);
  return cores;
}

/**
 * Map `items` through async `fn` with at most `limit` calls in flight; results keep input order.
 * On the first failure no new item starts, running ones finish, and that first error is thrown.
 *
 * @example
 * const secrets = await mapConcurrent(jobs, kdfConcurrency("scrypt"), (j) => decrypt(j));
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw firstError;
  return results;
}
