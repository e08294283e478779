/**
 * The shapes of `rpdvt migrate` (./migrate.ts): its steps in order, the files of a migration
 * folder (`data/rpdvt-quarantine/<id>/`), plan.json, what the caller supplies at run time and what
 * a run returns.
 */
import type { SplitPlan, SplitSummary } from "../../keysplit/run.js";
import type { Keymanager } from "../keymanager/client.js";
import type { QuarantineItem } from "../quarantine/quarantine.js";
import type { Clock, LivenessBeacon } from "./liveness.js";

/**
 * The steps, in order (each journaled begin → done, see ../journal.ts).
 *
 * @example
 * STEPS.indexOf("quarantine") // 4
 */
export const STEPS = [
  "plan",
  "split",
  "snapshot",
  "slashing-export",
  "quarantine",
  "liveness",
  "handover",
  "complete",
] as const;
/** One step's name. */
export type Step = (typeof STEPS)[number];

/** The journal of a migration, in its folder (../journal.ts). */
export const JOURNAL_FILE = "journal.jsonl";
/** The plan, written once before any change (./store.ts reads it). */
export const PLAN_FILE = "plan.json";
/** The EIP-3076 history of the migrated validators, and each operator's hand-over copy. */
export const INTERCHANGE_FILE = "slashing-protection.json";
/** The VC's keymanager DELETE answer, kept verbatim (it may not give the history twice). */
export const KEYMANAGER_RESPONSE_FILE = "keymanager-delete-response.json";
/** The folder of the per-operator hand-over files. */
export const HANDOVER_DIR = "handover";

/**
 * Every Smartnode command that writes validator keystores again — after a migration each of them
 * would put a second signer next to the cluster.
 */
export const RECREATION_WARNINGS = [
  "NEVER run `rocketpool wallet rebuild`: it re-creates the keystore of every wallet validator, including migrated ones.",
  "NEVER run `rocketpool wallet recover` without `--skip-validator-key-recovery` (-k): it re-creates them too.",
  "NEVER run `rocketpool minipool import-key` for a migrated validator, nor restore a backup of data/validators.",
  "Run `rpdvt doctor` after any Smartnode update or restore: it fails when a cluster key is back in a Smartnode folder.",
];

/** Where the slashing-protection history comes from. */
export type SlashingSource =
  | { kind: "keymanager"; url: string; tokenFile: string }
  | { kind: "file"; file: string };

/** plan.json: everything a resume needs, no secrets. */
export type MigrationPlan = {
  id: string;
  createdAt: string;
  dataDir: string;
  /** 0x-hex validator public keys, lowercase. */
  validators: string[];
  split: SplitPlan;
  out: string;
  slashing: SlashingSource;
  skipLiveness: boolean;
  livenessEpochs: number;
  /** Operator id → data folder whose slashing DB gets the interchange imported. */
  importTo: Record<string, string>;
  allowMissingHistory: boolean;
  /** What the quarantine will touch (at plan time). */
  quarantine: QuarantineItem[];
  operatorIds: number[];
  /** Cluster format: each validator's fee recipient and why (shown in the plan). */
  feeRecipients?: PlannedFeeRecipient[] | undefined;
  /** Things the operator must know before confirming (also repeated in the result). */
  warnings?: string[] | undefined;
  /** `--max-wallet-accounts`: the bound on the wallet's next_account when the keys are read. */
  maxWalletAccounts?: number | undefined;
};

/** One validator's fee recipient in a plan, and why it is that one. */
export type PlannedFeeRecipient = { pubkey: string; address: string; reason: string };

/** The beacon calls a migration makes (src/beacon's createBeaconClient provides them). */
export type MigrationBeacon = Omit<LivenessBeacon, "chainInfo"> & {
  chainInfo(): Promise<{
    genesisTime: number;
    secondsPerSlot: number;
    slotsPerEpoch: number;
    genesisValidatorsRoot: Uint8Array;
  }>;
};

/** Non-serialisable parts supplied by the caller on start and resume. */
export type MigrationRuntime = {
  keymanager?: Keymanager;
  beacon?: MigrationBeacon;
  clock?: Clock;
  quiet?: boolean;
  log?: (line: string) => void;
};

/**
 * The split step's record when the output already existed (written atomically by an earlier run
 * that stopped before journaling it).
 *
 * @example
 * const r: ResumedSplit = { format: "cluster", out: "./cluster", resumed: true };
 */
export type ResumedSplit = { format: SplitPlan["format"]; out: string; resumed: true };

/** What a finished migration returns (printed by the CLI, `--json` as is). */
export type MigrationResult = {
  id: string;
  dir: string;
  out: string;
  /** What the split wrote; `resumed` when an earlier run had written the output already. */
  split: SplitSummary | ResumedSplit | undefined;
  checkedEpochs: number[];
  livenessSkipped: boolean;
  handover: string[];
  imported: string[];
  warnings: string[];
  /** Stale temporary outputs of an interrupted run removed next to `out` before the split. */
  removedTemps: string[];
};

/**
 * A validator public key as 96 lowercase hex digits without 0x.
 *
 * @example
 * hexOf("0xABCD…") // "abcd…"
 */
export const hexOf = (pk: string): string => pk.replace(/^0x/, "").toLowerCase();
