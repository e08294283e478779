/**
 * Doctor checks against the Smartnode:
 * - keys quarantined: no cluster validator key loadable from any Smartnode client layout
 *   (../../quarantine/quarantine.ts findKeysInSmartnode) — a key in both places is the
 *   mass-slashing setup;
 * - fee recipient: each cluster validator's feeRecipient against the Rocket Pool rule
 *   (../../feerecipient/feerecipient.ts resolveFeeRecipients, the same code path as
 *   `rpdvt migrate`) via the execution client — a megapool validator outside the smoothing pool
 *   may also use the smoothing pool or the rETH token (RPIP-43 donations: pass, saying so) —,
 *   else the Smartnode's rp-fee-recipient file.
 */
import type { ClusterDefinition } from "../../../keysplit/cluster.js";
import { resolveDataDir } from "../../../rocketpool/datadir.js";
import {
  type FeeRecipientChoice,
  readFeeRecipientFile,
  resolveFeeRecipients,
} from "../../feerecipient/feerecipient.js";
import { findKeysInSmartnode } from "../../quarantine/quarantine.js";
import type { CheckOutcome, DoctorCheck, DoctorContext } from "../types.js";

type ClusterValidator = ClusterDefinition["validators"][number];

/**
 * No cluster validator key is loadable from the Smartnode any more.
 *
 * @example
 * const outcome = await keysQuarantinedCheck.run(ctx);
 */
export const keysQuarantinedCheck: DoctorCheck = {
  name: "keys quarantined",
  applies: (ctx) => ctx.cluster !== undefined && ctx.inp.rocketpoolDir !== undefined,
  async run(ctx) {
    const dataDir = await resolveDataDir(ctx.inp.rocketpoolDir as string);
    const hexes = (ctx.cluster as ClusterDefinition).validators.map((v) => v.pubkey.slice(2));
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
};

/** The fee recipients Rocket Pool allows per validator, and whether the cool-down is unknown. */
type AllowedFeeRecipients = {
  allowed: (pubkey: string) => FeeRecipientChoice[];
  cooldownUnknown: boolean;
};

/** By the Rocket Pool rule on chain (--execution-url and --node-address). */
async function allowedOnChain(ctx: DoctorContext): Promise<AllowedFeeRecipients> {
  const { beacon, chain } = ctx;
  const r = await resolveFeeRecipients({
    executionUrl: ctx.inp.executionUrl as string,
    nodeAddress: ctx.inp.nodeAddress as string,
    pubkeys: (ctx.cluster as ClusterDefinition).validators.map((v) => v.pubkey),
    rocketStorage: ctx.inp.rocketStorage,
    beacon:
      beacon && chain
        ? { chainInfo: async () => chain, finalityCheckpoints: () => beacon.finalityCheckpoints() }
        : undefined,
    timeoutMs: ctx.timeoutMs,
  });
  const byKey = new Map(r.validators.map((v) => [v.pubkey, v.allowed]));
  return {
    allowed: (pk) => byKey.get(pk.toLowerCase()) ?? [],
    cooldownUnknown: r.cooldown === undefined,
  };
}

/** By the Smartnode's node-wide rp-fee-recipient file; undefined when there is none. */
async function allowedByFile(ctx: DoctorContext): Promise<AllowedFeeRecipients | undefined> {
  const fr = await readFeeRecipientFile(await resolveDataDir(ctx.inp.rocketpoolDir as string));
  if (!fr) return undefined;
  return {
    allowed: () => [{ address: fr.address, reason: `Smartnode ${fr.file}` }],
    cooldownUnknown: false,
  };
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Every validator uses an allowed fee recipient: the reasons, grouped. */
function allAllowed(
  matched: { v: ClusterValidator; choice: FeeRecipientChoice | undefined }[],
  cooldownUnknown: boolean,
): CheckOutcome {
  const groups = new Map<string, number>();
  for (const m of matched) {
    const key = `${m.choice?.reason} ${m.v.feeRecipient}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const detail = `${matched.length} validator(s): ${[...groups].map(([k, n]) => `${n}× ${k}`).join("; ")}`;
  // Without the beacon node the opt-out cool-down is unknown: only the smoothing pool is right in
  // every case.
  const spOnly = matched.every((m) => m.choice?.reason.startsWith("smoothing pool"));
  if (cooldownUnknown && !spOnly)
    return {
      status: "warn",
      detail: `${detail} (the node opted out of the smoothing pool: cool-down not checked)`,
      hint: "Give --beacon-url: during the opt-out cool-down the smoothing pool is still required.",
    };
  return { status: "pass", detail };
}

/** Some validators use a fee recipient Rocket Pool does not allow: the first one and its rule. */
function notAllowed(bad: ClusterValidator[], allowed: AllowedFeeRecipients["allowed"]) {
  const first = bad[0] as ClusterValidator;
  const [req, ...alts] = allowed(first.pubkey);
  return {
    status: "fail",
    detail: `${bad.length} validator(s) use a fee recipient Rocket Pool does not allow (${first.pubkey.slice(0, 12)}…: ${first.feeRecipient}), Rocket Pool requires ${req?.address} (${req?.reason})${alts.length ? ` or, as an RPIP-43 donation, ${alts.map((a) => `${a.address} (${a.reason.split(" — ")[0]})`).join(" or ")}` : ""}`,
    hint: "A wrong fee recipient is penalised by the oDAO: recreate the cluster definition with the right fee recipient (rpdvt migrate computes it per validator with --execution-url and --node-address).",
  } satisfies CheckOutcome;
}

/**
 * Every cluster validator's fee recipient is one Rocket Pool allows it.
 *
 * @example
 * const outcome = await feeRecipientCheck.run(ctx);
 */
export const feeRecipientCheck: DoctorCheck = {
  name: "fee recipient",
  applies: (ctx) =>
    ctx.cluster !== undefined &&
    (ctx.inp.rocketpoolDir !== undefined ||
      (ctx.inp.executionUrl !== undefined && ctx.inp.nodeAddress !== undefined)),
  async run(ctx) {
    const rule =
      ctx.inp.executionUrl && ctx.inp.nodeAddress
        ? await allowedOnChain(ctx)
        : await allowedByFile(ctx);
    if (!rule)
      return {
        status: "warn",
        detail:
          "no rp-fee-recipient file in the Smartnode folder and no --execution-url/--node-address",
      };
    const matched = (ctx.cluster as ClusterDefinition).validators.map((v) => ({
      v,
      choice: rule.allowed(v.pubkey).find((c) => sameAddress(c.address, v.feeRecipient)),
    }));
    const bad = matched.filter((m) => !m.choice).map((m) => m.v);
    return bad.length === 0
      ? allAllowed(matched, rule.cooldownUnknown)
      : notAllowed(bad, rule.allowed);
  },
};
