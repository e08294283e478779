/**
 * Rocket Pool minipool performance files (`rp-minipool-performance-<network>-<interval>.json`),
 * published with every rewards interval next to the rewards tree, and the Saturn successor
 * `rp-performance-<network>-<interval>.json` (same minipool records plus megapool validators).
 *
 * Format (rocket-pool/smartnode):
 * - shared/services/rewards/types.go / rewards-file-v{1,2,3}.go: `MinipoolPerformanceFile_v1`
 *   (no version fields; records `SmoothingPoolMinipoolPerformance_v1` with float
 *   `participationRate`/`ethEarned`), `MinipoolPerformanceFile_v2`/`_v3` (`rewardsFileVersion`,
 *   `rulesetVersion`, `index`, `network`, `startTime`, `endTime`, `consensus/executionStart/EndBlock`,
 *   `minipoolPerformance`: minipool address → `{pubkey, successfulAttestations, missedAttestations,
 *   attestationScore, missingAttestationSlots, ethEarned}`), and performance-file-v1.go
 *   (`PerformanceFile_v1`: adds `megapoolPerformance` megapool → `{voterShare,
 *   validatorPerformance: pubkey → same record}`; newer records may add `bonusEthEarned`,
 *   `consensusIncome`, `effectiveCommission`, which are ignored here).
 * - Serialisation is Go `encoding/json`: map keys are `common.Address` text (lowercase `0x` hex,
 *   sorted), `pubkey` is `ValidatorPubkey.Hex()` (hex WITHOUT `0x`), uint64 are JSON numbers,
 *   `*QuotedBigInt` is a quoted decimal string (its UnmarshalJSON accepts any `big.Int.SetString(s,
 *   0)` form, so `0x` hex too), `missingAttestationSlots` is built from a Go map (unordered).
 * - generator-impl-v*.go: `MissedAttestations = len(MissingAttestationSlots)`; minipools with no
 *   duty at all are left out.
 * - rocket-pool/rocketpool-research "Merkle Rewards System/rewards-calculation-spec.md"
 *   (Calculating Attestation Performance and Minipool Scores): an attestation is successful when
 *   included within 32 slots; each successful one adds `minipoolScore = (1e18 − fee)·bond/32e18 +
 *   fee` (≤ 1e18) to `attestationScore`. Only nodes opted into the Smoothing Pool appear.
 *
 * Parsing checks those invariants (missed = number of missing slots; 0 ≤ attestationScore ≤
 * successful·1e18) so a hand-edited or truncated file is rejected with the field named.
 *
 * Tested on the published files of rocket-pool/rewards-trees @940d81a (test/vectors.lock.json):
 * `rp-minipool-performance-testnet-10.json` (rewardsFileVersion 3, ruleset 10, 270 minipools whose
 * records add `consensusIncome`, `bonusEthEarned`, `effectiveCommission`) and
 * `rp-performance-testnet-232.json` (rewardsFileVersion 4, ruleset 11, `bonusScalar`, 18
 * megapools of which 8 carry only `voterShare` and 10 list 2039 validators). The interval's
 * rewards tree (`rp-rewards-…`: `nodeRewards`, `merkleRoot`, `minipoolPerformanceFileCid`) holds
 * no attestation counts and is refused naming the CID of its performance file. Parse time (one
 * core of a loaded 2-core host): 0.1–0.3 s for the 704 kB v4 file; a synthetic 15 MB file of
 * 30 000 minipools (mainnet size) 2.4–2.9 s and ~250 MB RSS (records are checked by hand, not
 * copied through zod: that took 3.6–4.1 s).
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { z } from "zod";
import { InputError } from "../errors.js";
import { fileWording, parseJsonText, readInputFile } from "../util/json-file.js";
import { parseWith } from "../util/schema.js";

/** 1 ETH in wei: the scale of a per-attestation minipool score (rewards spec). */
export const WEI_PER_ETH = 10n ** 18n;

/** File names the Smartnode writes (config MinipoolPerformanceFilenameFormat / performanceFilenameFormat). */
const FILE_NAME_RE = /^rp-(?:minipool-)?performance-([a-z0-9-]+?)-(\d+)\.json$/;

const ADDRESS_KEY = /^0x[0-9a-fA-F]{40}$/;

const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** `*QuotedBigInt`: quoted decimal (as written) or `0x` hex (accepted by its UnmarshalJSON). */
const QUOTED_BIG_INT = /^(?:\d+|0x[0-9a-fA-F]+)$/;
const PUBKEY = /^(0x)?[0-9a-fA-F]{96}$/;

/** The maps of records are read by {@link readRecord} (no zod copy of 10⁴–10⁵ records). */
const recordMap = z.record(z.string(), z.unknown());

const fileSchema = z.object({
  rewardsFileVersion: uint.optional(),
  rulesetVersion: uint.optional(),
  index: uint,
  network: z.string().regex(/^[a-z0-9-]+$/, "must be a lowercase network name"),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  minipoolPerformance: recordMap.nullish(),
  megapoolPerformance: z
    .record(z.string(), z.object({ validatorPerformance: recordMap.nullish() }))
    .nullish(),
});

/** One record's fields as written (SmoothingPoolMinipoolPerformance_v1/_v2 and megapool's). */
type RawRecord = {
  successfulAttestations: number;
  missedAttestations: number;
  attestationScore: bigint | undefined;
  missingAttestationSlots: number[] | undefined;
  ethEarned: bigint | undefined;
};

/**
 * Read one record with the checks the zod schema made, without copying it through zod (a 15 MB
 * mainnet-sized file has ~30 000): an InputError names the field on any problem.
 */
function readRecord(raw: unknown, field: string, file: string): RawRecord {
  const bad = (f: string, details: string) =>
    new InputError("Not a Rocket Pool minipool performance file", {
      file,
      field: `${field}${f ? `.${f}` : ""}`,
      details,
    });
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw bad("", "must be an object");
  const o = raw as Record<string, unknown>;
  const count = (k: string): number => {
    const v = o[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw bad(k, "must be a non-negative integer");
    return v;
  };
  const big = (k: string, floatOk: boolean): bigint | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string" && QUOTED_BIG_INT.test(v)) return BigInt(v);
    if (floatOk && typeof v === "number" && v >= 0) return undefined; // v1: a float, not used
    throw bad(k, "must be a quoted non-negative integer");
  };
  const pr = o.participationRate;
  if (pr !== undefined && pr !== null && !(typeof pr === "number" && pr >= 0 && pr <= 1))
    throw bad("participationRate", "must be a number between 0 and 1");
  const slotsRaw = o.missingAttestationSlots;
  let slots: number[] | undefined;
  if (slotsRaw !== undefined && slotsRaw !== null) {
    if (!Array.isArray(slotsRaw)) throw bad("missingAttestationSlots", "must be an array");
    for (const x of slotsRaw)
      if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0)
        throw bad("missingAttestationSlots", "must be slot numbers");
    slots = slotsRaw as number[];
  }
  return {
    successfulAttestations: count("successfulAttestations"),
    missedAttestations: count("missedAttestations"),
    attestationScore: big("attestationScore", false),
    missingAttestationSlots: slots,
    ethEarned: big("ethEarned", true),
  };
}

/** One validator's attestation record for one interval. */
export type PerformanceRecord = {
  /** Minipool (or megapool) contract address as in the file, lowercase `0x` hex. */
  address: string;
  /** Validator public key, lowercase `0x` hex. */
  pubkey: string;
  kind: "minipool" | "megapool-validator";
  successfulAttestations: number;
  missedAttestations: number;
  /** Sum of per-attestation minipool scores, wei-scaled (files v2+); undefined in v1 files. */
  attestationScore: bigint | undefined;
  /** Slots of the missed attestations, ascending. */
  missingAttestationSlots: number[];
  /** Smoothing Pool ETH earned in wei (v2+; v1 wrote a float and is left undefined). */
  ethEarnedWei: bigint | undefined;
};

/** A parsed performance file with the hash of its exact bytes. */
export type PerformanceFile = {
  /** Path as given. */
  file: string;
  /** Base name, e.g. `rp-minipool-performance-mainnet-20.json`. */
  name: string;
  /** SHA-256 of the file's bytes, `0x` hex. */
  sha256: string;
  network: string;
  /** Rewards interval index. */
  interval: number;
  rewardsFileVersion: number | undefined;
  rulesetVersion: number | undefined;
  startTime: string | undefined;
  endTime: string | undefined;
  records: PerformanceRecord[];
};

/**
 * Parse the bytes of a performance file; `file` names it in errors and is checked against the
 * Smartnode's naming (`rp-minipool-performance-<network>-<interval>.json`) when it follows it.
 *
 * @example
 * const pf = parsePerformanceFile(await readFile(f), f);
 * pf.records.length; // minipools with duties in that interval
 */
export function parsePerformanceFile(bytes: Uint8Array, file: string): PerformanceFile {
  const json = parseJsonText(Buffer.from(bytes), file, fileWording("Performance file"));
  notAPerformanceFile(json, file);
  const f = parseWith(fileSchema, json, "Not a Rocket Pool minipool performance file", file);
  const name = basename(file);
  const m = FILE_NAME_RE.exec(name);
  if (m && (m[1] !== f.network || Number(m[2]) !== f.index)) {
    throw new InputError(
      `File name says ${m[1]} interval ${m[2]} but the file holds ${f.network} interval ${f.index}`,
      { file, field: "index", metaMessages: ["Use the file exactly as published (renamed?)."] },
    );
  }
  const records: PerformanceRecord[] = [];
  for (const [address, raw] of Object.entries(f.minipoolPerformance ?? {})) {
    const field = `minipoolPerformance.${address}`;
    const r = readRecord(raw, field, file);
    const pubkey = (raw as { pubkey?: unknown }).pubkey;
    if (typeof pubkey !== "string" || !PUBKEY.test(pubkey))
      throw new InputError("Not a Rocket Pool minipool performance file", {
        file,
        field: `${field}.pubkey`,
        details: "must be a 48-byte hex public key",
      });
    records.push(toRecord(address, pubkey, r, "minipool", file, field));
  }
  for (const [address, mp] of Object.entries(f.megapoolPerformance ?? {})) {
    for (const [pubkey, raw] of Object.entries(mp.validatorPerformance ?? {})) {
      const field = `megapoolPerformance.${address}.validatorPerformance.${pubkey}`;
      if (!PUBKEY.test(pubkey))
        throw new InputError("Megapool validator key is not a 48-byte hex public key", {
          file,
          field,
        });
      const r = readRecord(raw, field, file);
      records.push(toRecord(address, pubkey, r, "megapool-validator", file, field));
    }
  }
  records.sort((a, b) => (a.pubkey < b.pubkey ? -1 : a.pubkey > b.pubkey ? 1 : 0));
  return {
    file,
    name,
    sha256: `0x${createHash("sha256").update(bytes).digest("hex")}`,
    network: f.network,
    interval: f.index,
    rewardsFileVersion: f.rewardsFileVersion,
    rulesetVersion: f.rulesetVersion,
    startTime: f.startTime,
    endTime: f.endTime,
    records,
  };
}

/**
 * Refuse, with what the file is and what to give instead, JSON that has neither
 * `minipoolPerformance` nor `megapoolPerformance` — above all the interval's rewards tree
 * (`rp-rewards-<network>-<interval>.json`: `nodeRewards` with Merkle proofs, `merkleRoot`, and the
 * IPFS CID of the performance file it was computed from, `minipoolPerformanceFileCid`), which
 * lists nodes' RPL/ETH rewards, not attestations.
 */
function notAPerformanceFile(json: unknown, file: string): void {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return; // schema says
  const o = json as Record<string, unknown>;
  if ("minipoolPerformance" in o || "megapoolPerformance" in o) return;
  if ("nodeRewards" in o || "merkleRoot" in o) {
    const cid =
      typeof o.minipoolPerformanceFileCid === "string" ? o.minipoolPerformanceFileCid : "";
    const what = `${typeof o.network === "string" ? o.network : "?"} interval ${typeof o.index === "number" ? o.index : "?"}`;
    throw new InputError(`This is a Rocket Pool rewards tree (${what}), not a performance file`, {
      file,
      field: "minipoolPerformance",
      metaMessages: [
        "A rewards tree lists each node's RPL/ETH rewards; attestation counts are in the interval's performance file (rp-minipool-performance-… or, since Saturn, rp-performance-…), published next to it in rocket-pool/rewards-trees.",
        ...(cid ? [`This tree names its performance file by IPFS CID ${cid}.`] : []),
      ],
    });
  }
  throw new InputError("Not a Rocket Pool performance file: no minipoolPerformance", {
    file,
    field: "minipoolPerformance",
    metaMessages: [
      "Give rp-minipool-performance-<network>-<interval>.json or rp-performance-<network>-<interval>.json as published.",
    ],
  });
}

function toRecord(
  address: string,
  pubkey: string,
  r: RawRecord,
  kind: PerformanceRecord["kind"],
  file: string,
  field: string,
): PerformanceRecord {
  if (!ADDRESS_KEY.test(address))
    throw new InputError("Performance record key is not an address", { file, field });
  const slots = [...(r.missingAttestationSlots ?? [])].sort((a, b) => a - b);
  if (r.missingAttestationSlots != null && slots.length !== r.missedAttestations) {
    throw new InputError(
      `missedAttestations is ${r.missedAttestations} but ${slots.length} missing slots are listed`,
      {
        file,
        field: `${field}.missedAttestations`,
        metaMessages: ["The Smartnode writes missed = number of missing slots: file edited?"],
      },
    );
  }
  const score = r.attestationScore ?? undefined;
  if (score !== undefined && score > BigInt(r.successfulAttestations) * WEI_PER_ETH) {
    throw new InputError("attestationScore exceeds 1 ETH per successful attestation", {
      file,
      field: `${field}.attestationScore`,
      metaMessages: ["Per the rewards spec each attestation scores at most 1e18: file edited?"],
    });
  }
  return {
    address: address.toLowerCase(),
    pubkey: `0x${pubkey.replace(/^0x/, "").toLowerCase()}`,
    kind,
    successfulAttestations: r.successfulAttestations,
    missedAttestations: r.missedAttestations,
    attestationScore: score,
    missingAttestationSlots: slots,
    ethEarnedWei: r.ethEarned,
  };
}

/**
 * Read and parse one performance file (InputError naming the file on any problem).
 *
 * @example
 * const pf = await readPerformanceFile("rp-minipool-performance-mainnet-20.json");
 */
export async function readPerformanceFile(file: string): Promise<PerformanceFile> {
  const bytes = await readInputFile(file, fileWording("Performance file"));
  return parsePerformanceFile(bytes, file);
}

/**
 * Read several performance files: all of one network, each interval once, sorted by interval.
 *
 * @example
 * const files = await readPerformanceFiles(["rp-minipool-performance-mainnet-20.json", "…-21.json"]);
 */
export async function readPerformanceFiles(files: readonly string[]): Promise<PerformanceFile[]> {
  const out: PerformanceFile[] = [];
  for (const f of files) out.push(await readPerformanceFile(f));
  return checkPerformanceSet(out);
}

/**
 * Check a set of parsed files (one network, no interval twice) and sort it by interval.
 *
 * @example
 * checkPerformanceSet([pf20, pf21]);
 */
export function checkPerformanceSet(files: PerformanceFile[]): PerformanceFile[] {
  const sorted = [...files].sort((a, b) => a.interval - b.interval);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as PerformanceFile;
    const b = sorted[i] as PerformanceFile;
    if (a.network !== b.network)
      throw new InputError(`Performance files of two networks: ${a.network} and ${b.network}`, {
        file: b.file,
        field: "network",
      });
    if (a.interval === b.interval)
      throw new InputError(`Interval ${a.interval} given twice`, {
        file: b.file,
        field: "index",
        metaMessages: [`Also in ${a.file}. Give each interval's file once.`],
      });
  }
  return sorted;
}
