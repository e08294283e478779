/**
 * The demo's fixed setting (`rpdvt demo`, src/cli/demo.ts): the squad, its fee recipient, the
 * Rocket Pool node's never-deposited wallet validators, and who runs which genesis validator on
 * the Lodestar devnet (src/devnet/start.ts: `lodestar dev --startValidators 0..47` of 64; the
 * squad runs 48..63, src/devnet/cluster.ts DEVNET_DV_INDICES). The options the CLI parses.
 */

/**
 * The demo squad: n = 4 operators (F = 1, threshold 3).
 *
 * @example
 * DEMO_OPERATOR_IDS.length // 4
 */
export const DEMO_OPERATOR_IDS: readonly number[] = [1, 2, 3, 4];

/**
 * The squad's threshold (t = 2F + 1 of n = 3F + 1).
 *
 * @example
 * DEMO_THRESHOLD // 3
 */
export const DEMO_THRESHOLD = 3;

/**
 * The squad's fee recipient. A real Rocket Pool validator must use its node's fee distributor or
 * the Smoothing Pool (src/ops/feerecipient, from on-chain state the fixture does not model); on the
 * devnet any address works as long as it is not Lodestar's default (the zero address), so the
 * judge can tell a registered recipient from the default.
 *
 * @example
 * new Map([[48, DEMO_FEE_RECIPIENT]])
 */
export const DEMO_FEE_RECIPIENT = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

/**
 * Wallet validators of the demo's Rocket Pool node: never deposited on the devnet (no index).
 *
 * @example
 * `--inactive-validators 0..${WALLET_VALIDATORS}`
 */
export const WALLET_VALIDATORS = 2;

/**
 * Wallet validators in the cluster by default (`--inactive-validators`): all of them. The nodes
 * keep the active validators signing while they watch the ones without an index (per-validator
 * doppelganger protection and life cycle, src/core/signer/doppelganger.ts, src/core/scheduler).
 *
 * @example
 * String(DEFAULT_INACTIVE_VALIDATORS) // "2"
 */
export const DEFAULT_INACTIVE_VALIDATORS = WALLET_VALIDATORS;

/**
 * Genesis validators Lodestar runs itself (`lodestar dev --startValidators 0..47`): the baseline.
 *
 * @example
 * createJudge(beacon, LODESTAR_INDICES, slotsPerEpoch)
 */
export const LODESTAR_INDICES: readonly number[] = Array.from({ length: 48 }, (_, i) => i);

/**
 * Every genesis validator of the devnet (checked for slashings).
 *
 * @example
 * await slashedValidators(beacon, ALL_INDICES)
 */
export const ALL_INDICES: readonly number[] = Array.from({ length: 64 }, (_, i) => i);

/**
 * Seconds from the devnet's launch to its genesis (time for the squad's processes to start).
 *
 * @example
 * startDevnet({ genesisDelay: DEMO_GENESIS_DELAY_S })
 */
export const DEMO_GENESIS_DELAY_S = 20;

/**
 * What `rpdvt demo` runs, parsed and range-checked by the CLI.
 *
 * @example
 * const o: DemoOptions = { dir, epochs: 2, stopOperators: 2, doppelgangerEpochs: 1, secondsPerSlot: 2, inactiveValidators: 2, exit: true };
 */
export type DemoOptions = {
  /** The working folder (created 0700). */
  dir: string;
  /** Epochs with all operators up, after the doppelganger watch. */
  epochs: number;
  /** Operators stopped one after the other (0, 1 or 2), then restarted. */
  stopOperators: number;
  /** Epochs each node watches liveness before its first signature. */
  doppelgangerEpochs: number;
  /** Devnet slot length. */
  secondsPerSlot: number;
  /** An executable that behaves as the `lodestar` CLI; default: the installed Lodestar 1.5.1. */
  lodestarBin?: string | undefined;
  /** The node's never-deposited wallet validators put in the cluster too. */
  inactiveValidators: number;
  /** Exit one squad validator through the nodes during the all-up phase. */
  exit: boolean;
  /**
   * Run the devnet's MEV-Boost relay (src/devnet/relay/) with Lodestar's builder pointing at it,
   * and pause it for {@link DEMO_RELAY_PAUSE_EPOCHS} epochs (`--no-relay`: false, no builder).
   * Absent: true.
   */
  relay?: boolean;
  /**
   * Replace operator 4 by a new operator 5 at an activation epoch after the other phases
   * (./replace.ts: `cluster replace-operator`, hand-over, `node run --previous-cluster`). Absent: false.
   */
  replaceOperator?: boolean;
};

/**
 * `rpdvt node run` flags of the squad when the devnet has the relay: the builder-registration
 * duty (src/core/duties/builder-registration.ts), every epoch through the beacon node to the relay.
 *
 * @example
 * startDemoSquad(dir, keys, url, 1, DEMO_BUILDER_NODE_ARGS)
 */
export const DEMO_BUILDER_NODE_ARGS: readonly string[] = ["--builder-registrations"];

/**
 * Epochs the relay is paused after the all-up phase. The squad's 16 active validators are a
 * quarter of the devnet's 64, so 2 of the 8 slots of an epoch are theirs on average: over 2
 * epochs the chance of no squad proposal at all is (48/64)^16 ≈ 1 %.
 *
 * @example
 * planDemo({ …, relayPauseEpochs: DEMO_RELAY_PAUSE_EPOCHS })
 */
export const DEMO_RELAY_PAUSE_EPOCHS = 2;

/**
 * Where the demo's progress lines go (stdout, or stderr when stdout carries JSON).
 *
 * @example
 * const say: Say = (line) => process.stderr.write(`${line}\n`);
 */
export type Say = (line: string) => void;
