/**
 * The key guard's state machine (src/ops/guard/guard.ts): a found key is refused at once with
 * key-exposed (only that validator), DANGER logged with where, the gauge at 1 and doppelganger
 * protection re-armed; gone → still refused until the re-armed watch is safe; a failed source
 * never releases; a key found again while releasing is exposed again; a doppelganger detected
 * after removal keeps it refused. (When it looks: schedule.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DoppelgangerStatus } from "../../../../src/core/signer/doppelganger.js";
import { DutyType } from "../../../../src/core/types.js";
import { createKeyGuard } from "../../../../src/ops/guard/guard.js";
import type { KeyFindings, KeySource } from "../../../../src/ops/guard/smartnode.js";

const pk = (i: number) => `0x${i.toString(16).padStart(2, "0").repeat(48)}`;
const PKS = Array.from({ length: 24 }, (_, i) => pk(i + 1));
const duty = { slot: 40, type: DutyType.Attester };

/** A source whose findings the test sets. */
function fakeSource(): KeySource & { set(f: Partial<KeyFindings>): void; calls: number } {
  let now: KeyFindings = { found: new Map(), warnings: [] };
  const s = {
    name: "fake",
    calls: 0,
    set(f: Partial<KeyFindings>) {
      now = { found: f.found ?? new Map(), warnings: f.warnings ?? [] };
    },
    async find(want: ReadonlySet<string>) {
      s.calls++;
      return {
        found: new Map([...now.found].filter(([h]) => want.has(h))),
        warnings: now.warnings,
      };
    },
  };
  return s;
}

function harness() {
  const src = fakeSource();
  const status = new Map<string, DoppelgangerStatus>();
  const rearms: [string, number][] = [];
  const gauge = new Map<string, number>();
  const logs: { event: string; fields: Record<string, unknown> }[] = [];
  const guard = createKeyGuard({
    pubkeys: PKS.map((p) => p.toUpperCase().replace("0X", "0x")),
    sources: [src],
    liveness: {
      rearm: (p, e) => {
        rearms.push([p, e]);
        status.set(p, "watching");
      },
      status: (p) => status.get(p) ?? "safe",
    },
    gauge: { set: (l, v) => gauge.set(l.validator, v) },
    log: (event, fields) => logs.push({ event, fields }),
  });
  return { src, status, rearms, gauge, logs, guard };
}

const hex = (p: string) => p.slice(2);

describe("key guard state machine", () => {
  it("found → that validator refused at once (key-exposed), DANGER with where, gauge 1, doppelganger re-armed; others untouched", async () => {
    const h = harness();
    assert.equal(h.gauge.size, 24, "every validator's gauge starts at 0");
    assert.ok([...h.gauge.values()].every((v) => v === 0));
    const first = await h.guard.check(9);
    assert.deepEqual(first.fired, []);
    for (const p of PKS) assert.equal(h.guard.gate(p, duty), undefined);
    const where = ["validators/teku/keys/0xab….json", "validators/lodestar/validators/0xab…"];
    h.src.set({ found: new Map([[hex(PKS[3] as string), where]]) });
    const r = await h.guard.check(10);
    assert.deepEqual(r.fired, [PKS[3]]);
    assert.deepEqual(h.guard.gate(PKS[3] as string, duty), {
      reason: "key-exposed",
      details: `validator key found outside the cluster (${where.join(", ")}) since epoch 10`,
    });
    for (const p of PKS.filter((_, i) => i !== 3)) assert.equal(h.guard.gate(p, duty), undefined);
    assert.equal(h.gauge.get(PKS[3] as string), 1);
    assert.deepEqual(h.rearms, [[PKS[3], 10]]);
    const danger = h.logs.filter((l) => l.event === "DANGER");
    assert.equal(danger.length, 1);
    assert.deepEqual(danger[0]?.fields.where, where);
    assert.equal(danger[0]?.fields.validator, PKS[3]);
    assert.deepEqual(h.guard.exposed(), [
      { pubkey: PKS[3], state: "exposed", where, sinceEpoch: 10 },
    ]);
    // Still there next epoch: no second DANGER, no second re-arm.
    await h.guard.check(11);
    assert.equal(h.logs.filter((l) => l.event === "DANGER").length, 1);
    assert.equal(h.rearms.length, 1);
  });

  it("gone → refused until the re-armed liveness watch is safe; then released, gauge 0", async () => {
    const h = harness();
    const p = PKS[7] as string;
    h.src.set({ found: new Map([[hex(p), ["validators/nimbus/validators/0x…/keystore.json"]]]) });
    await h.guard.check(10);
    h.src.set({});
    const gone = await h.guard.check(11);
    assert.deepEqual(gone.gone, [p]);
    assert.deepEqual(h.rearms.at(-1), [p, 12], "watch from the next whole epoch");
    assert.equal(h.guard.state(p), "releasing");
    assert.equal(h.guard.gate(p, duty)?.reason, "key-exposed");
    assert.equal(h.gauge.get(p), 1);
    await h.guard.check(12); // watching
    assert.equal(h.guard.state(p), "releasing");
    h.status.set(p, "safe");
    const rel = await h.guard.check(13);
    assert.deepEqual(rel.released, [p]);
    assert.equal(h.guard.gate(p, duty), undefined);
    assert.equal(h.gauge.get(p), 0);
    assert.deepEqual(h.guard.exposed(), []);
  });

  it("a source that failed never releases; a doppelganger seen after removal keeps it refused", async () => {
    const h = harness();
    const [a, b] = [PKS[1] as string, PKS[2] as string];
    h.src.set({
      found: new Map([
        [hex(a), ["custom-keys/x.json"]],
        [hex(b), ["validators/prysm-non-hd/direct/accounts/all-accounts.keystore.json"]],
      ]),
    });
    await h.guard.check(5);
    h.src.set({ warnings: ["cannot list validators/teku/keys: EACCES"] });
    const r = await h.guard.check(6);
    assert.deepEqual(r.gone, []);
    assert.equal(h.guard.state(a), "exposed");
    assert.ok(h.logs.some((l) => l.event === "key-guard-warning"));
    h.src.set({});
    await h.guard.check(7);
    assert.equal(h.guard.state(a), "releasing");
    h.status.set(a, "detected");
    h.status.set(b, "safe");
    const r2 = await h.guard.check(9);
    assert.deepEqual(r2.released, [b]);
    assert.equal(h.guard.gate(a, duty)?.reason, "key-exposed");
    assert.ok(
      h.logs.some((l) => l.event === "DANGER" && String(l.fields.what).includes("another signer")),
    );
  });

  it("found again while releasing → exposed again (new DANGER, re-armed)", async () => {
    const h = harness();
    const p = PKS[20] as string;
    h.src.set({ found: new Map([[hex(p), ["a"]]]) });
    await h.guard.check(3);
    h.src.set({});
    await h.guard.check(4);
    h.src.set({ found: new Map([[hex(p), ["b"]]]) });
    const r = await h.guard.check(5);
    assert.deepEqual(r.fired, [p]);
    assert.equal(h.guard.state(p), "exposed");
    assert.equal(h.logs.filter((l) => l.event === "DANGER").length, 2);
    assert.deepEqual(h.rearms.at(-1), [p, 5]);
  });

  it("one look at a time", async () => {
    const h = harness();
    const [x, y] = await Promise.all([h.guard.check(1), h.guard.check(1)]);
    assert.equal(x, y);
    assert.equal(h.src.calls, 1);
  });
});
