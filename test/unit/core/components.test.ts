/**
 * DV workflow components in isolation: the unsigned-set codec (canonical, strict), the validity
 * predicate, the duty DB's write-once rule, signing roots cross-checked against Lodestar's config
 * (incl. EIP-7044), parsigex (sender/share binding, window, dedupe, fuzzing never crashes),
 * sigagg (t-of-n, aggregate first with fallback to partial verification, Byzantine partials
 * dropped), the metrics exposition and the beacon fallback.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecretKey } from "@chainsafe/blst";
import { createBeaconConfig } from "@lodestar/config";
import { DOMAIN_BEACON_ATTESTER, DOMAIN_RANDAO, DOMAIN_VOLUNTARY_EXIT } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { isPrimaryAggregator } from "../../../src/core/backup.js";
import { type BeaconNode, fallbackBeacon } from "../../../src/core/beacon.js";
import { decodeUnsignedSet, encodeUnsignedSet } from "../../../src/core/codec.js";
import { createDomains, createSigningRoots, isAggregator } from "../../../src/core/domain.js";
import { createDutyHandlers } from "../../../src/core/duties/index.js";
import { indexHandlers } from "../../../src/core/duty-handler.js";
import { createDutyDb } from "../../../src/core/dutydb/dutydb.js";
import { createValidityCheck } from "../../../src/core/fetcher/validate.js";
import { createDvMetrics } from "../../../src/core/metrics.js";
import {
  createParSigEx,
  decodeParSigMessage,
  encodeParSigMessage,
} from "../../../src/core/parsigex/parsigex.js";
import { createSigAgg } from "../../../src/core/sigagg/sigagg.js";
import type { Transport } from "../../../src/core/transport.js";
import {
  type Duty,
  DutyType,
  type ParSig,
  type PubkeyHex,
  type UnsignedDataSet,
} from "../../../src/core/types.js";
import { publicKeyOf } from "../../../src/crypto/bls.js";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import { toHex } from "../../../src/util/hex.js";
import { createSimBeacon } from "../../simnet/beacon.js";
import { mutate } from "../../simnet/byzantine.js";
import { randomSecret } from "../../simnet/dv.js";
import { createPrng } from "../../simnet/prng.js";

const clock = { now: () => 100_000, setTimeout: () => () => {} };
const rng = createPrng(7);
const secrets = [randomSecret(rng), randomSecret(rng)];
const pubkeys = secrets.map((s) => publicKeyOf(s));
const beacon = createSimBeacon({ clock, validators: pubkeys, slotsPerEpoch: 4 });
const chain = beacon.chain;
const roots = createSigningRoots(chain);
const pk0 = toHex(pubkeys[0] as Uint8Array);
const pk1 = toHex(pubkeys[1] as Uint8Array);

async function attSet(slot: number): Promise<UnsignedDataSet> {
  const set: UnsignedDataSet = new Map();
  for (const d of (await beacon.attesterDuties(Math.floor(slot / 4), [100, 101])).map((d) => ({
    ...d,
    slot,
  }))) {
    set.set(toHex(d.pubkey), {
      kind: "attestation",
      data: await beacon.attestationData(slot, d.committeeIndex),
      duty: d,
    });
  }
  return set;
}

describe("unsigned set codec", () => {
  it("round-trips, is canonical (order-independent) and rejects every single-byte corruption", async () => {
    const set = await attSet(2);
    const bytes = encodeUnsignedSet(set);
    const reversed = encodeUnsignedSet(new Map([...set].reverse()));
    assert.deepEqual(reversed, bytes);
    const d = decodeUnsignedSet(bytes);
    assert.ok(d && d.kind === "attestation" && d.set.size === 2);
    assert.deepEqual(encodeUnsignedSet(d.set), bytes);
    const r = createPrng(3);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const m = mutate(r, bytes);
      const out = decodeUnsignedSet(m);
      if (out) {
        accepted++;
        assert.deepEqual(encodeUnsignedSet(out.set), m, "only canonical encodings decode");
      }
    }
    assert.ok(accepted < 2000);
    assert.equal(decodeUnsignedSet(new Uint8Array(0)), undefined);
  });
});

describe("validity predicate", () => {
  it("accepts honest data and rejects wrong slot, wrong target epoch, zero root, source > target", async () => {
    const set = await attSet(6);
    const view = {
      attestationOk: () => true,
      blockOk: () => true,
      recordAttestation() {},
      recordBlock() {},
    };
    const rejects: string[] = [];
    const isValid = createValidityCheck({
      chain,
      roots,
      view,
      validators: new Set([pk0, pk1]),
      localDuty: () => undefined,
      handlers: indexHandlers(createDutyHandlers()),
      onReject: (r) => rejects.push(r),
    });
    const inst = { slot: 6, dutyType: DutyType.Attester };
    assert.equal(isValid(encodeUnsignedSet(set), inst), true);
    const tweak = (
      f: (
        d: import("@lodestar/types").phase0.AttestationData,
      ) => import("@lodestar/types").phase0.AttestationData,
    ) => {
      const m: UnsignedDataSet = new Map();
      for (const [k, u] of set) if (u.kind === "attestation") m.set(k, { ...u, data: f(u.data) });
      return encodeUnsignedSet(m);
    };
    assert.equal(isValid(encodeUnsignedSet(set), { slot: 7, dutyType: DutyType.Attester }), false);
    assert.equal(
      isValid(
        tweak((d) => ({ ...d, target: { ...d.target, epoch: 2 } })),
        inst,
      ),
      false,
    );
    assert.equal(
      isValid(
        tweak((d) => ({ ...d, beaconBlockRoot: new Uint8Array(32) })),
        inst,
      ),
      false,
    );
    assert.equal(
      isValid(
        tweak((d) => ({ ...d, source: { ...d.source, epoch: 3 } })),
        inst,
      ),
      false,
    );
    assert.equal(isValid(encodeUnsignedSet(set), { slot: 6, dutyType: DutyType.Proposer }), false);
    assert.deepEqual(rejects, [
      "slot-mismatch",
      "target-epoch",
      "no-block-root",
      "source-after-target",
      "kind",
    ]);
  });
});

describe("duty DB", () => {
  it("is write-once per duty and pubkey", async () => {
    const db = createDutyDb();
    const duty: Duty = { slot: 2, type: DutyType.Attester };
    const set = await attSet(2);
    assert.deepEqual(db.store(duty, set).stored.length, 2);
    assert.deepEqual(db.store(duty, set).repeated.length, 2);
    const other: UnsignedDataSet = new Map();
    for (const [k, u] of set) {
      if (u.kind === "attestation")
        other.set(k, { ...u, data: { ...u.data, beaconBlockRoot: new Uint8Array(32).fill(9) } });
    }
    assert.deepEqual(db.store(duty, other).conflicts.sort(), [pk0, pk1].sort());
    const kept = db.get(duty, pk0);
    assert.ok(kept?.kind === "attestation" && kept.data.beaconBlockRoot[0] !== 9);
    db.prune(3);
    assert.equal(db.get(duty, pk0), undefined);
  });
});

describe("signing roots", () => {
  const v = (b: number) => Uint8Array.of(b, 0, 0, 0x42);
  const config = createBeaconConfig(
    {
      GENESIS_FORK_VERSION: v(0),
      ALTAIR_FORK_VERSION: v(1),
      ALTAIR_FORK_EPOCH: 0,
      BELLATRIX_FORK_VERSION: v(2),
      BELLATRIX_FORK_EPOCH: 0,
      CAPELLA_FORK_VERSION: v(3),
      CAPELLA_FORK_EPOCH: 0,
      DENEB_FORK_VERSION: v(4),
      DENEB_FORK_EPOCH: 0,
      ELECTRA_FORK_EPOCH: Number.POSITIVE_INFINITY,
      FULU_FORK_EPOCH: Number.POSITIVE_INFINITY,
      GLOAS_FORK_EPOCH: Number.POSITIVE_INFINITY,
      HEZE_FORK_EPOCH: Number.POSITIVE_INFINITY,
    },
    chain.genesisValidatorsRoot,
  );
  it("compute_domain matches Lodestar's getDomain; exits use Capella (EIP-7044)", () => {
    const domains = createDomains(chain);
    assert.deepEqual(
      domains.at(DOMAIN_BEACON_ATTESTER, 5),
      config.getDomain(20, DOMAIN_BEACON_ATTESTER, 20),
    );
    assert.deepEqual(domains.at(DOMAIN_RANDAO, 1), config.getDomain(4, DOMAIN_RANDAO, 4));
    assert.deepEqual(domains.exit(3), config.getDomainForVoluntaryExit(100, 12));
    assert.deepEqual(
      domains.exit(3),
      config.getDomainAtFork("capella" as never, DOMAIN_VOLUNTARY_EXIT),
    );
    assert.notDeepEqual(
      domains.exit(3),
      domains.at(DOMAIN_VOLUNTARY_EXIT, 3),
      "not the current (Deneb) fork",
    );
  });
  it("is_aggregator: modulo 1 always selects; the spec's byte order is little-endian", () => {
    const sig = SecretKey.fromKeygen(new Uint8Array(32).fill(1)).sign(new Uint8Array(32)).toBytes();
    assert.equal(isAggregator(15, sig), true);
    let selected = 0;
    for (let i = 0; i < 256; i++)
      if (isAggregator(512, Uint8Array.of(i, ...new Uint8Array(95)))) selected++;
    assert.ok(selected > 0 && selected < 32, `${selected}/256 selected at modulo 32`);
    assert.ok(roots.selectionProof(3).length === 32 && ssz.Slot.hashTreeRoot(3).length === 32);
  });
});

function fakeTransport(
  self: number,
  n: number,
): Transport & { sent: Uint8Array[]; deliver(from: number, b: Uint8Array): void } {
  const handlers = new Set<(from: number, b: Uint8Array) => void>();
  const sent: Uint8Array[] = [];
  return {
    self,
    n,
    sent,
    send: (_to, b) => sent.push(b),
    broadcast: (b) => sent.push(b),
    onMessage(cb) {
      handlers.add(cb);
      return () => handlers.delete(cb);
    },
    deliver(from, b) {
      for (const h of handlers) h(from, b);
    },
  };
}

describe("parsigex and sigagg", () => {
  const ids = [1, 2, 3, 4];
  const split = secrets.map((secret, i) =>
    splitValidatorKey({ pubkey: pubkeys[i] as Uint8Array, secret }, ids),
  );
  const sharePubkeys = new Map(
    split.map((sv) => [toHex(sv.pubkey), new Map(sv.shares.map((s) => [s.id, s.pubkey]))]),
  );
  const duty: Duty = { slot: 10, type: DutyType.Randao };
  const root = roots.randao(2);
  const partial = (v: number, op: number): ParSig => {
    const sv = split[v] as (typeof split)[number];
    const share = sv.shares[op] as (typeof sv.shares)[number];
    return {
      pubkey: toHex(sv.pubkey),
      signingRoot: root,
      signature: SecretKey.fromBytes(share.secret).sign(root).toBytes(),
      shareIdx: share.id,
    };
  };

  const sigaggOf = (counts: Record<string, number> = {}) => {
    const done: Uint8Array[] = [];
    const agg = createSigAgg({
      threshold: 3,
      validatorPubkeys: new Map(pubkeys.map((pk) => [toHex(pk), pk])),
      sharePubkeys,
      onAggregated: (_d, _pk, _r, sig) => done.push(sig),
      count: (l, by = 1) => {
        counts[l] = (counts[l] ?? 0) + by;
      },
    });
    return { agg, done, counts };
  };
  const fullSig = (v: number): Uint8Array =>
    SecretKey.fromBytes(secrets[v] as Uint8Array)
      .sign(root)
      .toBytes();

  it("binds sender to share index, checks the window, dedupes; leaves verification to sigagg", () => {
    const t = fakeTransport(0, 4);
    const got: ParSig[] = [];
    const counts: Record<string, number> = {};
    createParSigEx({
      transport: t,
      operatorIds: ids,
      sharePubkeys,
      currentSlot: () => 10,
      onReceived: (_d, p) => got.push(...p),
      count: (l, by = 1) => {
        counts[l] = (counts[l] ?? 0) + by;
      },
    });
    const msg = (op: number, ps: ParSig[]) =>
      encodeParSigMessage({ shareIdx: ids[op] as number, duty, partials: ps });
    t.deliver(1, msg(1, [partial(0, 1), partial(1, 1)]));
    assert.equal(got.length, 2);
    t.deliver(1, msg(1, [partial(0, 1)])); // replay
    t.deliver(1, msg(1, [{ ...partial(0, 1), signingRoot: new Uint8Array(32).fill(2) }])); // 2nd root
    t.deliver(2, msg(1, [partial(0, 1)])); // operator 2 claims operator 1's share index
    t.deliver(
      3,
      encodeParSigMessage({
        shareIdx: 4,
        duty: { slot: 99, type: DutyType.Randao },
        partials: [partial(0, 3)],
      }),
    );
    t.deliver(3, msg(3, [{ ...partial(0, 3), pubkey: toHex(new Uint8Array(48).fill(1)) }]));
    // Op 1's signature under op 2's index: passed on bound to share 3, for sigagg to judge.
    t.deliver(2, msg(2, [{ ...partial(0, 1), shareIdx: 3 }]));
    assert.equal(got.length, 3);
    assert.deepEqual(
      got.map((p) => p.shareIdx),
      [2, 2, 3],
    );
    assert.deepEqual(
      [
        counts["drop.duplicate"],
        counts["drop.mismatch"],
        counts["drop.share-mismatch"],
        counts["drop.too-far-ahead"],
        counts["drop.unknown-validator"],
        counts.accepted,
      ],
      [1, 1, 1, 1, 1, 3],
    );
  });

  it("fuzzed and malformed messages never throw; what passes is bound to the sender's share", () => {
    const t = fakeTransport(0, 4);
    const got: { p: ParSig; from: number }[] = [];
    const px = createParSigEx({
      transport: t,
      operatorIds: ids,
      sharePubkeys,
      currentSlot: () => 10,
      onReceived: (_d, ps, from) => got.push(...ps.map((p) => ({ p, from }))),
    });
    const valid = encodeParSigMessage({ shareIdx: 2, duty, partials: [partial(0, 1)] });
    const r = createPrng(11);
    for (let i = 0; i < 3000; i++) {
      const b = i % 3 === 0 ? r.bytes(r.int(600)) : mutate(r, valid);
      assert.doesNotThrow(() => px.receive(1 + r.int(3), b));
      assert.doesNotThrow(() => decodeParSigMessage(b));
    }
    assert.ok(got.length > 0);
    for (const { p, from } of got) assert.equal(p.shareIdx, ids[from]);
  });

  it("sigagg aggregates only at t partials of the expected root, and the result verifies", () => {
    const { agg, done } = sigaggOf();
    agg.add(duty, [partial(0, 0), partial(0, 1)]);
    agg.expect(duty, [[pk0, root]]);
    assert.equal(done.length, 0);
    agg.add(duty, [{ ...partial(0, 2), signingRoot: new Uint8Array(32).fill(5) }]); // other root
    assert.equal(done.length, 0);
    agg.add(duty, [partial(0, 3)]);
    assert.equal(done.length, 1);
    assert.deepEqual(done[0], fullSig(0), "threshold signature = the validator's own signature");
    assert.equal(agg.partials(duty, pk0), 3);
  });

  for (const bad of ["garbage", "wrong-key", "other share"] as const) {
    it(`sigagg falls back on a bad partial (${bad}): dropped, counted, aggregate from valid ones`, () => {
      const { agg, done, counts } = sigaggOf();
      const r = createPrng(5);
      const wrong = SecretKey.fromBytes(randomSecret(r));
      const forged: ParSig = {
        ...partial(0, 0),
        signature:
          bad === "garbage"
            ? r.bytes(96)
            : bad === "wrong-key"
              ? wrong.sign(root).toBytes()
              : partial(0, 1).signature,
      };
      agg.expect(duty, [[pk0, root]]);
      // The forged partial (share 1) is among the first t: the first aggregate fails.
      agg.add(duty, [forged, partial(0, 1), partial(0, 2)]);
      assert.equal(done.length, 0);
      assert.equal(counts["drop.invalid-signature"], 1);
      assert.equal(counts.fallback, 1);
      assert.equal(agg.partials(duty, pk0), 2, "the bad partial is gone");
      agg.add(duty, [partial(0, 0)]); // share 1's genuine partial cannot replace it (barred)…
      assert.equal(done.length, 0);
      agg.add(duty, [partial(0, 3)]); // …a fourth operator's completes the aggregate
      assert.deepEqual(done, [fullSig(0)]);
      assert.equal(counts.fallback, 1);
      // Share 1 is now a suspect: its next partial is verified before any aggregate is tried.
      const next: Duty = { slot: 11, type: DutyType.Randao };
      agg.expect(next, [[pk1, root]]);
      agg.add(next, [{ ...partial(1, 0), signature: forged.signature }]);
      agg.add(next, [partial(1, 1), partial(1, 2)]);
      assert.equal(counts["drop.invalid-signature"], 2);
      assert.equal(counts.fallback, 1, "no second failed aggregate");
      agg.add(next, [partial(1, 3)]);
      assert.deepEqual(agg.aggregate(next, pk1), fullSig(1));
      assert.equal(counts.aggregated, 2);
    });
  }

  it("sigagg verifies what one call makes ready in one batch; a bad one takes the careful path alone", () => {
    const { agg, done, counts } = sigaggOf();
    agg.expect(duty, [
      [pk0, root],
      [pk1, root],
    ]);
    // One message carrying t partials of both validators; validator 1's share-2 partial is
    // validator 0's (a valid G2 point, the wrong one): the batch fails, validator 0's aggregate
    // verifies alone, validator 1's goes the careful path and waits for a fourth partial.
    agg.add(duty, [
      partial(0, 0),
      partial(0, 1),
      partial(0, 2),
      partial(1, 0),
      { ...partial(1, 1), signature: partial(0, 1).signature },
      partial(1, 2),
    ]);
    assert.deepEqual(done, [fullSig(0)]);
    assert.equal(counts.fallback, 1);
    assert.equal(counts["drop.invalid-signature"], 1);
    agg.add(duty, [partial(1, 3)]);
    assert.deepEqual(done, [fullSig(0), fullSig(1)]);
    // Both at once, all genuine: one batch, no fallback.
    const b = sigaggOf();
    const next: Duty = { slot: 12, type: DutyType.Randao };
    b.agg.add(next, [partial(0, 0), partial(0, 1), partial(1, 2), partial(1, 3)]);
    b.agg.add(next, [partial(0, 2), partial(1, 1)]);
    assert.equal(b.done.length, 0, "nothing before the expected root is known");
    b.agg.expect(next, [
      [pk0, root],
      [pk1, root],
    ]);
    assert.deepEqual(b.done, [fullSig(0), fullSig(1)]);
    assert.equal(b.counts.fallback, undefined);
  });

  it("sigagg defers a backup aggregation: nothing until its timer, then once, flagged backup", () => {
    const timers: [number, () => void][] = [];
    const done: [PubkeyHex, boolean][] = [];
    const agg = createSigAgg({
      threshold: 3,
      validatorPubkeys: new Map(pubkeys.map((pk) => [toHex(pk), pk])),
      sharePubkeys,
      onAggregated: (_d, pk, _r, sig, backup) => {
        assert.deepEqual(sig, fullSig(pk === pk0 ? 0 : 1));
        done.push([pk, backup]);
      },
      deferMs: (_d, pk) => (pk === pk1 ? 250 : 0),
      setTimer: (ms, cb) => timers.push([ms, cb]),
    });
    agg.expect(duty, [
      [pk0, root],
      [pk1, root],
    ]);
    agg.add(
      duty,
      [0, 1, 2].flatMap((op) => [partial(0, op), partial(1, op)]),
    );
    assert.deepEqual(done, [[pk0, false]], "the primary's at once");
    assert.equal(agg.complete(duty, pk1), true, "t partials held: no retransmission needed");
    assert.equal(agg.aggregate(duty, pk1), undefined);
    agg.add(duty, [partial(1, 3)]); // more partials do not bring the backup forward
    assert.equal(timers.length, 1);
    assert.equal(timers[0]?.[0], 250);
    timers[0]?.[1]();
    assert.deepEqual(done, [
      [pk0, false],
      [pk1, true],
    ]);
    timers[0]?.[1]();
    assert.equal(done.length, 2, "once");
  });

  it("primary aggregators: exactly f + 1 per slot and validator, rotating over both", () => {
    for (const n of [4, 7, 10, 13]) {
      const f = Math.floor((n - 1) / 3);
      const load = new Array<number>(n).fill(0);
      for (let slot = 0; slot < 3 * n; slot++) {
        for (let v = 0; v < n; v++) {
          const primaries = [...Array(n).keys()].filter((i) => isPrimaryAggregator(i, n, slot, v));
          assert.equal(primaries.length, f + 1, `n=${n} slot ${slot} validator ${v}`);
          for (const i of primaries) load[i] = (load[i] as number) + 1;
        }
      }
      assert.ok(
        load.every((l) => l === load[0]),
        `even load n=${n}: ${load}`,
      );
    }
  });

  it("sigagg: random partials never yield anything but the validator's signature", () => {
    const r = createPrng(9);
    for (let round = 0; round < 20; round++) {
      const { agg, done } = sigaggOf();
      const d: Duty = { slot: round, type: DutyType.Randao };
      agg.expect(d, [[pk0, root]]);
      const ps = [0, 1, 2, 3].map((op) => {
        const p = partial(0, op);
        return r.int(3) === 0 ? { ...p, signature: mutate(r, p.signature) } : p;
      });
      const good = ps.filter((p, op) => sameSig(p.signature, partial(0, op).signature)).length;
      for (const p of [...ps].sort(() => r.next() - 0.5)) agg.add(d, [p]);
      assert.equal(done.length, good >= 3 ? 1 : 0, `round ${round}: ${good} genuine`);
      for (const sig of done) assert.deepEqual(sig, fullSig(0));
    }
  });
});

const sameSig = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe("metrics and beacon fallback", () => {
  it("renders Prometheus text format per registry", async () => {
    const m = createDvMetrics();
    m.dutyOutcomes.inc({ type: "attester", outcome: "failed", reason: "no-quorum" });
    m.dutyLatency.observe({ type: "attester" }, 0.3);
    const text = await m.registry.metrics();
    assert.match(text, /# TYPE rpdvt_duty_outcomes_total counter/);
    assert.match(
      text,
      /rpdvt_duty_outcomes_total\{type="attester",outcome="failed",reason="no-quorum"\} 1/,
    );
    assert.match(text, /rpdvt_duty_latency_seconds_bucket\{le="0.5",type="attester"\} 1/);
    assert.match(text, /rpdvt_duty_latency_seconds_bucket\{le="0.25",type="attester"\} 0/);
    assert.equal((await createDvMetrics().registry.metrics()).includes("no-quorum"), false);
  });
  it("fallbackBeacon tries the next node on error", async () => {
    const down = beacon.view();
    down.setDown(true);
    const fb = fallbackBeacon([down, beacon.view()] as BeaconNode[]);
    assert.equal((await fb.chainInfo()).slotsPerEpoch, 4);
    const allDown = fallbackBeacon([down, down]);
    await assert.rejects(allDown.chainInfo(), /All 2 beacon nodes failed/);
  });
});

describe("simulated beacon node clock", () => {
  it("waits for a slot that starts within the clock disparity, refuses one further ahead", async () => {
    let now = 0;
    const timers: { at: number; cb: () => void }[] = [];
    const c = {
      now: () => now,
      setTimeout(cb: () => void, ms: number) {
        timers.push({ at: now + ms, cb });
        return () => {};
      },
    };
    // A genesis time with a fraction, as on the bench's shared clock: at slot 21's exact start
    // (12 s slots), floor((now − genesis) / slot) is 20 — the request must still be answered.
    const genesisClockMs = 12_345.6789123;
    const b = createSimBeacon({ clock: c, validators: pubkeys, slotsPerEpoch: 4, genesisClockMs });
    const view = b.view();
    const slotMs = b.chain.secondsPerSlot * 1000;
    assert.equal(slotMs, 12_000);
    now = genesisClockMs + 21 * slotMs;
    assert.equal(Math.floor((now - genesisClockMs) / slotMs), 20, "the float rounding this covers");
    assert.equal((await view.attestationData(21, 0)).slot, 21);
    assert.equal(timers.length, 0, "answered at once");
    // 100 ms early: answered once the slot starts (not before).
    now = genesisClockMs + 60 * slotMs - 100;
    let answered = false;
    const early = view.attestationData(60, 0).then((d) => {
      answered = true;
      return d;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false);
    assert.equal(timers.length, 1);
    assert.equal(timers[0]?.at, genesisClockMs + 60 * slotMs);
    now = timers[0]?.at as number;
    timers[0]?.cb();
    assert.equal((await early).slot, 60);
    // Beyond the 500 ms disparity: refused.
    await assert.rejects(view.attestationData(62, 0), /slot 62 is in the future/);
  });
});
