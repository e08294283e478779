/**
 * Local devnet: a REAL Lodestar beacon node dev chain (minimal preset) for end-to-end tests of
 * the rpdvt DV node — Lodestar 1.5.1 (Capella) installed by this project, or any `lodestar` CLI
 * ≥ 1.5.1 (`lodestarBin`, flags detected: Electra/Fulu when it has them) — install check,
 * start/stop, interop keys, and the cluster of the validators Lodestar leaves to rpdvt.
 * See devnet/lodestar/README.md.
 *
 * @example
 * import { startDevnet, interopSecretKey } from "./devnet/index.js";
 */
export { createDevnetCluster, DEVNET_DV_INDICES, type DevnetClusterOptions } from "./cluster.js";
export {
  ensureInstalled,
  INSTALL_COMMAND,
  isInstalled,
  LODESTAR_DIR,
  LODESTAR_VERSION,
} from "./install.js";
export { interopPublicKey, interopSecretKey, parseIndexRange } from "./interop.js";
export {
  builderArgs,
  chainParamArgs,
  compareVersions,
  devnetForkEpochs,
  type LodestarBinary,
  MIN_LODESTAR_VERSION,
  parseLodestarVersion,
  parseUnknownArguments,
  probeLodestar,
  validateLodestarBin,
} from "./lodestar-cli.js";
export { type MevDevnet, type MevDevnetOptions, startMevDevnet } from "./mev.js";
export { type Relay, type RelayOptions, type RelayRecords, startRelay } from "./relay/relay.js";
export {
  DEFAULT_GENESIS_DELAY_S,
  DEFAULT_SECONDS_PER_SLOT,
  DEVNET_ENV_MARKER,
  DEVNET_FILES,
  type DevnetHandle,
  type DevnetOptions,
  freePort,
  isDevnetProcess,
  readDevnetPid,
  startDevnet,
  stopPid,
  tailFile,
} from "./start.js";
export {
  type DevnetInfo,
  type DevnetStatus,
  devnetStatus,
  readDevnetInfo,
  stopDevnetAt,
} from "./status.js";
