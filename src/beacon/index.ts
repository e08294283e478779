/**
 * Beacon API REST client (ethereum/beacon-APIs) with fallback over several beacon nodes.
 *
 * @example
 * import { createBeaconClient } from "./beacon/index.js";
 * const beacon = createBeaconClient(["http://127.0.0.1:5052"], { timeoutMs: 5000 });
 */

export type { CommitteeSubscription } from "../core/beacon.js";
export {
  type BeaconBlockInfo,
  type BeaconChainInfo,
  type BeaconClient,
  type BeaconClientOptions,
  type BeaconValidator,
  type BlockAttestation,
  type BlockHeaderInfo,
  type BlockId,
  type Committee,
  createBeaconClient,
  type FinalityCheckpoints,
  type NodeHealth,
  type ProducedBeaconBlock,
  SLOT_FRACTION,
  type SyncStatus,
} from "./client.js";
export { BeaconApiError, type BeaconAttemptFailure, type BeaconItemFailure } from "./errors.js";
export { DEFAULT_RETRY_FAILED_AFTER_MS, normalizeUrls, withQuery } from "./http.js";
