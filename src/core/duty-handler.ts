/**
 * The one interface every duty type implements (after Charon core/interfaces.go, where the steps
 * are duty-type agnostic and each duty type's data lives in its own types; Lodestar
 * packages/validator keeps one service per duty type). wire.ts connects the steps once; what
 * differs per duty type — which definitions start it, what it fetches, how a decided value is
 * signed, what its aggregate signature is used for — lives in one module per duty type under
 * src/core/duties/, each a {@link DutyHandler}. The workflow (src/core/workflow.ts) calls a duty's
 * handler at each step through a {@link DutyContext}, the operations wire.ts provides, so a
 * handler never touches a step directly and no step switches on the duty type.
 *
 * Adding a duty type: a DutyType number (types.ts), a module under src/core/duties/ exporting a
 * factory of its handler(s), and one line in src/core/duties/index.ts. {@link indexHandlers}
 * refuses a registry where a duty type has no handler or two.
 */
import { BaseError } from "../errors.js";
import type { ChainInfo } from "./beacon.js";
import type { SigningRoots } from "./domain.js";
import type { Broadcaster, Fetcher, FetchResult, SignRequest } from "./interfaces.js";
import type { ProtectionView } from "./protection.js";
import {
  type Duty,
  type DutyDefinition,
  DutyType,
  dutyTypeName,
  type PubkeyHex,
  type UnsignedData,
} from "./types.js";

/**
 * What a duty handler may do, provided by the workflow (wire.ts builds it over the steps). Every
 * operation records its tracker events and workflow events itself.
 *
 * @example
 * ctx.start(duty, [...defs.keys()]);
 * ctx.propose(duty, ctx.fetcher.attestations(duty.slot, duties));
 */
export interface DutyContext {
  readonly slotsPerEpoch: number;
  readonly roots: SigningRoots;
  readonly fetcher: Fetcher;
  readonly broadcaster: Broadcaster;
  /** Block graffiti (32 bytes). */
  readonly graffiti: Uint8Array;
  /** Slot duration (ms). */
  readonly slotMs: number;
  /** Node clock reading (ms). */
  now(): number;
  /** Clock reading at the start of `slot` (ms). */
  slotStartMs(slot: number): number;
  /** The scheduler's definition of (slot, type, pubkey), if it resolved one. */
  definition(slot: number, type: DutyType, pubkey: PubkeyHex): DutyDefinition | undefined;
  /** The validator index the scheduler knows for `pubkey`. */
  validatorIndex(pubkey: PubkeyHex): number | undefined;
  /** The value the cluster decided for (duty, pubkey) (dutydb). */
  decided(duty: Duty, pubkey: PubkeyHex): UnsignedData | undefined;
  /** The aggregate signature sigagg already holds for (duty, pubkey) (peers were ahead). */
  aggregated(duty: Duty, pubkey: PubkeyHex): Uint8Array | undefined;
  /** Whether this operator holds a share of `pubkey`. */
  holds(pubkey: PubkeyHex): boolean;
  /** The duty starts for `pubkeys`: tracked until its deadline, announced (`pubkey`: of one). */
  start(duty: Duty, pubkeys: readonly PubkeyHex[], pubkey?: PubkeyHex): void;
  /** Track a phase of a started duty (e.g. the proposer's randao) without announcing it. */
  track(duty: Duty, pubkeys: readonly PubkeyHex[]): void;
  /** fetcher → consensus: record fetch failures, then propose the fetched set. */
  propose(duty: Duty, fetched: Promise<FetchResult>, pubkey?: PubkeyHex): void;
  /** No-consensus signing: sigagg expects `roots`, this operator signs its shares and exchanges. */
  sign(duty: Duty, roots: readonly (readonly [PubkeyHex, Uint8Array])[]): void;
  /** An aggregate used by the node itself (randao, selection proofs): the duty is done. */
  used(duty: Duty, pubkey: PubkeyHex): void;
  /** An aggregate handed to the beacon node: tracks the submission's outcome. */
  submit(duty: Duty, pubkey: PubkeyHex, submission: Promise<void>): void;
}

/**
 * What a handler's consensus validity rule may read (src/core/fetcher/validate.ts builds it).
 *
 * @example
 * const v: ValidityContext = { chain, roots, view, feeRecipients };
 */
export interface ValidityContext {
  readonly chain: ChainInfo;
  readonly roots: SigningRoots;
  /** Read-only slashing-protection view (what the signer would accept). */
  readonly view: ProtectionView;
  /** The cluster definition's fee recipient per validator. */
  readonly feeRecipients?: ReadonlyMap<PubkeyHex, string> | undefined;
  /**
   * A cache for the value being checked (fresh per value): `compute()` once per `key`. The
   * attester computes one signing root per distinct AttestationData with it (all validators of a
   * committee attest to the same data; the SSZ root is the dominant cost per entry).
   */
  memo<T>(key: string, compute: () => T): T;
}

/**
 * One duty type's behaviour. Steps a handler does not take part in are left out: a duty without
 * consensus has no `signRequest`; a duty started by a handler of an earlier phase (the
 * aggregator after its selection proof) still has `onDuty` for the scheduler's call.
 *
 * @example
 * const exit: DutyHandler = { type: DutyType.Exit, broadcastOnly: true,
 *   onDuty: (ctx, duty, defs) => …, onAggregated: (ctx, duty, pk, sig) => … };
 */
export interface DutyHandler {
  readonly type: DutyType;
  /**
   * Whether the aggregate is only handed to the beacon node (not used by this node itself): such
   * an aggregation may be deferred on the backup operators (node.ts aggregationBackupDelayMs).
   */
  readonly broadcastOnly: boolean;
  /** The kind of unsigned data consensus decides for this duty (absent: no consensus). */
  readonly decides?: UnsignedData["kind"] | undefined;
  /**
   * Other kinds this duty's consensus may decide instead (the proposer: a builder's
   * `blinded_block`); checked by `validate`, which the handler must then have.
   */
  readonly alsoDecides?: readonly UnsignedData["kind"][] | undefined;
  /**
   * Signing skips doppelganger protection (never the other gates): only for messages that are not
   * slashable and must exist before activation (builder registrations).
   */
  readonly doppelgangerExempt?: boolean | undefined;
  /**
   * Consensus validity of one entry of a decided-kind value at `slot` (QBFT `isValid`, every
   * operator before it PREPAREs): true, or a short refusal reason (metrics label). `local` is this
   * operator's own definition of the duty, when known. Required with `decides` (the generic frame,
   * src/core/fetcher/validate.ts, has no rule of its own; {@link indexHandlers} refuses a handler
   * that decides without one).
   */
  validate?(
    vctx: ValidityContext,
    slot: number,
    pubkey: PubkeyHex,
    value: UnsignedData,
    local: DutyDefinition | undefined,
  ): string | true;
  /**
   * A rule over the whole value (every entry at once), checked before the entries: true, or a
   * short refusal reason (the sync committee message: one block root for all its members).
   */
  validateSet?(
    vctx: ValidityContext,
    slot: number,
    set: ReadonlyMap<PubkeyHex, UnsignedData>,
  ): string | true;
  /** Deadline of the duty (tracker, consensus, retransmits); default the next slot's start. */
  deadline?(ctx: DutyContext, duty: Duty): number;
  /** The duty starts: the scheduler (or an operator request) resolved `defs`. */
  onDuty?(ctx: DutyContext, duty: Duty, defs: ReadonlyMap<PubkeyHex, DutyDefinition>): void;
  /** What this operator signs for a decided entry (only `decides` kinds reach it). */
  signRequest?(
    ctx: DutyContext,
    pubkey: PubkeyHex,
    value: UnsignedData,
    duty: Duty,
  ): SignRequest | undefined;
  /** sigagg made the signature of (duty, pubkey): the next phase, or the beacon node. */
  onAggregated(ctx: DutyContext, duty: Duty, pubkey: PubkeyHex, signature: Uint8Array): void;
  /** Forget state of slots before `minSlot`. */
  prune?(minSlot: number): void;
}

/**
 * Index handlers by duty type, refusing a registry where a {@link DutyType} has no handler or
 * several (a programming error, caught when the node is built).
 *
 * @example
 * const byType = indexHandlers(createDutyHandlers());
 * byType.get(DutyType.Attester)?.onDuty?.(ctx, duty, defs);
 */
export function indexHandlers(
  handlers: readonly DutyHandler[],
): ReadonlyMap<DutyType, DutyHandler> {
  const byType = new Map<DutyType, DutyHandler>();
  for (const h of handlers) {
    if (byType.has(h.type)) {
      throw new BaseError(`Duty type ${dutyTypeName(h.type)} has two handlers`, {
        metaMessages: ["Keep one DutyHandler per duty type in src/core/duties/index.ts."],
      });
    }
    if (h.decides !== undefined && !h.validate) {
      throw new BaseError(`Duty type ${dutyTypeName(h.type)} decides values without a validate`, {
        metaMessages: ["Give its handler a `validate` rule (consensus validity of one entry)."],
      });
    }
    byType.set(h.type, h);
  }
  const missing = Object.values(DutyType).filter((t) => !byType.has(t));
  if (missing.length) {
    throw new BaseError(`No handler for duty type ${missing.map(dutyTypeName).join(", ")}`, {
      metaMessages: [
        "Add a module under src/core/duties/ and its line in src/core/duties/index.ts.",
      ],
    });
  }
  return byType;
}
