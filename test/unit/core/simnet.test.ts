/**
 * The simulated network itself: seeded PRNG, event ordering, latency/jitter, loss, duplication,
 * reordering, partitions, crash/restart, Byzantine hooks, async draining and reproducibility.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSimnet } from "../../simnet/network.js";
import { createPrng } from "../../simnet/prng.js";
import { Scheduler } from "../../simnet/scheduler.js";

const b = (...x: number[]) => new Uint8Array(x);

describe("prng", () => {
  it("is reproducible per seed, differs across seeds, and is roughly uniform", () => {
    const a = createPrng(1);
    const a2 = createPrng(1);
    const c = createPrng(2);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => a2.next()),
    );
    assert.notEqual(xs[0], c.next());
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
    const buckets = new Array(10).fill(0);
    for (const x of xs) buckets[Math.floor(x * 10)]++;
    for (const k of buckets) assert.ok(k > 850 && k < 1150, `bucket ${k}`);
    const r = createPrng(3);
    assert.ok(Array.from({ length: 1000 }, () => r.int(6)).every((v) => v >= 0 && v < 6));
    assert.equal(createPrng(4).bytes(16).length, 16);
  });
});

describe("scheduler", () => {
  it("runs events in (time, insertion) order and advances simulated time", async () => {
    const s = new Scheduler();
    const order: string[] = [];
    s.at(10, () => order.push("c"));
    s.at(5, () => order.push("a"));
    s.at(5, () => order.push("b"));
    const x = s.at(7, () => order.push("cancelled"));
    s.cancel(x);
    s.at(20, () => {
      order.push(`d@${s.now}`);
      s.after(0, () => order.push("e"));
    });
    await s.run(15);
    assert.deepEqual(order, ["a", "b", "c"]);
    assert.equal(s.now, 15);
    await s.run(100);
    assert.deepEqual(order, ["a", "b", "c", "d@20", "e"]);
    assert.equal(s.now, 100);
  });

  it("drains promise continuations before time moves on", async () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.at(1, () => {
      Promise.resolve()
        .then(() => null)
        .then(() => s.after(0, () => seen.push(s.now)));
    });
    s.at(2, () => seen.push(s.now));
    await s.run(10);
    assert.deepEqual(seen, [1, 2], "the async continuation ran at t=1, before t=2");
  });

  it("records callback errors instead of aborting", async () => {
    const s = new Scheduler();
    let ran = false;
    s.at(1, () => {
      throw new Error("x");
    });
    s.at(2, () => {
      ran = true;
    });
    await s.run(5);
    assert.equal(s.errors.length, 1);
    assert.ok(ran);
  });
});

describe("simnet", () => {
  it("delivers with latency + jitter, to everyone but self on broadcast", async () => {
    const net = createSimnet({ n: 3, seed: 1, latencyMs: 100, jitterMs: 50 });
    const got: [number, number, number][] = [];
    for (let i = 0; i < 3; i++) {
      net.transport(i).onMessage((from) => got.push([i, from, net.now()]));
      assert.equal(net.transport(i).self, i);
    }
    net.transport(0).broadcast(b(1));
    await net.run(99);
    assert.equal(got.length, 0);
    await net.run(1000);
    assert.deepEqual(got.map(([to]) => to).sort(), [1, 2]);
    for (const [, from, at] of got) {
      assert.equal(from, 0);
      assert.ok(at >= 100 && at <= 150, `delivered at ${at}`);
    }
  });

  it("drops, duplicates and reorders at the configured rates", async () => {
    const net = createSimnet({
      n: 2,
      seed: 2,
      latencyMs: 10,
      dropRate: 0.3,
      duplicateRate: 0.2,
      reorderRate: 0.5,
      reorderMs: 100,
    });
    const got: number[] = [];
    net
      .transport(1)
      .onMessage((_f, bytes) => got.push((bytes[0] as number) | ((bytes[1] as number) << 8)));
    for (let k = 0; k < 2000; k++) net.transport(0).send(1, b(k & 0xff, k >> 8));
    await net.run(10_000);
    const unique = new Set(got);
    assert.ok(Math.abs(unique.size / 2000 - 0.7) < 0.04, `delivered ${unique.size}`);
    assert.ok(got.length > unique.size, "some duplicates");
    assert.equal(net.stats.sent, 2000);
    assert.ok(Math.abs(net.stats.dropped / 2000 - 0.3) < 0.04);
    let inversions = 0;
    for (let k = 1; k < got.length; k++)
      if ((got[k] as number) < (got[k - 1] as number)) inversions++;
    assert.ok(inversions > 100, `reordered (${inversions} inversions)`);
  });

  it("partitions, heals, crashes and restarts", async () => {
    const net = createSimnet({ n: 4, seed: 3, latencyMs: 5 });
    const got = new Map<number, number>();
    const listen = (i: number) =>
      net.transport(i).onMessage(() => got.set(i, (got.get(i) ?? 0) + 1));
    for (let i = 0; i < 4; i++) listen(i);
    net.partition([
      [0, 1],
      [2, 3],
    ]);
    net.transport(0).broadcast(b(1));
    await net.run(100);
    assert.deepEqual([...got.entries()], [[1, 1]]);
    net.heal();
    net.transport(0).broadcast(b(1));
    await net.run(200);
    assert.deepEqual(
      [1, 2, 3].map((i) => got.get(i)),
      [2, 1, 1],
    );

    let crashed = -1;
    let restarted = -1;
    net.onCrash((i) => {
      crashed = i;
    });
    net.onRestart((i) => {
      restarted = i;
    });
    let fired = false;
    net.clock(2).setTimeout(() => {
      fired = true;
    }, 50);
    net.transport(0).send(2, b(1)); // in flight when 2 crashes
    net.crash(2);
    assert.equal(crashed, 2);
    assert.equal(net.isUp(2), false);
    net.transport(2).send(1, b(1)); // a crashed node sends nothing
    await net.run(400);
    assert.equal(fired, false, "timers of a crashed node never fire");
    assert.equal(got.get(2), 1, "in-flight message to the crashed node was lost");
    assert.equal(got.get(1), 2);
    net.restart(2);
    assert.equal(restarted, 2);
    listen(2); // handlers are lost on crash: the restarted process re-registers
    net.transport(0).send(2, b(1));
    await net.run(500);
    assert.equal(got.get(2), 2);
  });

  it("lets a Byzantine node rewrite its outbound messages and inject raw bytes", async () => {
    const net = createSimnet({ n: 3, seed: 4 });
    const got: string[] = [];
    for (const i of [1, 2]) {
      net.transport(i).onMessage((_f, bytes) => got.push(`${i}:${bytes[0]}`));
    }
    net.setOutbound(0, (to, bytes) => (to === 1 ? [b(9), b(8)] : [bytes]));
    net.transport(0).broadcast(b(7));
    net.inject(0, 2, b(5));
    await net.run(10);
    assert.deepEqual(got.sort(), ["1:8", "1:9", "2:5", "2:7"]);
  });

  it("is reproducible: the same seed gives the same trace, another seed a different one", async () => {
    const trace = async (seed: number): Promise<string> => {
      const net = createSimnet({ n: 4, seed, latencyMs: 20, jitterMs: 30, dropRate: 0.2 });
      const log: string[] = [];
      for (let i = 0; i < 4; i++) {
        net.transport(i).onMessage((f, bytes) => {
          log.push(`${net.now().toFixed(6)}:${f}>${i}:${bytes[0]}`);
          if ((bytes[0] as number) < 5) net.transport(i).broadcast(b((bytes[0] as number) + 1));
        });
      }
      net.transport(0).broadcast(b(0));
      await net.run(10_000);
      return log.join("|");
    };
    const a = await trace(11);
    assert.equal(a, await trace(11));
    assert.notEqual(a, await trace(12));
    assert.ok(a.length > 100);
  });
});
