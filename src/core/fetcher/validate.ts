/**
 * The consensus validity predicate β (QBFT `isValid`) of a duty's unsigned data set: an honest
 * operator PREPAREs a proposal only if every entry is well-formed for the instance's slot AND its
 * own slashing protection would let it sign the entry (read-only check, src/core/protection.ts)
 * — so a Byzantine leader cannot make honest operators decide slashable (or unsignable) data.
 *
 * This is the generic frame (Charon core/consensus `isValid` over duty-type agnostic values):
 * decode the value; its kind must be the one the instance's duty type decides (the handler's
 * `decides`, or one of its `alsoDecides`), else "kind"; the handler's `validateSet` (a rule over
 * the whole value) holds; then for every entry: the pubkey is a validator of the cluster, and the
 * handler's `validate` accepts it given this operator's own definition of the duty. The rules per
 * duty type live in their handlers (issue 14 item 8; adding a duty type is adding a file):
 * - attestation: src/core/duties/attester.ts `checkAttestation`;
 * - block / blinded_block: src/core/duties/proposer.ts (full blocks: src/core/block-validity.ts
 *   `checkFullBlock`, also the proposer's own check);
 * - aggregate: src/core/duties/aggregator.ts `checkAggregate`;
 * - sync_message: src/core/duties/sync-message.ts `checkSyncMessage`, `sameBlockRoot`;
 * - sync_contribution: src/core/duties/sync-contribution.ts `checkContribution`;
 * - registration (builder-specs): src/core/duties/builder-registration.ts.
 *
 * Cost: the predicate runs once per distinct value per QBFT instance (consensus caches the verdict
 * by value hash). Within one value, a handler caches what entries share through `vctx.memo` (the
 * attester: one signing root — an SSZ hash_tree_root, the dominant cost per entry — per distinct
 * AttestationData; all validators of a committee at a slot attest to the same data).
 */

import type { ChainInfo } from "../beacon.js";
import { decodeUnsignedSet } from "../codec.js";
import type { SigningRoots } from "../domain.js";
import type { DutyHandler, ValidityContext } from "../duty-handler.js";
import type { ProtectionView } from "../protection.js";
import type { DutyDefinition, PubkeyHex, UnsignedData } from "../types.js";

/**
 * Options of {@link createValidityCheck}.
 *
 * @example
 * const opts: ValidityOptions = { chain, roots, view, validators, localDuty: () => undefined,
 *   handlers: indexHandlers(createDutyHandlers()) };
 */
export type ValidityOptions = {
  chain: ChainInfo;
  roots: SigningRoots;
  view: ProtectionView;
  /** The cluster's validator public keys. */
  validators: ReadonlySet<PubkeyHex>;
  /**
   * Fee recipient (0x-hex address) per validator, from the cluster definition. A Bellatrix+ block
   * of a validator without one here is refused.
   */
  feeRecipients?: ReadonlyMap<PubkeyHex, string> | undefined;
  /** This operator's own resolved duty for (slot, type, pubkey), if any. */
  localDuty: (slot: number, type: number, pubkey: PubkeyHex) => DutyDefinition | undefined;
  /** Called with a short reason for every rejected value (metrics). */
  onReject?: ((reason: string) => void) | undefined;
  /**
   * The node's duty handlers by type (src/core/duties/index.ts through `indexHandlers`): a
   * handler's `decides` names the value kind of its duty type, its `validate` (and
   * `validateSet`) are the rules. A duty type without a handler here decides nothing ("kind").
   */
  handlers: ReadonlyMap<number, DutyHandler>;
};

/**
 * Build the predicate for `createQbftNode({ isValid })`.
 *
 * @example
 * const isValid = createValidityCheck({ ...opts, handlers: indexHandlers(createDutyHandlers()) });
 * createQbftNode({ ...cfg, isValid });
 */
export function createValidityCheck(
  opts: ValidityOptions,
): (value: Uint8Array, instance: { slot: number; dutyType: number }) => boolean {
  return (value, instance) => {
    const why = verdict(opts, value, instance.slot, instance.dutyType);
    if (why === true) return true;
    opts.onReject?.(why);
    return false;
  };
}

/** True, or the reason `value` is not valid for the (slot, duty type) instance. */
function verdict(
  opts: ValidityOptions,
  value: Uint8Array,
  slot: number,
  dutyType: number,
): string | true {
  const decoded = decodeUnsignedSet(value);
  if (!decoded) return "malformed";
  const handler = opts.handlers.get(dutyType);
  if (!handler?.validate || !decides(handler, decoded.kind)) return "kind";
  const vctx = valueContext(opts);
  const whole = handler.validateSet?.(vctx, slot, decoded.set) ?? true;
  if (whole !== true) return whole;
  for (const [pk, u] of decoded.set) {
    if (!opts.validators.has(pk)) return "unknown-validator";
    const ok = handler.validate(vctx, slot, pk, u, opts.localDuty(slot, dutyType, pk));
    if (ok !== true) return ok;
  }
  return true;
}

/** Whether the handler's duty type decides values of `kind`. */
function decides(handler: DutyHandler, kind: UnsignedData["kind"]): boolean {
  return handler.decides === kind || handler.alsoDecides?.includes(kind) === true;
}

/** The {@link ValidityContext} for one value (its memo starts empty). */
function valueContext(opts: ValidityOptions): ValidityContext {
  const memo = new Map<string, unknown>();
  return {
    chain: opts.chain,
    roots: opts.roots,
    view: opts.view,
    feeRecipients: opts.feeRecipients,
    memo<T>(key: string, compute: () => T): T {
      if (memo.has(key)) return memo.get(key) as T;
      const v = compute();
      memo.set(key, v);
      return v;
    },
  };
}
