/**
 * The Beacon API client (ethereum/beacon-APIs): {@link createBeaconClient} builds the shared
 * context (src/beacon/context.ts: fallback over several beacon nodes, slot-fitted timeouts, chain
 * info cache, old-node endpoint memory) and binds the endpoint functions, which live one module
 * per API group like the Beacon API itself:
 *
 * - src/beacon/api/node.ts — /eth/v1/node/{health,syncing,version}
 * - src/beacon/api/config.ts — /eth/v1/config/{spec,fork_schedule}, /eth/v1/beacon/genesis
 * - src/beacon/api/states.ts — /eth/v1/beacon/states/{state_id}/{validators,validator_balances,
 *   finality_checkpoints,committees}
 * - src/beacon/api/blocks.ts — /eth/v1/beacon/headers, /eth/v2/beacon/blocks (read, publish),
 *   block attestations and roots
 * - src/beacon/api/pool.ts — /eth/v{1,2}/beacon/pool/{attestations,voluntary_exits,sync_committees}
 * - src/beacon/api/rewards.ts — /eth/v1/beacon/rewards/attestations/{epoch}
 * - src/beacon/api/duties.ts — /eth/v1/validator/duties/{attester,proposer,sync}, liveness
 * - src/beacon/api/validator.ts — attestation data, aggregation, subscriptions, fee recipients,
 *   sync committee contributions
 * - src/beacon/api/produce.ts — /eth/v3 (v2) /validator/blocks/{slot}
 *
 * The client implements the DV node's `BeaconNode` (src/core/beacon.ts) and serves the
 * reputation score (src/reputation/beacon.ts), doctor and the devnet: the one Beacon API client.
 */
import {
  getBlock,
  getBlockAttestations,
  getBlockHeader,
  getBlockHeaderDated,
  getBlockProposer,
  getBlockRoot,
  publishBlindedBlock,
  publishBlock,
} from "./api/blocks.js";
import { chainInfo } from "./api/config.js";
import {
  getAttesterDuties,
  getLiveness,
  getProposerDuties,
  getProposerDutiesIfServed,
  getSyncCommitteeDuties,
} from "./api/duties.js";
import { getHealth, getNodeVersion, getSyncingStatus } from "./api/node.js";
import {
  submitPoolAttestations,
  submitPoolSyncCommitteeSignatures,
  submitPoolVoluntaryExit,
} from "./api/pool.js";
import { produceBlock, produceProposal } from "./api/produce.js";
import { getAttestationsRewards } from "./api/rewards.js";
import {
  getEpochCommittees,
  getStateFinalityCheckpoints,
  getStateValidatorBalances,
  getStateValidators,
} from "./api/states.js";
import {
  getAggregatedAttestation,
  prepareBeaconCommitteeSubnet,
  prepareBeaconProposer,
  produceAttestationData,
  produceSyncCommitteeContribution,
  publishAggregateAndProofs,
  publishContributionAndProofs,
  registerValidators,
} from "./api/validator.js";
import { type BeaconContext, createBeaconContext } from "./context.js";
import type { BeaconClient, BeaconClientOptions } from "./types.js";

export { IDS_PER_POST, IDS_PER_QUERY } from "./api/states.js";
export { SLOT_FRACTION } from "./context.js";

/**
 * The {@link BeaconClient} methods over a context: each one line, naming the endpoint function.
 *
 * @example
 * const beacon = bindBeaconClient(createBeaconContext(urls, { timeoutMs: 5000 }));
 */
export function bindBeaconClient(ctx: BeaconContext): BeaconClient {
  return {
    urls: ctx.http.urls,
    // node
    health: () => getHealth(ctx),
    syncing: () => getSyncingStatus(ctx),
    version: () => getNodeVersion(ctx),
    // config
    chainInfo: () => chainInfo(ctx),
    // beacon: states
    validators: (ids, stateId) => getStateValidators(ctx, ids, stateId),
    balances: (ids, stateId) => getStateValidatorBalances(ctx, ids, stateId),
    finalityCheckpoints: (stateId) => getStateFinalityCheckpoints(ctx, stateId),
    committees: (epoch, slot, stateId) => getEpochCommittees(ctx, epoch, slot, stateId),
    // beacon: blocks
    blockHeader: (blockId) => getBlockHeader(ctx, blockId),
    blockHeaderDated: (blockId) => getBlockHeaderDated(ctx, blockId),
    block: (blockId) => getBlock(ctx, blockId),
    blockProposer: (blockId) => getBlockProposer(ctx, blockId),
    blockAttestations: (blockId) => getBlockAttestations(ctx, blockId),
    beaconBlockRoot: (blockId) => getBlockRoot(ctx, blockId),
    publishBlock: (signed) => publishBlock(ctx, signed),
    publishBlindedBlock: (signed) => publishBlindedBlock(ctx, signed),
    produceProposal: (slot, randao, graffiti, request) =>
      produceProposal(ctx, slot, randao, graffiti, request),
    // beacon: pool
    submitAttestations: (atts, duties) => submitPoolAttestations(ctx, atts, duties),
    submitVoluntaryExit: (exit) => submitPoolVoluntaryExit(ctx, exit),
    submitSyncCommitteeMessages: (msgs) => submitPoolSyncCommitteeSignatures(ctx, msgs),
    // beacon: rewards
    attestationRewards: (epoch, indices) => getAttestationsRewards(ctx, epoch, indices),
    // validator: duties
    attesterDuties: (epoch, indices) => getAttesterDuties(ctx, epoch, indices),
    proposerDuties: (epoch) => getProposerDuties(ctx, epoch),
    proposerDutiesIfServed: (epoch) => getProposerDutiesIfServed(ctx, epoch),
    syncCommitteeDuties: (epoch, indices) => getSyncCommitteeDuties(ctx, epoch, indices),
    liveness: (epoch, indices) => getLiveness(ctx, epoch, indices),
    // validator: production and aggregation
    attestationData: (slot, index) => produceAttestationData(ctx, slot, index),
    aggregateAttestation: (slot, root, index) => getAggregatedAttestation(ctx, slot, root, index),
    submitAggregateAndProofs: (signed) => publishAggregateAndProofs(ctx, signed),
    subscribeToCommittees: (subs) => prepareBeaconCommitteeSubnet(ctx, subs),
    prepareBeaconProposer: (entries) => prepareBeaconProposer(ctx, entries),
    registerValidators: (signed) => registerValidators(ctx, signed),
    produceBlock: (slot, randao, graffiti) => produceBlock(ctx, slot, randao, graffiti),
    syncCommitteeContribution: (slot, sub, root) =>
      produceSyncCommitteeContribution(ctx, slot, sub, root),
    submitContributionAndProofs: (signed) => publishContributionAndProofs(ctx, signed),
  };
}

/**
 * Create the REST client. `urls` are tried in order (first healthy; on error/timeout the next).
 *
 * @example
 * const beacon = createBeaconClient(["http://127.0.0.1:5052", "http://127.0.0.1:5053"], {
 *   timeoutMs: 4000,
 * });
 * const chain = await beacon.chainInfo();
 * const duties = await beacon.attesterDuties(10, [48, 49]);
 */
export function createBeaconClient(
  urls: readonly string[],
  opts: BeaconClientOptions,
): BeaconClient {
  return bindBeaconClient(createBeaconContext(urls, opts));
}
