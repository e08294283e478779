/**
 * `rpdvt demo`: the main job on an embedded default. A generated Rocket Pool node whose imported
 * (custom-keys) validators are live on a local Lodestar dev chain is split for a 4-operator squad;
 * the devnet and the 4 `rpdvt node run` processes start; duties run with live per-operator status
 * in the terminal; operators are stopped and restarted on cue; and the summary is measured from
 * the beacon node (duties, inclusion, proposals and their fee recipient, slashings, finality),
 * never from rpdvt's own bookkeeping. Lodestar's own validators (indices 0..47) are the baseline
 * in the same run.
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
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { createBeaconClient } from "../beacon/index.js";
import { type HistogramBucket, histogramQuantile, parseHistogramBuckets } from "../core/metrics.js";
import { createProtectionView } from "../core/signer/protection.js";
import { createSigner } from "../core/signer/signer.js";
import { DEVNET_DV_INDICES } from "../devnet/cluster.js";
import { ensureInstalled } from "../devnet/install.js";
import { interopSecretKey } from "../devnet/interop.js";
import { createJudge, slashedValidators } from "../devnet/judge.js";
import { startSquad } from "../devnet/squad.js";
import { DEFAULT_SECONDS_PER_SLOT, startDevnet } from "../devnet/start.js";
import { BaseError, InputError } from "../errors.js";
import type { ValidatorKey } from "../keysplit/split.js";
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
/** Genesis validators Lodestar runs itself (`lodestar dev --startValidators 0..47`). */
const LODESTAR_INDICES = Array.from({ length: 48 }, (_, i) => i);
const ALL_INDICES = Array.from({ length: 64 }, (_, i) => i);

type DemoFlags = {
  epochs: string;
  stopOperators: string;
  doppelgangerEpochs: string;
  secondsPerSlot: string;
  lodestarBin?: string;
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

        // 1. A Rocket Pool node: 2 wallet validators + 16 imported keys that are devnet genesis validators.
        const fixture = await writeRocketPoolFixture(join(dir, "rocketpool"), {
          validators: 2,
          customSecrets: DEVNET_DV_INDICES.map((i) => interopSecretKey(i)),
        });
        const { keys } = await readRocketPoolKeys(fixture.dataDir);
        const onChain = new Set(fixture.customPubkeys);
        const squadKeys = keys.filter((k) => onChain.has(toHex(k.pubkey)));
        say(
          `1. Rocket Pool node ${fixture.dataDir}: ${keys.length} validator keys; ${squadKeys.length} of them are live on the devnet`,
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
          squad = await startSquad({
            workDir: join(dir, "squad"),
            keys: squadKeys,
            operatorIds: OPERATOR_IDS,
            beaconUrl: devnet.restUrl,
            feeRecipient: DEMO_FEE_RECIPIENT,
            doppelgangerEpochs: dgEpochs,
          });
          say(
            `3. Split for 4 operators (threshold 3) and started 4 rpdvt node processes: ${squad.clusterDir}`,
          );
          say(`   Dashboard (operator 1): http://127.0.0.1:${squad.operators[0]?.metricsPort}/`);

          const ours = [...DEVNET_DV_INDICES];
          const judge = createJudge(
            beacon,
            ours,
            spe,
            new Map(ours.map((i) => [i, DEMO_FEE_RECIPIENT])),
          );
          const baseline = createJudge(beacon, LODESTAR_INDICES, spe);
          const nowSlot = () => Math.floor((Date.now() - chain.genesisTime * 1000) / slotMs);
          const startEpoch = Math.max(0, Math.floor(nowSlot() / spe));
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
          const endSlot = (lastEpoch + 2) * spe; // +1 epoch for inclusion of the last phase's attestations
          while (nowSlot() < endSlot) {
            const slot = nowSlot();
            if (slot < 0) {
              await new Promise((r) => setTimeout(r, 500)); // before genesis
              continue;
            }
            const epoch = Math.floor(slot / spe);
            await judge.observe(epoch);
            await baseline.observe(epoch);
            if (!latencyStart && slot >= latencyFromSlot) latencyStart = await scrapeLatency();
            if (latencyStart && !latencyEnd && slot >= latencyToSlot) {
              latencyEnd = await scrapeLatency();
              baselineSignMs = singleSignerMs(
                join(dir, "single-signer"),
                chain.genesisValidatorsRoot,
                squadKeys[0],
              );
            }
            for (const a of actions) {
              if (a.done || slot < a.atSlot) continue;
              a.done = true;
              await a.run();
            }
            if (slot !== lastStatusSlot) {
              lastStatusSlot = slot;
              const statuses = await Promise.all(OPERATOR_IDS.map((id) => squad?.status(id)));
              const cells = statuses.map((s, i) => {
                if (!s) return `op${OPERATOR_IDS[i]}: down`;
                const sum = (s.summary as Record<string, Record<string, number>>).attester ?? {};
                const ok = sum.success ?? 0;
                const failed = Object.entries(sum)
                  .filter(([k]) => k.startsWith("failed"))
                  .reduce((a, [, v]) => a + v, 0);
                return `op${OPERATOR_IDS[i]}: ${(s.connectedPeers as number[]).length} peers, ${ok} ok/${failed} failed`;
              });
              const fin = (await beacon.finalityCheckpoints()).finalized.epoch;
              say(
                `   slot ${String(slot).padStart(3)} epoch ${String(epoch).padStart(2)} finalized ${fin} | ${cells.join(" | ")}`,
              );
            }
            await new Promise((r) => setTimeout(r, 500));
          }

          // Summary, measured from the beacon node.
          const head = (await beacon.blockHeader("head"))?.slot ?? nowSlot();
          const phaseResults = [];
          for (const p of phases) {
            phaseResults.push({
              ...p,
              ...(await judge.attestations(p.fromEpoch, p.toEpoch, head)),
            });
          }
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
            validators: ours.length,
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
            phases: phaseResults,
            dir,
          };
          say("");
          for (const p of phaseResults) {
            say(
              `   ${p.name.padEnd(28)} epochs ${p.fromEpoch}-${p.toEpoch}: ${p.included}/${p.duties} attestations included`,
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
          if (flags.json) printJson(summary);
        } finally {
          await squad?.stopAll();
          await devnet.stop();
        }
      }),
    );
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
