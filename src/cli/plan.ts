/**
 * `rpdvt plan …`: planning analytics for choosing whom to split validators with — Sybil risk of
 * permissionless grouping, trust model, availability & slashing exposure, rewards, and a
 * decentralization report. Methods, assumptions and sources: docs/planning.md. Every rate default
 * is an ILLUSTRATIVE value to override with your own numbers.
 */
import { promises as fsp } from "node:fs";
import { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { InputError } from "../errors.js";
import { evaluateAvailability, parseAvailabilityConfig } from "../plan/availability/evaluate.js";
import { availabilityChartSvg } from "../plan/charts/availabilityChart.js";
import { decentralizationChartSvg } from "../plan/charts/decentralizationChart.js";
import { rewardsChartSvg } from "../plan/charts/rewardsChart.js";
import { sybilChartSvg } from "../plan/charts/sybilChart.js";
import { trustChartSvg } from "../plan/charts/trustChart.js";
import {
  decentralizationReport,
  parseDecentralizationConfig,
} from "../plan/decentralization/report.js";
import { formatNumber, formatProbability, formatTable } from "../plan/report/table.js";
import { evaluateRewards, parseRewardsConfig } from "../plan/rewards/evaluate.js";
import { sybilExact } from "../plan/sybil/exact.js";
import { DEFAULT_SYBIL_TRIALS, sybilMonteCarlo } from "../plan/sybil/monteCarlo.js";
import { evaluateTrust } from "../plan/trust/evaluate.js";
import { EXAMPLE_TRUST_CONFIG } from "../plan/trust/example.js";
import { parseTrustConfig } from "../plan/trust/parse.js";
import { writeFileAtomic } from "../util/fs.js";
import { printJson, runAction } from "./run.js";

const ILLUSTRATIVE =
  "Rate defaults are ILLUSTRATIVE values (sources and dates in docs/planning.md): override them with your own.";

/**
 * The `plan` command with its five subcommands.
 *
 * @example
 * program.addCommand(planCommand());
 * // rpdvt plan sybil --attacker-shares 100 --honest-shares 30 --group-size 8 --json
 */
export function planCommand(): Command {
  const plan = new Command("plan").description(
    "Planning analytics: whom to split with (Sybil risk, trust, availability, rewards, decentralization)",
  );
  plan.addCommand(sybilCommand());
  plan.addCommand(trustCommand());
  plan.addCommand(availabilityCommand());
  plan.addCommand(rewardsCommand());
  plan.addCommand(decentralizationCommand());
  return plan;
}

type SybilOpts = {
  attackerShares?: string;
  honestShares?: string;
  groupSize?: string;
  threshold?: string;
  trials: string;
  seed: string;
  monteCarlo: boolean;
  json?: boolean;
  chart?: string;
};

/** Monte Carlo work limit: ~30 ns per shuffled seat (measured), so about 6 s. */
const MAX_SHUFFLE_STEPS = 2e8;

const SYBIL_FLAGS: Record<string, string> = {
  attackerShares: "--attacker-shares",
  honestShares: "--honest-shares",
  groupSize: "--group-size",
  threshold: "--threshold",
};

function sybilCommand(): Command {
  return new Command("sybil")
    .description(
      "Exact (hypergeometric) and Monte Carlo probability that an attacker controls or blocks a randomly formed group",
    )
    .option("--attacker-shares <a>", "shares held by the attacker (required)")
    .option("--honest-shares <b>", "shares held by honest operators (required)")
    .option("--group-size <g>", "shares per group, the cluster size (required)")
    .option("--threshold <t>", "signing threshold of a group (default ⌈2g/3⌉, the BFT quorum)")
    .option(
      "--trials <n>",
      "Monte Carlo trials (random partitions of the pool)",
      String(DEFAULT_SYBIL_TRIALS),
    )
    .option("--seed <s>", "Monte Carlo seed", "1")
    .option("--no-monte-carlo", "skip the Monte Carlo check")
    .option("--json", "print one JSON object")
    .option("--chart <file.svg>", "write an SVG chart (probabilities vs attacker share)")
    .addHelpText(
      "after",
      "\nControl: attacker holds ≥ t shares of a group (can sign anything, incl. slashable messages).\nBlock: attacker holds ≥ g−t+1 (honest shares alone cannot reach t).",
    )
    .action(runAction(runSybil));
}

type SybilExact = ReturnType<typeof sybilExact>;
type SybilMonteCarlo = ReturnType<typeof sybilMonteCarlo>;

/** The Monte Carlo check, refused up front when it would take more than ~6 s. */
function checkedMonteCarlo(
  exact: SybilExact,
  trials: number,
  seed: number,
): { monteCarlo: SybilMonteCarlo; elapsedMs: number } {
  const seats = exact.groups * exact.groupSize;
  const steps = trials * seats;
  if (steps > MAX_SHUFFLE_STEPS)
    throw new InputError(
      `--trials ${trials} × ${seats} seats = ${steps.toExponential(1)} shuffle steps is too slow (~${Math.round(steps * 3e-8)} s)`,
      {
        field: "--trials",
        metaMessages: [
          `Use --trials ${Math.max(1, Math.floor(MAX_SHUFFLE_STEPS / seats))} or fewer, or --no-monte-carlo (the exact values do not need it).`,
        ],
      },
    );
  const t0 = performance.now();
  const monteCarlo = sybilMonteCarlo(exact, { trials, seed });
  return { monteCarlo, elapsedMs: performance.now() - t0 };
}

/** The text table of `plan sybil`. */
function sybilRows(
  exact: SybilExact,
  mc: { monteCarlo: SybilMonteCarlo; elapsedMs: number } | undefined,
  trials: number,
  seed: number,
): string[][] {
  const a = exact.attackerShares;
  const b = exact.honestShares;
  const rows = [
    ["pool", `${a} attacker + ${b} honest = ${a + b} shares`],
    ["groups", `${exact.groups} of ${exact.groupSize} (${exact.leftoverShares} shares left over)`],
    ["threshold", `${exact.threshold} (block needs ${exact.blockingShares})`],
    ["P(control a group)", formatProbability(exact.pControl)],
    ["P(block a group)", formatProbability(exact.pBlock)],
    ["expected controlled groups", formatNumber(exact.expectedControlledGroups)],
    ["expected blocked groups", formatNumber(exact.expectedBlockedGroups)],
    [
      "P(≥ 1 group controlled)",
      exact.pAnyControlled === null
        ? "n/a (pool too large)"
        : formatProbability(exact.pAnyControlled),
    ],
  ];
  if (mc) {
    const { monteCarlo, elapsedMs } = mc;
    rows.push(
      [
        "Monte Carlo P(control)",
        `${formatProbability(monteCarlo.pControl)} [${monteCarlo.ci95.map(formatProbability).join(", ")}]`,
      ],
      [
        "Monte Carlo P(block)",
        `${formatProbability(monteCarlo.pBlock)} [${monteCarlo.pBlockCi95.map(formatProbability).join(", ")}]`,
      ],
      ["Monte Carlo", `${trials} trials, seed ${seed}, ${elapsedMs.toFixed(0)} ms`],
    );
  }
  return rows;
}

async function runSybil(opts: SybilOpts): Promise<void> {
  const params = {
    attackerShares: countFlag(opts.attackerShares, "--attacker-shares"),
    honestShares: countFlag(opts.honestShares, "--honest-shares"),
    groupSize: countFlag(opts.groupSize, "--group-size"),
    threshold: opts.threshold === undefined ? undefined : countFlag(opts.threshold, "--threshold"),
  };
  const trials = countFlag(opts.trials, "--trials", 1);
  const seed = countFlag(opts.seed, "--seed");
  const exact = withFlagNames(() => sybilExact(params), SYBIL_FLAGS);
  const mc = opts.monteCarlo ? checkedMonteCarlo(exact, trials, seed) : undefined;
  if (opts.chart) await writeChart(opts.chart, sybilChartSvg(exact));
  if (opts.json) {
    printJson({ ...exact, monteCarlo: mc?.monteCarlo });
    return;
  }
  const rows = sybilRows(exact, mc, trials, seed);
  process.stdout.write(`${formatTable(["Sybil analysis", ""], rows, true)}\n`);
}

function trustCommand(): Command {
  return new Command("trust")
    .description(
      "Compare your own annual failure probabilities with splitting among chosen operators (exact Poisson-binomial, common-mode correlation)",
    )
    .option("--config <file>", "trust configuration (JSON or YAML); default: the built-in example")
    .option("--example", "print the built-in example configuration (JSON) and exit")
    .option("--json", "print one JSON object")
    .option("--chart <file.svg>", "write an SVG chart of where DVT wins or loses")
    .addHelpText("after", `\n${ILLUSTRATIVE} The example's probabilities are guesses, not data.`)
    .action(
      runAction(
        async (opts: { config?: string; example?: boolean; json?: boolean; chart?: string }) => {
          if (opts.example) {
            process.stdout.write(`${JSON.stringify(EXAMPLE_TRUST_CONFIG, null, 2)}\n`);
            return;
          }
          const config = opts.config
            ? parseTrustConfig(await readText(opts.config), opts.config)
            : parseTrustConfig(EXAMPLE_TRUST_CONFIG);
          const result = evaluateTrust(config);
          if (opts.chart) await writeChart(opts.chart, trustChartSvg(config));
          if (opts.json) {
            printJson(result);
            return;
          }
          const rows = [
            [
              "solo (you)",
              "1",
              formatProbability(result.solo.liveness),
              formatProbability(result.solo.liveness),
              formatProbability(result.solo.safety),
              formatProbability(result.solo.safety),
            ],
            ...result.scenarios.map((s) => [
              `${s.name} (${s.threshold}/${s.clusterSize})`,
              String(s.clusters),
              formatProbability(s.liveness.pAny),
              formatProbability(s.liveness.expectedFraction),
              formatProbability(s.safety.pAny),
              formatProbability(s.safety.expectedFraction),
            ]),
          ];
          process.stdout.write(
            `${formatTable(
              ["scenario", "clusters", "P(liveness)", "E[frac live]", "P(safety)", "E[frac safe]"],
              rows,
            )}\n\n${result.scenarios
              .map(
                (s) =>
                  `${s.name}:\n  liveness: ${s.verdict.liveness}\n  safety:   ${s.verdict.safety}`,
              )
              .join("\n")}\n\nProbabilities over ${result.horizonYears} year(s). ${ILLUSTRATIVE}\n`,
          );
        },
      ),
    );
}

type AvailabilityOpts = {
  config?: string;
  monteCarlo: boolean;
  replications: string;
  seed: string;
  dvtOperators?: string;
  dvtSharedSite?: string;
  failoverDelay?: string;
  json?: boolean;
  chart?: string;
};

function availabilityCommand(): Command {
  return new Command("availability")
    .description(
      "Missed attestations and slashing exposure: solo, active-passive failover, Vouch+Dirk, DVT t-of-n (exact Markov model + Monte Carlo)",
    )
    .option("--config <file>", "availability configuration (JSON or YAML); every field optional")
    .option("--dvt-operators <n>", "DVT cluster size (overrides the config)")
    .option("--dvt-shared-site <k>", "DVT operators sharing one site (correlated failures)")
    .option("--failover-delay <epochs>", "active-passive failover delay in epochs")
    .option("--no-monte-carlo", "skip the Monte Carlo check")
    .option("--replications <n>", "Monte Carlo simulated years per setup", "200")
    .option("--seed <s>", "Monte Carlo seed", "1")
    .option("--json", "print one JSON object")
    .option("--chart <file.svg>", "write an SVG chart")
    .addHelpText(
      "after",
      `\nActive-passive failover keeps the FULL key on two machines: whenever both are active (split brain,\nunfenced fail-back) they can double-sign and be slashed. DVT cannot double-sign unless ≥ t operators\nare malicious. ${ILLUSTRATIVE}`,
    )
    .action(
      runAction(async (opts: AvailabilityOpts) => {
        const raw = (
          opts.config ? parseText(await readText(opts.config), opts.config) : {}
        ) as Record<string, unknown>;
        const input = { ...raw };
        const dvt = { ...((raw.dvt as object | undefined) ?? {}) } as Record<string, unknown>;
        if (opts.dvtOperators !== undefined)
          dvt.operators = countFlag(opts.dvtOperators, "--dvt-operators", 1);
        if (opts.dvtSharedSite !== undefined)
          dvt.sharedSite = countFlag(opts.dvtSharedSite, "--dvt-shared-site");
        input.dvt = dvt;
        if (opts.failoverDelay !== undefined)
          input.activePassive = {
            ...((raw.activePassive as object | undefined) ?? {}),
            delayEpochs: countFlag(opts.failoverDelay, "--failover-delay"),
          };
        const cfg = parseAvailabilityConfig(input, opts.config);
        const replications = countFlag(opts.replications, "--replications", 2);
        const seed = countFlag(opts.seed, "--seed");
        const result = evaluateAvailability(
          cfg,
          opts.monteCarlo ? { replications, seed } : undefined,
        );
        if (opts.chart) await writeChart(opts.chart, availabilityChartSvg(result));
        if (opts.json) {
          printJson(result);
          return;
        }
        const rows = result.setups.map((s) => [
          s.name,
          formatNumber(s.missedPerYear),
          s.monteCarlo
            ? `${formatNumber(s.monteCarlo.missedPerYear)} [${s.monteCarlo.missedPerYearCi95.map((x) => formatNumber(x)).join(", ")}]`
            : "-",
          formatNumber(s.missedCostEthPerYear),
          formatProbability(s.pSlashingPerYear),
          formatNumber(s.expectedTotalCostEthPerYear),
        ]);
        process.stdout.write(
          `${formatTable(
            [
              "setup",
              "missed/yr",
              "Monte Carlo [95% CI]",
              "ETH/yr missed",
              "P(slash)/yr",
              "E[ETH/yr]",
            ],
            rows,
          )}\n\n${result.setups.map((s) => `${s.name}: ${s.slashingNote}`).join("\n")}\n` +
            `Missed attestation ≈ ${formatNumber(result.missedAttestationCostEth)} ETH, isolated slashing ≈ ${formatNumber(result.slashingCostEth)} ETH.\n${ILLUSTRATIVE}\n`,
        );
      }),
    );
}

type RewardsOpts = Record<string, string | boolean | undefined>;

function rewardsCommand(): Command {
  return new Command("rewards")
    .description(
      "Yearly ETH: Rocket Pool income, DVT fees (SSV or Obol), operator income from hosting others",
    )
    .option("--config <file>", "rewards configuration (JSON or YAML); flags override it")
    .option("--validators <n>", "your validators (minipools) [10]")
    .option("--apr <x>", "staking APR as a fraction [0.029, 2025]")
    .option("--bond <eth>", "ETH bond per minipool [8, LEB8]")
    .option("--commission <x>", "Rocket Pool commission on borrowed ETH [0.14]")
    .option("--protocol <ssv|obol>", "DVT protocol [ssv]")
    .option("--cluster-size <n>", "operators per validator [4]")
    .option("--no-self-operated", "you do not run one of your own shares")
    .option("--operator-fee <eth>", "SSV operator fee, ETH/validator/year [0.0028]")
    .option("--network-fee-share <x>", "SSV network fee as a share of APR × 32 ETH [0.01]")
    .option("--obol-share <x>", "Obol share of rewards [0.01]")
    .option("--hosted <n>", "other people's validators you host as an operator [0]")
    .option("--operator-cost <eth>", "your extra yearly cost of running an operator [0.03]")
    .option("--json", "print one JSON object")
    .option("--chart <file.svg>", "write an SVG bar chart")
    .addHelpText("after", `\n${ILLUSTRATIVE} Dates and sources of the defaults: docs/planning.md.`)
    .action(runAction(runRewards));
}

/** The rewards configuration: --config's values, each flag given overriding its field. */
async function rewardsInput(opts: RewardsOpts): Promise<Record<string, unknown>> {
  const raw = (
    typeof opts.config === "string" ? parseText(await readText(opts.config), opts.config) : {}
  ) as Record<string, unknown>;
  const num = (flag: string, key: string, field: string, int = false) => {
    const v = opts[key];
    if (typeof v === "string") raw[field] = int ? countFlag(v, flag) : numberFlag(v, flag);
  };
  num("--validators", "validators", "validators", true);
  num("--apr", "apr", "stakingApr");
  num("--bond", "bond", "bondEth");
  num("--commission", "commission", "commission");
  num("--cluster-size", "clusterSize", "clusterSize", true);
  num("--operator-fee", "operatorFee", "ssvOperatorFeeEthPerYear");
  num("--network-fee-share", "networkFeeShare", "ssvNetworkFeeAprShare");
  num("--obol-share", "obolShare", "obolRewardShare");
  num("--hosted", "hosted", "hostedValidators", true);
  num("--operator-cost", "operatorCost", "operatorCostEthPerYear");
  if (typeof opts.protocol === "string") raw.protocol = opts.protocol;
  if (opts.selfOperated === false) raw.selfOperated = false;
  return raw;
}

/** The text table of `plan rewards`. */
function rewardsRows(result: ReturnType<typeof evaluateRewards>): string[][] {
  const p = result.perValidator;
  const f = result.fleet;
  return [
    ["RP income per validator", formatNumber(p.noIncomeEth)],
    ["DVT cost per validator", formatNumber(p.dvtCostEth)],
    ["DVT cost / RP income", `${(100 * p.dvtCostShareOfIncome).toFixed(1)}%`],
    [`fleet RP income (${result.config.validators} validators)`, formatNumber(f.noIncomeEth)],
    ["fleet DVT fees", formatNumber(f.dvtCostEth)],
    [
      `operator income (${result.config.hostedValidators} hosted)`,
      formatNumber(f.operatorIncomeEth),
    ],
    ["operator cost", formatNumber(f.operatorCostEth)],
    ["net with DVT", formatNumber(f.netWithDvtEth)],
    [
      "yield on bond solo / with DVT",
      `${(100 * f.yieldOnBondSolo).toFixed(2)}% / ${(100 * f.yieldOnBondWithDvt).toFixed(2)}%`,
    ],
    [
      "hosted validators to break even",
      result.breakEvenHostedValidators === null ? "n/a" : String(result.breakEvenHostedValidators),
    ],
  ];
}

async function runRewards(opts: RewardsOpts): Promise<void> {
  const raw = await rewardsInput(opts);
  const result = evaluateRewards(
    withFlagNames(() => parseRewardsConfig(raw), {
      protocol: "--protocol",
      stakingApr: "--apr",
      bondEth: "--bond",
      commission: "--commission",
      clusterSize: "--cluster-size",
    }),
  );
  if (typeof opts.chart === "string") await writeChart(opts.chart, rewardsChartSvg(result));
  if (opts.json) {
    printJson(result);
    return;
  }
  process.stdout.write(
    `${formatTable(["per year (ETH)", "value"], rewardsRows(result))}\n${ILLUSTRATIVE}\n`,
  );
}

function decentralizationCommand(): Command {
  return new Command("decentralization")
    .description(
      "Minimum entities to compromise to halt or control X% of validators, before and after DVT",
    )
    .option("--config <file>", "clusters and validator counts (JSON or YAML; required)")
    .option("--targets <list>", "comma-separated fractions, e.g. 0.34,0.5,0.67")
    .option("--json", "print one JSON object")
    .option("--chart <file.svg>", "write an SVG bar chart")
    .addHelpText(
      "after",
      '\nInput: {"clusters":[{"owner":"A","operators":["A","B","C","D"],"validators":10}],"soloValidators":[{"entity":"E","validators":5}]}\nHalt: ≥ n−t+1 operators of a cluster; control: ≥ t. "exact" = exhaustive search, "greedy-upper-bound" = at most this many (the true minimum may be lower).',
    )
    .action(
      runAction(
        async (opts: { config?: string; targets?: string; json?: boolean; chart?: string }) => {
          if (!opts.config)
            throw new InputError("--config is required", {
              field: "--config",
              metaMessages: ["Give a JSON/YAML file with clusters (see --help)."],
            });
          const raw = parseText(await readText(opts.config), opts.config) as Record<
            string,
            unknown
          >;
          if (opts.targets !== undefined)
            raw.targets = opts.targets.split(",").map((x) => numberFlag(x.trim(), "--targets"));
          const report = decentralizationReport(parseDecentralizationConfig(raw, opts.config));
          if (opts.chart) await writeChart(opts.chart, decentralizationChartSvg(report));
          if (opts.json) {
            printJson(report);
            return;
          }
          const cell = (a: { entities: number | null; method: string }) =>
            `${a.entities ?? "-"}${a.method === "exact" ? "" : " (≤, greedy)"}`;
          process.stdout.write(
            `${formatTable(
              ["target", "halt before", "halt after", "control before", "control after"],
              report.targets.map((t) => [
                `${(100 * t.target).toFixed(0)}% (${t.validatorsNeeded} validators)`,
                cell(t.halt.before),
                cell(t.halt.after),
                cell(t.control.before),
                cell(t.control.after),
              ]),
            )}\n${report.validators} validators, ${report.entities} entities, ${report.clusters} clusters.\n`,
          );
        },
      ),
    );
}

/** Parse a non-negative integer flag (≥ `min`), or throw an InputError naming the flag. */
function countFlag(value: string | undefined, flag: string, min = 0): number {
  if (value === undefined) throw new InputError(`${flag} is required`, { field: flag });
  const v = value.trim();
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min)
    throw new InputError(`${flag} must be an integer ≥ ${min}, got "${value}"`, { field: flag });
  return Number(v);
}

/** Parse a finite non-negative number flag. */
function numberFlag(value: string, flag: string): number {
  const v = Number(value);
  if (value.trim() === "" || !Number.isFinite(v) || v < 0)
    throw new InputError(`${flag} must be a non-negative number, got "${value}"`, { field: flag });
  return v;
}

/** Re-throw a library InputError with its field renamed to the CLI flag. */
function withFlagNames<T>(fn: () => T, flags: Record<string, string>): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError && err.field && flags[err.field]) {
      const flag = flags[err.field] as string;
      throw new InputError(`${flag}: ${err.details ?? err.shortMessage}`, { field: flag });
    }
    throw err;
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`Cannot read ${file}`, {
      file,
      details: (err as NodeJS.ErrnoException).code,
      cause: err,
    });
  }
}

function parseText(text: string, file: string): unknown {
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new InputError("Not valid JSON or YAML", { file, cause: err });
  }
}

async function writeChart(path: string, svg: string): Promise<void> {
  await writeFileAtomic(path, svg, { mode: 0o644 });
}
