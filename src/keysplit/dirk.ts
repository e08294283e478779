/**
 * Dirk distributed accounts: each participant's share of each validator as an account of a
 * "distributed" wallet in the filesystem wallet store that Dirk reads (`stores: [{type: filesystem,
 * location: …}]`), plus a summary and a README.
 *
 * Sources (all field names and layout confirmed there):
 * - wealdtech/go-eth2-wallet-distributed@975abc3 account.go: account JSON members `uuid`, `name`,
 *   `pubkey` (this participant's SHARE public key, hex without 0x), `verificationvector` (hex G1
 *   points; [0] is the composite public key — there is no `composite_pubkey` member),
 *   `signing_threshold` (must be > participants/2), `participants` {"<id>": "host:port"}, `crypto`
 *   (keystorev4 `crypto` object; the encrypted secret is the share secret — Unlock checks it
 *   against `pubkey`), `encryptor: "keystore"`, `version: 4`.
 * - …/wallet.go: wallet JSON `uuid`, `name`, `type: "distributed"`, `version: 1`; the accounts
 *   index via wealdtech/go-indexer index.go: JSON array of {"uuid","name"}.
 * - wealdtech/go-eth2-wallet-store-filesystem@a43b8f8 path.go: `<location>/<walletUUID>/<walletUUID>`
 *   (wallet), `<location>/<walletUUID>/<accountUUID>` (accounts), `<location>/<walletUUID>/index`.
 * - wealdtech/go-eth2-wallet-encryptor-keystorev4 encryptor.go: default KDF pbkdf2, c = 2^18.
 * - attestantio/dirk@013975f services/process/standard/{crypto,generate}.go, util/bls.go:
 *   participant id = Dirk `server.id` = the key of `peers:` = the Shamir evaluation point x.
 */
import { randomUUID } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { publicKeyFromBytes, publicKeyOf } from "../crypto/bls.js";
import {
  decryptCrypto,
  encryptCrypto,
  type KdfChoice,
  keystoreCryptoSchema,
  randomPassword,
} from "../crypto/eip2335.js";
import { InputError, VerificationError } from "../errors.js";
import { kdfConcurrency, mapConcurrent } from "../util/concurrency.js";
import { SECRET_DIR_MODE, writeDirAtomic, writeSecretFile } from "../util/fs.js";
import { bytesEqual, fromHex, toHex } from "../util/hex.js";
import { readJsonFile } from "../util/json-file.js";
import { startProgress } from "../util/progress.js";
import { parseWith } from "../util/schema.js";
import { evaluateVerificationVector, verificationVector } from "./dirk-vvec.js";
import {
  assertKdfParams,
  assertSharesOfKey,
  assertSplitValidators,
  type KdfParams,
  listDir,
  outputFileWording,
  readPasswordFile,
} from "./format-io.js";
import { type SplitValidator, thresholdFor } from "./split.js";
import type { VerifyReport } from "./verify-report.js";

/** Format name in {@link VerifyReport} and `version` of distributed-accounts.json. */
export const DIRK_FORMAT = "dirk-distributed v1";
export const DIRK_SUMMARY_VERSION = "rpdvt-dirk/v1";
export const DIRK_SUMMARY_FILE = "distributed-accounts.json";
/** Dirk's default listen port (attestantio/dirk docs/configuration.md sample `listen-address`). */
export const DIRK_DEFAULT_PORT = 13141;
/** go-eth2-wallet-distributed wallet.go `walletType` / `version`. */
const WALLET_TYPE = "distributed";
const WALLET_VERSION = 1;
/** keystorev4 encryptor.go `name` / `version`. */
const ENCRYPTOR_NAME = "keystore";
const ACCOUNT_VERSION = 4;
const DEFAULT_WALLET = "rpdvt";

export type DirkParticipant = { id: number; endpoint: string };

export type DirkWriteOptions = {
  /**
   * Endpoint ("host:port") per participant id. Required for real outputs (`keys split` demands
   * --endpoints); when absent, placeholders `dirk-<id>:13141` are written (tests only).
   */
  participants?: DirkParticipant[];
  /** Wallet name (the same in every participant's store); default "rpdvt". */
  walletName?: string;
  /** Default pbkdf2 with c = 2^18, as Dirk/ethdo's keystorev4 encryptor writes. */
  kdf?: KdfChoice;
  kdfParams?: KdfParams;
  quiet?: boolean;
  /** Recorded in the summary by a replacement (keysplit/replace-dirk.ts). */
  previous?: Summary["previous"];
  /**
   * Extra public or secret files per participant, written (0600) into participant-<id>/ inside
   * the atomic output before the passphrases (a replacement's slashing-protection floors).
   */
  participantFiles?: (
    id: number,
    shares: readonly { name: string; pubkey: Uint8Array }[],
  ) => { name: string; content: string }[];
};

const ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/;
const hex48 = z.string().regex(/^[0-9a-f]{96}$/, "must be 48 bytes of lowercase hex without 0x");
const hex0x48 = z.string().regex(/^0x[0-9a-f]{96}$/, "must be 0x + 48 bytes of lowercase hex");
const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a UUID");

const summarySchema = z.strictObject({
  version: z.literal(DIRK_SUMMARY_VERSION),
  wallet: z.string().min(1),
  threshold: z.number().int().positive(),
  participants: z
    .array(
      z.strictObject({ id: z.number().int().positive(), endpoint: z.string(), walletUuid: uuid }),
    )
    .min(1),
  accounts: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        compositePubkey: hex0x48,
        verificationVector: z.array(hex0x48).min(1),
        shares: z.array(
          z.strictObject({ participant: z.number().int().positive(), pubkey: hex0x48, uuid }),
        ),
      }),
    )
    .min(1),
  /** Written by `cluster replace-operator --dirk`: the output this one succeeds (keysplit/replace-dirk.ts). */
  previous: z
    .strictObject({
      summarySha256: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x + 32 bytes of lowercase hex"),
      wallet: z.string().min(1),
      activationEpoch: z.number().int().nonnegative(),
    })
    .optional(),
});
/**
 * The public summary of a Dirk output (distributed-accounts.json).
 *
 * @example
 * const s: DirkSummary = await readDirkSummary("/out/dirk/distributed-accounts.json");
 */
export type DirkSummary = z.infer<typeof summarySchema>;
type Summary = DirkSummary;

const walletSchema = z.object({
  uuid,
  name: z.string(),
  type: z.literal(WALLET_TYPE),
  version: z.number().int(),
});
const indexSchema = z.array(z.object({ uuid, name: z.string() }));
const accountSchema = z.object({
  uuid,
  name: z.string().min(1),
  pubkey: hex48,
  verificationvector: z.array(hex48).min(1),
  signing_threshold: z.number().int().positive(),
  participants: z.record(z.string().regex(/^[0-9]+$/), z.string()),
  crypto: keystoreCryptoSchema,
  encryptor: z.literal(ENCRYPTOR_NAME),
  version: z.literal(ACCOUNT_VERSION),
});

function participantEndpoints(
  ids: readonly number[],
  given: DirkParticipant[] | undefined,
): DirkParticipant[] {
  if (!given) return ids.map((id) => ({ id, endpoint: `dirk-${id}:${DIRK_DEFAULT_PORT}` }));
  const byId = new Map<number, string>();
  for (const p of given) {
    if (byId.has(p.id))
      throw new InputError(`Participant ${p.id} is given twice`, { field: "participants" });
    const m = ENDPOINT.exec(p.endpoint);
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new InputError(
        `Endpoint of participant ${p.id} must be host:port, got "${p.endpoint}"`,
        {
          field: "participants",
        },
      );
    }
    byId.set(p.id, p.endpoint);
  }
  const missing = ids.filter((id) => !byId.has(id));
  const extra = [...byId.keys()].filter((id) => !ids.includes(id));
  if (missing.length || extra.length) {
    throw new InputError("Participants do not match the operators the keys are split across", {
      field: "participants",
      details: `operators ${ids.join(",")}; missing ${missing.join(",") || "none"}; unknown ${extra.join(",") || "none"}`,
    });
  }
  return ids.map((id) => ({ id, endpoint: byId.get(id) as string }));
}

function readme(summary: Summary): string {
  const w = summary.wallet;
  const t = summary.threshold;
  const n = summary.participants.length;
  const peers = summary.participants.map((p) => `    ${p.id}: ${p.endpoint}`);
  return [
    "rpdvt -> Dirk distributed accounts",
    "==================================",
    "",
    `${summary.accounts.length} validator(s) split ${t}-of-${n} across Dirk participants ${summary.participants.map((p) => p.id).join(", ")}.`,
    `Wallet "${w}" (type distributed); account name = validator public key.`,
    "",
    "For each participant <id>:",
    "  participant-<id>/wallets/       drop its content into that Dirk's wallet store, i.e. the",
    "                                  directory of `stores: [{type: filesystem, location: ...}]`",
    "                                  (it contains one <walletUUID>/ directory)",
    "  participant-<id>/passphrase.txt the passphrase of every account of that participant",
    `The store must not already hold another wallet named "${w}" (choose another walletName).`,
    "",
    "Dirk configuration of participant <id> (dirk.yml):",
    "  server:",
    "    id: <id>                    # MUST equal the participant id: it is the Shamir x of the share",
    "  stores:",
    "  - name: Local",
    "    type: filesystem",
    "    location: /path/to/wallets  # where participant-<id>/wallets/* was copied",
    "  peers:",
    ...peers,
    "  unlocker:",
    "    account-passphrases:",
    "    - file:///path/to/passphrase.txt",
    "  permissions:",
    `    <client>:`,
    `      ${w}: All`,
    "",
    "Check one participant's copy with ethdo (filesystem store):",
    `  ethdo --base-dir=/path/to/wallets account info --account="${w}/<validator pubkey>" --verbose`,
    "  -> 'Composite public key' must be the validator public key, 'Signing threshold' " +
      `${t}/${n}.`,
    "",
    "Move each participant's folder to its own machine only; no machine should ever hold",
    `${t} or more participants' folders. Stop the old validator client and wait at least 2`,
    "finalised epochs before Dirk signs with these keys.",
    "",
    `${DIRK_SUMMARY_FILE} lists composite public keys, verification vectors, share public keys,`,
    "participants and endpoints (no secrets).",
    "",
  ].join("\n");
}

/** The wallet name, checked as Dirk's store accepts it. */
function checkedWalletName(name: string | undefined): string {
  const walletName = name ?? DEFAULT_WALLET;
  if (!walletName || walletName.startsWith("_") || walletName.includes("/")) {
    throw new InputError(`Invalid wallet name "${walletName}"`, {
      field: "walletName",
      metaMessages: ["Wallet names must be non-empty, not start with _ and not contain /."],
    });
  }
  return walletName;
}

/** Verification vector of every validator, checked against its key and every share. */
function checkedVectors(validators: readonly SplitValidator[], threshold: number): Uint8Array[][] {
  return validators.map((sv) => {
    const vvec = verificationVector(sv.shares, threshold);
    if (!bytesEqual(vvec[0] as Uint8Array, sv.pubkey)) {
      throw new VerificationError(
        `Verification vector of ${toHex(sv.pubkey)} does not start with its public key`,
      );
    }
    for (const s of sv.shares) {
      if (!bytesEqual(evaluateVerificationVector(vvec, s.id), s.pubkey)) {
        throw new VerificationError(
          `Share ${s.id} of ${toHex(sv.pubkey)} is not on the sharing polynomial`,
        );
      }
    }
    return vvec;
  });
}

type DirkWallet = DirkParticipant & { walletUuid: string; passphrase: string };

/** What writeDirk writes, decided before anything is encrypted. */
type DirkLayout = {
  walletName: string;
  threshold: number;
  ids: number[];
  wallets: DirkWallet[];
  accountUuids: string[][];
  vvecs: Uint8Array[][];
  summary: Summary;
};

function dirkLayout(validators: readonly SplitValidator[], opts: DirkWriteOptions): DirkLayout {
  const ids = assertSplitValidators(validators);
  const threshold = thresholdFor(ids.length);
  const participants = participantEndpoints(ids, opts.participants);
  const walletName = checkedWalletName(opts.walletName);
  assertKdfParams(opts.kdf ?? "pbkdf2", opts.kdfParams);
  const vvecs = checkedVectors(validators, threshold);
  const wallets = participants.map((p) => ({
    ...p,
    walletUuid: randomUUID(),
    passphrase: randomPassword(),
  }));
  const accountUuids = validators.map(() => ids.map(() => randomUUID()));
  const summary: Summary = {
    version: DIRK_SUMMARY_VERSION,
    wallet: walletName,
    threshold,
    participants: wallets.map((w) => ({
      id: w.id,
      endpoint: w.endpoint,
      walletUuid: w.walletUuid,
    })),
    accounts: validators.map((sv, v) => ({
      name: toHex(sv.pubkey),
      compositePubkey: toHex(sv.pubkey),
      verificationVector: (vvecs[v] as Uint8Array[]).map((p) => toHex(p)),
      shares: sv.shares.map((s, i) => ({
        participant: s.id,
        pubkey: toHex(s.pubkey),
        uuid: accountUuids[v]?.[i] as string,
      })),
    })),
    ...(opts.previous ? { previous: opts.previous } : {}),
  };
  return { walletName, threshold, ids, wallets, accountUuids, vvecs, summary };
}

/** The wallet file and its accounts index of every participant. */
async function writeWalletFiles(
  tmp: string,
  validators: readonly SplitValidator[],
  l: DirkLayout,
): Promise<void> {
  for (const w of l.wallets) {
    const walletDir = join(tmp, `participant-${w.id}`, "wallets", w.walletUuid);
    await fsp.mkdir(walletDir, { recursive: true, mode: SECRET_DIR_MODE });
    const wallet = {
      name: l.walletName,
      type: WALLET_TYPE,
      uuid: w.walletUuid,
      version: WALLET_VERSION,
    };
    await writeSecretFile(join(walletDir, w.walletUuid), JSON.stringify(wallet));
    const index = validators.map((sv, v) => ({
      uuid: l.accountUuids[v]?.[l.ids.indexOf(w.id)],
      name: toHex(sv.pubkey),
    }));
    await writeSecretFile(join(walletDir, "index"), JSON.stringify(index));
  }
}

/** Every account file (one keystorev4 encryption per share), bounded by the KDF's memory. */
async function writeAccountFiles(
  tmp: string,
  validators: readonly SplitValidator[],
  l: DirkLayout,
  opts: DirkWriteOptions,
  tick: () => void,
): Promise<number> {
  const kdf = opts.kdf ?? "pbkdf2";
  const participantsJson = Object.fromEntries(l.wallets.map((p) => [String(p.id), p.endpoint]));
  const jobs = validators.flatMap((sv, v) => sv.shares.map((share, i) => ({ sv, v, share, i })));
  await mapConcurrent(jobs, kdfConcurrency(kdf, opts.kdfParams), async ({ sv, v, share, i }) => {
    const w = l.wallets[i] as DirkWallet;
    const account = {
      crypto: await encryptCrypto(share.secret, w.passphrase, kdf, opts.kdfParams),
      encryptor: ENCRYPTOR_NAME,
      name: toHex(sv.pubkey),
      participants: participantsJson,
      pubkey: toHex(share.pubkey, false),
      signing_threshold: l.threshold,
      uuid: l.accountUuids[v]?.[i] as string,
      verificationvector: (l.vvecs[v] as Uint8Array[]).map((p) => toHex(p, false)),
      version: ACCOUNT_VERSION,
    };
    const file = join(tmp, `participant-${w.id}`, "wallets", w.walletUuid, account.uuid);
    await writeSecretFile(file, JSON.stringify(account));
    tick();
  });
  return jobs.length;
}

/** The summary, README, the caller's extra participant files, and last the passphrases. */
async function writeFinalFiles(
  tmp: string,
  validators: readonly SplitValidator[],
  l: DirkLayout,
  opts: DirkWriteOptions,
): Promise<number> {
  await writeSecretFile(join(tmp, DIRK_SUMMARY_FILE), `${JSON.stringify(l.summary, null, 2)}\n`);
  await writeSecretFile(join(tmp, "README.txt"), readme(l.summary));
  let extra = 0;
  for (const w of l.wallets) {
    const shares = validators.map((sv) => ({
      name: toHex(sv.pubkey),
      pubkey: sv.shares.find((s) => s.id === w.id)?.pubkey as Uint8Array,
    }));
    for (const f of opts.participantFiles?.(w.id, shares) ?? []) {
      await writeSecretFile(join(tmp, `participant-${w.id}`, f.name), f.content);
      extra++;
    }
  }
  // Passphrases in the last step: a run killed while encrypting leaves no decryptable share.
  for (const w of l.wallets) {
    await writeSecretFile(join(tmp, `participant-${w.id}`, "passphrase.txt"), w.passphrase);
  }
  return extra;
}

/**
 * Write Dirk distributed accounts: `participant-<id>/wallets/<walletUUID>/{<walletUUID>, index,
 * <accountUUID>…}` + `participant-<id>/passphrase.txt` (fresh, one per participant), plus
 * `distributed-accounts.json` and README.txt. Atomic: nothing is left at `out` on failure.
 *
 * @example
 * await writeDirk("/out/dirk", validators, { participants: [{ id: 1, endpoint: "dirk1:13141" }, …] });
 */
export async function writeDirk(
  out: string,
  validators: readonly SplitValidator[],
  opts: DirkWriteOptions = {},
): Promise<{ out: string; files: number }> {
  const layout = dirkLayout(validators, opts);
  const dir = resolve(out);
  const total = validators.length * layout.ids.length;
  const progress = startProgress("Encrypting Dirk accounts", total, { quiet: opts.quiet });
  let files = 2 + layout.wallets.length * 3;
  try {
    await writeDirAtomic(dir, async (tmp) => {
      await writeWalletFiles(tmp, validators, layout);
      files += await writeAccountFiles(tmp, validators, layout, opts, () => progress.tick());
      files += await writeFinalFiles(tmp, validators, layout, opts);
    });
  } finally {
    progress.stop();
  }
  return { out: dir, files };
}

type LoadedAccount = {
  participant: number;
  name: string;
  pubkey: Uint8Array;
  vvec: string[];
  file: string;
};

type LoadedWallet = {
  walletDir: string;
  index: z.infer<typeof indexSchema>;
  accountFiles: string[];
};

/** A participant's wallet file and index, and its account files (exactly those indexed). */
async function loadWallet(
  dir: string,
  summary: Summary,
  p: Summary["participants"][number],
): Promise<LoadedWallet> {
  const walletDir = join(dir, `participant-${p.id}`, "wallets", p.walletUuid);
  const walletFile = join(walletDir, p.walletUuid);
  const wallet = parseWith(
    walletSchema,
    await readJsonFile(walletFile, outputFileWording(walletFile)),
    "Not a distributed wallet",
    walletFile,
  );
  if (wallet.uuid !== p.walletUuid || wallet.name !== summary.wallet) {
    throw new InputError(
      `Wallet of participant ${p.id} is not "${summary.wallet}" (${p.walletUuid})`,
      {
        file: walletFile,
        field: wallet.uuid !== p.walletUuid ? "uuid" : "name",
      },
    );
  }
  const indexFile = join(walletDir, "index");
  const index = parseWith(
    indexSchema,
    await readJsonFile(indexFile, outputFileWording(indexFile)),
    "Not a wallet index",
    indexFile,
  );
  const names = (await listDir(walletDir)) ?? [];
  const accountFiles = names
    .filter((n) => n !== p.walletUuid && n !== "index" && n !== "batch")
    .sort();
  if (
    accountFiles.join(",") !==
    index
      .map((e) => e.uuid)
      .sort()
      .join(",")
  ) {
    throw new InputError(
      `Wallet index of participant ${p.id} does not list exactly its account files`,
      {
        file: indexFile,
        metaMessages: ["Dirk finds accounts by name through this index."],
      },
    );
  }
  return { walletDir, index, accountFiles };
}

/** The account's public members against the wallet index and the summary. */
function checkAccountMembers(
  acc: z.infer<typeof accountSchema>,
  file: string,
  fileName: string,
  w: LoadedWallet,
  summary: Summary,
): void {
  if (acc.uuid !== fileName)
    throw new InputError("Account uuid differs from its file name", { file, field: "uuid" });
  if (w.index.find((e) => e.uuid === acc.uuid)?.name !== acc.name) {
    throw new InputError("Account name differs from the wallet index", { file, field: "name" });
  }
  if (acc.signing_threshold !== summary.threshold) {
    throw new InputError(
      `signing_threshold ${acc.signing_threshold} differs from the cluster's ${summary.threshold}`,
      { file, field: "signing_threshold" },
    );
  }
  if (acc.verificationvector.length !== summary.threshold) {
    throw new InputError("verificationvector length differs from signing_threshold", {
      file,
      field: "verificationvector",
    });
  }
  const expect = summary.participants.map((q) => `${q.id}=${q.endpoint}`).join(",");
  const got = Object.entries(acc.participants)
    .map(([id, ep]) => [Number(id), ep] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([id, ep]) => `${id}=${ep}`)
    .join(",");
  if (got !== expect) {
    throw new InputError("Account participants differ from the cluster's participants", {
      file,
      field: "participants",
      details: `expected ${expect}; got ${got}`,
    });
  }
}

/** One account: members checked, share decrypted and matched to `pubkey` and the vector. */
async function loadAccount(
  w: LoadedWallet,
  fileName: string,
  summary: Summary,
  p: Summary["participants"][number],
  passphrase: string,
): Promise<LoadedAccount> {
  const file = join(w.walletDir, fileName);
  const acc = parseWith(
    accountSchema,
    await readJsonFile(file, outputFileWording(file)),
    "Not a Dirk distributed account",
    file,
  );
  checkAccountMembers(acc, file, fileName, w, summary);
  const pubkey = fromHex(acc.pubkey, { field: "pubkey", file, length: 48 });
  publicKeyFromBytes(pubkey, { field: "pubkey", file });
  const secret = await decryptCrypto(acc.crypto, passphrase, { file });
  const actual = publicKeyOf(secret);
  secret.fill(0);
  if (!bytesEqual(actual, pubkey)) {
    throw new VerificationError("Account pubkey does not match its decrypted share", {
      metaMessages: [`File: ${file}`, "Field: pubkey"],
    });
  }
  const vvec = acc.verificationvector.map((h, k) =>
    fromHex(h, { field: `verificationvector[${k}]`, file, length: 48 }),
  );
  if (!bytesEqual(evaluateVerificationVector(vvec, p.id), pubkey)) {
    throw new VerificationError(
      `Share of participant ${p.id} is not on the account's verification vector`,
      {
        metaMessages: [
          `File: ${file}`,
          "The share belongs to another participant or another validator.",
        ],
      },
    );
  }
  return { participant: p.id, name: acc.name, pubkey, vvec: acc.verificationvector, file };
}

async function loadParticipant(
  dir: string,
  summary: Summary,
  p: Summary["participants"][number],
  limit: number,
): Promise<LoadedAccount[]> {
  const w = await loadWallet(dir, summary, p);
  const passphrase = await readPasswordFile(join(dir, `participant-${p.id}`, "passphrase.txt"));
  return mapConcurrent(w.accountFiles, limit, (name) =>
    loadAccount(w, name, summary, p, passphrase),
  );
}

/**
 * Read and check a Dirk summary (distributed-accounts.json): schema, participant ids unique and
 * ascending, threshold 2F+1 of them.
 *
 * @example
 * const summary = await readDirkSummary("/out/dirk/distributed-accounts.json");
 */
export async function readDirkSummary(summaryFile: string): Promise<DirkSummary> {
  const summary = parseWith(
    summarySchema,
    await readJsonFile(summaryFile, outputFileWording(summaryFile)),
    "Not an rpdvt Dirk summary",
    summaryFile,
  );
  const ids = summary.participants.map((p) => p.id);
  ids.forEach((id, i) => {
    if (i > 0 && id <= (ids[i - 1] as number)) {
      throw new InputError("Participant ids must be unique and ascending", {
        file: summaryFile,
        field: "participants",
      });
    }
  });
  const threshold = thresholdFor(ids.length);
  if (summary.threshold !== threshold) {
    throw new InputError(
      `Threshold ${summary.threshold} is not 2F+1 = ${threshold} for ${ids.length} participants`,
      { file: summaryFile, field: "threshold" },
    );
  }
  return summary;
}

/** Every participant's accounts, decrypted and checked (progress per participant). */
async function loadAllAccounts(
  dir: string,
  summary: Summary,
  quiet: boolean | undefined,
): Promise<LoadedAccount[]> {
  const total = summary.accounts.length * summary.participants.length;
  const progress = startProgress("Decrypting Dirk accounts", total, { quiet });
  const loaded: LoadedAccount[] = [];
  try {
    for (const p of summary.participants) {
      // Accounts may use scrypt (256 MiB each at n=2^18): take the memory-safe bound.
      const accounts = await loadParticipant(dir, summary, p, kdfConcurrency("scrypt"));
      progress.tick(accounts.length);
      loaded.push(...accounts);
    }
  } finally {
    progress.stop();
  }
  return loaded;
}

/** One summary account against the loaded participant accounts: vectors, share keys, sharing. */
function checkSummaryAccount(
  dir: string,
  summaryFile: string,
  summary: Summary,
  a: number,
  loaded: readonly LoadedAccount[],
): void {
  const entry = summary.accounts[a] as Summary["accounts"][number];
  const field = `accounts[${a}]`;
  const threshold = summary.threshold;
  if (
    entry.verificationVector[0] !== entry.compositePubkey ||
    entry.verificationVector.length !== threshold
  ) {
    throw new InputError("compositePubkey must be verificationVector[0], of length threshold", {
      file: summaryFile,
      field,
    });
  }
  const shares = summary.participants.map(({ id }) => {
    const acc = loaded.filter((l) => l.participant === id && l.name === entry.name);
    if (acc.length !== 1) {
      throw new InputError(`Participant ${id} has ${acc.length} accounts named ${entry.name}`, {
        file: join(dir, `participant-${id}`),
        metaMessages: ["Every participant must hold exactly one share of every account."],
      });
    }
    const got = acc[0] as LoadedAccount;
    if (got.vvec.map((h) => `0x${h}`).join(",") !== entry.verificationVector.join(",")) {
      throw new VerificationError(
        `Verification vector of ${entry.name} differs at participant ${id}`,
        {
          metaMessages: [`File: ${got.file}`],
        },
      );
    }
    const listed = entry.shares.find((s) => s.participant === id);
    if (!listed || listed.pubkey !== toHex(got.pubkey)) {
      throw new VerificationError(
        `Share public key of participant ${id} for ${entry.name} differs from the summary`,
        { metaMessages: [`File: ${summaryFile}`, `Field: ${field}.shares`] },
      );
    }
    return { id, pubkey: got.pubkey };
  });
  const composite = fromHex(entry.compositePubkey, {
    field: `${field}.compositePubkey`,
    file: summaryFile,
  });
  assertSharesOfKey(
    composite,
    shares,
    threshold,
    `account ${entry.name}`,
    [`File: ${summaryFile}`, `Field: ${field}.shares`],
    {
      file: summaryFile,
      keyField: `${field}.compositePubkey`,
      shareField: (id) => `${field}.shares[participant=${id}].pubkey`,
    },
  );
}

/**
 * Verify a Dirk output folder (the one holding distributed-accounts.json): every account decrypts
 * with its participant's passphrase and matches its `pubkey`, each share lies on the account's
 * verification vector at x = participant id, the share public keys are a sharing of the composite
 * key (vvec[0]) with threshold exactly t (every share on one polynomial of degree t−1 through it,
 * no t−1 shares giving it, no share equal to it: format-io.ts findShareDefect), threshold 2F+1
 * and participants identical everywhere.
 *
 * @example
 * const report = await verifyDirk("/out/dirk");
 */
export async function verifyDirk(
  path: string,
  opts: { quiet?: boolean } = {},
): Promise<VerifyReport> {
  const dir = resolve(path);
  const summaryFile = join(dir, DIRK_SUMMARY_FILE);
  const summary = await readDirkSummary(summaryFile);
  const ids = summary.participants.map((p) => p.id);
  const threshold = summary.threshold;
  const total = summary.accounts.length * ids.length;
  const loaded = await loadAllAccounts(dir, summary, opts.quiet);
  for (const a of summary.accounts.keys())
    checkSummaryAccount(dir, summaryFile, summary, a, loaded);
  if (loaded.length !== total) {
    throw new InputError("Some participant holds accounts the summary does not list", {
      file: summaryFile,
    });
  }
  return {
    format: DIRK_FORMAT,
    file: dir,
    validators: summary.accounts.length,
    operators: ids,
    threshold,
    checks: [
      `threshold ${threshold} = 2F+1 for ${ids.length} participants, the same in every account`,
      "wallet, index and account files in the go-eth2-wallet-store-filesystem layout",
      `all ${total} accounts decrypt with their participant's passphrase and match their pubkey`,
      "every share lies on its account's verification vector at x = participant id",
      `share public keys of every account on one polynomial of degree exactly ${threshold - 1} through its composite key: every ${threshold} of the ${ids.length} participants recover it, no ${threshold - 1} do, no share is the key (${summary.accounts.length})`,
      "participants and endpoints identical in every account and the summary",
    ],
  };
}

/**
 * Cheap sniff: a directory with distributed-accounts.json whose version is rpdvt-dirk/v1.
 *
 * @example
 * if (await detectDirk(path)) report = await verifyDirk(path);
 */
export async function detectDirk(path: string): Promise<boolean> {
  try {
    const json = JSON.parse(await fsp.readFile(join(path, DIRK_SUMMARY_FILE), "utf8"));
    return json?.version === DIRK_SUMMARY_VERSION;
  } catch {
    return false;
  }
}
