/**
 * The slashing-protection database: the one component that decides whether a signature may exist.
 * Every signing path goes through {@link SlashingProtectionDb.checkAndInsertBlock},
 * {@link SlashingProtectionDb.checkAndInsertAttestation} or
 * {@link SlashingProtectionDb.checkAndInsertAttestations}; each is ONE `BEGIN IMMEDIATE`
 * transaction that checks and records atomically and is durable (WAL + `synchronous=FULL`) before
 * it returns, so a signature is only ever produced for a request recorded on disk.
 *
 * Rules (see ./rules.ts for the sources):
 * - blocks: same slot + different/unknown signing root → refuse (`process_proposer_slashing`,
 *   EIP-3076 condition 1); same root → idempotent re-sign; slot <= low watermark → refuse (2).
 * - attestations: source > target → refuse; same target + different/unknown root → refuse (double
 *   vote); surround in either direction → refuse (`is_slashable_attestation_data`, condition 3);
 *   source < min-source or target <= min-target watermark → refuse (4), (5).
 * - Low watermarks "at all times" (EIP-3076 "Advice for Complete Databases"): the effective
 *   watermark is max(explicit watermark, minimum stored record). Imports raise the explicit one to
 *   the minimum of the imported records (never lowering it), which closes gaps between imports. If
 *   an import contradicts what is already known (slashable data), that validator's watermark jumps
 *   to the maximum of everything known — the EIP-3076 "Minimal" merge — so nothing inside the
 *   contradicted range can be signed again.
 *
 * Surround checks are indexed range queries (`target > t` on one index, `source > s` on the
 * other): in normal operation they touch O(1) rows however long the history is.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { InputError } from "../errors.js";
import { SECRET_DIR_MODE, SECRET_FILE_MODE } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import { acquireLock, type Lock } from "../util/lockfile.js";
import { type ConflictingRecord, type SigningRequest, SlashingProtectionError } from "./errors.js";
import {
  INTERCHANGE_FORMAT_VERSION,
  type Interchange,
  type InterchangeRecord,
  parseInterchange,
} from "./interchange.js";
import {
  type BytesLike,
  maxOf,
  mergeRoots,
  minOf,
  sameMessage,
  toPubkeyHex,
  toRootHex,
  toU64,
  type U64Like,
} from "./rules.js";
import { DB_FILE_NAME, DEFAULT_BUSY_TIMEOUT_MS, initSchema } from "./schema.js";

/** Options for opening the database. */
export type OpenOptions = {
  /**
   * The network this database protects. Bound on first use; a mismatch later throws
   * `WRONG_NETWORK`. Omit only for tools that read the stored value (export) or adopt the value of
   * an imported file.
   */
  genesisValidatorsRoot?: BytesLike | undefined;
  /** How long to wait for another writer's transaction (ms). */
  busyTimeoutMs?: number | undefined;
  /**
   * Hold `<file>.lock` (src/util/lockfile.ts) until {@link SlashingProtectionDb.close}: set by
   * whoever keeps state derived from the database (the node's protection view) or rewrites it
   * (import), so no second such process works on the same file. Other openers (export, doctor)
   * are still safe: every write is its own transaction.
   */
  exclusive?: boolean | undefined;
};

/** Result of an accepted request. `repeat`: the identical message was already signed. */
export type CheckResult = { ok: true; repeat: boolean };

/** One attestation of a batch. */
export type AttestationRequest = {
  pubkey: BytesLike;
  sourceEpoch: U64Like;
  targetEpoch: U64Like;
  signingRoot: BytesLike;
};

/** Per-item outcome of {@link SlashingProtectionDb.checkAndInsertAttestations}. */
export type BatchOutcome =
  | { ok: true; repeat: boolean }
  | { ok: false; error: SlashingProtectionError | InputError };

/** What an import did. `slashable` lists validators whose imported data contradicted itself or the database. */
export type ImportSummary = {
  genesisValidatorsRoot: string;
  validators: number;
  signedBlocks: number;
  signedAttestations: number;
  slashable: { pubkey: string; reasons: string[] }[];
};

/** Export options: `minimal` keeps one block and one attestation per validator (EIP-3076 "Minimal"). */
export type ExportOptions = {
  pubkeys?: BytesLike[] | undefined;
  format?: "complete" | "minimal" | undefined;
};

/** Prune options: forget records before `slot` / `epoch` (replacing them with low watermarks). */
export type PruneOptions = { slot?: U64Like | undefined; epoch?: U64Like | undefined };

type ValidatorRow = {
  id: bigint;
  min_slot: bigint | null;
  min_source: bigint | null;
  min_target: bigint | null;
};
type AttRow = { source_epoch: bigint; target_epoch: bigint; signing_root: Buffer | null };

const rootHex = (b: Buffer | null): string | null => (b === null ? null : toHex(b));
const hexBuf = (hex: string | null): Buffer | null =>
  hex === null ? null : Buffer.from(hex.slice(2), "hex");

/**
 * SQLite-backed EIP-3076 "Complete" slashing-protection database for one operator.
 *
 * @example
 * const db = SlashingProtectionDb.open("/var/lib/rpdvt", { genesisValidatorsRoot: gvr });
 * db.checkAndInsertAttestation(pubkey, 100n, 101n, signingRoot); // throws SlashingProtectionError if unsafe
 * const sig = sign(share, signingRoot);                          // only now
 */
export class SlashingProtectionDb {
  /** Path of the database file (`:memory:` for a throwaway test database). */
  readonly path: string;
  #db: Database.Database;
  #gvr: string | undefined;
  #s: ReturnType<typeof prepareStatements>;
  #lock: Lock | undefined;

  private constructor(
    path: string,
    db: Database.Database,
    gvr: string | undefined,
    lock: Lock | undefined,
  ) {
    this.path = path;
    this.#db = db;
    this.#gvr = gvr;
    this.#lock = lock;
    this.#s = prepareStatements(db);
  }

  /**
   * Open (creating if needed) `<dataDir>/slashing-protection.sqlite`, mode 0600, in a 0700
   * directory.
   *
   * @example
   * const db = SlashingProtectionDb.open(dataDir, { genesisValidatorsRoot: "0x4b36…" });
   */
  static open(dataDir: string, opts: OpenOptions = {}): SlashingProtectionDb {
    try {
      mkdirSync(dataDir, { recursive: true, mode: SECRET_DIR_MODE });
    } catch (err) {
      throw new InputError("Cannot create the data directory", {
        file: dataDir,
        details: (err as NodeJS.ErrnoException)?.code ?? String(err),
      });
    }
    return SlashingProtectionDb.openFile(join(dataDir, DB_FILE_NAME), opts);
  }

  /**
   * Open a database file by path. `":memory:"` gives a non-durable database for tests only.
   *
   * @example
   * const db = SlashingProtectionDb.openFile("/data/slashing-protection.sqlite", { genesisValidatorsRoot });
   */
  static openFile(path: string, opts: OpenOptions = {}): SlashingProtectionDb {
    const memory = path === ":memory:";
    const wantGvr =
      opts.genesisValidatorsRoot === undefined
        ? undefined
        : toRootHex(opts.genesisValidatorsRoot, "genesis_validators_root");
    const busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
    const lock =
      opts.exclusive && !memory
        ? acquireLock(`${path}.lock`, `The slashing-protection database ${path}`)
        : undefined;
    if (!memory) createPrivateFile(path);
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: !memory, timeout: busyTimeoutMs });
    } catch (err) {
      lock?.release();
      throw new InputError("Cannot open the slashing-protection database", {
        file: path,
        details: err instanceof Error ? err.message : String(err),
      });
    }
    try {
      initSchema(db, { busyTimeoutMs, path, memory });
      db.defaultSafeIntegers(true);
      const gvr = bindNetwork(db, path, wantGvr);
      if (!memory) tightenModes(path);
      return new SlashingProtectionDb(path, db, gvr, lock);
    } catch (err) {
      db.close();
      lock?.release();
      if (err instanceof SlashingProtectionError || err instanceof InputError) throw err;
      throw new InputError("Cannot open the slashing-protection database", {
        file: path,
        details: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /**
   * The network the database is bound to (0x-hex), or undefined for a fresh, unbound file.
   *
   * @example
   * db.genesisValidatorsRoot // "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"
   */
  get genesisValidatorsRoot(): string | undefined {
    return this.#gvr;
  }

  /**
   * Check a block proposal and record it, atomically. Returns `{ ok: true }` (sign now) or throws
   * {@link SlashingProtectionError} (never sign).
   *
   * @example
   * db.checkAndInsertBlock(pubkey, 81952n, signingRoot); // { ok: true, repeat: false }
   */
  checkAndInsertBlock(pubkey: BytesLike, slot: U64Like, signingRoot: BytesLike): CheckResult {
    const pk = toPubkeyHex(pubkey);
    const s = toU64(slot, "slot");
    const root = toRootHex(signingRoot);
    this.#requireNetwork();
    return this.#db
      .transaction(() => {
        const refusal = this.#checkBlock(pk, s, root);
        if (refusal instanceof SlashingProtectionError) throw refusal;
        return refusal;
      })
      .immediate();
  }

  /**
   * Check an attestation and record it, atomically. Returns `{ ok: true }` (sign now) or throws
   * {@link SlashingProtectionError} (never sign).
   *
   * @example
   * db.checkAndInsertAttestation(pubkey, 2290n, 3007n, signingRoot);
   */
  checkAndInsertAttestation(
    pubkey: BytesLike,
    sourceEpoch: U64Like,
    targetEpoch: U64Like,
    signingRoot: BytesLike,
  ): CheckResult {
    const pk = toPubkeyHex(pubkey);
    const source = toU64(sourceEpoch, "source_epoch");
    const target = toU64(targetEpoch, "target_epoch");
    const root = toRootHex(signingRoot);
    this.#requireNetwork();
    return this.#db
      .transaction(() => {
        const r = this.#checkAttestation(pk, source, target, root);
        if (r instanceof SlashingProtectionError) throw r;
        return r;
      })
      .immediate();
  }

  /**
   * Check and record many attestations (e.g. every validator of a slot) in ONE transaction. Each
   * item is decided independently, in order (later items see earlier accepted ones); a refused item
   * never blocks the others. Only items with `ok: true` may be signed. If the transaction itself
   * fails (I/O error), this throws and nothing was recorded.
   *
   * @example
   * const out = db.checkAndInsertAttestations(duties.map((d) => ({ pubkey: d.pubkey,
   *   sourceEpoch: d.source, targetEpoch: d.target, signingRoot: d.root })));
   * out.forEach((o, i) => o.ok && sign(duties[i]));
   */
  checkAndInsertAttestations(items: readonly AttestationRequest[]): BatchOutcome[] {
    this.#requireNetwork();
    const parsed = items.map((it) => {
      try {
        return {
          pk: toPubkeyHex(it.pubkey),
          source: toU64(it.sourceEpoch, "source_epoch"),
          target: toU64(it.targetEpoch, "target_epoch"),
          root: toRootHex(it.signingRoot),
        };
      } catch (err) {
        if (err instanceof InputError) return err;
        throw err;
      }
    });
    return this.#db
      .transaction((): BatchOutcome[] =>
        parsed.map((p) => {
          if (p instanceof InputError) return { ok: false, error: p };
          const r = this.#checkAttestation(p.pk, p.source, p.target, p.root);
          return r instanceof SlashingProtectionError ? { ok: false, error: r } : r;
        }),
      )
      .immediate();
  }

  /**
   * Import an EIP-3076 v5 interchange (already parsed, or raw JSON) in one transaction. Never lowers
   * protection: all records are kept (conflicting roots merge to "unknown") and watermarks only
   * rise. Binds an unbound database to the file's network; refuses a file for another network.
   *
   * @example
   * const summary = db.importInterchange(JSON.parse(text), { file });
   */
  importInterchange(interchange: unknown, opts: { file?: string } = {}): ImportSummary {
    const ic = parseInterchange(interchange, opts.file);
    const fileGvr = ic.metadata.genesis_validators_root.toLowerCase();
    return this.#db
      .transaction((): ImportSummary => {
        const stored = this.#s.getMeta.get("genesis_validators_root") as
          | { value: string }
          | undefined;
        if (stored && stored.value !== fileGvr)
          throw new SlashingProtectionError("WRONG_NETWORK", {
            file: opts.file,
            conflict: { kind: "network", genesisValidatorsRoot: stored.value },
            metaMessages: [
              `The file is for genesis_validators_root ${fileGvr}.`,
              "Import only interchange files exported for the same network.",
            ],
          });
        if (!stored) this.#s.setMeta.run("genesis_validators_root", fileGvr);
        const byKey = new Map<string, InterchangeRecord[]>();
        for (const rec of ic.data) {
          const k = rec.pubkey.toLowerCase();
          byKey.set(k, [...(byKey.get(k) ?? []), rec]);
        }
        const summary: ImportSummary = {
          genesisValidatorsRoot: fileGvr,
          validators: byKey.size,
          signedBlocks: 0,
          signedAttestations: 0,
          slashable: [],
        };
        for (const [pk, recs] of byKey) {
          const r = this.#importValidator(pk, recs);
          summary.signedBlocks += r.blocks;
          summary.signedAttestations += r.attestations;
          if (r.reasons.length) summary.slashable.push({ pubkey: pk, reasons: r.reasons });
        }
        return summary;
      })
      .immediate();
  }

  /**
   * Export as an EIP-3076 v5 interchange, from one consistent snapshot. `complete` exports every
   * record at or above the low watermarks (plus a root-less entry at the watermark so the importer's
   * conditions (2), (4), (5) are never weaker than ours); `minimal` exports one block and one
   * attestation per validator.
   *
   * @example
   * const ic = db.exportInterchange({ format: "complete" });
   */
  exportInterchange(opts: ExportOptions = {}): Interchange {
    const gvr = this.#requireNetwork();
    const format = opts.format ?? "complete";
    const wanted = opts.pubkeys?.map((p) => toPubkeyHex(p, "pubkeys"));
    return this.#db.transaction((): Interchange => {
      const rows = (this.#s.allValidators.all() as { pubkey: Buffer }[]).map((r) =>
        toHex(r.pubkey),
      );
      const present = new Set(rows);
      for (const w of wanted ?? [])
        if (!present.has(w))
          throw new InputError("No slashing-protection records for this validator", {
            field: "pubkeys",
            details: w,
          });
      const selected = wanted ? [...new Set(wanted)] : rows;
      return {
        metadata: {
          interchange_format_version: INTERCHANGE_FORMAT_VERSION,
          genesis_validators_root: gvr,
        },
        data: selected.map((pk) =>
          format === "minimal" ? this.#exportMinimal(pk) : this.#exportComplete(pk),
        ),
      };
    })();
  }

  /**
   * Forget history before `slot` / `epoch`: raise each validator's low watermarks to its latest
   * record before the bound, then delete only records the watermarks make irrelevant (blocks below
   * the slot watermark; attestations with target below and source at/below the epoch watermarks).
   *
   * @example
   * db.prune({ slot: headSlot - 8192n, epoch: headEpoch - 256n });
   */
  prune(opts: PruneOptions): { blocksDeleted: number; attestationsDeleted: number } {
    const slot = opts.slot === undefined ? undefined : toU64(opts.slot, "slot");
    const epoch = opts.epoch === undefined ? undefined : toU64(opts.epoch, "epoch");
    return this.#db
      .transaction(() => {
        let blocksDeleted = 0;
        let attestationsDeleted = 0;
        for (const { id } of this.#s.allValidatorIds.all() as { id: bigint }[]) {
          const w = this.#s.watermarkById.get(id) as ValidatorRow | undefined;
          let minSlot = w?.min_slot ?? null;
          let minSource = w?.min_source ?? null;
          let minTarget = w?.min_target ?? null;
          if (slot !== undefined) {
            const m = (this.#s.maxBlockSlotBefore.get(id, slot) as { m: bigint | null }).m;
            minSlot = maxOf(minSlot, m) ?? null;
          }
          if (epoch !== undefined) {
            const m = this.#s.maxAttBefore.get(id, epoch) as { s: bigint | null; t: bigint | null };
            minSource = maxOf(minSource, m.s) ?? null;
            minTarget = maxOf(minTarget, m.t) ?? null;
          }
          this.#s.upsertWatermark.run(id, minSlot, minSource, minTarget);
          if (minSlot !== null) blocksDeleted += this.#s.pruneBlocks.run(id, minSlot).changes;
          if (minSource !== null && minTarget !== null)
            attestationsDeleted += this.#s.pruneAtts.run(id, minTarget, minSource).changes;
        }
        return { blocksDeleted, attestationsDeleted };
      })
      .immediate();
  }

  /**
   * Durability settings actually in force on this connection (for tests and `--json` status).
   *
   * @example
   * db.diagnostics() // { journalMode: "wal", synchronous: "FULL", busyTimeoutMs: 10000, schemaVersion: 1 }
   */
  diagnostics(): {
    journalMode: string;
    synchronous: string;
    busyTimeoutMs: number;
    schemaVersion: number;
  } {
    const sync = Number(this.#db.pragma("synchronous", { simple: true }));
    return {
      journalMode: String(this.#db.pragma("journal_mode", { simple: true })).toLowerCase(),
      synchronous: ["OFF", "NORMAL", "FULL", "EXTRA"][sync] ?? String(sync),
      busyTimeoutMs: Number(this.#db.pragma("busy_timeout", { simple: true })),
      schemaVersion: Number(this.#db.pragma("user_version", { simple: true })),
    };
  }

  /**
   * Close the database (checkpoints the WAL).
   *
   * @example
   * db.close();
   */
  close(): void {
    if (this.#db.open) this.#db.close();
    this.#lock?.release();
  }

  // ---------------------------------------------------------------------------------------------

  #requireNetwork(): string {
    if (this.#gvr === undefined) {
      const stored = this.#s.getMeta.get("genesis_validators_root") as
        | { value: string }
        | undefined;
      if (stored) this.#gvr = stored.value;
    }
    if (this.#gvr === undefined)
      throw new InputError("The slashing-protection database is not bound to a network yet", {
        file: this.path,
        metaMessages: [
          "Open it with the network's genesis_validators_root, or import an interchange first.",
        ],
      });
    return this.#gvr;
  }

  #validator(pk: string, create: boolean): ValidatorRow | undefined {
    const key = hexBuf(pk) as Buffer;
    let row = this.#s.validatorByPubkey.get(key) as ValidatorRow | undefined;
    if (!row && create) {
      this.#s.insertValidator.run(key);
      row = this.#s.validatorByPubkey.get(key) as ValidatorRow;
    }
    return row;
  }

  /** max(explicit watermark, minimum stored record) — EIP-3076 conditions (2), (4), (5). */
  #effectiveWatermarks(v: ValidatorRow): { slot?: bigint; source?: bigint; target?: bigint } {
    return {
      slot: maxOf(
        v.min_slot,
        (this.#s.minBlockSlot.get(v.id) as { slot: bigint } | undefined)?.slot,
      ),
      source: maxOf(v.min_source, (this.#s.minAttSource.get(v.id) as { s: bigint } | undefined)?.s),
      target: maxOf(v.min_target, (this.#s.minAttTarget.get(v.id) as { t: bigint } | undefined)?.t),
    };
  }

  #checkBlock(pk: string, slot: bigint, root: string): CheckResult | SlashingProtectionError {
    const v = this.#validator(pk, true) as ValidatorRow;
    const request: SigningRequest = { kind: "block", slot, signingRoot: root };
    const refuse = (
      code: "DOUBLE_BLOCK_PROPOSAL" | "BLOCK_SLOT_BELOW_WATERMARK",
      c: ConflictingRecord,
    ) => new SlashingProtectionError(code, { pubkey: pk, request, conflict: c });
    const existing = this.#s.blockAt.get(v.id, slot) as { signing_root: Buffer | null } | undefined;
    if (existing) {
      const prev = rootHex(existing.signing_root);
      if (sameMessage(prev, root)) return { ok: true, repeat: true };
      return refuse("DOUBLE_BLOCK_PROPOSAL", { kind: "block", slot, signingRoot: prev });
    }
    const wm = this.#effectiveWatermarks(v).slot;
    if (wm !== undefined && slot <= wm)
      return refuse("BLOCK_SLOT_BELOW_WATERMARK", { kind: "watermark", slot: wm });
    this.#s.insertBlock.run(v.id, slot, hexBuf(root));
    return { ok: true, repeat: false };
  }

  #checkAttestation(
    pk: string,
    source: bigint,
    target: bigint,
    root: string,
  ): CheckResult | SlashingProtectionError {
    const request: SigningRequest = {
      kind: "attestation",
      sourceEpoch: source,
      targetEpoch: target,
      signingRoot: root,
    };
    const refuse = (
      code:
        | "DOUBLE_VOTE"
        | "SURROUNDING_VOTE"
        | "SURROUNDED_VOTE"
        | "SOURCE_EXCEEDS_TARGET"
        | "SOURCE_BELOW_WATERMARK"
        | "TARGET_BELOW_WATERMARK",
      conflict?: ConflictingRecord,
    ) => new SlashingProtectionError(code, { pubkey: pk, request, conflict });
    const att = (r: AttRow): ConflictingRecord => ({
      kind: "attestation",
      sourceEpoch: r.source_epoch,
      targetEpoch: r.target_epoch,
      signingRoot: rootHex(r.signing_root),
    });
    if (source > target) return refuse("SOURCE_EXCEEDS_TARGET");
    const v = this.#validator(pk, true) as ValidatorRow;
    // Double vote (condition 3). Every record at this target carrying our root = a repeat signing.
    const atTarget = this.#s.attsAtTarget.all(v.id, target) as AttRow[];
    const differing = atTarget.find((r) => !sameMessage(rootHex(r.signing_root), root));
    if (differing) return refuse("DOUBLE_VOTE", att(differing));
    const repeat = atTarget.length > 0;
    const wm = this.#effectiveWatermarks(v);
    // Condition (4) has no repeat exemption; condition (5) exempts repeats.
    if (wm.source !== undefined && source < wm.source)
      return refuse("SOURCE_BELOW_WATERMARK", { kind: "watermark", sourceEpoch: wm.source });
    if (!repeat && wm.target !== undefined && target <= wm.target)
      return refuse("TARGET_BELOW_WATERMARK", { kind: "watermark", targetEpoch: wm.target });
    // Surround votes (condition 3) apply to repeats too: imported data may make an old message
    // slashable, and then it must not be re-signed either.
    const surrounded = this.#s.surroundingNew.get(v.id, target, source) as AttRow | undefined;
    if (surrounded) return refuse("SURROUNDED_VOTE", att(surrounded));
    const surrounding = this.#s.surroundedByNew.get(v.id, source, target) as AttRow | undefined;
    if (surrounding) return refuse("SURROUNDING_VOTE", att(surrounding));
    if (repeat) return { ok: true, repeat: true };
    this.#s.insertAtt.run(v.id, source, target, hexBuf(root));
    return { ok: true, repeat: false };
  }

  #importValidator(
    pk: string,
    recs: InterchangeRecord[],
  ): { blocks: number; attestations: number; reasons: string[] } {
    const v = this.#validator(pk, true) as ValidatorRow;
    // The effective watermark includes the minimum stored record; importing OLDER records would
    // lower that minimum, so pin the pre-import effective watermarks explicitly first.
    const before = this.#effectiveWatermarks(v);
    const reasons: string[] = [];
    const blocksIn = recs.flatMap((r) => r.signed_blocks);
    const attsIn = recs.flatMap((r) => r.signed_attestations);
    const blocks = this.#importBlocks(v, blocksIn, reasons);
    const atts = this.#importAttestations(v, attsIn, reasons);
    this.#raiseWatermarks(v, before, {
      blocksIn,
      attsIn,
      blockConflict: blocks.conflict,
      attConflict: atts.conflict,
    });
    return { blocks: blocks.inserted, attestations: atts.inserted, reasons };
  }

  /** Imported blocks: new slots are inserted; a different root at a known slot is a conflict. */
  #importBlocks(
    v: ValidatorRow,
    blocksIn: InterchangeRecord["signed_blocks"],
    reasons: string[],
  ): { inserted: number; conflict: boolean } {
    let inserted = 0;
    let conflict = false;
    for (const b of blocksIn) {
      const slot = BigInt(b.slot);
      const root = b.signing_root === undefined ? null : b.signing_root.toLowerCase();
      const existing = this.#s.blockAt.get(v.id, slot) as
        | { signing_root: Buffer | null }
        | undefined;
      if (!existing) {
        this.#s.insertBlock.run(v.id, slot, hexBuf(root));
        inserted++;
        continue;
      }
      const prev = rootHex(existing.signing_root);
      if ((prev === null && root === null) || sameMessage(prev, root)) continue; // same record
      conflict = true;
      reasons.push(`block at slot ${slot} with a different or unknown signing_root`);
      this.#s.setBlockRoot.run(hexBuf(mergeRoots(prev, root)), v.id, slot);
    }
    return { inserted, conflict };
  }

  /**
   * Imported attestations: every one is kept (the database must know what was signed), and a
   * source > target, double, surround or different-root record marks the import as conflicting.
   */
  #importAttestations(
    v: ValidatorRow,
    attsIn: InterchangeRecord["signed_attestations"],
    reasons: string[],
  ): { inserted: number; conflict: boolean } {
    let inserted = 0;
    let conflict = false;
    for (const a of attsIn) {
      const source = BigInt(a.source_epoch);
      const target = BigInt(a.target_epoch);
      const root = a.signing_root === undefined ? null : a.signing_root.toLowerCase();
      if (source > target) {
        conflict = true;
        reasons.push(`attestation ${source}→${target} has source > target`);
      }
      const atTarget = this.#s.attsAtTarget.all(v.id, target) as AttRow[];
      const same = atTarget.find((r) => r.source_epoch === source);
      if (atTarget.some((r) => r.source_epoch !== source)) {
        conflict = true;
        reasons.push(`double vote at target ${target}`);
      }
      if (same) {
        const prev = rootHex(same.signing_root);
        if (!((prev === null && root === null) || sameMessage(prev, root))) {
          conflict = true;
          reasons.push(`attestation ${source}→${target} with a different or unknown signing_root`);
          this.#s.setAttRoot.run(hexBuf(mergeRoots(prev, root)), v.id, target, source);
        }
        continue;
      }
      const s1 = this.#s.surroundingNew.get(v.id, target, source) as AttRow | undefined;
      const s2 = this.#s.surroundedByNew.get(v.id, source, target) as AttRow | undefined;
      if (s1 || s2) {
        conflict = true;
        reasons.push(`attestation ${source}→${target} is a surround vote`);
      }
      this.#s.insertAtt.run(v.id, source, target, hexBuf(root));
      inserted++;
    }
    return { inserted, conflict };
  }

  /** Watermarks: max(existing, min of this import) — or, after contradicting data, max of all. */
  #raiseWatermarks(
    v: ValidatorRow,
    before: { slot?: bigint; source?: bigint; target?: bigint },
    imported: {
      blocksIn: InterchangeRecord["signed_blocks"];
      attsIn: InterchangeRecord["signed_attestations"];
      blockConflict: boolean;
      attConflict: boolean;
    },
  ): void {
    const { blocksIn, attsIn, blockConflict, attConflict } = imported;
    let minSlot = before.slot ?? null;
    let minSource = before.source ?? null;
    let minTarget = before.target ?? null;
    if (blocksIn.length > 0) {
      const bound = blockConflict
        ? (this.#s.maxBlockSlot.get(v.id) as { slot: bigint }).slot
        : (minOf(...blocksIn.map((b) => BigInt(b.slot))) as bigint);
      minSlot = maxOf(minSlot, bound) ?? null;
    }
    if (attsIn.length > 0) {
      const s = attConflict
        ? (this.#s.maxAttSource.get(v.id) as { s: bigint }).s
        : (minOf(...attsIn.map((a) => BigInt(a.source_epoch))) as bigint);
      const t = attConflict
        ? (this.#s.maxAttTarget.get(v.id) as { t: bigint }).t
        : (minOf(...attsIn.map((a) => BigInt(a.target_epoch))) as bigint);
      minSource = maxOf(minSource, s) ?? null;
      minTarget = maxOf(minTarget, t) ?? null;
    }
    this.#s.upsertWatermark.run(v.id, minSlot, minSource, minTarget);
  }

  #exportComplete(pk: string): InterchangeRecord {
    const v = this.#validator(pk, false) as ValidatorRow;
    const blockRows = this.#s.blocksOf.all(v.id) as { slot: bigint; signing_root: Buffer | null }[];
    const attRows = this.#s.attsOf.all(v.id) as AttRow[];
    const wmSlot = v.min_slot;
    const keptBlocks = blockRows.filter((b) => wmSlot === null || b.slot >= wmSlot);
    const signed_blocks = keptBlocks.map((b) => blockJson(b.slot, rootHex(b.signing_root)));
    if (wmSlot !== null && !keptBlocks.some((b) => b.slot === wmSlot))
      signed_blocks.unshift(blockJson(wmSlot, null));
    const wmS = v.min_source;
    const wmT = v.min_target;
    let signed_attestations: InterchangeRecord["signed_attestations"];
    if (wmS === null && wmT === null) {
      signed_attestations = attRows.map((a) =>
        attJson(a.source_epoch, a.target_epoch, rootHex(a.signing_root)),
      );
    } else {
      const s0 = wmS ?? 0n;
      const t0 = wmT ?? 0n;
      const kept = attRows.filter((a) => a.source_epoch >= s0 && a.target_epoch >= t0);
      signed_attestations = kept.map((a) =>
        attJson(a.source_epoch, a.target_epoch, rootHex(a.signing_root)),
      );
      if (!kept.some((a) => a.target_epoch === t0))
        signed_attestations.unshift(attJson(s0, t0, null));
    }
    return { pubkey: pk, signed_blocks, signed_attestations };
  }

  #exportMinimal(pk: string): InterchangeRecord {
    const v = this.#validator(pk, false) as ValidatorRow;
    const maxSlot = (this.#s.maxBlockSlot.get(v.id) as { slot: bigint | null }).slot;
    const slot = maxOf(maxSlot, v.min_slot);
    const signed_blocks: InterchangeRecord["signed_blocks"] = [];
    if (slot !== undefined) {
      const row = this.#s.blockAt.get(v.id, slot) as { signing_root: Buffer | null } | undefined;
      signed_blocks.push(blockJson(slot, row ? rootHex(row.signing_root) : null));
    }
    const s = maxOf((this.#s.maxAttSource.get(v.id) as { s: bigint | null }).s, v.min_source);
    const t = maxOf((this.#s.maxAttTarget.get(v.id) as { t: bigint | null }).t, v.min_target);
    const signed_attestations: InterchangeRecord["signed_attestations"] = [];
    if (s !== undefined || t !== undefined) {
      const s0 = s ?? 0n;
      const t0 = t ?? 0n;
      const rows = this.#s.attsAtTarget.all(v.id, t0) as AttRow[];
      const exact = rows.length === 1 && rows[0]?.source_epoch === s0 ? rows[0] : undefined;
      signed_attestations.push(attJson(s0, t0, exact ? rootHex(exact.signing_root) : null));
    }
    return { pubkey: pk, signed_blocks, signed_attestations };
  }
}

function blockJson(slot: bigint, root: string | null): InterchangeRecord["signed_blocks"][number] {
  return root === null ? { slot: String(slot) } : { slot: String(slot), signing_root: root };
}

function attJson(
  source: bigint,
  target: bigint,
  root: string | null,
): InterchangeRecord["signed_attestations"][number] {
  const base = { source_epoch: String(source), target_epoch: String(target) };
  return root === null ? base : { ...base, signing_root: root };
}

function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, "wx", SECRET_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === "EEXIST") return;
    throw new InputError("Cannot create the slashing-protection database", {
      file: path,
      details: (err as NodeJS.ErrnoException)?.code ?? String(err),
    });
  }
}

/** Keep the database and its WAL/SHM side files private (0600). */
function tightenModes(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(p)) continue;
    if ((statSync(p).mode & 0o077) !== 0) chmodSync(p, SECRET_FILE_MODE);
  }
}

function bindNetwork(
  db: Database.Database,
  path: string,
  want: string | undefined,
): string | undefined {
  const read = () =>
    (
      db.prepare("SELECT value FROM metadata WHERE key = ?").get("genesis_validators_root") as
        | { value: string }
        | undefined
    )?.value;
  const verify = (stored: string | undefined) => {
    if (stored !== undefined && want !== undefined && stored !== want)
      throw new SlashingProtectionError("WRONG_NETWORK", {
        file: path,
        conflict: { kind: "network", genesisValidatorsRoot: stored },
        metaMessages: [
          `Requested genesis_validators_root ${want}.`,
          "Each network needs its own data directory; never reuse a database across networks.",
        ],
      });
    return stored;
  };
  const stored = verify(read());
  if (stored !== undefined || want === undefined) return stored ?? want;
  // First use: bind under the write lock (re-checking, another process may have bound it).
  return db
    .transaction(() => {
      const again = verify(read());
      if (again === undefined)
        db.prepare("INSERT INTO metadata (key, value) VALUES (?, ?)").run(
          "genesis_validators_root",
          want,
        );
      return again ?? want;
    })
    .immediate();
}

function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    getMeta: p("SELECT value FROM metadata WHERE key = ?"),
    setMeta: p("INSERT INTO metadata (key, value) VALUES (?, ?)"),
    validatorByPubkey: p(`SELECT v.id AS id, w.min_slot AS min_slot,
        w.min_source_epoch AS min_source, w.min_target_epoch AS min_target
      FROM validators v LEFT JOIN low_watermarks w ON w.validator_id = v.id WHERE v.pubkey = ?`),
    watermarkById: p(`SELECT validator_id AS id, min_slot, min_source_epoch AS min_source,
        min_target_epoch AS min_target FROM low_watermarks WHERE validator_id = ?`),
    insertValidator: p(
      "INSERT INTO validators (pubkey) VALUES (?) ON CONFLICT (pubkey) DO NOTHING",
    ),
    allValidators: p("SELECT pubkey FROM validators ORDER BY id"),
    allValidatorIds: p("SELECT id FROM validators ORDER BY id"),
    upsertWatermark: p(`INSERT INTO low_watermarks
        (validator_id, min_slot, min_source_epoch, min_target_epoch) VALUES (?, ?, ?, ?)
      ON CONFLICT (validator_id) DO UPDATE SET min_slot = excluded.min_slot,
        min_source_epoch = excluded.min_source_epoch, min_target_epoch = excluded.min_target_epoch`),
    // blocks
    blockAt: p("SELECT signing_root FROM signed_blocks WHERE validator_id = ? AND slot = ?"),
    minBlockSlot: p(
      "SELECT slot FROM signed_blocks WHERE validator_id = ? ORDER BY slot ASC LIMIT 1",
    ),
    maxBlockSlot: p("SELECT MAX(slot) AS slot FROM signed_blocks WHERE validator_id = ?"),
    maxBlockSlotBefore: p(
      "SELECT MAX(slot) AS m FROM signed_blocks WHERE validator_id = ? AND slot < ?",
    ),
    insertBlock: p("INSERT INTO signed_blocks (validator_id, slot, signing_root) VALUES (?, ?, ?)"),
    setBlockRoot: p(
      "UPDATE signed_blocks SET signing_root = ? WHERE validator_id = ? AND slot = ?",
    ),
    blocksOf: p(
      "SELECT slot, signing_root FROM signed_blocks WHERE validator_id = ? ORDER BY slot",
    ),
    pruneBlocks: p("DELETE FROM signed_blocks WHERE validator_id = ? AND slot < ?"),
    // attestations
    attsAtTarget: p(`SELECT source_epoch, target_epoch, signing_root
      FROM signed_attestations INDEXED BY signed_attestations_by_target
      WHERE validator_id = ? AND target_epoch = ?`),
    minAttSource: p(`SELECT source_epoch AS s FROM signed_attestations
      INDEXED BY signed_attestations_by_source WHERE validator_id = ? ORDER BY source_epoch LIMIT 1`),
    minAttTarget: p(`SELECT target_epoch AS t FROM signed_attestations
      INDEXED BY signed_attestations_by_target WHERE validator_id = ? ORDER BY target_epoch LIMIT 1`),
    maxAttSource: p(
      "SELECT MAX(source_epoch) AS s FROM signed_attestations WHERE validator_id = ?",
    ),
    maxAttTarget: p(
      "SELECT MAX(target_epoch) AS t FROM signed_attestations WHERE validator_id = ?",
    ),
    maxAttBefore: p(`SELECT MAX(source_epoch) AS s, MAX(target_epoch) AS t
      FROM signed_attestations WHERE validator_id = ? AND target_epoch < ?`),
    // existing.target > t AND existing.source < s: the existing attestation surrounds the new one
    surroundingNew: p(`SELECT source_epoch, target_epoch, signing_root
      FROM signed_attestations INDEXED BY signed_attestations_by_target
      WHERE validator_id = ? AND target_epoch > ? AND source_epoch < ?
      ORDER BY target_epoch LIMIT 1`),
    // existing.source > s AND existing.target < t: the new attestation surrounds the existing one
    surroundedByNew: p(`SELECT source_epoch, target_epoch, signing_root
      FROM signed_attestations INDEXED BY signed_attestations_by_source
      WHERE validator_id = ? AND source_epoch > ? AND target_epoch < ?
      ORDER BY source_epoch LIMIT 1`),
    insertAtt: p(`INSERT INTO signed_attestations
      (validator_id, source_epoch, target_epoch, signing_root) VALUES (?, ?, ?, ?)`),
    setAttRoot: p(`UPDATE signed_attestations SET signing_root = ?
      WHERE validator_id = ? AND target_epoch = ? AND source_epoch = ?`),
    attsOf: p(`SELECT source_epoch, target_epoch, signing_root FROM signed_attestations
      INDEXED BY signed_attestations_by_target WHERE validator_id = ?
      ORDER BY target_epoch, source_epoch`),
    pruneAtts: p(`DELETE FROM signed_attestations
      WHERE validator_id = ? AND target_epoch < ? AND source_epoch <= ?`),
  };
}
