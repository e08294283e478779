/**
 * Replacing operators of an rpdvt cluster without exiting (issue 16 part 1,
 * `rpdvt cluster replace-operator`): the owner's cold key (Rocket Pool wallet) is split afresh —
 * a NEW random polynomial per validator (keysplit/split.ts), independent of the old one — across
 * the new operator set, and a new rpdvt-cluster/v1 definition is written whose `previous`
 * member names the old definition's hash and the activation epoch E (keysplit/cluster.ts; the
 * hash covers it). The old cluster signs slots < E·SLOTS_PER_EPOCH, the new one slots ≥ it
 * (core/signer/window.ts, wired by `node run --previous-cluster`).
 *
 * Honest semantics (also printed by the command and in docs/): an old share alone is useless,
 * but t old shares together still rebuild the key — a fresh polynomial protects against a removed
 * operator only as long as fewer than t old shares are pooled; the owner decides whom to trust.
 * A removed operator's signed deletion statement (./replace-statement.ts) is recorded, not a proof.
 *
 * This module plans and checks (everything before any key is read); ./replace-run.ts writes.
 */
import { InputError } from "../errors.js";
import type { ClusterDefinition, ClusterOperator } from "./cluster.js";
import { assertOperatorIds, CLUSTER_SIZES, thresholdFor } from "./split.js";

/** The fewest epochs between now and the activation epoch: time to hand the folders over. */
export const MIN_LEAD_EPOCHS = 2;
/** The default lead when no --activation-epoch is given (~1.7 h on mainnet). */
export const DEFAULT_LEAD_EPOCHS = 16;

/**
 * What the owner asked for: either `replace` (old id → new id pairs) or `operatorIds` (the whole
 * new set), endpoints/peer ids of new or moved operators, and the activation epoch.
 *
 * @example
 * const req: ReplacementRequest = { replace: new Map([[4, 5]]), activationEpoch: 120, currentEpoch: 100 };
 */
export type ReplacementRequest = {
  replace?: ReadonlyMap<number, number> | undefined;
  operatorIds?: readonly number[] | undefined;
  endpoints?: ReadonlyMap<number, string> | undefined;
  peerIds?: ReadonlyMap<number, string> | undefined;
  /** Activation epoch E; default currentEpoch + DEFAULT_LEAD_EPOCHS. */
  activationEpoch?: number | undefined;
  /** The chain's current epoch (from the beacon node, or given by the owner). */
  currentEpoch: number;
  /** Refuse E closer than this to the current epoch (default MIN_LEAD_EPOCHS). */
  minLeadEpochs?: number | undefined;
};

/**
 * A checked replacement: the new operators (staying ones keep name, identity, endpoint unless
 * overridden), who stays, leaves and joins, and E.
 *
 * @example
 * const plan = planReplacement(oldDef, req);
 * plan.removed; // [4]
 */
export type ReplacementPlan = {
  previousHash: string;
  activationEpoch: number;
  operators: ClusterOperator[];
  staying: number[];
  removed: number[];
  added: number[];
  threshold: { old: number; new: number };
};

/**
 * The new operator id set from a replace map or an explicit list (every format: cluster, SSV);
 * refusals name the flag (unknown operator, n ∉ {4,7,10,13}, an id twice).
 *
 * @example
 * newOperatorSet([1, 2, 3, 4], { replace: new Map([[4, 5]]) }); // [1, 2, 3, 5]
 */
export function newOperatorSet(
  old: readonly number[],
  req: Pick<ReplacementRequest, "replace" | "operatorIds">,
): number[] {
  if ((req.replace === undefined) === (req.operatorIds === undefined)) {
    throw new InputError("Give either --replace OLD=NEW[,…] or --operator-ids (the new set)", {
      field: "--replace/--operator-ids",
      metaMessages: [
        "--replace 4=5 swaps operator 4 for a new operator 5; --operator-ids 1,2,3,5,6,7,8 sets",
        "the whole new operator set (n = 4, 7, 10 or 13).",
      ],
    });
  }
  let ids: number[];
  if (req.replace) {
    const gone = new Set<number>();
    ids = [...old];
    for (const [from, to] of req.replace) {
      if (!old.includes(from)) {
        throw new InputError(`Operator ${from} is not in the cluster`, {
          field: "--replace",
          metaMessages: [`The cluster's operators are ${old.join(",")}.`],
        });
      }
      gone.add(from);
      ids = ids.map((id) => (id === from ? to : id));
    }
    ids.sort((a, b) => a - b);
  } else {
    ids = [...(req.operatorIds as number[])].sort((a, b) => a - b);
  }
  try {
    assertOperatorIds(ids);
  } catch (err) {
    const e = err as InputError;
    throw new InputError(`New operator set ${ids.join(",")}: ${e.shortMessage}`, {
      field: req.replace ? "--replace" : "--operator-ids",
      metaMessages: [
        `n must stay in {${CLUSTER_SIZES.join(",")}}; a new id must not be one of the cluster's.`,
      ],
    });
  }
  return ids;
}

/**
 * The new id set ({@link newOperatorSet}) and who stays, leaves and joins; an InputError
 * `unchanged` (naming the flag) when nobody leaves or joins.
 *
 * @example
 * operatorSetChange([1, 2, 3, 4], { replace: new Map([[4, 5]]) }, "Nothing to replace");
 * // { ids: [1, 2, 3, 5], staying: [1, 2, 3], removed: [4], added: [5] }
 */
export function operatorSetChange(
  old: readonly number[],
  req: Pick<ReplacementRequest, "replace" | "operatorIds">,
  unchanged: string,
): { ids: number[]; staying: number[]; removed: number[]; added: number[] } {
  const ids = newOperatorSet(old, req);
  const staying = ids.filter((id) => old.includes(id));
  const removed = old.filter((id) => !ids.includes(id));
  const added = ids.filter((id) => !old.includes(id));
  if (added.length === 0 && removed.length === 0) {
    throw new InputError(unchanged, { field: req.replace ? "--replace" : "--operator-ids" });
  }
  return { ids, staying, removed, added };
}

/**
 * The activation epoch E of a request (default current + DEFAULT_LEAD_EPOCHS), refused unless at
 * least `minLeadEpochs` ahead (every format: cluster, Dirk).
 *
 * @example
 * activationEpochOf({ currentEpoch: 100 }); // 116
 */
export function activationEpochOf(
  req: Pick<ReplacementRequest, "activationEpoch" | "currentEpoch" | "minLeadEpochs">,
): number {
  const lead = req.minLeadEpochs ?? MIN_LEAD_EPOCHS;
  const epoch = req.activationEpoch ?? req.currentEpoch + DEFAULT_LEAD_EPOCHS;
  if (!Number.isSafeInteger(epoch) || epoch < req.currentEpoch + lead) {
    throw new InputError(
      epoch <= req.currentEpoch
        ? `Activation epoch ${epoch} is not in the future (the chain is at epoch ${req.currentEpoch})`
        : `Activation epoch ${epoch} is only ${epoch - req.currentEpoch} epoch(s) ahead`,
      {
        field: "--activation-epoch",
        metaMessages: [
          `Give an epoch at least ${lead} ahead (≥ ${req.currentEpoch + lead}): every operator must`,
          "receive its folder, import what it is handed, and restart before it.",
        ],
      },
    );
  }
  return epoch;
}

/**
 * Check a replacement against the old definition before any key is read: the new set (n ∈
 * {4,7,10,13}, at least one operator changed, ids unique), endpoints/peer ids only for new-set
 * operators, staying operators on a new endpoint (their node
 * runs both clusters until E), and E at least `minLeadEpochs` ahead.
 *
 * @example
 * const plan = planReplacement(oldDef, { replace: new Map([[4, 5]]), endpoints, peerIds, currentEpoch: 100 });
 */
export function planReplacement(
  previous: ClusterDefinition,
  req: ReplacementRequest,
): ReplacementPlan {
  const oldIds = previous.operators.map((o) => o.id);
  const { ids, staying, removed, added } = operatorSetChange(
    oldIds,
    req,
    "The new operator set is the cluster's own: nothing to replace",
  );
  for (const [flag, map] of [
    ["--endpoints", req.endpoints],
    ["--peer-ids", req.peerIds],
  ] as const) {
    const unknown = [...(map?.keys() ?? [])].filter((id) => !ids.includes(id));
    if (unknown.length) {
      throw new InputError(`${flag} names operator(s) ${unknown.join(",")}, not in the new set`, {
        field: flag,
        metaMessages: [`The new operators are ${ids.join(",")}.`],
      });
    }
  }
  const epoch = activationEpochOf(req);
  const byId = new Map(previous.operators.map((o) => [o.id, o]));
  const operators: ClusterOperator[] = ids.map((id) => {
    const old = byId.get(id);
    const endpoint = req.endpoints?.get(id) ?? old?.endpoint;
    const identity = req.peerIds?.get(id) ?? old?.identity ?? undefined;
    if (old?.endpoint !== undefined && endpoint === old.endpoint) {
      throw new InputError(`Operator ${id} stays: give it a new endpoint for the new cluster`, {
        field: "--endpoints",
        metaMessages: [
          `Its node runs the old cluster (${old.endpoint}) and the new one side by side until epoch ${epoch}:`,
          `give --endpoints ${id}=HOST:OTHERPORT (e.g. the old port + 1).`,
        ],
      });
    }
    return {
      id,
      ...(old?.name !== undefined ? { name: old.name } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(identity !== undefined ? { identity } : {}),
    };
  });
  return {
    previousHash: previous.hash,
    activationEpoch: epoch,
    operators,
    staying,
    removed,
    added,
    threshold: { old: previous.threshold, new: thresholdFor(ids.length) },
  };
}

/**
 * The hand-over steps, in order, for the owner and each operator (printed by the command and
 * written to HANDOVER.txt). `outName` is the output folder's name as the owner sees it.
 *
 * @example
 * const lines = handoverSteps(plan, "cluster-v2", oldHash, newHash);
 */
export function handoverSteps(
  plan: ReplacementPlan,
  outName: string,
  newHash: string,
  slotsPerEpoch?: number,
): string[] {
  const e = plan.activationEpoch;
  const slot = slotsPerEpoch ? ` (slot ${e * slotsPerEpoch})` : "";
  const exporter = plan.staying[0];
  return [
    `Activation epoch ${e}${slot}: the old cluster ${plan.previousHash} signs before it, the new cluster ${newHash} from it.`,
    "",
    `1. Give ${outName}/operator-<id>/ to operator <id> (and to nobody else), before epoch ${e}.`,
    `2. Every operator checks its folder: rpdvt keys verify operator-<id> — and compares the hash ${newHash}.`,
    ...(plan.added.length
      ? [
          `3. Staying operator ${exporter} exports its slashing history: stop its node (the squad signs on without`,
          `   it), run  rpdvt slashing-protection export --data-dir <its data dir> --out interchange.json`,
          `   and sends interchange.json to operator(s) ${plan.added.join(",")}; it restarts as in step 4.`,
          `   New operator(s) ${plan.added.join(",")}: rpdvt slashing-protection import --data-dir <new data dir> --file interchange.json`,
          `   then  rpdvt node run --cluster operator-<id> --identity <its identity> --data-dir <new data dir> …`,
          "   (its node refuses every duty before the activation epoch).",
        ]
      : ["3. (No new operator: nothing to import.)"]),
    `4. Staying operators ${plan.staying.join(",")} restart once, before epoch ${e}, with both folders and their usual data dir:`,
    "   rpdvt node run --cluster <new operator-<id>> --previous-cluster <old operator-<id>> --data-dir <same> …",
    `   One process, one slashing DB: the old cluster until epoch ${e}, the new one from it.`,
    "   One at a time: restart the next only when the previous one's node.log shows old-cluster",
    '   duties succeeding again ("cluster":"previous"; its doppelganger watch takes ~2 epochs) —',
    "   two restarting together can leave the old cluster below threshold for those epochs.",
    `5. Removed operator(s) ${plan.removed.join(",") || "(none)"}: stop their node after epoch ${e} and delete their share;`,
    "   a signed deletion statement (rpdvt cluster sign-deletion) can be recorded with",
    `   rpdvt cluster record-deletion --cluster ${outName} --statement FILE.`,
    "",
    "What this does and does not protect:",
    "- After the activation epoch, old shares sign nothing the chain accepts: the staying operators'",
    "  nodes refuse, so a removed operator never completes a threshold with its old share alone.",
    `- But ${plan.threshold.old} old shares together still rebuild the validator key: the fresh polynomial does not`,
    "  revoke the old one. Whether the removed operator(s) could collude with enough others is the",
    "  owner's trust decision; a deletion statement is recorded as a statement, not a proof.",
  ];
}
