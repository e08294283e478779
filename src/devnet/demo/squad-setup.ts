/**
 * The demo's squad setup: a Rocket Pool node (src/rocketpool/fixture.ts: a Smartnode data dir
 * whose wallet validators were never deposited on the devnet, plus imported custom keys that are
 * the devnet's genesis validators 48..63, src/devnet/cluster.ts), the keys the cluster runs (the
 * live ones and `inactiveValidators` of the wallet ones), the 4 `rpdvt node run` processes
 * (src/devnet/squad.ts), and which cluster validators the beacon node knows as active (the ones
 * the judge measures).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { BeaconClient, BeaconValidator } from "../../beacon/index.js";
import type { ValidatorKey } from "../../keysplit/split.js";
import { readRocketPoolKeys } from "../../rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../../rocketpool/fixture.js";
import { toHex } from "../../util/hex.js";
import { DEVNET_DV_INDICES } from "../cluster.js";
import { interopSecretKey } from "../interop.js";
import { type Squad, startSquad } from "../squad.js";
import { DEMO_FEE_RECIPIENT, DEMO_OPERATOR_IDS, WALLET_VALIDATORS } from "./config.js";

/**
 * The demo's Rocket Pool node and the keys its cluster runs.
 *
 * @example
 * const { squadKeys } = await prepareRocketPoolNode("/tmp/demo", 2);
 */
export type DemoNode = {
  dataDir: string;
  /** Every validator key of the node. */
  keys: ValidatorKey[];
  /** Keys that are genesis validators of the devnet. */
  liveKeys: ValidatorKey[];
  /** Wallet keys never deposited on the devnet. */
  walletKeys: ValidatorKey[];
  /** What the cluster runs: every live key, then `inactiveValidators` wallet keys. */
  squadKeys: ValidatorKey[];
};

/**
 * Write the Rocket Pool node into `dir`/rocketpool and read its keys back as a user's would be.
 *
 * @example
 * const node = await prepareRocketPoolNode("/tmp/demo", 2);
 * node.squadKeys.length // 18
 */
export async function prepareRocketPoolNode(
  dir: string,
  inactiveValidators: number,
): Promise<DemoNode> {
  const fixture = await writeRocketPoolFixture(join(dir, "rocketpool"), {
    validators: WALLET_VALIDATORS,
    customSecrets: DEVNET_DV_INDICES.map((i) => interopSecretKey(i)),
  });
  const { keys } = await readRocketPoolKeys(fixture.dataDir);
  const onChain = new Set(fixture.customPubkeys);
  const liveKeys = keys.filter((k) => onChain.has(toHex(k.pubkey)));
  const walletKeys = keys.filter((k) => !onChain.has(toHex(k.pubkey)));
  const squadKeys = [...liveKeys, ...walletKeys.slice(0, inactiveValidators)];
  return { dataDir: fixture.dataDir, keys, liveKeys, walletKeys, squadKeys };
}

/**
 * A started demo squad and the dashboard token its nodes take exit requests with.
 *
 * @example
 * const { squad, dashboardToken } = await startDemoSquad(dir, keys, restUrl, 1);
 */
export type DemoSquad = { squad: Squad; dashboardToken: string };

/**
 * Split `keys` for the demo's 4 operators and start their nodes; the dashboard token (threshold
 * exit) is fresh and handed over in their environment only.
 *
 * @example
 * const { squad } = await startDemoSquad("/tmp/demo", node.squadKeys, devnet.restUrl, 1);
 */
export async function startDemoSquad(
  dir: string,
  keys: readonly ValidatorKey[],
  beaconUrl: string,
  doppelgangerEpochs: number,
  nodeArgs: readonly string[] = [],
): Promise<DemoSquad> {
  const dashboardToken = randomBytes(16).toString("hex");
  const squad = await startSquad({
    workDir: join(dir, "squad"),
    keys,
    operatorIds: DEMO_OPERATOR_IDS,
    beaconUrl,
    feeRecipient: DEMO_FEE_RECIPIENT,
    doppelgangerEpochs,
    dashboardToken,
    nodeArgs,
  });
  return { squad, dashboardToken };
}

/**
 * The cluster validators the beacon node knows as active, and their indices in ascending order.
 *
 * @example
 * const { active, indices } = await activeSquadValidators(beacon, node.squadKeys);
 */
export async function activeSquadValidators(
  beacon: BeaconClient,
  keys: readonly ValidatorKey[],
): Promise<{ active: BeaconValidator[]; indices: number[] }> {
  const onBeacon = await beacon.validators(keys.map((k) => k.pubkey));
  const active = onBeacon.filter((v) => v.status.startsWith("active"));
  return { active, indices: active.map((v) => v.index).sort((a, b) => a - b) };
}
