/**
 * Beacon API "beacon" group, blocks (ethereum/beacon-APIs apis/beacon/blocks/header.yaml,
 * block.v2.yaml, block_root.yaml, attestations.v2.yaml, blocks.v2.yaml): headers, signed blocks,
 * a block's proposer and attestations, block roots, and block publication.
 *
 * Fallbacks for old nodes (remembered per node): GET /eth/v2/beacon/blocks/{id}/attestations →
 * v1 where v2 is missing (Lodestar 1.5; post-Electra Lodestar answers v1 with 400 "Use
 * getBlockAttestationsV2", so v2 is asked first); POST /eth/v2/beacon/blocks → POST
 * /eth/v1/beacon/blocks; POST /eth/v2/beacon/blinded_blocks → POST /eth/v1/beacon/blinded_blocks
 * (Lodestar 1.5.1's builder flow).
 */
import type { ForkName } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import type { SignedProducedBlindedBlock, SignedProducedBlock } from "../../core/beacon.js";
import {
  type BeaconContext,
  badResponse,
  fromJsonAnswer,
  getJson,
  getOrNull,
  parseAnswer,
  postJson,
  SLOT_FRACTION,
  timeoutFor,
  withEndpointFallback,
} from "../context.js";
import { BeaconApiError } from "../errors.js";
import { FORK_NAMES, hasSszType, sszType } from "../fork.js";
import type { HttpRequest } from "../http.js";
import * as J from "../json.js";
import type {
  BeaconBlockInfo,
  BlockAttestation,
  BlockHeaderInfo,
  BlockId,
  DatedBlockHeader,
} from "../types.js";
import { assertPreset } from "./config.js";

/**
 * GET /eth/v1/beacon/headers/{block_id} with the answer's `Date` header and node; header null for
 * an unknown block (404).
 *
 * @example
 * const { header, date } = await getBlockHeaderDated(ctx, "head");
 */
export async function getBlockHeaderDated(
  ctx: BeaconContext,
  blockId: BlockId,
): Promise<DatedBlockHeader> {
  const path = `/eth/v1/beacon/headers/${blockId}`;
  const req: HttpRequest = { method: "GET", path, timeoutMs: ctx.timeoutMs, acceptStatus: [404] };
  const res = await ctx.http.request(req);
  const date = res.headers.get("date") ?? undefined;
  if (res.status === 404) return { header: null, date, url: res.url };
  const d = parseAnswer(ctx, J.headerResponse, res.body, req, res.url).data;
  const m = d.header.message;
  const header: BlockHeaderInfo = {
    root: d.root,
    canonical: d.canonical,
    slot: m.slot,
    proposerIndex: m.proposer_index,
    parentRoot: m.parent_root,
    stateRoot: m.state_root,
    bodyRoot: m.body_root,
  };
  return { header, date, url: res.url };
}

/**
 * GET /eth/v1/beacon/headers/{block_id}; null for an unknown block (404).
 *
 * @example
 * (await getBlockHeader(ctx, "head"))?.slot
 */
export async function getBlockHeader(
  ctx: BeaconContext,
  blockId: BlockId,
): Promise<BlockHeaderInfo | null> {
  return (await getBlockHeaderDated(ctx, blockId)).header;
}

/**
 * GET /eth/v2/beacon/blocks/{block_id}: the signed block of the fork named by `version` (SSZ type
 * of this process's preset, checked first); null for an unknown block or empty slot (404).
 *
 * @example
 * (await getBlock(ctx, 12))?.signedBlock.message.proposerIndex
 */
export async function getBlock(
  ctx: BeaconContext,
  blockId: BlockId,
): Promise<BeaconBlockInfo | null> {
  await assertPreset(ctx);
  const r = await getOrNull(ctx, `/eth/v2/beacon/blocks/${blockId}`);
  if (!r) return null;
  const body = parseAnswer(ctx, J.versionedResponse, r.res.body, r.req, r.res.url);
  if (!FORK_NAMES.has(body.version)) {
    throw badResponse(ctx, r.req, r.res.url, `unknown fork "${body.version}"`);
  }
  const fork = body.version as ForkName;
  const type = sszType(fork, "SignedBeaconBlock");
  return {
    fork,
    signedBlock: fromJsonAnswer(
      ctx,
      type,
      body.data,
      r.req,
      r.res.url,
    ) as BeaconBlockInfo["signedBlock"],
    executionOptimistic: body.execution_optimistic,
    finalized: body.finalized,
  };
}

/**
 * GET /eth/v2/beacon/blocks/{block_id}, reading only `message.proposer_index`: null for an empty
 * slot (404). Needs no chain info and no SSZ type.
 *
 * @example
 * await getBlockProposer(ctx, 3205) // 10, or null when slot 3205 is empty
 */
export async function getBlockProposer(
  ctx: BeaconContext,
  blockId: BlockId,
): Promise<number | null> {
  const r = await getOrNull(ctx, `/eth/v2/beacon/blocks/${blockId}`);
  if (!r) return null;
  return parseAnswer(ctx, J.blockProposerResponse, r.res.body, r.req, r.res.url).data.message
    .proposer_index;
}

/** GET /eth/v2/beacon/blocks/{id}/attestations; a 404 naming a missing route is thrown. */
async function blockAttestationsV2(
  ctx: BeaconContext,
  blockId: BlockId,
): Promise<BlockAttestation[] | null> {
  const path = `/eth/v2/beacon/blocks/${blockId}/attestations`;
  const req: HttpRequest = { method: "GET", path, timeoutMs: ctx.timeoutMs, acceptStatus: [404] };
  const res = await ctx.http.request(req);
  if (res.status === 404) {
    // A 404 with the route present is an unknown block; a missing route says so in its message
    // (fastify "Route GET:… not found").
    const text = JSON.stringify(res.body ?? "").slice(0, 300);
    if (!/route/i.test(text)) return null;
    throw new BeaconApiError(`Beacon node has no ${req.method} ${path}`, {
      method: req.method,
      path,
      attempts: [{ url: res.url, kind: "http", status: 404, message: text }],
    });
  }
  const body = parseAnswer(ctx, J.versionedResponse, res.body, req, res.url);
  const version = body.version || res.headers.get("eth-consensus-version") || "";
  if (!FORK_NAMES.has(version)) throw badResponse(ctx, req, res.url, `unknown fork "${version}"`);
  if (!Array.isArray(body.data)) throw badResponse(ctx, req, res.url, "data is not an array");
  const type = sszType(version as ForkName, "Attestation");
  return body.data.map((a) => fromJsonAnswer(ctx, type, a, req, res.url) as BlockAttestation);
}

/** GET /eth/v1/beacon/blocks/{id}/attestations (phase0 containers). */
async function blockAttestationsV1(
  ctx: BeaconContext,
  blockId: BlockId,
): Promise<BlockAttestation[] | null> {
  const r = await getOrNull(ctx, `/eth/v1/beacon/blocks/${blockId}/attestations`);
  if (!r) return null;
  const data = parseAnswer(ctx, J.dataResponse, r.res.body, r.req, r.res.url).data;
  if (!Array.isArray(data)) throw badResponse(ctx, r.req, r.res.url, "data is not an array");
  return data.map((a) => fromJsonAnswer(ctx, ssz.phase0.Attestation, a, r.req, r.res.url));
}

/**
 * The attestations of a block: v2 with the fork's type (Electra+: committee_bits), v1 on nodes
 * without v2; null for an unknown block.
 *
 * @example
 * const atts = (await getBlockAttestations(ctx, 10)) ?? [];
 */
export function getBlockAttestations(
  ctx: BeaconContext,
  blockId: BlockId,
): Promise<BlockAttestation[] | null> {
  return withEndpointFallback(
    ctx,
    "GET v2 block attestations",
    () => blockAttestationsV2(ctx, blockId),
    () => blockAttestationsV1(ctx, blockId),
  );
}

/**
 * GET /eth/v1/beacon/blocks/{block_id}/root, within a third of a slot.
 *
 * @example
 * const root = await getBlockRoot(ctx, "head");
 */
export async function getBlockRoot(ctx: BeaconContext, blockId: BlockId): Promise<Uint8Array> {
  const path = `/eth/v1/beacon/blocks/${blockId}/root`;
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.blockRoot);
  return (await getJson(ctx, J.blockRootResponse, path, undefined, timeoutMs)).data.root;
}

/**
 * The JSON body of a block publication: Deneb+ block contents (block + kzg proofs + blobs) when the
 * blobs are there, else the signed block.
 *
 * @example
 * const body = publicationBody({ ...produced, signature });
 */
export function publicationBody(signed: SignedProducedBlock): unknown {
  const { fork, block, signature } = signed;
  if (hasSszType(fork, "SignedBlockContents") && signed.kzgProofs && signed.blobs) {
    return sszType(fork, "SignedBlockContents").toJson({
      signedBlock: { message: block, signature },
      kzgProofs: signed.kzgProofs,
      blobs: signed.blobs,
    });
  }
  return sszType(fork, "SignedBeaconBlock").toJson({ message: block, signature });
}

/**
 * POST /eth/v2/beacon/blocks?broadcast_validation=gossip with Eth-Consensus-Version, falling back
 * to POST /eth/v1/beacon/blocks on nodes without v2 (Lodestar 1.5); within half a slot.
 *
 * @example
 * await publishBlock(ctx, { ...produced, signature });
 */
export async function publishBlock(ctx: BeaconContext, signed: SignedProducedBlock): Promise<void> {
  await publishGossip(ctx, "blocks", signed.fork, publicationBody(signed));
}

/**
 * POST /eth/v2/beacon/{kind}?broadcast_validation=gossip with Eth-Consensus-Version, else (nodes
 * without v2) POST /eth/v1/beacon/{kind}; within half a slot.
 */
async function publishGossip(
  ctx: BeaconContext,
  kind: "blocks" | "blinded_blocks",
  fork: string,
  body: unknown,
): Promise<void> {
  const headers = { "Eth-Consensus-Version": fork };
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.publishBlock);
  const v2 = async () => {
    const query = { broadcast_validation: "gossip" };
    await ctx.http.request({
      method: "POST",
      path: `/eth/v2/beacon/${kind}`,
      query,
      body,
      headers,
      timeoutMs,
    });
  };
  const v1 = async () => {
    await postJson(ctx, `/eth/v1/beacon/${kind}`, body, timeoutMs, headers);
  };
  await withEndpointFallback(ctx, `POST v2 ${kind.replace("_", " ")}`, v2, v1);
}

/**
 * POST /eth/v2/beacon/blinded_blocks (SignedBlindedBeaconBlock JSON, Eth-Consensus-Version
 * header, broadcast_validation=gossip), falling back to POST /eth/v1/beacon/blinded_blocks on
 * nodes without v2 (Lodestar 1.5.1). The beacon node asks its builder to unblind it
 * (builder-specs `submitBlindedBlock`) and publishes the full block; within half a slot.
 *
 * @example
 * await publishBlindedBlock(ctx, { ...blinded, signature });
 */
export async function publishBlindedBlock(
  ctx: BeaconContext,
  signed: SignedProducedBlindedBlock,
): Promise<void> {
  const type = sszType(signed.fork, "SignedBlindedBeaconBlock");
  const body = type.toJson({ message: signed.block, signature: signed.signature });
  await publishGossip(ctx, "blinded_blocks", signed.fork, body);
}
