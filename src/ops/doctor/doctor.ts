/**
 * `rpdvt doctor`: pre-flight and health checks of one operator, each pass / warn / fail / skip
 * (skip = the input it needs was not given). Network calls are bounded by a timeout; a check that
 * throws becomes a fail naming the error, never a crash.
 *
 * Checks and their sources:
 * - beacon: GET /eth/v1/node/syncing (ethereum/beacon-APIs) — synced, not optimistic, EL online;
 * - execution: JSON-RPC `eth_syncing` / `eth_chainId` (execution-apis);
 * - network: the beacon's genesis_validators_root against the slashing DB's, and the cluster's
 *   validators known to that chain;
 * - peers: TCP connect to every operator endpoint of the cluster definition;
 * - clock: local time against the beacon's HTTP `Date` header (RFC 9110 §6.6.1) on
 *   GET /eth/v1/beacon/headers/head, and the head slot against genesis + slot time;
 * - disk: free space (statfs) where the slashing DB lives;
 * - keys quarantined: no cluster validator key loadable from any Smartnode client layout
 *   (../quarantine/quarantine.ts findKeysInSmartnode) — a key in both places is the mass-slashing
 *   setup;
 * - fee recipient: each cluster validator's feeRecipient against the Rocket Pool rule
 *   (../feerecipient/feerecipient.ts resolveFeeRecipients, the same code path as `rpdvt migrate`)
 *   via the execution client — a megapool validator outside the smoothing pool may also use the
 *   smoothing pool or the rETH token (RPIP-43 donations: pass, saying so) —, else the
 *   Smartnode's rp-fee-recipient file;
 * - slashing DB: present, bound to this network, holding every cluster validator, recent;
 * - file modes: share keystores, passwords, identity and DB not readable by group/others.
 *
 * Layout: ./types.ts (inputs, context, check shape, thresholds), ./context.ts (what the checks
 * share, loaded once), ./checks/*.ts (one named check each); this file lists the checks in the
 * order of the table and runs them. Adding a check is adding it to {@link DOCTOR_CHECKS}.
 */
import { BaseError } from "../../errors.js";
import { builderCheck } from "./builder.js";
import { beaconNodeCheck, executionClientCheck } from "./checks/clients.js";
import { clockCheck, diskSpaceCheck, fileModesCheck } from "./checks/host.js";
import { networkCheck, peersCheck } from "./checks/network.js";
import { feeRecipientCheck, keysQuarantinedCheck } from "./checks/rocketpool.js";
import { slashingDbCheck } from "./checks/slashing-db.js";
import { doctorContext } from "./context.js";
import type {
  CheckResult,
  CheckStatus,
  DoctorCheck,
  DoctorContext,
  DoctorInputs,
} from "./types.js";

export type { CheckResult, CheckStatus, DoctorInputs } from "./types.js";
export { LIMITS } from "./types.js";

/**
 * The checks, in the order of the table.
 *
 * @example
 * DOCTOR_CHECKS.map((c) => c.name) // ["beacon node", "execution client", …]
 */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  beaconNodeCheck,
  executionClientCheck,
  networkCheck,
  peersCheck,
  clockCheck,
  diskSpaceCheck,
  keysQuarantinedCheck,
  feeRecipientCheck,
  slashingDbCheck,
  fileModesCheck,
  builderCheck,
];

/** Run one check: skipped without its inputs, a throw becomes a fail naming the error. */
async function runCheck(check: DoctorCheck, ctx: DoctorContext): Promise<CheckResult> {
  const name = check.name;
  if (!check.applies(ctx))
    return { name, status: "skip", detail: check.skipWhy ?? "input not given" };
  try {
    return { name, ...(await check.run(ctx)) };
  } catch (err) {
    const detail =
      err instanceof BaseError
        ? err.shortMessage
        : err instanceof Error
          ? err.message
          : String(err);
    return { name, status: "fail", detail };
  }
}

/**
 * Run every check, one after the other; inputs that are not given skip the checks needing them.
 *
 * @example
 * const results = await runDoctor({ clusterDir: "operator-1", dataDir: "/var/lib/rpdvt", beaconUrls: ["http://127.0.0.1:5052"] });
 */
export async function runDoctor(
  inp: DoctorInputs,
  checks: readonly DoctorCheck[] = DOCTOR_CHECKS,
): Promise<CheckResult[]> {
  const { ctx, failures } = await doctorContext(inp);
  const results = [...failures];
  for (const check of checks) results.push(await runCheck(check, ctx));
  return results;
}

/**
 * Aligned pass/warn/fail table.
 *
 * @example
 * process.stdout.write(formatDoctorTable(results));
 */
export function formatDoctorTable(results: readonly CheckResult[]): string {
  const mark: Record<CheckStatus, string> = {
    pass: "PASS",
    warn: "WARN",
    fail: "FAIL",
    skip: "skip",
  };
  const w = Math.max(5, ...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [
    `${mark[r.status]}  ${r.name.padEnd(w)}  ${r.detail}`,
    ...(r.hint && r.status !== "pass" ? [`      ${" ".repeat(w)}  → ${r.hint}`] : []),
  ]);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(
    "",
    `${count("pass")} pass, ${count("warn")} warn, ${count("fail")} fail, ${count("skip")} skipped`,
  );
  return `${lines.join("\n")}\n`;
}
