/**
 * `rpdvt doctor`: pre-flight and health checks of one operator, each pass / warn / fail / skip
 * (skip = the input it needs was not given). Network calls are bounded by a timeout; a check that
 * throws becomes a fail naming the error, never a crash.
 *
 * Checks and their sources:
 * - beacon: GET /eth/v1/node/syncing (ethereum/beacon-APIs) — synced, not optimistic, EL online;
 * - execution: JSON-RPC `eth_syncing` / `eth_chainId` (execution-apis);
 * - network: the beacon's genesis_validators_root against the slashing DB's, and the cluster's
 *   validators known to that chain;
 * - peers: TCP connect to every operator endpoint of the cluster definition;
 * - clock: local time against the beacon's HTTP `Date` header (RFC 9110 §6.6.1) on
 *   GET /eth/v1/beacon/headers/head, and the head slot against genesis + slot time;
 * - disk: free space (statfs) where the slashing DB lives;
 * - keys quarantined: no cluster validator key loadable from any Smartnode client layout
 *   (../quarantine/quarantine.ts findKeysInSmartnode) — a key in both places is the mass-slashing
 *   setup;
 * - fee recipient: each cluster validator's feeRecipient against the Rocket Pool rule
 *   (../feerecipient/feerecipient.ts resolveFeeRecipients, the same code path as `rpdvt migrate`)
 *   via the execution client — a megapool validator outside the smoothing pool may also use the
 *   smoothing pool or the rETH token (RPIP-43 donations: pass, saying so) —, else the
 *   Smartnode's rp-fee-recipient file;
 * - slashing DB: present, bound to this network, holding every cluster validator, recent;
 * - file modes: share keystores, passwords, identity and DB not readable by group/others.
 */
import { promises as fsp } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { createBeaconClient } from "../../beacon/index.js";
import { currentEpoch } from "../../core/beacon.js";
import { BaseError } from "../../errors.js";
import { type ClusterDefinition, readClusterDefinition } from "../../keysplit/cluster.js";
import { resolveDataDir } from "../../rocketpool/datadir.js";
import { SlashingProtectionDb } from "../../slashing/db.js";
import { DB_FILE_NAME } from "../../slashing/schema.js";
import { pathExists } from "../../util/fs.js";
import { toHex } from "../../util/hex.js";
import {
  type FeeRecipientChoice,
  readFeeRecipientFile,
  resolveFeeRecipients,
} from "../feerecipient/feerecipient.js";
import { findKeysInSmartnode } from "../quarantine/quarantine.js";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";
export type CheckResult = { name: string; status: CheckStatus; detail: string; hint?: string };

export type DoctorInputs = {
  /** Operator folder (operator-<id>/) or cluster output root — where cluster.json is. */
  clusterDir?: string;
  /** DV node data folder (slashing-protection.sqlite). */
  dataDir?: string;
  rocketpoolDir?: string;
  beaconUrls?: string[];
  executionUrl?: string;
  identityFile?: string;
  /** Node address for the on-chain fee recipient rule. */
  nodeAddress?: string;
  rocketStorage?: string;
  timeoutMs?: number;
  now?: () => number;
};

/** Thresholds (constants say why). */
export const LIMITS = {
  /** Date has 1 s resolution; an attestation is due 4 s into a slot: warn at 2 s, fail at 4 s. */
  clockWarnMs: 2000,
  clockFailMs: 4000,
  /** The DB and logs of a DV node are small; below these, writes (and so signing) may fail. */
  diskWarnBytes: 10 * 2 ** 30,
  diskFailBytes: 2 ** 30,
  /** Epochs without a new attestation record before the DB counts as stale. */
  staleEpochs: 3,
};

const MODE_MASK = 0o077;

async function loadDefinition(dir: string): Promise<ClusterDefinition> {
  const file = (await pathExists(join(dir, "cluster.json"))) ? join(dir, "cluster.json") : dir;
  return readClusterDefinition(file);
}

function tcpReachable(endpoint: string, timeoutMs: number): Promise<boolean> {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = connect({ host: m[1] as string, port: Number(m[2]) });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

async function rpc(url: string, method: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new BaseError(`${method}: ${body.error.message}`);
  return body.result;
}

async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(abs)));
    else if (e.isFile()) out.push(abs);
  }
  return out;
}

/**
 * Run every check; inputs that are not given skip the checks needing them.
 *
 * @example
 * const results = await runDoctor({ clusterDir: "operator-1", dataDir: "/var/lib/rpdvt", beaconUrls: ["http://127.0.0.1:5052"] });
 */
export async function runDoctor(inp: DoctorInputs): Promise<CheckResult[]> {
  const timeoutMs = inp.timeoutMs ?? 5000;
  const now = inp.now ?? Date.now;
  const results: CheckResult[] = [];
  const check = async (
    name: string,
    needs: boolean,
    fn: () => Promise<Omit<CheckResult, "name">>,
    skipWhy = "input not given",
  ) => {
    if (!needs) return void results.push({ name, status: "skip", detail: skipWhy });
    try {
      results.push({ name, ...(await fn()) });
    } catch (err) {
      results.push({
        name,
        status: "fail",
        detail:
          err instanceof BaseError
            ? err.shortMessage
            : err instanceof Error
              ? err.message
              : String(err),
      });
    }
  };

  const def = inp.clusterDir
    ? await loadDefinition(inp.clusterDir).catch((e: Error) => e)
    : undefined;
  if (def instanceof Error)
    results.push({
      name: "cluster definition",
      status: "fail",
      detail: def.message.split("\n")[0] ?? "",
    });
  const cluster = def instanceof Error ? undefined : def;
  const beacon = inp.beaconUrls?.length
    ? createBeaconClient(inp.beaconUrls, { timeoutMs })
    : undefined;
  const chain = beacon ? await beacon.chainInfo().catch(() => undefined) : undefined;
  const epochNow = chain ? currentEpoch(chain, now()) : undefined;
  const dbFile = inp.dataDir ? join(inp.dataDir, DB_FILE_NAME) : undefined;

  await check("beacon node", beacon !== undefined, async () => {
    const s = await (beacon as NonNullable<typeof beacon>).syncing();
    if (s.isSyncing || s.syncDistance > 1)
      return {
        status: "fail",
        detail: `syncing: head ${s.headSlot}, ${s.syncDistance} slots behind`,
        hint: "Wait for the beacon node to sync.",
      };
    if (s.isOptimistic || s.elOffline)
      return {
        status: "warn",
        detail: `head ${s.headSlot}, ${s.isOptimistic ? "optimistic" : "execution client offline"}`,
      };
    return { status: "pass", detail: `synced, head slot ${s.headSlot}` };
  });

  await check("execution client", inp.executionUrl !== undefined, async () => {
    const url = inp.executionUrl as string;
    const [syncing, chainId] = await Promise.all([
      rpc(url, "eth_syncing", timeoutMs),
      rpc(url, "eth_chainId", timeoutMs),
    ]);
    if (syncing !== false)
      return { status: "fail", detail: "syncing", hint: "Wait for the execution client to sync." };
    return { status: "pass", detail: `synced, chain id ${Number(chainId)}` };
  });

  await check(
    "network (fork/genesis)",
    chain !== undefined && (dbFile !== undefined || cluster !== undefined),
    async () => {
      const gvr = toHex((chain as NonNullable<typeof chain>).genesisValidatorsRoot);
      const notes: string[] = [];
      if (dbFile && (await pathExists(dbFile))) {
        const db = SlashingProtectionDb.openFile(dbFile);
        const bound = db.genesisValidatorsRoot;
        db.close();
        if (bound && bound.toLowerCase() !== gvr)
          return {
            status: "fail",
            detail: `slashing DB is for ${bound}, beacon node for ${gvr}`,
            hint: "Wrong beacon node or wrong data dir: they belong to different networks.",
          };
        notes.push("slashing DB bound to this network");
      }
      if (cluster) {
        const known = await (beacon as NonNullable<typeof beacon>).validators(
          cluster.validators.map((v) => Buffer.from(v.pubkey.slice(2), "hex")),
        );
        if (known.length < cluster.validators.length) {
          return {
            status: "warn",
            detail: `${known.length}/${cluster.validators.length} cluster validators known to this chain`,
            hint: "Not deposited yet, or the beacon node is on another network.",
          };
        }
        notes.push(`${known.length} cluster validators on chain`);
      }
      return { status: "pass", detail: `${gvr.slice(0, 10)}…: ${notes.join(", ")}` };
    },
  );

  await check(
    "peers",
    cluster?.operators.some((o) => o.endpoint) === true,
    async () => {
      const ops = (cluster as ClusterDefinition).operators.filter((o) => o.endpoint);
      const ok = await Promise.all(ops.map((o) => tcpReachable(o.endpoint as string, timeoutMs)));
      const down = ops.filter((_, i) => !ok[i]).map((o) => `${o.id}@${o.endpoint}`);
      const up = ops.length - down.length;
      const t = (cluster as ClusterDefinition).threshold;
      const detail = `${up}/${ops.length} operator endpoints reachable${down.length ? ` (down: ${down.join(", ")})` : ""}`;
      if (up === ops.length) return { status: "pass", detail };
      return up >= t
        ? { status: "warn", detail }
        : {
            status: "fail",
            detail,
            hint: `Fewer than the threshold (${t}) can be reached: the cluster cannot sign.`,
          };
    },
    "no operator endpoints in the cluster definition",
  );

  await check("clock", beacon !== undefined, async () => {
    const url = (inp.beaconUrls as string[])[0] as string;
    const t0 = now();
    const res = await fetch(`${url.replace(/\/+$/, "")}/eth/v1/beacon/headers/head`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const t1 = now();
    const date = res.headers.get("date");
    const body = (await res.json().catch(() => undefined)) as
      | { data?: { header?: { message?: { slot?: string } } } }
      | undefined;
    if (!date) return { status: "warn", detail: "beacon node sent no Date header" };
    // Date is truncated to the second: the server time lies in [date, date+1s).
    const server = Date.parse(date) + 500;
    const drift = (t0 + t1) / 2 - server;
    const slot = Number(body?.data?.header?.message?.slot);
    const lag =
      chain && Number.isFinite(slot)
        ? Math.floor((now() / 1000 - chain.genesisTime) / chain.secondsPerSlot) - slot
        : undefined;
    const detail = `local − beacon ≈ ${(drift / 1000).toFixed(1)} s${lag !== undefined ? `, head ${lag} slot(s) behind wall clock` : ""}`;
    if (Math.abs(drift) > LIMITS.clockFailMs)
      return {
        status: "fail",
        detail,
        hint: "Fix time sync (chrony/systemd-timesyncd): late signatures miss their duties.",
      };
    if (Math.abs(drift) > LIMITS.clockWarnMs || (lag ?? 0) > 2) return { status: "warn", detail };
    return { status: "pass", detail };
  });

  await check("disk space", inp.dataDir !== undefined, async () => {
    const dir = (await pathExists(inp.dataDir as string)) ? (inp.dataDir as string) : ".";
    const s = await fsp.statfs(dir);
    const free = s.bavail * s.bsize;
    const detail = `${(free / 2 ** 30).toFixed(1)} GiB free at ${dir}`;
    if (free < LIMITS.diskFailBytes)
      return {
        status: "fail",
        detail,
        hint: "A full disk stops the slashing DB from recording, so nothing gets signed.",
      };
    return { status: free < LIMITS.diskWarnBytes ? "warn" : "pass", detail };
  });

  await check(
    "keys quarantined",
    cluster !== undefined && inp.rocketpoolDir !== undefined,
    async () => {
      const dataDir = await resolveDataDir(inp.rocketpoolDir as string);
      const hexes = (cluster as ClusterDefinition).validators.map((v) => v.pubkey.slice(2));
      const left = await findKeysInSmartnode(dataDir, hexes);
      if (left.size === 0)
        return {
          status: "pass",
          detail: `none of ${hexes.length} cluster key(s) in any Smartnode client layout`,
        };
      return {
        status: "fail",
        detail: `${left.size} cluster key(s) ALSO in the Smartnode: ${[...left].map(([h, w]) => `0x${h.slice(0, 12)}… in ${w[0]}${w.length > 1 ? ` (+${w.length - 1})` : ""}`).join("; ")}`,
        hint: "Stop the Smartnode validator client NOW, then quarantine with `rpdvt migrate`. Recreated by `rocketpool wallet rebuild` / `wallet recover` without -k / `minipool import-key`?",
      };
    },
  );

  await check(
    "fee recipient",
    cluster !== undefined &&
      (inp.rocketpoolDir !== undefined ||
        (inp.executionUrl !== undefined && inp.nodeAddress !== undefined)),
    async () => {
      const vals = (cluster as ClusterDefinition).validators;
      let allowed: (pk: string) => FeeRecipientChoice[];
      let cooldownUnknown = false;
      if (inp.executionUrl && inp.nodeAddress) {
        const r = await resolveFeeRecipients({
          executionUrl: inp.executionUrl,
          nodeAddress: inp.nodeAddress,
          pubkeys: vals.map((v) => v.pubkey),
          rocketStorage: inp.rocketStorage,
          beacon:
            beacon && chain
              ? {
                  chainInfo: async () => chain,
                  finalityCheckpoints: () => beacon.finalityCheckpoints(),
                }
              : undefined,
          timeoutMs,
        });
        const byKey = new Map(r.validators.map((v) => [v.pubkey, v.allowed]));
        allowed = (pk) => byKey.get(pk.toLowerCase()) ?? [];
        cooldownUnknown = r.cooldown === undefined;
      } else {
        const fr = await readFeeRecipientFile(await resolveDataDir(inp.rocketpoolDir as string));
        if (!fr)
          return {
            status: "warn",
            detail:
              "no rp-fee-recipient file in the Smartnode folder and no --execution-url/--node-address",
          };
        allowed = () => [{ address: fr.address, reason: `Smartnode ${fr.file}` }];
      }
      const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
      const matched = vals.map((v) => ({
        v,
        choice: allowed(v.pubkey).find((c) => same(c.address, v.feeRecipient)),
      }));
      const bad = matched.filter((m) => !m.choice).map((m) => m.v);
      if (bad.length === 0) {
        const groups = new Map<string, number>();
        for (const m of matched) {
          const key = `${m.choice?.reason} ${m.v.feeRecipient}`;
          groups.set(key, (groups.get(key) ?? 0) + 1);
        }
        const detail = `${vals.length} validator(s): ${[...groups].map(([k, n]) => `${n}× ${k}`).join("; ")}`;
        // Without the beacon node the opt-out cool-down is unknown: only the smoothing pool is
        // right in every case.
        const spOnly = matched.every((m) => m.choice?.reason.startsWith("smoothing pool"));
        if (cooldownUnknown && !spOnly)
          return {
            status: "warn",
            detail: `${detail} (the node opted out of the smoothing pool: cool-down not checked)`,
            hint: "Give --beacon-url: during the opt-out cool-down the smoothing pool is still required.",
          };
        return { status: "pass", detail };
      }
      const first = bad[0] as ClusterDefinition["validators"][number];
      const [req, ...alts] = allowed(first.pubkey);
      return {
        status: "fail",
        detail: `${bad.length} validator(s) use a fee recipient Rocket Pool does not allow (${first.pubkey.slice(0, 12)}…: ${first.feeRecipient}), Rocket Pool requires ${req?.address} (${req?.reason})${alts.length ? ` or, as an RPIP-43 donation, ${alts.map((a) => `${a.address} (${a.reason.split(" — ")[0]})`).join(" or ")}` : ""}`,
        hint: "A wrong fee recipient is penalised by the oDAO: recreate the cluster definition with the right fee recipient (rpdvt migrate computes it per validator with --execution-url and --node-address).",
      };
    },
  );

  await check("slashing DB", dbFile !== undefined, async () => {
    if (!(await pathExists(dbFile as string)))
      return {
        status: "fail",
        detail: `${dbFile} missing`,
        hint: "Import the migration's hand-over interchange: `rpdvt slashing-protection import`.",
      };
    const db = SlashingProtectionDb.openFile(dbFile as string);
    try {
      if (!db.genesisValidatorsRoot)
        return { status: "warn", detail: "empty (bound to no network yet)" };
      if (!cluster) return { status: "pass", detail: "present" };
      const ic = db.exportInterchange({ format: "minimal" });
      const have = new Set(ic.data.map((d) => d.pubkey.toLowerCase()));
      const missing = cluster.validators.filter((v) => !have.has(v.pubkey));
      const latest = Math.max(
        -1,
        ...ic.data.flatMap((d) => d.signed_attestations.map((a) => Number(a.target_epoch))),
      );
      if (missing.length)
        return {
          status: "warn",
          detail: `no history for ${missing.length}/${cluster.validators.length} cluster validator(s)`,
          hint: "Import the hand-over interchange before the first start.",
        };
      if (epochNow !== undefined && latest >= 0 && epochNow - latest > LIMITS.staleEpochs) {
        return {
          status: "warn",
          detail: `latest attestation target epoch ${latest}, current ${epochNow}`,
          hint: "The node has not attested recently: is it running?",
        };
      }
      return {
        status: "pass",
        detail: `${ic.data.length} validator(s), latest target epoch ${latest}`,
      };
    } finally {
      db.close();
    }
  });

  await check(
    "file modes",
    inp.clusterDir !== undefined || inp.identityFile !== undefined || dbFile !== undefined,
    async () => {
      const files = [
        ...(inp.clusterDir ? await walkFiles(inp.clusterDir) : []).filter((f) =>
          /password|keystore|share-|\.json$/.test(f),
        ),
        ...(inp.identityFile ? [inp.identityFile] : []),
        ...(dbFile && (await pathExists(dbFile)) ? [dbFile] : []),
      ];
      const open: string[] = [];
      for (const f of files) {
        const st = await fsp.stat(f).catch(() => undefined);
        if (st && (st.mode & MODE_MASK) !== 0) open.push(`${f} (${(st.mode & 0o777).toString(8)})`);
      }
      if (open.length)
        return {
          status: "fail",
          detail: `${open.length} secret file(s) readable by others: ${open.slice(0, 3).join(", ")}${open.length > 3 ? " …" : ""}`,
          hint: "chmod 600 them (and 700 their folders).",
        };
      return { status: "pass", detail: `${files.length} file(s) are 0600 or stricter` };
    },
  );
  return results;
}

/**
 * Aligned pass/warn/fail table.
 *
 * @example
 * process.stdout.write(formatDoctorTable(results));
 */
export function formatDoctorTable(results: readonly CheckResult[]): string {
  const mark: Record<CheckStatus, string> = {
    pass: "PASS",
    warn: "WARN",
    fail: "FAIL",
    skip: "skip",
  };
  const w = Math.max(5, ...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [
    `${mark[r.status]}  ${r.name.padEnd(w)}  ${r.detail}`,
    ...(r.hint && r.status !== "pass" ? [`      ${" ".repeat(w)}  → ${r.hint}`] : []),
  ]);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(
    "",
    `${count("pass")} pass, ${count("warn")} warn, ${count("fail")} fail, ${count("skip")} skipped`,
  );
  return `${lines.join("\n")}\n`;
}
