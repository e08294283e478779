/**
 * Doctor check of the DV node's EIP-3076 slashing-protection DB (src/slashing/db.ts): present,
 * bound to a network, holding every cluster validator, and recent (the latest attestation target
 * no more than LIMITS.staleEpochs behind the current epoch).
 */
import { SlashingProtectionDb } from "../../../slashing/db.js";
import { pathExists } from "../../../util/fs.js";
import { type CheckOutcome, type DoctorCheck, type DoctorContext, LIMITS } from "../types.js";

/** What the DB holds for the cluster: missing validators, latest target epoch. */
function judgeHistory(db: SlashingProtectionDb, ctx: DoctorContext): CheckOutcome {
  const cluster = ctx.cluster;
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
  const epochNow = ctx.epochNow;
  if (epochNow !== undefined && latest >= 0 && epochNow - latest > LIMITS.staleEpochs)
    return {
      status: "warn",
      detail: `latest attestation target epoch ${latest}, current ${epochNow}`,
      hint: "The node has not attested recently: is it running?",
    };
  return {
    status: "pass",
    detail: `${ic.data.length} validator(s), latest target epoch ${latest}`,
  };
}

/**
 * The slashing DB exists, is bound to a network and covers the cluster's validators.
 *
 * @example
 * const outcome = await slashingDbCheck.run(ctx);
 */
export const slashingDbCheck: DoctorCheck = {
  name: "slashing DB",
  applies: (ctx) => ctx.dbFile !== undefined,
  async run(ctx) {
    const dbFile = ctx.dbFile as string;
    if (!(await pathExists(dbFile)))
      return {
        status: "fail",
        detail: `${dbFile} missing`,
        hint: "Import the migration's hand-over interchange: `rpdvt slashing-protection import`.",
      };
    const db = SlashingProtectionDb.openFile(dbFile);
    try {
      if (!db.genesisValidatorsRoot)
        return { status: "warn", detail: "empty (bound to no network yet)" };
      return judgeHistory(db, ctx);
    } finally {
      db.close();
    }
  },
};
