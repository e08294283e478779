/**
 * `rpdvt cluster set-identities`: add (or replace) operators' p2p identities in an existing
 * `keys split --format cluster` output and recompute the definition hash — the step between
 * `keys split` (made before every operator had run `rpdvt node identity`) and `node run`, which
 * needs every operator's peer id. Editing cluster.json by hand would break its hash.
 *
 * `rpdvt cluster replace-operator` (issue 16): a new cluster for the same validators, split afresh
 * from the owner's wallet for a new operator set, succeeding the old one at an activation epoch
 * (plan src/keysplit/replace.ts, writing src/keysplit/replace-run.ts, journal src/ops/journal.ts).
 */
import { promises as fsp } from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { createBeaconClient } from "../beacon/index.js";
import { currentEpoch } from "../core/beacon.js";
import { InputError } from "../errors.js";
import {
  CLUSTER_FILE,
  readClusterDefinition,
  setClusterIdentities,
  verifyDefinitionKeys,
} from "../keysplit/cluster.js";
import { outputRecordFile } from "../keysplit/format-io.js";
import { planReplacement } from "../keysplit/replace.js";
import {
  type DirkReplaceResult,
  planDirkReplacement,
  readOldDirk,
  runDirkReplacement,
} from "../keysplit/replace-dirk.js";
import { runReplacement } from "../keysplit/replace-run.js";
import {
  oldValidatorKeys,
  planSsvReplacement,
  readOldKeyshares,
  writeSsvReplacement,
} from "../keysplit/replace-ssv.js";
import {
  type DeletionStatement,
  readDeletionStatement,
  recordDeletionStatement,
  signDeletionStatement,
} from "../keysplit/replace-statement.js";
import { thresholdFor } from "../keysplit/split.js";
import { OWNER_ADDRESS, SSV_VERSIONS, type SsvVersion } from "../keysplit/ssv-format.js";
import { parseOperatorPairs, readOperatorsInfo } from "../keysplit/ssv-operators.js";
import { crashPoint, Journal } from "../ops/journal.js";
import { loadIdentity } from "../p2p/identity.js";
import { readRocketPoolKeys } from "../rocketpool/datadir.js";
import { parseAddress } from "../util/address.js";
import { assertCanCreate, cleanStaleTemps, writeFileAtomic } from "../util/fs.js";
import { fromHex, toHex } from "../util/hex.js";
import { startProgress } from "../util/progress.js";
import {
  DEFAULT_ROCKETPOOL_DIR,
  expandHome,
  maxWalletAccountsOption,
  parseEndpoints,
  parseIdList,
  parseIdPairs,
  parsePeerIds,
  repeatableOption,
  wholeNumberArg,
} from "./args.js";
import { printJson, runAction } from "./run.js";

/**
 * The `cluster set-identities` subcommand.
 *
 * @example
 * await clusterSetIdentitiesCommand().parseAsync(["node", "set-identities", "--cluster", dir, "--peer-ids", "1=16Uiu2HA…"]);
 */
export function clusterSetIdentitiesCommand(): Command {
  return new Command("set-identities")
    .description(
      "Set operators' p2p peer ids in a cluster output (every cluster.json in it) and recompute its hash",
    )
    .requiredOption(
      "--cluster <path>",
      "the keys split output folder (updates cluster.json and every operator-<id>/cluster.json), " +
        "one operator folder, or a cluster.json",
    )
    .requiredOption(
      "--peer-ids <list>",
      "ID=PEERID per operator, comma-separated (the peerId of `rpdvt node identity --json`)",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      [
        "",
        "Each file is replaced atomically. The new hash depends only on the definition and the peer",
        "ids, so operators who already hold their folder can apply the same --peer-ids to it and",
        "compare the printed hash. Share keystores and passwords are not touched.",
      ].join("\n"),
    )
    .action(
      runAction(async (flags: { cluster: string; peerIds: string; json?: boolean }) => {
        const peerIds = parsePeerIds(flags.peerIds);
        const r = await setClusterIdentities(flags.cluster, peerIds);
        if (flags.json) return printJson(r);
        process.stdout.write(
          (r.changed.length
            ? `Set the p2p identity of operator(s) ${r.changed.join(",")} in ${r.files.length} cluster.json file(s).\n` +
              `Definition hash: ${r.previousHash} -> ${r.hash}\n`
            : `Nothing to change: the identities are already set. Definition hash: ${r.hash}\n`) +
            (r.missing.length
              ? `Still without an identity: operator(s) ${r.missing.join(",")} (node run needs every one).\n`
              : "Every operator has an identity: check with `rpdvt keys verify`, then `rpdvt node run`.\n"),
        );
      }),
    );
}

/**
 * The `cluster` command group (operations on an rpdvt cluster output).
 *
 * @example
 * program.addCommand(clusterCommand());
 */
export function clusterCommand(): Command {
  return new Command("cluster")
    .description("Operate on an rpdvt cluster output (keys split --format cluster)")
    .addCommand(clusterSetIdentitiesCommand())
    .addCommand(clusterReplaceOperatorCommand())
    .addCommand(clusterSignDeletionCommand())
    .addCommand(clusterRecordDeletionCommand());
}

/**
 * The `cluster sign-deletion` subcommand (run by a REMOVED operator after it deleted its share).
 *
 * @example
 * await clusterSignDeletionCommand().parseAsync(["node", "sign-deletion", "--cluster", "old/operator-4", "--operator-id", "4", "--identity", "id.json", "--out", "op4-deleted.json"]);
 */
export function clusterSignDeletionCommand(): Command {
  return new Command("sign-deletion")
    .description(
      "A removed operator signs (with its p2p identity key) that it deleted its key shares of the old cluster",
    )
    .requiredOption("--cluster <path>", "the OLD cluster: its cluster.json or a folder holding it")
    .requiredOption(
      "--operator-id <id>",
      "this operator's id in the old cluster",
      wholeNumberArg(1),
    )
    .requiredOption("--identity <file>", "this operator's p2p identity file (rpdvt node identity)")
    .requiredOption("--out <file>", "the statement file to write (must not exist)")
    .option("--json", "print the statement as JSON")
    .addHelpText(
      "after",
      "\nThe statement records who said what and when; it is not a proof that no copy is left.\n",
    )
    .action(
      runAction(
        async (f: {
          cluster: string;
          operatorId: number;
          identity: string;
          out: string;
          json?: boolean;
        }) => {
          const out = resolve(expandHome(f.out));
          await assertCanCreate(out, "--out");
          const def = await readClusterDefinition(await oldDefinitionFile(f.cluster));
          const id = await loadIdentity(resolve(expandHome(f.identity)));
          const st = signDeletionStatement(def, f.operatorId, id.secretKey, id.peerId);
          await writeFileAtomic(out, `${JSON.stringify(st, null, 2)}\n`, { mode: 0o644 });
          if (f.json) return printJson({ out, ...st });
          process.stdout.write(
            `Wrote the deletion statement of operator ${st.operatorId} for cluster ${st.clusterHash} to ${out}.\n` +
              "Send it to the cluster's owner. It is a signed statement, not a proof of deletion.\n",
          );
        },
      ),
    );
}

/**
 * The `cluster record-deletion` subcommand (the owner records a statement received later).
 *
 * @example
 * await clusterRecordDeletionCommand().parseAsync(["node", "record-deletion", "--cluster", "cluster-v2", "--previous", "cluster", "--statement", "op4-deleted.json"]);
 */
export function clusterRecordDeletionCommand(): Command {
  return new Command("record-deletion")
    .description(
      "Verify a removed operator's deletion statement against the old cluster and store it in the new cluster output",
    )
    .requiredOption("--cluster <dir>", "the NEW cluster output (written by replace-operator)")
    .requiredOption("--previous <path>", "the OLD cluster: its cluster.json or a folder holding it")
    .requiredOption("--statement <file>", "the statement (rpdvt cluster sign-deletion)")
    .option("--json", "print the result as JSON")
    .action(
      runAction(
        async (f: { cluster: string; previous: string; statement: string; json?: boolean }) => {
          const out = resolve(expandHome(f.cluster));
          const def = await readClusterDefinition(join(out, CLUSTER_FILE));
          const old = await readClusterDefinition(await oldDefinitionFile(f.previous));
          if (def.previous?.hash !== old.hash) {
            throw new InputError("--previous is not the cluster --cluster succeeds", {
              field: "--previous",
              details: `new cluster's previous.hash ${def.previous?.hash ?? "(none)"}; --previous hashes to ${old.hash}`,
            });
          }
          const st = await readDeletionStatement(resolve(expandHome(f.statement)), old);
          const path = await recordDeletionStatement(out, st);
          if (f.json)
            return printJson({ recorded: path, operatorId: st.operatorId, signedAt: st.signedAt });
          process.stdout.write(
            `Verified and recorded operator ${st.operatorId}'s deletion statement (signed ${st.signedAt}) in ${path}.\n` +
              `It is a statement, not a proof: ${old.threshold} old shares together still rebuild the key.\n`,
          );
        },
      ),
    );
}

type ReplaceFlags = {
  cluster?: string;
  keyshares?: string;
  dirk?: string;
  walletName?: string;
  genesisValidatorsRoot?: string;
  slotsPerEpoch?: number;
  operatorsFile?: string;
  operatorKey: string[];
  owner?: string;
  nonce?: string;
  ssvVersion?: SsvVersion;
  rocketpoolDir: string;
  maxWalletAccounts?: number;
  replace?: string;
  operatorIds?: string;
  endpoints?: string;
  peerIds?: string;
  activationEpoch?: number;
  currentEpoch?: number;
  beaconUrl: string[];
  out: string;
  deletionStatement: string[];
  json?: boolean;
  quiet?: boolean;
  kdf?: "scrypt" | "pbkdf2";
};

/** Flags of the SSV form only. */
const SSV_ONLY: [string, keyof ReplaceFlags][] = [
  ["--operators-file", "operatorsFile"],
  ["--operator-key", "operatorKey"],
  ["--owner", "owner"],
  ["--nonce", "nonce"],
];

/** Flags of the Dirk form only. */
const DIRK_ONLY: [string, keyof ReplaceFlags][] = [
  ["--wallet-name", "walletName"],
  ["--genesis-validators-root", "genesisValidatorsRoot"],
  ["--slots-per-epoch", "slotsPerEpoch"],
];

/** An InputError if a flag of another form was given (`only` names the form it belongs to). */
function refuseFlags(f: ReplaceFlags, flags: [string, keyof ReplaceFlags][], only: string): void {
  for (const [flag, v] of flags) {
    if (f[v] !== undefined && !(Array.isArray(f[v]) && f[v].length === 0))
      throw new InputError(`${flag} applies to ${only} only`, { field: flag });
  }
}

/** `replace-operator --keyshares OLD.json`: a new SSV keyshares file (keysplit/replace-ssv.ts). */
async function replaceSsv(f: ReplaceFlags, oldFile: string): Promise<void> {
  for (const [flag, given] of [
    ["--activation-epoch", f.activationEpoch !== undefined],
    ["--current-epoch", f.currentEpoch !== undefined],
    ["--beacon-url", f.beaconUrl.length > 0],
    ["--endpoints", f.endpoints !== undefined],
    ["--peer-ids", f.peerIds !== undefined],
    ["--deletion-statement", f.deletionStatement.length > 0],
  ] as const) {
    if (given) {
      throw new InputError(`${flag} does not apply to --keyshares (SSV)`, {
        field: flag,
        metaMessages: [
          "On SSV the cut-over is the contract's: remove the validator from the old cluster, then register the new keyshares.",
        ],
      });
    }
  }
  refuseFlags(f, DIRK_ONLY, "--dirk (Dirk)");
  if (f.nonce === undefined || !/^\d+$/.test(f.nonce)) {
    throw new InputError("--nonce (the owner's current SSV registration nonce) is required", {
      field: "--nonce",
    });
  }
  const replace = f.replace ? parseReplace(f.replace) : undefined;
  const operatorIds = f.operatorIds ? parseIdList(f.operatorIds) : undefined;
  const old = await readOldKeyshares(resolve(expandHome(oldFile)));
  const owner = f.owner ? parseAddress(f.owner, { field: "--owner" }, OWNER_ADDRESS) : old.owner;
  const operators = [
    ...(f.operatorsFile ? await readOperatorsInfo(resolve(expandHome(f.operatorsFile))) : []),
    ...parseOperatorPairs(f.operatorKey),
  ];
  const plan = planSsvReplacement(old, { replace, operatorIds }, operators, Number(f.nonce));
  const out = resolve(expandHome(f.out));
  await cleanStaleTemps(out);
  await assertCanCreate(out, "--out");
  const { keys, warnings } = await readRocketPoolKeys(expandHome(f.rocketpoolDir), {
    validators: oldValidatorKeys(old),
    ...(f.maxWalletAccounts !== undefined ? { maxWalletAccounts: f.maxWalletAccounts } : {}),
  });
  for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
  const r = await writeSsvReplacement(out, old, keys, {
    ids: plan.ids,
    operators,
    owner,
    nonce: Number(f.nonce),
    version: f.ssvVersion,
  });
  for (const k of keys) k.secret.fill(0);
  const steps = [
    `1. Remove the validators from the old SSV cluster ${old.operatorIds.join(",")} (removeValidator / bulkRemoveValidator).`,
    `2. Once that is final, register ${r.out} with the new cluster ${plan.ids.join(",")} (owner ${owner}, nonces from ${r.firstNonce}).`,
    "   Duties are missed between the two transactions: register right after the removal is final.",
    `Removed operator(s) ${plan.removed.join(",") || "none"}: their old shares are useless alone, but`,
    `${thresholdFor(old.operatorIds.length)} old shares together still rebuild the key — the owner decides whom to trust.`,
  ];
  if (f.json)
    return printJson({ ...r, removed: plan.removed, added: plan.added, owner, steps, warnings });
  process.stdout.write(
    `Wrote new SSV keyshares for ${r.validators} validator(s) to ${r.out} (operators ${r.operators.join(",")}).\n${steps.join("\n")}\n`,
  );
}

/** `--replace 4=5,3=6` → old id → new id. */
function parseReplace(text: string): Map<number, number> {
  const pairs = parseIdPairs(text, "--replace", "OLD=NEW");
  const out = new Map<number, number>();
  for (const [from, to] of pairs) {
    if (!/^\d+$/.test(to) || Number(to) < 1) {
      throw new InputError(`--replace: "${from}=${to}" is not OLD=NEW (operator ids)`, {
        field: "--replace",
        metaMessages: ["Example: --replace 4=5 (operator 4 leaves, new operator 5 joins)."],
      });
    }
    out.set(from, Number(to));
  }
  return out;
}

/** The old definition from an output root, an operator folder or a cluster.json. */
function oldDefinitionFile(path: string): Promise<string> {
  return outputRecordFile(resolve(expandHome(path)), CLUSTER_FILE, {
    what: "The old cluster",
    field: "--cluster",
    hint: "Give the old cluster's output folder, an operator folder or its cluster.json.",
  });
}

/** The chain's current epoch (and slots per epoch) from --beacon-url or --current-epoch. */
async function chainEpoch(f: ReplaceFlags): Promise<{ epoch: number; slotsPerEpoch?: number }> {
  if (f.beaconUrl.length && f.currentEpoch !== undefined) {
    throw new InputError("Give --beacon-url or --current-epoch, not both", {
      field: "--current-epoch",
    });
  }
  if (f.currentEpoch !== undefined) return { epoch: f.currentEpoch };
  if (!f.beaconUrl.length) {
    throw new InputError("The current epoch is needed to check the activation epoch", {
      field: "--beacon-url/--current-epoch",
      metaMessages: [
        "Give --beacon-url http://HOST:5052, or on an offline machine --current-epoch N (read it",
        "from any beacon node or explorer).",
      ],
    });
  }
  const chain = await createBeaconClient(f.beaconUrl, { timeoutMs: 10_000 }).chainInfo();
  return { epoch: currentEpoch(chain, Date.now()), slotsPerEpoch: chain.slotsPerEpoch };
}

/**
 * The `cluster replace-operator` subcommand.
 *
 * @example
 * await clusterReplaceOperatorCommand().parseAsync(["node", "replace-operator", "--cluster", "cluster", "--replace", "4=5", "--peer-ids", "5=16Uiu2HA…", "--endpoints", "1=h1:9100,2=h2:9100,3=h3:9100,5=h5:9100", "--current-epoch", "100", "--out", "cluster-v2"]);
 */
export function clusterReplaceOperatorCommand(): Command {
  const cmd = new Command("replace-operator").description(
    "Replace operators of an rpdvt cluster without exiting: fresh shares from the wallet for the new operator set, a new cluster succeeding the old one at an activation epoch",
  );
  return addReplaceOptions(cmd)
    .addHelpText(
      "after",
      [
        "",
        "Every flag and the old definition are checked before the wallet is read. The new output has",
        "the keys split layout (cluster.json with previous: {hash, activationEpoch}, operator-<id>/)",
        "plus HANDOVER.txt: the steps for each operator (slashing history export/import, `node run",
        "--previous-cluster`). Resumable: progress is journaled in <out>.journal.jsonl (no secrets);",
        "after a crash, run the same command again: it continues (a leftover temporary folder holds",
        "ciphertext only and is removed).",
        "",
        "Old shares of a removed operator are useless alone, but t old shares together still rebuild",
        "the key: the owner decides whom to trust. A deletion statement is a statement, not a proof.",
      ].join("\n"),
    )
    .action(runAction(replaceOperatorAction));
}

/** The flags naming the old output and those of one form only (SSV, Dirk). */
function addSourceOptions(cmd: Command): Command {
  return cmd
    .option("--cluster <path>", "the OLD cluster: output folder, operator folder or cluster.json")
    .option("--keyshares <file>", "or the OLD SSV keyshares file: write new SSV keyshares instead")
    .option(
      "--dirk <path>",
      "or the OLD Dirk output (keys split --format dirk; its distributed-accounts.json is enough): write new Dirk wallets",
    )
    .option(
      "--wallet-name <name>",
      "Dirk: the new wallet's name (default <old>-e<activation epoch>)",
    )
    .option(
      "--genesis-validators-root <root>",
      "Dirk, with --current-epoch: the chain's genesis validators root (0x…, for the slashing-protection files)",
    )
    .option(
      "--slots-per-epoch <n>",
      "Dirk, with --current-epoch: the chain's SLOTS_PER_EPOCH (default 32, mainnet and its testnets)",
      wholeNumberArg(1, 1024),
    )
    .option(
      "--operators-file <file>",
      "SSV: operators_info.json ([{id, public_key}]) of the new set",
    )
    .addOption(
      repeatableOption(
        "--operator-key <ID=BASE64>",
        "SSV: an operator's public key (repeat per operator)",
      ),
    )
    .option("--owner <address>", "SSV: the registering owner (default: the old file's)")
    .option("--nonce <n>", "SSV: the owner's CURRENT registration nonce (for the first validator)")
    .addOption(
      new Option("--ssv-version <v>", "SSV: keyshares file version").choices(SSV_VERSIONS),
    );
}

/** The flags of `replace-operator` (old output, the new set, the epoch, output). */
function addReplaceOptions(cmd: Command): Command {
  return addSourceOptions(cmd)
    .option(
      "--rocketpool-dir <dir>",
      "Smartnode folder or its data folder (the owner's wallet)",
      DEFAULT_ROCKETPOOL_DIR,
    )
    .addOption(maxWalletAccountsOption())
    .option(
      "--replace <OLD=NEW,…>",
      "operators to swap, e.g. 4=5 (operator 4 leaves, new operator 5 joins)",
    )
    .option("--operator-ids <ids>", "or the whole new operator set, ascending, n ∈ {4,7,10,13}")
    .option(
      "--endpoints <list>",
      "ID=HOST:PORT of new operators, and a NEW port for every staying one",
    )
    .option(
      "--peer-ids <list>",
      "ID=PEERID of new operators (`rpdvt node identity --json`); or later with set-identities",
    )
    .option(
      "--activation-epoch <epoch>",
      "first epoch the new cluster signs (default: current + 16; at least current + 2)",
      wholeNumberArg(0),
    )
    .addOption(
      repeatableOption(
        "--beacon-url <url>",
        "beacon node REST URL, for the current epoch (repeat for fallback)",
      ),
    )
    .option(
      "--current-epoch <epoch>",
      "the chain's current epoch, on a machine without a beacon node",
      wholeNumberArg(0),
    )
    .requiredOption(
      "--out <dir>",
      "the NEW cluster output folder (must not exist, unless resuming)",
    )
    .addOption(
      repeatableOption(
        "--deletion-statement <file>",
        "a removed operator's signed statement that it deleted its share (rpdvt cluster sign-deletion): verified and stored (repeat per operator)",
      ),
    )
    .addOption(
      new Option(
        "--kdf <kdf>",
        "EIP-2335 key derivation of the new share keystores (default scrypt; Dirk: pbkdf2 c = 2^18, as Dirk and ethdo write)",
      ).choices(["scrypt", "pbkdf2"]),
    )
    .option("--json", "print the result as JSON")
    .option("--quiet", "no progress output");
}

/** `replace-operator`: the rpdvt cluster form, or the SSV form with --keyshares. */
async function replaceOperatorAction(f: ReplaceFlags): Promise<void> {
  const forms = [f.cluster, f.keyshares, f.dirk].filter((x) => x !== undefined).length;
  if (forms !== 1) {
    throw new InputError(
      "Give the old output once: --cluster (rpdvt), --keyshares (SSV) or --dirk (Dirk)",
      { field: "--cluster/--keyshares/--dirk" },
    );
  }
  if (f.keyshares !== undefined) return replaceSsv(f, f.keyshares);
  if (f.dirk !== undefined) return replaceDirk(f, f.dirk);
  const replace = f.replace ? parseReplace(f.replace) : undefined;
  const operatorIds = f.operatorIds ? parseIdList(f.operatorIds) : undefined;
  const endpoints = parseEndpoints(f.endpoints);
  const peerIds = f.peerIds ? parsePeerIds(f.peerIds) : undefined;
  refuseFlags(f, SSV_ONLY, "--keyshares (SSV)");
  refuseFlags(f, DIRK_ONLY, "--dirk (Dirk)");
  const defFile = await oldDefinitionFile(f.cluster as string);
  const previous = await readClusterDefinition(defFile);
  verifyDefinitionKeys(previous, defFile);
  const statements: DeletionStatement[] = [];
  for (const file of f.deletionStatement) {
    statements.push(await readDeletionStatement(resolve(expandHome(file)), previous));
  }
  const chain = await chainEpoch(f);
  const plan = planReplacement(previous, {
    replace,
    operatorIds,
    endpoints,
    peerIds,
    activationEpoch: f.activationEpoch,
    currentEpoch: chain.epoch,
  });
  const quiet = Boolean(f.quiet || f.json);
  const { out, journalFile, journal } = await openOutput(f.out);
  const { keys, warnings } = await readWalletKeys(
    f,
    previous.validators.map((v) => fromHex(v.pubkey)),
    quiet,
  );
  const r = await runReplacement({
    previous,
    plan,
    keys,
    out,
    journal,
    quiet,
    kdf: f.kdf ?? "scrypt",
    slotsPerEpoch: chain.slotsPerEpoch,
    afterStep: (step) => crashPoint(`replace:${step}`),
  });
  for (const k of keys) k.secret.fill(0);
  const recorded: string[] = [];
  for (const st of statements) recorded.push(await recordDeletionStatement(r.out, st));
  printReplaceResult(r, journalFile, recorded, warnings, f.json);
}

/** The --out folder (stale temporaries removed; must not exist unless resuming) and its journal. */
async function openOutput(
  flag: string,
): Promise<{ out: string; journalFile: string; journal: Journal }> {
  const out = resolve(expandHome(flag));
  const journalFile = `${out}.journal.jsonl`;
  const resuming = await fsp.stat(journalFile).then(
    () => true,
    () => false,
  );
  await cleanStaleTemps(out);
  if (!resuming) await assertCanCreate(out, "--out");
  return { out, journalFile, journal: await Journal.open(journalFile) };
}

/** The owner's wallet keys of `validators` (progress on stderr, warnings printed). */
async function readWalletKeys(
  f: ReplaceFlags,
  validators: Uint8Array[],
  quiet: boolean,
): Promise<Awaited<ReturnType<typeof readRocketPoolKeys>>> {
  let progress: ReturnType<typeof startProgress> | undefined;
  const r = await readRocketPoolKeys(expandHome(f.rocketpoolDir), {
    validators,
    ...(f.maxWalletAccounts !== undefined ? { maxWalletAccounts: f.maxWalletAccounts } : {}),
    onProgress: (done, total) => {
      progress ??= startProgress("Reading keys", total, { quiet });
      progress.tick(1);
      if (done === total) progress.stop();
    },
  });
  for (const w of r.warnings) process.stderr.write(`Warning: ${w}\n`);
  return r;
}

/** Flags that do not apply to the Dirk form, and why. */
const NOT_DIRK: [string, (f: ReplaceFlags) => boolean, string][] = [
  ["--peer-ids", (f) => f.peerIds !== undefined, "Dirk participants are addressed by --endpoints."],
  [
    "--deletion-statement",
    (f) => f.deletionStatement.length > 0,
    "Deletion statements are signed with an rpdvt node identity; Dirk participants have none.",
  ],
];

/** The chain for a Dirk replacement: current epoch, slots per epoch, genesis validators root. */
async function dirkChain(
  f: ReplaceFlags,
): Promise<{ epoch: number; slotsPerEpoch: number; genesisValidatorsRoot: string }> {
  if (f.beaconUrl.length) {
    for (const [flag, given] of [
      ["--genesis-validators-root", f.genesisValidatorsRoot !== undefined],
      ["--slots-per-epoch", f.slotsPerEpoch !== undefined],
    ] as const) {
      if (given)
        throw new InputError(`${flag} comes from --beacon-url: give one or the other`, {
          field: flag,
        });
    }
  }
  const { epoch } = await chainEpoch(f);
  if (!f.beaconUrl.length) {
    return {
      epoch,
      slotsPerEpoch: f.slotsPerEpoch ?? 32,
      genesisValidatorsRoot: (f.genesisValidatorsRoot as string).toLowerCase(),
    };
  }
  const chain = await createBeaconClient(f.beaconUrl, { timeoutMs: 10_000 }).chainInfo();
  return {
    epoch,
    slotsPerEpoch: chain.slotsPerEpoch,
    genesisValidatorsRoot: toHex(chain.genesisValidatorsRoot),
  };
}

/** --genesis-validators-root is 0x + 32 bytes, and required offline (checked before any work). */
function checkGenesisRoot(f: ReplaceFlags): void {
  const root = f.genesisValidatorsRoot;
  if (root !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(root)) {
    throw new InputError("--genesis-validators-root must be 0x + 32 bytes of hex", {
      field: "--genesis-validators-root",
      metaMessages: ["Read it from GET /eth/v1/beacon/genesis (genesis_validators_root)."],
    });
  }
  if (root === undefined && f.beaconUrl.length === 0 && f.currentEpoch !== undefined) {
    throw new InputError("--genesis-validators-root is needed with --current-epoch (Dirk)", {
      field: "--genesis-validators-root",
      metaMessages: [
        "Dirk's slashing-protection import checks it. Read it from any beacon node",
        "(GET /eth/v1/beacon/genesis), e.g. mainnet 0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95,",
        "or give --beacon-url instead of --current-epoch.",
      ],
    });
  }
}

/** `replace-operator --dirk OLD`: new Dirk distributed wallets (keysplit/replace-dirk.ts). */
async function replaceDirk(f: ReplaceFlags, oldPath: string): Promise<void> {
  refuseFlags(f, SSV_ONLY, "--keyshares (SSV)");
  for (const [flag, given, why] of NOT_DIRK) {
    if (given(f))
      throw new InputError(`${flag} does not apply to --dirk`, {
        field: flag,
        metaMessages: [why],
      });
  }
  const replace = f.replace ? parseReplace(f.replace) : undefined;
  const operatorIds = f.operatorIds ? parseIdList(f.operatorIds) : undefined;
  const endpoints = parseEndpoints(f.endpoints);
  checkGenesisRoot(f);
  const old = await readOldDirk(resolve(expandHome(oldPath)));
  const chain = await dirkChain(f);
  const plan = planDirkReplacement(old, {
    replace,
    operatorIds,
    endpoints,
    activationEpoch: f.activationEpoch,
    currentEpoch: chain.epoch,
    walletName: f.walletName,
  });
  const quiet = Boolean(f.quiet || f.json);
  const { journalFile, journal, out } = await openOutput(f.out);
  const validators = old.summary.accounts.map((a) => fromHex(a.compositePubkey));
  const { keys, warnings } = await readWalletKeys(f, validators, quiet);
  let r: DirkReplaceResult;
  try {
    r = await runDirkReplacement({
      old,
      plan,
      keys,
      out,
      journal,
      slotsPerEpoch: chain.slotsPerEpoch,
      genesisValidatorsRoot: chain.genesisValidatorsRoot,
      kdf: f.kdf ?? "pbkdf2",
      quiet,
      afterStep: (step) => crashPoint(`replace:${step}`),
    });
  } finally {
    for (const k of keys) k.secret.fill(0);
  }
  if (f.json) return printJson({ ...r, journal: journalFile, warnings });
  process.stdout.write(
    `${r.resumed.length ? `Resumed (already done: ${r.resumed.join(", ")}). ` : ""}` +
      `Wrote new Dirk wallets "${r.wallet}" for ${r.validators} validator(s) to ${r.out}\n` +
      `Participants ${r.participants.join(",")} (threshold ${r.threshold}); staying ${r.staying.join(",") || "none"}, ` +
      `removed ${r.removed.join(",") || "none"}, added ${r.added.join(",") || "none"}.\n\n` +
      `${r.handover.join("\n")}\n\n(These steps are in ${join(r.out, "HANDOVER.txt")}.)\n`,
  );
}

/** Print what `replace-operator` wrote (JSON, or the summary and the hand-over steps). */
function printReplaceResult(
  r: Awaited<ReturnType<typeof runReplacement>>,
  journalFile: string,
  recorded: string[],
  warnings: string[],
  json: boolean | undefined,
): void {
  if (json) {
    printJson({ ...r, journal: journalFile, deletionStatements: recorded, warnings });
    return;
  }
  process.stdout.write(
    `${r.resumed.length ? `Resumed (already done: ${r.resumed.join(", ")}). ` : ""}` +
      `Wrote the new cluster for ${r.validators} validator(s) to ${r.out}\n` +
      `Operators ${r.operators.join(",")} (threshold ${r.threshold}); staying ${r.staying.join(",") || "none"}, ` +
      `removed ${r.removed.join(",") || "none"}, added ${r.added.join(",") || "none"}.\n` +
      `Definition hash ${r.hash} (previous ${r.previousHash}).\n\n` +
      `${r.handover.join("\n")}\n\n(These steps are in ${join(r.out, "HANDOVER.txt")}.)\n` +
      recorded
        .map((p) => `Recorded a deletion statement (a statement, not a proof): ${p}\n`)
        .join(""),
  );
}
