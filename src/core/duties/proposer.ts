/**
 * The proposer duty (consensus-specs phase0 validator.md "Block proposal"), in two phases:
 * 1. `randao`: threshold-sign the RANDAO reveal of the epoch (no consensus: the value is
 *    deterministic; not slashable);
 * 2. `proposer`: with the aggregated reveal fetch the beacon node's block → consensus → sign
 *    (slashing-protected: EIP-3076 block slot check-and-insert) → exchange → aggregate → publish.
 * The proposer definitions of phase 1 are kept for phase 2 (per slot and validator).
 *
 * ## The builder path (MEV-Boost, issue 15; builder-specs bellatrix/validator.md)
 * With `builder` options the fetch is produceBlockV3 with `boostFactor` (omitted: the beacon
 * node's choice); a blinded answer is a `blinded_block` consensus value. Every operator checks it
 * before it PREPAREs ({@link checkBlinded}, src/builder/proposal.ts checkBlindedBlock): slot =
 * the duty's, proposer = the duty's validator, the payload header's fee_recipient = the
 * validator's Rocket Pool recipient (cluster definition), timestamp = genesis + slot × seconds,
 * value ≥ `minBidWei`, RANDAO reveal valid, slashing protection would accept. The parent: an
 * operator compares the block's parent_root and the header's parent_hash with those of ITS OWN
 * fetch for the slot when it has one (its beacon node's head); without one (its fetch failed or
 * is still in flight) the parent is left to the beacon node, which refuses a block on an unknown
 * parent at publication. A refused value gets no honest signature; QBFT rotates the leader.
 *
 * Signing: hash_tree_root(BlindedBeaconBlock) == hash_tree_root(BeaconBlock) — the body's
 * execution_payload_header has the payload's root in place of the payload (SSZ merkleization,
 * builder-specs bellatrix/builder.md "Signing"); the signing root of a blinded block is the full
 * block's, and slashing protection records the slot exactly like a full block's: a blinded and a
 * full block at one slot are a double proposal, the second is refused (EIP-3076).
 *
 * Fallback: an operator proposes its blinded block only if it passes its own check; when the
 * builder fetch fails, is refused, or has not answered by the cut-off — one third of the slot
 * after its start (relays answer getHeader within ~1 s, mev-boost's default timeout is 950 ms;
 * the block must be gossiped by ~4 s for attesters to see it) — it fetches a local block
 * (builder_boost_factor=0) and proposes that. The consensus instance of the slot decides one
 * value, so one block (blinded or local) is signed.
 */
import { DOMAIN_BEACON_PROPOSER, isForkPostBellatrix } from "@lodestar/params";
import { sszTypesFor } from "@lodestar/types";
import { checkBlindedBlock } from "../../builder/proposal.js";
import { verifySignature } from "../../crypto/bls.js";
import { fromHex, toHex } from "../../util/hex.js";
import type { ChainInfo, ProducedBlindedBlock, ProposerDuty } from "../beacon.js";
import { checkFullBlock } from "../block-validity.js";
import { computeSigningRoot, type SigningRoots } from "../domain.js";
import type { DutyContext, DutyHandler, ValidityContext } from "../duty-handler.js";
import type { FetchResult } from "../interfaces.js";
import {
  type DutyDefinition,
  DutyType,
  epochOf,
  type PubkeyHex,
  type UnsignedData,
} from "../types.js";

/**
 * Builder (MEV-Boost) options of the proposer handler; absent = local blocks only.
 *
 * @example
 * const b: ProposerBuilderOptions = { boostFactor: undefined, minBidWei: 0n, feeRecipients, chain };
 */
export type ProposerBuilderOptions = {
  /** produceBlockV3 builder_boost_factor (percent); undefined = the beacon node's choice. */
  boostFactor?: bigint | undefined;
  /** A blinded block reported below this value (wei) is refused (a local block instead). */
  minBidWei: bigint;
  /** The cluster definition's fee recipient per validator. */
  feeRecipients: ReadonlyMap<PubkeyHex, string>;
  /** The chain (genesis time, slot timing: the payload timestamp an operator checks). */
  chain: Pick<ChainInfo, "genesisTime" | "secondsPerSlot" | "slotsPerEpoch">;
  /** A builder proposal this operator did not propose (why), for logs and counters. */
  onFallback?: ((slot: number, pubkey: PubkeyHex, reason: string) => void) | undefined;
};

/**
 * Options of {@link proposerHandlers}.
 *
 * @example
 * proposerHandlers({ builder: { minBidWei: 0n, feeRecipients, chain } });
 */
export type ProposerOptions = { builder?: ProposerBuilderOptions | undefined };

/** What this operator's own fetch saw for (slot, validator): the parent to compare with. */
type OwnParent = { parentRoot: string; parentHash: string | undefined };

/**
 * The signing root of a blinded block: the full block's (module header, "Signing").
 *
 * @example
 * const root = blindedSigningRoot(roots, 32, produced);
 */
export function blindedSigningRoot(
  roots: SigningRoots,
  slotsPerEpoch: number,
  p: ProducedBlindedBlock,
): Uint8Array {
  const types = sszTypesFor(p.fork) as unknown as Record<
    "BlindedBeaconBlock",
    { hashTreeRoot(b: unknown): Uint8Array }
  >;
  const type = types.BlindedBeaconBlock;
  const domain = roots.domains.at(DOMAIN_BEACON_PROPOSER, epochOf(p.block.slot, slotsPerEpoch));
  return computeSigningRoot(type.hashTreeRoot(p.block), domain);
}

/**
 * What {@link checkBlinded} reads: the consensus {@link ValidityContext}, or for an operator's
 * check of its own fetch the chain's timing and the signing roots (no protection view: the
 * signer checks).
 *
 * @example
 * const c: BlindedCheckContext = { chain, roots };
 */
export type BlindedCheckContext = {
  chain: Pick<ChainInfo, "genesisTime" | "secondsPerSlot" | "slotsPerEpoch">;
  roots: SigningRoots;
  view?: ValidityContext["view"] | undefined;
  feeRecipients?: ValidityContext["feeRecipients"];
};

/**
 * The blinded-block rule every operator runs (module header), "true" or a refusal reason.
 *
 * @example
 * checkBlinded(vctx, b, 130, pk, produced, local, own) // true | "fee-recipient" | …
 */
export function checkBlinded(
  v: BlindedCheckContext,
  b: ProposerBuilderOptions,
  slot: number,
  pk: PubkeyHex,
  p: ProducedBlindedBlock,
  local: DutyDefinition | undefined,
  own: OwnParent | undefined,
): string | true {
  const block = p.block;
  if (!isForkPostBellatrix(p.fork)) return "fork";
  const feeRecipient = b.feeRecipients.get(pk) ?? v.feeRecipients?.get(pk);
  if (!feeRecipient) return "fee-recipient";
  const header = block.body.executionPayloadHeader;
  const verdict = checkBlindedBlock(
    block,
    { valueWei: p.valueWei ?? 0n },
    {
      slot,
      proposerIndex: local?.kind === "proposer" ? local.duty.validatorIndex : block.proposerIndex,
      parentRoot: own?.parentRoot ?? toHex(block.parentRoot),
      parentHash: own?.parentHash ?? toHex(header.parentHash),
      timestamp: v.chain.genesisTime + slot * v.chain.secondsPerSlot,
      feeRecipient,
      minValueWei: b.minBidWei,
    },
  );
  if (!verdict.ok) return verdict.code;
  const epoch = epochOf(slot, v.chain.slotsPerEpoch);
  if (!verifySignature(fromHex(pk), v.roots.randao(epoch), block.body.randaoReveal)) {
    return "randao";
  }
  const root = blindedSigningRoot(v.roots, v.chain.slotsPerEpoch, p);
  if (v.view && !v.view.blockOk(pk, BigInt(slot), root)) {
    return "slashing-protection";
  }
  return true;
}

/** The parent of a fetched proposal (full or blinded). */
function parentOf(u: UnsignedData | undefined): OwnParent | undefined {
  if (u?.kind !== "block" && u?.kind !== "blinded_block") return undefined;
  const body = u.block.block.body as {
    executionPayload?: { parentHash: Uint8Array };
    executionPayloadHeader?: { parentHash: Uint8Array };
  };
  const hash = (body.executionPayloadHeader ?? body.executionPayload)?.parentHash;
  return { parentRoot: toHex(u.block.block.parentRoot), parentHash: hash && toHex(hash) };
}

/** Resolve `p` or undefined after `ms` (the builder cut-off). */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), Math.max(0, ms));
    (t as { unref?: () => void }).unref?.();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

/**
 * The builder proposal when it passes this operator's own check, else the local block (module
 * header, "Fallback"); records the parent this operator's beacon node built on.
 */
async function fetchProposal(
  ctx: DutyContext,
  builder: ProposerBuilderOptions | undefined,
  definitions: ReadonlyMap<string, { slot: number; def: DutyDefinition }>,
  own: Map<string, { slot: number; parent: OwnParent }>,
  d: ProposerDuty,
  randao: Uint8Array,
): Promise<FetchResult> {
  const pk = toHex(d.pubkey);
  const local = () => ctx.fetcher.block(d, randao, ctx.graffiti);
  if (!builder || builder.boostFactor === 0n) return local();
  const cutoff = ctx.slotStartMs(d.slot) + ctx.slotMs / 3 - ctx.now();
  const request = { builderBoostFactor: builder.boostFactor, blinded: true };
  const got = await within(ctx.fetcher.block(d, randao, ctx.graffiti, request), cutoff);
  const u = got?.set.get(pk);
  const parent = parentOf(u);
  if (parent) own.set(`${d.slot}/${pk}`, { slot: d.slot, parent });
  if (u?.kind === "block") return got as FetchResult; // the beacon node chose its local block
  let why = got ? (got.failed[0]?.error ?? "no builder block") : "builder cut-off passed";
  if (u?.kind === "blinded_block") {
    const def = definitions.get(`${d.slot}/${pk}`)?.def;
    const ok = checkBlinded(
      { chain: builder.chain, roots: ctx.roots },
      builder,
      d.slot,
      pk,
      u.block,
      def,
      {
        parentRoot: toHex(u.block.block.parentRoot),
        parentHash: undefined,
      },
    );
    if (ok === true) return got as FetchResult;
    why = `own builder block refused: ${ok}`;
  }
  builder.onFallback?.(d.slot, pk, why);
  return local();
}

/** What an operator signs for a decided proposal (a blinded block: its full block's root). */
function proposerSignRequest(ctx: DutyContext, pubkey: PubkeyHex, u: UnsignedData) {
  if (u.kind === "blinded_block") {
    const slot = BigInt(u.block.block.slot);
    const signingRoot = blindedSigningRoot(ctx.roots, ctx.slotsPerEpoch, u.block);
    return { pubkey, signingRoot, protect: { kind: "block" as const, slot } };
  }
  if (u.kind !== "block") return undefined;
  return {
    pubkey,
    signingRoot: ctx.roots.block(u.block.fork, u.block.block),
    protect: { kind: "block" as const, slot: BigInt(u.block.block.slot) },
  };
}

/**
 * The proposer and randao handlers (sharing the slot's proposer definitions).
 *
 * @example
 * const [proposer, randao] = proposerHandlers();
 */
export function proposerHandlers(o: ProposerOptions = {}): DutyHandler[] {
  const definitions = new Map<string, { slot: number; def: DutyDefinition }>(); // `${slot}/${pk}`
  const own = new Map<string, { slot: number; parent: OwnParent }>(); // `${slot}/${pk}`
  const builder = o.builder;

  const proposal = (ctx: DutyContext, d: ProposerDuty, randao: Uint8Array) =>
    fetchProposal(ctx, builder, definitions, own, d, randao);

  const fetchBlock = (ctx: DutyContext, slot: number, pk: PubkeyHex, randao: Uint8Array): void => {
    const def = definitions.get(`${slot}/${pk}`)?.def;
    if (def?.kind !== "proposer") return;
    const duty = { slot, type: DutyType.Proposer };
    ctx.propose(duty, proposal(ctx, def.duty, randao), pk);
  };

  const proposer: DutyHandler = {
    type: DutyType.Proposer,
    broadcastOnly: true,
    decides: "block",
    alsoDecides: ["blinded_block"],
    validate(vctx, slot, pk, u, local) {
      if (u.kind === "block") return checkFullBlock(vctx, slot, pk, u.block, local);
      if (u.kind !== "blinded_block" || !builder) return "kind";
      return checkBlinded(
        vctx,
        builder,
        slot,
        pk,
        u.block,
        local,
        own.get(`${slot}/${pk}`)?.parent,
      );
    },
    onDuty(ctx, duty, defs) {
      const randaoDuty = { slot: duty.slot, type: DutyType.Randao };
      const pubkeys = [...defs.keys()];
      ctx.start(duty, pubkeys);
      ctx.track(randaoDuty, pubkeys);
      const root = ctx.roots.randao(epochOf(duty.slot, ctx.slotsPerEpoch));
      for (const [pk, def] of defs) {
        definitions.set(`${duty.slot}/${pk}`, { slot: duty.slot, def });
        // Aggregated before the duty started (peers ahead): randao's onAggregated found no definition.
        const done = ctx.aggregated(randaoDuty, pk);
        if (done) fetchBlock(ctx, duty.slot, pk, done);
      }
      ctx.sign(
        randaoDuty,
        pubkeys.map((pk) => [pk, root]),
      );
    },
    signRequest: proposerSignRequest,
    onAggregated(ctx, duty, pubkey, signature) {
      const u = ctx.decided(duty, pubkey);
      if (u?.kind === "block") ctx.submit(duty, pubkey, ctx.broadcaster.block(u.block, signature));
      if (u?.kind === "blinded_block") {
        ctx.submit(duty, pubkey, ctx.broadcaster.blindedBlock(u.block, signature));
      }
    },
    prune(minSlot) {
      for (const [k, v] of definitions) if (v.slot < minSlot) definitions.delete(k);
      for (const [k, v] of own) if (v.slot < minSlot) own.delete(k);
    },
  };

  const randao: DutyHandler = {
    type: DutyType.Randao,
    broadcastOnly: false,
    // Started by the proposer handler (the scheduler triggers the proposer duty only).
    onAggregated(ctx, duty, pubkey, signature) {
      ctx.used(duty, pubkey);
      fetchBlock(ctx, duty.slot, pubkey, signature);
    },
  };

  return [proposer, randao];
}
