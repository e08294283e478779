/**
 * Doctor checks of the network the operator is on:
 * - network (fork/genesis): the beacon's genesis_validators_root against the slashing DB's
 *   (EIP-3076 binds a DB to one chain), and the cluster's validators known to that chain
 *   (POST /eth/v1/beacon/states/head/validators);
 * - peers: TCP connect to every operator endpoint of the cluster definition (fewer than the
 *   threshold reachable = the cluster cannot sign).
 */
import { connect } from "node:net";
import { SlashingProtectionDb } from "../../../slashing/db.js";
import { pathExists } from "../../../util/fs.js";
import { toHex } from "../../../util/hex.js";
import type { CheckOutcome, DoctorCheck, DoctorContext } from "../types.js";

/** The slashing DB's network against the beacon's: a note, a failing outcome, or "" (no DB yet). */
async function dbNetwork(dbFile: string | undefined, gvr: string): Promise<CheckOutcome | string> {
  if (!dbFile || !(await pathExists(dbFile))) return "";
  const db = SlashingProtectionDb.openFile(dbFile);
  const bound = db.genesisValidatorsRoot;
  db.close();
  if (bound && bound.toLowerCase() !== gvr)
    return {
      status: "fail",
      detail: `slashing DB is for ${bound}, beacon node for ${gvr}`,
      hint: "Wrong beacon node or wrong data dir: they belong to different networks.",
    };
  return "slashing DB bound to this network";
}

/** The cluster's validators the beacon node knows: a note, a warning (some unknown), or "". */
async function clusterOnChain(ctx: DoctorContext): Promise<CheckOutcome | string> {
  const cluster = ctx.cluster;
  if (!cluster) return "";
  const known = await (ctx.beacon as NonNullable<DoctorContext["beacon"]>).validators(
    cluster.validators.map((v) => Buffer.from(v.pubkey.slice(2), "hex")),
  );
  if (known.length < cluster.validators.length)
    return {
      status: "warn",
      detail: `${known.length}/${cluster.validators.length} cluster validators known to this chain`,
      hint: "Not deposited yet, or the beacon node is on another network.",
    };
  return `${known.length} cluster validators on chain`;
}

/**
 * The slashing DB and the cluster's validators belong to the beacon node's network.
 *
 * @example
 * const outcome = await networkCheck.run(ctx);
 */
export const networkCheck: DoctorCheck = {
  name: "network (fork/genesis)",
  applies: (ctx) =>
    ctx.chain !== undefined && (ctx.dbFile !== undefined || ctx.cluster !== undefined),
  async run(ctx) {
    const gvr = toHex((ctx.chain as NonNullable<DoctorContext["chain"]>).genesisValidatorsRoot);
    const notes: string[] = [];
    for (const part of [() => dbNetwork(ctx.dbFile, gvr), () => clusterOnChain(ctx)]) {
      const r = await part();
      if (typeof r !== "string") return r;
      if (r) notes.push(r);
    }
    return { status: "pass", detail: `${gvr.slice(0, 10)}…: ${notes.join(", ")}` };
  },
};

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

/**
 * Every operator endpoint of the cluster definition accepts a TCP connection.
 *
 * @example
 * const outcome = await peersCheck.run(ctx);
 */
export const peersCheck: DoctorCheck = {
  name: "peers",
  applies: (ctx) => ctx.cluster?.operators.some((o) => o.endpoint) === true,
  skipWhy: "no operator endpoints in the cluster definition",
  async run(ctx) {
    const cluster = ctx.cluster as NonNullable<DoctorContext["cluster"]>;
    const ops = cluster.operators.filter((o) => o.endpoint);
    const ok = await Promise.all(ops.map((o) => tcpReachable(o.endpoint as string, ctx.timeoutMs)));
    const down = ops.filter((_, i) => !ok[i]).map((o) => `${o.id}@${o.endpoint}`);
    const up = ops.length - down.length;
    const t = cluster.threshold;
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
};
