/**
 * The consensus rule of a full beacon block (consensus-specs phase0 beacon-chain.md
 * `process_block_header`, `process_randao`; bellatrix validator.md `prepare_execution_payload`
 * suggested_fee_recipient; EIP-3076 for the slashing-protection view), at the core root so the
 * consensus validity step (src/core/fetcher/validate.ts) and the proposer handler
 * (src/core/duties/proposer.ts) share one rule without importing each other.
 */
import { isForkPostBellatrix } from "@lodestar/params";
import { verifySignature } from "../crypto/bls.js";
import { fromHex, toHex } from "../util/hex.js";
import type { ProducedBlock } from "./beacon.js";
import type { ValidityContext } from "./duty-handler.js";
import { type DutyDefinition, epochOf, type PubkeyHex } from "./types.js";

/**
 * The consensus rule of a full block (validate.ts header, "block"): slot, proposer, Bellatrix+ fee
 * recipient, RANDAO reveal, slashing protection. The proposer handler applies it to the `block`
 * kind (src/core/duties/proposer.ts; its blinded rule is there).
 *
 * @example
 * const ok = checkFullBlock(vctx, 130, pk, { fork: "capella", block }, local); // true | "randao"
 */
export function checkFullBlock(
  v: ValidityContext,
  slot: number,
  pk: PubkeyHex,
  produced: ProducedBlock,
  local: DutyDefinition | undefined,
): string | true {
  const { block, fork } = produced;
  if (block.slot !== slot) return "slot-mismatch";
  if (local?.kind === "proposer" && local.duty.validatorIndex !== block.proposerIndex) {
    return "duty-mismatch";
  }
  if (isForkPostBellatrix(fork)) {
    const want = v.feeRecipients?.get(pk);
    const got = payloadFeeRecipient(block);
    if (!want || !got || toHex(got) !== want.toLowerCase()) return "fee-recipient";
  }
  const epoch = epochOf(slot, v.chain.slotsPerEpoch);
  if (!verifySignature(fromHex(pk), v.roots.randao(epoch), block.body.randaoReveal)) {
    return "randao";
  }
  if (!v.view.blockOk(pk, BigInt(slot), v.roots.block(fork, block))) {
    return "slashing-protection";
  }
  return true;
}

/**
 * The fee recipient of a block's execution payload (Bellatrix+ full blocks), or undefined when the
 * block has none (pre-Bellatrix, or a shape this node does not produce).
 *
 * @example
 * payloadFeeRecipient(produced.block) // Uint8Array(20)
 */
export function payloadFeeRecipient(block: object): Uint8Array | undefined {
  const body = (block as { body?: { executionPayload?: { feeRecipient?: unknown } } }).body;
  const fr = body?.executionPayload?.feeRecipient;
  return fr instanceof Uint8Array && fr.length === 20 ? fr : undefined;
}
