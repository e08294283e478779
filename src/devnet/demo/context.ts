/**
 * The state of one demo run once the devnet and the squad are up: the beacon client and chain
 * parameters, the judges (the squad's active validators, and Lodestar's own as the baseline,
 * src/devnet/judge.ts), the timeline (./phases.ts), the exit watch (./exit.ts), the added-latency
 * window (./latency.ts), the nodes' duty reports (./node-reports.ts) and the loop's bookkeeping.
 * {@link createDemoRun} builds it; ./loop.ts runs it; ./report.ts measures its summary.
 */
import { join } from "node:path";
import type { BeaconChainInfo, BeaconClient } from "../../beacon/index.js";
import { createJudge, type Judge } from "../judge.js";
import type { Relay } from "../relay/relay.js";
import type { Squad } from "../squad.js";
import {
  DEMO_FEE_RECIPIENT,
  DEMO_OPERATOR_IDS,
  DEMO_RELAY_PAUSE_EPOCHS,
  type DemoOptions,
  LODESTAR_INDICES,
  type Say,
} from "./config.js";
import { createExitWatch, type ExitWatch } from "./exit.js";
import { createLatencyWindow, type LatencyWindow, singleSignerMs } from "./latency.js";
import { scrapeLatencyBuckets } from "./node-metrics.js";
import { createReportCollector, type ReportCollector } from "./node-reports.js";
import { type DemoPlan, planDemo } from "./phases.js";
import { activeSquadValidators, type DemoNode, type DemoSquad } from "./squad-setup.js";

/**
 * One demo run in progress.
 *
 * @example
 * const run = await createDemoRun({ opts, say, beacon, chain, node, squad });
 * run.nowSlot();
 */
export type DemoRun = {
  opts: DemoOptions;
  say: Say;
  beacon: BeaconClient;
  chain: BeaconChainInfo;
  node: DemoNode;
  squad: Squad;
  /** The devnet's MEV-Boost relay (undefined with `--no-relay`). */
  relay: Relay | undefined;
  dashboardToken: string;
  /** The cluster validators active on the beacon node at the start (ascending indices). */
  ours: number[];
  judge: Judge;
  baseline: Judge;
  plan: DemoPlan;
  balancesBefore: Map<number, bigint>;
  exit: ExitWatch | undefined;
  reports: ReportCollector;
  latency: LatencyWindow;
  /** Epochs whose duties could not be read in time (not judged). */
  judgeGaps: number[];
  /** The loop runs until this slot (moved on once the exit epoch is known). */
  endSlot: number;
  /** The slot now (negative before genesis). */
  nowSlot: () => number;
};

/**
 * What {@link createDemoRun} starts from.
 *
 * @example
 * const i: DemoRunInput = { opts, say, beacon, chain, node, squad: { squad, dashboardToken } };
 */
export type DemoRunInput = {
  opts: DemoOptions;
  say: Say;
  beacon: BeaconClient;
  chain: BeaconChainInfo;
  node: DemoNode;
  squad: DemoSquad;
  relay?: Relay | undefined;
  /** The slot just before the squad's nodes were started (see DemoPlanInput.squadStartSlot). */
  squadStartSlot?: number | undefined;
};

/**
 * Read which cluster validators are active, set up the judges and plan the run from now.
 *
 * @example
 * const run = await createDemoRun({ opts, say, beacon, chain, node, squad });
 */
export async function createDemoRun(i: DemoRunInput): Promise<DemoRun> {
  const { beacon, chain, opts, node } = i;
  const spe = chain.slotsPerEpoch;
  const { active, indices: ours } = await activeSquadValidators(beacon, node.squadKeys);
  i.say(
    `   ${ours.length} cluster validators active on the beacon node (indices ${ours[0]}..${ours.at(-1)}), ${node.squadKeys.length - ours.length} without an active index`,
  );
  const judge = createJudge(beacon, ours, spe, new Map(ours.map((v) => [v, DEMO_FEE_RECIPIENT])));
  const baseline = createJudge(beacon, LODESTAR_INDICES, spe);
  const slotMs = chain.secondsPerSlot * 1000;
  const nowSlot = () => Math.floor((Date.now() - chain.genesisTime * 1000) / slotMs);
  const plan = planDemo({
    nowSlot: nowSlot(),
    squadStartSlot: i.squadStartSlot,
    slotsPerEpoch: spe,
    epochs: opts.epochs,
    stopOperators: opts.stopOperators,
    doppelgangerEpochs: opts.doppelgangerEpochs,
    operatorIds: DEMO_OPERATOR_IDS,
    relayPauseEpochs: i.relay ? DEMO_RELAY_PAUSE_EPOCHS : 0,
  });
  const balancesBefore = await beacon.balances(ours);
  // A threshold exit of the highest-index squad validator early in the all-up phase.
  const exitTarget = opts.exit ? active.at(-1) : undefined;
  const ports = i.squad.squad.operators.map((o) => o.metricsPort);
  const latency = createLatencyWindow({
    fromSlot: plan.allUpSlots.from,
    toSlot: plan.allUpSlots.to,
    scrape: () => scrapeLatencyBuckets(ports),
    timeSingleSigner: () =>
      singleSignerMs(
        join(opts.dir, "single-signer"),
        chain.genesisValidatorsRoot,
        node.squadKeys[0],
      ),
  });
  return {
    ...i,
    squad: i.squad.squad,
    relay: i.relay,
    dashboardToken: i.squad.dashboardToken,
    ours,
    judge,
    baseline,
    plan,
    balancesBefore,
    exit: exitTarget ? createExitWatch(beacon, exitTarget) : undefined,
    reports: createReportCollector(),
    latency,
    judgeGaps: [],
    // +1 epoch for inclusion of the last phase's attestations.
    endSlot: (plan.lastEpoch + 2) * spe,
    nowSlot,
  };
}
