/**
 * Slashing-protection database: consensus-specs `is_slashable_attestation_data` /
 * `process_proposer_slashing` rules, EIP-3076 conditions (2), (4), (5), network binding, file
 * modes, batch API, import/export/prune semantics.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { InputError } from "../../../src/errors.js";
import { SlashingProtectionDb } from "../../../src/slashing/db.js";
import { SlashingProtectionError } from "../../../src/slashing/errors.js";
import { type Interchange, parseInterchange } from "../../../src/slashing/interchange.js";

const GVR = `0x${"04".repeat(32)}`;
const OTHER_GVR = `0x${"05".repeat(32)}`;
const PK = (i: number) => `0x${i.toString(16).padStart(2, "0").repeat(48)}`;
/** Distinct 48-byte keys for i up to 2^32. */
const PKN = (i: number) => `0x${"aa".repeat(44)}${i.toString(16).padStart(8, "0")}`;
const R = (i: number) => `0x${i.toString(16).padStart(64, "0")}`;

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rpdvt-sp-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
const fresh = () => SlashingProtectionDb.open(join(dir, `d${n++}`), { genesisValidatorsRoot: GVR });

function refusal(fn: () => unknown): SlashingProtectionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SlashingProtectionError) return err;
    throw err;
  }
  assert.fail("expected a SlashingProtectionError");
}

function ic(data: Interchange["data"], gvr = GVR): Interchange {
  return { metadata: { interchange_format_version: "5", genesis_validators_root: gvr }, data };
}

describe("opening", () => {
  test("creates <dataDir>/slashing-protection.sqlite 0600 in a 0700 dir, WAL, synchronous=FULL", async () => {
    const d = join(dir, "open-modes");
    const db = SlashingProtectionDb.open(d, { genesisValidatorsRoot: GVR });
    db.checkAndInsertBlock(PK(1), 1, R(1));
    assert.deepEqual(db.diagnostics(), {
      journalMode: "wal",
      synchronous: "FULL",
      busyTimeoutMs: 10_000,
      schemaVersion: 1,
    });
    const file = join(d, "slashing-protection.sqlite");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(`${file}-wal`)).mode & 0o777, 0o600);
    assert.equal((await stat(d)).mode & 0o777, 0o700);
    db.close();
  });

  test("binds to the network: another genesis_validators_root is refused, none reuses the stored one", () => {
    const d = join(dir, "open-gvr");
    SlashingProtectionDb.open(d, { genesisValidatorsRoot: GVR }).close();
    const err = refusal(() => SlashingProtectionDb.open(d, { genesisValidatorsRoot: OTHER_GVR }));
    assert.equal(err.code, "WRONG_NETWORK");
    assert.match(err.details ?? "", new RegExp(GVR));
    const db = SlashingProtectionDb.open(d);
    assert.equal(db.genesisValidatorsRoot, GVR);
    db.close();
  });

  test("an unbound database refuses to check anything", () => {
    const db = SlashingProtectionDb.open(join(dir, "unbound"));
    assert.throws(() => db.checkAndInsertBlock(PK(1), 1, R(1)), InputError);
    db.close();
  });

  test("a file of a newer schema version is refused", () => {
    const d = join(dir, "schema");
    SlashingProtectionDb.open(d, { genesisValidatorsRoot: GVR }).close();
    const raw = new Database(join(d, "slashing-protection.sqlite"));
    raw.pragma("user_version = 99");
    raw.close();
    assert.equal(refusal(() => SlashingProtectionDb.open(d)).code, "UNSUPPORTED_SCHEMA");
  });
});

describe("blocks (process_proposer_slashing, EIP-3076 condition 2)", () => {
  test("double proposal refused with the conflicting record; same root is an idempotent re-sign", () => {
    const db = fresh();
    assert.deepEqual(db.checkAndInsertBlock(PK(1), 100n, R(1)), { ok: true, repeat: false });
    assert.deepEqual(db.checkAndInsertBlock(PK(1), 100n, R(1)), { ok: true, repeat: true });
    const err = refusal(() => db.checkAndInsertBlock(PK(1), 100n, R(2)));
    assert.equal(err.code, "DOUBLE_BLOCK_PROPOSAL");
    assert.deepEqual(err.conflict, { kind: "block", slot: 100n, signingRoot: R(1) });
    assert.equal(err.pubkey, PK(1));
    assert.match(err.details ?? "", /existing block slot=100 signing_root=0x0+1/);
    // other validators are independent
    assert.equal(db.checkAndInsertBlock(PK(2), 100n, R(2)).ok, true);
    db.close();
  });

  test("slot <= minimum signed slot is refused at all times (EIP-3076 'Advice for Complete Databases')", () => {
    const db = fresh();
    db.checkAndInsertBlock(PK(1), 50, R(1));
    assert.equal(
      refusal(() => db.checkAndInsertBlock(PK(1), 49, R(2))).code,
      "BLOCK_SLOT_BELOW_WATERMARK",
    );
    assert.equal(db.checkAndInsertBlock(PK(1), 51, R(3)).ok, true);
    assert.equal(db.checkAndInsertBlock(PK(1), 70, R(3)).ok, true);
    assert.equal(
      db.checkAndInsertBlock(PK(1), 60, R(3)).ok,
      true,
      "gaps above the minimum are fine",
    );
    db.close();
  });

  test("bad inputs are InputErrors naming the field, not refusals", () => {
    const db = fresh();
    assert.throws(() => db.checkAndInsertBlock("0x1234", 1, R(1)), /48 bytes/);
    assert.throws(() => db.checkAndInsertBlock(PK(1), -1, R(1)), InputError);
    assert.throws(() => db.checkAndInsertBlock(PK(1), 2n ** 63n, R(1)), /out of range/);
    assert.throws(() => db.checkAndInsertBlock(PK(1), 1, "0xzz"), InputError);
    db.close();
  });
});

describe("attestations (is_slashable_attestation_data, EIP-3076 conditions 4, 5)", () => {
  test("double vote, surround both ways, source > target; repeat is idempotent", () => {
    const db = fresh();
    assert.equal(db.checkAndInsertAttestation(PK(1), 10, 20, R(1)).ok, true);
    assert.deepEqual(db.checkAndInsertAttestation(PK(1), 10, 20, R(1)), { ok: true, repeat: true });
    const dv = refusal(() => db.checkAndInsertAttestation(PK(1), 10, 20, R(2)));
    assert.equal(dv.code, "DOUBLE_VOTE");
    assert.deepEqual(dv.conflict, {
      kind: "attestation",
      sourceEpoch: 10n,
      targetEpoch: 20n,
      signingRoot: R(1),
    });
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 12, 11, R(3))).code,
      "SOURCE_EXCEEDS_TARGET",
    );
    assert.equal(db.checkAndInsertAttestation(PK(1), 15, 25, R(3)).ok, true);
    // (11, 30) surrounds (15, 25)
    const sv = refusal(() => db.checkAndInsertAttestation(PK(1), 11, 30, R(4)));
    assert.equal(sv.code, "SURROUNDING_VOTE");
    assert.deepEqual(sv.conflict, {
      kind: "attestation",
      sourceEpoch: 15n,
      targetEpoch: 25n,
      signingRoot: R(3),
    });
    // (16, 24) is surrounded by (15, 25)
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 16, 24, R(5))).code,
      "SURROUNDED_VOTE",
    );
    // below the minimum source / at or below the minimum target
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 9, 40, R(6))).code,
      "SOURCE_BELOW_WATERMARK",
    );
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 10, 19, R(6))).code,
      "TARGET_BELOW_WATERMARK",
    );
    assert.equal(db.checkAndInsertAttestation(PK(1), 25, 26, R(7)).ok, true);
    db.close();
  });

  test("a refusal leaves no trace and never touches other validators", () => {
    const db = fresh();
    db.checkAndInsertAttestation(PK(1), 1, 2, R(1));
    refusal(() => db.checkAndInsertAttestation(PK(1), 1, 2, R(9)));
    assert.equal(db.checkAndInsertAttestation(PK(2), 1, 2, R(9)).ok, true);
    const out = db.exportInterchange();
    assert.deepEqual(
      out.data.map((d) => d.signed_attestations),
      [
        [{ source_epoch: "1", target_epoch: "2", signing_root: R(1) }],
        [{ source_epoch: "1", target_epoch: "2", signing_root: R(9) }],
      ],
    );
    db.close();
  });
});

describe("batch (one transaction for all validators of a slot)", () => {
  test("1,000 validators: each decided independently, refused ones do not block others", () => {
    const db = fresh();
    const N = 1000;
    const first = db.checkAndInsertAttestations(
      Array.from({ length: N }, (_, i) => ({
        pubkey: PKN(i),
        sourceEpoch: 5,
        targetEpoch: 6,
        signingRoot: R(1),
      })),
    );
    assert.equal(first.length, N);
    assert.ok(first.every((o) => o.ok));
    const items = Array.from({ length: N }, (_, i) => ({
      pubkey: PKN(i),
      sourceEpoch: 6,
      targetEpoch: 7,
      signingRoot: R(2),
    }));
    // validator 17 is asked to double vote at target 6, validator 18 gets garbage input
    items[17] = { ...items[17]!, sourceEpoch: 5, targetEpoch: 6, signingRoot: R(3) };
    items[18] = { ...items[18]!, signingRoot: "0x12" };
    const second = db.checkAndInsertAttestations(items);
    assert.equal(second.filter((o) => o.ok).length, N - 2);
    const o17 = second[17]!;
    assert.ok(
      !o17.ok && o17.error instanceof SlashingProtectionError && o17.error.code === "DOUBLE_VOTE",
    );
    const o18 = second[18]!;
    assert.ok(!o18.ok && o18.error instanceof InputError);
    db.close();
  });

  test("items of the same validator in one batch see each other", () => {
    const db = fresh();
    const out = db.checkAndInsertAttestations([
      { pubkey: PK(1), sourceEpoch: 1, targetEpoch: 10, signingRoot: R(1) },
      { pubkey: PK(1), sourceEpoch: 3, targetEpoch: 20, signingRoot: R(2) },
      { pubkey: PK(1), sourceEpoch: 4, targetEpoch: 18, signingRoot: R(5) }, // surrounded by the 2nd
      { pubkey: PK(1), sourceEpoch: 1, targetEpoch: 10, signingRoot: R(3) }, // double vote
      { pubkey: PK(1), sourceEpoch: 1, targetEpoch: 10, signingRoot: R(1) }, // repeat
    ]);
    assert.deepEqual(
      out.map((o) =>
        o.ok ? (o.repeat ? "repeat" : "ok") : (o.error as SlashingProtectionError).code,
      ),
      ["ok", "ok", "SURROUNDED_VOTE", "DOUBLE_VOTE", "repeat"],
    );
    db.close();
  });
});

describe("interchange import", () => {
  test("precise validation errors: version, hex, integers, network", () => {
    const db = fresh();
    const bad = (json: unknown) => {
      try {
        db.importInterchange(json, { file: "x.json" });
      } catch (err) {
        return err as InputError;
      }
      assert.fail("expected failure");
    };
    const good = ic([{ pubkey: PK(1), signed_blocks: [{ slot: "1" }], signed_attestations: [] }]);
    let e = bad({ ...good, metadata: { ...good.metadata, interchange_format_version: "4" } });
    assert.equal(e.field, "metadata.interchange_format_version");
    assert.match(e.details ?? "", /"5"/);
    e = bad({ ...good, data: [{ ...good.data[0], pubkey: "0x1234" }] });
    assert.equal(e.field, "data.0.pubkey");
    e = bad({ ...good, data: [{ ...good.data[0], signed_blocks: [{ slot: 1 }] }] });
    assert.equal(e.field, "data.0.signed_blocks.0.slot");
    e = bad({
      ...good,
      data: [{ ...good.data[0], signed_blocks: [{ slot: "1", signing_root: "0xab" }] }],
    });
    assert.equal(e.field, "data.0.signed_blocks.0.signing_root");
    e = bad({ ...good, metadata: { ...good.metadata, genesis_validators_root: "0x00" } });
    assert.equal(e.field, "metadata.genesis_validators_root");
    assert.equal(e.file, "x.json");
    const wrong = refusal(() => db.importInterchange(ic(good.data, OTHER_GVR)));
    assert.equal(wrong.code, "WRONG_NETWORK");
    db.close();
  });

  test("an import never lowers protection: older data after newer keeps the higher watermarks", () => {
    const db = fresh();
    db.importInterchange(
      ic([
        {
          pubkey: PK(1),
          signed_blocks: [{ slot: "100" }],
          signed_attestations: [{ source_epoch: "10", target_epoch: "11" }],
        },
      ]),
    );
    db.importInterchange(
      ic([
        {
          pubkey: PK(1),
          signed_blocks: [{ slot: "5" }],
          signed_attestations: [{ source_epoch: "1", target_epoch: "2" }],
        },
      ]),
    );
    assert.equal(
      refusal(() => db.checkAndInsertBlock(PK(1), 99, R(1))).code,
      "BLOCK_SLOT_BELOW_WATERMARK",
    );
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 9, 20, R(1))).code,
      "SOURCE_BELOW_WATERMARK",
    );
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 10, 11, R(1))).code,
      "DOUBLE_VOTE",
    );
    assert.equal(db.checkAndInsertBlock(PK(1), 101, R(1)).ok, true);
    assert.equal(db.checkAndInsertAttestation(PK(1), 10, 12, R(1)).ok, true);
    db.close();
  });

  test("a gap between two imports is never signed into (explicit low watermark)", () => {
    const db = fresh();
    db.importInterchange(
      ic([{ pubkey: PK(1), signed_blocks: [{ slot: "10" }], signed_attestations: [] }]),
    );
    db.importInterchange(
      ic([{ pubkey: PK(1), signed_blocks: [{ slot: "20" }], signed_attestations: [] }]),
    );
    assert.equal(
      refusal(() => db.checkAndInsertBlock(PK(1), 15, R(1))).code,
      "BLOCK_SLOT_BELOW_WATERMARK",
    );
    db.close();
  });

  test("a missing signing_root conflicts with every new message at that slot/target", () => {
    const db = fresh();
    db.importInterchange(
      ic([
        {
          pubkey: PK(1),
          signed_blocks: [{ slot: "7" }],
          signed_attestations: [{ source_epoch: "3", target_epoch: "4" }],
        },
      ]),
    );
    const b = refusal(() => db.checkAndInsertBlock(PK(1), 7, R(0)));
    assert.deepEqual(b.conflict, { kind: "block", slot: 7n, signingRoot: null });
    assert.match(b.details ?? "", /unknown/);
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 3, 4, R(0))).code,
      "DOUBLE_VOTE",
    );
    db.close();
  });

  test("contradicting data is accepted, reported, and merged into an 'unknown' root", () => {
    const db = fresh();
    db.checkAndInsertBlock(PK(1), 30, R(1));
    const s = db.importInterchange(
      ic([
        {
          pubkey: PK(1),
          signed_blocks: [{ slot: "30", signing_root: R(2) }],
          signed_attestations: [],
        },
      ]),
    );
    assert.equal(s.slashable.length, 1);
    assert.match(s.slashable[0]!.reasons[0]!, /slot 30/);
    // neither root may be re-signed any more
    assert.equal(
      refusal(() => db.checkAndInsertBlock(PK(1), 30, R(1))).code,
      "DOUBLE_BLOCK_PROPOSAL",
    );
    assert.equal(
      refusal(() => db.checkAndInsertBlock(PK(1), 30, R(2))).code,
      "DOUBLE_BLOCK_PROPOSAL",
    );
    db.close();
  });

  test("an import is all-or-nothing", () => {
    const db = fresh();
    const big = ic([
      { pubkey: PK(1), signed_blocks: [{ slot: "5" }], signed_attestations: [] },
      { pubkey: PK(2), signed_blocks: [{ slot: "x" }], signed_attestations: [] },
    ]);
    assert.throws(() => db.importInterchange(big), InputError);
    assert.equal(
      db.checkAndInsertBlock(PK(1), 1, R(1)).ok,
      true,
      "nothing from the bad file landed",
    );
    db.close();
  });
});

describe("interchange export", () => {
  test("complete export round-trips records and roots; minimal keeps the latest", () => {
    const db = fresh();
    db.checkAndInsertBlock(PK(1), 10, R(1));
    db.checkAndInsertBlock(PK(1), 12, R(2));
    db.checkAndInsertAttestation(PK(1), 1, 2, R(3));
    db.checkAndInsertAttestation(PK(1), 2, 3, R(4));
    const complete = db.exportInterchange();
    assert.deepEqual(parseInterchange(complete), complete);
    assert.deepEqual(complete.data, [
      {
        pubkey: PK(1),
        signed_blocks: [
          { slot: "10", signing_root: R(1) },
          { slot: "12", signing_root: R(2) },
        ],
        signed_attestations: [
          { source_epoch: "1", target_epoch: "2", signing_root: R(3) },
          { source_epoch: "2", target_epoch: "3", signing_root: R(4) },
        ],
      },
    ]);
    const minimal = db.exportInterchange({ format: "minimal" });
    assert.deepEqual(minimal.data, [
      {
        pubkey: PK(1),
        signed_blocks: [{ slot: "12", signing_root: R(2) }],
        signed_attestations: [{ source_epoch: "2", target_epoch: "3", signing_root: R(4) }],
      },
    ]);
    assert.deepEqual(db.exportInterchange({ pubkeys: [PK(1)] }), complete);
    assert.throws(
      () => db.exportInterchange({ pubkeys: [PK(9)] }),
      /No slashing-protection records/,
    );
    db.close();
  });

  test("a complete export of a database with a gap carries its watermark to the importer", () => {
    const db = fresh();
    db.importInterchange(
      ic([
        {
          pubkey: PK(1),
          signed_blocks: [{ slot: "10" }],
          signed_attestations: [{ source_epoch: "2", target_epoch: "30" }],
        },
      ]),
    );
    db.importInterchange(
      ic([
        {
          pubkey: PK(1),
          signed_blocks: [{ slot: "50" }],
          signed_attestations: [{ source_epoch: "10", target_epoch: "50" }],
        },
      ]),
    );
    const other = fresh();
    other.importInterchange(db.exportInterchange());
    assert.equal(
      refusal(() => other.checkAndInsertBlock(PK(1), 45, R(1))).code,
      "BLOCK_SLOT_BELOW_WATERMARK",
    );
    assert.equal(
      refusal(() => other.checkAndInsertAttestation(PK(1), 5, 49, R(1))).code,
      "SOURCE_BELOW_WATERMARK",
    );
    assert.equal(other.checkAndInsertBlock(PK(1), 51, R(1)).ok, true);
    db.close();
    other.close();
  });
});

describe("prune", () => {
  test("deletes old records but keeps refusing everything it refused before", () => {
    const db = fresh();
    for (let e = 1; e <= 50; e++) {
      db.checkAndInsertAttestation(PK(1), e - 1, e, R(e));
      db.checkAndInsertBlock(PK(1), e * 32, R(e));
    }
    const r = db.prune({ slot: 40 * 32, epoch: 40 });
    assert.equal(r.blocksDeleted, 38);
    assert.equal(r.attestationsDeleted, 38);
    assert.equal(
      refusal(() => db.checkAndInsertBlock(PK(1), 100, R(1))).code,
      "BLOCK_SLOT_BELOW_WATERMARK",
    );
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 10, 20, R(1))).code,
      "SOURCE_BELOW_WATERMARK",
    );
    assert.equal(
      refusal(() => db.checkAndInsertAttestation(PK(1), 39, 60, R(1))).code,
      "SURROUNDING_VOTE",
    );
    assert.deepEqual(db.checkAndInsertAttestation(PK(1), 44, 45, R(45)), {
      ok: true,
      repeat: true,
    });
    assert.equal(db.checkAndInsertAttestation(PK(1), 50, 51, R(51)).ok, true);
    db.close();
  });
});
