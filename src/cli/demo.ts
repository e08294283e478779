/**
 * `rpdvt demo`: the main job on an embedded default. A generated Rocket Pool node whose imported
 * (custom-keys) validators are live on a local Lodestar dev chain is split for a 4-operator squad;
 * the devnet and the 4 `rpdvt node run` processes start; duties run with live per-operator status
 * in the terminal; operators are stopped and restarted on cue; one squad validator is exited by
 * the cluster itself; Lodestar proposes through the devnet's MEV-Boost relay, paused for a phase
 * (`--no-relay`: no builder); and the summary is measured from the beacon node and the relay's
 * own signature checks, never from rpdvt's own bookkeeping. This file parses the flags (before any work starts) and prints; the run itself is
 * src/devnet/demo/run.ts (phases, exit, added-latency benchmark, JSON summary: src/devnet/demo/).
 */
import { join, resolve } from "node:path";
import { Command } from "commander";
import {
  DEFAULT_INACTIVE_VALIDATORS,
  type DemoOptions,
  type Say,
  WALLET_VALIDATORS,
} from "../devnet/demo/config.js";
import type { DemoResult } from "../devnet/demo/report.js";
import { runDemo } from "../devnet/demo/run.js";
import { DEFAULT_SECONDS_PER_SLOT } from "../devnet/start.js";
import { intInRange, LODESTAR_BIN_OPTION, lodestarBinArg, MAX_SECONDS_PER_SLOT } from "./args.js";
import { printJson, runAction } from "./run.js";

type DemoFlags = {
  epochs: string;
  stopOperators: string;
  doppelgangerEpochs: string;
  secondsPerSlot: string;
  lodestarBin?: string;
  inactiveValidators: string;
  exit: boolean;
  relay: boolean;
  replaceOperator?: boolean;
  dir?: string;
  json?: boolean;
};

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
      "epochs each node watches liveness before its first signature (the clients' usual 2: the judged watch survives a squad that takes an epoch to start)",
      "2",
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
      "--no-relay",
      "no MEV-Boost: Lodestar without a builder, local blocks only (default: the devnet's verifying relay, paused for a phase)",
    )
    .option(
      "--seconds-per-slot <n>",
      `devnet slot length in seconds (1..${MAX_SECONDS_PER_SLOT}; a post-Electra Lodestar on 2 cores needs 3)`,
      String(DEFAULT_SECONDS_PER_SLOT),
    )
    .option(
      "--replace-operator",
      "after the other phases, replace operator 4 by a new operator 5 at an activation epoch (cluster replace-operator, slashing-history hand-over, node run --previous-cluster); operator 4 keeps running on its old shares",
    )
    .option(...LODESTAR_BIN_OPTION, lodestarBinArg)
    .option("--dir <dir>", "working folder (default: ./.rpdvt-demo/run-<time>)")
    .option("--json", "print one JSON summary as the last line (measured from the beacon node)")
    .action(
      runAction(async (flags: DemoFlags) => {
        const opts = parseDemoFlags(flags);
        // With --json, stdout carries the JSON line only: progress goes to stderr.
        const say: Say = (line) =>
          (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
        const result = await runDemo(opts, say);
        printSummary(result, say);
        if (flags.json) printJson(result.summary);
      }),
    );
}

/** Every flag range-checked (an InputError naming the flag) before any work starts. */
function parseDemoFlags(flags: DemoFlags): DemoOptions {
  return {
    epochs: intInRange(flags.epochs, "--epochs", 1, 20),
    stopOperators: intInRange(flags.stopOperators, "--stop-operators", 0, 2),
    doppelgangerEpochs: intInRange(flags.doppelgangerEpochs, "--doppelganger-epochs", 0, 4),
    secondsPerSlot: intInRange(flags.secondsPerSlot, "--seconds-per-slot", 1, MAX_SECONDS_PER_SLOT),
    inactiveValidators: intInRange(
      flags.inactiveValidators,
      "--inactive-validators",
      0,
      WALLET_VALIDATORS,
    ),
    lodestarBin: flags.lodestarBin,
    exit: flags.exit,
    relay: flags.relay,
    replaceOperator: flags.replaceOperator === true,
    dir: resolve(
      flags.dir ?? join(".rpdvt-demo", `run-${new Date().toISOString().replace(/[:.]/g, "-")}`),
    ),
  };
}

/** The summary's lines: the watch and each phase, then squad, latency, proposals, exit. */
function printSummary({ summary: s, slashed }: DemoResult, say: Say): void {
  say("");
  const w = s.doppelgangerWatch;
  if (w) {
    say(
      `   ${"doppelganger watch".padEnd(28)} epochs ${w.fromEpoch}-${w.toEpoch}: ${w.included}/${w.duties} included; node reports ${w.nodeReports.watching} watching, ${w.nodeReports.success} ok, ${w.nodeReports.failed} failed`,
    );
  }
  for (const p of s.phases) {
    const pb = p.builder
      ? `; proposals ${p.builder.blindedProposals} blinded, ${p.builder.localFallbacks} local`
      : "";
    say(
      `   ${p.name.padEnd(28)} epochs ${p.fromEpoch}-${p.toEpoch}: ${p.included}/${p.duties} attestations included; node reports ${p.nodeReports.success} ok, ${p.nodeReports.watching} watching, ${p.nodeReports.failed} failed${pb}`,
    );
  }
  const l = s.lodestarBaseline;
  say(
    `4. Squad: ${s.attestationsIncluded}/${s.attestationDuties} attestations included (effectiveness ${pct(s.effectiveness)}, mean inclusion distance ${fmt(s.meanInclusionDistance)}); Lodestar's own validators: ${pct(l.effectiveness)}, ${fmt(l.meanInclusionDistance)}`,
  );
  const a = s.addedLatencyMs;
  say(
    `   added duty latency over a single signer (attestations, all up): median ${ms(a.median)}, p99 ${ms(a.p99)} (${a.samples} validator-duty observations on the 4 nodes; single signer's slashing check + BLS sign ${ms(a.baselineSignMs)})`,
  );
  const gain = BigInt(s.balanceGainGwei);
  say(
    `   proposals ${s.proposals.landed}/${s.proposals.duties} (fee recipient ${s.feeRecipient} in ${s.proposals.rightFeeRecipient}/${s.proposals.landed}), slashings: ${slashed.length === 0 ? "none" : slashed.join(",")}, finalized epoch ${s.finalizedEpoch}, squad balances ${gain >= 0n ? "+" : ""}${gain} gwei`,
  );
  const b = s.builder;
  say(
    b
      ? `   MEV-Boost (relay's records): ${b.registrationsVerified}/${s.validators} cluster validators' registrations verified${b.registrationsWrongFeeRecipient ? ` (${b.registrationsWrongFeeRecipient} with ANOTHER fee recipient)` : ""}; landed proposals: ${b.blindedProposals} blinded (relay-verified), ${b.localFallbacks} local; ${b.blindedNotLanded} blinded not canonical; ${b.relayRejected} request(s) refused by the relay${b.relayFailed ? `, ${b.relayFailed} failed in the relay itself` : ""}${b.relayErrors.length ? ` (${b.relayErrors.map((e) => `${e.route} ${e.code}: ${e.reason}`).join("; ")})` : ""}`
      : "   MEV-Boost: off (--no-relay)",
  );
  say(
    `   ${s.validators} cluster validators: ${s.activeValidators} active at the start, ${s.inactiveValidators} without an active index; head block fork ${s.fork}`,
  );
  const r = s.replacement;
  if (r) {
    const around = r.aroundActivation.map((e) => `${e.epoch}: ${e.missed}/${e.duties}`).join(", ");
    say(
      `   replace-operator: ${r.removedOperator} → ${r.newOperator} at epoch ${r.activationEpoch}; missed around E (epoch: missed/duties) ${around}; operator ${r.removedOperator} (old shares) completed ${r.removedNode.completedFromActivation} of ${r.removedNode.reports} duties after E (${r.removedNode.resubmittedRegistrations} pre-E builder registrations re-sent); bar ${r.bar.passed === null ? "n/a" : r.bar.passed ? "held" : "NOT held"}${r.bar.why.length ? ` (${r.bar.why.join("; ")})` : ""}`,
    );
  }
  const x = s.exit;
  if (x) {
    const r = x.nodeReportsAfterExit;
    say(
      `   exit: validator ${x.validatorIndex} (${x.consented} consents) exit epoch ${x.exitEpoch ?? "not reached"}, now ${x.statusAtEnd}; duties after its exit: beacon ${x.beaconDutiesAfterExit ?? "n/a"}, nodes ${r === null ? "n/a" : r.success + r.watching + r.failed} → ${x.dropped ? "dropped" : "NOT dropped"}`,
    );
  }
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
