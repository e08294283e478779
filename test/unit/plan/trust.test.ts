/**
 * Trust model: exact Poisson-binomial + common-mode computation against brute-force enumeration of
 * every operator state (ok / failed / malicious) × factor pattern, and against a seeded Monte
 * Carlo of the 150-operator example within its Wilson 95% interval.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../../src/errors.js";
import { createRng } from "../../../src/plan/math/rng.js";
import { wilsonInterval } from "../../../src/plan/math/wilson.js";
import { buildClusters } from "../../../src/plan/trust/clusters.js";
import { evaluateTrust, horizon, soloRisk } from "../../../src/plan/trust/evaluate.js";
import { EXAMPLE_TRUST_CONFIG } from "../../../src/plan/trust/example.js";
import { parseTrustConfig } from "../../../src/plan/trust/parse.js";
import type { TrustConfig } from "../../../src/plan/trust/schema.js";

const close = (a: number, b: number, rel = 1e-10) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-15), `${a} vs ${b}`);

type Op = { name: string; group: string; pFail: number; pMal: number };

/**
 * Brute force: enumerate factor patterns, then every state of every operator and of "self".
 * Returns P(any validator lost) and E[fraction lost] for liveness and safety (DVT part only).
 */
function bruteForce(cfg: TrustConfig, idx: number) {
  const s = cfg.scenarios[idx]!;
  const n = s.clusterSize;
  const t = s.threshold ?? Math.ceil((2 * n) / 3);
  const clusters = buildClusters(s);
  const V = clusters.reduce((a, c) => a + c.validators, 0);
  const ops: Op[] = clusters.flatMap((c) =>
    c.operators.map((o) => ({ name: o.name, group: o.group, pFail: o.pFail, pMal: o.pMalicious })),
  );
  const solo = soloRisk(cfg);
  const everyone = s.includeSelf
    ? [...ops, { name: "self", group: "self", pFail: 0, pMal: 0 }]
    : ops;
  const res = { live: 0, liveFrac: 0, safe: 0, safeFrac: 0 };
  const F = s.commonMode.length;
  for (let fm = 0; fm < 1 << F; fm++) {
    let wf = 1;
    const active = s.commonMode.filter((f, j) => {
      const on = (fm >> j) & 1;
      wf *= on ? f.probability : 1 - f.probability;
      return on === 1;
    });
    const hit = (o: Op, effect: string) =>
      active.some(
        (f) =>
          f.effect === effect &&
          (f.operators === "all" || f.operators.includes(o.name) || f.operators.includes(o.group)),
      );
    // state per participant: 0 ok, 1 failed, 2 malicious (self: liveness/safety handled separately)
    const total = 3 ** everyone.length;
    for (let code = 0; code < total; code++) {
      let w = wf;
      let c = code;
      const state: number[] = [];
      for (const o of everyone) {
        const st = c % 3;
        c = Math.floor(c / 3);
        state.push(st);
        if (o.name === "self") {
          // self: liveness-bad w.p. solo.liveness, safety-bad w.p. solo.safety — enumerated as
          // independent marks: state 2 = safety-bad (counts for both), 1 = liveness-bad only.
          const mal = hit(o, "malicious") ? 1 : solo.safety;
          const down = hit(o, "fail") || hit(o, "malicious") ? 1 : solo.liveness;
          // P(mal) = mal; P(liveness-bad only) chosen so that P(liveness-bad) = down overall.
          const pl = Math.max(0, down - mal);
          w *= st === 2 ? mal : st === 1 ? pl : 1 - mal - pl;
        } else {
          const pm = hit(o, "malicious") ? 1 : o.pMal;
          const pf = hit(o, "fail") ? 1 : o.pFail;
          w *= st === 2 ? pm : st === 1 ? pf * (1 - pm) : (1 - pf) * (1 - pm);
        }
      }
      if (w === 0) continue;
      const selfState = s.includeSelf ? state[state.length - 1]! : 0;
      let anyL = false;
      let anyS = false;
      let fracL = 0;
      let fracS = 0;
      let k = 0;
      for (const cl of clusters) {
        let down = selfState > 0 ? 1 : 0;
        let mal = selfState === 2 ? 1 : 0;
        for (let j = 0; j < cl.operators.length; j++) {
          const st = state[k++]!;
          if (st > 0) down++;
          if (st === 2) mal++;
        }
        if (down >= n - t + 1) {
          anyL = true;
          fracL += cl.validators / V;
        }
        if (mal >= t) {
          anyS = true;
          fracS += cl.validators / V;
        }
      }
      if (anyL) res.live += w;
      if (anyS) res.safe += w;
      res.liveFrac += w * fracL;
      res.safeFrac += w * fracS;
    }
  }
  return res;
}

const smallConfig = (): TrustConfig =>
  parseTrustConfig({
    horizonYears: 1,
    self: [
      { name: "hack", safety: 0.05, liveness: 0.05 },
      { name: "isp", safety: 0, liveness: 0.2 },
    ],
    retainedKeyRisk: 0,
    scenarios: [
      {
        name: "two clusters with you",
        clusterSize: 3,
        threshold: 2,
        validators: 5,
        includeSelf: true,
        operators: [
          { name: "a", count: 2, pFail: 0.1, pMalicious: 0.05 },
          { name: "b", pFail: 0.3, pMalicious: 0.02 },
          { name: "c", pFail: 0.05, pMalicious: 0.2 },
        ],
        commonMode: [
          { name: "cloud", probability: 0.1, effect: "fail", operators: ["a"] },
          { name: "state", probability: 0.05, effect: "malicious", operators: "all" },
        ],
      },
      {
        name: "one 3-of-4 cluster of others",
        clusterSize: 4,
        validators: 3,
        operators: [
          { name: "x", count: 3, pFail: 0.2, pMalicious: 0.1 },
          { name: "y", pFail: 0.01, pMalicious: 0.3 },
        ],
        commonMode: [{ name: "region", probability: 0.2, effect: "fail", operators: ["x#1", "y"] }],
      },
    ],
  });

describe("trust model (exact)", () => {
  test("matches brute-force enumeration (you in every cluster, two common-mode factors)", () => {
    const cfg = smallConfig();
    const r = evaluateTrust(cfg);
    for (const idx of [0, 1]) {
      const bf = bruteForce(cfg, idx);
      const s = r.scenarios[idx]!;
      close(s.liveness.pAny, bf.live);
      close(s.liveness.expectedFraction, bf.liveFrac);
      close(s.safety.pAny, bf.safe);
      close(s.safety.expectedFraction, bf.safeFrac);
    }
    assert.equal(r.scenarios[0]!.clusters, 2);
    assert.equal(r.scenarios[0]!.validators, 5);
  });

  test("solo risk, horizon and retained-key risk", () => {
    const cfg = parseTrustConfig({ ...EXAMPLE_TRUST_CONFIG, horizonYears: 3 });
    const one = parseTrustConfig(EXAMPLE_TRUST_CONFIG);
    const s1 = soloRisk(one);
    close(s1.liveness, 1 - 0.99 * 0.998 * 0.98 * 0.9);
    close(s1.safety, 1 - 0.99 * 0.998 * 0.997);
    close(soloRisk(cfg).safety, 1 - (0.99 * 0.998 * 0.997) ** 3);
    close(horizon(0.1, 2), 0.19);
    // retained key risk r adds as 1 − (1 − r)(1 − p)
    const withR = evaluateTrust(
      parseTrustConfig({ ...EXAMPLE_TRUST_CONFIG, retainedKeyRisk: 0.01 }),
    );
    const noR = evaluateTrust(parseTrustConfig({ ...EXAMPLE_TRUST_CONFIG, retainedKeyRisk: 0 }));
    close(withR.scenarios[1]!.safety.pAny, 1 - 0.99 * (1 - noR.scenarios[1]!.safety.pAny));
  });

  test("example: 500 validators over 150 operators → 37 disjoint clusters, Monte Carlo agrees", () => {
    const cfg = parseTrustConfig(EXAMPLE_TRUST_CONFIG);
    const r = evaluateTrust(cfg);
    const s = r.scenarios[2]!;
    assert.equal(s.clusters, 37);
    assert.equal(s.validators, 500);
    const clusters = buildClusters(cfg.scenarios[2]!);
    // every cluster mixes hetzner and other operators (interleaving spreads the 45 hetzner ones)
    assert.ok(clusters.every((c) => c.operators.some((o) => o.group === "other")));
    const rng = createRng(11);
    const trials = 20_000;
    let anyLive = 0;
    let fracSum = 0;
    for (let i = 0; i < trials; i++) {
      const outage = rng.next() < 0.02;
      let any = false;
      let frac = 0;
      for (const c of clusters) {
        let down = 0;
        for (const o of c.operators) {
          const mal = rng.next() < o.pMalicious;
          const fail = (outage && o.group === "hetzner") || rng.next() < o.pFail;
          if (mal || fail) down++;
        }
        if (down >= 2) {
          any = true;
          frac += c.validators / 500;
        }
      }
      if (any) anyLive++;
      fracSum += frac;
    }
    const [lo, hi] = wilsonInterval(anyLive, trials);
    assert.ok(
      lo <= s.liveness.pAny && s.liveness.pAny <= hi,
      `${s.liveness.pAny} ∉ [${lo}, ${hi}]`,
    );
    close(fracSum / trials, s.liveness.expectedFraction, 0.05);
    // DVT loses on "any validator" liveness but wins on the expected fraction lost
    assert.ok(s.livenessRatio > 1 && s.livenessExpectedRatio < 1);
  });

  test("higher operator risk never lowers loss probability (monotone sweep)", () => {
    const cfg = parseTrustConfig(EXAMPLE_TRUST_CONFIG);
    let prev = evaluateTrust(cfg, 0.1);
    for (const m of [0.3, 1, 3, 10]) {
      const cur = evaluateTrust(cfg, m);
      cur.scenarios.forEach((s, i) => {
        assert.ok(s.liveness.pAny >= prev.scenarios[i]!.liveness.pAny - 1e-15);
        assert.ok(s.safety.pAny >= prev.scenarios[i]!.safety.pAny - 1e-15);
      });
      prev = cur;
    }
  });
});

describe("trust configuration parsing", () => {
  test("YAML works; bad values name the field", () => {
    const yaml = `self:\n  - {name: hack, safety: 0.01, liveness: 0.02}\nscenarios:\n  - name: s\n    clusterSize: 4\n    operators: [{name: o, count: 4, pFail: 0.1, pMalicious: 0.01}]\n`;
    const cfg = parseTrustConfig(yaml);
    assert.equal(cfg.scenarios[0]!.validators, 1);
    assert.throws(
      () => parseTrustConfig(yaml.replace("pFail: 0.1", "pFail: 1.1")),
      (e: unknown) => e instanceof InputError && e.field === "scenarios.0.operators.0.pFail",
    );
    assert.throws(
      () => parseTrustConfig(yaml.replace("count: 4", "count: 2")),
      (e: unknown) => e instanceof InputError && e.field === "scenarios.0.operators",
    );
    assert.throws(() => parseTrustConfig("self: [unclosed"), InputError);
  });
});
