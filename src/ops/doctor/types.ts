/**
 * The shapes shared by `rpdvt doctor`'s checks (./doctor.ts runs them, ./checks/*.ts implement
 * them): the inputs, the context every check reads, one check's outcome, and the thresholds.
 */
import type { createBeaconClient } from "../../beacon/index.js";
import type { ClusterDefinition } from "../../keysplit/cluster.js";

/**
 * How one check ended; `skip` = the input it needs was not given.
 *
 * @example
 * const s: CheckStatus = "warn";
 */
export type CheckStatus = "pass" | "warn" | "fail" | "skip";

/**
 * One row of the doctor's table.
 *
 * @example
 * const r: CheckResult = { name: "clock", status: "pass", detail: "local − beacon ≈ 0.1 s" };
 */
export type CheckResult = { name: string; status: CheckStatus; detail: string; hint?: string };

/**
 * What a check returns (the runner adds the name).
 *
 * @example
 * const o: CheckOutcome = { status: "fail", detail: "syncing", hint: "Wait for it to sync." };
 */
export type CheckOutcome = Omit<CheckResult, "name">;

/**
 * What `rpdvt doctor` was given; every field is optional and a check whose inputs are missing is
 * skipped.
 *
 * @example
 * const inp: DoctorInputs = { clusterDir: "operator-1", beaconUrls: ["http://127.0.0.1:5052"] };
 */
export type DoctorInputs = {
  /** Operator folder (operator-<id>/) or cluster output root — where cluster.json is. */
  clusterDir?: string;
  /** DV node data folder (slashing-protection.sqlite). */
  dataDir?: string;
  rocketpoolDir?: string;
  beaconUrls?: string[];
  executionUrl?: string;
  identityFile?: string;
  /** Node address for the on-chain fee recipient rule. */
  nodeAddress?: string;
  rocketStorage?: string;
  /**
   * MEV-Boost relay URLs the operator chose (`--relay-url`, repeatable; a `0x<pubkey>@` user
   * info allowed, as in MEV-Boost's `-relays` and the Smartnode's list): the builder check.
   */
  relayUrls?: string[];
  timeoutMs?: number;
  now?: () => number;
};

/**
 * The beacon client the checks use (src/beacon).
 *
 * @example
 * const bn: DoctorBeacon = createBeaconClient(["http://127.0.0.1:5052"]);
 */
export type DoctorBeacon = ReturnType<typeof createBeaconClient>;

/**
 * The chain parameters read once from the beacon node.
 *
 * @example
 * const chain: DoctorChain = await beacon.chainInfo();
 */
export type DoctorChain = Awaited<ReturnType<DoctorBeacon["chainInfo"]>>;

/**
 * What every check reads: the inputs and what was loaded once from them (./context.ts).
 *
 * @example
 * const ctx: DoctorContext = await doctorContext(inp);
 */
export type DoctorContext = {
  inp: DoctorInputs;
  timeoutMs: number;
  now: () => number;
  /** The cluster definition, when --cluster was given and it could be read. */
  cluster?: ClusterDefinition;
  beacon?: DoctorBeacon;
  /** The beacon node's chain parameters, when it answered. */
  chain?: DoctorChain;
  /** The current epoch by the local clock (needs `chain`). */
  epochNow?: number;
  /** The slashing DB file in --data-dir. */
  dbFile?: string;
};

/**
 * One check: `applies` says whether its inputs are there (else it is skipped with `skipWhy`);
 * `run` returns its outcome (a throw becomes a `fail` naming the error).
 *
 * @example
 * const diskCheck: DoctorCheck = { name: "disk space", applies: (c) => c.inp.dataDir !== undefined, run: async () => ({ status: "pass", detail: "" }) };
 */
export type DoctorCheck = {
  name: string;
  applies(ctx: DoctorContext): boolean;
  /** Why it is skipped when `applies` is false (default "input not given"). */
  skipWhy?: string;
  run(ctx: DoctorContext): Promise<CheckOutcome>;
};

/**
 * Thresholds (constants say why).
 *
 * @example
 * if (Math.abs(driftMs) > LIMITS.clockFailMs) status = "fail";
 */
export const LIMITS = {
  /** Date has 1 s resolution; an attestation is due 4 s into a slot: warn at 2 s, fail at 4 s. */
  clockWarnMs: 2000,
  clockFailMs: 4000,
  /** The DB and logs of a DV node are small; below these, writes (and so signing) may fail. */
  diskWarnBytes: 10 * 2 ** 30,
  diskFailBytes: 2 ** 30,
  /** Epochs without a new attestation record before the DB counts as stale. */
  staleEpochs: 3,
};
