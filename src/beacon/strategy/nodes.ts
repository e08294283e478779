/**
 * The beacon nodes of the strategy beacon from `--beacon-url`s: one REST client per URL (its own
 * slot-fitted timeouts, src/beacon/client.ts), its head events (src/beacon/api/events.ts: the
 * stream is opened for the first listener and closed after the last), and its block-root → slot
 * lookup (GET /eth/v1/beacon/headers/{root}). Names are host:port (never userinfo, path or query,
 * which may hold credentials).
 */
import type { BeaconNode, HeadNotice } from "../../core/beacon.js";
import { InputError } from "../../errors.js";
import type { Clock } from "../../util/clock.js";
import { toHex } from "../../util/hex.js";
import { subscribeHeadEvents } from "../api/events.js";
import { createBeaconClient } from "../client.js";
import { normalizeUrls } from "../http.js";
import type { BeaconClient } from "../types.js";
import { type StrategyBeacon, type StrategyNode, strategyBeacon } from "./beacon.js";
import type { BeaconStrategies } from "./config.js";

/**
 * A display name per URL: host:port, with `#i` for a host given twice.
 *
 * @example
 * nodeNames(["http://u:p@10.0.0.1:5052/x", "http://10.0.0.2:5052"]) // ["10.0.0.1:5052", "10.0.0.2:5052"]
 */
export function nodeNames(urls: readonly string[]): string[] {
  const hosts = urls.map((u) => new URL(u).host);
  return hosts.map((h, i) =>
    hosts.indexOf(h) === i && hosts.lastIndexOf(h) === i ? h : `${h}#${i + 1}`,
  );
}

/**
 * Options of {@link strategyNodes}.
 *
 * @example
 * const o: StrategyNodesOptions = { timeoutMs: 4000, onEventError: (n, m) => log(n, m) };
 */
export type StrategyNodesOptions = {
  timeoutMs: number;
  clock?: Clock | undefined;
  /** A head stream failed or sent an unreadable event (it reconnects by itself). */
  onEventError?: ((node: string, message: string) => void) | undefined;
  /** Re-open a head stream silent this long (ms; default 0 = never). */
  eventIdleTimeoutMs?: number | undefined;
};

/**
 * One {@link StrategyNode} per URL (URLs checked first: http(s), no duplicates).
 *
 * @example
 * const beacon = strategyBeacon(strategyNodes(["http://127.0.0.1:5052", "http://127.0.0.1:5053"], { timeoutMs: 4000 }));
 */
export function strategyNodes(urls: readonly string[], opts: StrategyNodesOptions): StrategyNode[] {
  for (const u of urls) {
    const url = URL.canParse(u) ? new URL(u) : undefined;
    if (url && (url.username || url.password)) {
      throw new InputError(`--beacon-url ${url.host} carries credentials in the URL`, {
        field: "--beacon-url",
        metaMessages: [
          "Credentials in a URL end up in logs and process lists, and fetch refuses them: put the beacon node behind a local proxy that adds them, or allow this host without credentials.",
        ],
      });
    }
  }
  const clean = normalizeUrls(urls);
  const names = nodeNames(clean);
  return clean.map((url, i) => {
    const name = names[i] as string;
    const client = createBeaconClient([url], { timeoutMs: opts.timeoutMs });
    return {
      name,
      beacon: withHeadEvents(client, url, name, opts),
      blockSlot: async (root: Uint8Array) => (await client.blockHeader(toHex(root)))?.slot,
    };
  });
}

/** The client with `subscribeHead` over its event stream (shared by every listener). */
function withHeadEvents(
  client: BeaconClient,
  url: string,
  name: string,
  opts: StrategyNodesOptions,
): BeaconClient {
  const listeners = new Set<(h: HeadNotice) => void>();
  let stream: { stop(): Promise<void> } | undefined;
  const subscribeHead = (listener: (h: HeadNotice) => void): (() => void) => {
    listeners.add(listener);
    stream ??= subscribeHeadEvents([url], {
      clock: opts.clock,
      idleTimeoutMs: opts.eventIdleTimeoutMs,
      onHead: (h) => {
        for (const l of listeners) l(h);
      },
      onError: (_u, message) => opts.onEventError?.(name, message),
    });
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && stream) {
        void stream.stop();
        stream = undefined;
      }
    };
  };
  return { ...client, subscribeHead };
}

/**
 * What the operator node runs with (`node run --beacon-url … --beacon-strategy … --attest-on-head`).
 *
 * @example
 * const o: OperatorBeaconOptions = { urls, timeoutMs: 4000, attestOnHead: true };
 */
export type OperatorBeaconOptions = StrategyNodesOptions & {
  urls: readonly string[];
  strategies?: BeaconStrategies | undefined;
  attestOnHead?: boolean | undefined;
};

/**
 * The DV node's beacon port: the one-URL `client` as is when there is nothing more to do (one
 * node, no head events: today's behaviour); else the {@link strategyBeacon} over one client per
 * URL (with head events; one node's head per slot is passed on).
 *
 * @example
 * const beacon = operatorBeacon(client, { urls: ["http://127.0.0.1:5052", "http://127.0.0.1:5053"], timeoutMs: 4000 });
 */
export function operatorBeacon(
  client: BeaconNode,
  o: OperatorBeaconOptions,
): BeaconNode | StrategyBeacon {
  if (o.urls.length === 1 && !o.attestOnHead) return client;
  return strategyBeacon(strategyNodes(o.urls, o), { strategies: o.strategies, clock: o.clock });
}

/**
 * Is this beacon port a {@link StrategyBeacon} (per-node metrics to register)?
 *
 * @example
 * if (isStrategyBeacon(beacon)) registerStrategyMetrics(registry, beacon);
 */
export function isStrategyBeacon(b: BeaconNode): b is StrategyBeacon {
  return typeof (b as Partial<StrategyBeacon>).onEvent === "function";
}
