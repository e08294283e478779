/**
 * QBFT end to end on the deterministic simnet, n = 4 and 7, properties checked over seeds:
 * agreement (honest nodes decide one value per instance), validity (the value was proposed and
 * passes the predicate), certificates verify, each node delivers once — under crashes, an
 * equivocating leader, forged/garbage/flooding Byzantine nodes, 30% loss, an offline leader,
 * F+1 nodes down (no decision) and back (decision), value locking across rounds, many slots.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeEnvelope, hashValue } from "../../../../src/core/consensus/codec.js";
import { defaultLeader } from "../../../../src/core/consensus/params.js";
import { type InstanceId, MsgType } from "../../../../src/core/consensus/types.js";
import { bytesEqual } from "../../../../src/util/hex.js";
import { equivocatingLeader, flooder, forger, garbageSender } from "../../../simnet/byzantine.js";
import {
  type ClusterOptions,
  createSimCluster,
  type SimCluster,
  testValue,
} from "../../../simnet/cluster.js";

const SIZES = [4, 7];
const NET = { latencyMs: 30, jitterMs: 20 };

const allHonestUpDecided = (c: SimCluster, inst: InstanceId) => () =>
  c.honestUp().every((i) => c.decidedBy(inst).has(i));

async function runInstance(c: SimCluster, inst: InstanceId, untilMs = 60_000): Promise<boolean> {
  c.start(inst);
  return c.net.runUntil(allHonestUpDecided(c, inst), untilMs);
}

function assertSafe(c: SimCluster, what: string): void {
  assert.deepEqual(c.violations(), [], what);
  assert.deepEqual(c.net.scheduler.errors, [], `${what}: no exceptions`);
  for (let i = 0; i < c.n; i++) {
    assert.equal(c.node(i)?.stats().counters["internal-error"] ?? 0, 0, `${what}: node ${i}`);
  }
}

const rounds = (c: SimCluster, inst: InstanceId) =>
  [...c.decidedBy(inst).values()].map((d) => d.round);

describe("simnet QBFT: benign and crash faults", () => {
  it("all nodes decide in round 1 on a healthy network (10 seeds × n = 4, 7)", async () => {
    for (const n of SIZES) {
      for (let seed = 1; seed <= 10; seed++) {
        const c = createSimCluster({ n, seed, ...NET });
        const inst = { slot: 1000 + seed, dutyType: 2 };
        assert.ok(await runInstance(c, inst), `n=${n} seed=${seed}`);
        assert.deepEqual(rounds(c, inst), new Array(n).fill(1));
        const leader = defaultLeader(inst, 1, n);
        assert.deepEqual(c.decidedBy(inst).get(0)?.value, testValue(inst, leader));
        assertSafe(c, `n=${n} seed=${seed}`);
      }
    }
  });

  it("decides with F nodes crashed, whichever they are (10 seeds × n = 4, 7)", async () => {
    for (const n of SIZES) {
      for (let seed = 1; seed <= 10; seed++) {
        const c = createSimCluster({ n, seed, ...NET });
        const down = new Set<number>();
        while (down.size < c.f) down.add(c.net.prng.int(n));
        for (const i of down) c.net.crash(i);
        const inst = { slot: 2000 + seed, dutyType: 1 };
        assert.ok(await runInstance(c, inst), `n=${n} seed=${seed} down=${[...down]}`);
        assert.equal(c.decidedBy(inst).size, n - c.f);
        assertSafe(c, `n=${n} seed=${seed}`);
      }
    }
  });

  it("with the leader offline, rounds change and the value is decided in round ≥ 2", async () => {
    for (const n of SIZES) {
      for (let seed = 1; seed <= 5; seed++) {
        const c = createSimCluster({ n, seed, ...NET });
        const inst = { slot: 3000 + seed, dutyType: 2 };
        const leader = defaultLeader(inst, 1, n);
        c.net.crash(leader);
        assert.ok(await runInstance(c, inst));
        for (const d of c.decidedBy(inst).values()) {
          assert.ok(d.round >= 2, `decided in round ${d.round}`);
          assert.deepEqual(d.value, testValue(inst, defaultLeader(inst, d.round, n)));
        }
        assert.ok(c.net.now() >= 750, "not before the first round timer (750 ms)");
        assertSafe(c, `n=${n} seed=${seed}`);
      }
    }
  });

  it("decides with 30% message loss (5 seeds × n = 4, 7)", async () => {
    for (const n of SIZES) {
      for (let seed = 1; seed <= 5; seed++) {
        const c = createSimCluster({ n, seed, ...NET, dropRate: 0.3, duplicateRate: 0.05 });
        const inst = { slot: 4000 + seed, dutyType: 2 };
        assert.ok(await runInstance(c, inst, 120_000), `n=${n} seed=${seed}`);
        assertSafe(c, `n=${n} seed=${seed}`);
      }
    }
  });

  it("with F+1 nodes down nobody decides; once they are back, everyone decides", async () => {
    for (const n of SIZES) {
      for (let seed = 1; seed <= 3; seed++) {
        const c = createSimCluster({ n, seed, ...NET });
        const down = Array.from({ length: c.f + 1 }, (_, k) => (seed + k * 2) % n);
        for (const i of down) c.net.crash(i);
        const inst = { slot: 5000 + seed, dutyType: 3 };
        c.start(inst);
        await c.net.run(15_000);
        assert.equal(c.log.length, 0, `n=${n} seed=${seed}: no honest node decided anything`);
        const up = c.honestUp();
        for (const i of up) assert.ok((c.node(i)?.round(inst) ?? 0) > 5, "kept changing rounds");
        for (const i of down) c.net.restart(i);
        const ok = await c.net.runUntil(
          () => Array.from({ length: n }, (_, i) => i).every((i) => c.decidedBy(inst).has(i)),
          60_000,
        );
        assert.ok(ok, `n=${n} seed=${seed}: decided after recovery`);
        assertSafe(c, `n=${n} seed=${seed}`);
      }
    }
  });
});

describe("simnet QBFT: Byzantine faults", () => {
  it("an equivocating leader cannot split honest nodes (10 seeds × n = 4, 7)", async () => {
    for (const n of SIZES) {
      for (let seed = 1; seed <= 10; seed++) {
        const c = createSimCluster({ n, seed, ...NET });
        const inst = { slot: 6000 + seed, dutyType: 2 };
        const bad = defaultLeader(inst, 1, n);
        c.setByzantine(bad, true); // runs the protocol, lies in its proposals
        const alt = testValue(inst, bad, true, "/alt");
        c.registerProposed(alt);
        const victims = new Set<number>();
        for (let i = 0; i < n; i++) if (c.net.prng.chance(0.5)) victims.add(i);
        equivocatingLeader(c.net, bad, c.signers[bad] as never, (_v, to) =>
          victims.has(to) ? alt : undefined,
        );
        c.start(inst, { nodes: [...Array(n).keys()] });
        assert.ok(await c.net.runUntil(allHonestUpDecided(c, inst), 60_000), `seed ${seed}`);
        const values = new Set(
          [...c.decidedBy(inst).entries()]
            .filter(([i]) => i !== bad)
            .map(([, d]) => Buffer.from(d.hash).toString("hex")),
        );
        assert.equal(values.size, 1);
        assertSafe(c, `n=${n} seed=${seed}`);
      }
    }
  });

  it("forged signatures, forged sources, replayed justifications and garbage are dropped", async () => {
    for (const n of SIZES) {
      for (const signing of ["mac", "secp256k1"] as const) {
        if (signing === "secp256k1" && n === 7) continue; // cost: one secp256k1 run per size is enough at n = 4
        const c = createSimCluster({ n, seed: 21, ...NET, latencyMs: 60, signing });
        const bad = Array.from({ length: c.f }, (_, k) => k);
        for (const i of bad) {
          c.setByzantine(i);
          forger(c.net, i, c.signers[i] as never, { everyMs: 20, untilMs: 3000 });
          garbageSender(c.net, i, { everyMs: 20, perTick: 3, maxLen: 500, untilMs: 3000 });
        }
        const insts = [0, 1, 2].map((k) => ({ slot: 7000 + k * 3, dutyType: 2 }));
        for (const inst of insts) {
          assert.ok(await runInstance(c, inst, c.net.now() + 60_000), `n=${n} ${signing}`);
        }
        await c.net.run(c.net.now() + 3000);
        // Summed over the honest nodes (a node ignores everything for an instance it delivered).
        const ctr: Record<string, number> = {};
        for (const i of c.honestUp()) {
          for (const [k, v] of Object.entries(c.node(i)?.stats().counters ?? {})) {
            ctr[k] = (ctr[k] ?? 0) + v;
          }
        }
        const sum = (pred: (k: string) => boolean) =>
          Object.entries(ctr)
            .filter(([k]) => pred(k))
            .reduce((a, [, v]) => a + v, 0);
        assert.ok(sum((k) => k.startsWith("decode.")) > 0, "garbage rejected by the decoder");
        assert.ok((ctr["drop.source-mismatch"] ?? 0) > 0, "forged sources rejected");
        assert.ok(sum((k) => k.includes("bad-signature")) > 0, "bad signatures rejected");
        assert.ok(
          sum((k) => k.includes("unjustified") || k.includes("not-from-leader")) > 0,
          "forged justifications rejected",
        );
        assertSafe(c, `n=${n} ${signing}`);
      }
    }
  });

  it("a flooding node neither blocks consensus nor grows memory beyond the bounds", async () => {
    for (const n of SIZES) {
      const c = createSimCluster({ n, seed: 31, ...NET });
      const insts = [0, 1, 2, 3].map((k) => ({ slot: 8000 + k, dutyType: 2 }));
      for (let i = 0; i < c.f; i++) {
        c.setByzantine(i);
        flooder(c.net, i, c.signers[i] as never, {
          everyMs: 25,
          perTick: 15,
          maxRound: 40,
          untilMs: 8_000,
          instances: () => insts,
          onValue: (v) => c.registerProposed(v),
        });
      }
      let maxStored = 0;
      let maxPending = 0;
      const sample = (): void => {
        for (const i of c.honestUp()) {
          const s = c.node(i)?.stats();
          maxStored = Math.max(maxStored, s?.storedMessages ?? 0);
          maxPending = Math.max(maxPending, s?.pendingMessages ?? 0);
        }
        c.net.globalClock.setTimeout(sample, 50);
      };
      sample();
      for (const inst of insts) {
        await c.net.run(c.net.now() + 1000);
        assert.ok(await runInstance(c, inst, c.net.now() + 60_000), `n=${n} slot ${inst.slot}`);
      }
      // Bounds: per started instance n senders × 4 types × (2·10 + 1) rounds; pending ≤ 1024.
      assert.ok(maxStored <= insts.length * n * 4 * 21, `stored ${maxStored}`);
      assert.ok(maxPending <= 1024, `pending ${maxPending}`);
      assert.ok(maxStored > 0);
      const drops = c
        .honestUp()
        .flatMap((i) => Object.entries(c.node(i)?.stats().counters ?? {}))
        .filter(([k]) => k.startsWith("drop."))
        .reduce((a, [, v]) => a + v, 0);
      assert.ok(drops > 100, `flood was dropped (${drops})`);
      assertSafe(c, `n=${n}`);
    }
  });

  it("an invalid value from the leader is not decided; the next round decides a valid one (async predicate)", async () => {
    for (const n of SIZES) {
      const c = createSimCluster({
        n,
        seed: 41,
        ...NET,
        isValid: async (v) => {
          await Promise.resolve();
          return v[0] === 1;
        },
      });
      const inst = { slot: 9000, dutyType: 4 };
      const leader = defaultLeader(inst, 1, n);
      c.start(inst, { value: (i) => testValue(inst, i, i !== leader) });
      assert.ok(await c.net.runUntil(allHonestUpDecided(c, inst), 60_000));
      for (const d of c.decidedBy(inst).values()) {
        assert.equal(d.value[0], 1);
        assert.ok(d.round >= 2);
      }
      assertSafe(c, `n=${n}`);
    }
  });
});

describe("simnet QBFT: locking and sequences", () => {
  it("a value prepared in round 1 is the one decided later (J2), even by a leader that missed it", async () => {
    for (const n of SIZES) {
      for (const leaderMissesProposal of [false, true]) {
        const c = createSimCluster({ n, seed: 51, ...NET });
        const inst = { slot: 10_000, dutyType: 2 };
        const l1 = defaultLeader(inst, 1, n);
        const l2 = defaultLeader(inst, 2, n);
        let blockCommits = true;
        for (let i = 0; i < n; i++) {
          c.net.setOutbound(i, (to, bytes) => {
            const r = decodeEnvelope(bytes);
            if (!r.ok) return [bytes];
            const t = r.envelope.msg.type;
            if (blockCommits && (t === MsgType.Commit || t === MsgType.Decided)) return [];
            if (
              leaderMissesProposal &&
              t === MsgType.PrePrepare &&
              r.envelope.msg.round === 1 &&
              to === l2
            )
              return [];
            return [bytes];
          });
        }
        c.net.globalClock.setTimeout(() => {
          blockCommits = false;
        }, 700);
        c.start(inst);
        assert.ok(await c.net.runUntil(allHonestUpDecided(c, inst), 60_000));
        const v1 = testValue(inst, l1);
        for (const d of c.decidedBy(inst).values()) {
          assert.ok(d.round >= 2, "round 1 could not commit");
          assert.ok(bytesEqual(d.hash, hashValue(v1)), "the round-1 prepared value wins");
        }
        assert.notDeepEqual(testValue(inst, l2), v1);
        assertSafe(c, `n=${n} missed=${leaderMissesProposal}`);
      }
    }
  });

  it("many slots in sequence with the clock advancing, loss and a crash/restart", async () => {
    for (const n of SIZES) {
      const c = createSimCluster({ n, seed: 61, latencyMs: 40, jitterMs: 40, dropRate: 0.05 });
      const slots = 16;
      for (let s = 0; s < slots; s++) {
        c.net.globalClock.setTimeout(() => c.start({ slot: 20_000 + s, dutyType: 2 }), s * 12_000);
      }
      c.net.globalClock.setTimeout(() => c.net.crash(1), 30_000);
      c.net.globalClock.setTimeout(() => c.net.restart(1), 70_000);
      await c.net.run(slots * 12_000 + 20_000);
      for (let s = 0; s < slots; s++) {
        const got = c.decidedBy({ slot: 20_000 + s, dutyType: 2 });
        assert.equal(got.size, n, `slot ${s}: decided by ${[...got.keys()]}`);
      }
      assertSafe(c, `n=${n}`);
    }
  });

  it("runs are reproducible from the seed", async () => {
    const trace = async (seed: number) => {
      const c = createSimCluster({ n: 4, seed, ...NET, dropRate: 0.2 });
      c.net.crash(seed % 4);
      await runInstance(c, { slot: 1, dutyType: 1 });
      return c.log.map((r) => `${r.node}@${r.at}:${r.decided.round}`).join(",");
    };
    assert.equal(await trace(5), await trace(5));
    assert.notEqual(await trace(5), await trace(6));
  });

  it("property: random faults within the model never break safety and always decide", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.constantFrom(4, 7),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          latencyMs: fc.integer({ min: 0, max: 150 }),
          jitterMs: fc.integer({ min: 0, max: 100 }),
          dropRate: fc.double({ min: 0, max: 0.15, noNaN: true }),
          reorderRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          crashes: fc.integer({ min: 0, max: 2 }),
          equivocate: fc.boolean(),
        }),
        async (p) => {
          const opts: ClusterOptions = { ...p, duplicateRate: 0.02 };
          const c = createSimCluster(opts);
          const inst = { slot: 30_000, dutyType: 2 };
          const faulty = new Set<number>();
          while (faulty.size < Math.min(p.crashes, c.f)) faulty.add(c.net.prng.int(p.n));
          const leader = defaultLeader(inst, 1, p.n);
          if (p.equivocate && faulty.size < c.f && !faulty.has(leader)) {
            c.setByzantine(leader, true);
            const alt = testValue(inst, leader, true, "/alt");
            c.registerProposed(alt);
            equivocatingLeader(c.net, leader, c.signers[leader] as never, (_v, to) =>
              to % 2 === 0 ? alt : undefined,
            );
          }
          for (const i of faulty) c.net.crash(i);
          c.start(inst, { nodes: [...Array(p.n).keys()] });
          const ok = await c.net.runUntil(allHonestUpDecided(c, inst), 300_000);
          assert.ok(ok, `liveness ${JSON.stringify(p)}`);
          assertSafe(c, JSON.stringify(p));
        },
      ),
      { seed: 7, numRuns: 25 },
    );
  });
});
