/**
 * Exact P(at least one of the m = ⌊N/g⌋ groups gets ≥ k attacker shares) for a uniformly random
 * partition. Placing the a attacker shares uniformly among the N seats (m groups of g, plus
 * r = N mod g leftover seats), the number of placements with every group below k is the
 * coefficient [x^a] Q(x)^m (1+x)^r with Q(x) = Σ_{c<k} C(g,c) x^c (a generating-function count;
 * e.g. Flajolet & Sedgewick, "Analytic Combinatorics", 2009, §I.3); divide by C(N, a). Bigint
 * polynomial arithmetic truncated at degree a: O(m·a·k) operations, so it is skipped (null) for
 * very large pools.
 */
import { bigRatioToNumber } from "../math/bigRatio.js";

/** Work limit (m·(a+1)·k multiply-adds) above which the exact count is skipped. */
export const ANY_GROUP_WORK_LIMIT = 3_000_000;

/**
 * P(some group among ⌊(a+b)/g⌋ holds ≥ k attacker shares); null above {@link ANY_GROUP_WORK_LIMIT}.
 *
 * @example
 * probabilityAnyGroupReaches(2, 2, 2, 2); // 1/3: the two attacker shares land in the same pair
 */
export function probabilityAnyGroupReaches(
  a: number,
  b: number,
  g: number,
  k: number,
): number | null {
  const N = a + b;
  const m = Math.floor(N / g);
  const r = N - m * g;
  if (k <= 0) return 1;
  if (m * (a + 1) * Math.min(k, g + 1) > ANY_GROUP_WORK_LIMIT) return null;
  const q: bigint[] = binomials(g).slice(0, Math.min(k, g + 1));
  let poly: bigint[] = [1n];
  for (let i = 0; i < m; i++) poly = multiplyTruncated(poly, q, a);
  poly = multiplyTruncated(poly, binomials(r), a);
  const good = poly[a] ?? 0n;
  const total = binomials(N, a)[a] ?? 1n;
  return 1 - bigRatioToNumber(good, total);
}

function multiplyTruncated(p: readonly bigint[], q: readonly bigint[], maxDeg: number): bigint[] {
  const out = new Array<bigint>(Math.min(p.length + q.length - 1, maxDeg + 1)).fill(0n);
  for (let i = 0; i < p.length && i <= maxDeg; i++) {
    const pi = p[i] ?? 0n;
    if (pi === 0n) continue;
    for (let j = 0; j < q.length && i + j <= maxDeg; j++) {
      out[i + j] = (out[i + j] ?? 0n) + pi * (q[j] ?? 0n);
    }
  }
  return out;
}

/** C(n, j) for j = 0..min(n, upTo). */
function binomials(n: number, upTo = n): bigint[] {
  const row: bigint[] = [1n];
  let c = 1n;
  for (let j = 0; j < Math.min(n, upTo); j++) {
    c = (c * BigInt(n - j)) / BigInt(j + 1);
    row.push(c);
  }
  return row;
}
