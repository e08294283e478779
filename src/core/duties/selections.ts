/**
 * The two-phase aggregation duties' shared bookkeeping (consensus-specs phase0 validator.md
 * "Aggregation selection", altair validator.md "Sync committee aggregation selection"): phase 1
 * (./aggregator.ts prepare, ./sync-contribution.ts prepare) keeps each selected aggregator's
 * selection proof per `${slot}/${pubkey}`; phase 2 builds one input per selected validator whose
 * earlier duty (attestation, sync message) this operator has decided, and fetches them together.
 */
import type { DutyContext } from "../duty-handler.js";
import type { FetchResult } from "../interfaces.js";
import type { Duty, DutyDefinition, DutyType, PubkeyHex, UnsignedData } from "../types.js";

/**
 * A selected aggregator's phase-1 result (more fields per duty type in `E`).
 *
 * @example
 * const s: Selection = { slot: 9, def, proof };
 */
export type Selection<E extends object = object> = {
  slot: number;
  def: DutyDefinition;
  proof: Uint8Array;
} & E;

/**
 * The key of a validator's selection in a slot.
 *
 * @example
 * selections.set(selectionKey(9, pk), { slot: 9, def, proof });
 */
export function selectionKey(slot: number, pubkey: PubkeyHex): string {
  return `${slot}/${pubkey}`;
}

/**
 * Phase 2: for each validator of `defs` with a selection and a decided `before` duty of the
 * slot, `build` its input (undefined: skip it); when any, start the duty for those validators and
 * propose what `fetch` returns for the inputs.
 *
 * @example
 * proposeSelected(ctx, duty, defs, selections, DutyType.Attester, build, (i) => ctx.fetcher.aggregates(duty.slot, i));
 */
export function proposeSelected<S extends Selection, I>(
  ctx: DutyContext,
  duty: Duty,
  defs: ReadonlyMap<PubkeyHex, DutyDefinition>,
  selections: ReadonlyMap<string, S>,
  before: DutyType,
  build: (sel: S, decided: UnsignedData | undefined) => I | undefined,
  fetch: (inputs: I[]) => Promise<FetchResult>,
): void {
  const inputs: I[] = [];
  const selected: PubkeyHex[] = [];
  const earlier = { slot: duty.slot, type: before };
  for (const pk of defs.keys()) {
    const sel = selections.get(selectionKey(duty.slot, pk));
    const input = sel && build(sel, ctx.decided(earlier, pk));
    if (input === undefined) continue;
    inputs.push(input);
    selected.push(pk);
  }
  if (!inputs.length) return;
  ctx.start(duty, selected);
  ctx.propose(duty, fetch(inputs));
}

/**
 * Forget the selections of slots before `minSlot` (a handler's `prune`).
 *
 * @example
 * pruneSelections(selections, 100);
 */
export function pruneSelections(selections: Map<string, Selection>, minSlot: number): void {
  for (const [k, v] of selections) if (v.slot < minSlot) selections.delete(k);
}
