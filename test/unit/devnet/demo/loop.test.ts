/**
 * The demo's run loop (src/devnet/demo/loop.ts) against a stalled one-node devnet, as seen with a
 * CPU-starved Lodestar v1.39.1 (Fulu): the head stuck at slot 7 while the clock went on, every
 * duty request answered HTTP 503 "Node is syncing - waiting for peers". The loop must stop with a
 * clear error (no stack trace, naming --seconds-per-slot), not judge a dead chain to its end; an
 * epoch whose duties cannot be read is said and recorded once, however many ticks retry it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DemoRun } from "../../../../src/devnet/demo/context.js";
import { runDemoLoop } from "../../../../src/devnet/demo/loop.js";
import { BaseError } from "../../../../src/errors.js";

const SLOTS_PER_EPOCH = 8;

/**
 * A DemoRun whose clock moves one slot every `msPerSlot` from `startSlot`, over a beacon whose head
 * stays at `headSlot(slot)` and whose duty endpoints refuse with `dutyError` (undefined: serve).
 */
function fakeRun(o: {
  startSlot: number;
  endSlot: number;
  msPerSlot: number;
  headSlot: (slot: number) => number;
  dutyError?: string;
}) {
  const t0 = Date.now();
  const nowSlot = () => o.startSlot + Math.floor((Date.now() - t0) / o.msPerSlot);
  const said: string[] = [];
  const observeCalls: number[] = [];
  const judge = {
    async observe(epoch: number) {
      observeCalls.push(epoch);
      if (o.dutyError) throw new Error(o.dutyError);
    },
  };
  const run = {
    opts: { dir: "/tmp/rpdvt-demo-x" },
    say: (l: string) => said.push(l),
    beacon: {
      async syncing() {
        const head = o.headSlot(nowSlot());
        const distance = nowSlot() - head;
        return {
          headSlot: head,
          syncDistance: distance,
          isSyncing: distance > SLOTS_PER_EPOCH,
          isOptimistic: false,
          elOffline: false,
        };
      },
      async finalityCheckpoints() {
        return { finalized: { epoch: 0 } };
      },
    },
    chain: { slotsPerEpoch: SLOTS_PER_EPOCH, secondsPerSlot: 3 },
    squad: { status: async () => undefined, running: () => true },
    reports: { add() {} },
    judge,
    baseline: { observe: async () => {} },
    plan: { changes: [] },
    exit: undefined,
    latency: { tick: async () => {} },
    judgeGaps: [] as number[],
    endSlot: o.endSlot,
    nowSlot,
  } as unknown as DemoRun;
  return { run, said, observeCalls };
}

test("a devnet whose head stays more than an epoch behind stops the run with a clear error", async () => {
  // Head stuck at slot 7 from slot 8 on (the first Fulu slot), clock at slot 30 onwards.
  const { run } = fakeRun({
    startSlot: 30,
    endSlot: 80,
    msPerSlot: 40,
    headSlot: (s) => Math.min(s, 7),
    dutyError: "Beacon node rejected POST /eth/v1/validator/duties/attester/4 (HTTP 503)",
  });
  const started = Date.now();
  await assert.rejects(runDemoLoop(run), (e: unknown) => {
    assert.ok(e instanceof BaseError, `a BaseError, got ${e}`);
    assert.match(e.shortMessage, /stalled: head slot 7 at slot \d+/);
    assert.ok(e.metaMessages.some((m) => m.includes("--seconds-per-slot")));
    assert.ok(e.metaMessages.some((m) => m.includes("/tmp/rpdvt-demo-x/devnet/lodestar.log")));
    return true;
  });
  // Stopped at once, long before the run's end slot (50 slots × 40 ms = 2 s).
  assert.ok(Date.now() - started < 1_500, `${Date.now() - started} ms`);
});

test("a head within an epoch of the clock is no stall: the run goes to its end slot", async () => {
  // Head lags 6 slots (blocks missed on a loaded host) but the chain still advances.
  const { run } = fakeRun({ startSlot: 16, endSlot: 20, msPerSlot: 150, headSlot: (s) => s - 6 });
  await runDemoLoop(run);
  assert.ok(run.nowSlot() >= 20);
  assert.deepEqual(run.judgeGaps, []);
});

test("an epoch whose duties cannot be read is said and recorded once, not once per tick", async () => {
  const { run, said, observeCalls } = fakeRun({
    startSlot: 16,
    endSlot: 18,
    msPerSlot: 700, // ≥ 2 ticks (500 ms) per slot: epoch 2 is retried several times
    headSlot: (s) => s,
    dutyError: "Beacon node rejected POST /eth/v1/validator/duties/attester/2 (HTTP 503)",
  });
  await runDemoLoop(run);
  assert.ok(observeCalls.length >= 3, `observe called ${observeCalls.length} times`);
  assert.deepEqual(run.judgeGaps, [2]);
  assert.equal(said.filter((l) => l.includes("duties of epoch 2 not read")).length, 1);
});

test("a beacon node dropping the live line's finality request (Lodestar 1.5.1 at load 24: UND_ERR_SOCKET) does not end the run; the relay is paused and resumed on cue", async () => {
  const { run, said } = fakeRun({ startSlot: 16, endSlot: 22, msPerSlot: 300, headSlot: (s) => s });
  (run.beacon as { finalityCheckpoints: () => Promise<unknown> }).finalityCheckpoints =
    async () => {
      throw new Error(
        "No beacon node answered GET /eth/v1/beacon/states/head/finality_checkpoints",
      );
    };
  const calls: string[] = [];
  run.relay = {
    url: "http://127.0.0.1:1",
    pause: async () => {
      calls.push("pause");
    },
    resume: async () => {
      calls.push("resume");
    },
  } as unknown as DemoRun["relay"];
  run.plan.changes = [
    { atSlot: 16, kind: "pause-relay" },
    { atSlot: 18, kind: "resume-relay" },
  ];
  await runDemoLoop(run);
  assert.ok(run.nowSlot() >= 22);
  assert.ok(
    said.some((l) => /finalized \?/.test(l)),
    said.join("\n"),
  );
  assert.deepEqual(calls, ["pause", "resume"]);
  assert.ok(said.some((l) => l.includes("relay http://127.0.0.1:1 paused")));
});
