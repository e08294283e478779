/**
 * Doctor checks of the operator's clients:
 * - beacon node: GET /eth/v1/node/syncing (ethereum/beacon-APIs) — synced, not optimistic, EL
 *   online;
 * - execution client: JSON-RPC `eth_syncing` / `eth_chainId` (ethereum/execution-apis).
 */
import { BaseError } from "../../../errors.js";
import type { DoctorCheck } from "../types.js";

async function rpc(url: string, method: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new BaseError(`${method}: ${body.error.message}`);
  return body.result;
}

/**
 * The beacon node is synced (≤ 1 slot behind), not optimistic, its execution client online.
 *
 * @example
 * const outcome = await beaconNodeCheck.run(ctx);
 */
export const beaconNodeCheck: DoctorCheck = {
  name: "beacon node",
  applies: (ctx) => ctx.beacon !== undefined,
  async run(ctx) {
    const s = await (ctx.beacon as NonNullable<typeof ctx.beacon>).syncing();
    if (s.isSyncing || s.syncDistance > 1)
      return {
        status: "fail",
        detail: `syncing: head ${s.headSlot}, ${s.syncDistance} slots behind`,
        hint: "Wait for the beacon node to sync.",
      };
    if (s.isOptimistic || s.elOffline)
      return {
        status: "warn",
        detail: `head ${s.headSlot}, ${s.isOptimistic ? "optimistic" : "execution client offline"}`,
      };
    return { status: "pass", detail: `synced, head slot ${s.headSlot}` };
  },
};

/**
 * The execution client is synced (`eth_syncing` false) and says its chain id.
 *
 * @example
 * const outcome = await executionClientCheck.run(ctx);
 */
export const executionClientCheck: DoctorCheck = {
  name: "execution client",
  applies: (ctx) => ctx.inp.executionUrl !== undefined,
  async run(ctx) {
    const url = ctx.inp.executionUrl as string;
    const [syncing, chainId] = await Promise.all([
      rpc(url, "eth_syncing", ctx.timeoutMs),
      rpc(url, "eth_chainId", ctx.timeoutMs),
    ]);
    if (syncing !== false)
      return { status: "fail", detail: "syncing", hint: "Wait for the execution client to sync." };
    return { status: "pass", detail: `synced, chain id ${Number(chainId)}` };
  },
};
