/**
 * `rpdvt plan` subcommands end to end (in-process): JSON outputs, text tables, SVG charts written
 * atomically and well-formed, and input errors naming the flag or field.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { planCommand } from "../../../src/cli/plan.js";
import { EXAMPLE_TRUST_CONFIG } from "../../../src/plan/trust/example.js";
import { runCommand } from "../../helpers.js";

let dir = "";
before(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "rpdvt-plan-"));
});
after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const runPlan = (args: string[]) => runCommand(planCommand(), args);

/** Minimal well-formedness: one root, balanced tags, no NaN/undefined in the markup. */
function assertSvg(svg: string) {
  assert.ok(svg.startsWith("<svg ") && svg.trimEnd().endsWith("</svg>"));
  assert.ok(!/NaN|undefined|Infinity/.test(svg), "non-finite values in SVG");
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else if (!m[3]) stack.push(m[2]!);
  }
  assert.equal(stack.length, 0);
}

describe("plan CLI", () => {
  test("sybil text output and chart", async () => {
    const chart = path.join(dir, "sybil.svg");
    const r = await runPlan([
      "sybil",
      "--attacker-shares",
      "100",
      "--honest-shares",
      "30",
      "--group-size",
      "8",
      "--trials",
      "5000",
      "--chart",
      chart,
    ]);
    assert.equal(r.code, undefined, r.stderr);
    assert.match(r.stdout, /P\(control a group\)\s+0\.7295/);
    assertSvg(await fsp.readFile(chart, "utf8"));
  });

  test("trust: YAML config, JSON output, chart; --example round-trips", async () => {
    const ex = await runPlan(["trust", "--example"]);
    assert.deepEqual(JSON.parse(ex.stdout), JSON.parse(JSON.stringify(EXAMPLE_TRUST_CONFIG)));
    const file = path.join(dir, "trust.yaml");
    await fsp.writeFile(
      file,
      "self:\n  - {name: all, safety: 0.02, liveness: 0.1}\nscenarios:\n  - name: friends\n    clusterSize: 4\n    operators: [{name: f, count: 4, pFail: 0.1, pMalicious: 0.01}]\n",
    );
    const chart = path.join(dir, "trust.svg");
    const r = await runPlan(["trust", "--config", file, "--json", "--chart", chart]);
    assert.equal(r.code, undefined, r.stderr);
    const j = JSON.parse(r.stdout);
    // 3-of-4, liveness lost when ≥ 2 of 4 are down: q = 1 − 0.9·0.99
    const q = 1 - 0.9 * 0.99;
    const want = 1 - (1 - q) ** 4 - 4 * q * (1 - q) ** 3;
    assert.ok(Math.abs(j.scenarios[0].liveness.pAny - want) < 1e-12);
    assertSvg(await fsp.readFile(chart, "utf8"));
    const bad = await runPlan(["trust", "--config", path.join(dir, "missing.yaml")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Cannot read/);
  });

  test("availability: JSON with Monte Carlo, flags override, chart", async () => {
    const chart = path.join(dir, "av.svg");
    const r = await runPlan([
      "availability",
      "--dvt-operators",
      "7",
      "--replications",
      "50",
      "--json",
      "--chart",
      chart,
    ]);
    assert.equal(r.code, undefined, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(
      j.setups.map((s: { name: string }) => s.name),
      ["solo", "active-passive", "vouch+dirk 2/3", "dvt 5/7"],
    );
    assert.equal(j.setups[3].monteCarlo.replications, 50);
    assertSvg(await fsp.readFile(chart, "utf8"));
    const bad = await runPlan(["availability", "--failover-delay", "x"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Field: --failover-delay/);
    const help = planCommand()
      .commands.find((c) => c.name() === "availability")!
      .helpInformation();
    assert.match(help, /--dvt-operators/);
  });

  test("rewards: flags, JSON, chart; bad protocol names the flag", async () => {
    const chart = path.join(dir, "rw.svg");
    const r = await runPlan([
      "rewards",
      "--validators",
      "5",
      "--hosted",
      "50",
      "--json",
      "--chart",
      chart,
    ]);
    assert.equal(r.code, undefined, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.validators, 5);
    assert.ok(Math.abs(j.fleet.operatorIncomeEth - 50 * 0.0028) < 1e-12);
    assertSvg(await fsp.readFile(chart, "utf8"));
    const bad = await runPlan(["rewards", "--protocol", "lido"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Field: --protocol/);
  });

  test("decentralization: config file, targets flag, text and chart; missing --config", async () => {
    const file = path.join(dir, "dec.json");
    await fsp.writeFile(
      file,
      JSON.stringify({
        clusters: [
          { owner: "A", operators: ["A", "B", "C", "D"], validators: 10 },
          { owner: "B", operators: ["B", "C", "D", "E"], validators: 10 },
        ],
      }),
    );
    const chart = path.join(dir, "dec.svg");
    const r = await runPlan([
      "decentralization",
      "--config",
      file,
      "--targets",
      "0.5,1",
      "--chart",
      chart,
    ]);
    assert.equal(r.code, undefined, r.stderr);
    assert.match(r.stdout, /^target/);
    assert.match(r.stdout, /100% \(20 validators\)/);
    assertSvg(await fsp.readFile(chart, "utf8"));
    const missing = await runPlan(["decentralization"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Field: --config/);
  });
});
