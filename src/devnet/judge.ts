/**
 * The judge: what happened to a set of validators, measured from the beacon node's own view (never
 * from rpdvt's bookkeeping). Attestation duties come from the beacon's attester duties; inclusion
 * from the attestations inside canonical blocks (aggregation bit at the validator's committee
 * position, data.slot and committee index matching the duty); proposals from proposer duties and
 * the canonical block at that slot (GET /eth/v2/beacon/blocks/{slot}), with its execution
 * payload's fee_recipient against the one the validator must use; slashings from the validators'
 * `slashed` flag in the state.
 */
import type { BeaconClient } from "../beacon/index.js";
import type { AttesterDuty, ProposerDuty } from "../core/beacon.js";

/** Attestations are includable for SLOTS_PER_EPOCH slots (consensus-specs phase0, process_attestation). */
const INCLUSION_WINDOW_EPOCHS = 1;

export type AttestationStats = {
  duties: number;
  included: number;
  /** Mean (block slot − attestation slot) over included attestations. */
  meanInclusionDistance: number | null;
  /** included / duties. */
  effectiveness: number | null;
};

/**
 * Proposals of the judged validators: duties, canonical blocks, and how many of those pay the
 * expected fee recipient (execution payload fee_recipient; the wrong ones listed).
 *
 * @example
 * const { landed, rightFeeRecipient } = await judge.proposals(2, 5, head);
 */
export type ProposalStats = {
  duties: number;
  landed: number;
  /** Landed blocks whose execution payload pays the expected fee recipient. */
  rightFeeRecipient: number;
  wrongFeeRecipients: { slot: number; validatorIndex: number; feeRecipient: string | null }[];
};

/** Read the bits of an SSZ bitlist value (@chainsafe/ssz BitArray). */
function bitSet(bits: { get(i: number): boolean }, i: number): boolean {
  try {
    return bits.get(i);
  } catch {
    return false;
  }
}

/**
 * Collects attester and proposer duties of `indices` while the chain runs (Lodestar serves duties
 * only for the current and next epoch), then measures them against canonical blocks.
 * `feeRecipients` (validator index → 0x address) is what each validator's blocks must pay.
 *
 * @example
 * const judge = createJudge(beacon, [48, 49], 8, new Map([[48, "0x5aAe…"], [49, "0x5aAe…"]]));
 * await judge.observe(currentEpoch); // once per epoch, while running
 * const s = await judge.attestations(2, 5, headSlot);
 */
export function createJudge(
  beacon: BeaconClient,
  indices: readonly number[],
  slotsPerEpoch: number,
  feeRecipients: ReadonlyMap<number, string> = new Map(),
) {
  const attester = new Map<number, AttesterDuty[]>();
  const proposer = new Map<number, ProposerDuty[]>();
  const mine = new Set(indices);
  return {
    /** Fetch and keep the duties of `epoch` and the next one (idempotent per epoch). */
    async observe(epoch: number): Promise<void> {
      for (const e of [epoch, epoch + 1]) {
        if (!attester.has(e)) attester.set(e, await beacon.attesterDuties(e, indices));
      }
      if (!proposer.has(epoch)) {
        proposer.set(
          epoch,
          (await beacon.proposerDuties(epoch)).filter((d) => mine.has(d.validatorIndex)),
        );
      }
    },
    /** Attestation duties in [fromEpoch, toEpoch] (observed ones) and their inclusion. */
    async attestations(
      fromEpoch: number,
      toEpoch: number,
      headSlot: number,
    ): Promise<AttestationStats> {
      const duties: AttesterDuty[] = [];
      for (let e = fromEpoch; e <= toEpoch; e++) duties.push(...(attester.get(e) ?? []));
      const lastSlot = Math.min(
        headSlot,
        (toEpoch + 1 + INCLUSION_WINDOW_EPOCHS) * slotsPerEpoch - 1,
      );
      const bySlot = new Map<number, Awaited<ReturnType<BeaconClient["blockAttestations"]>>>();
      for (let s = fromEpoch * slotsPerEpoch + 1; s <= lastSlot; s++) {
        bySlot.set(s, await beacon.blockAttestations(s));
      }
      let included = 0;
      let distance = 0;
      for (const d of duties) {
        for (let s = d.slot + 1; s <= Math.min(lastSlot, d.slot + slotsPerEpoch); s++) {
          const hit = bySlot
            .get(s)
            ?.some(
              (a) =>
                a.data.slot === d.slot &&
                a.data.index === d.committeeIndex &&
                bitSet(a.aggregationBits, d.validatorCommitteeIndex),
            );
          if (hit) {
            included++;
            distance += s - d.slot;
            break;
          }
        }
      }
      return {
        duties: duties.length,
        included,
        meanInclusionDistance: included ? distance / included : null,
        effectiveness: duties.length ? included / duties.length : null,
      };
    },
    /**
     * Proposer duties in [fromEpoch, toEpoch] (observed ones), how many produced a canonical
     * block, and how many of those pay the validator's expected fee recipient.
     */
    async proposals(fromEpoch: number, toEpoch: number, headSlot: number): Promise<ProposalStats> {
      const out: ProposalStats = {
        duties: 0,
        landed: 0,
        rightFeeRecipient: 0,
        wrongFeeRecipients: [],
      };
      for (let e = fromEpoch; e <= toEpoch; e++) {
        for (const d of proposer.get(e) ?? []) {
          if (d.slot > headSlot || d.slot === 0) continue;
          out.duties++;
          const b = await beacon.block(d.slot);
          const m = b?.signedBlock.message;
          if (m?.proposerIndex !== d.validatorIndex) continue;
          out.landed++;
          const fr = m.body.executionPayload?.feeRecipient;
          const got = fr ? `0x${Buffer.from(fr).toString("hex")}` : null;
          if (got !== null && got === feeRecipients.get(d.validatorIndex)?.toLowerCase()) {
            out.rightFeeRecipient++;
          } else {
            out.wrongFeeRecipients.push({
              slot: d.slot,
              validatorIndex: d.validatorIndex,
              feeRecipient: got,
            });
          }
        }
      }
      return out;
    },
  };
}

/** What {@link createJudge} returns. */
export type Judge = ReturnType<typeof createJudge>;

/**
 * Validators (of `indices`) whose state record says slashed.
 *
 * @example
 * const slashed = await slashedValidators(beacon, allIndices);
 */
export async function slashedValidators(
  beacon: BeaconClient,
  indices: readonly number[],
): Promise<number[]> {
  return (await beacon.validators(indices)).filter((v) => v.slashed).map((v) => v.index);
}
