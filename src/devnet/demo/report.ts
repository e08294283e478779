/**
 * The demo's summary, measured from the beacon node after the run (src/devnet/judge.ts: duties,
 * inclusion, proposals and their fee recipient; slashings, finality, balances, the head block's
 * fork), never from rpdvt's own bookkeeping — next to the nodes' own duty reports
 * (./node-reports.ts, `watching` apart from `failed`), the exit (./exit.ts), the added latency
 * (./latency.ts), operator 1's life-cycle gauge, and the MEV-Boost report counted from the devnet
 * relay's records (./builder.ts; per phase too, the relay-paused one included). Its JSON shape is what `rpdvt demo --json`
 * prints (test/e2e/demo.test.ts reads it).
 */

import { toHex } from "../../util/hex.js";
import type { AttestationStats, ProposalStats } from "../judge.js";
import { slashedValidators } from "../judge.js";
import {
  type BuilderProposalCounts,
  type BuilderReport,
  builderProposalCounts,
  builderReport,
} from "./builder.js";
import {
  ALL_INDICES,
  DEMO_FEE_RECIPIENT,
  DEMO_OPERATOR_IDS,
  DEMO_THRESHOLD,
  LODESTAR_INDICES,
} from "./config.js";
import type { DemoRun } from "./context.js";
import { type ExitSummary, exitResult } from "./exit.js";
import type { AddedLatency } from "./latency.js";
import { scrapeValidatorStates } from "./node-metrics.js";
import type { NodeDutyCounts } from "./node-reports.js";
import type { Phase } from "./phases.js";
import { judgeReplacement, type ReplacementRecord, type ReplacementSummary } from "./replace.js";

/**
 * A judged span of epochs: the beacon's attestation counts and the nodes' reports.
 *
 * @example
 * const w: JudgedSpan = { fromEpoch: 0, toEpoch: 1, duties: 32, included: 0, effectiveness: 0, meanInclusionDistance: null, nodeReports: { success: 0, watching: 64, failed: 0 } };
 */
export type JudgedSpan = { fromEpoch: number; toEpoch: number } & AttestationStats & {
    nodeReports: NodeDutyCounts;
  };

/**
 * The demo's summary (`rpdvt demo --json`, its last line).
 *
 * @example
 * summary.phases.map((p) => p.included / p.duties)
 */
export type DemoSummary = {
  validators: number;
  activeValidators: number;
  inactiveValidators: number;
  operators: number;
  threshold: number;
  stoppedOperators: number;
  attestationDuties: number;
  attestationsIncluded: number;
  effectiveness: number | null;
  meanInclusionDistance: number | null;
  lodestarBaseline: {
    validators: number;
    attestationDuties: number;
    attestationsIncluded: number;
    effectiveness: number | null;
    meanInclusionDistance: number | null;
  };
  proposals: ProposalStats;
  feeRecipient: string;
  feeRecipientOk: number | null;
  secondsPerSlot: number;
  addedLatencyMs: AddedLatency;
  slashings: number;
  finalizedEpoch: number;
  balanceGainGwei: string;
  fork: string | null;
  judgeGaps: number[];
  doppelgangerWatch: JudgedSpan | null;
  nodeReports: NodeDutyCounts;
  phases: (Phase & JudgedSpan & { builder: BuilderProposalCounts | null })[];
  /** Counted from the relay's records (./builder.ts); null with `--no-relay`. */
  builder: BuilderReport | null;
  exit: ExitSummary | null;
  nodeValidatorStates: Record<string, number> | null;
  /** `--replace-operator` (./replace.ts): the cut-over's evidence and bar; null without it. */
  replacement: ReplacementSummary | null;
  dir: string;
};

/**
 * The summary and what the terminal shows besides it (the slashed validators' indices).
 *
 * @example
 * const { summary, slashed } = await summarizeDemo(run);
 */
export type DemoResult = { summary: DemoSummary; slashed: number[] };

/**
 * Measure the run's summary from the beacon node and the nodes (see the module header).
 *
 * @example
 * const { summary } = await summarizeDemo(run);
 */
export async function summarizeDemo(run: DemoRun, rec?: ReplacementRecord): Promise<DemoResult> {
  const { beacon, plan, judge } = run;
  const head = (await beacon.blockHeader("head"))?.slot ?? run.nowSlot();
  const endEpoch = Math.floor(head / run.chain.slotsPerEpoch);
  const proposals = await judge.proposals(plan.startEpoch, plan.lastEpoch, head);
  const records = run.relay ? run.relay.records() : null;
  const clusterPubkeys = run.node.squadKeys.map((k) => toHex(k.pubkey));
  const spe = run.chain.slotsPerEpoch;
  const phases: DemoSummary["phases"] = [];
  for (const p of plan.phases)
    phases.push({
      ...p,
      ...(await judgedSpan(run, p.fromEpoch, p.toEpoch, head)),
      builder: builderProposalCounts(
        records,
        clusterPubkeys,
        proposals.landedBlocks,
        p.fromEpoch * spe,
        (p.toEpoch + 1) * spe - 1,
      ),
    });
  // Before the first phase the nodes watch (doppelganger protection): nothing is signed on
  // purpose — shown as watching, not failed.
  const watch =
    plan.watchTo >= plan.startEpoch
      ? await judgedSpan(run, plan.startEpoch, plan.watchTo, head)
      : null;
  const headBlock = await beacon.block("head");
  // Operator 1 is never stopped: its view of the cluster's validators (rpdvt_validators).
  const nodeValidatorStates = await scrapeValidatorStates(run.squad.operators[0]?.metricsPort);
  const exit = await exitSummary(run, endEpoch, nodeValidatorStates);
  const all = await judge.attestations(plan.firstEpoch, plan.lastEpoch, head);
  const lodestar = await run.baseline.attestations(plan.firstEpoch, plan.lastEpoch, head);
  const slashed = await slashedValidators(beacon, ALL_INDICES);
  const finalizedEpoch = (await beacon.finalityCheckpoints()).finalized.epoch;
  const balanceGainGwei = await balanceGain(run);
  const summary: DemoSummary = {
    validators: run.node.squadKeys.length,
    activeValidators: run.ours.length,
    inactiveValidators: run.node.squadKeys.length - run.ours.length,
    operators: DEMO_OPERATOR_IDS.length,
    threshold: DEMO_THRESHOLD,
    stoppedOperators: run.opts.stopOperators,
    attestationDuties: all.duties,
    attestationsIncluded: all.included,
    effectiveness: all.effectiveness,
    meanInclusionDistance: all.meanInclusionDistance,
    lodestarBaseline: {
      validators: LODESTAR_INDICES.length,
      attestationDuties: lodestar.duties,
      attestationsIncluded: lodestar.included,
      effectiveness: lodestar.effectiveness,
      meanInclusionDistance: lodestar.meanInclusionDistance,
    },
    proposals,
    feeRecipient: DEMO_FEE_RECIPIENT,
    feeRecipientOk: proposals.landed ? proposals.rightFeeRecipient / proposals.landed : null,
    secondsPerSlot: run.chain.secondsPerSlot,
    addedLatencyMs: run.latency.result(),
    slashings: slashed.length,
    finalizedEpoch,
    balanceGainGwei: balanceGainGwei.toString(),
    fork: headBlock?.fork ?? null,
    judgeGaps: run.judgeGaps,
    doppelgangerWatch: watch,
    nodeReports: nodeAttesterReports(run, plan.startEpoch, endEpoch),
    phases,
    builder: builderReport({
      records,
      clusterPubkeys,
      feeRecipient: DEMO_FEE_RECIPIENT,
      landed: proposals.landedBlocks,
    }),
    exit,
    nodeValidatorStates,
    replacement: rec ? await replacementSummary(run, rec, phases, slashed.length, head) : null,
    dir: run.opts.dir,
  };
  return { summary, slashed };
}

/** The replacement judged: its phase, the beacon's counts of epochs E−1..E+1, the slashings. */
async function replacementSummary(
  run: DemoRun,
  rec: ReplacementRecord,
  phases: DemoSummary["phases"],
  slashings: number,
  head: number,
): Promise<ReplacementSummary> {
  const E = rec.plan.activationEpoch;
  const phase = phases.find((p) => p.name === rec.plan.phase.name) ?? { duties: 0, included: 0 };
  const around = [];
  for (const epoch of [E - 1, E, E + 1])
    around.push({ epoch, ...(await run.judge.attestations(epoch, epoch, head)) });
  return judgeReplacement(rec, phase, around, slashings, run.chain.slotsPerEpoch);
}

/** The beacon's attestation counts over [fromEpoch, toEpoch] and the nodes' reports of them. */
async function judgedSpan(
  run: DemoRun,
  fromEpoch: number,
  toEpoch: number,
  head: number,
): Promise<JudgedSpan> {
  return {
    fromEpoch,
    toEpoch,
    ...(await run.judge.attestations(fromEpoch, toEpoch, head)),
    nodeReports: nodeAttesterReports(run, fromEpoch, toEpoch),
  };
}

/** The nodes' attester reports over epochs [fromEpoch, toEpoch]. */
function nodeAttesterReports(run: DemoRun, fromEpoch: number, toEpoch: number): NodeDutyCounts {
  const spe = run.chain.slotsPerEpoch;
  return run.reports.count({
    fromSlot: fromEpoch * spe,
    toSlot: (toEpoch + 1) * spe - 1,
    type: "attester",
  });
}

/** The exit's summary (null without an exit): beacon status, duties after, the nodes' view. */
async function exitSummary(
  run: DemoRun,
  endEpoch: number,
  nodeStates: Record<string, number> | null,
): Promise<ExitSummary | null> {
  if (!run.exit) return null;
  const { target, state } = run.exit;
  const spe = run.chain.slotsPerEpoch;
  const statusAtEnd = (await run.beacon.validators([target.index]))[0]?.status ?? "unknown";
  const reportsAfter =
    state.exitEpoch === undefined
      ? null
      : run.reports.count({
          fromSlot: state.exitEpoch * spe,
          toSlot: (endEpoch + 1) * spe,
          pubkey: toHex(target.pubkey),
        });
  return exitResult(target, state, statusAtEnd, reportsAfter, nodeStates);
}

/** The squad's active validators' balance change over the run (gwei). */
async function balanceGain(run: DemoRun): Promise<bigint> {
  const after = await run.beacon.balances(run.ours);
  return run.ours.reduce(
    (a, i) => a + ((after.get(i) ?? 0n) - (run.balancesBefore.get(i) ?? 0n)),
    0n,
  );
}
