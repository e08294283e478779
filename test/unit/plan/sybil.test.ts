/**
 * Sybil analysis: exact hypergeometric values against brute-force enumeration of every partition
 * of small pools and an independent float computation of the forum example; Monte Carlo against
 * exact within its Wilson 95% interval; CLI contract and input errors.
 *
 * Forum example (8-share groups, attacker 100 shares, honest 30, pool 130 → 16 groups + 2 left over):
 *   t = 6 (default ⌈2·8/3⌉): P(control) = 0.72951, P(block: ≥ 3) = 0.99806, E[controlled] = 11.672
 *   t = 5: P(control) = 0.91771;  t = 7: P(control) = 0.41025
 *   P(≥ 1 group controlled) = 1 exactly (pigeonhole: 16·5 + 2 = 82 < 100 shares).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planCommand } from "../../../src/cli/plan.js";
import { InputError } from "../../../src/errors.js";
import { sybilExact } from "../../../src/plan/sybil/exact.js";
import { sybilMonteCarlo } from "../../../src/plan/sybil/monteCarlo.js";
import { runCommand } from "../../helpers.js";

const close = (a: number, b: number, rel = 1e-12) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300), `${a} vs ${b}`);

/** Independent float computation of C(K,i)C(N−K,n−i)/C(N,n), summed for i ≥ k. */
function floatTail(N: number, K: number, n: number, k: number): number {
  const C = (a: number, b: number) => {
    if (b < 0 || b > a) return 0;
    let c = 1;
    for (let i = 0; i < b; i++) c = (c * (a - i)) / (i + 1);
    return c;
  };
  let s = 0;
  for (let i = k; i <= n; i++) s += C(K, i) * C(N - K, n - i);
  return s / C(N, n);
}

/** Every permutation of a multiset of a ones and b zeros (as seat assignments) — brute force. */
function bruteForce(a: number, b: number, g: number, t: number) {
  const N = a + b;
  const m = Math.floor(N / g);
  let total = 0;
  let groupCtl = 0;
  let groupBlk = 0;
  let anyCtl = 0;
  // Enumerate which seats hold attacker shares: all a-subsets of N seats are equally likely.
  for (let mask = 0; mask < 1 << N; mask++) {
    let bits = 0;
    for (let x = mask; x; x &= x - 1) bits++;
    if (bits !== a) continue;
    total++;
    let any = false;
    for (let grp = 0; grp < m; grp++) {
      let x = 0;
      for (let i = grp * g; i < (grp + 1) * g; i++) if (mask & (1 << i)) x++;
      if (x >= t) {
        groupCtl++;
        any = true;
      }
      if (x >= g - t + 1) groupBlk++;
    }
    if (any) anyCtl++;
  }
  return {
    pControl: groupCtl / (total * m),
    pBlock: groupBlk / (total * m),
    expectedControlled: groupCtl / total,
    pAny: anyCtl / total,
  };
}

describe("Sybil exact", () => {
  test("matches brute force over every placement for small pools", () => {
    for (const [a, b, g, t] of [
      [5, 5, 4, 3],
      [7, 6, 4, 3],
      [3, 11, 4, 3],
      [9, 5, 7, 5],
      [6, 8, 3, 2],
      [2, 2, 2, 2],
    ] as const) {
      const e = sybilExact({ attackerShares: a, honestShares: b, groupSize: g, threshold: t });
      const bf = bruteForce(a, b, g, t);
      close(e.pControl, bf.pControl, 1e-12);
      close(e.pBlock, bf.pBlock, 1e-12);
      close(e.expectedControlledGroups, bf.expectedControlled, 1e-12);
      assert.ok(e.pAnyControlled !== null);
      close(e.pAnyControlled ?? Number.NaN, bf.pAny, 1e-12);
    }
  });

  test("forum example: 100 attacker, 30 honest, groups of 8", () => {
    const e = sybilExact({ attackerShares: 100, honestShares: 30, groupSize: 8 });
    assert.equal(e.threshold, 6);
    assert.equal(e.groups, 16);
    assert.equal(e.leftoverShares, 2);
    close(e.pControl, floatTail(130, 100, 8, 6), 1e-12);
    close(e.pBlock, floatTail(130, 100, 8, 3), 1e-12);
    assert.equal(e.pControl.toFixed(5), "0.72951");
    assert.equal(e.pBlock.toFixed(5), "0.99806");
    assert.equal(e.expectedControlledGroups.toFixed(3), "11.672");
    assert.equal(e.pAnyControlled, 1); // pigeonhole: 16·5 + 2 < 100
    for (const [t, want] of [
      [5, "0.91771"],
      [7, "0.41025"],
    ] as const) {
      const r = sybilExact({ attackerShares: 100, honestShares: 30, groupSize: 8, threshold: t });
      assert.equal(r.pControl.toFixed(5), want);
    }
  });

  test("large pools do not overflow and match the float formula where it is valid", () => {
    const e = sybilExact({ attackerShares: 300_000, honestShares: 700_000, groupSize: 13 });
    assert.equal(e.threshold, 9);
    close(e.pControl, floatTail(1_000_000, 300_000, 13, 9), 1e-9);
    assert.equal(e.pAnyControlled, null); // too large for the exact any-group count
    assert.ok(Number.isFinite(e.expectedControlledGroups));
  });

  test("invalid inputs are InputErrors naming the field", () => {
    const bad = [
      [{ attackerShares: -1, honestShares: 3, groupSize: 2 }, "attackerShares"],
      [{ attackerShares: 1.5, honestShares: 3, groupSize: 2 }, "attackerShares"],
      [{ attackerShares: 1, honestShares: 3, groupSize: 5 }, "groupSize"],
      [{ attackerShares: 4, honestShares: 3, groupSize: 4, threshold: 5 }, "threshold"],
    ] as const;
    for (const [input, field] of bad) {
      assert.throws(
        () => sybilExact(input),
        (e: unknown) => e instanceof InputError && e.field === field,
      );
    }
  });
});

describe("Sybil Monte Carlo", () => {
  test("forum example: exact values inside the Wilson / normal 95% intervals; 100k trials < 2 s", () => {
    const p = { attackerShares: 100, honestShares: 30, groupSize: 8 };
    const e = sybilExact(p);
    const t0 = performance.now();
    const mc = sybilMonteCarlo(p, { trials: 100_000, seed: 1 });
    const ms = performance.now() - t0;
    assert.ok(mc.ci95[0] <= e.pControl && e.pControl <= mc.ci95[1], JSON.stringify(mc.ci95));
    assert.ok(mc.pBlockCi95[0] <= e.pBlock && e.pBlock <= mc.pBlockCi95[1]);
    const [lo, hi] = mc.expectedControlledGroupsCi95;
    assert.ok(lo <= e.expectedControlledGroups && e.expectedControlledGroups <= hi);
    assert.equal(mc.pAnyControlled, 1);
    assert.ok(mc.ci95[1] - mc.ci95[0] < 0.002); // the interval is informative
    assert.ok(ms < 2000, `100k trials took ${ms.toFixed(0)} ms`);
    process.stderr.write(`# sybil Monte Carlo: 100k trials of 130 shares in ${ms.toFixed(0)} ms\n`);
  });

  test("rare events and P(any) agree with exact values (small-attacker case)", () => {
    const p = { attackerShares: 12, honestShares: 88, groupSize: 4 };
    const e = sybilExact(p);
    const mc = sybilMonteCarlo(p, { trials: 40_000, seed: 3 });
    assert.ok(mc.ci95[0] <= e.pControl && e.pControl <= mc.ci95[1]);
    const any = e.pAnyControlled ?? Number.NaN;
    assert.ok(mc.pAnyControlledCi95[0] <= any && any <= mc.pAnyControlledCi95[1]);
    // reproducible
    assert.deepEqual(
      sybilMonteCarlo(p, { trials: 1000, seed: 9 }),
      sybilMonteCarlo(p, { trials: 1000, seed: 9 }),
    );
  });
});

/** Run `plan …` capturing stdout/stderr and the exit code. */
const runPlan = (args: string[]) => runCommand(planCommand(), args);

describe("plan sybil CLI", () => {
  test("--json prints the contract object", async () => {
    const r = await runPlan([
      "sybil",
      "--attacker-shares",
      "100",
      "--honest-shares",
      "30",
      "--group-size",
      "8",
      "--threshold",
      "6",
      "--trials",
      "20000",
      "--seed",
      "5",
      "--json",
    ]);
    assert.equal(r.code, undefined, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.pControl.toFixed(5), "0.72951");
    assert.equal(j.pBlock.toFixed(5), "0.99806");
    assert.equal(j.expectedControlledGroups.toFixed(3), "11.672");
    assert.equal(j.monteCarlo.trials, 20000);
    assert.ok(j.monteCarlo.ci95[0] <= j.pControl && j.pControl <= j.monteCarlo.ci95[1]);
  });

  test("invalid flags → InputError naming the flag, exit code 1", async () => {
    const base = ["--attacker-shares", "10", "--honest-shares", "10", "--group-size", "4"];
    const cases: Array<[string[], string]> = [
      [
        ["sybil", "--attacker-shares", "-3", "--honest-shares", "1", "--group-size", "1"],
        "--attacker-shares",
      ],
      [
        ["sybil", "--attacker-shares", "2.5", "--honest-shares", "1", "--group-size", "1"],
        "--attacker-shares",
      ],
      [
        ["sybil", "--attacker-shares", "1", "--honest-shares", "1", "--group-size", "3"],
        "--group-size",
      ],
      [["sybil", ...base, "--threshold", "5"], "--threshold"],
      [["sybil", ...base, "--trials", "0"], "--trials"],
      [["sybil", "--honest-shares", "1", "--group-size", "1"], "--attacker-shares"],
    ];
    for (const [args, flag] of cases) {
      const r = await runPlan(args);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, /^Error: /);
      assert.ok(r.stderr.includes(`Field: ${flag}`), r.stderr);
      assert.equal(r.stdout, "");
    }
  });
});
