/**
 * Validity checks of a builder (MEV-Boost) proposal that every operator runs before it signs a
 * blinded block — pure functions, each refusal with a reason the operators can log.
 *
 * Sources: ethereum/builder-specs specs/bellatrix/builder.md (`BuilderBid`, `getHeader`,
 * "Bidding": the bid's `header.fee_recipient` and the `value` paid to the proposer's registered
 * fee recipient), specs/bellatrix/validator.md ("Constructing the BeaconBlockBody": the proposer
 * checks the bid before signing); consensus-specs bellatrix/beacon-chain.md
 * `process_execution_payload` (parent hash = the parent block's payload hash, timestamp =
 * `compute_timestamp_at_slot(state, state.slot)`).
 *
 * ## How a builder pays the proposer, and what a blinded header can show
 * builder-specs lets a builder pay in either of two ways, and the relays check the payment when
 * the builder submits the block (flashbots/mev-boost-relay: the block simulation
 * `flashbots_validateBuilderSubmissionV*` verifies the proposer payment):
 * 1. the payload's `fee_recipient` IS the proposer's registered fee recipient — priority fees
 *    and any direct transfers land there; visible in the blinded header;
 * 2. the builder is the payload's `fee_recipient` (coinbase) and pays the proposer with the LAST
 *    transaction of the block, a transfer of `value` to the registered fee recipient — the
 *    common case on mainnet relays. A blinded header carries only `transactions_root`: the
 *    proposer CANNOT see that transaction before signing; it relies on the relay's check.
 * Rocket Pool requires the node's fee distributor or the smoothing pool to receive the
 * execution-layer rewards, and the oDAO's penalty system looks at what a proposal paid (see
 * docs/operations.md "MEV"). So the blinded check here accepts case 1 only when
 * `allowBuilderPayment` is false (the default): a header whose fee recipient is anything else is
 * refused — the squad proposes a local block instead. With `allowBuilderPayment: true` the
 * operator trusts the relay's payment check for case 2 (the relay is told the right recipient by
 * the registration); the full block is checked afterwards with {@link checkPayment} (on the
 * payload the relay returns, or the block as it landed), which covers both cases.
 *
 * ## Value
 * The bid's value is the builder's claim, relayed by the beacon node (produceBlockV3's
 * `execution_payload_value`) and not part of the signed block: a Byzantine leader can overstate
 * it. The minimum-value rule is therefore a policy on the value the operator's OWN beacon node
 * reports when it can, and the leader's otherwise; the fee-recipient, parent and slot rules are
 * the enforceable ones (they are in the block that gets signed).
 */
import { parseTransaction } from "viem";
import { InputError } from "../errors.js";
import { parseAddress } from "../util/address.js";
import { toHex } from "../util/hex.js";
import type { Verdict } from "./registration.js";

/**
 * The fields of an execution payload header (any fork from Bellatrix) the checks read.
 *
 * @example
 * const h: HeaderFields = ssz.capella.ExecutionPayloadHeader.defaultValue();
 */
export type HeaderFields = {
  parentHash: Uint8Array;
  feeRecipient: Uint8Array;
  blockNumber: number;
  gasLimit: number;
  timestamp: number;
  blockHash: Uint8Array;
};

/**
 * The fields of a blinded beacon block (any fork from Bellatrix) the checks read.
 *
 * @example
 * const b: BlindedBlockFields = ssz.capella.BlindedBeaconBlock.defaultValue();
 */
export type BlindedBlockFields = {
  slot: number;
  proposerIndex: number;
  parentRoot: Uint8Array;
  body: { executionPayloadHeader: HeaderFields };
};

/**
 * What every operator knows on its own for the proposal duty of `slot`.
 *
 * @example
 * const want: ProposalExpectation = { slot: 130, proposerIndex: 48, parentRoot, parentHash,
 *   timestamp: genesisTime + 130 * 12, feeRecipient: "0xd4…", minValueWei: 0n };
 */
export type ProposalExpectation = {
  slot: number;
  /** The validator's index (the proposer duty's). */
  proposerIndex: number;
  /** Beacon root of the block the proposal builds on (the operator's own head for the slot). */
  parentRoot: string;
  /** That block's execution payload `block_hash`: the payload's parent. */
  parentHash: string;
  /** `genesis_time + slot * SECONDS_PER_SLOT` (consensus-specs `compute_timestamp_at_slot`). */
  timestamp: number;
  /** The validator's Rocket Pool fee recipient. */
  feeRecipient: string;
  /** Below this value (wei) the builder block is refused and a local block proposed. */
  minValueWei: bigint;
  /** Gas limit the registration asked for; checked when given. */
  gasLimit?: number;
  /** Trust the relay's check of a payment transaction when the builder is the coinbase. */
  allowBuilderPayment?: boolean;
};

const refuse = (code: string, reason: string): Verdict => ({ ok: false, code, reason });

/**
 * The builder's bid as the beacon node reports it (header + value), before a block exists:
 * fee recipient, parent hash, timestamp, value ≥ minimum, gas limit when configured.
 *
 * @example
 * const v = checkBid({ header, valueWei }, want);
 * if (!v.ok) log.info(`builder bid refused, proposing locally: ${v.reason}`);
 */
export function checkBid(
  bid: { header: HeaderFields; valueWei: bigint },
  want: ProposalExpectation,
): Verdict {
  const h = bid.header;
  const fr = checkHeaderFeeRecipient(h, want);
  if (!fr.ok) return fr;
  if (toHex(h.parentHash) !== want.parentHash.toLowerCase())
    return refuse(
      "parent-hash",
      `bid builds on execution block ${toHex(h.parentHash)}, not the parent ${want.parentHash}`,
    );
  if (h.timestamp !== want.timestamp)
    return refuse(
      "timestamp",
      `bid payload timestamp ${h.timestamp} is not slot ${want.slot}'s ${want.timestamp}`,
    );
  if (want.gasLimit !== undefined && h.gasLimit !== want.gasLimit)
    return refuse(
      "gas-limit",
      `bid payload gas limit ${h.gasLimit} is not the registered ${want.gasLimit}`,
    );
  if (bid.valueWei < want.minValueWei)
    return refuse(
      "value",
      `bid value ${bid.valueWei} wei is below the minimum ${want.minValueWei} wei: propose a local block`,
    );
  return fr;
}

function checkHeaderFeeRecipient(h: HeaderFields, want: ProposalExpectation): Verdict {
  const got = toHex(h.feeRecipient);
  const expected = parseAddress(want.feeRecipient, { field: "feeRecipient" }).toLowerCase();
  if (got === expected) return { ok: true };
  if (want.allowBuilderPayment)
    return {
      ok: true,
      note: `builder ${got} is the fee recipient: relies on the relay's check of its payment transaction to ${expected}`,
    };
  return refuse(
    "fee-recipient",
    `payload fee recipient ${got} is not the Rocket Pool recipient ${expected}; a payment transaction cannot be checked in a blinded header`,
  );
}

/**
 * The blinded block a leader proposes in consensus: slot, proposer, parent root and — from its
 * execution payload header — fee recipient, parent hash, timestamp; plus the value the beacon
 * node reported for it (≥ minimum). Every operator refuses to sign on any mismatch.
 *
 * @example
 * const v = checkBlindedBlock(block, { valueWei: produced.executionPayloadValue }, want);
 */
export function checkBlindedBlock(
  block: BlindedBlockFields,
  reported: { valueWei: bigint },
  want: ProposalExpectation,
): Verdict {
  if (block.slot !== want.slot)
    return refuse("slot", `blinded block is for slot ${block.slot}, the duty for ${want.slot}`);
  if (block.proposerIndex !== want.proposerIndex)
    return refuse(
      "proposer",
      `blinded block's proposer is ${block.proposerIndex}, the duty's validator ${want.proposerIndex}`,
    );
  if (toHex(block.parentRoot) !== want.parentRoot.toLowerCase())
    return refuse(
      "parent-root",
      `blinded block builds on ${toHex(block.parentRoot)}, not the head ${want.parentRoot}`,
    );
  return checkBid({ header: block.body.executionPayloadHeader, valueWei: reported.valueWei }, want);
}

/**
 * The fields of a full execution payload {@link checkPayment} reads.
 *
 * @example
 * const p: PayloadFields = ssz.capella.ExecutionPayload.fromJson(relayAnswer.data);
 */
export type PayloadFields = { feeRecipient: Uint8Array; transactions: Uint8Array[] };

/**
 * Did a full payload (the relay's answer to a signed blinded block, or a block as it landed)
 * pay `recipient` at least `minValueWei`? Case 1: it is the payload's fee recipient. Case 2:
 * the last transaction is a plain transfer (no call data) to `recipient` of ≥ `minValueWei`
 * (legacy, EIP-2930, EIP-1559 or EIP-4844/7702 typed envelopes, decoded by viem). A payment by
 * contract call (e.g. through a builder's payout contract) is not recognised: refused.
 *
 * @example
 * const v = checkPayment(payload, "0xd4…", bidValue);
 */
export function checkPayment(
  payload: PayloadFields,
  recipient: string,
  minValueWei: bigint,
): Verdict {
  const want = parseAddress(recipient, { field: "feeRecipient" }).toLowerCase();
  const coinbase = toHex(payload.feeRecipient);
  if (coinbase === want) return { ok: true, note: "the payload's fee recipient" };
  const last = payload.transactions.at(-1);
  if (!last)
    return refuse(
      "no-payment",
      `fee recipient ${coinbase} is not ${want} and the block has no transaction`,
    );
  let tx: ReturnType<typeof parseTransaction>;
  try {
    tx = parseTransaction(toHex(last) as `0x${string}`);
  } catch (err) {
    return refuse(
      "no-payment",
      `fee recipient ${coinbase} is not ${want} and the last transaction does not decode (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`,
    );
  }
  const to = tx.to?.toLowerCase();
  const value = tx.value ?? 0n;
  if (to !== want)
    return refuse(
      "no-payment",
      `fee recipient ${coinbase} is not ${want} and the last transaction goes to ${to ?? "(contract creation)"}`,
    );
  if (tx.data && tx.data !== "0x")
    return refuse("no-payment", "the last transaction to the recipient is a call, not a transfer");
  if (value < minValueWei)
    return refuse(
      "payment-value",
      `the payment transaction to ${want} carries ${value} wei, less than the bid's ${minValueWei}`,
    );
  return { ok: true, note: `payment transaction of ${value} wei to ${want}` };
}

/**
 * Parse a wei amount from config or a flag ("0", "1000000000000000", "0.01 ether" or
 * "5 gwei"); an InputError names the flag.
 *
 * @example
 * parseWei("0.05 ether", "--builder-min-value") // 50000000000000000n
 */
export function parseWei(text: string, flag: string): bigint {
  const m = /^\s*(\d+)(?:\.(\d+))?\s*(wei|gwei|ether|eth)?\s*$/i.exec(text);
  const unit = (m?.[3] ?? "wei").toLowerCase();
  const decimals = unit === "wei" ? 0 : unit === "gwei" ? 9 : 18;
  const frac = m?.[2] ?? "";
  if (!m || frac.length > decimals) {
    throw new InputError(`Not an amount of wei: ${JSON.stringify(text)}`, {
      field: flag,
      metaMessages: [
        'Give an integer number of wei, or a decimal with a unit: "0.01 ether", "5 gwei".',
      ],
    });
  }
  return BigInt(m[1] as string) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || 0);
}
