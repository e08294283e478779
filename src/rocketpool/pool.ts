/**
 * Bounded concurrency for KDF-heavy work (scrypt/pbkdf2 run on libuv's thread pool, so a few
 * decryptions in flight keep every core busy without allocating 256 MiB per queued scrypt).
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
 * Map `items` through async `fn` with at most `limit` calls in flight; results keep input order.
 * On the first failure no new item starts, running ones finish, and that first error is thrown.
 *
 * @example
 * const secrets = await mapConcurrent(jobs, defaultConcurrency(), (j) => decrypt(j));
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
