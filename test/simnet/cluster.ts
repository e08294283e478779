/**
 * A QBFT cluster on the simulated network: n {@link QbftNode}s wired to a {@link Simnet}, with
 * crash/restart handling (a restarted node is a fresh process: no state, it re-joins the
 * still-active instances with its input value), decision recording, and the safety checks the
 * tests assert — agreement (honest nodes decide one value per instance), validity (the value was
 * some node's input and passes the predicate) and certificate validity.
 */
import { hashValue } from "../../src/core/consensus/codec.js";
import {
  createQbftNode,
  type QbftNode,
  type QbftNodeConfig,
  verifyDecided,
} from "../../src/core/consensus/node.js";
import { faultyFor, quorumFor } from "../../src/core/consensus/params.js";
import {
  noopSigning,
  type Signer,
  secp256k1TestKeys,
  type Verifier,
} from "../../src/core/consensus/signer.js";
import type { Decided, InstanceId } from "../../src/core/consensus/types.js";
import { bytesEqual } from "../../src/util/hex.js";
import { createSimnet, type Simnet, type SimnetOptions } from "./network.js";
import { macTestSigning } from "./signing.js";

/**
 * Which signature scheme the cluster uses: real secp256k1, the cheap MAC of signing.ts, or none.
 *
 * @example
 * const cluster = createSimCluster({ n: 4, seed: 1, signing: "secp256k1" });
 */
export type SigningScheme = "secp256k1" | "mac" | "noop";

/**
 * Cluster options: network conditions plus consensus settings.
 *
 * @example
 * const opts: ClusterOptions = { n: 7, seed: 2, latencyMs: 20, signing: "mac" };
 */
export type ClusterOptions = SimnetOptions & {
  signing?: SigningScheme | undefined;
  /** Validity predicate (default {@link isValidTestValue}). */
  isValid?: ((value: Uint8Array, instance: InstanceId) => boolean | Promise<boolean>) | undefined;
  /** Extra node settings (timer, windows…). */
  node?: Partial<
    Omit<QbftNodeConfig, "n" | "self" | "transport" | "clock" | "signer" | "verifier">
  >;
};

/**
 * One recorded decision.
 *
 * @example
 * for (const r of cluster.log) console.log(r.node, r.at, r.decided.round);
 */
export type DecisionRecord = { node: number; at: number; decided: Decided };

/**
 * The cluster handle. See {@link createSimCluster}.
 *
 * @example
 * const c = createSimCluster({ n: 4, seed: 1 });
 * c.start({ slot: 1, dutyType: 2 });
 * await c.net.runUntil(() => c.decidedBy({ slot: 1, dutyType: 2 }).size === 4, 10_000);
 */
export interface SimCluster {
  readonly net: Simnet;
  readonly n: number;
  readonly f: number;
  readonly quorum: number;
  readonly signers: Signer[];
  readonly verifier: Verifier;
  /** All decisions, in order. */
  readonly log: DecisionRecord[];
  /** Node i's current QBFT node (undefined while crashed or when byzantine-only). */
  node(i: number): QbftNode | undefined;
  /** Mark i as Byzantine: it runs no honest node from now on and is excluded from checks. */
  setByzantine(i: number, runsHonestNode?: boolean): void;
  isHonest(i: number): boolean;
  /** Start an instance on all up nodes (or `nodes`), input = `value(i)` (default testValue). */
  start(instance: InstanceId, opts?: { nodes?: number[]; value?: (i: number) => Uint8Array }): void;
  /** Record a value some (Byzantine) node proposed, so validity checks accept it. */
  registerProposed(value: Uint8Array): void;
  /** Latest decision per node for an instance. */
  decidedBy(instance: InstanceId): Map<number, Decided>;
  /** Honest up nodes. */
  honestUp(): number[];
  /** Agreement + validity + certificates over everything decided so far; [] when all hold. */
  violations(): string[];
}

const keyOf = (i: InstanceId): string => `${i.slot}/${i.dutyType}`;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/**
 * Deterministic test value: [valid ? 1 : 0] ‖ "slot/duty/node[/tag]".
 *
 * @example
 * isValidTestValue(testValue({ slot: 1, dutyType: 2 }, 0)) // true
 */
export function testValue(instance: InstanceId, node: number, valid = true, tag = ""): Uint8Array {
  const body = new TextEncoder().encode(`${instance.slot}/${instance.dutyType}/${node}${tag}`);
  const out = new Uint8Array(1 + body.length);
  out[0] = valid ? 1 : 0;
  out.set(body, 1);
  return out;
}

/**
 * The default validity predicate of simulations: first byte is 1.
 *
 * @example
 * isValidTestValue(new Uint8Array([0, 7])) // false
 */
export function isValidTestValue(value: Uint8Array): boolean {
  return value.length > 0 && value[0] === 1;
}

/**
 * Create the simnet and the n nodes.
 *
 * @example
 * const c = createSimCluster({ n: 4, seed: 9, latencyMs: 30, jitterMs: 10, dropRate: 0.3 });
 */
export function createSimCluster(opts: ClusterOptions): SimCluster {
  const n = opts.n;
  const net = createSimnet(opts);
  const scheme = opts.signing ?? "mac";
  let signers: Signer[];
  let verifier: Verifier;
  if (scheme === "secp256k1") {
    ({ signers, verifier } = secp256k1TestKeys(n, opts.seed));
  } else if (scheme === "mac") {
    ({ signers, verifier } = macTestSigning(n, opts.seed));
  } else {
    const ns = noopSigning(n);
    signers = Array.from({ length: n }, () => ns.signer);
    verifier = ns.verifier;
  }
  const isValid = opts.isValid ?? isValidTestValue;
  const nodes: (QbftNode | undefined)[] = Array.from({ length: n }, () => undefined);
  const byzantine = new Map<number, boolean>(); // i → runs honest node code
  const inputs = new Map<string, { instance: InstanceId; values: Map<number, Uint8Array> }>();
  const proposed = new Set<string>();
  const log: DecisionRecord[] = [];
  const latest = new Map<string, Map<number, Decided>>();
  const duplicates: string[] = [];

  const build = (i: number): QbftNode => {
    const node = createQbftNode({
      ...opts.node,
      n,
      self: i,
      transport: net.transport(i),
      clock: net.clock(i),
      signer: signers[i] as Signer,
      verifier,
      isValid,
    });
    const delivered = new Set<string>();
    node.onDecided((d) => {
      if (delivered.has(keyOf(d.instance))) {
        duplicates.push(`delivery: node ${i} delivered ${keyOf(d.instance)} twice`);
      }
      delivered.add(keyOf(d.instance));
      log.push({ node: i, at: net.now(), decided: d });
      const k = keyOf(d.instance);
      const m = latest.get(k) ?? new Map<number, Decided>();
      m.set(i, d);
      latest.set(k, m);
    });
    return node;
  };

  const runsNode = (i: number): boolean => byzantine.get(i) ?? true;
  for (let i = 0; i < n; i++) nodes[i] = build(i);

  net.onCrash((i) => {
    nodes[i]?.close();
    nodes[i] = undefined;
  });
  net.onRestart((i) => {
    if (!runsNode(i)) return;
    const node = build(i);
    nodes[i] = node;
    for (const { instance, values } of inputs.values()) {
      const v = values.get(i);
      if (v) {
        try {
          node.start(instance, v);
        } catch {
          // Outside the instance window: a restarted node simply no longer runs it.
        }
      }
    }
  });

  return {
    net,
    n,
    f: faultyFor(n),
    quorum: quorumFor(n),
    signers,
    verifier,
    log,
    node: (i) => nodes[i],
    setByzantine(i, runsHonestNode = false) {
      byzantine.set(i, runsHonestNode);
      if (!runsHonestNode) {
        nodes[i]?.close();
        nodes[i] = undefined;
      }
    },
    isHonest: (i) => !byzantine.has(i),
    start(instance, o = {}) {
      const k = keyOf(instance);
      const entry = inputs.get(k) ?? { instance, values: new Map<number, Uint8Array>() };
      inputs.set(k, entry);
      const targets = o.nodes ?? Array.from({ length: n }, (_, i) => i);
      for (const i of targets) {
        const v = o.value ? o.value(i) : testValue(instance, i);
        entry.values.set(i, v);
        proposed.add(hex(v));
        if (net.isUp(i)) nodes[i]?.start(instance, v);
      }
    },
    registerProposed(value) {
      proposed.add(hex(value));
    },
    decidedBy: (instance) => latest.get(keyOf(instance)) ?? new Map(),
    honestUp: () =>
      Array.from({ length: n }, (_, i) => i).filter((i) => !byzantine.has(i) && net.isUp(i)),
    violations() {
      const out: string[] = [...duplicates];
      const byInstance = new Map<string, DecisionRecord[]>();
      for (const r of log) {
        if (byzantine.has(r.node)) continue;
        const k = keyOf(r.decided.instance);
        byInstance.set(k, [...(byInstance.get(k) ?? []), r]);
      }
      for (const [k, recs] of byInstance) {
        const first = recs[0] as DecisionRecord;
        for (const r of recs) {
          if (!bytesEqual(r.decided.hash, first.decided.hash)) {
            out.push(`agreement: instance ${k}: node ${r.node} ≠ node ${first.node}`);
          }
          if (!bytesEqual(hashValue(r.decided.value), r.decided.hash)) {
            out.push(`integrity: instance ${k}: node ${r.node} value does not match hash`);
          }
          if (!proposed.has(hex(r.decided.value))) {
            out.push(`validity: instance ${k}: node ${r.node} decided a value nobody proposed`);
          }
          const valid = isValid(r.decided.value, r.decided.instance);
          if (valid === false)
            out.push(`validity: instance ${k}: node ${r.node} decided an invalid value`);
          if (!verifyDecided(r.decided, verifier)) {
            out.push(
              `certificate: instance ${k}: node ${r.node} has an invalid commit certificate`,
            );
          }
        }
      }
      return out;
    },
  };
}
