/**
 * `rpdvt demo`: the main job on an embedded default. A generated Rocket Pool node whose imported
 * (custom-keys) validators are live on a local Lodestar dev chain is split for a 4-operator squad;
 * the devnet and the 4 `rpdvt node run` processes start; duties run with live per-operator status
 * in the terminal; operators are stopped and restarted on cue; and the summary is measured from
 * the beacon node (duties, inclusion, proposals and their fee recipient, slashings, finality),
 * never from rpdvt's own bookkeeping. Lodestar's own validators (indices 0..47) are the baseline
 * in the same run.
 *
 * A realistic node: the Rocket Pool node's wallet validators were never deposited on the devnet
 * (no index): with `--inactive-validators` they join the cluster too, and the nodes must keep the
 * active ones attesting while they watch those. During the all-up phase one squad validator is
 * exited by the cluster itself (threshold-signed voluntary exit: each node consents over its
 * dashboard API, src/ops/exit/cluster.ts); the summary shows its exit epoch from the beacon state,
 * that the beacon and the nodes have no duties for it after that, and the rest carrying on.
 * While a node watches a validator's liveness before signing (doppelganger protection) its duties
 * are shown and counted as `watching`, apart from failures (src/devnet/demo/node-reports.ts).
 *
 * Added duty latency (what a DV costs over one signer): each node's Prometheus histogram
 * rpdvt_duty_fetch_to_broadcast_seconds{type="attester"} (per validator: unsigned data fetched →
 * aggregate signature handed to the beacon node) is scraped at the start and the end of the
 * all-operators-up phase; the difference, pooled over the 4 nodes, gives median and p99
 * (interpolated inside the histogram's buckets, like Prometheus histogram_quantile: within half a
 * bucket width). A single signer's own time on that path — one slashing-protection
 * check-and-insert plus one BLS signature, the same src/core/signer code on a SQLite file —
 * is measured in this process on this host (median of 200) and subtracted.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { type BeaconValidator, createBeaconClient } from "../beacon/index.js";
import { type HistogramBucket, histogramQuantile, parseHistogramBuckets } from "../core/metrics.js";
import { createProtectionView } from "../core/signer/protection.js";
import { createSigner } from "../core/signer/signer.js";
import type { DutyReport } from "../core/tracker/tracker.js";
import { DEVNET_DV_INDICES } from "../devnet/cluster.js";
import {
  createReportCollector,
  type NodeDutyCounts,
  summaryCounts,
} from "../devnet/demo/node-reports.js";
import { ensureInstalled } from "../devnet/install.js";
import { interopSecretKey } from "../devnet/interop.js";
import { createJudge, slashedValidators } from "../devnet/judge.js";
import { startSquad } from "../devnet/squad.js";
import { DEFAULT_SECONDS_PER_SLOT, startDevnet } from "../devnet/start.js";
import { BaseError, InputError } from "../errors.js";
import type { ValidatorKey } from "../keysplit/split.js";
import { requestClusterExit } from "../ops/exit/cluster.js";
import { readRocketPoolKeys } from "../rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../rocketpool/fixture.js";
import { SlashingProtectionDb } from "../slashing/db.js";
import { SECRET_DIR_MODE } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import { LODESTAR_BIN_OPTION, lodestarBinArg, MAX_SECONDS_PER_SLOT } from "./devnet.js";
import { printJson, runAction } from "./run.js";

/** The demo squad: n = 4 operators (F = 1, threshold 3). */
const OPERATOR_IDS = [1, 2, 3, 4];
/**
 * The squad's fee recipient. A real Rocket Pool validator must use its node's fee distributor or
 * the Smoothing Pool (src/ops/feerecipient, from on-chain state the fixture does not model); on the
 * devnet any address works as long as it is not Lodestar's default (the zero address), so the
 * judge can tell a registered recipient from the default.
 */
const DEMO_FEE_RECIPIENT = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
/** Wallet validators of the demo's Rocket Pool node: never deposited on the devnet (no index). */
const WALLET_VALIDATORS = 2;
/**
 * Wallet validators in the cluster by default (`--inactive-validators`): all of them. The nodes
 * keep the active validators signing while they watch the ones without an index (per-validator
 * doppelganger protection and life cycle, src/core/signer/doppelganger.ts, src/core/scheduler).
 */
const DEFAULT_INACTIVE_VALIDATORS = WALLET_VALIDATORS;
/** Genesis validators Lodestar runs itself (`lodestar dev --startValidators 0..47`). */
const LODESTAR_INDICES = Array.from({ length: 48 }, (_, i) => i);
const ALL_INDICES = Array.from({ length: 64 }, (_, i) => i);

type DemoFlags = {
  epochs: string;
  stopOperators: string;
  doppelgangerEpochs: string;
  secondsPerSlot: string;
  lodestarBin?: string;
  inactiveValidators: string;
  exit: boolean;
  dir?: string;
  json?: boolean;
};

type Phase = { name: string; operatorsUp: number; fromEpoch: number; toEpoch: number };

function intFlag(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`${flag} ${value} must be an integer in ${min}..${max}`, { field: flag });
  }
  return n;
}

/**
 * The `demo` command.
 *
 * @example
 * await demoCommand().parseAsync(["node", "demo", "--epochs", "2", "--stop-operators", "2", "--json"]);
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "Run the main job on an embedded default: a Rocket Pool node's validators split for a 4-operator squad, performing duties on a local Lodestar dev chain while operators go down and come back",
    )
    .option("--epochs <n>", "epochs with all operators up (after the doppelganger watch)", "2")
    .option(
      "--stop-operators <k>",
      "operators to stop, one after the other (0, 1 or 2), then restart",
      "2",
    )
    .option(
      "--doppelganger-epochs <n>",
      "epochs each node watches liveness before its first signature",
      "1",
    )
    .option(
      "--inactive-validators <n>",
      `the node's wallet validators never deposited on the devnet (no index) to put in the cluster too (0..${WALLET_VALIDATORS})`,
      String(DEFAULT_INACTIVE_VALIDATORS),
    )
    .option(
      "--no-exit",
      "do not exit a squad validator (threshold exit via the nodes) during the run",
    )
    .option(
      "--seconds-per-slot <n>",
      `devnet slot length in seconds (1..${MAX_SECONDS_PER_SLOT}; a post-Electra Lodestar on 2 cores needs 3)`,
      String(DEFAULT_SECONDS_PER_SLOT),
    )
    .option(...LODESTAR_BIN_OPTION, lodestarBinArg)
    .option("--dir <dir>", "working folder (default: ./.rpdvt-demo/run-<time>)")
    .option("--json", "print one JSON summary as the last line (measured from the beacon node)")
    .action(
      runAction(async (flags: DemoFlags) => {
        const epochs = intFlag(flags.epochs, "--epochs", 1, 20);
        const stopCount = intFlag(flags.stopOperators, "--stop-operators", 0, 2);
        const dgEpochs = intFlag(flags.doppelgangerEpochs, "--doppelganger-epochs", 0, 4);
        const secondsPerSlot = intFlag(
          flags.secondsPerSlot,
          "--seconds-per-slot",
          1,
          MAX_SECONDS_PER_SLOT,
        );
        const inactiveCount = intFlag(
          flags.inactiveValidators,
          "--inactive-validators",
          0,
          WALLET_VALIDATORS,
        );
        const say = (line: string) => {
          if (!flags.json) process.stdout.write(`${line}\n`);
          else process.stderr.write(`${line}\n`);
        };
        const dir = resolve(
          flags.dir ?? join(".rpdvt-demo", `run-${new Date().toISOString().replace(/[:.]/g, "-")}`),
        );
        await mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
        say(`rpdvt demo — working in ${dir}`);

        if (flags.lodestarBin === undefined) await ensureInstalled({ install: true });

        // 1. A Rocket Pool node: wallet validators never deposited on the devnet + 16 imported keys
        // that are devnet genesis validators.
        const fixture = await writeRocketPoolFixture(join(dir, "rocketpool"), {
          validators: WALLET_VALIDATORS,
          customSecrets: DEVNET_DV_INDICES.map((i) => interopSecretKey(i)),
        });
        const { keys } = await readRocketPoolKeys(fixture.dataDir);
        const onChain = new Set(fixture.customPubkeys);
        const liveKeys = keys.filter((k) => onChain.has(toHex(k.pubkey)));
        const walletKeys = keys.filter((k) => !onChain.has(toHex(k.pubkey)));
        const squadKeys = [...liveKeys, ...walletKeys.slice(0, inactiveCount)];
        say(
          `1. Rocket Pool node ${fixture.dataDir}: ${keys.length} validator keys; ${liveKeys.length} of them are live on the devnet, ${walletKeys.length} never deposited (${inactiveCount} of those in the cluster)`,
        );

        // 2. The devnet (real Lodestar) and the squad.
        const devnet = await startDevnet({
          workDir: join(dir, "devnet"),
          genesisDelay: 20,
          secondsPerSlot,
          lodestarBin: flags.lodestarBin,
        });
        let squad: Awaited<ReturnType<typeof startSquad>> | undefined;
        try {
          const beacon = createBeaconClient([devnet.restUrl], { timeoutMs: 4_000 });
          const chain = await beacon.chainInfo();
          const spe = chain.slotsPerEpoch;
          const slotMs = chain.secondsPerSlot * 1000;
          say(
            `2. Lodestar devnet ${devnet.restUrl} (pid ${devnet.pid}): 64 genesis validators, Lodestar runs 0..47, the squad runs 48..63; ${chain.secondsPerSlot} s slots, ${spe} slots/epoch`,
          );
          // The nodes' dashboard token (threshold exit), handed over in their environment only.
          const dashboardToken = randomBytes(16).toString("hex");
          squad = await startSquad({
            workDir: join(dir, "squad"),
            keys: squadKeys,
            operatorIds: OPERATOR_IDS,
            beaconUrl: devnet.restUrl,
            feeRecipient: DEMO_FEE_RECIPIENT,
            doppelgangerEpochs: dgEpochs,
            dashboardToken,
          });
          say(
            `3. Split ${squadKeys.length} validators for 4 operators (threshold 3) and started 4 rpdvt node processes: ${squad.clusterDir}`,
          );
          say(`   Dashboard (operator 1): http://127.0.0.1:${squad.operators[0]?.metricsPort}/`);

          // Which cluster validators the beacon node knows as active (the judged ones).
          const onBeacon = await beacon.validators(squadKeys.map((k) => k.pubkey));
          const active = onBeacon.filter((v) => v.status.startsWith("active"));
          const ours = active.map((v) => v.index).sort((a, b) => a - b);
          const inactiveValidators = squadKeys.length - ours.length;
          say(
            `   ${ours.length} cluster validators active on the beacon node (indices ${ours[0]}..${ours.at(-1)}), ${inactiveValidators} without an active index`,
          );
          const judge = createJudge(
            beacon,
            ours,
            spe,
            new Map(ours.map((i) => [i, DEMO_FEE_RECIPIENT])),
          );
          const baseline = createJudge(beacon, LODESTAR_INDICES, spe);
          const nowSlot = () => Math.floor((Date.now() - chain.genesisTime * 1000) / slotMs);
          const startEpoch = Math.max(0, Math.floor(nowSlot() / spe));
          // The nodes watch from the first whole epoch after their start (src/core/node.ts) and
          // refuse in the partial epoch before it: started before genesis, epochs 0..dg-1;
          // mid-epoch, that epoch and the dg after it.
          const watchTo = nowSlot() < 0 ? dgEpochs - 1 : startEpoch + dgEpochs;
          // Nodes watch `dgEpochs` full epochs first; measure from the epoch after that.
          const e0 = startEpoch + dgEpochs + 1;
          const phases: Phase[] = [
            { name: "all operators up", operatorsUp: 4, fromEpoch: e0, toEpoch: e0 + epochs - 1 },
          ];
          let next = e0 + epochs;
          // Operator changes one slot before a phase starts: stop the highest ids one by one, then
          // restart them all one epoch (+ the doppelganger watch) before the last phase.
          const actions: { atSlot: number; done: boolean; run: () => Promise<void> }[] = [];
          const stopped: number[] = [];
          for (let k = 0; k < stopCount; k++) {
            const id = OPERATOR_IDS[OPERATOR_IDS.length - 1 - k] as number;
            actions.push({
              atSlot: next * spe - 1,
              done: false,
              run: async () => {
                await squad?.stop(id);
                stopped.push(id);
                say(`   ✗ stopped operator ${id} (${4 - stopped.length} of 4 up)`);
              },
            });
            phases.push({
              name: `${k + 1} operator(s) down`,
              operatorsUp: 4 - k - 1,
              fromEpoch: next,
              toEpoch: next + 1,
            });
            next += 2;
          }
          if (stopCount > 0) {
            actions.push({
              atSlot: next * spe - 1,
              done: false,
              run: async () => {
                for (const id of stopped.splice(0)) {
                  await squad?.start(id);
                  say(`   ✓ restarted operator ${id}`);
                }
              },
            });
            // The restarted nodes' doppelganger watch plus one epoch to reconnect and catch up.
            phases.push({
              name: "stopped operators restarted",
              operatorsUp: 4,
              fromEpoch: next + dgEpochs + 1,
              toEpoch: next + dgEpochs + 2,
            });
          }
          const lastEpoch = (phases.at(-1) as Phase).toEpoch;
          const balancesBefore = await beacon.balances(ours);

          // A threshold exit of the highest-index squad validator early in the all-up phase: every
          // node is asked to consent (t = 3 suffice); the beacon state then shows its exit epoch.
          const exitTarget: BeaconValidator | undefined = flags.exit ? active.at(-1) : undefined;
          const exit = {
            requestedEpoch: undefined as number | undefined,
            consented: 0,
            exitEpoch: undefined as number | undefined,
            /** Attester duties the beacon node gave it, epochs ≥ its exit epoch (checked each). */
            beaconDutiesAfterExit: 0,
            epochsChecked: new Set<number>(),
          };
          if (exitTarget) {
            actions.push({
              atSlot: e0 * spe + 1,
              done: false,
              run: async () => {
                const requestedEpoch = Math.floor(nowSlot() / spe);
                const urls = (squad?.operators ?? []).map(
                  (o) => `http://127.0.0.1:${o.metricsPort}`,
                );
                const res = await requestClusterExit(urls, dashboardToken, {
                  pubkey: toHex(exitTarget.pubkey),
                  epoch: requestedEpoch,
                  validatorIndex: exitTarget.index,
                });
                exit.requestedEpoch = requestedEpoch;
                exit.consented = res.results.filter((r) => r.accepted).length;
                say(
                  `   ⏏ threshold exit of validator ${exitTarget.index} at epoch ${requestedEpoch}: ${exit.consented} of ${urls.length} nodes consented`,
                );
              },
            });
          }
          // The nodes' own duty reports (GET /status), to count "watching" apart from failures.
          const reports = createReportCollector();

          // The nodes' fetched → broadcast histograms over the all-up phase, and a single signer's
          // sign time measured at its end (same host, same load).
          const latencyFromSlot = e0 * spe;
          const latencyToSlot = (e0 + epochs) * spe - 1;
          let latencyStart: HistogramBucket[] | undefined;
          let latencyEnd: HistogramBucket[] | undefined;
          let baselineSignMs: number | undefined;
          const scrapeLatency = async (): Promise<HistogramBucket[]> => {
            const texts = await Promise.all(
              (squad?.operators ?? []).map((op) =>
                fetch(`http://127.0.0.1:${op.metricsPort}/metrics`, {
                  signal: AbortSignal.timeout(2_000),
                }).then(
                  (r) => (r.ok ? r.text() : ""),
                  () => "",
                ),
              ),
            );
            return parseHistogramBuckets(texts, LATENCY_METRIC, { type: "attester" });
          };

          // Run: status line every slot; operator changes just before phase boundaries.
          let lastStatusSlot = -1;
          // +1 epoch for inclusion of the last phase's attestations; with an exit, at least one
          // epoch past its exit epoch (to see that nothing is asked of it any more).
          let endSlot = (lastEpoch + 2) * spe;
          let lastExitCheckSlot = -1;
          const judgeGaps: number[] = [];
          let actionQueue: Promise<void> = Promise.resolve();
          const actionErrors: unknown[] = [];
          while (nowSlot() < endSlot) {
            const slot = nowSlot();
            if (slot < 0) {
              await new Promise((r) => setTimeout(r, 500)); // before genesis
              continue;
            }
            const epoch = Math.floor(slot / spe);
            try {
              await judge.observe(epoch);
              await baseline.observe(epoch);
            } catch (e) {
              // The beacon node serves duties for the current and next epoch only: on a host so
              // loaded that an epoch passed meanwhile, that epoch's duties are not judged.
              judgeGaps.push(epoch);
              say(`   (duties of epoch ${epoch} not read: ${e instanceof Error ? e.message : e})`);
            }
            if (!latencyStart && slot >= latencyFromSlot) latencyStart = await scrapeLatency();
            if (latencyStart && !latencyEnd && slot >= latencyToSlot) {
              latencyEnd = await scrapeLatency();
              baselineSignMs = singleSignerMs(
                join(dir, "single-signer"),
                chain.genesisValidatorsRoot,
                squadKeys[0],
              );
            }
            // Operator changes and the exit run one after the other, off the loop: a restart waits
            // for the node to answer, which on a loaded host takes longer than an epoch, and the
            // judge must keep reading each epoch's duties meanwhile.
            for (const a of actions) {
              if (a.done || slot < a.atSlot) continue;
              a.done = true;
              actionQueue = actionQueue.then(a.run).catch((e: unknown) => {
                actionErrors.push(e);
              });
            }
            if (exitTarget && exit.requestedEpoch !== undefined && exit.exitEpoch === undefined) {
              if (slot !== lastExitCheckSlot) {
                lastExitCheckSlot = slot;
                const e = (await beacon.validators([exitTarget.index]))[0]?.exitEpoch;
                if (e !== undefined && e < Number.MAX_SAFE_INTEGER) {
                  exit.exitEpoch = e;
                  endSlot = Math.max(endSlot, (e + 2) * spe);
                  say(`   ⏏ validator ${exitTarget.index}: exit epoch ${e} in the beacon state`);
                }
              }
            }
            if (exitTarget && exit.exitEpoch !== undefined && epoch >= exit.exitEpoch) {
              if (!exit.epochsChecked.has(epoch)) {
                exit.epochsChecked.add(epoch);
                // Lodestar may refuse duties of an index that is no longer active: none either way.
                const duties = await beacon
                  .attesterDuties(epoch, [exitTarget.index])
                  .catch(() => []);
                exit.beaconDutiesAfterExit += duties.length;
              }
            }
            if (slot !== lastStatusSlot) {
              lastStatusSlot = slot;
              // once per slot: each node lists its newest 50 reports (~2 slots of this squad's)
              const statuses = await Promise.all(OPERATOR_IDS.map((id) => squad?.status(id)));
              for (const [i, s] of statuses.entries()) {
                reports.add(OPERATOR_IDS[i] as number, s?.recent as DutyReport[] | undefined);
              }
              const cells = statuses.map((s, i) => {
                const id = OPERATOR_IDS[i] as number;
                if (!s) return `op${id}: ${squad?.running(id) ? "no answer" : "down"}`;
                const c = summaryCounts(
                  s.summary as Record<string, Record<string, number>>,
                  "attester",
                );
                return `op${OPERATOR_IDS[i]}: ${(s.connectedPeers as number[]).length} peers, ${c.success} ok/${c.watching} watching/${c.failed} failed`;
              });
              const fin = (await beacon.finalityCheckpoints()).finalized.epoch;
              say(
                `   slot ${String(slot).padStart(3)} epoch ${String(epoch).padStart(2)} finalized ${fin} | ${cells.join(" | ")}`,
              );
            }
            await new Promise((r) => setTimeout(r, 500));
          }

          await actionQueue;
          const [actionError] = actionErrors;
          if (actionError) throw actionError;

          // Summary, measured from the beacon node.
          const head = (await beacon.blockHeader("head"))?.slot ?? nowSlot();
          const nodeReports = (fromEpoch: number, toEpoch: number) =>
            reports.count({
              fromSlot: fromEpoch * spe,
              toSlot: (toEpoch + 1) * spe - 1,
              type: "attester",
            });
          const phaseResults = [];
          for (const p of phases) {
            phaseResults.push({
              ...p,
              ...(await judge.attestations(p.fromEpoch, p.toEpoch, head)),
              nodeReports: nodeReports(p.fromEpoch, p.toEpoch),
            });
          }
          // Before the first phase the nodes watch (doppelganger protection): nothing is signed on
          // purpose — shown as watching, not failed.
          const watch =
            watchTo >= startEpoch
              ? {
                  fromEpoch: startEpoch,
                  toEpoch: watchTo,
                  ...(await judge.attestations(startEpoch, watchTo, head)),
                  nodeReports: nodeReports(startEpoch, watchTo),
                }
              : null;
          const headBlock = await beacon.block("head");
          const endEpoch = Math.floor(head / spe);
          // Operator 1 is never stopped: its view of the cluster's validators (rpdvt_validators).
          const nodeValidatorStates = await scrapeValidatorStates(squad.operators[0]?.metricsPort);
          const exitSummary = exitTarget
            ? exitResult(
                exitTarget,
                exit,
                (await beacon.validators([exitTarget.index]))[0]?.status ?? "unknown",
                exit.exitEpoch === undefined
                  ? null
                  : reports.count({
                      fromSlot: exit.exitEpoch * spe,
                      toSlot: (endEpoch + 1) * spe,
                      pubkey: toHex(exitTarget.pubkey),
                    }),
                nodeValidatorStates,
              )
            : null;

          const all = await judge.attestations(e0, lastEpoch, head);
          const lodestar = await baseline.attestations(e0, lastEpoch, head);
          const proposals = await judge.proposals(startEpoch, lastEpoch, head);
          const slashed = await slashedValidators(beacon, ALL_INDICES);
          const finalizedEpoch = (await beacon.finalityCheckpoints()).finalized.epoch;
          const balancesAfter = await beacon.balances(ours);
          const balanceGainGwei = ours.reduce(
            (a, i) => a + ((balancesAfter.get(i) ?? 0n) - (balancesBefore.get(i) ?? 0n)),
            0n,
          );
          const addedLatencyMs = addedLatency(latencyStart, latencyEnd, baselineSignMs);
          const feeRecipientOk = proposals.landed
            ? proposals.rightFeeRecipient / proposals.landed
            : null;
          const summary = {
            validators: squadKeys.length,
            activeValidators: ours.length,
            inactiveValidators,
            operators: OPERATOR_IDS.length,
            threshold: 3,
            stoppedOperators: stopCount,
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
            feeRecipientOk,
            secondsPerSlot: chain.secondsPerSlot,
            addedLatencyMs,
            slashings: slashed.length,
            finalizedEpoch,
            balanceGainGwei: balanceGainGwei.toString(),
            fork: headBlock?.fork ?? null,
            judgeGaps,
            doppelgangerWatch: watch,
            nodeReports: nodeReports(startEpoch, endEpoch),
            phases: phaseResults,
            exit: exitSummary,
            nodeValidatorStates,
            dir,
          };
          say("");
          if (watch) {
            say(
              `   ${"doppelganger watch".padEnd(28)} epochs ${watch.fromEpoch}-${watch.toEpoch}: ${watch.included}/${watch.duties} included; node reports ${watch.nodeReports.watching} watching, ${watch.nodeReports.success} ok, ${watch.nodeReports.failed} failed`,
            );
          }
          for (const p of phaseResults) {
            say(
              `   ${p.name.padEnd(28)} epochs ${p.fromEpoch}-${p.toEpoch}: ${p.included}/${p.duties} attestations included; node reports ${p.nodeReports.success} ok, ${p.nodeReports.watching} watching, ${p.nodeReports.failed} failed`,
            );
          }
          say(
            `4. Squad: ${all.included}/${all.duties} attestations included (effectiveness ${pct(all.effectiveness)}, mean inclusion distance ${fmt(all.meanInclusionDistance)}); Lodestar's own validators: ${pct(lodestar.effectiveness)}, ${fmt(lodestar.meanInclusionDistance)}`,
          );
          say(
            `   added duty latency over a single signer (attestations, all up): median ${ms(addedLatencyMs.median)}, p99 ${ms(addedLatencyMs.p99)} (${addedLatencyMs.samples} validator-duty observations on the 4 nodes; single signer's slashing check + BLS sign ${ms(addedLatencyMs.baselineSignMs)})`,
          );
          say(
            `   proposals ${proposals.landed}/${proposals.duties} (fee recipient ${DEMO_FEE_RECIPIENT} in ${proposals.rightFeeRecipient}/${proposals.landed}), slashings: ${slashed.length === 0 ? "none" : slashed.join(",")}, finalized epoch ${finalizedEpoch}, squad balances ${balanceGainGwei >= 0n ? "+" : ""}${balanceGainGwei} gwei`,
          );
          say(
            `   ${squadKeys.length} cluster validators: ${ours.length} active at the start, ${inactiveValidators} without an active index; head block fork ${summary.fork}`,
          );
          if (exitSummary) {
            say(
              `   exit: validator ${exitSummary.validatorIndex} (${exitSummary.consented} consents) exit epoch ${exitSummary.exitEpoch ?? "not reached"}, now ${exitSummary.statusAtEnd}; duties after its exit: beacon ${exitSummary.beaconDutiesAfterExit ?? "n/a"}, nodes ${exitSummary.nodeReportsAfterExit === null ? "n/a" : exitSummary.nodeReportsAfterExit.success + exitSummary.nodeReportsAfterExit.watching + exitSummary.nodeReportsAfterExit.failed} → ${exitSummary.dropped ? "dropped" : "NOT dropped"}`,
            );
          }
          if (flags.json) printJson(summary);
        } finally {
          await squad?.stopAll();
          await devnet.stop();
        }
      }),
    );
}

/**
 * The exit's summary: who consented, the exit epoch and status the beacon state shows, and the
 * duties asked of the validator after its exit epoch — by the beacon node (attester duties) and by
 * the nodes (their duty reports), and the node's own life-cycle gauge: no duty from either and
 * the node counting it exited mean the cluster dropped it.
 */
function exitResult(
  target: BeaconValidator,
  exit: {
    requestedEpoch: number | undefined;
    consented: number;
    exitEpoch: number | undefined;
    beaconDutiesAfterExit: number;
    epochsChecked: Set<number>;
  },
  statusAtEnd: string,
  nodeReportsAfterExit: NodeDutyCounts | null,
  nodeStates: Record<string, number> | null,
) {
  const nodeDuties = nodeReportsAfterExit
    ? nodeReportsAfterExit.success + nodeReportsAfterExit.watching + nodeReportsAfterExit.failed
    : null;
  const beaconDuties = exit.epochsChecked.size > 0 ? exit.beaconDutiesAfterExit : null;
  return {
    validatorIndex: target.index,
    pubkey: toHex(target.pubkey),
    requestedEpoch: exit.requestedEpoch ?? null,
    consented: exit.consented,
    exitEpoch: exit.exitEpoch ?? null,
    statusAtEnd,
    epochsAfterExit: exit.epochsChecked.size,
    beaconDutiesAfterExit: beaconDuties,
    nodeReportsAfterExit,
    /** The node's own count of exited (dropped) validators, when it exports one. */
    nodeExitedValidators: nodeStates?.exited ?? null,
    dropped:
      /^(exited|withdrawal)/.test(statusAtEnd) &&
      beaconDuties === 0 &&
      nodeDuties === 0 &&
      (nodeStates === null || (nodeStates.exited ?? 0) >= 1),
  };
}

/** A node's `rpdvt_validators{state}` gauge (validators by life-cycle state), null if absent. */
async function scrapeValidatorStates(
  port: number | undefined,
): Promise<Record<string, number> | null> {
  if (port === undefined) return null;
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(2_000),
  }).then(
    (r) => (r.ok ? r.text() : ""),
    () => "",
  );
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^rpdvt_validators\{state="([a-z_]+)"\} (\d+)$/gm)) {
    out[m[1] as string] = Number(m[2]);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** The nodes' histogram of unsigned data fetched → aggregate handed to the beacon node. */
const LATENCY_METRIC = "rpdvt_duty_fetch_to_broadcast_seconds";
/** Single-signer timing: warm-up rounds, then measured rounds (median taken). */
const BASELINE_WARMUP = 10;
const BASELINE_ROUNDS = 200;

/**
 * A single signer's time (ms, median) for one attestation on this host: the slashing-protection
 * check-and-insert (SQLite file in `dataDir`) plus one BLS signature with the full key — the same
 * src/core/signer code a DV node runs for its share.
 */
function singleSignerMs(
  dataDir: string,
  genesisValidatorsRoot: Uint8Array,
  key: ValidatorKey | undefined,
): number {
  if (!key) throw new BaseError("No squad key to time a single signer with");
  const db = SlashingProtectionDb.open(dataDir, { genesisValidatorsRoot });
  const pubkey = toHex(key.pubkey);
  const signer = createSigner({
    shares: new Map([[pubkey, key.secret]]),
    shareIdx: 0,
    slashingDb: db,
    view: createProtectionView(db),
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < BASELINE_WARMUP + BASELINE_ROUNDS; i++) {
      const signingRoot = crypto.getRandomValues(new Uint8Array(32));
      const protect = { kind: "attestation" as const, source: BigInt(i), target: BigInt(i + 1) };
      const t0 = performance.now();
      const r = signer.sign([{ pubkey, signingRoot, protect }]);
      const t = performance.now() - t0;
      if (r.signed.length !== 1) throw new BaseError("The single-signer baseline was refused");
      if (i >= BASELINE_WARMUP) times.push(t);
    }
  } finally {
    signer.close();
    db.close();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** Median / p99 (ms) of the histogram's growth between two scrapes, minus the baseline. */
function addedLatency(
  start: HistogramBucket[] | undefined,
  end: HistogramBucket[] | undefined,
  baselineSignMs: number | undefined,
): { median: number | null; p99: number | null; baselineSignMs: number | null; samples: number } {
  const before = new Map((start ?? []).map((b) => [b.le, b.count]));
  const buckets = (end ?? []).map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  const round = (x: number) => Math.round(x * 10) / 10;
  const q = (p: number): number | null => {
    const v = histogramQuantile(buckets, p);
    return v === null || baselineSignMs === undefined ? null : round(v * 1000 - baselineSignMs);
  };
  return {
    median: q(0.5),
    p99: q(0.99),
    baselineSignMs: baselineSignMs === undefined ? null : round(baselineSignMs),
    samples: buckets.at(-1)?.count ?? 0,
  };
}

function ms(x: number | null): string {
  return x === null ? "n/a" : `${x} ms`;
}

function pct(x: number | null): string {
  return x === null ? "n/a" : `${(x * 100).toFixed(1)}%`;
}

function fmt(x: number | null): string {
  return x === null ? "n/a" : x.toFixed(2);
}
