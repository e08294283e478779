/**
 * The builder-registration handler alone (src/core/duties/builder-registration.ts) over a
 * DutyContext of plain arrays: re-signing only what changed, POSTing only decided registrations,
 * and never a timestamp older than one already POSTed (builder-specs `process_registration`). The
 * squad on the simulated network: test/integration/core/duties/builder-registration.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { bellatrix } from "@lodestar/types";
import { builderDomain } from "../../../../src/builder/registration.js";
import { builderRegistrationHandlers } from "../../../../src/core/duties/builder-registration.js";
import type { DutyContext, DutyHandler } from "../../../../src/core/duty-handler.js";
import type { FetchResult } from "../../../../src/core/interfaces.js";
import {
  type Duty,
  type DutyDefinition,
  DutyType,
  type PubkeyHex,
  type UnsignedData,
} from "../../../../src/core/types.js";

const OTHER = `0x${"66".repeat(20)}`;

/** A DutyContext over plain arrays (the handler alone, no steps). */
function fakeCtx() {
  const proposed: Map<PubkeyHex, UnsignedData>[] = [];
  const submitted: { duty: Duty; pk: PubkeyHex }[] = [];
  const batches: number[] = [];
  /** Every POSTed registration, in order. */
  const posted: bellatrix.SignedValidatorRegistrationV1[] = [];
  const used: { duty: Duty; pk: PubkeyHex }[] = [];
  const decided = new Map<PubkeyHex, UnsignedData>();
  const ctx = {
    slotsPerEpoch: 4,
    slotStartMs: (s: number) => s * 12_000,
    start() {},
    propose(_d: Duty, fetched: Promise<FetchResult>) {
      void fetched.then((r) => proposed.push(r.set));
    },
    decided: (_d: Duty, pk: PubkeyHex) => decided.get(pk),
    submit(duty: Duty, pk: PubkeyHex) {
      submitted.push({ duty, pk });
    },
    used(duty: Duty, pk: PubkeyHex) {
      used.push({ duty, pk });
    },
    broadcaster: {
      registrations: async (list: readonly bellatrix.SignedValidatorRegistrationV1[]) => {
        batches.push(list.length);
        posted.push(...list);
      },
    },
  } as unknown as DutyContext;
  return { ctx, proposed, submitted, batches, decided, posted, used };
}

/** A handler over `n` validators (4-slot epochs from time 1,000) and a fake context. */
function setup(n: number) {
  const chain = {
    genesisTime: 1_000,
    secondsPerSlot: 12,
    slotsPerEpoch: 4,
    forks: [{ name: "phase0", epoch: 0, version: Uint8Array.of(0, 0, 0, 0x42) }],
  };
  const pks = Array.from({ length: n }, (_, i) => `0x${(i + 1).toString(16).padStart(96, "0")}`);
  const recipients = new Map(pks.map((pk, i) => [pk, `0x${(i + 16).toString(16).repeat(20)}`]));
  const [h] = builderRegistrationHandlers({
    chain,
    gasLimit: 36_000_000,
    feeRecipients: recipients,
  });
  assert.ok(h?.onDuty && h.signRequest && h.validate);
  const defs = () =>
    new Map<PubkeyHex, DutyDefinition>(
      pks.map((pk) => [pk, { kind: "registration", feeRecipient: recipients.get(pk) as string }]),
    );
  const handler = h as DutyHandler & Required<Pick<DutyHandler, "onDuty" | "signRequest">>;
  return { chain, pks, recipients, h: handler, f: fakeCtx(), defs };
}

describe("builder-registration handler: re-signing only what changed", () => {
  it("a changed fee recipient gets a new timestamp and a signature; the others are re-submitted", async () => {
    const { chain, pks, recipients, h, f, defs } = setup(25);
    const sig = new Uint8Array(96).fill(7);
    // Epoch 0: nothing cached, every entry fresh (timestamp = epoch 0's start) and signed.
    h.onDuty(f.ctx, { slot: 0, type: DutyType.BuilderRegistration }, defs());
    await Promise.resolve();
    const first = f.proposed[0] as Map<PubkeyHex, UnsignedData>;
    assert.equal(first.size, 25);
    const epoch0 = { slot: 0, type: DutyType.BuilderRegistration };
    for (const [pk, u] of first) {
      assert.ok(u.kind === "registration" && !u.signature && u.registration.timestamp === 1_000);
      assert.ok(h.signRequest(f.ctx, pk, u, epoch0), "fresh entries are signed");
      f.decided.set(pk, u);
      h.onAggregated(f.ctx, epoch0, pk, sig);
    }
    await Promise.resolve();
    assert.deepEqual(f.batches, [25], "one POST for the batch");
    // Epoch 1: validator 3's recipient changes (e.g. it joined the smoothing pool).
    const changed = pks[3] as PubkeyHex;
    recipients.set(changed, OTHER);
    const epoch1 = { slot: 4, type: DutyType.BuilderRegistration };
    h.onDuty(f.ctx, epoch1, defs());
    await Promise.resolve();
    assert.deepEqual(f.batches, [25], "nothing POSTed before the epoch's decision");
    const second = f.proposed[1] as Map<PubkeyHex, UnsignedData>;
    let toSign = 0;
    for (const [pk, u] of second) {
      assert.ok(u.kind === "registration");
      if (pk === changed) {
        assert.equal(u.signature, undefined);
        assert.equal(u.registration.timestamp, 1_000 + 48, "epoch 1's start: newer");
      } else {
        assert.deepEqual(u.signature, sig, "carried with its signature");
        assert.equal(u.registration.timestamp, 1_000);
      }
      if (h.signRequest(f.ctx, pk, u, epoch1)) toSign++;
    }
    assert.equal(toSign, 1, "only the changed registration is signed");
    await Promise.resolve();
    assert.deepEqual(f.batches, [25, 24], "the unchanged 24 re-submitted once decided");
    // Validity: the old recipient for the changed validator is refused now.
    const domain = builderDomain(chain.forks[0]?.version as Uint8Array);
    assert.ok(domain.length === 32);
    const old = first.get(changed) as UnsignedData;
    assert.equal(h.validate?.({} as never, 4, changed, old, undefined), "fee-recipient");
    const fresh = second.get(changed) as UnsignedData;
    assert.equal(h.validate?.({} as never, 4, changed, fresh, undefined), true);
    // A timestamp after the duty's epoch, or not on an epoch start, is refused.
    const at = (timestamp: number): UnsignedData =>
      fresh.kind === "registration"
        ? { kind: "registration", registration: { ...fresh.registration, timestamp } }
        : fresh;
    assert.equal(h.validate?.({} as never, 4, changed, at(1_000 + 96), undefined), "timestamp");
    assert.equal(h.validate?.({} as never, 4, changed, at(1_000 + 47), undefined), "timestamp");
    // A carried signature that does not verify is refused.
    const forged: UnsignedData =
      fresh.kind === "registration" ? { ...fresh, signature: sig } : fresh;
    assert.equal(h.validate?.({} as never, 4, changed, forged, undefined), "signature");
  });

  it("POSTs only decided registrations, never one older than it POSTed (stale cache after a restart)", async () => {
    // Stop 20's CI: the devnet relay refused 2 registrations "timestamp older than the registered
    // one". The path: this operator held epoch 0's registration; after the demo's restarts a
    // restarted leader (empty cache) proposed a fresh one with epoch 2's timestamp, which the
    // cluster decided and POSTed — but this operator never completed the aggregate. At epoch 3 it
    // re-submitted its held epoch-0 registration at the duty's start: older than the relay's.
    const { pks, h, f, defs } = setup(7);
    const duty = (epoch: number): Duty => ({ slot: epoch * 4, type: DutyType.BuilderRegistration });
    const sig = (b: number) => new Uint8Array(96).fill(b);
    const tick = () => new Promise((r) => setImmediate(r));
    // Epoch 0: fresh, signed, aggregated, POSTed.
    h.onDuty(f.ctx, duty(0), defs());
    await tick();
    for (const [pk, u] of f.proposed[0] as Map<PubkeyHex, UnsignedData>) {
      h.signRequest(f.ctx, pk, u, duty(0));
      f.decided.set(pk, u);
      h.onAggregated(f.ctx, duty(0), pk, sig(1));
    }
    await tick();
    // Epoch 2: the cluster decides a fresh registration (epoch 2's start, no signature yet): this
    // operator signs its share but its aggregate never completes.
    h.onDuty(f.ctx, duty(2), defs());
    await tick();
    const fresh = new Map<PubkeyHex, UnsignedData>();
    for (const [pk, u] of f.proposed[1] as Map<PubkeyHex, UnsignedData>) {
      assert.ok(u.kind === "registration" && u.signature, "own proposal: the held one");
      const r = {
        kind: "registration",
        registration: { ...u.registration, timestamp: 1_000 + 96 },
      } as const;
      assert.equal(h.validate?.({} as never, 8, pk, r, undefined), true, "newer: valid");
      assert.ok(h.signRequest(f.ctx, pk, r, duty(2)), "fresh: to be signed");
      fresh.set(pk, r);
    }
    await tick();
    // Epoch 3: nothing is POSTed at the duty's start; the decided value (another operator's
    // aggregate of epoch 2's registration, carried with its signature) is adopted and POSTed.
    const before = f.posted.length;
    h.onDuty(f.ctx, duty(3), defs());
    await tick();
    assert.equal(f.posted.length, before, "no POST before the epoch's decision");
    for (const [pk, r] of fresh) {
      assert.ok(r.kind === "registration");
      const carried = { ...r, signature: sig(2) };
      assert.equal(h.signRequest(f.ctx, pk, carried, duty(3)), undefined, "adopted, not signed");
    }
    await tick();
    assert.equal(f.posted.length, before + pks.length);
    // Epoch 2's own aggregate finally completes (late): superseded by what is held, not POSTed.
    const older = { slot: 4, type: DutyType.BuilderRegistration };
    for (const pk of pks) {
      f.decided.set(pk, {
        kind: "registration",
        registration: {
          ...(fresh.get(pk) as { registration: bellatrix.ValidatorRegistrationV1 }).registration,
          timestamp: 1_000 + 48,
        },
      });
      h.onAggregated(f.ctx, older, pk, sig(3));
    }
    await tick();
    assert.equal(f.posted.length, before + pks.length, "an older aggregate is not POSTed");
    assert.equal(f.used.filter((u) => u.duty.slot === 4).length, pks.length, "…but counted done");
    // Per validator, what was POSTed never goes back in time (the relay's rule).
    for (const pk of pks) {
      const ts = f.posted
        .filter((p) => `0x${Buffer.from(p.message.pubkey).toString("hex")}` === pk)
        .map((p) => p.message.timestamp);
      assert.deepEqual(
        ts,
        [...ts].sort((a, b) => a - b),
        `${pk}: ${ts.join(", ")}`,
      );
      assert.deepEqual(ts, [1_000, 1_096]);
    }
  });
});
