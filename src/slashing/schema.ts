/**
 * SQLite schema of the slashing-protection database (one file per operator,
 * `<dataDir>/slashing-protection.sqlite`).
 *
 * - `metadata`: the `genesis_validators_root` the file is bound to (EIP-3076 `metadata`), so a
 *   database can never be used for another network.
 * - `validators`: one row per BLS public key.
 * - `signed_blocks` / `signed_attestations`: every message signed or imported (EIP-3076 "Complete"
 *   strategy). `signing_root` NULL = imported without a signing root ("always conflicting").
 * - `low_watermarks`: explicit low watermarks raised by imports and pruning (EIP-3076 "Advice for
 *   Complete Databases": store an explicit low watermark so gaps between imports are never signed
 *   into). The effective watermark is max(this row, minimum stored record) — conditions (2), (4),
 *   (5) "at all times".
 *
 * Pragmas: WAL journal (readers never block the signer), `synchronous=FULL` (in WAL mode the log is
 * fsynced at every commit, so a record is durable before the signature is released —
 * https://www.sqlite.org/pragma.html#pragma_synchronous), `foreign_keys=ON`, busy timeout so a second
 * writer waits for the lock instead of failing.
 */
import type Database from "better-sqlite3";
import { SlashingProtectionError } from "./errors.js";

/** File name inside the operator's data directory. */
export const DB_FILE_NAME = "slashing-protection.sqlite";

/** Schema version stored in `PRAGMA user_version` (bump with a migration when the schema changes). */
export const SCHEMA_VERSION = 1;

/**
 * How long a writer waits for another connection's transaction before giving up, in ms. A
 * check-and-insert holds the lock for well under 10 ms (one fsync), an import of a large
 * interchange for up to a few seconds.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

const DDL = `
CREATE TABLE metadata (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE validators (
  id     INTEGER PRIMARY KEY,
  pubkey BLOB NOT NULL UNIQUE CHECK (length(pubkey) = 48)
);

CREATE TABLE low_watermarks (
  validator_id     INTEGER PRIMARY KEY NOT NULL REFERENCES validators(id),
  min_slot         INTEGER CHECK (min_slot >= 0),
  min_source_epoch INTEGER CHECK (min_source_epoch >= 0),
  min_target_epoch INTEGER CHECK (min_target_epoch >= 0)
);

CREATE TABLE signed_blocks (
  validator_id INTEGER NOT NULL REFERENCES validators(id),
  slot         INTEGER NOT NULL CHECK (slot >= 0),
  signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32),
  PRIMARY KEY (validator_id, slot)
) WITHOUT ROWID;

CREATE TABLE signed_attestations (
  validator_id INTEGER NOT NULL REFERENCES validators(id),
  source_epoch INTEGER NOT NULL CHECK (source_epoch >= 0),
  target_epoch INTEGER NOT NULL CHECK (target_epoch >= 0),
  signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32)
);
-- Double-vote lookups, MIN(target) and "existing surrounds new" (target > t) range scans.
CREATE UNIQUE INDEX signed_attestations_by_target
  ON signed_attestations (validator_id, target_epoch, source_epoch);
-- MIN(source) and "new surrounds existing" (source > s) range scans.
CREATE INDEX signed_attestations_by_source
  ON signed_attestations (validator_id, source_epoch, target_epoch);
`;

/**
 * Apply pragmas and create/upgrade the schema. Throws `UNSUPPORTED_SCHEMA` for files written by a
 * newer version.
 *
 * @example
 * initSchema(new Database(path), { busyTimeoutMs: 10_000, path, memory: false });
 */
export function initSchema(
  db: Database.Database,
  opts: { busyTimeoutMs: number; path: string; memory: boolean },
): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
  if (!opts.memory) {
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (String(mode).toLowerCase() !== "wal")
      throw new SlashingProtectionError("UNSUPPORTED_SCHEMA", {
        file: opts.path,
        metaMessages: [`Could not enable WAL journal mode (got ${String(mode)}).`],
      });
  }
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  const check = (version: number) => {
    if (version !== 0 && version !== SCHEMA_VERSION)
      throw new SlashingProtectionError("UNSUPPORTED_SCHEMA", {
        file: opts.path,
        metaMessages: [
          `Schema version ${version}, this rpdvt understands ${SCHEMA_VERSION}.`,
          "Upgrade rpdvt; never delete a slashing-protection database to work around this.",
        ],
      });
    return version;
  };
  // Only a fresh file needs the write lock; opening an existing database never blocks a signer.
  if (check(Number(db.pragma("user_version", { simple: true }))) !== 0) return;
  db.transaction(() => {
    if (check(Number(db.pragma("user_version", { simple: true }))) !== 0) return;
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
