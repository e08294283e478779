/**
 * A {@link BeaconNode} over several beacon nodes with a strategy per request kind (Vouch's
 * `strategies/`, github.com/attestantio/vouch): attestation data by majority / best / first
 * (config.ts), block proposals by best value / first, the other duty reads (aggregate, sync
 * contribution, block root) first-answer in parallel, everything else first-success in order
 * (core's fallbackBeacon: duties, submissions; registrations and subscriptions to every node).
 * Every node is asked at once and waited for within a budget fitted to the slot (collect.ts), so a
 * lagging node never delays the duty past it once another node answered. Attestation data
 * (majority/best) is chosen once per slot for all its committees, and head votes are compared by
 * the slot of their block, taken from a block root → slot cache that every node's head events fill
 * (Vouch's approach; stop() closes them), so a tie never waits for a lookup past the budget. Each
 * node's answers, errors, late answers, wins and latency are counted per request kind (metrics.ts).
 */
import { ssz } from "@lodestar/types";
import {
  type BeaconNode,
  type ChainInfo,
  fallbackBeacon,
  type HeadNotice,
} from "../../core/beacon.js";
import { BaseError } from "../../errors.js";
import { type Clock, systemClock } from "../../util/clock.js";
import { toHex } from "../../util/hex.js";
import { chooseBestData } from "./attestation-best.js";
import { chooseMajority, type DataAnswer, dataKey, hasMajority } from "./attestation-majority.js";
import { type Collected, collect, type NodeAnswer, type RequestOutcome } from "./collect.js";
import { type BeaconStrategies, DEFAULT_BEACON_STRATEGIES } from "./config.js";
import { chooseBestProposal, type ValuedBlock } from "./proposal-best.js";

/**
 * One beacon node: a label (host:port, never credentials), its port, and optionally how to find
 * the slot of a block root (GET /eth/v1/beacon/headers/{root}) for the head-slot scores.
 *
 * @example
 * const n: StrategyNode = { name: "127.0.0.1:5052", beacon: client, blockSlot: async (r) => (await client.blockHeader(toHex(r)))?.slot };
 */
export type StrategyNode = {
  name: string;
  beacon: BeaconNode;
  blockSlot?: ((root: Uint8Array) => Promise<number | undefined>) | undefined;
};

/**
 * The request kinds counted per node (metric label `call`).
 *
 * @example
 * const c: StrategyCall = "attestation_data";
 */
export type StrategyCall =
  | "attestation_data"
  | "block_proposal"
  | "aggregate"
  | "contribution"
  | "block_root";

/**
 * A counted event: a node's request ended (answer / error / late), or its answer was chosen (win).
 *
 * @example
 * beacon.onEvent((e: StrategyEvent) => e.kind === "win" && console.log(e.node, "won", e.call));
 */
export type StrategyEvent =
  | ({ call: StrategyCall; kind: "request" } & RequestOutcome)
  | { call: StrategyCall; kind: "win"; node: string };

/**
 * Options of {@link strategyBeacon}.
 *
 * @example
 * const o: StrategyBeaconOptions = { strategies: { attestation: "majority", proposal: "best" } };
 */
export type StrategyBeaconOptions = {
  strategies?: BeaconStrategies | undefined;
  clock?: Clock | undefined;
  /**
   * Budget as fractions of the slot: answers are waited for up to `soft` once one arrived, and no
   * longer than `hard` for more (default 1/12 and 1/6: 1 s and 2 s on mainnet, Vouch's 2 s
   * timeout with its soft half). Before the chain info is known, a 12 s slot is assumed.
   */
  budget?: { soft: number; hard: number } | undefined;
};

/**
 * The strategy beacon: a BeaconNode, plus its per-node events.
 *
 * @example
 * const b: StrategyBeacon = strategyBeacon(nodes); b.onEvent(console.log);
 */
export type StrategyBeacon = BeaconNode & {
  readonly nodes: readonly string[];
  /** Follow every counted event; returns the unsubscribe. */
  onEvent(listener: (e: StrategyEvent) => void): () => void;
  /** Close the head-event streams that fill the block root → slot cache (idempotent). */
  stop(): void;
};

/** Slots whose attestation-data choice is kept for their other committees. */
const PER_SLOT_MEMO = 4;

/** Head block roots → slot seen on the head events (bounded). */
const HEAD_CACHE = 256;

/**
 * Build the strategy beacon over `nodes` (at least one; names unique).
 *
 * @example
 * const beacon = strategyBeacon([{ name: "a:5052", beacon: a }, { name: "b:5052", beacon: b }]);
 */
export function strategyBeacon(
  nodes: readonly StrategyNode[],
  opts: StrategyBeaconOptions = {},
): StrategyBeacon {
  if (nodes.length === 0) throw new BaseError("strategyBeacon needs at least one beacon node");
  const names = nodes.map((n) => n.name);
  if (new Set(names).size !== names.length) {
    throw new BaseError(`Beacon node names must be unique: ${names.join(", ")}`);
  }
  const strategies = opts.strategies ?? DEFAULT_BEACON_STRATEGIES;
  const clock = opts.clock ?? systemClock;
  const budget = opts.budget ?? { soft: 1 / 12, hard: 1 / 6 };
  const base = fallbackBeacon(nodes.map((n) => n.beacon));
  const listeners = new Set<(e: StrategyEvent) => void>();
  const emit = (e: StrategyEvent): void => {
    for (const l of listeners) l(e);
  };
  let slotMs = 12_000;
  const heads = new Map<string, number>();
  const rememberHead = (h: HeadNotice): void => {
    heads.set(toHex(h.block), h.slot);
    if (heads.size > HEAD_CACHE) heads.delete(heads.keys().next().value as string);
  };
  // Vouch's block root → slot cache: every node's head events, followed from the first use on
  // (majority/best only), so a tie of head votes is decided without a lookup on the duty's path.
  let cacheStops: (() => void)[] | undefined;
  let stopped = false;
  const followHeads = (): void => {
    if (cacheStops || stopped || strategies.attestation === "first") return;
    cacheStops = nodes.flatMap((n) =>
      n.beacon.subscribeHead ? [n.beacon.subscribeHead(rememberHead)] : [],
    );
  };

  const ask = <T>(
    call: StrategyCall,
    what: string,
    fn: (b: BeaconNode) => Promise<T>,
    o: { enough?: (a: readonly NodeAnswer<T>[]) => boolean; check?: (v: T) => string | undefined },
  ): Promise<Collected<T>> =>
    collect(names, (i) => fn((nodes[i] as StrategyNode).beacon), {
      softMs: budget.soft * slotMs,
      hardMs: budget.hard * slotMs,
      clock,
      enough: o.enough,
      check: o.check,
      onOutcome: (r) => emit({ call, kind: "request", ...r }),
    }).then((c) => {
      if (c.answers.length) return c;
      throw new BaseError(`All ${names.length} beacon nodes failed to answer ${what}`, {
        details: c.failures.map((f) => `${f.node}: ${f.message}`).join("\n"),
        metaMessages: [
          "Check that the beacon nodes (--beacon-url) are up, synced and reachable; the duty is retried at its next slot.",
        ],
      });
    });
  const win = (call: StrategyCall, node: string): void => emit({ call, kind: "win", node });
  const first = async <T>(call: StrategyCall, what: string, fn: (b: BeaconNode) => Promise<T>) => {
    const c = await ask(call, what, fn, { enough: (a) => a.length > 0 });
    const a = c.answers[0] as NodeAnswer<T>;
    win(call, a.node);
    return a.value;
  };

  /**
   * The head slot of each answer's beacon_block_root: from the head-event cache, else looked up on
   * the node that answered it, waited for only until `deadline` (the hard budget from the start).
   */
  const withHeads = async (
    answers: NodeAnswer<DataAnswer["data"]>[],
    deadline: number,
  ): Promise<DataAnswer[]> => {
    const out = answers.map((a) => ({
      node: a.node,
      data: a.value,
      root: key(a.value),
      headSlot: heads.get(toHex(a.value.beaconBlockRoot)),
    }));
    const lookups = out.flatMap((a) => {
      const n = nodes[names.indexOf(a.node)];
      if (a.headSlot !== undefined || !n?.blockSlot) return [];
      return [
        n.blockSlot(a.data.beaconBlockRoot).then(
          (s) => {
            a.headSlot = s;
            if (s !== undefined) rememberHead({ slot: s, block: a.data.beaconBlockRoot });
          },
          () => {},
        ),
      ];
    });
    const left = deadline - clock.now();
    if (lookups.length && left > 0) {
      let cancel = (): void => {};
      await Promise.race([
        Promise.all(lookups),
        new Promise<void>((r) => {
          cancel = clock.setTimeout(r, left);
        }),
      ]);
      cancel();
    }
    // Only what was known by the deadline counts (a lookup answering later fills the cache).
    return out.map((a) => ({ ...a }));
  };

  const attestationData: BeaconNode["attestationData"] = async (slot, committeeIndex) => {
    const call = "attestation_data";
    const what = `attestation data for slot ${slot}`;
    const fn = (b: BeaconNode) => b.attestationData(slot, committeeIndex);
    const check = (d: DataAnswer["data"]) =>
      d.slot === slot ? undefined : `answered data of slot ${d.slot}, not ${slot}`;
    if (strategies.attestation === "first") return first(call, what, fn);
    followHeads();
    const deadline = clock.now() + budget.hard * slotMs;
    const c = await ask(call, what, fn, {
      check,
      enough:
        strategies.attestation === "majority"
          ? (a) =>
              hasMajority(
                a.map((x) => ({ node: x.node, data: x.value, root: key(x.value), headSlot: 0 })),
                names.length,
              )
          : undefined,
    });
    // Head slots: every answer's for "best"; for "majority" only to break a tie of the top groups.
    const plain = c.answers.map((a) => ({
      node: a.node,
      data: a.value,
      root: key(a.value),
      headSlot: undefined,
    }));
    const answers =
      strategies.attestation === "best" || topTie(plain)
        ? await withHeads(c.answers, deadline)
        : plain;
    const chosen =
      strategies.attestation === "majority"
        ? chooseMajority(answers)?.answer
        : chooseBestData(answers)?.answer;
    const picked = chosen ?? (answers[0] as DataAnswer);
    for (const a of answers) if (a.root === picked.root) win(call, a.node);
    return picked.data;
  };

  const perSlot = new Map<number, Promise<DataAnswer["data"]>>();

  const produceBlock: BeaconNode["produceBlock"] = async (slot, randao, graffiti) => {
    const call = "block_proposal";
    const what = `a block for slot ${slot}`;
    const fn = (b: BeaconNode) => b.produceBlock(slot, randao, graffiti);
    if (strategies.proposal === "first") return first(call, what, fn);
    const c = await ask(call, what, fn, {
      check: (p) =>
        p.block.slot === slot ? undefined : `produced a block of slot ${p.block.slot}`,
    });
    const best = chooseBestProposal(
      c.answers.map((a) => ({ node: a.node, block: a.value as ValuedBlock })),
    );
    const picked = best ?? { node: c.answers[0]?.node ?? "", block: c.answers[0]?.value };
    win(call, picked.node);
    return picked.block as Awaited<ReturnType<BeaconNode["produceBlock"]>>;
  };

  const subscribers = nodes.flatMap((n) => (n.beacon.subscribeHead ? [n.beacon] : []));
  return {
    ...base,
    nodes: names,
    async chainInfo(): Promise<ChainInfo> {
      followHeads();
      const chain = await base.chainInfo();
      slotMs = chain.secondsPerSlot * 1000;
      return chain;
    },
    attestationData: (slot, committeeIndex) => {
      // majority/best: one choice per slot, shared by its committees (the data differs only in
      // `index`): one head vote per slot and half the requests under load; first: per request.
      if (strategies.attestation === "first") return attestationData(slot, committeeIndex);
      let p = perSlot.get(slot);
      if (!p) {
        const mine = attestationData(slot, committeeIndex);
        p = mine;
        perSlot.set(slot, mine);
        if (perSlot.size > PER_SLOT_MEMO) perSlot.delete(perSlot.keys().next().value as number);
        mine.catch(() => perSlot.get(slot) === mine && perSlot.delete(slot)); // failures are retried
      }
      return p.then((d) => ({ ...d, index: committeeIndex }));
    },
    produceBlock,
    aggregateAttestation: (s, r, c) =>
      first("aggregate", `the aggregate of slot ${s}`, (b) => b.aggregateAttestation(s, r, c)),
    syncCommitteeContribution: (s, i, r) =>
      first("contribution", `the sync contribution of slot ${s}`, (b) =>
        b.syncCommitteeContribution(s, i, r),
      ),
    beaconBlockRoot: (id) =>
      first("block_root", `the block root of ${id}`, (b) => b.beaconBlockRoot(id)),
    ...(subscribers.length > 0 && {
      subscribeHead(listener: (h: HeadNotice) => void) {
        let last = -1;
        const stops = subscribers.map((b) =>
          (b.subscribeHead as NonNullable<BeaconNode["subscribeHead"]>)((h) => {
            rememberHead(h);
            if (h.slot <= last) return; // the first node's head of a slot only
            last = h.slot;
            listener(h);
          }),
        );
        return () => {
          for (const stop of stops) stop();
        };
      },
    }),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      for (const stop of cacheStops ?? []) stop();
      cacheStops = undefined;
    },
  };
}

/** Do two groups of identical data share the highest count? */
function topTie(answers: readonly DataAnswer[]): boolean {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a.root, (counts.get(a.root) ?? 0) + 1);
  const sorted = [...counts.values()].sort((x, y) => y - x);
  return sorted.length > 1 && sorted[0] === sorted[1];
}

const key = (d: DataAnswer["data"]): string =>
  dataKey(d, (x) => ssz.phase0.AttestationData.hashTreeRoot(x));
