/**
 * Beacon API "validator" group, block production (ethereum/beacon-APIs apis/validator/block.v3.yaml,
 * block.v2.yaml, blinded_block.yaml): GET /eth/v3/validator/blocks/{slot} with
 * builder_boost_factor=0 (always the local, non-blinded payload), falling back per node to GET
 * /eth/v2/validator/blocks/{slot} where v3 is missing (Lodestar 1.5). The block is read with the
 * SSZ type of the fork named by `version` (Deneb+: BlockContents with kzg proofs and blobs), after
 * checking this process loaded the beacon node's preset.
 *
 * The builder path (MEV-Boost, {@link produceProposal}): v3 with the caller's
 * builder_boost_factor (omitted = the beacon node's choice) accepts an `execution_payload_blinded:
 * true` answer, read as the fork's BlindedBeaconBlock with its `execution_payload_value`; where v3
 * is missing, `blinded: true` asks GET /eth/v1/validator/blinded_blocks/{slot} (Lodestar 1.5.1's
 * builder flow: it calls its builder's getHeader; "Execution builder disabled" until its fault
 * inspection window passed — the caller then proposes a local block).
 */
import { type ForkName, isForkPostBellatrix } from "@lodestar/params";
import type { BeaconBlock } from "@lodestar/types";
import type { z } from "zod";
import type { ProducedBlindedBlock, ProposalRequest } from "../../core/beacon.js";
import { InputError } from "../../errors.js";
import { toHex } from "../../util/hex.js";
import {
  type BeaconContext,
  badResponse,
  fromJsonAnswer,
  parseAnswer,
  SLOT_FRACTION,
  timeoutFor,
  withEndpointFallback,
} from "../context.js";
import { FORK_NAMES, isPostDeneb, sszType } from "../fork.js";
import type { HttpRequest } from "../http.js";
import * as J from "../json.js";
import type { ProducedBeaconBlock } from "../types.js";
import { assertPreset } from "./config.js";

type BlockParts = { block: BeaconBlock; kzgProofs?: Uint8Array[]; blobs?: Uint8Array[] };

/** The block (and Deneb+ blob bundle) of a production answer. */
function blockParts(
  ctx: BeaconContext,
  fork: ForkName,
  data: unknown,
  req: HttpRequest,
  url: string,
): BlockParts {
  if (!isPostDeneb(fork)) {
    return {
      block: fromJsonAnswer(ctx, sszType(fork, "BeaconBlock"), data, req, url) as BeaconBlock,
    };
  }
  return fromJsonAnswer(
    ctx,
    sszType(fork, "BlockContents"),
    data,
    req,
    url,
  ) as Required<BlockParts>;
}

/**
 * Read a production answer into a {@link ProducedBeaconBlock}: known fork, not blinded, the slot
 * asked for.
 *
 * @example
 * parseProducedBlock(ctx, body, "v3", 33, req, res.url).blockRoot
 */
export function parseProducedBlock(
  ctx: BeaconContext,
  body: z.infer<typeof J.versionedResponse>,
  endpoint: "v3" | "v2",
  slot: number,
  req: HttpRequest,
  url: string,
): ProducedBeaconBlock {
  if (!FORK_NAMES.has(body.version)) {
    throw badResponse(ctx, req, url, `unknown fork "${body.version}"`);
  }
  const fork = body.version as ForkName;
  if (body.execution_payload_blinded === true) {
    const why = "got a blinded block although builder_boost_factor=0 asked for a local one";
    throw badResponse(ctx, req, url, why);
  }
  const { block, kzgProofs, blobs } = blockParts(ctx, fork, body.data, req, url);
  if (block.slot !== slot) {
    throw badResponse(ctx, req, url, `asked for a block at slot ${slot}, got ${block.slot}`);
  }
  return {
    fork,
    block,
    kzgProofs,
    blobs,
    slot,
    blockRoot: sszType(fork, "BeaconBlock").hashTreeRoot(block),
    executionPayloadValue: body.execution_payload_value,
    consensusBlockValue: body.consensus_block_value,
    endpoint,
  };
}

/**
 * Produce an unsigned block for `slot` (v3, else v2), within half a slot.
 *
 * @example
 * const produced = await produceBlock(ctx, 33, randaoReveal, graffiti);
 */
export async function produceBlock(
  ctx: BeaconContext,
  slot: number,
  randaoReveal: Uint8Array,
  graffitiBytes?: Uint8Array,
): Promise<ProducedBeaconBlock> {
  await assertPreset(ctx);
  const graffiti = toHex(graffitiBytes ?? new Uint8Array(32));
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.produceBlock);
  const ask = async (endpoint: "v3" | "v2") => {
    const req: HttpRequest = {
      method: "GET",
      path: `/eth/${endpoint}/validator/blocks/${slot}`,
      // builder_boost_factor=0: always the local (non-blinded) payload (v3 only).
      query: {
        randao_reveal: toHex(randaoReveal),
        graffiti,
        builder_boost_factor: endpoint === "v3" ? 0 : undefined,
      },
      timeoutMs,
    };
    const res = await ctx.http.request(req);
    const body = parseAnswer(ctx, J.versionedResponse, res.body, req, res.url);
    return parseProducedBlock(ctx, body, endpoint, slot, req, res.url);
  };
  return withEndpointFallback(
    ctx,
    "GET v3 blocks",
    () => ask("v3"),
    () => ask("v2"),
  );
}

/**
 * A blinded block as read from the beacon node (slot checked, root computed).
 *
 * @example
 * const b: ProducedBlindedBeaconBlock = await produceBlindedBlock(ctx, 33, randao);
 */
export type ProducedBlindedBeaconBlock = ProducedBlindedBlock & {
  slot: number;
  /** hash_tree_root(blinded block) = the full block's root. */
  blockRoot: Uint8Array;
  endpoint: "v3" | "v1-blinded";
};

/** Read a blinded answer's block: a Bellatrix+ fork, the slot asked for. */
function parseBlinded(
  ctx: BeaconContext,
  body: z.infer<typeof J.versionedResponse>,
  endpoint: "v3" | "v1-blinded",
  slot: number,
  req: HttpRequest,
  url: string,
): ProducedBlindedBeaconBlock {
  const fork = body.version as ForkName;
  if (!FORK_NAMES.has(fork) || !isForkPostBellatrix(fork)) {
    throw badResponse(ctx, req, url, `a blinded block of fork "${body.version}" (Bellatrix+ only)`);
  }
  const type = sszType(fork, "BlindedBeaconBlock");
  const block = fromJsonAnswer(ctx, type, body.data, req, url) as ProducedBlindedBlock["block"];
  if (block.slot !== slot) {
    throw badResponse(ctx, req, url, `asked for a block at slot ${slot}, got ${block.slot}`);
  }
  return {
    fork,
    block,
    blinded: true,
    valueWei: body.execution_payload_value,
    slot,
    blockRoot: type.hashTreeRoot(block),
    endpoint,
  };
}

/**
 * Produce the proposal for `slot` with the builder path (module header): v3 with
 * `request.builderBoostFactor` (full or blinded answer); where v3 is missing, the blinded v1
 * endpoint when `request.blinded`, else the local v2 block. Within half a slot.
 *
 * @example
 * const p = await produceProposal(ctx, 33, randao, graffiti, { builderBoostFactor: 100n });
 * if ("blinded" in p) console.log(p.valueWei);
 */
export async function produceProposal(
  ctx: BeaconContext,
  slot: number,
  randaoReveal: Uint8Array,
  graffitiBytes: Uint8Array | undefined,
  request: ProposalRequest,
): Promise<ProducedBeaconBlock | ProducedBlindedBeaconBlock> {
  await assertPreset(ctx);
  const graffiti = toHex(graffitiBytes ?? new Uint8Array(32));
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.produceBlock);
  const factor = request.builderBoostFactor;
  if (factor !== undefined && factor < 0n) {
    throw new InputError(`builder_boost_factor must be ≥ 0, got ${factor}`, {
      field: "builderBoostFactor",
    });
  }
  const ask = async (path: string, endpoint: "v3" | "v2" | "v1-blinded") => {
    const req: HttpRequest = {
      method: "GET",
      path: `${path}/${slot}`,
      query: {
        randao_reveal: toHex(randaoReveal),
        graffiti,
        builder_boost_factor:
          endpoint === "v3" && factor !== undefined ? String(factor) : undefined,
      },
      timeoutMs,
    };
    const res = await ctx.http.request(req);
    const body = parseAnswer(ctx, J.versionedResponse, res.body, req, res.url);
    if (endpoint === "v1-blinded" || (endpoint === "v3" && body.execution_payload_blinded)) {
      if (factor === 0n) {
        throw badResponse(ctx, req, res.url, "a blinded block although builder_boost_factor=0");
      }
      return parseBlinded(ctx, body, endpoint, slot, req, res.url);
    }
    return parseProducedBlock(ctx, body, endpoint, slot, req, res.url);
  };
  return withEndpointFallback(
    ctx,
    "GET v3 blocks",
    () => ask("/eth/v3/validator/blocks", "v3"),
    () =>
      request.blinded && factor !== 0n
        ? ask("/eth/v1/validator/blinded_blocks", "v1-blinded")
        : ask("/eth/v2/validator/blocks", "v2"),
  );
}
