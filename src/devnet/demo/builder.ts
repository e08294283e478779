/**
 * The demo's MEV-Boost report (`builder` in `rpdvt demo --json`), counted from the devnet relay's
 * own records (../relay/relay.ts `GET /relay/v1/records`: every registration and blinded block in
 * them passed the relay's BLS check) against the canonical blocks the judge read from the beacon
 * node (../judge.ts `landedBlocks`) — never from rpdvt's bookkeeping (issue 15 item 4):
 * - registrationsVerified: cluster validators with at least one registration the relay verified
 *   (builder-specs `registerValidator`, builder domain); those whose latest one names another
 *   fee recipient than the cluster definition's are counted apart (registrationsWrongFeeRecipient);
 * - blindedProposals: blinded blocks of cluster validators the relay verified (proposer domain)
 *   whose payload is the canonical block at that slot (same block hash, same proposer);
 * - localFallbacks: landed cluster proposals whose payload is not one the relay delivered — a
 *   local (execution engine) block;
 * - blindedNotLanded: blinded blocks the relay verified for cluster validators that are not
 *   canonical (orphaned, or published too late);
 * - relayRejected: requests the relay refused or failed on unexpectedly (4xx: bad signature,
 *   unknown bid, ineligible validator, …; 500), anyone's; relayFailed: requests whose answer
 *   needed a beacon node read that failed (502, e.g. timed out on a loaded host) — not a verdict
 *   on what was sent;
 * - relayErrors: the first {@link MAX_LISTED_ERRORS} distinct errors of either kind (route, HTTP
 *   code, reason), so a count is never the only trace.
 * Without a relay (`--no-relay`) there is nothing to count: the report is null, not zeros.
 */
import type { LandedBlock } from "../judge.js";
import type { RelayRecords } from "../relay/relay.js";

/**
 * Proposal counts of a span of slots.
 *
 * @example
 * const c: BuilderProposalCounts = { blindedProposals: 2, localFallbacks: 1 };
 */
export type BuilderProposalCounts = { blindedProposals: number; localFallbacks: number };

/**
 * The run's builder report.
 *
 * @example
 * summary.builder?.registrationsVerified // 18
 */
export type BuilderReport = BuilderProposalCounts & {
  registrationsVerified: number;
  registrationsWrongFeeRecipient: number;
  blindedNotLanded: number;
  relayRejected: number;
  relayFailed: number;
  relayErrors: RelayRecords["rejected"];
};

/** How many distinct relay errors the report lists. */
const MAX_LISTED_ERRORS = 5;

/**
 * What the report is computed from.
 *
 * @example
 * const i: BuilderReportInput = { records, clusterPubkeys: ["0xa1…"], feeRecipient: "0x5aae…", landed: proposals.landedBlocks };
 */
export type BuilderReportInput = {
  /** The relay's records; null without a relay. */
  records: RelayRecords | null;
  /** Every cluster validator's public key (0x hex, any case). */
  clusterPubkeys: readonly string[];
  /** The cluster definition's fee recipient (Rocket Pool's). */
  feeRecipient: string;
  /** The cluster validators' canonical blocks (the judge's). */
  landed: readonly LandedBlock[];
};

/** The relay's verified blinded blocks of cluster validators, by payload block hash. */
function clusterBlinded(
  records: RelayRecords,
  cluster: ReadonlySet<string>,
): Map<string, RelayRecords["blindedBlocks"][number]> {
  const out = new Map<string, RelayRecords["blindedBlocks"][number]>();
  for (const b of records.blindedBlocks) {
    if (b.signatureVerified && cluster.has(b.pubkey.toLowerCase()))
      out.set(b.blockHash.toLowerCase(), b);
  }
  return out;
}

/** Is `block` the canonical landing of a blinded block the relay verified? */
function isBlinded(
  block: LandedBlock,
  blinded: ReadonlyMap<string, RelayRecords["blindedBlocks"][number]>,
): boolean {
  const b = block.blockHash ? blinded.get(block.blockHash.toLowerCase()) : undefined;
  return b !== undefined && b.slot === block.slot && b.proposerIndex === block.validatorIndex;
}

/**
 * Blinded and local proposals among `landed` within slots [fromSlot, toSlot] (null without a
 * relay).
 *
 * @example
 * builderProposalCounts(records, cluster, landed, 40, 55) // { blindedProposals: 1, localFallbacks: 2 }
 */
export function builderProposalCounts(
  records: RelayRecords | null,
  clusterPubkeys: readonly string[],
  landed: readonly LandedBlock[],
  fromSlot = 0,
  toSlot = Number.POSITIVE_INFINITY,
): BuilderProposalCounts | null {
  if (!records) return null;
  const blinded = clusterBlinded(records, new Set(clusterPubkeys.map((p) => p.toLowerCase())));
  const out: BuilderProposalCounts = { blindedProposals: 0, localFallbacks: 0 };
  for (const block of landed) {
    if (block.slot < fromSlot || block.slot > toSlot) continue;
    if (isBlinded(block, blinded)) out.blindedProposals++;
    else out.localFallbacks++;
  }
  return out;
}

/**
 * The run's builder report (see the module header); null without a relay.
 *
 * @example
 * const report = builderReport({ records: relay.records(), clusterPubkeys, feeRecipient, landed });
 */
export function builderReport(i: BuilderReportInput): BuilderReport | null {
  const { records } = i;
  if (!records) return null;
  const cluster = new Set(i.clusterPubkeys.map((p) => p.toLowerCase()));
  const want = i.feeRecipient.toLowerCase();
  const latest = new Map<string, RelayRecords["registrations"][number]>();
  for (const r of records.registrations) {
    const pk = r.pubkey.toLowerCase();
    if (!r.signatureVerified || !cluster.has(pk)) continue;
    const prev = latest.get(pk);
    if (!prev || r.timestamp >= prev.timestamp) latest.set(pk, r);
  }
  const wrong = [...latest.values()].filter((r) => r.feeRecipient.toLowerCase() !== want);
  const counts = builderProposalCounts(records, i.clusterPubkeys, i.landed) ?? {
    blindedProposals: 0,
    localFallbacks: 0,
  };
  const blinded = clusterBlinded(records, cluster);
  const landedBlinded = new Set(
    i.landed.filter((b) => isBlinded(b, blinded)).map((b) => b.blockHash?.toLowerCase()),
  );
  return {
    registrationsVerified: latest.size,
    registrationsWrongFeeRecipient: wrong.length,
    ...counts,
    blindedNotLanded: [...blinded.keys()].filter((h) => !landedBlinded.has(h)).length,
    relayRejected: records.rejected.filter((r) => r.code !== 502).length,
    relayFailed: records.rejected.filter((r) => r.code === 502).length,
    relayErrors: distinctErrors(records.rejected),
  };
}

/** The first {@link MAX_LISTED_ERRORS} errors, one per (route, code, reason). */
function distinctErrors(rejected: RelayRecords["rejected"]): RelayRecords["rejected"] {
  const seen = new Map<string, RelayRecords["rejected"][number]>();
  for (const r of rejected) {
    const key = `${r.route} ${r.code} ${r.reason}`;
    if (!seen.has(key)) seen.set(key, r);
    if (seen.size === MAX_LISTED_ERRORS) break;
  }
  return [...seen.values()];
}
