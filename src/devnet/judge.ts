/**
 * The judge: what happened to a set of validators, measured from the beacon node's own view (never
 * from rpdvt's bookkeeping). Attestation duties come from the beacon's attester duties; inclusion
 * from the attestations inside canonical blocks (GET /eth/v2/beacon/blocks/{id}/attestations, v1
 * on old nodes): a duty counts when an attestation of its slot has the validator among its
 * participants. Participants are read with the slot's committees (GET …/states/{id}/committees,
 * read while the chain runs, for the observed epoch and the next) as consensus-specs does
 * (`get_attesting_indices`): up to Deneb the committee is data.index and aggregation_bits run
 * over it; from Electra (EIP-7549, electra beacon-chain.md) data.index is 0, committee_bits names
 * the committees, and aggregation_bits run over their members concatenated in ascending committee
 * order. Without the committees (an old state the node cannot serve) the judge falls back to the
 * duty: its committee and position (Electra: only when its committee is the first one covered,
 * i.e. at offset 0). Proposals from proposer duties and
 * the canonical block at that slot (GET /eth/v2/beacon/blocks/{slot}), paying the fee recipient
 * the validator must use — as its execution payload's fee_recipient, or (a builder's block) by
 * the payload's last transaction (src/builder/proposal.ts checkPayment) —, each landed block's
 * payload hash kept so that the relay's records can tell blinded from local blocks
 * (./demo/builder.ts); slashings from the validators' `slashed` flag in the state.
 */
import type { BeaconClient, BlockAttestation } from "../beacon/index.js";
import { checkPayment, type PayloadFields } from "../builder/proposal.js";
import type { AttesterDuty, ProposerDuty } from "../core/beacon.js";
import { toHex } from "../util/hex.js";

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
  /** The landed blocks: slot, proposer and execution payload block hash (null: no payload). */
  landedBlocks: LandedBlock[];
};

/**
 * A judged validator's canonical block.
 *
 * @example
 * const b: LandedBlock = { slot: 33, validatorIndex: 50, blockHash: "0x3f…" };
 */
export type LandedBlock = { slot: number; validatorIndex: number; blockHash: string | null };

/** Read the bits of an SSZ bitlist value (@chainsafe/ssz BitArray). */
function bitSet(bits: { get(i: number): boolean }, i: number): boolean {
  try {
    return bits.get(i);
  } catch {
    return false;
  }
}

/**
 * What the judge keeps while the chain runs: duties per epoch (attester: the judged validators';
 * proposer: filtered to them) and committees per epoch (`${slot}/${committee}` → members).
 */
type JudgeState = {
  beacon: BeaconClient;
  indices: readonly number[];
  slotsPerEpoch: number;
  feeRecipients: ReadonlyMap<number, string>;
  mine: Set<number>;
  attester: Map<number, AttesterDuty[]>;
  proposer: Map<number, ProposerDuty[]>;
  committees: Map<number, Map<string, number[]>>;
};

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
  const st: JudgeState = {
    beacon,
    indices,
    slotsPerEpoch,
    feeRecipients,
    mine: new Set(indices),
    attester: new Map(),
    proposer: new Map(),
    committees: new Map(),
  };
  return {
    /**
     * Fetch and keep the duties and committees of `epoch` and the next one (idempotent per
     * epoch; the next epoch's committees are retried at the next call if the node refuses them).
     */
    observe: (epoch: number): Promise<void> => observe(st, epoch),
    /** Attestation duties in [fromEpoch, toEpoch] (observed ones) and their inclusion. */
    attestations: (fromEpoch: number, toEpoch: number, headSlot: number) =>
      attestationStats(st, fromEpoch, toEpoch, headSlot),
    /**
     * Proposer duties in [fromEpoch, toEpoch] (observed ones), how many produced a canonical
     * block, and how many of those pay the validator's expected fee recipient.
     */
    proposals: (fromEpoch: number, toEpoch: number, headSlot: number) =>
      proposalStats(st, fromEpoch, toEpoch, headSlot),
  };
}

/** The committees of `epoch` from the state `stateId`, once. */
async function loadCommittees(
  st: JudgeState,
  epoch: number,
  stateId: string | number,
): Promise<void> {
  if (st.committees.has(epoch)) return;
  const m = new Map<string, number[]>();
  for (const c of await st.beacon.committees(epoch, undefined, stateId)) {
    m.set(`${c.slot}/${c.index}`, c.validators);
  }
  st.committees.set(epoch, m);
}

async function observe(st: JudgeState, epoch: number): Promise<void> {
  for (const e of [epoch, epoch + 1]) {
    if (!st.attester.has(e)) st.attester.set(e, await st.beacon.attesterDuties(e, st.indices));
    try {
      await loadCommittees(st, e, "head");
    } catch {
      // next epoch's shuffling not yet served (head behind): retried, or read at judging
    }
  }
  if (!st.proposer.has(epoch)) {
    st.proposer.set(
      epoch,
      (await st.beacon.proposerDuties(epoch)).filter((d) => st.mine.has(d.validatorIndex)),
    );
  }
}

/** Validators an attestation counts (undefined: a committee of it is unknown). */
function participants(st: JudgeState, a: BlockAttestation): number[] | undefined {
  const slot = a.data.slot;
  const byCommittee = st.committees.get(Math.floor(slot / st.slotsPerEpoch));
  const covered = "committeeBits" in a ? a.committeeBits.getTrueBitIndexes() : [a.data.index];
  const out: number[] = [];
  let offset = 0;
  for (const c of covered) {
    const members = byCommittee?.get(`${slot}/${c}`);
    if (!members) return undefined;
    members.forEach((v, i) => {
      if (bitSet(a.aggregationBits, offset + i)) out.push(v);
    });
    offset += members.length;
  }
  return out;
}

/** Does `a` include duty `d`? By participants, else by the duty's committee and position. */
function includes(st: JudgeState, a: BlockAttestation, d: AttesterDuty): boolean {
  if (a.data.slot !== d.slot) return false;
  const who = participants(st, a);
  if (who) return who.includes(d.validatorIndex);
  const first = "committeeBits" in a ? a.committeeBits.getTrueBitIndexes()[0] : a.data.index;
  return first === d.committeeIndex && bitSet(a.aggregationBits, d.validatorCommitteeIndex);
}

async function attestationStats(
  st: JudgeState,
  fromEpoch: number,
  toEpoch: number,
  headSlot: number,
): Promise<AttestationStats> {
  const spe = st.slotsPerEpoch;
  const duties: AttesterDuty[] = [];
  for (let e = fromEpoch; e <= toEpoch; e++) {
    duties.push(...(st.attester.get(e) ?? []));
    try {
      await loadCommittees(st, e, e * spe); // from the state at the epoch's start
    } catch {
      // not served (pruned state): the duty fallback of `includes`
    }
  }
  const lastSlot = Math.min(headSlot, (toEpoch + 1 + INCLUSION_WINDOW_EPOCHS) * spe - 1);
  const bySlot = new Map<number, BlockAttestation[] | null>();
  for (let s = fromEpoch * spe + 1; s <= lastSlot; s++) {
    bySlot.set(s, await st.beacon.blockAttestations(s));
  }
  let included = 0;
  let distance = 0;
  for (const d of duties) {
    for (let s = d.slot + 1; s <= Math.min(lastSlot, d.slot + spe); s++) {
      if (bySlot.get(s)?.some((a) => includes(st, a, d))) {
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
}

async function proposalStats(
  st: JudgeState,
  fromEpoch: number,
  toEpoch: number,
  headSlot: number,
): Promise<ProposalStats> {
  const out: ProposalStats = {
    duties: 0,
    landed: 0,
    rightFeeRecipient: 0,
    wrongFeeRecipients: [],
    landedBlocks: [],
  };
  for (let e = fromEpoch; e <= toEpoch; e++) {
    for (const d of st.proposer.get(e) ?? []) {
      if (d.slot > headSlot || d.slot === 0) continue;
      out.duties++;
      const b = await st.beacon.block(d.slot);
      const m = b?.signedBlock.message;
      if (m?.proposerIndex !== d.validatorIndex) continue;
      out.landed++;
      // The fork's full SSZ block value (BeaconBlockInfo types only feeRecipient of it).
      const payload = m.body.executionPayload as LandedPayload | undefined;
      out.landedBlocks.push({
        slot: d.slot,
        validatorIndex: d.validatorIndex,
        blockHash: payload ? toHex(payload.blockHash) : null,
      });
      if (paysRecipient(payload, st.feeRecipients.get(d.validatorIndex))) {
        out.rightFeeRecipient++;
      } else {
        out.wrongFeeRecipients.push({
          slot: d.slot,
          validatorIndex: d.validatorIndex,
          feeRecipient: payload ? toHex(payload.feeRecipient) : null,
        });
      }
    }
  }
  return out;
}

/** The execution payload fields the judge reads (from Bellatrix on). */
type LandedPayload = PayloadFields & { blockHash: Uint8Array };

/**
 * Does a landed payload pay `want`: as its fee recipient, or a builder's by its last transaction
 * (builder-specs' two payment styles; src/builder/proposal.ts checkPayment)?
 */
function paysRecipient(payload: PayloadFields | undefined, want: string | undefined): boolean {
  if (!payload || !want) return false;
  return checkPayment(payload, want, 0n).ok;
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
