/**
 * The test relay's execution payload: the next block on the head, as a builder would send it.
 *
 * Sources: consensus-specs bellatrix/beacon-chain.md `process_execution_payload` (what the
 * beacon chain checks: parent hash = the head payload's block hash, prev_randao =
 * `get_randao_mix(state, current_epoch)`, timestamp = `compute_timestamp_at_slot`), capella
 * `process_withdrawals` (the payload's withdrawals = `get_expected_withdrawals`); Ethereum
 * yellow paper §4.3 / EIP-1559 / EIP-4895 (block header RLP, `block_hash` = keccak256 of it) and
 * EIP-2718 (typed transaction and receipt envelopes, keyed by rlp(index) in the trie).
 *
 * - prev_randao: the randao mix after the head block = `head.payload.prev_randao XOR
 *   sha256(head.randao_reveal)` (process_execution_payload runs before process_randao, so the
 *   head payload carries the mix BEFORE the head's reveal); an epoch boundary copies the mix
 *   forward (process_randao_mixes_reset), so this holds for any later slot.
 * - Withdrawals: the relay bids only when none are due — no validator has 0x01/0x02 withdrawal
 *   credentials (the interop devnet's are all 0x00 BLS credentials) —, else it answers "no bid".
 * - Transactions: none, or in "payment-tx" mode one signed EIP-1559 transfer of the bid value
 *   from the builder's account to the registered fee recipient (the builder is then the block's
 *   fee recipient: builder-specs' second payment style). Roots are real Merkle-Patricia roots;
 *   the state root is not (no EVM here: Lodestar's mock execution engine checks only that the
 *   parent hash is a block it knows, lib/execution/engine/mock.js `notifyNewPayload`).
 */
import { createHash } from "node:crypto";
import { type ForkName, isForkPostElectra } from "@lodestar/params";
import { type ExecutionPayload, ssz, sszTypesFor } from "@lodestar/types";
import { keccak256, toRlp } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { fromHex, toHex } from "../../util/hex.js";
import type { HeadForBuilding, RelayChain } from "./chain.js";

// biome-ignore lint/suspicious/noExplicitAny: SSZ values of whichever fork the slot is in.
type SszValue = any;
/** One SSZ type, loosely typed (see {@link forkTypes}). */
type SszType = {
  fromJson(j: unknown): SszValue;
  toJson(v: SszValue): unknown;
  hashTreeRoot(v: SszValue): Uint8Array;
  defaultValue(): SszValue;
  fields: Record<string, unknown>;
};

/**
 * The SSZ types the relay uses, by name (Bellatrix on: the builder types exist from Bellatrix;
 * `Withdrawals` from Capella and `ExecutionPayloadAndBlobsBundle` from Deneb may be missing).
 *
 * @example
 * const t: ForkTypes = forkTypes("capella");
 */
export type ForkTypes = Record<
  | "BuilderBid"
  | "SignedBuilderBid"
  | "BlindedBeaconBlock"
  | "SignedBlindedBeaconBlock"
  | "SignedBeaconBlock"
  | "ExecutionPayload"
  | "ExecutionPayloadHeader",
  SszType
> &
  Partial<Record<"Withdrawals" | "ExecutionPayloadAndBlobsBundle", SszType>>;

/**
 * The SSZ types of `fork`, loosely typed (the relay serves every fork from Bellatrix on with one
 * code path; the fork is the chain config's for the slot).
 *
 * @example
 * forkTypes("capella").SignedBlindedBeaconBlock.fromJson(body)
 */
export function forkTypes(fork: string): ForkTypes {
  return sszTypesFor(fork as ForkName) as never;
}

/**
 * keccak256(rlp("")): the root of an empty Merkle-Patricia trie (no transactions, withdrawals).
 *
 * @example
 * payload.receiptsRoot = fromHex(EMPTY_TRIE_ROOT);
 */
export const EMPTY_TRIE_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";
/** keccak256(rlp([])): the ommers hash of every post-merge block (EIP-3675). */
const EMPTY_OMMERS = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
const GAS_PER_TRANSFER = 21_000;

type Hex = `0x${string}`;
/** util/hex toHex, typed as viem's `Hex` for its RLP/keccak helpers (a cast, not a second encoder). */
const asHex = (b: Uint8Array): Hex => toHex(b) as Hex;
const qty = (n: number | bigint): Hex => (BigInt(n) === 0n ? "0x" : `0x${BigInt(n).toString(16)}`);

/** Merkle-Patricia root of a list keyed by rlp(index), for 0 or 1 items (all the relay needs). */
function listRoot(items: Uint8Array[]): Hex {
  if (items.length === 0) return EMPTY_TRIE_ROOT;
  if (items.length > 1) throw new Error("test relay: at most one transaction per block");
  // One leaf: key rlp(0) = 0x80, nibbles [8, 0], hex-prefix (even, leaf) = 0x20 ‖ 0x80.
  return keccak256(toRlp(["0x2080", asHex(items[0] as Uint8Array)]));
}

/**
 * The builder's bid payload for `slot` on `head`, paying `feeRecipient` `valueWei`.
 *
 * @example
 * const payload = await buildPayload(chain, head, { slot, feeRecipient, gasLimit, valueWei, mode: "fee-recipient" });
 */
export async function buildPayload(
  chain: RelayChain,
  head: HeadForBuilding,
  o: {
    slot: number;
    feeRecipient: string;
    gasLimit: number;
    valueWei: bigint;
    mode: "fee-recipient" | "payment-tx";
    builderKey: Hex;
  },
): Promise<{ fork: string; payload: ExecutionPayload }> {
  const fork = chain.config.getForkName(o.slot);
  const p = forkTypes(fork).ExecutionPayload?.defaultValue() as ExecutionPayload &
    Record<string, unknown>;
  const mix = fromHex(head.payload.prevRandao, { length: 32 });
  const revealHash = createHash("sha256")
    .update(fromHex(head.randaoReveal, { length: 96 }))
    .digest();
  const prevRandao = mix.map((b, i) => b ^ (revealHash[i] as number));
  const account = privateKeyToAccount(o.builderKey);
  const baseFee = head.payload.baseFeePerGas;
  const txs: Uint8Array[] = [];
  if (o.mode === "payment-tx") {
    const signed = await account.signTransaction({
      type: "eip1559",
      chainId: chain.depositChainId,
      nonce: head.payload.blockNumber,
      to: o.feeRecipient as Hex,
      value: o.valueWei,
      gas: BigInt(GAS_PER_TRANSFER),
      maxFeePerGas: baseFee + 1n,
      maxPriorityFeePerGas: 1n,
    });
    txs.push(fromHex(signed));
  }
  p.parentHash = fromHex(head.payload.blockHash, { length: 32 });
  p.feeRecipient = fromHex(o.mode === "payment-tx" ? account.address : o.feeRecipient, {
    length: 20,
  });
  p.prevRandao = prevRandao;
  p.blockNumber = head.payload.blockNumber + 1;
  p.gasLimit = o.gasLimit;
  p.gasUsed = txs.length * GAS_PER_TRANSFER;
  p.timestamp = chain.genesisTime + o.slot * chain.secondsPerSlot;
  p.extraData = new TextEncoder().encode("rpdvt test relay");
  p.baseFeePerGas = baseFee;
  p.transactions = txs;
  if ("withdrawals" in p) p.withdrawals = [];
  // Receipts: one successful EIP-1559 transfer, no logs (EIP-2718 typed receipt 0x02 ‖ rlp).
  const receipts = txs.map((_, i) =>
    fromHex(
      `0x02${toRlp(["0x01", qty(GAS_PER_TRANSFER * (i + 1)), asHex(new Uint8Array(256)), []]).slice(2)}`,
    ),
  );
  p.receiptsRoot = fromHex(listRoot(receipts));
  p.stateRoot = fromHex(keccak256(toRlp([asHex(p.parentHash), qty(p.blockNumber)])));
  p.blockHash = fromHex(blockHash(fork, p, head.root));
  return { fork, payload: p };
}

/**
 * keccak256(rlp(header)) of a payload (Paris fields, + withdrawals root from Capella, + blob gas
 * and parent beacon root from Deneb, + requests hash from Electra with no requests).
 *
 * @example
 * const hash = blockHash("capella", payload, parentBeaconRoot);
 */
export function blockHash(
  fork: string,
  p: ExecutionPayload & Record<string, unknown>,
  parentRoot: string,
): Hex {
  const fields: (Hex | Hex[])[] = [
    asHex(p.parentHash),
    EMPTY_OMMERS,
    asHex(p.feeRecipient),
    asHex(p.stateRoot),
    listRoot(p.transactions),
    asHex(p.receiptsRoot),
    asHex(p.logsBloom),
    "0x",
    qty(p.blockNumber),
    qty(p.gasLimit),
    qty(p.gasUsed),
    qty(p.timestamp),
    asHex(p.extraData),
    asHex(p.prevRandao),
    "0x0000000000000000",
    qty(p.baseFeePerGas),
  ];
  if ("withdrawals" in p) fields.push(EMPTY_TRIE_ROOT);
  if ("blobGasUsed" in p) fields.push(qty(p.blobGasUsed as number), qty(p.excessBlobGas as number));
  if ("blobGasUsed" in p) fields.push(parentRoot as Hex);
  // EIP-7685 requests hash of no requests: sha256 of the empty string.
  if (isForkPostElectra(fork as ForkName))
    fields.push("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  return keccak256(toRlp(fields));
}

/**
 * The SSZ header of a payload (what the bid and the blinded block carry).
 *
 * @example
 * const header = payloadHeader("capella", payload);
 */
export function payloadHeader(fork: string, payload: ExecutionPayload): Record<string, unknown> {
  const t = forkTypes(fork);
  const header = {
    ...payload,
    transactionsRoot: ssz.bellatrix.Transactions.hashTreeRoot(payload.transactions),
  } as Record<string, unknown>;
  delete header.transactions;
  if ("withdrawals" in header) {
    header.withdrawalsRoot = t.Withdrawals?.hashTreeRoot(
      (payload as ExecutionPayload & { withdrawals: unknown }).withdrawals,
    );
    delete header.withdrawals;
  }
  return header;
}
