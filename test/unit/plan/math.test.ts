/** Planning math primitives against brute force and independently computed values. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bigRatioToNumber } from "../../../src/plan/math/bigRatio.js";
import { mixOverFactors } from "../../../src/plan/math/commonMode.js";
import {
  hypergeometricTail,
  hypergeometricWeights,
} from "../../../src/plan/math/hypergeometric.js";
import { hypergeometricTailLog } from "../../../src/plan/math/hypergeometricLog.js";
import { logFactorial } from "../../../src/plan/math/logFactorial.js";
import { meanInterval } from "../../../src/plan/math/meanInterval.js";
import { poissonBinomialPmf, poissonBinomialTail } from "../../../src/plan/math/poissonBinomial.js";
import { createRng } from "../../../src/plan/math/rng.js";
import { wilsonInterval } from "../../../src/plan/math/wilson.js";

const close = (a: number, b: number, rel = 1e-12, abs = 1e-300) =>
  assert.ok(Math.abs(a - b) <= Math.max(abs, rel * Math.abs(b)), `${a} vs ${b}`);

/** All k-subsets of {0..n-1} as bitmasks. */
function* subsets(n: number, k: number): Generator<number> {
  for (let m = 0; m < 1 << n; m++) {
    let c = 0;
    for (let x = m; x; x &= x - 1) c++;
    if (c === k) yield m;
  }
}

describe("seeded RNG", () => {
  test("same seed → same stream, different seed → different stream", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    assert.deepEqual(
      sa,
      Array.from({ length: 8 }, () => b.nextU32()),
    );
    assert.notDeepEqual(
      sa,
      Array.from({ length: 8 }, () => c.nextU32()),
    );
  });
  test("int(n) is uniform (chi-square, 6 cells, 60k draws, p≈0.001 critical value)", () => {
    const rng = createRng(7);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]++;
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    assert.ok(chi2 < 20.5, `chi2 ${chi2}`);
    const big = 3_000_001; // above 2^21: the plain-rejection branch
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(big);
      assert.ok(Number.isInteger(v) && v >= 0 && v < big);
    }
    const u = Array.from({ length: 10_000 }, () => rng.next());
    assert.ok(u.every((x) => x >= 0 && x < 1));
    close(u.reduce((s, x) => s + x, 0) / u.length, 0.5, 0.02);
  });
});

describe("Wilson interval and mean interval", () => {
  test("known values (Brown, Cai & DasGupta 2001 formula)", () => {
    const [lo, hi] = wilsonInterval(0, 10);
    assert.equal(lo, 0);
    close(hi, 0.27753279986288, 1e-9);
    const [l2, h2] = wilsonInterval(50, 100);
    close(l2, 0.40383153, 1e-6);
    close(h2, 0.59616847, 1e-6);
  });
  test("mean interval of a constant has zero width; simple mean and sd", () => {
    assert.deepEqual(meanInterval([3, 3, 3]).ci95, [3, 3]);
    const m = meanInterval([1, 2, 3, 4]);
    assert.equal(m.mean, 2.5);
    close(m.sd, Math.sqrt(5 / 3));
  });
});

describe("exact ratio and log factorial", () => {
  test("bigRatioToNumber handles huge and tiny ratios", () => {
    assert.equal(bigRatioToNumber(1n, 3n), 1 / 3);
    close(bigRatioToNumber(10n ** 400n, 3n * 10n ** 400n), 1 / 3, 1e-15);
    close(bigRatioToNumber(1n, 10n ** 320n), 1e-320, 1e-3, 0);
    assert.equal(bigRatioToNumber(0n, 5n), 0);
  });
  test("logFactorial: table and Stirling branches match direct sums", () => {
    let s = 0;
    for (let i = 1; i <= 1000; i++) {
      s += Math.log(i);
      if (i === 10 || i === 255 || i === 256 || i === 300 || i === 1000)
        close(logFactorial(i), s, 1e-13);
    }
  });
});

describe("hypergeometric", () => {
  test("exact weights = brute-force count of subsets (N = 12)", () => {
    for (const K of [0, 3, 7, 12])
      for (const n of [0, 1, 5, 12]) {
        const counts = new Array(n + 1).fill(0n);
        for (const m of subsets(12, n)) {
          let x = 0;
          for (let i = 0; i < K; i++) if (m & (1 << i)) x++;
          counts[x]++;
        }
        const w = hypergeometricWeights(12, K, n);
        assert.deepEqual(w.weights, counts);
        assert.equal(
          w.total,
          counts.reduce((a: bigint, b: bigint) => a + b, 0n),
        );
      }
  });
  test("bigint and log-space agree on large pools; tails are monotone", () => {
    for (const [N, K, n, k] of [
      [1_000_000, 600_000, 13, 9],
      [1_000_000, 10_000, 13, 5],
      [50_000, 20_000, 400, 200],
    ] as const) {
      const exact = hypergeometricTail(N, K, n, k);
      close(hypergeometricTailLog(N, K, n, k), exact, 1e-8);
      assert.ok(hypergeometricTail(N, K, n, k + 1) <= exact);
    }
    // A tail far below double-precision 1 − x: still exact, positive.
    const tiny = hypergeometricTail(1_000_000, 1_000, 13, 9);
    assert.ok(tiny > 0 && tiny < 1e-20);
    close(hypergeometricTailLog(1_000_000, 1_000, 13, 9), tiny, 1e-6);
  });
});

describe("Poisson-binomial", () => {
  test("DP = brute-force enumeration of 2^n outcomes", () => {
    const ps = [0.1, 0.5, 0.03, 0.9, 0.27, 0.6, 0.001];
    const brute = new Array(ps.length + 1).fill(0);
    for (let m = 0; m < 1 << ps.length; m++) {
      let w = 1;
      let k = 0;
      ps.forEach((p, i) => {
        const on = (m >> i) & 1;
        w *= on ? p : 1 - p;
        k += on;
      });
      brute[k] += w;
    }
    poissonBinomialPmf(ps).forEach((v, k) => {
      close(v, brute[k], 1e-12, 1e-18);
    });
    close(
      poissonBinomialTail(ps, 3),
      brute.slice(3).reduce((a, b) => a + b, 0),
      1e-12,
    );
    assert.equal(poissonBinomialTail(ps, 0), 1);
  });
  test("equal probabilities reduce to the binomial", () => {
    const p = 0.05;
    const pmf = poissonBinomialPmf([p, p, p, p]);
    close(pmf[2] ?? 0, 6 * p * p * (1 - p) ** 2);
  });
  test("rejects probabilities outside [0, 1]", () => {
    assert.throws(() => poissonBinomialPmf([1.5]), RangeError);
  });
});

describe("common-mode mixture", () => {
  test("equals direct enumeration of two factors", () => {
    const q = [0.1, 0.3];
    const f = ([a, b]: boolean[]) => (a ? 1 : 0.5) * (b ? 0.2 : 0.01);
    const direct =
      0.9 * 0.7 * f([false, false]) +
      0.1 * 0.7 * f([true, false]) +
      0.9 * 0.3 * f([false, true]) +
      0.1 * 0.3 * f([true, true]);
    close(mixOverFactors(q, f), direct);
    close(
      mixOverFactors([], () => 0.42),
      0.42,
    );
  });
});
