/**
 * Beacon API "beacon" group, operation pools (ethereum/beacon-APIs apis/beacon/pool/attestations.yaml
 * and attestations.v2.yaml, voluntary_exits.yaml, sync_committees.yaml).
 *
 * Attestations: phase0 `Attestation` on POST /eth/v1/beacon/pool/attestations up to Deneb; from
 * Electra on (EIP-7549, by the fork of the slot) `SingleAttestation` {committee_index,
 * attester_index, data, signature} built from the duties, on POST /eth/v2/beacon/pool/attestations
 * with Eth-Consensus-Version.
 */
import { type altair, type phase0, ssz } from "@lodestar/types";
import type { AttesterDuty } from "../../core/beacon.js";
import { InputError } from "../../errors.js";
import { type BeaconContext, postJson, SLOT_FRACTION, timeoutFor } from "../context.js";
import { isPostElectra, sszType } from "../fork.js";
import { forkAtSlot } from "./config.js";

/**
 * Electra+ `SingleAttestation` JSON of each attestation, from its duty.
 *
 * @example
 * singleAttestationsJson(ForkName.electra, [att], [duty]);
 */
export function singleAttestationsJson(
  fork: Parameters<typeof sszType>[0],
  attestations: readonly phase0.Attestation[],
  duties: readonly AttesterDuty[] | undefined,
): unknown[] {
  if (!duties || duties.length !== attestations.length) {
    throw new InputError("Electra+ attestations need the duty of each attestation", {
      field: "duties",
      metaMessages: ["Pass duties[i] = the AttesterDuty of attestations[i]."],
    });
  }
  const type = sszType(fork, "SingleAttestation");
  return attestations.map((a, i) => {
    const d = duties[i] as AttesterDuty;
    return type.toJson({
      committeeIndex: d.committeeIndex,
      attesterIndex: d.validatorIndex,
      data: a.data,
      signature: a.signature,
    });
  });
}

/**
 * POST /eth/v1/beacon/pool/attestations (phase0) or, from Electra on, POST
 * /eth/v2/beacon/pool/attestations (SingleAttestation; `duties[i]` is the duty of
 * `attestations[i]`). Nothing to send: no request.
 *
 * @example
 * await submitPoolAttestations(ctx, [attestation], [duty]);
 */
export async function submitPoolAttestations(
  ctx: BeaconContext,
  attestations: phase0.Attestation[],
  duties?: readonly AttesterDuty[],
): Promise<void> {
  const first = attestations[0];
  if (first === undefined) return;
  const fork = await forkAtSlot(ctx, first.data.slot);
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.submitAttestations);
  if (!isPostElectra(fork)) {
    const body = attestations.map((a) => ssz.phase0.Attestation.toJson(a));
    await postJson(ctx, "/eth/v1/beacon/pool/attestations", body, timeoutMs);
    return;
  }
  const body = singleAttestationsJson(fork, attestations, duties);
  await postJson(ctx, "/eth/v2/beacon/pool/attestations", body, timeoutMs, {
    "Eth-Consensus-Version": fork,
  });
}

/**
 * POST /eth/v1/beacon/pool/voluntary_exits.
 *
 * @example
 * await submitPoolVoluntaryExit(ctx, { message: { epoch: 5, validatorIndex: 48 }, signature });
 */
export async function submitPoolVoluntaryExit(
  ctx: BeaconContext,
  exit: phase0.SignedVoluntaryExit,
): Promise<void> {
  const body = ssz.phase0.SignedVoluntaryExit.toJson(exit);
  await postJson(ctx, "/eth/v1/beacon/pool/voluntary_exits", body, timeoutFor(ctx));
}

/**
 * POST /eth/v1/beacon/pool/sync_committees (Altair+), within a third of a slot.
 *
 * @example
 * await submitPoolSyncCommitteeSignatures(ctx, [message]);
 */
export async function submitPoolSyncCommitteeSignatures(
  ctx: BeaconContext,
  messages: altair.SyncCommitteeMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const body = messages.map((m) => ssz.altair.SyncCommitteeMessage.toJson(m));
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.submitSyncMessages);
  await postJson(ctx, "/eth/v1/beacon/pool/sync_committees", body, timeoutMs);
}
