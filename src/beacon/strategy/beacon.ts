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
import { chooseBestData } from "./attestation-best.js";
import {
  chooseMajority,
  type DataAnswer,
  dataKey,
  majoritySettled,
} from "./attestation-majority.js";
import { type Collected, collect, type NodeAnswer, type RequestOutcome } from "./collect.js";
import { type BeaconStrategies, DEFAULT_BEACON_STRATEGIES } from "./config.js";
import { HeadSlots } from "./head-slots.js";
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

/** What the request strategies share: the nodes, the budget, the events. */
type Ctx = {
  nodes: readonly StrategyNode[];
  names: readonly string[];
  strategies: BeaconStrategies;
  clock: Clock;
  budget: { soft: number; hard: number };
  slotMs: () => number;
  heads: HeadSlots;
  emit: (e: StrategyEvent) => void;
};

type AskOptions<T> = {
  enough?: (a: readonly NodeAnswer<T>[], pending: number) => boolean;
  check?: (v: T) => string | undefined;
};

/** Ask every node within the budget (collect.ts); no answer at all → one error naming them. */
async function ask<T>(
  ctx: Ctx,
  call: StrategyCall,
  what: string,
  fn: (b: BeaconNode, node: string) => Promise<T>,
  o: AskOptions<T>,
): Promise<Collected<T>> {
  const node = (i: number) => ctx.nodes[i] as StrategyNode;
  const c = await collect(ctx.names, (i) => fn(node(i).beacon, node(i).name), {
    softMs: ctx.budget.soft * ctx.slotMs(),
    hardMs: ctx.budget.hard * ctx.slotMs(),
    clock: ctx.clock,
    enough: o.enough,
    check: o.check,
    onOutcome: (r) => ctx.emit({ call, kind: "request", ...r }),
  });
  if (c.answers.length) return c;
  throw new BaseError(`All ${ctx.names.length} beacon nodes failed to answer ${what}`, {
    details: c.failures.map((f) => `${f.node}: ${f.message}`).join("\n"),
    metaMessages: [
      "Check that the beacon nodes (--beacon-url) are up, synced and reachable; the duty is retried at its next slot.",
    ],
  });
}

const win = (ctx: Ctx, call: StrategyCall, node: string): void =>
  ctx.emit({ call, kind: "win", node });

/** First-success in parallel: the first answer. */
async function first<T>(
  ctx: Ctx,
  call: StrategyCall,
  what: string,
  fn: (b: BeaconNode) => Promise<T>,
): Promise<T> {
  const c = await ask(ctx, call, what, fn, { enough: (a) => a.length > 0 });
  const a = c.answers[0] as NodeAnswer<T>;
  win(ctx, call, a.node);
  return a.value;
}

/**
 * Attestation data by majority or best (config.ts). Majority stops as soon as the outcome is
 * settled (majoritySettled); the whole choice, head-slot lookups included (started as each answer
 * arrives), ends by the soft wait after the first answer and within the hard budget: a tie is
 * then broken with what is known, never by a late lookup.
 */
async function chooseAttestationData(
  ctx: Ctx,
  slot: number,
  committeeIndex: number,
): Promise<DataAnswer["data"]> {
  const call = "attestation_data";
  const majority = ctx.strategies.attestation === "majority";
  ctx.heads.follow();
  const start = ctx.clock.now();
  const c = await ask(
    ctx,
    call,
    `attestation data for slot ${slot}`,
    async (b, node) => {
      const d = await b.attestationData(slot, committeeIndex);
      if (d.slot === slot) ctx.heads.prefetch(node, d.beaconBlockRoot);
      return d;
    },
    {
      check: (d) => (d.slot === slot ? undefined : `answered data of slot ${d.slot}, not ${slot}`),
      enough: majority
        ? (a, pending) =>
            majoritySettled(
              a.map((x) => ({ root: key(x.value) })),
              ctx.names.length,
              pending,
            )
        : undefined,
    },
  );
  const firstMs = c.answers[0]?.ms ?? 0;
  const deadline =
    start + Math.min(ctx.budget.hard * ctx.slotMs(), firstMs + ctx.budget.soft * ctx.slotMs());
  const plain = c.answers.map((a) => ({
    node: a.node,
    data: a.value,
    root: key(a.value),
    headSlot: undefined,
  }));
  // Head slots: every answer's for "best"; for "majority" only to break a tie of the top groups.
  const answers =
    !majority || topTie(plain) ? await ctx.heads.resolve(c.answers, deadline, key) : plain;
  const chosen = majority ? chooseMajority(answers)?.answer : chooseBestData(answers)?.answer;
  const picked = chosen ?? (answers[0] as DataAnswer);
  for (const a of answers) if (a.root === picked.root) win(ctx, call, a.node);
  return picked.data;
}

/** Block proposal by best value (or first). */
async function chooseProposal(
  ctx: Ctx,
  slot: number,
  randao: Uint8Array,
  graffiti: Uint8Array,
): ReturnType<BeaconNode["produceBlock"]> {
  const call = "block_proposal";
  const what = `a block for slot ${slot}`;
  const fn = (b: BeaconNode) => b.produceBlock(slot, randao, graffiti);
  if (ctx.strategies.proposal === "first") return first(ctx, call, what, fn);
  const c = await ask(ctx, call, what, fn, {
    check: (p) => (p.block.slot === slot ? undefined : `produced a block of slot ${p.block.slot}`),
  });
  const best = chooseBestProposal(
    c.answers.map((a) => ({ node: a.node, block: a.value as ValuedBlock })),
  );
  const picked = best ?? { node: c.answers[0]?.node ?? "", block: c.answers[0]?.value };
  win(ctx, call, picked.node);
  return picked.block as Awaited<ReturnType<BeaconNode["produceBlock"]>>;
}

/**
 * Attestation data of `slot`: majority/best chosen once per slot, shared by its committees (the
 * data differs only in `index`): one head vote per slot and half the requests under load; a
 * failure is not kept. `first`: per request.
 */
function attestationDataPerSlot(ctx: Ctx): BeaconNode["attestationData"] {
  const perSlot = new Map<number, Promise<DataAnswer["data"]>>();
  return (slot, committeeIndex) => {
    if (ctx.strategies.attestation === "first") {
      return first(ctx, "attestation_data", `attestation data for slot ${slot}`, (b) =>
        b.attestationData(slot, committeeIndex),
      );
    }
    let p = perSlot.get(slot);
    if (!p) {
      const mine = chooseAttestationData(ctx, slot, committeeIndex);
      p = mine;
      perSlot.set(slot, mine);
      if (perSlot.size > PER_SLOT_MEMO) perSlot.delete(perSlot.keys().next().value as number);
      mine.catch(() => perSlot.get(slot) === mine && perSlot.delete(slot)); // failures are retried
    }
    return p.then((d) => ({ ...d, index: committeeIndex }));
  };
}

/** Every node's head events, passed on once per slot (the first node's head of a slot). */
function mergedHeads(
  nodes: readonly StrategyNode[],
  heads: HeadSlots,
): Pick<BeaconNode, "subscribeHead"> {
  const subscribers = nodes.flatMap((n) => (n.beacon.subscribeHead ? [n.beacon] : []));
  if (subscribers.length === 0) return {};
  return {
    subscribeHead(listener: (h: HeadNotice) => void) {
      let last = -1;
      const stops = subscribers.map((b) =>
        (b.subscribeHead as NonNullable<BeaconNode["subscribeHead"]>)((h) => {
          heads.remember(h);
          if (h.slot <= last) return;
          last = h.slot;
          listener(h);
        }),
      );
      return () => {
        for (const stop of stops) stop();
      };
    },
  };
}

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
  const listeners = new Set<(e: StrategyEvent) => void>();
  let slotMs = 12_000;
  const heads = new HeadSlots(nodes, clock);
  // Vouch's block root → slot cache: every node's head events, followed from the first use on
  // (majority/best only), so a tie of head votes is decided without a lookup on the duty's path.
  const followHeads = (): void => {
    if (strategies.attestation !== "first") heads.follow();
  };
  const ctx: Ctx = {
    nodes,
    names,
    strategies,
    clock,
    budget: opts.budget ?? { soft: 1 / 12, hard: 1 / 6 },
    slotMs: () => slotMs,
    heads,
    emit: (e) => {
      for (const l of listeners) l(e);
    },
  };
  const base = fallbackBeacon(nodes.map((n) => n.beacon));
  return {
    ...base,
    nodes: names,
    async chainInfo(): Promise<ChainInfo> {
      followHeads();
      const chain = await base.chainInfo();
      slotMs = chain.secondsPerSlot * 1000;
      return chain;
    },
    attestationData: attestationDataPerSlot(ctx),
    produceBlock: (slot, randao, graffiti) => chooseProposal(ctx, slot, randao, graffiti),
    aggregateAttestation: (s, r, c) =>
      first(ctx, "aggregate", `the aggregate of slot ${s}`, (b) => b.aggregateAttestation(s, r, c)),
    syncCommitteeContribution: (s, i, r) =>
      first(ctx, "contribution", `the sync contribution of slot ${s}`, (b) =>
        b.syncCommitteeContribution(s, i, r),
      ),
    beaconBlockRoot: (id) =>
      first(ctx, "block_root", `the block root of ${id}`, (b) => b.beaconBlockRoot(id)),
    ...mergedHeads(nodes, heads),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => heads.stop(),
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
