/**
 * The demo's run loop, every half second until the run's end slot: the judges read each epoch's
 * duties while the beacon node still serves them (current and next epoch only), the
 * added-latency window scrapes the nodes, due operator changes and the threshold exit are queued,
 * the exit is followed in the beacon state, and once per slot the live line is printed.
 *
 * Operator changes and the exit run one after the other, off the loop: a restart waits for the
 * node to answer, which on a loaded host takes longer than an epoch, and the judge must keep
 * reading each epoch's duties meanwhile. Their first error is thrown once the loop is over.
 */

import { join } from "node:path";
import { BaseError } from "../../errors.js";
import { DEMO_OPERATOR_IDS } from "./config.js";
import type { DemoRun } from "./context.js";
import { pollOperators } from "./live.js";

/** How often the loop turns. */
const TICK_MS = 500;

/**
 * An operator change or the exit, due at a slot, run once.
 *
 * @example
 * const a: ScheduledAction = { atSlot: 39, done: false, run: () => squad.stop(4) };
 */
export type ScheduledAction = { atSlot: number; done: boolean; run: () => Promise<void> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The run's actions from its plan: the operator changes, then the exit (if any).
 *
 * @example
 * const actions = scheduleActions(run);
 */
export function scheduleActions(run: DemoRun): ScheduledAction[] {
  const stopped: number[] = [];
  const n = DEMO_OPERATOR_IDS.length;
  const actions: ScheduledAction[] = run.plan.changes.map((c) => ({
    atSlot: c.atSlot,
    done: false,
    run:
      c.kind === "stop"
        ? async () => {
            await run.squad.stop(c.operatorId);
            stopped.push(c.operatorId);
            run.say(`   ✗ stopped operator ${c.operatorId} (${n - stopped.length} of ${n} up)`);
          }
        : c.kind === "restart"
          ? async () => {
              for (const id of stopped.splice(0)) {
                await run.squad.start(id);
                run.say(`   ✓ restarted operator ${id}`);
              }
            }
          : () => relayChange(run, c.kind === "pause-relay"),
  }));
  const exit = run.exit;
  if (exit) {
    actions.push({ atSlot: run.plan.exitAtSlot, done: false, run: () => requestExit(run, exit) });
  }
  return actions;
}

/** Pause (connections refused) or resume the devnet relay, saying so. */
async function relayChange(run: DemoRun, pause: boolean): Promise<void> {
  if (!run.relay) return;
  if (pause) {
    await run.relay.pause();
    run.say(`   ⏸ relay ${run.relay.url} paused: proposals fall back to local blocks`);
  } else {
    await run.relay.resume();
    run.say(`   ▶ relay ${run.relay.url} resumed`);
  }
}

/** Every node is asked to consent (t = 3 suffice); the beacon state then shows its exit epoch. */
async function requestExit(run: DemoRun, exit: NonNullable<DemoRun["exit"]>): Promise<void> {
  const epoch = Math.floor(run.nowSlot() / run.chain.slotsPerEpoch);
  const urls = run.squad.operators.map((o) => `http://127.0.0.1:${o.metricsPort}`);
  const consented = await exit.request(urls, run.dashboardToken, epoch);
  run.say(
    `   ⏏ threshold exit of validator ${exit.target.index} at epoch ${epoch}: ${consented} of ${urls.length} nodes consented`,
  );
}

/**
 * Run the demo until its end slot (see the module header).
 *
 * @example
 * await runDemoLoop(run);
 */
export async function runDemoLoop(run: DemoRun): Promise<void> {
  const actions = scheduleActions(run);
  let queue: Promise<void> = Promise.resolve();
  const errors: unknown[] = [];
  let lastStatusSlot = -1;
  const gapSaid = new Set<number>();
  while (run.nowSlot() < run.endSlot) {
    const slot = run.nowSlot();
    if (slot < 0) {
      await sleep(TICK_MS); // before genesis
      continue;
    }
    const epoch = Math.floor(slot / run.chain.slotsPerEpoch);
    await observeEpoch(run, epoch, gapSaid);
    await run.latency.tick(slot);
    for (const a of actions) {
      if (a.done || slot < a.atSlot) continue;
      a.done = true;
      queue = queue.then(a.run).catch((e: unknown) => {
        errors.push(e);
      });
    }
    await followExit(run, slot, epoch);
    if (slot !== lastStatusSlot) {
      lastStatusSlot = slot;
      await printLiveLine(run, slot, epoch);
      await assertChainAdvances(run, slot);
    }
    await sleep(TICK_MS);
  }
  await queue;
  const [error] = errors;
  if (error) throw error;
}

/**
 * Both judges read the epoch's duties; an epoch the beacon node no longer serves is a gap. The
 * loop retries every tick: the gap is recorded and said once per epoch, and dropped again if a
 * later tick reads the epoch after all.
 */
async function observeEpoch(run: DemoRun, epoch: number, said: Set<number>): Promise<void> {
  try {
    await run.judge.observe(epoch);
    await run.baseline.observe(epoch);
    const i = run.judgeGaps.indexOf(epoch);
    if (i >= 0) run.judgeGaps.splice(i, 1);
  } catch (e) {
    // The beacon node serves duties for the current and next epoch only: on a host so loaded
    // that an epoch passed meanwhile, that epoch's duties are not judged.
    if (said.has(epoch)) return;
    said.add(epoch);
    run.judgeGaps.push(epoch);
    run.say(`   (duties of epoch ${epoch} not read: ${e instanceof Error ? e.message : e})`);
  }
}

/**
 * A one-node devnet whose head falls more than an epoch behind the clock never recovers: Lodestar
 * then calls itself syncing ("Node is syncing - waiting for peers", HTTP 503 on every duty
 * request) and its own validators stop proposing. Stop the run there, saying why, instead of
 * judging a dead chain until the end.
 *
 * @example
 * await assertChainAdvances(run, slot); // throws once head slot < slot - slotsPerEpoch
 */
export async function assertChainAdvances(run: DemoRun, slot: number): Promise<void> {
  let s: Awaited<ReturnType<DemoRun["beacon"]["syncing"]>>;
  try {
    s = await run.beacon.syncing();
  } catch {
    return; // a slow answer is not a stall; the live line already shows the node's state
  }
  if (!s.isSyncing || slot - s.headSlot <= run.chain.slotsPerEpoch) return;
  throw new BaseError(
    `The devnet's beacon node stalled: head slot ${s.headSlot} at slot ${slot} (more than an epoch behind)`,
    {
      details: "it calls itself syncing and a one-node chain does not recover from that",
      metaMessages: [
        "Usually the host is too loaded for the slot length: check `uptime`, then run again with a longer --seconds-per-slot (a post-Electra Lodestar computes blob cells and proofs for every block).",
        `Lodestar log: ${join(run.opts.dir, "devnet", "lodestar.log")}`,
      ],
    },
  );
}

/** The exit epoch once it shows (the run then lasts one epoch past it), and duties after it. */
async function followExit(run: DemoRun, slot: number, epoch: number): Promise<void> {
  if (!run.exit) return;
  const exitEpoch = await run.exit.checkExitEpoch(slot);
  if (exitEpoch !== undefined) {
    run.endSlot = Math.max(run.endSlot, (exitEpoch + 2) * run.chain.slotsPerEpoch);
    run.say(`   ⏏ validator ${run.exit.target.index}: exit epoch ${exitEpoch} in the beacon state`);
  }
  await run.exit.checkDutiesAfterExit(epoch);
}

/** The live line: slot, epoch, finalized epoch and each operator's cell. */
async function printLiveLine(run: DemoRun, slot: number, epoch: number): Promise<void> {
  const cells = await pollOperators(run.squad, run.reports);
  // A live line is for the eye: a beacon node too loaded to answer in time (measured: Lodestar
  // 1.5.1 dropping the socket at load average 24) shows "?" instead of ending the run.
  const fin = await run.beacon
    .finalityCheckpoints()
    .then((c) => String(c.finalized.epoch))
    .catch(() => "?");
  run.say(
    `   slot ${String(slot).padStart(3)} epoch ${String(epoch).padStart(2)} finalized ${fin} | ${cells.join(" | ")}`,
  );
}
