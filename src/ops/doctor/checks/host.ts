/**
 * Doctor checks of the operator's machine:
 * - clock: local time against the beacon's HTTP `Date` header (RFC 9110 §6.6.1) on
 *   GET /eth/v1/beacon/headers/head, and the head slot against genesis + slot time;
 * - disk space: free space (statfs) where the slashing DB lives;
 * - file modes: share keystores, passwords, identity and DB not readable by group/others.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { pathExists } from "../../../util/fs.js";
import { type DoctorBeacon, type DoctorCheck, type DoctorContext, LIMITS } from "../types.js";

/** Group and other permission bits: a secret file has none of them. */
const MODE_MASK = 0o077;

/** Slots the beacon's head may lag the wall clock before the clock check warns. */
const HEAD_LAG_WARN_SLOTS = 2;

/** The beacon's head slot and its `Date` header, with the local times around the request. */
async function beaconTime(ctx: DoctorContext) {
  const t0 = ctx.now();
  const { header, date } = await (ctx.beacon as DoctorBeacon).blockHeaderDated("head");
  const t1 = ctx.now();
  return { t0, t1, date: date ?? null, slot: header?.slot ?? Number.NaN };
}

/**
 * The local clock agrees with the beacon node's (and its head is not far behind the wall clock).
 *
 * @example
 * const outcome = await clockCheck.run(ctx);
 */
export const clockCheck: DoctorCheck = {
  name: "clock",
  applies: (ctx) => ctx.beacon !== undefined,
  async run(ctx) {
    const { t0, t1, date, slot } = await beaconTime(ctx);
    if (!date) return { status: "warn", detail: "beacon node sent no Date header" };
    // Date is truncated to the second: the server time lies in [date, date+1s).
    const server = Date.parse(date) + 500;
    const drift = (t0 + t1) / 2 - server;
    const chain = ctx.chain;
    const lag =
      chain && Number.isFinite(slot)
        ? Math.floor((ctx.now() / 1000 - chain.genesisTime) / chain.secondsPerSlot) - slot
        : undefined;
    const detail = `local − beacon ≈ ${(drift / 1000).toFixed(1)} s${lag !== undefined ? `, head ${lag} slot(s) behind wall clock` : ""}`;
    if (Math.abs(drift) > LIMITS.clockFailMs)
      return {
        status: "fail",
        detail,
        hint: "Fix time sync (chrony/systemd-timesyncd): late signatures miss their duties.",
      };
    if (Math.abs(drift) > LIMITS.clockWarnMs || (lag ?? 0) > HEAD_LAG_WARN_SLOTS)
      return { status: "warn", detail };
    return { status: "pass", detail };
  },
};

/**
 * Enough free space where the DV node writes its slashing DB.
 *
 * @example
 * const outcome = await diskSpaceCheck.run(ctx);
 */
export const diskSpaceCheck: DoctorCheck = {
  name: "disk space",
  applies: (ctx) => ctx.inp.dataDir !== undefined,
  async run(ctx) {
    const dir = (await pathExists(ctx.inp.dataDir as string)) ? (ctx.inp.dataDir as string) : ".";
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
  },
};

async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(abs)));
    else if (e.isFile()) out.push(abs);
  }
  return out;
}

/** The secret files the file-modes check looks at. */
async function secretFiles(ctx: DoctorContext): Promise<string[]> {
  const { clusterDir, identityFile } = ctx.inp;
  return [
    ...(clusterDir ? await walkFiles(clusterDir) : []).filter((f) =>
      /password|keystore|share-|\.json$/.test(f),
    ),
    ...(identityFile ? [identityFile] : []),
    ...(ctx.dbFile && (await pathExists(ctx.dbFile)) ? [ctx.dbFile] : []),
  ];
}

/**
 * Share keystores, passwords, the identity and the DB are not readable by group or others.
 *
 * @example
 * const outcome = await fileModesCheck.run(ctx);
 */
export const fileModesCheck: DoctorCheck = {
  name: "file modes",
  applies: (ctx) =>
    ctx.inp.clusterDir !== undefined ||
    ctx.inp.identityFile !== undefined ||
    ctx.dbFile !== undefined,
  async run(ctx) {
    const files = await secretFiles(ctx);
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
};
