/**
 * Property tests of the slashing-protection database against an independent checker written here
 * from consensus-specs phase0 `is_slashable_attestation_data` and `process_proposer_slashing`, and
 * the EIP-3076 "Conditions". In-memory databases (same code path, no fsync) keep this fast.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { SlashingProtectionDb } from "../../../src/slashing/db.js";
import { SlashingProtectionError } from "../../../src/slashing/errors.js";
import type { Interchange } from "../../../src/slashing/interchange.js";

const GVR = `0x${"11".repeat(32)}`;
const PKS = [`0x${"a1".repeat(48)}`, `0x${"b2".repeat(48)}`];
const memDb = () => SlashingProtectionDb.openFile(":memory:", { genesisValidatorsRoot: GVR });

// ---- independent checker (consensus-specs phase0) ---------------------------------------------
type AttData = { source: number; target: number; root: number };
/** def is_slashable_attestation_data(data_1, data_2) */
function isSlashableAttestationData(d1: AttData, d2: AttData): boolean {
  const equal = d1.source === d2.source && d1.target === d2.target && d1.root === d2.root;
  return (
    // Double vote
    (!equal && d1.target === d2.target) ||
    // Surround vote
    (d1.source < d2.source && d2.target < d1.target)
  );
}
const slashablePair = (a: AttData, b: AttData) =>
  isSlashableAttestationData(a, b) || isSlashableAttestationData(b, a);
/** The signing root stands for the whole AttestationData: equal roots <=> equal data. */
const attRoot = (d: AttData) =>
  `0x${createHash("sha256").update(`att:${d.source}:${d.target}:${d.root}`).digest("hex")}`;
const blockRoot = (slot: number, r: number) =>
  `0x${createHash("sha256").update(`block:${slot}:${r}`).digest("hex")}`;

function accepted(fn: () => unknown): { ok: boolean; repeat?: boolean } {
  try {
    return fn() as { ok: true; repeat: boolean };
  } catch (err) {
    if (err instanceof SlashingProtectionError) return { ok: false };
    throw err;
  }
}

const attArb = fc.record({
  v: fc.integer({ min: 0, max: 1 }),
  source: fc.integer({ min: 0, max: 12 }),
  target: fc.integer({ min: 0, max: 12 }),
  root: fc.integer({ min: 0, max: 2 }),
});
const blockArb = fc.record({
  v: fc.integer({ min: 0, max: 1 }),
  slot: fc.integer({ min: 0, max: 15 }),
  root: fc.integer({ min: 0, max: 2 }),
});

describe("attestations: accepted set is never slashable, and exactly what the spec allows", () => {
  test("random sequences (single check-and-insert)", () => {
    fc.assert(
      fc.property(fc.array(attArb, { maxLength: 40 }), (seq) => {
        const db = memDb();
        const acc: AttData[][] = [[], []];
        for (const a of seq) {
          const d: AttData = { source: a.source, target: a.target, root: a.root };
          const got = accepted(() =>
            db.checkAndInsertAttestation(PKS[a.v]!, a.source, a.target, attRoot(d)),
          );
          // model: consensus-specs slashability + EIP-3076 conditions (4)/(5) "at all times"
          const mine = acc[a.v]!;
          const repeat = mine.some(
            (x) => x.source === d.source && x.target === d.target && x.root === d.root,
          );
          const minS = Math.min(...mine.map((x) => x.source));
          const minT = Math.min(...mine.map((x) => x.target));
          const want =
            repeat ||
            (d.source <= d.target &&
              !mine.some((x) => slashablePair(x, d)) &&
              (mine.length === 0 || (d.source >= minS && d.target > minT)));
          assert.equal(got.ok, want, JSON.stringify({ d, mine }));
          if (got.ok) {
            assert.equal(got.repeat, repeat);
            if (!repeat) mine.push(d);
          }
        }
        // safety, checked on the accepted sets alone
        for (const mine of acc)
          for (let i = 0; i < mine.length; i++)
            for (let j = i + 1; j < mine.length; j++)
              assert.ok(!slashablePair(mine[i]!, mine[j]!), "accepted a slashable pair");
        db.close();
      }),
      { numRuns: 150 },
    );
  });

  test("the batch API decides a sequence exactly like one call per item", () => {
    fc.assert(
      fc.property(fc.array(attArb, { maxLength: 40 }), (seq) => {
        const single = memDb();
        const batch = memDb();
        const one = seq.map(
          (a) =>
            accepted(() =>
              single.checkAndInsertAttestation(PKS[a.v]!, a.source, a.target, attRoot(a)),
            ).ok,
        );
        const many = batch
          .checkAndInsertAttestations(
            seq.map((a) => ({
              pubkey: PKS[a.v]!,
              sourceEpoch: a.source,
              targetEpoch: a.target,
              signingRoot: attRoot(a),
            })),
          )
          .map((o) => o.ok);
        assert.deepEqual(many, one);
        single.close();
        batch.close();
      }),
      { numRuns: 100 },
    );
  });
});

describe("blocks: never two different blocks for one slot", () => {
  test("random sequences", () => {
    fc.assert(
      fc.property(fc.array(blockArb, { maxLength: 40 }), (seq) => {
        const db = memDb();
        const acc: { slot: number; root: number }[][] = [[], []];
        for (const b of seq) {
          const got = accepted(() =>
            db.checkAndInsertBlock(PKS[b.v]!, b.slot, blockRoot(b.slot, b.root)),
          );
          const mine = acc[b.v]!;
          const same = mine.find((x) => x.slot === b.slot);
          const want = same
            ? same.root === b.root
            : mine.length === 0 || b.slot > Math.min(...mine.map((x) => x.slot));
          assert.equal(got.ok, want);
          if (got.ok && !same) mine.push({ slot: b.slot, root: b.root });
        }
        for (const mine of acc)
          assert.equal(new Set(mine.map((x) => x.slot)).size, mine.length, "double proposal");
        db.close();
      }),
      { numRuns: 150 },
    );
  });
});

// ---- imports, exports, pruning ------------------------------------------------------------------
const maybeRoot = fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined });
const recordArb = fc.record({
  v: fc.integer({ min: 0, max: 1 }),
  blocks: fc.array(fc.record({ slot: fc.integer({ min: 0, max: 15 }), root: maybeRoot }), {
    maxLength: 3,
  }),
  atts: fc.array(
    fc.record({
      source: fc.integer({ min: 0, max: 12 }),
      target: fc.integer({ min: 0, max: 12 }),
      root: maybeRoot,
    }),
    { maxLength: 3 },
  ),
});
type Rec = {
  v: number;
  blocks: { slot: number; root: number | undefined }[];
  atts: { source: number; target: number; root: number | undefined }[];
};
function toInterchange(recs: Rec[]): Interchange {
  return {
    metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
    data: recs.map((r) => ({
      pubkey: PKS[r.v]!,
      signed_blocks: r.blocks.map((b) =>
        b.root === undefined
          ? { slot: String(b.slot) }
          : { slot: String(b.slot), signing_root: blockRoot(b.slot, b.root) },
      ),
      signed_attestations: r.atts.map((a) => ({
        source_epoch: String(a.source),
        target_epoch: String(a.target),
        ...(a.root === undefined ? {} : { signing_root: attRoot({ ...a, root: a.root }) }),
      })),
    })),
  };
}
const opArb = fc.oneof(
  attArb.map((a) => ({ kind: "att" as const, ...a })),
  blockArb.map((b) => ({ kind: "block" as const, ...b })),
  fc.array(recordArb, { maxLength: 2 }).map((recs) => ({ kind: "import" as const, recs })),
  fc
    .record({ slot: fc.integer({ min: 0, max: 16 }), epoch: fc.integer({ min: 0, max: 13 }) })
    .map((p) => ({ kind: "prune" as const, ...p })),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;
const probeArb = fc.oneof(
  attArb.map((a) => ({ kind: "att" as const, ...a })),
  blockArb.map((b) => ({ kind: "block" as const, ...b })),
);
type Probe = typeof probeArb extends fc.Arbitrary<infer T> ? T : never;

function apply(db: SlashingProtectionDb, op: Op | Probe): boolean {
  switch (op.kind) {
    case "att":
      return accepted(() =>
        db.checkAndInsertAttestation(PKS[op.v]!, op.source, op.target, attRoot(op)),
      ).ok;
    case "block":
      return accepted(() =>
        db.checkAndInsertBlock(PKS[op.v]!, op.slot, blockRoot(op.slot, op.root)),
      ).ok;
    case "import":
      db.importInterchange(toInterchange(op.recs));
      return true;
    case "prune":
      db.prune({ slot: op.slot, epoch: op.epoch });
      return true;
  }
}
function replay(ops: Op[]): SlashingProtectionDb {
  const db = memDb();
  for (const op of ops) apply(db, op);
  return db;
}

describe("imports and exports never lower protection", () => {
  test("whatever the history (signing, slashable imports, pruning), a re-import of its export refuses at least what it refused", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 12 }),
        fc.array(probeArb, { minLength: 1, maxLength: 6 }),
        (ops, probes) => {
          for (const format of ["complete", "minimal"] as const) {
            const exported = replay(ops);
            const ic = exported.exportInterchange({ format });
            exported.close();
            for (const p of probes) {
              const orig = replay(ops);
              const clone = memDb();
              clone.importInterchange(ic);
              const o = apply(orig, p);
              const c = apply(clone, p);
              assert.ok(!c || o, `${format} export lost protection for ${JSON.stringify(p)}`);
              orig.close();
              clone.close();
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test("importing anything more never turns a refusal into an acceptance (except re-signing a message the import records)", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 10 }),
        fc.array(recordArb, { maxLength: 2 }),
        probeArb,
        (ops, more, p) => {
          const before = replay(ops);
          const after = replay(ops);
          after.importInterchange(toInterchange(more));
          // EIP-3076 conditions (2)/(5) exempt "a repeat signing as determined by the signing_root":
          // the identical message (same BLS signature) the imported file says was already signed.
          const recordedByImport = more.some(
            (r) =>
              r.v === p.v &&
              (p.kind === "block"
                ? r.blocks.some((b) => b.slot === p.slot && b.root === p.root)
                : r.atts.some(
                    (a) => a.source === p.source && a.target === p.target && a.root === p.root,
                  )),
          );
          assert.ok(!apply(after, p) || apply(before, p) || recordedByImport);
          before.close();
          after.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  test("pruning never turns a refusal into an acceptance", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 12 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 0, max: 13 }),
        probeArb,
        (ops, slot, epoch, p) => {
          const before = replay(ops);
          const after = replay(ops);
          after.prune({ slot, epoch });
          assert.ok(
            !apply(after, p) || apply(before, p),
            `prune(${slot}, ${epoch}) lost protection`,
          );
          before.close();
          after.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  test("after an import into an empty database, EIP-3076 conditions (1)-(5) hold for the imported data", () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 3 }), probeArb, (recs, p) => {
        const db = memDb();
        db.importInterchange(toInterchange(recs));
        const mine = recs.filter((r) => r.v === p.v);
        const ok = apply(db, p);
        db.close();
        if (!ok) return;
        if (p.kind === "block") {
          const blocks = mine.flatMap((r) => r.blocks);
          const same = blocks.filter((b) => b.slot === p.slot);
          const repeat = same.length > 0 && same.every((b) => b.root === p.root);
          // (1) not slashable w.r.t. imported blocks (missing root = always conflicting)
          assert.ok(
            same.every((b) => b.root === p.root),
            "condition 1",
          );
          // (2) slot > min imported slot unless a repeat
          if (blocks.length && !repeat)
            assert.ok(p.slot > Math.min(...blocks.map((b) => b.slot)), "condition 2");
        } else {
          const atts = mine.flatMap((r) => r.atts);
          const d = { source: p.source, target: p.target, root: p.root };
          const repeat = atts.some(
            (a) => a.target === p.target && a.source === p.source && a.root === p.root,
          );
          // (3) not slashable w.r.t. imported attestations; a missing root conflicts at its target
          for (const a of atts) {
            if (a.root === undefined) assert.notEqual(a.target, p.target, "condition 3 (no root)");
            else assert.ok(!slashablePair({ ...a, root: a.root }, d), "condition 3");
          }
          if (atts.length) {
            // (4) source >= min imported source; (5) target > min imported target unless a repeat
            assert.ok(p.source >= Math.min(...atts.map((a) => a.source)), "condition 4");
            if (!repeat)
              assert.ok(p.target > Math.min(...atts.map((a) => a.target)), "condition 5");
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
