/** Rewards model: hand-computed numbers for SSV and Obol, break-even, CLI flags and errors. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../../src/errors.js";
import { evaluateRewards, parseRewardsConfig } from "../../../src/plan/rewards/evaluate.js";

const close = (a: number, b: number) =>
  assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe("rewards", () => {
  test("defaults: LEB8, 14%, 2.9% APR, SSV 4 operators with one self-operated", () => {
    const r = evaluateRewards(parseRewardsConfig({}));
    const income = 0.029 * (8 + 24 * 0.14); // 0.32944
    close(r.perValidator.noIncomeEth, income);
    const cost = 3 * 0.0028 + 0.01 * 0.029 * 32; // 0.01768
    close(r.perValidator.dvtCostEth, cost);
    close(r.fleet.noIncomeEth, 10 * income);
    close(r.fleet.netWithDvtEth, 10 * income - 10 * cost);
    close(r.fleet.yieldOnBondSolo, income / 8);
    assert.equal(r.breakEvenHostedValidators, Math.ceil((10 * cost + 0.03) / 0.0028));
  });

  test("hosting others as an operator and Obol's reward share", () => {
    const ssv = evaluateRewards(parseRewardsConfig({ hostedValidators: 100, selfOperated: false }));
    close(ssv.perValidator.dvtCostEth, 4 * 0.0028 + 0.01 * 0.029 * 32);
    close(ssv.fleet.operatorIncomeEth, 100 * 0.0028);
    close(ssv.fleet.netChangeEth, -10 * ssv.perValidator.dvtCostEth + 0.28 - 0.03);
    const obol = evaluateRewards(
      parseRewardsConfig({ protocol: "obol", bondEth: 16, commission: 0.05 }),
    );
    close(obol.perValidator.dvtCostEth, 0.01 * 0.029 * 32);
    close(obol.perValidator.noIncomeEth, 0.029 * (16 + 16 * 0.05));
    assert.equal(obol.breakEvenHostedValidators, null);
  });

  test("invalid input names the field", () => {
    assert.throws(
      () => parseRewardsConfig({ commission: 2 }),
      (e: unknown) => e instanceof InputError && e.field === "commission",
    );
    assert.throws(
      () => parseRewardsConfig({ protocol: "lido" }),
      (e: unknown) => e instanceof InputError && e.field === "protocol",
    );
  });
});
