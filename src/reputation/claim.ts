/**
 * Signed reputation claims: a Rocket Pool node operator binds its node address to a DVT operator
 * identity (rpdvt, SSV, Obol or Dirk) and states its reputation score with the score's inputs
 * (hashes and summaries of the performance files and beacon observations), signed by the node
 * account with EIP-191 `personal_sign` (https://eips.ethereum.org/EIPS/eip-191, version 0x45:
 * keccak256("\x19Ethereum Signed Message:\n" + len(message) + message)), via viem.
 *
 * Signed message (docs/reputation.md): a human-readable statement (what a wallet shows), a blank
 * line, then the canonical JSON (src/util/canonical-json.ts) of the claim without its `signature`:
 *
 *   rpdvt reputation claim v1
 *   I operate Rocket Pool node <EIP-55 address> on <network> and DVT operator <type> <id> (public key <abbrev>).
 *   Reputation score <score>/100 (model <model>, confidence <c>) from <k> rewards interval(s) and <n> validator(s).
 *   Issued <ISO time>, expires <ISO time>.
 *   Signing this only makes this statement; it moves no funds.
 *
 *   {"expiresAt":…,"inputs":…,…}
 *
 * Verification ({@link verifyClaim}): signature recovers nodeAddress; not expired (nor issued in
 * the future); the score follows from the claimed inputs — which only shows the claim adds up.
 * Each input is then checked against an outside source or reported UNVERIFIED: the given
 * performance files hash and summarise to the claimed ones, a beacon node re-observes the same
 * numbers, and the chain says nodeAddress is a Rocket Pool node whose validators (minipools and
 * megapool validators) are exactly the claimed ones (./chain.ts). A claim is accepted only when
 * every input was checked, or when the caller asks for self-consistency only.
 */
import { recoverMessageAddress } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { z } from "zod";
import { InputError } from "../errors.js";
import { isChecksumAddress, parseAddress } from "../util/address.js";
import { canonicalJson } from "../util/canonical-json.js";
import { parseWith } from "../util/schema.js";
import type { PerformanceFile } from "./performance-file.js";
import {
  type BeaconSummary,
  computeReputation,
  type IntervalCounts,
  nodeIntervals,
  REPUTATION_MODEL,
  type ReputationScore,
} from "./score.js";

/** Claim format version. */
export const CLAIM_VERSION = 1;
/** DVT operator kinds a claim can name. */
export const OPERATOR_TYPES = ["rpdvt", "ssv", "obol", "dirk"] as const;
export type OperatorType = (typeof OPERATOR_TYPES)[number];
/** Default validity of a claim: 30 days (about one rewards interval). */
export const DEFAULT_VALID_DAYS = 30;
/** Clock skew tolerated for `issuedAt` in the future. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The DVT operator identity being claimed. */
export type ClaimOperator = {
  type: OperatorType;
  /** rpdvt: peer id; ssv: operator id (decimal); obol: ENR or operator address; dirk: endpoint name. */
  id: string;
  /** The operator's public key as its network publishes it (hex, base64 PEM, ENR, …). */
  publicKey: string;
};

/** A performance file as committed to in a claim. */
export type ClaimPerformanceFile = {
  name: string;
  network: string;
  interval: number;
  sha256: string;
  rulesetVersion: number | null;
  /** The node's minipools present in the file. */
  minipools: number;
  successfulAttestations: number;
  missedAttestations: number;
};

/** Everything that is signed. */
export type ClaimPayload = {
  version: typeof CLAIM_VERSION;
  network: string;
  nodeAddress: string;
  operator: ClaimOperator;
  inputs: {
    /** The node's validators (ascending pubkey), with their minipool address when a performance file lists them. */
    validators: { pubkey: string; minipool: string | null }[];
    performanceFiles: ClaimPerformanceFile[];
    beacon: BeaconSummary | null;
  };
  score: {
    model: typeof REPUTATION_MODEL;
    value: number;
    confidence: number;
    duties: number;
    tenureIntervals: number;
    components: { id: string; value: number | null; weight: number; contribution: number }[];
  };
  issuedAt: string;
  expiresAt: string;
};

/** A signed claim (the file `rpdvt reputation claim` writes). */
export type ReputationClaim = ClaimPayload & { signature: `0x${string}` };

const hex = (bytes: number) => new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`);
const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const int = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const unit = z.number().min(0).max(1);

const operatorSchema = z
  .strictObject({
    type: z.enum(OPERATOR_TYPES),
    id: printable(256),
    publicKey: printable(4096),
  })
  .superRefine((o, ctx) => {
    if (o.type === "ssv" && !/^[1-9]\d{0,19}$/.test(o.id))
      ctx.addIssue({
        code: "custom",
        path: ["id"],
        message: "an SSV operator id is a positive integer",
      });
  });

const beaconSchema = z.strictObject({
  fromEpoch: uint,
  toEpoch: uint,
  stateId: z.string().regex(/^\d+$/),
  validators: uint,
  live: uint,
  liveDuties: uint,
  actualRewardGwei: int,
  idealRewardGwei: uint,
  proposed: uint,
  missedProposals: uint,
  slashed: uint,
  balanceGwei: uint,
  sha256: z.string().regex(hex(32), "must be 0x + 64 lowercase hex"),
});

const payloadShape = {
  version: z.literal(CLAIM_VERSION),
  network: z.string().regex(/^[a-z0-9-]{1,32}$/, "must be a lowercase network name"),
  nodeAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be an address"),
  operator: operatorSchema,
  inputs: z.strictObject({
    validators: z
      .array(
        z.strictObject({
          pubkey: z.string().regex(hex(48), "must be 0x + 96 lowercase hex"),
          minipool: z.string().regex(hex(20), "must be 0x + 40 lowercase hex").nullable(),
        }),
      )
      .max(100_000),
    performanceFiles: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(255),
          network: z.string(),
          interval: uint,
          sha256: z.string().regex(hex(32), "must be 0x + 64 lowercase hex"),
          rulesetVersion: uint.nullable(),
          minipools: uint,
          successfulAttestations: uint,
          missedAttestations: uint,
        }),
      )
      .max(10_000),
    beacon: beaconSchema.nullable(),
  }),
  score: z.strictObject({
    model: z.literal(REPUTATION_MODEL),
    value: z.number().min(0).max(100),
    confidence: unit,
    duties: uint,
    tenureIntervals: uint,
    components: z
      .array(
        z.strictObject({
          id: z.string(),
          value: unit.nullable(),
          weight: unit,
          contribution: z.number().min(0).max(100),
        }),
      )
      .max(16),
  }),
  issuedAt: z.string(),
  expiresAt: z.string(),
};

const claimSchema = z.strictObject({
  ...payloadShape,
  signature: z
    .string()
    .regex(/^0x[0-9a-f]{130}$/, "must be a 65-byte signature, 0x + 130 lowercase hex"),
});

/**
 * The score summary carried in a claim.
 *
 * @example
 * const s = claimScore(computeReputation({ intervals }));
 */
export function claimScore(s: ReputationScore): ClaimPayload["score"] {
  return {
    model: s.model,
    value: s.score,
    confidence: s.confidence,
    duties: s.duties,
    tenureIntervals: s.tenureIntervals,
    components: s.components.map((c) => ({
      id: c.id,
      value: c.value,
      weight: c.weight,
      contribution: c.contribution,
    })),
  };
}

/** Per-interval counts as committed in a claim. */
function claimIntervals(files: readonly ClaimPerformanceFile[]): IntervalCounts[] {
  return files.map((f) => ({
    interval: f.interval,
    minipools: f.minipools,
    successful: f.successfulAttestations,
    missed: f.missedAttestations,
  }));
}

/**
 * Build the claim payload: score the node's validators in the performance files (plus beacon
 * observations), commit to the inputs, set issue/expiry times.
 *
 * @example
 * const payload = buildClaimPayload({ nodeAddress, operator: { type: "ssv", id: "42", publicKey },
 *   validators, performanceFiles: files, beacon: null });
 */
export function buildClaimPayload(opts: {
  nodeAddress: string;
  operator: ClaimOperator;
  validators: readonly string[];
  performanceFiles: readonly PerformanceFile[];
  beacon: BeaconSummary | null;
  network?: string;
  issuedAt?: Date;
  validDays?: number;
}): { payload: ClaimPayload; score: ReputationScore } {
  const network = opts.performanceFiles[0]?.network ?? opts.network;
  if (!network)
    throw new InputError("The network is unknown: give performance files or --network", {
      field: "--network",
    });
  if (opts.network && opts.network !== network)
    throw new InputError(`--network ${opts.network} but the performance files are ${network}`, {
      field: "--network",
    });
  const operator = parseWith(operatorSchema, opts.operator, "Invalid DVT operator identity");
  const { intervals, found } = nodeIntervals(opts.performanceFiles, opts.validators);
  const score = computeReputation({ intervals, beacon: opts.beacon });
  const minipoolOf = new Map(found.map((f) => [f.pubkey, f.minipool]));
  const pubkeys = [
    ...new Set(opts.validators.map((v) => `0x${v.replace(/^0x/, "").toLowerCase()}`)),
  ].sort();
  const issuedAt = opts.issuedAt ?? new Date();
  const validDays = opts.validDays ?? DEFAULT_VALID_DAYS;
  if (!(validDays > 0 && validDays <= 366))
    throw new InputError("--valid-days must be between 1 and 366", { field: "--valid-days" });
  const payload: ClaimPayload = {
    version: CLAIM_VERSION,
    network,
    nodeAddress: parseAddress(opts.nodeAddress, { field: "nodeAddress" }),
    operator,
    inputs: {
      validators: pubkeys.map((pubkey) => ({ pubkey, minipool: minipoolOf.get(pubkey) ?? null })),
      performanceFiles: opts.performanceFiles.map((f, i) => ({
        name: f.name,
        network: f.network,
        interval: f.interval,
        sha256: f.sha256,
        rulesetVersion: f.rulesetVersion ?? null,
        minipools: intervals[i]?.minipools ?? 0,
        successfulAttestations: intervals[i]?.successful ?? 0,
        missedAttestations: intervals[i]?.missed ?? 0,
      })),
      beacon: opts.beacon,
    },
    score: claimScore(score),
    issuedAt: issuedAt.toISOString(),
    expiresAt: new Date(issuedAt.getTime() + validDays * 86_400_000).toISOString(),
  };
  return { payload, score };
}

const abbreviate = (s: string) => (s.length <= 24 ? s : `${s.slice(0, 12)}…${s.slice(-8)}`);

/**
 * The exact text signed with EIP-191 for a claim payload (human-readable statement + canonical JSON).
 *
 * @example
 * const message = claimMessage(payload);
 * const signature = await account.signMessage({ message });
 */
export function claimMessage(payload: ClaimPayload): string {
  const p = payload;
  const s = p.score;
  const lines = [
    `rpdvt reputation claim v${p.version}`,
    `I operate Rocket Pool node ${p.nodeAddress} on ${p.network} and DVT operator ${p.operator.type} ${p.operator.id} (public key ${abbreviate(p.operator.publicKey)}).`,
    `Reputation score ${s.value}/100 (model ${s.model}, confidence ${s.confidence}) from ${p.inputs.performanceFiles.length} rewards interval(s) and ${p.inputs.validators.length} validator(s).`,
    `Issued ${p.issuedAt}, expires ${p.expiresAt}.`,
    "Signing this only makes this statement; it moves no funds.",
  ];
  return `${lines.join("\n")}\n\n${canonicalJson(payloadOf(p))}`;
}

/** The signed part of a claim (drops `signature` and anything not in the payload). */
function payloadOf(c: ClaimPayload): ClaimPayload {
  return {
    version: c.version,
    network: c.network,
    nodeAddress: c.nodeAddress,
    operator: c.operator,
    inputs: c.inputs,
    score: c.score,
    issuedAt: c.issuedAt,
    expiresAt: c.expiresAt,
  };
}

/**
 * Sign a payload with the node account (EIP-191 personal_sign).
 *
 * @example
 * const claim = await signClaim(payload, await loadNodeAccount(dataDir));
 */
export async function signClaim(
  payload: ClaimPayload,
  account: PrivateKeyAccount,
): Promise<ReputationClaim> {
  if (account.address.toLowerCase() !== payload.nodeAddress.toLowerCase())
    throw new InputError("The wallet's node address is not the claim's nodeAddress", {
      field: "nodeAddress",
      details: `wallet ${account.address}, claim ${payload.nodeAddress}`,
    });
  const signature = await account.signMessage({ message: claimMessage(payload) });
  return { ...payloadOf(payload), signature: signature.toLowerCase() as `0x${string}` };
}

/**
 * The claim file text (pretty JSON, keys in canonical order, trailing newline).
 *
 * @example
 * await writeFileAtomic("claim.json", claimFileText(claim), { mode: 0o644 });
 */
export function claimFileText(claim: ReputationClaim): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(claim)), null, 2)}\n`;
}

const sortedBy = <T>(xs: readonly T[], key: (x: T) => string | number): boolean =>
  xs.every((x, i) => i === 0 || key(xs[i - 1] as T) < key(x));

/**
 * Parse and check the form of a claim (strict schema: no unsigned extra fields; EIP-55 node
 * address; canonical ISO times with expiresAt after issuedAt; validators and files sorted and
 * unique; files of the claim's network). Every failure is an InputError naming the field.
 *
 * @example
 * const claim = parseClaim(JSON.parse(await readFile("claim.json", "utf8")), "claim.json");
 */
export function parseClaim(json: unknown, file?: string): ReputationClaim {
  const c = parseWith(
    claimSchema,
    json,
    "Not a valid rpdvt reputation claim",
    file,
  ) as ReputationClaim;
  const bad = (field: string, msg: string, details?: string) =>
    new InputError(`Claim is not in canonical form: ${msg}`, { file, field, details });
  if (!isChecksumAddress(c.nodeAddress))
    throw bad("nodeAddress", "the node address must be in EIP-55 checksum form", c.nodeAddress);
  for (const f of ["issuedAt", "expiresAt"] as const) {
    const d = new Date(c[f]);
    if (Number.isNaN(d.getTime()) || d.toISOString() !== c[f])
      throw bad(f, "times are ISO 8601 UTC as toISOString() writes them", c[f]);
  }
  if (Date.parse(c.expiresAt) <= Date.parse(c.issuedAt))
    throw bad("expiresAt", "expiresAt must be after issuedAt");
  if (!sortedBy(c.inputs.validators, (v) => v.pubkey))
    throw bad("inputs.validators", "validators must be sorted by pubkey, each once");
  if (!sortedBy(c.inputs.performanceFiles, (f) => f.interval))
    throw bad("inputs.performanceFiles", "performance files must be sorted by interval, each once");
  const other = c.inputs.performanceFiles.find((f) => f.network !== c.network);
  if (other)
    throw bad(
      "inputs.performanceFiles",
      `file ${other.name} is ${other.network}, the claim ${c.network}`,
    );
  return c;
}

/** Outcome of one check: checked and holds, checked and does not hold, or not checked. */
export type CheckStatus = "verified" | "failed" | "unverified";

/** One verification check. */
export type VerifyCheck = {
  id: "signature" | "expiry" | "score" | "performance-files" | "beacon" | "onchain";
  status: CheckStatus;
  /**
   * What the check was made against: the signature, the local clock, the claim's own numbers
   * (self-consistency only), or an outside source (performance files, a beacon node, the chain).
   */
  against: "signature" | "clock" | "claim" | "performance-files" | "beacon" | "chain";
  message: string;
  /** For an unverified input: the flag that would check it. */
  supply?: "--performance-files" | "--beacon" | "--rpc";
};

/** The result of {@link verifyClaim}. */
export type VerifyReport = {
  /** valid, and complete unless selfConsistentOnly: what `verify` exits 0 on. */
  ok: boolean;
  /** No check failed. */
  valid: boolean;
  /** Every input of the claim was checked against an outside source (no check unverified). */
  complete: boolean;
  /** The caller accepted a claim whose inputs are not all checked (`--self-consistent-only`). */
  selfConsistentOnly: boolean;
  /** One line: what was and was not verified. */
  summary: string;
  nodeAddress: string;
  /** Address the signature recovers to (null when it does not parse). */
  recoveredAddress: string | null;
  checks: VerifyCheck[];
};

const eq = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** What `verifyClaim` checks the claim against, besides its own numbers. */
export type VerifyClaimOptions = {
  now?: Date;
  performanceFiles?: readonly PerformanceFile[];
  observeBeacon?: (
    validators: string[],
    range: { from: number; to: number },
  ) => Promise<BeaconSummary>;
  onchain?: (claim: ReputationClaim) => Promise<VerifyCheck>;
  selfConsistentOnly?: boolean;
};

/** The signature check, and the address it recovers (null when it does not parse). */
async function checkSignature(
  claim: ReputationClaim,
): Promise<{ check: VerifyCheck; recovered: string | null }> {
  let recovered: string;
  try {
    recovered = await recoverMessageAddress({
      message: claimMessage(claim),
      signature: claim.signature,
    });
  } catch (err) {
    return {
      recovered: null,
      check: {
        id: "signature",
        status: "failed",
        against: "signature",
        message: `signature does not parse: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
      },
    };
  }
  const ok = recovered.toLowerCase() === claim.nodeAddress.toLowerCase();
  return {
    recovered,
    check: {
      id: "signature",
      status: ok ? "verified" : "failed",
      against: "signature",
      message: ok
        ? `signed by the node address ${claim.nodeAddress}`
        : `signature recovers ${recovered}, not the claimed node ${claim.nodeAddress}: the claim was changed after signing or signed by another key`,
    },
  };
}

/** Issued not in the future (beyond the allowed clock skew) and not expired at `now`. */
function checkExpiry(claim: ReputationClaim, now: Date): VerifyCheck {
  const exp = Date.parse(claim.expiresAt);
  const iss = Date.parse(claim.issuedAt);
  const expiry = (status: CheckStatus, message: string): VerifyCheck => ({
    id: "expiry",
    status,
    against: "clock",
    message,
  });
  return now.getTime() >= exp
    ? expiry("failed", `expired at ${claim.expiresAt} (now ${now.toISOString()})`)
    : iss - CLOCK_SKEW_MS > now.getTime()
      ? expiry("failed", `issued in the future (${claim.issuedAt}, now ${now.toISOString()})`)
      : expiry("verified", `valid until ${claim.expiresAt}`);
}

/** The claimed score recomputed from the claimed inputs (the claimant's own numbers). */
function checkScore(claim: ReputationClaim): VerifyCheck {
  const fromClaim = claimScore(
    computeReputation({
      intervals: claimIntervals(claim.inputs.performanceFiles),
      beacon: claim.inputs.beacon,
    }),
  );
  return eq(fromClaim, claim.score)
    ? {
        id: "score",
        status: "verified",
        against: "claim",
        message: `score ${claim.score.value} follows from the claimed inputs (the claim's own numbers)`,
      }
    : {
        id: "score",
        status: "failed",
        against: "claim",
        message: `claimed score ${claim.score.value} does not follow from the claimed inputs (recomputed ${fromClaim.value}${fromClaim.value === claim.score.value ? "; components differ" : ""})`,
      };
}

/** The performance files against the given files, or unverified (none when none is claimed). */
function checkPerformanceFiles(
  claim: ReputationClaim,
  files: readonly PerformanceFile[] | undefined,
): VerifyCheck | undefined {
  if (files) return checkFiles(claim, files);
  const claimedFiles = claim.inputs.performanceFiles;
  if (claimedFiles.length === 0) return undefined;
  return {
    id: "performance-files",
    status: "unverified",
    against: "performance-files",
    supply: "--performance-files",
    message: `UNVERIFIED: the attestation counts of ${claimedFiles.length} claimed performance file(s) (${claimedFiles.map((f) => f.name).join(", ")}) are the claimant's own numbers; supply --performance-files with those files`,
  };
}

/** The beacon summary against a fresh observation, or unverified (none when none is claimed). */
async function checkBeacon(
  claim: ReputationClaim,
  observe: VerifyClaimOptions["observeBeacon"],
): Promise<VerifyCheck | undefined> {
  const b = claim.inputs.beacon;
  if (!b) return undefined;
  if (!observe)
    return {
      id: "beacon",
      status: "unverified",
      against: "beacon",
      supply: "--beacon",
      message: `UNVERIFIED: the beacon summary of epochs ${b.fromEpoch}-${b.toEpoch} is the claimant's own observation; supply --beacon with a Beacon API that serves those epochs`,
    };
  const fresh = await observe(
    claim.inputs.validators.map((v) => v.pubkey),
    { from: b.fromEpoch, to: b.toEpoch },
  );
  const diff = (Object.keys(b) as (keyof BeaconSummary)[]).filter((k) => b[k] !== fresh[k]);
  return diff.length === 0
    ? {
        id: "beacon",
        status: "verified",
        against: "beacon",
        message: `beacon re-observation of epochs ${b.fromEpoch}-${b.toEpoch} matches`,
      }
    : {
        id: "beacon",
        status: "failed",
        against: "beacon",
        message: `beacon re-observation differs in ${diff.map((k) => `${k} (claimed ${b[k]}, observed ${fresh[k]})`).join(", ")}`,
      };
}

/** The node and its validator set on chain, or unverified (always asked for). */
async function checkOnchain(
  claim: ReputationClaim,
  onchain: VerifyClaimOptions["onchain"],
): Promise<VerifyCheck> {
  if (onchain) return onchain(claim);
  return {
    id: "onchain",
    status: "unverified",
    against: "chain",
    supply: "--rpc",
    message: `UNVERIFIED: that ${claim.nodeAddress} is a Rocket Pool node and that the ${claim.inputs.validators.length} claimed validator(s) are all of its validators (none left out, none of another node); supply --rpc with an execution-client JSON-RPC URL`,
  };
}

/**
 * Verify a parsed claim. Always: signature, expiry, score consistent with the claimed inputs
 * (the claimant's own numbers). Each input is then either checked against an outside source or
 * reported `unverified` with the flag that would check it:
 * - performance-file counts (when the claim has files): `performanceFiles`, the same files (by
 *   SHA-256) giving the same per-file summaries and score;
 * - beacon summary (when the claim has one): `observeBeacon`, a fresh observation of the claimed
 *   epochs equal to the claimed summary;
 * - the node and its validator set (always): `onchain`, a caller-supplied check (./chain.ts) that
 *   nodeAddress is a Rocket Pool node and the claim lists exactly its validators.
 * `ok` requires no failure and, unless `selfConsistentOnly`, no unverified input.
 *
 * @example
 * const report = await verifyClaim(claim, { performanceFiles: files, onchain });
 * if (!report.ok) console.log(report.summary);
 */
export async function verifyClaim(
  claim: ReputationClaim,
  opts: VerifyClaimOptions = {},
): Promise<VerifyReport> {
  const signature = await checkSignature(claim);
  const checks: VerifyCheck[] = [
    signature.check,
    checkExpiry(claim, opts.now ?? new Date()),
    checkScore(claim),
  ];
  const files = checkPerformanceFiles(claim, opts.performanceFiles);
  if (files) checks.push(files);
  const beacon = await checkBeacon(claim, opts.observeBeacon);
  if (beacon) checks.push(beacon);
  checks.push(await checkOnchain(claim, opts.onchain));
  const valid = checks.every((c) => c.status !== "failed");
  const complete = checks.every((c) => c.status !== "unverified");
  const selfConsistentOnly = opts.selfConsistentOnly === true;
  return {
    ok: valid && (complete || selfConsistentOnly),
    valid,
    complete,
    selfConsistentOnly,
    summary: verifySummary(checks),
    nodeAddress: claim.nodeAddress,
    recoveredAddress: signature.recovered,
    checks,
  };
}

/** What was and was not verified, in one line. */
function verifySummary(checks: readonly VerifyCheck[]): string {
  const failed = checks.filter((c) => c.status === "failed");
  if (failed.length > 0) return `NOT valid: ${failed.map((c) => c.id).join(", ")} failed`;
  const head = [
    ...checks.filter((c) => c.status === "verified").map((c) => VERIFIED_WHAT[c.id]),
  ].join("; ");
  const open = checks.filter((c) => c.status === "unverified");
  if (open.length === 0) return `Valid: ${head}; every input checked against its source`;
  return `${head}; inputs UNVERIFIED: supply ${open.map((c) => `${c.supply} (${UNVERIFIED_WHAT[c.id]})`).join(", ")}`;
}

const VERIFIED_WHAT: Record<VerifyCheck["id"], string> = {
  signature: "signature valid",
  expiry: "not expired",
  score: "score follows from the claimed inputs",
  "performance-files": "performance files match",
  beacon: "beacon re-observation matches",
  onchain: "node and its complete validator set confirmed on chain",
};

const UNVERIFIED_WHAT: Partial<Record<VerifyCheck["id"], string>> = {
  "performance-files": "the claimed attestation counts",
  beacon: "the claimed beacon summary",
  onchain: "the node and its complete validator set",
};

function checkFiles(claim: ReputationClaim, files: readonly PerformanceFile[]): VerifyCheck {
  const problems: string[] = [];
  const given = new Map(files.map((f) => [f.sha256, f]));
  const claimed = new Set(claim.inputs.performanceFiles.map((f) => f.sha256));
  for (const f of claim.inputs.performanceFiles)
    if (!given.has(f.sha256))
      problems.push(
        `claimed file ${f.name} (interval ${f.interval}, ${f.sha256}) was not given or differs`,
      );
  for (const f of files)
    if (!claimed.has(f.sha256))
      problems.push(`given file ${f.name} (interval ${f.interval}) is not in the claim`);
  if (problems.length === 0) {
    const ordered = claim.inputs.performanceFiles.map(
      (f) => given.get(f.sha256) as PerformanceFile,
    );
    const validators = claim.inputs.validators.map((v) => v.pubkey);
    const { intervals, found } = nodeIntervals(ordered, validators);
    claim.inputs.performanceFiles.forEach((f, i) => {
      const c = intervals[i] as IntervalCounts;
      if (
        c.minipools !== f.minipools ||
        c.successful !== f.successfulAttestations ||
        c.missed !== f.missedAttestations ||
        (ordered[i]?.rulesetVersion ?? null) !== f.rulesetVersion
      )
        problems.push(
          `interval ${f.interval}: file says ${c.minipools} minipools, ${c.successful} successful, ${c.missed} missed; claim says ${f.minipools}, ${f.successfulAttestations}, ${f.missedAttestations}`,
        );
    });
    const minipoolOf = new Map(found.map((f) => [f.pubkey, f.minipool]));
    for (const v of claim.inputs.validators)
      if ((minipoolOf.get(v.pubkey) ?? null) !== v.minipool)
        problems.push(
          `validator ${v.pubkey}: files say minipool ${minipoolOf.get(v.pubkey) ?? "none"}, claim says ${v.minipool ?? "none"}`,
        );
    if (problems.length === 0) {
      const s = claimScore(computeReputation({ intervals, beacon: claim.inputs.beacon }));
      if (!eq(s, claim.score))
        problems.push(`recomputed score ${s.value} ≠ claimed ${claim.score.value}`);
    }
  }
  return problems.length === 0
    ? {
        id: "performance-files",
        status: "verified",
        against: "performance-files",
        message: `${files.length} performance file(s) match the claim and reproduce its score`,
      }
    : {
        id: "performance-files",
        status: "failed",
        against: "performance-files",
        message: problems.join("; "),
      };
}
