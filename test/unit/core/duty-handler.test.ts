/**
 * The duty-handler registry (src/core/duty-handler.ts, src/core/duties/index.ts): every duty type
 * has exactly one handler, a registry with a missing or a doubled duty type is refused when the
 * node is wired (naming the duty type and where to fix it), and what the workflow derives from the
 * handlers (backup-deferrable duty types, consensus kinds) is what the node did before the
 * handlers existed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backupDelay, isPrimaryAggregator } from "../../../src/core/backup.js";
import { createDutyHandlers } from "../../../src/core/duties/index.js";
import { type DutyHandler, indexHandlers } from "../../../src/core/duty-handler.js";
import { DutyType, dutyTypeName } from "../../../src/core/types.js";
import { BaseError } from "../../../src/errors.js";

const ALL_TYPES = Object.values(DutyType);

describe("duty handler registry", () => {
  it("has exactly one handler per duty type", () => {
    const handlers = createDutyHandlers();
    const types = handlers.map((h) => h.type).sort((a, b) => a - b);
    assert.deepEqual(
      types,
      [...ALL_TYPES].sort((a, b) => a - b),
    );
    const byType = indexHandlers(handlers);
    assert.equal(byType.size, ALL_TYPES.length);
    for (const t of ALL_TYPES) assert.equal(byType.get(t)?.type, t, dutyTypeName(t));
  });

  for (const missing of ALL_TYPES) {
    it(`refuses a registry without the ${dutyTypeName(missing)} handler`, () => {
      const handlers = createDutyHandlers().filter((h) => h.type !== missing);
      assert.throws(
        () => indexHandlers(handlers),
        (e: unknown) =>
          e instanceof BaseError &&
          e.shortMessage === `No handler for duty type ${dutyTypeName(missing)}` &&
          e.metaMessages.some((m) => m.includes("src/core/duties/index.ts")),
      );
    });
  }

  it("refuses a registry with two handlers of one duty type", () => {
    const handlers = createDutyHandlers();
    const attester = handlers.find((h) => h.type === DutyType.Attester) as DutyHandler;
    assert.throws(
      () => indexHandlers([...handlers, { ...attester }]),
      (e: unknown) =>
        e instanceof BaseError && e.shortMessage === "Duty type attester has two handlers",
    );
  });

  it("consensus duties say what they decide and how it is signed; the others do not", () => {
    const decides = new Map(createDutyHandlers().map((h) => [h.type, h.decides]));
    assert.deepEqual(Object.fromEntries(decides), {
      [DutyType.Proposer]: "block",
      [DutyType.Attester]: "attestation",
      [DutyType.Exit]: undefined,
      [DutyType.Randao]: undefined,
      [DutyType.PrepareAggregator]: undefined,
      [DutyType.Aggregator]: "aggregate",
      [DutyType.SyncMessage]: "sync_message",
      [DutyType.PrepareSyncContribution]: undefined,
      [DutyType.SyncContribution]: "sync_contribution",
      [DutyType.BuilderRegistration]: "registration",
    });
    for (const h of createDutyHandlers()) {
      assert.equal(h.signRequest !== undefined, h.decides !== undefined, dutyTypeName(h.type));
    }
  });

  it("backup aggregation defers exactly the broadcast-only duty types (as before the handlers)", () => {
    const handlers = indexHandlers(createDutyHandlers());
    const pk = "0xaa";
    for (const n of [4, 7]) {
      const delay = backupDelay(
        { index: 0, n, positions: new Map([[pk, 0]]), delayMs: 2000 },
        handlers,
      );
      // Slot 1, position 0: operator 0 is a primary only when (0 − 1) mod n ≤ f — never for n ≥ 4.
      assert.equal(isPrimaryAggregator(0, n, 1, 0), false);
      const deferred = ALL_TYPES.filter((type) => delay({ slot: 1, type }, pk) > 0).sort();
      assert.deepEqual(
        deferred,
        [
          DutyType.Attester,
          DutyType.Proposer,
          DutyType.Aggregator,
          DutyType.SyncMessage,
          DutyType.SyncContribution,
          DutyType.Exit,
          DutyType.BuilderRegistration,
        ].sort(),
      );
      // A primary never waits.
      assert.equal(isPrimaryAggregator(0, n, 0, 0), true);
      for (const type of ALL_TYPES) assert.equal(delay({ slot: 0, type }, pk), 0);
    }
  });
});
