/**
 * Availability model: exact stationary values against independent closed forms (binomial k-of-n,
 * the failover formula for independent chains), Monte Carlo against exact within its 95% interval,
 * slashing formulas, and reward constants recomputed from the spec.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../../src/errors.js";
import {
  baseRewardEth,
  EPOCHS_PER_YEAR,
  isolatedSlashingCostEth,
  missedAttestationCostEth,
} from "../../../src/plan/availability/constants.js";
import {
  evaluateAvailability,
  parseAvailabilityConfig,
} from "../../../src/plan/availability/evaluate.js";
import { availabilityExact } from "../../../src/plan/availability/exact.js";
import { availabilityMonteCarlo } from "../../../src/plan/availability/monteCarlo.js";
import { buildSetups } from "../../../src/plan/availability/setups.js";
import {
  type AvailabilitySystem,
  chainFrom,
  unavailability,
} from "../../../src/plan/availability/system.js";

const close = (a: number, b: number, rel = 1e-10) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300), `${a} vs ${b}`);
const inCi = (x: number, ci: [number, number], what: string) =>
  assert.ok(ci[0] <= x && x <= ci[1], `${what}: ${x} ∉ [${ci[0]}, ${ci[1]}]`);

describe("availability: exact vs closed forms", () => {
  test("solo = 1 − (1 − u_m)(1 − u_s); DVT t-of-n with private sites = binomial tail", () => {
    const cfg = parseAvailabilityConfig({ dvt: { operators: 7 } });
    const [solo, , , dvt] = buildSetups(cfg);
    const um = unavailability(chainFrom("m", cfg.machine));
    const us = unavailability(chainFrom("s", cfg.site));
    const u = 1 - (1 - um) * (1 - us);
    close(availabilityExact(solo!).missedFraction, u);
    // 5-of-7: missed when ≥ 3 down
    let tail = 0;
    const C = (n: number, k: number) => {
      let c = 1;
      for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
      return c;
    };
    for (let k = 3; k <= 7; k++) tail += C(7, k) * u ** k * (1 - u) ** (7 - k);
    close(availabilityExact(dvt!).missedFraction, tail, 1e-9);
  });

  test("DVT with two operators on a shared site: conditioning on the site", () => {
    const cfg = parseAvailabilityConfig({ dvt: { operators: 4, sharedSite: 2 } });
    const dvt = buildSetups(cfg)[3]!;
    const um = unavailability(chainFrom("m", cfg.machine));
    const us = unavailability(chainFrom("s", cfg.site));
    const u = 1 - (1 - um) * (1 - us);
    // site down: 2 down already → missed. Site up: shared two have u_m, private two have u.
    const p = [um, um, u, u];
    let pUp = 0; // P(≤ 1 down) with site up
    for (let m = 0; m < 16; m++) {
      let w = 1;
      let d = 0;
      p.forEach((q, i) => {
        const down = (m >> i) & 1;
        w *= down ? q : 1 - q;
        d += down;
      });
      if (d <= 1) pUp += w;
    }
    close(availabilityExact(dvt).missedFraction, us + (1 - us) * (1 - pUp), 1e-9);
  });

  test("active-passive without sites: missed = u − u(1−r)^d(1 − u_S), failovers = (1−u)f(1−r)^d(1−u_S)", () => {
    const m = chainFrom("m", { mtbfDays: 3, mttrHours: 5 });
    for (const d of [0, 1, 4, 30]) {
      const sys: AvailabilitySystem = {
        name: "ap",
        chains: [m, { ...m, name: "s" }],
        machines: [
          { name: "p", chain: 0, site: null },
          { name: "s", chain: 1, site: null },
        ],
        roles: [],
        failover: { primary: 0, standby: 1, delayEpochs: d },
      };
      const u = unavailability(m);
      const ex = availabilityExact(sys);
      close(ex.missedFraction, u - u * (1 - m.r) ** d * (1 - u), 1e-9);
      close(ex.failoversPerEpoch, (1 - u) * m.f * (1 - m.r) ** d * (1 - u), 1e-9);
    }
  });
});

describe("availability: Monte Carlo agrees with exact", () => {
  test("default setups (shared DVT site) within 95% intervals", () => {
    const cfg = parseAvailabilityConfig({ dvt: { sharedSite: 2 } });
    const r = evaluateAvailability(cfg, { replications: 300, seed: 2 });
    for (const s of r.setups) {
      inCi(s.missedPerYear, s.monteCarlo!.missedPerYearCi95, `${s.name} missed`);
      if (s.failoversPerYear > 0)
        inCi(s.failoversPerYear, s.monteCarlo!.failoversPerYearCi95, `${s.name} failovers`);
    }
  });

  test("unreliable hardware (tight intervals): active-passive in separate sites and Vouch+Dirk", () => {
    const cfg = parseAvailabilityConfig({
      machine: { mtbfDays: 2, mttrHours: 3 },
      site: { mtbfDays: 4, mttrHours: 2 },
      activePassive: { sameSite: false, delayEpochs: 6 },
      vouchDirk: { sameSite: false, vouchInstances: 2 },
    });
    const [, ap, vd] = buildSetups(cfg);
    for (const sys of [ap!, vd!]) {
      const ex = availabilityExact(sys);
      const mc = availabilityMonteCarlo(sys, { replications: 120, seed: 4 });
      inCi(ex.missedFraction * EPOCHS_PER_YEAR, mc.missedPerYearCi95, `${sys.name} missed`);
      const rel = (mc.missedPerYearCi95[1] - mc.missedPerYearCi95[0]) / mc.missedPerYear;
      assert.ok(rel < 0.1, `interval too wide to be a real check (${rel})`);
      if (sys.failover)
        inCi(ex.failoversPerEpoch * EPOCHS_PER_YEAR, mc.failoversPerYearCi95, "failovers");
    }
  });
});

describe("slashing exposure and costs", () => {
  test("setup slashing formulas", () => {
    const cfg = parseAvailabilityConfig({});
    const r = evaluateAvailability(cfg);
    const [solo, ap, vd, dvt] = r.setups;
    assert.equal(solo!.pSlashingPerYear, 0.002);
    const rate = ap!.failoversPerYear * 0.005 + 0.2 * 0.1;
    close(ap!.pSlashingPerYear, 1 - 0.998 * Math.exp(-rate));
    const p = 0.005;
    close(vd!.pSlashingPerYear, 1 - 0.999 * (1 - (3 * p * p * (1 - p) + p ** 3)));
    close(dvt!.pSlashingPerYear, 4 * 0.01 ** 3 * 0.99 + 0.01 ** 4);
    // active-passive carries the largest slashing exposure; DVT the smallest
    assert.ok(r.setups.every((s) => s.pSlashingPerYear <= ap!.pSlashingPerYear));
    assert.ok(r.setups.every((s) => s.pSlashingPerYear >= dvt!.pSlashingPerYear));
  });

  test("reward constants recomputed from the spec formulas", () => {
    const totalGwei = 34_000_000 * 1e9;
    const perIncrement = (1e9 * 64) / Math.sqrt(totalGwei); // Gwei
    close(baseRewardEth(), (32 * perIncrement) / 1e9);
    close(missedAttestationCostEth(), ((94 / 64) * 32 * perIncrement) / 1e9);
    close(isolatedSlashingCostEth(), 32 / 4096 + 8192 * missedAttestationCostEth());
    close(EPOCHS_PER_YEAR, 82181.25);
  });

  test("invalid configuration names the field", () => {
    assert.throws(
      () => parseAvailabilityConfig({ machine: { mtbfDays: -1, mttrHours: 2 } }),
      (e: unknown) => e instanceof InputError && e.field === "machine.mtbfDays",
    );
  });
});
