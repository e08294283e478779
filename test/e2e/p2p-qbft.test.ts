/**
 * QBFT consensus (src/core/consensus) over the libp2p transport: 4 nodes on loopback with real
 * secp256k1 operator keys (the libp2p identities sign QBFT messages) and the system clock decide
 * 10 consecutive instances, then keep deciding with one node stopped (including an instance whose
 * first leader is the stopped node, so a round change over the network is needed — at once, as
 * the nodes see that leader disconnected, not after round 1's timer). Prints the
 * decide latency per instance, and the same measured on the zero-latency simnet for comparison.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createQbftNode, type QbftNode, verifyDecided } from "../../src/core/consensus/node.js";
import { defaultLeader } from "../../src/core/consensus/params.js";
import { secp256k1Signer, secp256k1Verifier } from "../../src/core/consensus/signer.js";
import type { Decided, InstanceId } from "../../src/core/consensus/types.js";
import { systemClock } from "../../src/core/transport.js";
import { type LocalCluster, startLocalCluster } from "../../src/p2p/local-cluster.js";
import { bytesEqual } from "../../src/util/hex.js";
import { createSimCluster, isValidTestValue, testValue } from "../simnet/cluster.js";

const N = 4;
const DUTY = 2;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

/** Wall time per instance on the simulated network with zero latency (pure CPU), secp256k1. */
async function simnetBaseline(instances: number): Promise<number[]> {
  const sim = createSimCluster({ n: N, seed: 1, signing: "secp256k1", flushAsync: false });
  const times: number[] = [];
  for (let slot = 1; slot <= instances + 3; slot++) {
    const instance = { slot, dutyType: DUTY };
    const t0 = performance.now();
    sim.start(instance);
    await sim.net.run(sim.net.now());
    assert.equal(sim.decidedBy(instance).size, N);
    if (slot > 3) times.push(performance.now() - t0); // 3 warm-up instances
  }
  return times;
}

describe("QBFT over the libp2p transport (n = 4, secp256k1, system clock)", () => {
  let c: LocalCluster;
  const nodes: (QbftNode | undefined)[] = [];
  let verifier: ReturnType<typeof secp256k1Verifier>;

  before(async () => {
    c = await startLocalCluster({ n: N, redial: { initialMs: 50, maxMs: 400 }, dialGraceMs: 300 });
    await c.waitConnected();
    verifier = secp256k1Verifier(c.identities.map((id) => id.publicKey));
    for (let i = 0; i < N; i++) {
      nodes[i] = createQbftNode({
        n: N,
        self: i,
        transport: c.node(i),
        clock: systemClock,
        signer: secp256k1Signer(c.identities[i]?.secretKey as Uint8Array),
        verifier,
        isValid: isValidTestValue,
        peerConnected: (p) => c.node(i).connectedPeers().includes(p),
      });
    }
  });
  after(async () => {
    for (const nd of nodes) nd?.close();
    await c?.close();
  });

  /** Run one instance on the given nodes; returns the decisions and the time until all decided. */
  async function decide(slot: number, on: number[]): Promise<{ ds: Decided[]; ms: number }> {
    const instance: InstanceId = { slot, dutyType: DUTY };
    const t0 = performance.now();
    const ds = await withTimeout(
      Promise.all(on.map((i) => (nodes[i] as QbftNode).propose(instance, testValue(instance, i)))),
      10_000,
      `slot ${slot} on nodes ${on.join(",")}`,
    );
    const ms = performance.now() - t0;
    const inputs = on.map((i) => testValue(instance, i));
    for (const d of ds) {
      assert.ok(bytesEqual(d.hash, (ds[0] as Decided).hash), `slot ${slot}: agreement`);
      assert.ok(verifyDecided(d, verifier), `slot ${slot}: valid commit certificate`);
      assert.ok(
        inputs.some((v) => bytesEqual(v, d.value)),
        `slot ${slot}: validity`,
      );
    }
    return { ds, ms };
  }

  test("4 nodes decide the same value for 10 consecutive instances", async (t) => {
    const lat: number[] = [];
    for (let slot = 1; slot <= 10; slot++) {
      const { ds } = await decide(slot, [0, 1, 2, 3]).then((r) => {
        lat.push(r.ms);
        return r;
      });
      assert.equal(ds.length, N);
    }
    const sim = await simnetBaseline(10);
    const [m, p] = [quantile(lat, 0.5), quantile(lat, 0.99)];
    const [sm, sp] = [quantile(sim, 0.5), quantile(sim, 0.99)];
    t.diagnostic(
      `decide latency over libp2p (n=4, 10 instances): median ${m.toFixed(1)} ms, p99 ${p.toFixed(1)} ms`,
    );
    t.diagnostic(
      `same on zero-latency simnet (CPU only): median ${sm.toFixed(1)} ms, p99 ${sp.toFixed(1)} ms → libp2p/simnet ${(m / sm).toFixed(1)}×`,
    );
    for (let i = 0; i < N; i++) {
      const s = c.node(i).stats();
      for (const peer of s.peers)
        assert.equal(peer.decodeErrors + peer.oversize + peer.rateLimited, 0);
      assert.equal(nodes[i]?.stats().counters["drop.source-mismatch"] ?? 0, 0);
    }
  });

  test("with one node stopped the other three still decide (incl. a round change)", async (t) => {
    nodes[3]?.close();
    nodes[3] = undefined;
    await c.stop(3);
    const rounds: number[] = [];
    const took: number[] = [];
    for (let slot = 11; slot <= 14; slot++) {
      const { ds, ms } = await decide(slot, [0, 1, 2]);
      rounds.push((ds[0] as Decided).round);
      took.push(ms);
      t.diagnostic(
        `slot ${slot}: decided in round ${(ds[0] as Decided).round} after ${ms.toFixed(0)} ms`,
      );
    }
    // Slot 12's first-round leader is the stopped node 3: the others must move to round 2.
    assert.equal(defaultLeader({ slot: 12, dutyType: DUTY }, 1, N), 3);
    assert.ok((rounds[1] as number) >= 2, `slot 12 decided in round ${rounds[1]}`);
    // …without waiting out round 1's 750 ms timer: its leader is seen disconnected.
    assert.ok((took[1] as number) < 700, `slot 12 took ${took[1]} ms`);
    assert.ok(
      rounds.some((r) => r === 1),
      "instances with a live leader decide in round 1",
    );
  });
});
