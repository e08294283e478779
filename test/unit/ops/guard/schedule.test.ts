/**
 * When the key guard looks (src/ops/guard/schedule.ts), on a fake clock (node:test mock timers,
 * devnet timing: 8-slot epochs of 2 s): a key recreated just after an epoch start is refused from
 * the next slot on (the per-epoch timer found it a whole epoch later); a source's change trigger
 * refuses it within the trigger delay, mid-slot; a source without a watch (the keymanager API) is
 * asked at most once per slot however many triggers come; a trigger during a look gets one more
 * look; nothing after stop. Then the real thing without a fake clock: a Smartnode folder's
 * fs.watch trigger refuses a recreated Teku keystore long before the next poll.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { DutyType } from "../../../../src/core/types.js";
import { createKeyGuard, type KeyGuard } from "../../../../src/ops/guard/guard.js";
import {
  DEFAULT_TRIGGER_MS,
  guardEpoch,
  oncePerSlot,
  startKeyGuard,
} from "../../../../src/ops/guard/schedule.js";
import {
  createSmartnodeSource,
  type KeyFindings,
  type KeySource,
} from "../../../../src/ops/guard/smartnode.js";
import { writeRocketPoolFixture } from "../../../../src/rocketpool/fixture.js";
import { PER_KEY_LAYOUTS, pubkeyName } from "../../../../src/rocketpool/layout.js";
import { makeTempDir } from "../../../helpers.js";

const SLOT_MS = 2_000;
const SLOTS_PER_EPOCH = 8;
const EPOCH_MS = SLOT_MS * SLOTS_PER_EPOCH;
const GENESIS_MS = 1_000_000;
const pk = (i: number) => `0x${i.toString(16).padStart(2, "0").repeat(48)}`;
const PKS = Array.from({ length: 24 }, (_, i) => pk(i + 1));
const EXPOSED = PKS[5] as string;
const duty = { slot: 0, type: DutyType.Attester };

/** A source whose findings the test sets; counts calls; optionally watchable. */
function fakeSource(o: { watchable: boolean; hold?: boolean }) {
  let found = new Map<string, string[]>();
  let release: (() => void) | undefined;
  const listeners = new Set<() => void>();
  const s: KeySource & {
    calls: number;
    recreate(): void;
    change(): void;
    finishHeld(): void;
    listeners: Set<() => void>;
  } = {
    name: "fake",
    calls: 0,
    listeners,
    recreate() {
      found = new Map([[EXPOSED.slice(2), ["validators/teku/keys/0x06….json"]]]);
    },
    change() {
      for (const l of listeners) l();
    },
    finishHeld() {
      release?.();
    },
    async find(want: ReadonlySet<string>): Promise<KeyFindings> {
      s.calls++;
      if (o.hold) await new Promise<void>((r) => (release = r));
      return { found: new Map([...found].filter(([h]) => want.has(h))), warnings: [] };
    },
  };
  if (o.watchable)
    s.watch = (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    };
  return s;
}

function guardOver(sources: KeySource[]): KeyGuard {
  return createKeyGuard({
    pubkeys: PKS,
    sources,
    liveness: { rearm() {}, status: () => "watching" },
    log() {},
  });
}

const clock = { genesisMs: GENESIS_MS, slotMs: SLOT_MS, slotsPerEpoch: SLOTS_PER_EPOCH };
/** Let the looks' promise chains run (setImmediate is not mocked). */
const settle = async () => {
  for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
};
const slotStart = (slot: number) => GENESIS_MS + slot * SLOT_MS;

describe("key guard timing (fake clock)", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 }));
  afterEach(() => mock.timers.reset());

  /** Advance the fake clock to `ms`, running timers and the looks they start. */
  async function runTo(ms: number): Promise<void> {
    mock.timers.tick(ms - Date.now());
    await settle();
  }

  it("a key recreated just after an epoch start is refused from the next slot's start, not the next epoch's", async () => {
    const src = fakeSource({ watchable: false });
    const guard = guardOver([src]);
    const epoch = 5;
    await runTo(slotStart(epoch * SLOTS_PER_EPOCH) + 10);
    const stop = startKeyGuard(guard, [src], clock);
    await runTo(slotStart(epoch * SLOTS_PER_EPOCH) + 50);
    src.recreate(); // slot 40 (epoch 5's first), 50 ms in
    const recreatedSlot = epoch * SLOTS_PER_EPOCH;
    let refusedAt: number | undefined;
    for (let slot = recreatedSlot + 1; slot < recreatedSlot + 2 * SLOTS_PER_EPOCH; slot++) {
      // Attestations are made a third into the slot (consensus-specs validator.md).
      await runTo(slotStart(slot) + SLOT_MS / 3);
      if (guard.gate(EXPOSED, { ...duty, slot })) {
        refusedAt = slot;
        break;
      }
    }
    stop();
    assert.equal(refusedAt, recreatedSlot + 1, "refused from the slot after the recreate");
    assert.equal(guard.exposed()[0]?.sinceEpoch, epoch);
    for (const p of PKS) if (p !== EXPOSED) assert.equal(guard.gate(p, duty), undefined);
    assert.equal(src.calls, 1, "one look per slot start, none before the key came back");
  });

  it("looks at every slot start (and only then, without a trigger); nothing after stop", async () => {
    const src = fakeSource({ watchable: true });
    const guard = guardOver([src]);
    await runTo(slotStart(17) + 300);
    const stop = startKeyGuard(guard, [src], clock);
    await runTo(slotStart(17) + SLOT_MS - 1);
    assert.equal(src.calls, 0, "no look before the next slot start");
    await runTo(slotStart(18));
    assert.equal(src.calls, 1);
    for (let slot = 19; slot <= 18 + 2 * SLOTS_PER_EPOCH; slot++) await runTo(slotStart(slot) + 1);
    assert.equal(src.calls, 1 + 2 * SLOTS_PER_EPOCH, "one look per slot for two epochs");
    stop();
    assert.equal(src.listeners.size, 0, "watch stopped");
    await runTo(slotStart(60));
    assert.equal(src.calls, 1 + 2 * SLOTS_PER_EPOCH, "no look after stop");
  });

  it("a change trigger refuses the key within the trigger delay, mid-slot", async () => {
    const src = fakeSource({ watchable: true });
    const guard = guardOver([src]);
    await runTo(slotStart(30) + 100);
    const stop = startKeyGuard(guard, [src], clock);
    await runTo(slotStart(30) + 200);
    src.recreate();
    src.change();
    src.change(); // a burst of events: one look
    await runTo(slotStart(30) + 200 + DEFAULT_TRIGGER_MS - 1);
    assert.equal(guard.gate(EXPOSED, duty), undefined, "not before the trigger delay");
    await runTo(slotStart(30) + 200 + DEFAULT_TRIGGER_MS);
    assert.equal(guard.gate(EXPOSED, duty)?.reason, "key-exposed");
    assert.equal(src.calls, 1);
    stop();
  });

  it("a source without a watch (keymanager) is asked at most once per slot, whatever the triggers", async () => {
    const files = fakeSource({ watchable: true });
    const km = fakeSource({ watchable: false });
    const paced = [files, oncePerSlot(km, clock)];
    const guard = guardOver(paced);
    await runTo(slotStart(8) + 10);
    const stop = startKeyGuard(guard, paced, clock);
    await runTo(slotStart(9) + 10);
    assert.deepEqual([files.calls, km.calls], [1, 1]);
    for (let k = 0; k < 5; k++) {
      files.change();
      await runTo(Date.now() + DEFAULT_TRIGGER_MS + 5);
    }
    assert.deepEqual([files.calls, km.calls], [6, 1], "five triggered looks, keymanager once");
    km.recreate();
    await runTo(slotStart(10) + 10);
    assert.deepEqual([files.calls, km.calls], [7, 2], "next slot: asked again");
    assert.equal(guard.gate(EXPOSED, duty)?.reason, "key-exposed");
    stop();
  });

  it("a trigger during a slow look gets one more look after it (never lost, never stacked)", async () => {
    const src = fakeSource({ watchable: true, hold: true });
    const guard = guardOver([src]);
    await runTo(slotStart(3) + 10);
    const stop = startKeyGuard(guard, [src], clock);
    await runTo(slotStart(4) + 10);
    assert.equal(src.calls, 1, "slot look running (held)");
    src.recreate();
    src.change();
    await runTo(Date.now() + DEFAULT_TRIGGER_MS);
    src.change();
    await runTo(Date.now() + DEFAULT_TRIGGER_MS);
    assert.equal(src.calls, 1, "no second look while one runs");
    src.finishHeld();
    await settle();
    assert.equal(src.calls, 2, "one look after it, for both triggers");
    src.finishHeld();
    await settle();
    assert.equal(guard.gate(EXPOSED, duty)?.reason, "key-exposed");
    assert.equal(src.calls, 2);
    stop();
  });

  it("guardEpoch: epoch by the wall clock, 0 before genesis", () => {
    assert.equal(guardEpoch({ ...clock, now: () => GENESIS_MS - 5_000 }), 0);
    assert.equal(guardEpoch({ ...clock, now: () => GENESIS_MS + 3 * EPOCH_MS - 1 }), 2);
    assert.equal(guardEpoch({ ...clock, now: () => GENESIS_MS + 3 * EPOCH_MS }), 3);
  });
});

describe("key guard timing (real fs.watch)", () => {
  it("a Teku keystore recreated mid-slot is refused within ~the trigger delay, long before the next poll", async () => {
    const root = await makeTempDir("guard-watch");
    try {
      const fx = await writeRocketPoolFixture(join(root, "fx"), { validators: 24 });
      const live = join(root, "live", "data");
      await fsp.mkdir(live, { recursive: true });
      await fsp.cp(join(fx.dataDir, "wallet"), join(live, "wallet"));
      const src = createSmartnodeSource(live);
      const guard = createKeyGuard({
        pubkeys: fx.pubkeys,
        sources: [src],
        liveness: { rearm() {}, status: () => "watching" },
        log() {},
      });
      assert.deepEqual((await guard.check(0)).fired, []);
      // Slots of 10 minutes: only the watch can find it within this test.
      const stop = startKeyGuard(guard, [src], {
        genesisMs: Date.now() - 1_000,
        slotMs: 600_000,
        slotsPerEpoch: 32,
      });
      try {
        const hex = fx.pubkeys[7]?.slice(2).toLowerCase() as string;
        const teku = PER_KEY_LAYOUTS.find((l) => l.client === "teku");
        assert.ok(teku);
        const rel = teku.keystore(pubkeyName(hex));
        const t0 = Date.now();
        // `validators/teku/keys` does not exist yet: the ancestors' watches catch its creation.
        await fsp.mkdir(join(live, rel, ".."), { recursive: true });
        await fsp.cp(join(fx.dataDir, rel), join(live, rel));
        while (!guard.gate(`0x${hex}`, duty) && Date.now() - t0 < 5_000)
          await new Promise((r) => setTimeout(r, 10));
        const ms = Date.now() - t0;
        assert.equal(
          guard.gate(`0x${hex}`, duty)?.reason,
          "key-exposed",
          `not refused in ${ms} ms`,
        );
        assert.ok(ms < 2_000, `refused after ${ms} ms`);
        assert.deepEqual(guard.exposed()[0]?.where, [rel]);
      } finally {
        stop();
      }
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });
});
