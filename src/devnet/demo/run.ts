/**
 * `rpdvt demo`'s orchestration (the CLI, src/cli/demo.ts, parses its flags and prints): a
 * generated Rocket Pool node whose imported (custom-keys) validators are live on a local Lodestar
 * dev chain is split for a 4-operator squad; the devnet and the 4 `rpdvt node run` processes
 * start; duties run with live per-operator status; operators are stopped and restarted on cue;
 * one squad validator is exited by the cluster itself; and the summary is measured from the
 * beacon node, with Lodestar's own validators (indices 0..47) as the baseline in the same run.
 * By default Lodestar proposes through the devnet's MEV-Boost relay (../mev.ts, ../relay/), which
 * is paused for a phase; its records are the builder report's evidence (./builder.ts).
 *
 * Phases, one module each: ./squad-setup.ts (node, keys, squad), ./phases.ts (timeline),
 * ./context.ts (the run's state), ./loop.ts (the run), ./exit.ts, ./latency.ts (added-latency
 * benchmark), ./report.ts (the JSON summary). The devnet and the squad are stopped whatever
 * happens.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type BeaconClient, createBeaconClient } from "../../beacon/index.js";
import { SECRET_DIR_MODE } from "../../util/fs.js";
import { ensureInstalled } from "../install.js";
import { startMevDevnet } from "../mev.js";
import type { Relay } from "../relay/relay.js";
import type { Squad } from "../squad.js";
import { type DevnetHandle, startDevnet } from "../start.js";
import {
  DEMO_BUILDER_NODE_ARGS,
  DEMO_GENESIS_DELAY_S,
  type DemoOptions,
  type Say,
} from "./config.js";
import { createDemoRun } from "./context.js";
import { runDemoLoop } from "./loop.js";
import { addReplacementPhase, startReplacement } from "./replace.js";
import { type DemoResult, summarizeDemo } from "./report.js";
import { type DemoNode, prepareRocketPoolNode, startDemoSquad } from "./squad-setup.js";

/**
 * Beacon API timeout of the demo's judge: a local Lodestar answers in milliseconds idle, but at
 * load average 26 on 2 cores it left a block request unanswered for 4 s (the summary then failed).
 */
const BEACON_TIMEOUT_MS = 10_000;

/**
 * Run the demo in `opts.dir` (created 0700), saying its progress; resolves to its summary.
 *
 * @example
 * const { summary } = await runDemo({ dir, epochs: 2, stopOperators: 2, doppelgangerEpochs: 1, secondsPerSlot: 2, inactiveValidators: 2, exit: true }, console.log);
 */
export async function runDemo(opts: DemoOptions, say: Say): Promise<DemoResult> {
  await mkdir(opts.dir, { recursive: true, mode: SECRET_DIR_MODE });
  say(`rpdvt demo — working in ${opts.dir}`);
  if (opts.lodestarBin === undefined) await ensureInstalled({ install: true });
  // 1. A Rocket Pool node: wallet validators never deposited on the devnet + 16 imported keys
  // that are devnet genesis validators.
  const node = await prepareRocketPoolNode(opts.dir, opts.inactiveValidators);
  say(
    `1. Rocket Pool node ${node.dataDir}: ${node.keys.length} validator keys; ${node.liveKeys.length} of them are live on the devnet, ${node.walletKeys.length} never deposited (${opts.inactiveValidators} of those in the cluster)`,
  );
  // 2. The devnet (real Lodestar) and the squad.
  const devnetOpts = {
    workDir: join(opts.dir, "devnet"),
    genesisDelay: DEMO_GENESIS_DELAY_S,
    secondsPerSlot: opts.secondsPerSlot,
    lodestarBin: opts.lodestarBin,
  };
  // Only the squad's proposals go through the relay: Lodestar's own (the baseline) stay local.
  const mev =
    opts.relay === false
      ? undefined
      : await startMevDevnet({ devnet: devnetOpts, lodestarValidatorsUseBuilder: false });
  const devnet = mev ? mev.devnet : await startDevnet(devnetOpts);
  let squad: Squad | undefined;
  try {
    const beacon = createBeaconClient([devnet.restUrl], { timeoutMs: BEACON_TIMEOUT_MS });
    return await runOnDevnet(opts, say, { devnet, relay: mev?.relay }, beacon, node, (s) => {
      squad = s;
    });
  } finally {
    await squad?.stopAll();
    await (mev ? mev.stop() : devnet.stop());
  }
}

/** Steps 2–4 once the devnet runs: start the squad (handed to `started` for the cleanup), run, measure. */
async function runOnDevnet(
  opts: DemoOptions,
  say: Say,
  { devnet, relay }: { devnet: DevnetHandle; relay: Relay | undefined },
  beacon: BeaconClient,
  node: DemoNode,
  started: (squad: Squad) => void,
): Promise<DemoResult> {
  const chain = await beacon.chainInfo();
  say(
    `2. Lodestar devnet ${devnet.restUrl} (pid ${devnet.pid}): 64 genesis validators, Lodestar runs 0..47, the squad runs 48..63; ${chain.secondsPerSlot} s slots, ${chain.slotsPerEpoch} slots/epoch`,
  );
  say(
    relay
      ? `   MEV-Boost: Lodestar's builder → the devnet relay ${relay.url} (verifies every registration and blinded block signature)`
      : "   MEV-Boost: off (--no-relay): local blocks only",
  );
  const squad = await startDemoSquad(
    opts.dir,
    node.squadKeys,
    devnet.restUrl,
    opts.doppelgangerEpochs,
    relay ? DEMO_BUILDER_NODE_ARGS : [],
  );
  started(squad.squad);
  say(
    `3. Split ${node.squadKeys.length} validators for 4 operators (threshold 3) and started 4 rpdvt node processes: ${squad.squad.clusterDir}`,
  );
  say(`   Dashboard (operator 1): http://127.0.0.1:${squad.squad.operators[0]?.metricsPort}/`);
  const run = await createDemoRun({
    opts,
    say,
    beacon,
    chain,
    node,
    squad,
    relay,
    // The watch is judged from when the nodes were started (after the cluster was written).
    squadStartSlot: Math.floor(
      (squad.squad.startedAtMs - chain.genesisTime * 1000) / (chain.secondsPerSlot * 1000),
    ),
  });
  const replacement = opts.replaceOperator ? addReplacementPhase(run) : undefined;
  const replacing = replacement ? startReplacement(run, replacement) : undefined;
  try {
    await runDemoLoop(run);
  } finally {
    await replacing?.stop();
  }
  return summarizeDemo(run, replacement);
}
