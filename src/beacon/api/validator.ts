/**
 * Beacon API "validator" group, what a validator client asks and sends around attestations and
 * sync committees (ethereum/beacon-APIs apis/validator/attestation_data.yaml,
 * aggregate_attestation.yaml and .v2, aggregate_and_proofs.yaml and .v2,
 * beacon_committee_subscriptions.yaml, prepare_beacon_proposer.yaml,
 * sync_committee_contribution.yaml, contribution_and_proofs.yaml, register_validator.yaml).
 *
 * Aggregation: v1 endpoints and phase0 containers up to Deneb; from Electra on (by the fork of the
 * slot) v2 with `committee_index` / Eth-Consensus-Version and electra containers. Committee
 * subscriptions and fee recipients go to EVERY node: whichever receives an attestation must pool
 * it for the aggregators, whichever produces a block must know the recipient.
 */
import { type altair, type bellatrix, type phase0, ssz } from "@lodestar/types";
import type { CommitteeSubscription, ProposerPreparation } from "../../core/beacon.js";
import { toHex } from "../../util/hex.js";
import {
  type BeaconContext,
  postJson,
  requestContainer,
  requestEveryNode,
  SLOT_FRACTION,
  timeoutFor,
} from "../context.js";
import { isPostElectra, sszType } from "../fork.js";
import type { HttpRequest } from "../http.js";
import { assertPreset, forkAtSlot } from "./config.js";

/**
 * GET /eth/v1/validator/attestation_data?slot&committee_index, within a third of a slot.
 *
 * @example
 * const data = await produceAttestationData(ctx, 17, 0);
 */
export async function produceAttestationData(
  ctx: BeaconContext,
  slot: number,
  committeeIndex: number,
): Promise<phase0.AttestationData> {
  const req: HttpRequest = {
    method: "GET",
    path: "/eth/v1/validator/attestation_data",
    query: { slot, committee_index: committeeIndex },
    timeoutMs: timeoutFor(ctx, SLOT_FRACTION.attestationData),
  };
  return requestContainer(ctx, req, ssz.phase0.AttestationData);
}

/**
 * GET /eth/v1/validator/aggregate_attestation?attestation_data_root&slot, or from Electra on v2
 * with committee_index (the value then also carries `committeeBits`).
 *
 * @example
 * const agg = await getAggregatedAttestation(ctx, 9, dataRoot, 0);
 */
export async function getAggregatedAttestation(
  ctx: BeaconContext,
  slot: number,
  attestationDataRoot: Uint8Array,
  committeeIndex: number,
): Promise<phase0.Attestation> {
  const fork = await forkAtSlot(ctx, slot);
  const electra = isPostElectra(fork);
  const req: HttpRequest = {
    method: "GET",
    path: `/eth/${electra ? "v2" : "v1"}/validator/aggregate_attestation`,
    query: {
      attestation_data_root: toHex(attestationDataRoot),
      slot,
      committee_index: electra ? committeeIndex : undefined,
    },
    timeoutMs: timeoutFor(ctx, SLOT_FRACTION.aggregate),
  };
  const type = electra ? sszType(fork, "Attestation") : ssz.phase0.Attestation;
  return (await requestContainer(ctx, req, type)) as phase0.Attestation;
}

/**
 * POST /eth/v1/validator/aggregate_and_proofs, or from Electra on v2 with Eth-Consensus-Version.
 * Nothing to send: no request.
 *
 * @example
 * await publishAggregateAndProofs(ctx, [signedAggregate]);
 */
export async function publishAggregateAndProofs(
  ctx: BeaconContext,
  signed: phase0.SignedAggregateAndProof[],
): Promise<void> {
  const first = signed[0];
  if (first === undefined) return;
  const fork = await forkAtSlot(ctx, first.message.aggregate.data.slot);
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.submitAggregates);
  if (!isPostElectra(fork)) {
    const body = signed.map((x) => ssz.phase0.SignedAggregateAndProof.toJson(x));
    await postJson(ctx, "/eth/v1/validator/aggregate_and_proofs", body, timeoutMs);
    return;
  }
  const type = sszType(fork, "SignedAggregateAndProof");
  await postJson(
    ctx,
    "/eth/v2/validator/aggregate_and_proofs",
    signed.map((x) => type.toJson(x)),
    timeoutMs,
    {
      "Eth-Consensus-Version": fork,
    },
  );
}

/** POST `body` to EVERY node within the duties' fraction of a slot (context.ts requestEveryNode). */
async function postEveryNode(
  ctx: BeaconContext,
  path: string,
  body: unknown,
  what: string,
  hint: string,
): Promise<void> {
  const req: HttpRequest = {
    method: "POST",
    path,
    body,
    timeoutMs: timeoutFor(ctx, SLOT_FRACTION.duties),
  };
  await requestEveryNode(ctx, req, what, hint);
}

/**
 * POST /eth/v1/validator/beacon_committee_subscriptions to every node. None: no request.
 *
 * @example
 * await prepareBeaconCommitteeSubnet(ctx, [{ validatorIndex: 48, committeeIndex: 0, committeesAtSlot: 1, slot: 9, isAggregator: true }]);
 */
export async function prepareBeaconCommitteeSubnet(
  ctx: BeaconContext,
  subs: readonly CommitteeSubscription[],
): Promise<void> {
  if (subs.length === 0) return;
  const body = subs.map((s) => ({
    validator_index: String(s.validatorIndex),
    committee_index: String(s.committeeIndex),
    committees_at_slot: String(s.committeesAtSlot),
    slot: String(s.slot),
    is_aggregator: s.isAggregator,
  }));
  await postEveryNode(
    ctx,
    "/eth/v1/validator/beacon_committee_subscriptions",
    body,
    "the committee subscriptions",
    "The node retries at the next slot.",
  );
}

/**
 * POST /eth/v1/validator/prepare_beacon_proposer to every node (snake_case strings). None: no
 * request.
 *
 * @example
 * await prepareBeaconProposer(ctx, [{ validatorIndex: 48, feeRecipient: "0x5aAe…eAed" }]);
 */
export async function prepareBeaconProposer(
  ctx: BeaconContext,
  entries: readonly ProposerPreparation[],
): Promise<void> {
  if (entries.length === 0) return;
  const body = entries.map((e) => ({
    validator_index: String(e.validatorIndex),
    fee_recipient: e.feeRecipient,
  }));
  await postEveryNode(
    ctx,
    "/eth/v1/validator/prepare_beacon_proposer",
    body,
    "the fee recipients",
    "Their proposals would pay the node's default fee recipient: the node retries every epoch.",
  );
}

/**
 * POST /eth/v1/validator/register_validator to every node (beacon-APIs register_validator.yaml:
 * a JSON array of builder-specs SignedValidatorRegistrationV1, decimal-string integers). The
 * beacon node forwards them to its builder (MEV-Boost); Lodestar 1.5.1 answers 200 with no body.
 * None: no request.
 *
 * @example
 * await registerValidators(ctx, [signedRegistration]);
 */
export async function registerValidators(
  ctx: BeaconContext,
  signed: readonly bellatrix.SignedValidatorRegistrationV1[],
): Promise<void> {
  if (signed.length === 0) return;
  await postEveryNode(
    ctx,
    "/eth/v1/validator/register_validator",
    signed.map((s) => ssz.bellatrix.SignedValidatorRegistrationV1.toJson(s)),
    "the builder registrations",
    "Without them the builder has no registration for these validators (no blinded proposals): the node resubmits every epoch.",
  );
}

/**
 * GET /eth/v1/validator/sync_committee_contribution?slot&subcommittee_index&beacon_block_root
 * (its aggregation bits are a bit vector of the preset's subcommittee size: preset checked first).
 *
 * @example
 * const c = await produceSyncCommitteeContribution(ctx, 9, 0, blockRoot);
 */
export async function produceSyncCommitteeContribution(
  ctx: BeaconContext,
  slot: number,
  subcommitteeIndex: number,
  beaconBlockRoot: Uint8Array,
): Promise<altair.SyncCommitteeContribution> {
  await assertPreset(ctx);
  const req: HttpRequest = {
    method: "GET",
    path: "/eth/v1/validator/sync_committee_contribution",
    query: {
      slot,
      subcommittee_index: subcommitteeIndex,
      beacon_block_root: toHex(beaconBlockRoot),
    },
    timeoutMs: timeoutFor(ctx, SLOT_FRACTION.contribution),
  };
  return requestContainer(ctx, req, ssz.altair.SyncCommitteeContribution);
}

/**
 * POST /eth/v1/validator/contribution_and_proofs. Nothing to send: no request.
 *
 * @example
 * await publishContributionAndProofs(ctx, [signedContribution]);
 */
export async function publishContributionAndProofs(
  ctx: BeaconContext,
  signed: altair.SignedContributionAndProof[],
): Promise<void> {
  if (signed.length === 0) return;
  const body = signed.map((x) => ssz.altair.SignedContributionAndProof.toJson(x));
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.submitContributions);
  await postJson(ctx, "/eth/v1/validator/contribution_and_proofs", body, timeoutMs);
}
