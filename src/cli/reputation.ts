/**
 * `rpdvt reputation score|claim|verify`: port a Rocket Pool node operator's track record to DVT.
 * `score` explains a node's reputation from Rocket Pool minipool performance files (and optionally
 * a beacon node); `claim` signs, with the node wallet, a claim binding the node address to a DVT
 * operator identity with that score; `verify` checks such a claim (signature, expiry, score,
 * optionally the inputs again and the chain). Formula and claim format: docs/reputation.md.
 */
import { Command } from "commander";
import { BaseError, InputError, VerificationError } from "../errors.js";
import { formatTable } from "../plan/report/table.js";
import { httpReputationBeacon } from "../reputation/beacon.js";
import { checkClaimOnChain } from "../reputation/chain.js";
import { reputationChartSvg } from "../reputation/chart.js";
import {
  buildClaimPayload,
  claimFileText,
  OPERATOR_TYPES,
  type OperatorType,
  parseClaim,
  signClaim,
  type VerifyReport,
  verifyClaim,
} from "../reputation/claim.js";
import { loadNodeAccount } from "../reputation/node-key.js";
import { type BeaconObservation, observeBeacon, parseEpochRange } from "../reputation/observe.js";
import { type PerformanceFile, readPerformanceFiles } from "../reputation/performance-file.js";
import { computeReputation, nodeIntervals, type ReputationScore } from "../reputation/score.js";
import { listRocketPoolKeys, resolveDataDir } from "../rocketpool/datadir.js";
import { parseAddress } from "../util/address.js";
import { assertAbsent, writeFileAtomic } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import { fileWording, readInputFile, readJsonFile } from "../util/json-file.js";
import { startProgress } from "../util/progress.js";
import { printJson, runAction } from "./run.js";

/**
 * The `reputation` command with `score`, `claim` and `verify`.
 *
 * @example
 * program.addCommand(reputationCommand());
 * // rpdvt reputation score --performance-files rp-minipool-performance-mainnet-*.json --validators 0xab… --json
 */
export function reputationCommand(): Command {
  const cmd = new Command("reputation").description(
    "Port a Rocket Pool node's reputation to DVT: explained score, signed claim, verification",
  );
  cmd.addCommand(scoreCommand());
  cmd.addCommand(claimCommand());
  cmd.addCommand(verifyCommand());
  return cmd;
}

type InputOpts = {
  performanceFiles?: string[];
  validators?: string[];
  beacon?: string;
  epochs?: string;
  json?: boolean;
};

function addInputOptions(c: Command): Command {
  return c
    .option(
      "--performance-files <files...>",
      "Rocket Pool minipool performance files (rp-minipool-performance-<network>-<interval>.json)",
    )
    .option(
      "--validators <pubkeys...>",
      "the node's validator pubkeys (0x…; space or comma separated)",
    )
    .option("--beacon <url>", "Beacon API URL for liveness, attestation rewards and proposals")
    .option(
      "--epochs <from-to>",
      "epochs to observe on the beacon node (inclusive), e.g. 350000-350224",
    )
    .option("--json", "print one JSON object");
}

function parseValidators(list: string[] | undefined, required: boolean): string[] | undefined {
  if (!list) {
    if (required)
      throw new InputError("--validators is required", {
        field: "--validators",
        metaMessages: [
          "Performance files list minipools, not nodes: name the node's validators by pubkey.",
        ],
      });
    return undefined;
  }
  const out = list
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const v of out)
    if (!/^(0x)?[0-9a-fA-F]{96}$/.test(v))
      throw new InputError("--validators: expected 48-byte hex validator pubkeys", {
        field: "--validators",
        details: `got "${v.length > 20 ? `${v.slice(0, 20)}…` : v}"`,
      });
  if (out.length === 0) throw new InputError("--validators is empty", { field: "--validators" });
  return [...new Set(out.map((v) => `0x${v.replace(/^0x/, "").toLowerCase()}`))];
}

async function loadInputs(
  opts: InputOpts,
  validators: string[],
): Promise<{ files: PerformanceFile[]; observation: BeaconObservation | null }> {
  if (!opts.performanceFiles?.length && !opts.beacon)
    throw new InputError("Nothing to score: give --performance-files and/or --beacon", {
      field: "--performance-files",
    });
  const files = opts.performanceFiles?.length
    ? await readPerformanceFiles(opts.performanceFiles)
    : [];
  if (files.length > 0 && nodeIntervals(files, validators).found.length === 0)
    throw new InputError("None of the validators appear in the performance files", {
      field: "--validators",
      metaMessages: [
        "Performance files only list minipools of nodes opted into the Smoothing Pool.",
        "Check the pubkeys and that the files are of the node's network.",
      ],
    });
  let observation: BeaconObservation | null = null;
  if (opts.beacon) {
    if (!opts.epochs)
      throw new InputError("--epochs is required with --beacon", {
        field: "--epochs",
        metaMessages: ["Give the epoch range to observe, e.g. --epochs 350000-350224 (one day)."],
      });
    const range = parseEpochRange(opts.epochs);
    const progress = startProgress("Beacon epochs", range.to - range.from + 1, {
      quiet: opts.json,
    });
    try {
      observation = await observeBeacon(httpReputationBeacon(opts.beacon), validators, range, {
        onEpoch: () => progress.tick(),
      });
    } finally {
      progress.stop();
    }
    if (observation.summary.validators === 0)
      throw new InputError("The beacon node knows none of the validators", {
        field: "--validators",
        metaMessages: [`Beacon: ${opts.beacon}`],
      });
  } else if (opts.epochs) {
    throw new InputError("--epochs needs --beacon", { field: "--epochs" });
  }
  return { files, observation };
}

function scoreText(s: ReputationScore): string {
  const comp = formatTable(
    ["component", "value", "weight", "points", "inputs"],
    s.components.map((c) => [
      c.id,
      c.value === null ? "no data" : c.value.toFixed(4),
      c.effectiveWeight.toFixed(3),
      c.contribution.toFixed(2),
      Object.entries(c.inputs)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    ]),
  );
  const iv = formatTable(
    ["interval", "minipools", "successful", "missed", "rate", "Wilson 95% low"],
    s.intervals.map((i) => [
      String(i.interval),
      String(i.minipools),
      String(i.successful),
      String(i.missed),
      i.rate === null ? "-" : i.rate.toFixed(4),
      i.wilsonLower.toFixed(4),
    ]),
  );
  return [
    `Reputation score: ${s.score}/100  (model ${s.model})`,
    `Confidence: ${s.confidence} = ${s.confidenceFormula}, duties = ${s.duties}; tenure ${s.tenureIntervals} interval(s)`,
    ...s.gates.map((g) => `Gate ${g.id}: ${g.passed ? "passed" : "FAILED"} (${g.detail})`),
    "",
    comp,
    "",
    ...s.components.map((c) => `${c.id}: ${c.formula}`),
    ...(s.intervals.length ? ["", iv] : []),
    ...(s.notes.length ? ["", ...s.notes] : []),
    "",
  ].join("\n");
}

function scoreCommand(): Command {
  return addInputOptions(
    new Command("score").description(
      "Explained reputation score of a node from performance files and/or beacon observations",
    ),
  )
    .option("--chart <file.svg>", "write an SVG chart of per-interval participation")
    .action(
      runAction(async (opts: InputOpts & { chart?: string }) => {
        const validators = parseValidators(opts.validators, true) as string[];
        const { files, observation } = await loadInputs(opts, validators);
        const { intervals, found, notFound } = nodeIntervals(files, validators);
        const score = computeReputation({ intervals, beacon: observation?.summary ?? null });
        if (opts.chart)
          await writeFileAtomic(opts.chart, reputationChartSvg(score), { mode: 0o644 });
        if (opts.json) {
          printJson({
            ...score,
            network: files[0]?.network ?? null,
            performanceFiles: files.map((f) => ({
              name: f.name,
              interval: f.interval,
              sha256: f.sha256,
            })),
            validatorsFound: found,
            validatorsNotInPerformanceFiles: notFound,
            beacon: observation?.summary ?? null,
            unknownToBeacon: observation?.unknownPubkeys ?? [],
          });
          return;
        }
        process.stdout.write(scoreText(score));
        if (notFound.length && files.length)
          process.stdout.write(`${notFound.length} validator(s) not in any performance file.\n`);
      }),
    );
}

type ClaimOpts = InputOpts & {
  rocketpoolDir?: string;
  operatorType?: string;
  operatorId?: string;
  operatorKey?: string;
  network?: string;
  validDays: string;
  out?: string;
};

async function operatorKeyArg(value: string): Promise<string> {
  if (!value.startsWith("@")) return value.trim();
  const file = value.slice(1);
  // readInputFile: a regular file only (a FIFO would hang), errors name the file.
  const text = await readInputFile(file, fileWording("--operator-key file"));
  return text.toString("utf8").trim();
}

function claimCommand(): Command {
  return addInputOptions(
    new Command("claim").description(
      "Sign (with the node wallet) a claim binding the node address to a DVT operator, with its reputation score",
    ),
  )
    .option(
      "--rocketpool-dir <dir>",
      "Smartnode folder (~/.rocketpool) or its data folder (required)",
    )
    .option(`--operator-type <type>`, `DVT operator kind: ${OPERATOR_TYPES.join("|")} (required)`)
    .option(
      "--operator-id <id>",
      "operator id (SSV operator id, rpdvt peer id, Obol ENR, Dirk name) (required)",
    )
    .option("--operator-key <key>", "operator public key, or @FILE to read it (required)")
    .option("--network <name>", "network name when no performance file is given")
    .option("--valid-days <n>", "days until the claim expires", "30")
    .option("--out <claim.json>", "output file (never overwritten) (required)")
    .addHelpText(
      "after",
      "\nThe node key is derived from the wallet in memory to sign; it is never printed, logged or written.\nWithout --validators, the validators are the data folder's keys. List EVERY validator of the node\n(minipools and megapool validators, exited and slashed ones too): `reputation verify --rpc` fails a\nclaim that leaves one out.",
    )
    .action(runAction(runClaim));
}

/** Every required flag of `claim` is there and --operator-type is known. */
function checkClaimFlags(opts: ClaimOpts): void {
  for (const [v, flag] of [
    [opts.rocketpoolDir, "--rocketpool-dir"],
    [opts.operatorType, "--operator-type"],
    [opts.operatorId, "--operator-id"],
    [opts.operatorKey, "--operator-key"],
    [opts.out, "--out"],
  ] as const)
    if (!v) throw new InputError(`${flag} is required`, { field: flag });
  if (!OPERATOR_TYPES.includes(opts.operatorType as OperatorType))
    throw new InputError(`--operator-type must be one of ${OPERATOR_TYPES.join(", ")}`, {
      field: "--operator-type",
      details: `got "${opts.operatorType}"`,
    });
}

/** The claimed validators: --validators, else the data folder's (non-orphan) keys. */
async function claimValidators(opts: ClaimOpts, dataDir: string): Promise<string[]> {
  const validators =
    parseValidators(opts.validators, false) ??
    (await listRocketPoolKeys(dataDir)).entries
      .filter((e) => !e.orphan)
      .map((e) => toHex(e.pubkey));
  if (validators.length === 0)
    throw new InputError("The data folder has no validator keys", {
      file: dataDir,
      metaMessages: ["Name the node's validators with --validators."],
    });
  return validators;
}

async function runClaim(opts: ClaimOpts): Promise<void> {
  checkClaimFlags(opts);
  const validDays = Number(opts.validDays);
  const out = opts.out as string;
  await assertAbsent(out);
  const dataDir = await resolveDataDir(opts.rocketpoolDir as string);
  const validators = await claimValidators(opts, dataDir);
  const { files, observation } = await loadInputs(opts, validators);
  const account = await loadNodeAccount(dataDir);
  const { payload, score } = buildClaimPayload({
    nodeAddress: account.address,
    operator: {
      type: opts.operatorType as OperatorType,
      id: (opts.operatorId as string).trim(),
      publicKey: await operatorKeyArg(opts.operatorKey as string),
    },
    validators,
    performanceFiles: files,
    beacon: observation?.summary ?? null,
    network: opts.network,
    validDays: Number.isFinite(validDays) ? validDays : Number.NaN,
  });
  const claim = await signClaim(payload, account);
  await writeFileAtomic(out, claimFileText(claim), { mode: 0o644 });
  if (opts.json) {
    printJson({
      out,
      nodeAddress: claim.nodeAddress,
      operator: claim.operator,
      score: claim.score.value,
      confidence: claim.score.confidence,
      expiresAt: claim.expiresAt,
    });
    return;
  }
  process.stdout.write(
    `Wrote ${out}\nNode ${claim.nodeAddress} claims ${claim.operator.type} operator ${claim.operator.id}\n` +
      `Score ${score.score}/100 (confidence ${score.confidence}), expires ${claim.expiresAt}\n`,
  );
}

type VerifyOpts = {
  performanceFiles?: string[];
  beacon?: string;
  rpc?: string;
  rocketStorage?: string;
  now?: string;
  selfConsistentOnly?: boolean;
  json?: boolean;
};

function verifyCommand(): Command {
  return new Command("verify")
    .description(
      "Verify a reputation claim: signature, expiry, score, and each input against its source",
    )
    .argument("<claim>", "claim file (JSON)")
    .option(
      "--performance-files <files...>",
      "the claimed performance files: check their hashes and counts and recompute the score",
    )
    .option("--beacon <url>", "re-observe the claimed beacon epochs on this Beacon API")
    .option(
      "--rpc <url>",
      "check on chain (JSON-RPC) that the node exists and the claim lists exactly its minipools and megapool validators",
    )
    .option(
      "--rocket-storage <address>",
      "RocketStorage address (default: the network's known one)",
    )
    .option("--now <iso-time>", "verify as of this time (default: now)")
    .option(
      "--self-consistent-only",
      "accept (exit 0) a claim whose inputs are not all checked: only the signature, expiry and the claim's own arithmetic",
    )
    .option("--json", "print one JSON object (exit code 1 unless the claim is fully verified)")
    .addHelpText(
      "after",
      "\nExit code 0 only when no check fails AND every input was checked against an outside source:\n" +
        "  --performance-files (when the claim has performance files), --beacon (when it has beacon data)\n" +
        "  and --rpc (always: the node and its complete validator set). Without them the claim is only\n" +
        "  self-consistent; the output says which inputs are UNVERIFIED, and --self-consistent-only accepts that.",
    )
    .action(runAction(runVerify));
}

/** `--now`, `--beacon`, `--rpc` and `--rocket-storage`, checked before the claim is read. */
function parseVerifyFlags(opts: VerifyOpts): Date | undefined {
  let now: Date | undefined;
  if (opts.now !== undefined) {
    now = new Date(opts.now);
    if (Number.isNaN(now.getTime()))
      throw new InputError("--now must be an ISO 8601 time", { field: "--now" });
  }
  for (const [url, flag] of [
    [opts.beacon, "--beacon"],
    [opts.rpc, "--rpc"],
  ] as const)
    if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url))
      throw new InputError(`${flag} must be an http(s) URL`, {
        field: flag,
        details: `got "${url.length > 40 ? `${url.slice(0, 40)}…` : url}"`,
      });
  if (opts.rocketStorage !== undefined)
    parseAddress(opts.rocketStorage, { field: "--rocket-storage" });
  return now;
}

/** The on-chain check over --rpc; a transport error becomes an error naming --rpc. */
function onchainCheck(rpcUrl: string, rocketStorage: string | undefined) {
  return async (c: Parameters<typeof checkClaimOnChain>[0]) => {
    try {
      return await checkClaimOnChain(c, { rpcUrl, rocketStorage });
    } catch (err) {
      if (err instanceof BaseError) throw err;
      throw new BaseError("On-chain check failed: JSON-RPC request error", {
        details: err instanceof Error ? err.message.split("\n")[0] : String(err),
        metaMessages: [
          `RPC: ${rpcUrl}`,
          "Check --rpc (an execution client JSON-RPC URL) and --rocket-storage.",
        ],
      });
    }
  };
}

/** Exit status of the text output: an invalid claim, or one with unverified inputs, fails. */
function assertVerified(report: VerifyReport): void {
  if (!report.valid)
    throw new VerificationError("The reputation claim is NOT valid", {
      metaMessages: report.checks
        .filter((c) => c.status === "failed")
        .map((c) => `${c.id}: ${c.message}`),
    });
  if (!report.ok)
    throw new VerificationError(
      "The reputation claim is not verified: some inputs are the claimant's own numbers",
      {
        metaMessages: [
          ...report.checks
            .filter((c) => c.status === "unverified")
            .map((c) => `${c.id}: supply ${c.supply}`),
          "Or pass --self-consistent-only to accept a claim checked only for its signature, expiry and arithmetic.",
        ],
      },
    );
}

async function runVerify(file: string, opts: VerifyOpts): Promise<void> {
  const now = parseVerifyFlags(opts);
  const claim = parseClaim(await readJsonFile(file, fileWording("Reputation claim")), file);
  const files = opts.performanceFiles?.length
    ? await readPerformanceFiles(opts.performanceFiles)
    : undefined;
  const beaconUrl = opts.beacon;
  const report = await verifyClaim(claim, {
    now,
    performanceFiles: files,
    selfConsistentOnly: opts.selfConsistentOnly === true,
    observeBeacon: beaconUrl
      ? async (validators, range) =>
          (await observeBeacon(httpReputationBeacon(beaconUrl), validators, range)).summary
      : undefined,
    onchain: opts.rpc ? onchainCheck(opts.rpc, opts.rocketStorage) : undefined,
  });
  if (opts.json) {
    printJson(report);
    if (!report.ok) process.exitCode = 1;
    return;
  }
  process.stdout.write(verifyText(report, file));
  assertVerified(report);
}

const MARK: Record<VerifyReport["checks"][number]["status"], string> = {
  verified: "ok   ",
  failed: "FAIL ",
  unverified: "?    ",
};

function verifyText(r: VerifyReport, file: string): string {
  const last = !r.valid
    ? `${r.summary}.`
    : r.complete
      ? `${r.summary}.`
      : r.selfConsistentOnly
        ? `Self-consistent only (--self-consistent-only): ${r.summary}.`
        : `Not verified: ${r.summary}.`;
  return `${[
    `Claim ${file} by node ${r.nodeAddress}`,
    ...r.checks.map((c) => `  ${MARK[c.status]}${c.id}: ${c.message}`),
    last,
  ].join("\n")}\n`;
}
