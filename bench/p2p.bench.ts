/**
 * libp2p transport (src/p2p) on loopback, 127.0.0.1 only:
 * - round-trip latency of a 1 KiB message (echo), median/p99, for the two stream modes: one
 *   long-lived stream per peer ("reuse", the default) vs a new stream per message;
 * - one-way throughput of 100 KiB messages (sender keeps a bounded window in flight), both modes,
 *   with the inbound rate limit raised so the transport itself is measured (the default limit is
 *   16 MiB/s per peer and channel, rate-limit.ts);
 * - QBFT decide latency per instance for n = 4 over libp2p vs the zero-latency simnet (pure CPU)
 *   in the same run, with secp256k1 signatures and with no-op signatures (the latter isolates
 *   the transport's share). All nodes run in this one process on 2 shared cores.
 * Run: npx tsx bench/p2p.bench.ts [--quick]
 */
import { createQbftNode, type QbftNode } from "../src/core/consensus/node.js";
import {
  noopSigning,
  type Signer,
  secp256k1Signer,
  secp256k1Verifier,
  type Verifier,
} from "../src/core/consensus/signer.js";
import { systemClock } from "../src/core/transport.js";
import type { StreamMode } from "../src/p2p/channel.js";
import { startLocalCluster } from "../src/p2p/local-cluster.js";
import { createSimCluster, isValidTestValue, testValue } from "../test/simnet/cluster.js";
import { ms, type Stats, summarize, table } from "./util.js";

const quick = process.argv.includes("--quick");
const KiB = 1024;
const MiB = 1024 * KiB;
const fast = { redial: { initialMs: 50, maxMs: 400 }, dialGraceMs: 300 };
const unlimited = {
  messagesPerSecond: 1e9,
  messageBurst: 1e9,
  bytesPerSecond: 1e12,
  byteBurst: 1e12,
};

async function rtt(mode: StreamMode, runs: number): Promise<Stats> {
  const c = await startLocalCluster({ n: 2, ...fast, streamMode: mode });
  try {
    await c.waitConnected();
    const a = c.node(0);
    const b = c.node(1);
    b.onMessage((from, bytes) => b.send(from, bytes)); // echo
    let resolve: (() => void) | undefined;
    a.onMessage(() => resolve?.());
    const msg = new Uint8Array(KiB).fill(7);
    const one = () =>
      new Promise<void>((r) => {
        resolve = r;
        a.send(1, msg);
      });
    for (let i = 0; i < 20; i++) await one(); // warm-up: streams open, JIT
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await one();
      times.push(performance.now() - t);
    }
    return summarize(times);
  } finally {
    await c.close();
  }
}

async function throughput(
  mode: StreamMode,
  count: number,
  size: number,
  window: number,
): Promise<{ mibPerSec: number; msgsPerSec: number; lost: number }> {
  const c = await startLocalCluster({ n: 2, ...fast, streamMode: mode, rateLimit: unlimited });
  try {
    await c.waitConnected();
    let received = 0;
    let wake: (() => void) | undefined;
    c.node(1).onMessage(() => {
      received++;
      wake?.();
    });
    const msg = new Uint8Array(size).fill(1);
    const t = performance.now();
    let sent = 0;
    while (sent < count) {
      while (sent < count && sent - received < window) {
        c.node(0).send(1, msg);
        sent++;
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 1_000); // never wait forever on a lost message
      });
    }
    const deadline = Date.now() + 10_000;
    while (received < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const secs = (performance.now() - t) / 1000;
    return {
      mibPerSec: (received * size) / MiB / secs,
      msgsPerSec: received / secs,
      lost: count - received,
    };
  } finally {
    await c.close();
  }
}

async function qbftOverLibp2p(signing: "secp256k1" | "noop", instances: number): Promise<Stats> {
  const c = await startLocalCluster({ n: 4, ...fast });
  const nodes: QbftNode[] = [];
  try {
    await c.waitConnected();
    let signers: Signer[];
    let verifier: Verifier;
    if (signing === "secp256k1") {
      signers = c.identities.map((id) => secp256k1Signer(id.secretKey));
      verifier = secp256k1Verifier(c.identities.map((id) => id.publicKey));
    } else {
      const ns = noopSigning(4);
      signers = [0, 1, 2, 3].map(() => ns.signer);
      verifier = ns.verifier;
    }
    for (let i = 0; i < 4; i++) {
      nodes.push(
        createQbftNode({
          n: 4,
          self: i,
          transport: c.node(i),
          clock: systemClock,
          signer: signers[i] as Signer,
          verifier,
          isValid: isValidTestValue,
        }),
      );
    }
    const times: number[] = [];
    for (let slot = 1; slot <= instances + 5; slot++) {
      const instance = { slot, dutyType: 2 };
      const t = performance.now();
      await Promise.all(nodes.map((nd, i) => nd.propose(instance, testValue(instance, i))));
      if (slot > 5) times.push(performance.now() - t);
    }
    return summarize(times);
  } finally {
    for (const nd of nodes) nd.close();
    await c.close();
  }
}

async function qbftOnSimnet(signing: "secp256k1" | "noop", instances: number): Promise<Stats> {
  const sim = createSimCluster({ n: 4, seed: 1, signing, flushAsync: false });
  const times: number[] = [];
  for (let slot = 1; slot <= instances + 5; slot++) {
    const instance = { slot, dutyType: 2 };
    const t = performance.now();
    sim.start(instance);
    await sim.net.run(sim.net.now());
    if (sim.decidedBy(instance).size !== 4) throw new Error(`simnet slot ${slot} undecided`);
    if (slot > 5) times.push(performance.now() - t);
  }
  return summarize(times);
}

const rttRuns = quick ? 200 : 1000;
console.log(`Round trip, 1 KiB, ${rttRuns} runs (loopback, Noise + Yamux):`);
const rows: (string | number)[][] = [["stream mode", "median", "p99", "mean"]];
for (const mode of ["reuse", "per-message"] as const) {
  const s = await rtt(mode, rttRuns);
  rows.push([mode, ms(s.median), ms(s.p99), ms(s.mean)]);
}
table(rows);

const count = quick ? 200 : 1000;
console.log(`\nThroughput, ${count} × 100 KiB one way, window 64 messages (rate limit off):`);
const trows: (string | number)[][] = [["stream mode", "MiB/s", "msgs/s", "lost"]];
for (const mode of ["reuse", "per-message"] as const) {
  const r = await throughput(mode, count, 100 * KiB, 64);
  trows.push([mode, r.mibPerSec.toFixed(1), r.msgsPerSec.toFixed(0), r.lost]);
}
table(trows);

const inst = quick ? 15 : 60;
console.log(
  `\nQBFT decide latency per instance, n = 4, ${inst} instances (all 4 nodes in this process):`,
);
const qrows: (string | number)[][] = [
  ["signing", "libp2p median", "libp2p p99", "simnet median", "simnet p99", "ratio (median)"],
];
for (const signing of ["secp256k1", "noop"] as const) {
  const p = await qbftOverLibp2p(signing, inst);
  const s = await qbftOnSimnet(signing, inst);
  qrows.push([
    signing,
    ms(p.median),
    ms(p.p99),
    ms(s.median),
    ms(s.p99),
    `${(p.median / s.median).toFixed(1)}×`,
  ]);
}
table(qrows);
