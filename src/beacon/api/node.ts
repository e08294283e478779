/**
 * Beacon API "node" group (ethereum/beacon-APIs apis/node/health.yaml, apis/node/syncing.yaml,
 * apis/node/version.yaml).
 */
import { type BeaconContext, getJson } from "../context.js";
import type { BeaconApiError } from "../errors.js";
import * as J from "../json.js";
import type { NodeHealth, SyncStatus } from "../types.js";

/**
 * GET /eth/v1/node/health of one node: 200 ready, 206 syncing, 503 not initialised, no answer
 * unreachable. Records the result in the fallback order (unhealthy nodes are tried last).
 *
 * @example
 * const h = await getNodeHealth(ctx, "http://127.0.0.1:5052"); // { status: "ready", … }
 */
export async function getNodeHealth(ctx: BeaconContext, url: string): Promise<NodeHealth> {
  try {
    const res = await ctx.http.requestOne(url, {
      method: "GET",
      path: "/eth/v1/node/health",
      timeoutMs: ctx.timeoutMs,
      acceptStatus: [206, 503],
    });
    ctx.http.markHealth(url, res.status === 200);
    const status = res.status === 200 ? "ready" : res.status === 206 ? "syncing" : "not-ready";
    return { url, status, httpStatus: res.status };
  } catch (err) {
    ctx.http.markHealth(url, false);
    const e = err as BeaconApiError;
    return {
      url,
      status: e.status === undefined ? "unreachable" : "not-ready",
      httpStatus: e.status,
      error: e.details ?? e.message,
    };
  }
}

/**
 * GET /eth/v1/node/health of every node, in the configured order.
 *
 * @example
 * (await getHealth(ctx)).map((h) => h.status) // ["ready", "syncing"]
 */
export function getHealth(ctx: BeaconContext): Promise<NodeHealth[]> {
  return Promise.all(ctx.http.urls.map((url) => getNodeHealth(ctx, url)));
}

/**
 * GET /eth/v1/node/syncing (`el_offline` is absent before 2023: undefined).
 *
 * @example
 * const { headSlot, isSyncing } = await getSyncingStatus(ctx);
 */
export async function getSyncingStatus(ctx: BeaconContext): Promise<SyncStatus> {
  const d = (await getJson(ctx, J.syncingResponse, "/eth/v1/node/syncing")).data;
  return {
    headSlot: d.head_slot,
    syncDistance: d.sync_distance,
    isSyncing: d.is_syncing,
    isOptimistic: d.is_optimistic ?? false,
    elOffline: d.el_offline,
  };
}

/**
 * GET /eth/v1/node/version: the node's version string (e.g. "Lodestar/v1.5.1/…").
 *
 * @example
 * await getNodeVersion(ctx) // "Lodestar/v1.5.1/…"
 */
export async function getNodeVersion(ctx: BeaconContext, timeoutMs?: number): Promise<string> {
  const res = await getJson(ctx, J.versionResponse, "/eth/v1/node/version", undefined, timeoutMs);
  return res.data.version;
}
