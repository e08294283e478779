/**
 * Beacon API REST client (ethereum/beacon-APIs) with fallback over several beacon nodes: the one
 * client of rpdvt (DV node, reputation, doctor, devnet). Endpoint functions live one module per API
 * group under src/beacon/api/; src/beacon/client.ts binds them into a {@link BeaconClient}.
 *
 * @example
 * import { createBeaconClient } from "./beacon/index.js";
 * const beacon = createBeaconClient(["http://127.0.0.1:5052"], { timeoutMs: 5000 });
 */

export type { CommitteeSubscription } from "../core/beacon.js";
export {
  bindBeaconClient,
  createBeaconClient,
  IDS_PER_POST,
  IDS_PER_QUERY,
  SLOT_FRACTION,
} from "./client.js";
export { type BeaconContext, createBeaconContext } from "./context.js";
export { BeaconApiError, type BeaconAttemptFailure, type BeaconItemFailure } from "./errors.js";
export { DEFAULT_RETRY_FAILED_AFTER_MS, normalizeUrls, withQuery } from "./http.js";
export type {
  AttestationRewards,
  BeaconBlockInfo,
  BeaconChainInfo,
  BeaconClient,
  BeaconClientOptions,
  BeaconValidator,
  BlockAttestation,
  BlockHeaderInfo,
  BlockId,
  Committee,
  DatedBlockHeader,
  FinalityCheckpoints,
  NodeHealth,
  ProducedBeaconBlock,
  RewardComponents,
  StateId,
  SyncStatus,
} from "./types.js";
