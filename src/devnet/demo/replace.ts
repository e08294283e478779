/**
 * The demo's replace-operator phase (issue 16 part 1 "Demo"; docs/replace-operator.md): operator 4
 * is replaced by a new operator 5 at an activation epoch E, through the same CLI commands the
 * README and HANDOVER.txt give an operator — `rpdvt node identity` (operator 5's fresh identity),
 * `rpdvt cluster replace-operator` (fresh split from the Rocket Pool wallet, definition
 * `previous: {hash, activationEpoch}`), `rpdvt slashing-protection export` on a staying operator
 * (stopped for a moment: its node holds the DB) and `import` into operator 5's fresh data dir —
 * then the staying operators restart one at a time (each after the previous one signs again) with `node run --cluster NEW
 * --previous-cluster OLD` (src/app/succession.ts) and operator 5 starts. Operator 4 keeps running
 * on its OLD shares: its own tracker (GET /status `recent`, src/app/http.ts) must show that none
 * of its duties from slot E·SLOTS_PER_EPOCH on completed (no aggregate), and the beacon node no
 * slashing. The judged phase ("… replaced …") is epochs E and E+1; the missed duties of epochs
 * E−1, E, E+1 are reported (the note). Planning and judging are pure; the steps run off
 * the demo loop (src/devnet/demo/loop.ts), which keeps judging every epoch meanwhile.
 */
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { DutyReport } from "../../core/tracker/tracker.js";
import { BaseError } from "../../errors.js";
import { BIN, type SquadOperator } from "../squad.js";
import { freePort } from "../start.js";
import type { DemoRun } from "./context.js";
import type { NodeDutyCounts } from "./node-reports.js";
import { classifyReport } from "./node-reports.js";
import type { Phase } from "./phases.js";

/**
 * The operator the demo removes, and the new one that takes its place.
 *
 * @example
 * `--replace ${REPLACED_OPERATOR}=${NEW_OPERATOR}` // "--replace 4=5"
 */
export const REPLACED_OPERATOR = 4;
/**
 * The new operator's id (see {@link REPLACED_OPERATOR}).
 *
 * @example
 * squad.start(NEW_OPERATOR);
 */
export const NEW_OPERATOR = 5;

/**
 * Seconds between the start of the hand-over (after the other phases) and E: 2 CLI runs and 3
 * node restarts one after the other (one staying operator down at a time, so the old cluster
 * keeps its threshold). Idle, a node restarts in ~5 s; at load average 24–30 on 2 cores a start
 * took up to 153 s (src/devnet/squad.ts), so the lead is generous: a hand-over late for E shows in
 * the phase. The owner's part (`node identity`, `cluster replace-operator`: 72 keystores) runs
 * earlier, from the first judged phase on: it only writes files.
 *
 * @example
 * Math.ceil(REPLACE_LEAD_SECONDS / (8 * 2)) // 19 epochs of 8 two-second slots
 */
export const REPLACE_LEAD_SECONDS = 300;

/**
 * The name of the judged phase (epochs E and E+1).
 *
 * @example
 * summary.phases.find((p) => p.name.includes("replaced"))
 */
export const REPLACED_PHASE = `operator ${REPLACED_OPERATOR} replaced by operator ${NEW_OPERATOR}`;

/**
 * The replacement's timeline: the owner's command from `prepareAtSlot`, the operators' hand-over
 * (slashing history, restarts) from `handOverAtSlot`, the new cluster signing from E.
 *
 * @example
 * const r: ReplacementPlan = { prepareAtSlot: 40, handOverAtSlot: 103, activationEpoch: 32, phase };
 */
export type ReplacementPlan = {
  prepareAtSlot: number;
  handOverAtSlot: number;
  activationEpoch: number;
  phase: Phase;
};

/**
 * The replacement: the owner's command at the first judged epoch's start, the hand-over one slot
 * before the epoch after the demo's last phase, E {@link REPLACE_LEAD_SECONDS} after that (at
 * least 3 epochs: the command wants E ≥ now + 2), and the judged phase E..E+1 with the 4
 * operators of the new set up.
 *
 * @example
 * planReplacement(5, 12, 8, 2); // { prepareAtSlot: 40, handOverAtSlot: 103, activationEpoch: 32, phase: { fromEpoch: 32, toEpoch: 33, … } }
 */
export function planReplacement(
  firstEpoch: number,
  lastEpoch: number,
  slotsPerEpoch: number,
  secondsPerSlot: number,
): ReplacementPlan {
  const next = lastEpoch + 1;
  const lead = Math.max(3, Math.ceil(REPLACE_LEAD_SECONDS / (slotsPerEpoch * secondsPerSlot)));
  const activationEpoch = next + lead;
  return {
    prepareAtSlot: firstEpoch * slotsPerEpoch,
    handOverAtSlot: next * slotsPerEpoch - 1,
    activationEpoch,
    phase: {
      name: REPLACED_PHASE,
      operatorsUp: 4,
      fromEpoch: activationEpoch,
      toEpoch: activationEpoch + 1,
    },
  };
}

/**
 * What the run records while it replaces the operator (inputs of {@link judgeReplacement}).
 *
 * @example
 * const rec = createReplacementRecord(plan);
 */
export type ReplacementRecord = {
  plan: ReplacementPlan;
  /** Each step and the slot it finished at. */
  steps: { step: string; slot: number }[];
  /** The new cluster's definition hash and its previous (from the command's --json). */
  clusterHash: string | null;
  previousHash: string | null;
  /** Operator 4's and 5's finalised duty reports, by `slot/type/pubkey`. */
  removed: Map<string, DutyReport>;
  added: Map<string, DutyReport>;
  /** The preparation's error, if it failed (the phase is then judged as it came). */
  error: string | null;
};

/**
 * An empty record for `plan`.
 *
 * @example
 * createReplacementRecord(planReplacement(5, 12, 8, 2)).steps // []
 */
export function createReplacementRecord(plan: ReplacementPlan): ReplacementRecord {
  return {
    plan,
    steps: [],
    clusterHash: null,
    previousHash: null,
    removed: new Map(),
    added: new Map(),
    error: null,
  };
}

/**
 * Beacon counts of one epoch's attestation duties of the squad.
 *
 * @example
 * const e: EpochCount = { epoch: 37, duties: 16, included: 15 };
 */
export type EpochCount = { epoch: number; duties: number; included: number };

/**
 * The replacement's section of the demo summary (`replacement` in `rpdvt demo --json`).
 *
 * @example
 * summary.replacement?.removedNode.completedFromActivation // 0
 */
export type ReplacementSummary = {
  activationEpoch: number;
  removedOperator: number;
  newOperator: number;
  clusterHash: string | null;
  previousHash: string | null;
  steps: { step: string; slot: number }[];
  /** Squad attestation duties/included/missed of epochs E−1, E, E+1 (beacon node). */
  aroundActivation: (EpochCount & { missed: number })[];
  missedAroundActivation: number | null;
  /** Operator 4 (old shares) from slot E·SLOTS_PER_EPOCH on, from its own tracker. */
  removedNode: {
    reports: number;
    /** Duties it completed (an aggregate signature made): must be 0. */
    completedFromActivation: number;
    /** Builder registrations re-sent with their pre-E aggregate (not re-signed; not counted above). */
    resubmittedRegistrations: number;
    lastCompletedSlot: number | null;
    failureReasons: Record<string, number>;
  };
  /** Operator 5's own reports from slot E·SLOTS_PER_EPOCH on. */
  newNode: NodeDutyCounts;
  /** The bar: ≥ 90 % included in the phase, 0 slashings, no threshold from the removed node. */
  bar: { includedRatio: number | null; slashings: number; passed: boolean | null; why: string[] };
  error: string | null;
};

/** The duty whose "success" after E is a re-submission of a pre-E aggregate, not a new one. */
const RESUBMITTED_DUTY = "builder_registration";

/** Share of the replaced phase's duties that must be included. */
const BAR_INCLUDED = 0.9;

/**
 * Judge the replacement from recorded inputs: the replaced phase's beacon counts, the epochs
 * around E, the slashings and the two nodes' reports. `passed` is null (n/a) when the phase had no
 * duties (e.g. the run ended early), with the reason in `why`.
 *
 * @example
 * judgeReplacement(rec, { duties: 32, included: 31 }, around, 0, 8).bar.passed // true
 */
export function judgeReplacement(
  rec: ReplacementRecord,
  phase: { duties: number; included: number },
  around: readonly EpochCount[],
  slashings: number,
  slotsPerEpoch: number,
): ReplacementSummary {
  const from = rec.plan.activationEpoch * slotsPerEpoch;
  const after = [...rec.removed.values()].filter((r) => r.slot >= from);
  // An unchanged builder registration is re-submitted with the aggregate signed before E, never
  // re-signed (src/core/duties/builder-registration.ts): not a threshold reached after E.
  const resent = after.filter((r) => r.type === RESUBMITTED_DUTY && r.outcome === "success");
  const completed = after.filter((r) => r.type !== RESUBMITTED_DUTY && r.outcome === "success");
  const failureReasons: Record<string, number> = {};
  for (const r of after) {
    if (r.outcome !== "failed") continue;
    const k = r.reason ?? "unknown";
    failureReasons[k] = (failureReasons[k] ?? 0) + 1;
  }
  const newNode: NodeDutyCounts = { success: 0, watching: 0, failed: 0 };
  for (const r of rec.added.values()) {
    if (r.slot < from) continue;
    const c = classifyReport(r);
    if (c !== "pending") newNode[c] += 1;
  }
  const includedRatio = phase.duties > 0 ? phase.included / phase.duties : null;
  const why: string[] = [];
  if (includedRatio === null) why.push("no attestation duties judged in the replaced phase");
  else if (includedRatio < BAR_INCLUDED)
    why.push(`${phase.included}/${phase.duties} included, below ${BAR_INCLUDED * 100} %`);
  if (slashings > 0) why.push(`${slashings} slashing(s)`);
  if (completed.length > 0)
    why.push(`operator ${REPLACED_OPERATOR} completed ${completed.length} duties after E`);
  if (after.length === 0)
    why.push(`no report of operator ${REPLACED_OPERATOR} after E (no evidence either way)`);
  if (rec.error) why.push(`preparation failed: ${rec.error}`);
  const aroundActivation = around.map((e) => ({ ...e, missed: e.duties - e.included }));
  return {
    activationEpoch: rec.plan.activationEpoch,
    removedOperator: REPLACED_OPERATOR,
    newOperator: NEW_OPERATOR,
    clusterHash: rec.clusterHash,
    previousHash: rec.previousHash,
    steps: rec.steps,
    aroundActivation,
    missedAroundActivation:
      around.length > 0 ? aroundActivation.reduce((a, e) => a + e.missed, 0) : null,
    removedNode: {
      reports: after.length,
      completedFromActivation: completed.length,
      resubmittedRegistrations: resent.length,
      lastCompletedSlot: completed.length ? Math.max(...completed.map((r) => r.slot)) : null,
      failureReasons,
    },
    newNode,
    bar: {
      includedRatio,
      slashings,
      passed: includedRatio === null ? null : why.length === 0,
      why,
    },
    error: rec.error,
  };
}

/**
 * Add the replacement to the run's plan (its phase last; the loop runs one epoch past it).
 *
 * @example
 * const rec = addReplacementPhase(run);
 */
export function addReplacementPhase(run: DemoRun): ReplacementRecord {
  const spe = run.chain.slotsPerEpoch;
  const plan = planReplacement(
    run.plan.firstEpoch,
    run.plan.lastEpoch,
    spe,
    run.chain.secondsPerSlot,
  );
  run.plan.phases.push(plan.phase);
  run.plan.lastEpoch = plan.phase.toEpoch;
  run.endSlot = (plan.phase.toEpoch + 2) * spe;
  return createReplacementRecord(plan);
}

/** Ends every CLI step still running when the demo stops. */
const cliSteps = new AbortController();

/** Run `rpdvt <args>` (the CLI code path the README uses); its stdout. */
function rpdvt(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        maxBuffer: 16 << 20,
        env: { ...process.env, LODESTAR_PRESET: undefined },
        signal: cliSteps.signal,
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        reject(
          new BaseError(`rpdvt ${args.slice(0, 2).join(" ")} failed in the demo`, {
            details: stderr.trim().split("\n").slice(-6).join("\n"),
          }),
        );
      },
    );
  });
}

/** Keep operator 4's and 5's finalised reports while the run lasts. */
async function pollReports(run: DemoRun, rec: ReplacementRecord, until: () => boolean) {
  while (!until()) {
    for (const [id, into] of [
      [REPLACED_OPERATOR, rec.removed],
      [NEW_OPERATOR, rec.added],
    ] as const) {
      if (!run.squad.operators.some((o) => o.id === id)) continue;
      const s = await run.squad.status(id);
      for (const r of (s?.recent as DutyReport[] | undefined) ?? []) {
        if (r.outcome !== "pending") into.set(`${r.slot}/${r.type}/${r.pubkey}`, r);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Run the replacement off the demo loop: wait for its slot, then the hand-over steps (module
 * header); operator 4's and 5's reports are polled until `stop()`. Never rejects: an error is
 * recorded and said (the phase then shows what it did to the squad).
 *
 * @example
 * const r = startReplacement(run, rec); await runDemoLoop(run); await r.stop();
 */
export function startReplacement(
  run: DemoRun,
  rec: ReplacementRecord,
): { stop: () => Promise<void> } {
  let over = false;
  const polling = pollReports(run, rec, () => over);
  const E = rec.plan.activationEpoch;
  const step = (s: string) => {
    rec.steps.push({ step: s, slot: run.nowSlot() });
    run.say(
      `   ⇄ ${s} (slot ${run.nowSlot()}, E = ${E} starts at slot ${E * run.chain.slotsPerEpoch})`,
    );
  };
  const steps = (async () => {
    while (!over && run.nowSlot() < rec.plan.prepareAtSlot)
      await new Promise((r) => setTimeout(r, 500));
    if (over) return;
    try {
      const owner = await ownerReplaces(run, rec, step);
      while (!over && run.nowSlot() < rec.plan.handOverAtSlot)
        await new Promise((r) => setTimeout(r, 500));
      if (!over) await handOver(run, owner, E, step);
    } catch (e) {
      rec.error = e instanceof Error ? e.message : String(e);
      run.say(`   ✗ replace-operator: ${rec.error}`);
    }
  })();
  return {
    async stop() {
      over = true;
      cliSteps.abort();
      await Promise.all([polling, steps]);
    },
  };
}

/** What the owner's part hands to the operators' part. */
type OwnerPart = { op5: SquadOperator; newCluster: string };

/** The new operator's identity and the owner's `cluster replace-operator` (files only). */
async function ownerReplaces(
  run: DemoRun,
  rec: ReplacementRecord,
  step: (s: string) => void,
): Promise<OwnerPart> {
  const E = rec.plan.activationEpoch;
  const work = join(run.opts.dir, "squad");
  const oldCluster = run.squad.clusterDir;
  const newCluster = join(work, "cluster-v2");
  const op5: SquadOperator = {
    id: NEW_OPERATOR,
    dir: join(work, `operator-${NEW_OPERATOR}`),
    metricsPort: await freePort(),
    logFile: join(work, `operator-${NEW_OPERATOR}`, "node.log"),
    process: undefined,
  };
  await fsp.mkdir(op5.dir, { recursive: true, mode: 0o700 });
  const idFile = join(op5.dir, "identity.json");
  const id = JSON.parse(await rpdvt(["node", "identity", "--out", idFile, "--json"])) as {
    peerId: string;
  };
  step(`operator ${NEW_OPERATOR}: fresh identity ${id.peerId}`);
  const staying = run.squad.operators.filter((o) => o.id !== REPLACED_OPERATOR);
  const endpoints = await Promise.all(
    [...staying.map((o) => o.id), NEW_OPERATOR].map(
      async (i) => `${i}=127.0.0.1:${await freePort()}`,
    ),
  );
  const out = JSON.parse(
    await rpdvt([
      "cluster",
      "replace-operator",
      "--cluster",
      oldCluster,
      "--rocketpool-dir",
      run.node.dataDir,
      "--replace",
      `${REPLACED_OPERATOR}=${NEW_OPERATOR}`,
      "--peer-ids",
      `${NEW_OPERATOR}=${id.peerId}`,
      "--endpoints",
      endpoints.join(","),
      "--activation-epoch",
      String(E),
      "--current-epoch",
      String(Math.floor(run.nowSlot() / run.chain.slotsPerEpoch)),
      "--out",
      newCluster,
      // As the squad's own keystores (src/devnet/squad.ts): 72 keystores in seconds, not minutes.
      "--kdf",
      "pbkdf2",
      "--json",
      "--quiet",
    ]),
  ) as { hash: string; previousHash: string };
  rec.clusterHash = out.hash;
  rec.previousHash = out.previousHash;
  step(`rpdvt cluster replace-operator --replace 4=5 --activation-epoch ${E}: ${newCluster}`);
  return { op5, newCluster };
}

/** The operators' hand-over: slashing history export/import, restarts, operator 5's start. */
async function handOver(
  run: DemoRun,
  { op5, newCluster }: OwnerPart,
  E: number,
  step: (s: string) => void,
): Promise<void> {
  const work = join(run.opts.dir, "squad");
  const oldCluster = run.squad.clusterDir;
  const staying = run.squad.operators.filter((o) => o.id !== REPLACED_OPERATOR);
  const [first, ...rest] = staying;
  if (!first) throw new BaseError("the demo squad has no staying operator");
  const interchange = join(work, "handover-interchange.json");
  await run.squad.stop(first.id);
  await rpdvt([
    "slashing-protection",
    "export",
    "--data-dir",
    join(first.dir, "data"),
    "--out",
    interchange,
  ]);
  await rpdvt([
    "slashing-protection",
    "import",
    "--data-dir",
    join(op5.dir, "data"),
    "--file",
    interchange,
  ]);
  step(`slashing history exported by operator ${first.id}, imported for operator ${NEW_OPERATOR}`);
  run.squad.operators.push(op5);
  op5.clusterDir = join(newCluster, `operator-${NEW_OPERATOR}`);
  let since = Date.now();
  await Promise.all([
    restartAsSuccessor(run, first, oldCluster, newCluster),
    run.squad.start(NEW_OPERATOR),
  ]);
  step(`operator ${first.id} restarted with --previous-cluster; operator ${NEW_OPERATOR} started`);
  let last = first;
  for (const o of rest) {
    // One at a time (HANDOVER.txt step 4): a restarted node watches liveness (doppelganger)
    // before it signs again; stopping the next meanwhile leaves the old cluster below threshold.
    step(await signingAgain(run, last, since, E));
    since = Date.now();
    await run.squad.stop(o.id);
    await restartAsSuccessor(run, o, oldCluster, newCluster);
    step(`operator ${o.id} restarted with --previous-cluster`);
    last = o;
  }
}

/**
 * Wait until `op`'s node logs a duty of the old cluster (`"cluster":"previous"`) that succeeded
 * after `sinceMs` — its doppelganger watch is over and it signs again — or until the activation
 * epoch is 2 epochs away (the hand-over must go on); what happened, for the step list.
 */
async function signingAgain(
  run: DemoRun,
  op: SquadOperator,
  sinceMs: number,
  E: number,
): Promise<string> {
  const deadlineSlot = (E - 2) * run.chain.slotsPerEpoch;
  while (run.nowSlot() < deadlineSlot) {
    const log = await fsp.readFile(op.logFile, "utf8").catch(() => "");
    for (const line of log.split("\n")) {
      if (!line.includes('"cluster":"previous"') || !line.includes('"outcome":"success"')) continue;
      try {
        const l = JSON.parse(line) as { time: string; slot: number };
        if (Date.parse(l.time) > sinceMs)
          return `operator ${op.id}'s old cluster signs again (slot ${l.slot})`;
      } catch {
        // a line being written
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return `operator ${op.id}'s old cluster not signing yet; going on (E is 2 epochs away)`;
}

/** Start a staying operator on the new cluster with its old one as `--previous-cluster`. */
async function restartAsSuccessor(
  run: DemoRun,
  op: SquadOperator,
  oldCluster: string,
  newCluster: string,
): Promise<void> {
  op.clusterDir = join(newCluster, `operator-${op.id}`);
  op.extraArgs = ["--previous-cluster", join(oldCluster, `operator-${op.id}`)];
  await run.squad.start(op.id);
}
