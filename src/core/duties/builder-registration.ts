/**
 * The builder-registration duty (MEV-Boost): every epoch, each pending or active cluster validator
 * is registered with the builder network through the beacon node (ethereum/builder-specs
 * specs/bellatrix/builder.md `ValidatorRegistrationV1`, `registerValidator`; beacon-APIs POST
 * /eth/v1/validator/register_validator), signed under DOMAIN_APPLICATION_BUILDER
 * (src/builder/registration.ts). Flow: scheduler (at start, every epoch's first slot, when the set
 * of validators changes) → this handler proposes the epoch's registrations → consensus (QBFT, kind
 * "registration", validity {@link validateRegistration}) → sign only what is new → exchange →
 * aggregate → one POST for the batch, to every beacon node.
 *
 * ## Content and the timestamp rule
 * fee_recipient = the cluster definition's Rocket Pool recipient of the validator (node fee
 * distributor or smoothing pool — anything else is penalised by the oDAO), gas_limit = the node's
 * configured value (every operator the same), pubkey = the validator's. The timestamp is the one
 * field no definition fixes. builder-specs: a relay keeps, per validator, the registration with
 * the LATEST timestamp and ignores one not newer than it holds (mev-boost-relay
 * `checkRegistrationTimestamp`; the spec bounds it above by now + 10 s). So:
 * - a NEW registration (none cached, or the content changed) carries the start time of the
 *   duty's epoch — a value every operator derives from the duty alone, strictly newer than any
 *   earlier registration of an earlier epoch, so a changed fee recipient replaces the old one at
 *   the relays at once;
 * - an UNCHANGED registration keeps its timestamp and its aggregate signature (Charon pre-signs
 *   and resubmits the same registration): re-submitted every epoch, never re-signed. The leader
 *   proposes it WITH its signature (public, verified by every operator that does not already hold
 *   it), so an operator that restarted and lost its cache adopts it instead of asking for a new
 *   signature round.
 * - What an operator POSTs is only ever the epoch's DECIDED registration (adopted or aggregated),
 *   never its own cache at the duty's start: builder-specs `process_registration` refuses a
 *   timestamp older than the one a relay holds, and an operator's cache can be behind the
 *   cluster's (a restarted leader proposed a fresh timestamp this operator decided but did not
 *   aggregate). Re-submitting that stale cache at the next duty's start was refused by the devnet
 *   relay in CI (stop 20: 2 × "timestamp older than the registered one" after the demo's
 *   restarts). The cache only moves forward: an aggregate older than the held one (a duty that
 *   finished after a later one) is superseded, not posted.
 * The validity rule every operator checks: fee recipient / gas limit / pubkey as above; the
 * timestamp is an epoch start, not after the duty's epoch, and never older than the one this
 * operator already holds (nor equal to it for changed content — a relay would ignore it); a
 * carried signature verifies. A registration paying anyone else is refused, hence never signed.
 *
 * Cost (issue 17: 3,000 validators per cluster): BLS signing, exchange and aggregation happen only
 * for registrations that changed; an epoch without changes costs one consensus instance over the
 * cached set (validity compares bytes, no pairing) and one POST.
 *
 * Signing gates: a registration is not slashable, and pending validators (not yet tracked by
 * doppelganger protection, which starts at activation) must be registered before their first
 * proposal: the handler is `doppelgangerExempt` (the other gates — key guard, signing window —
 * still apply).
 */
import type { bellatrix } from "@lodestar/types";
import {
  builderDomain,
  checkRegistration,
  registrationSigningRoot,
  registrationTimestamp,
  sameRegistration,
  verifyRegistration,
} from "../../builder/registration.js";
import { bytesEqual, fromHex } from "../../util/hex.js";
import type { ChainInfo } from "../beacon.js";
import type { DutyContext, DutyHandler } from "../duty-handler.js";
import {
  type Duty,
  DutyType,
  dutyKey,
  epochOf,
  type PubkeyHex,
  type UnsignedData,
} from "../types.js";

/**
 * Options of {@link builderRegistrationHandlers}.
 *
 * @example
 * const o: BuilderRegistrationOptions = { chain, gasLimit: 30_000_000, feeRecipients };
 */
export type BuilderRegistrationOptions = {
  /** The chain (genesis time, slot and epoch length, GENESIS_FORK_VERSION = forks[0]). */
  chain: Pick<ChainInfo, "genesisTime" | "secondsPerSlot" | "slotsPerEpoch" | "forks">;
  /** Gas limit the registrations ask builders for (every operator the same). */
  gasLimit: number;
  /** The cluster definition's fee recipient per validator (0x-hex). */
  feeRecipients: ReadonlyMap<PubkeyHex, string>;
};

type Signed = bellatrix.SignedValidatorRegistrationV1;

/**
 * The builder-registration handler; without options (builder off) it takes no duty and its
 * validity refuses every registration ("builder-disabled").
 *
 * @example
 * const [registration] = builderRegistrationHandlers({ chain, gasLimit, feeRecipients });
 */
export function builderRegistrationHandlers(o?: BuilderRegistrationOptions): DutyHandler[] {
  const genesisVersion = o?.chain.forks[0]?.version;
  const domain = genesisVersion ? builderDomain(genesisVersion) : undefined;
  /** The registration this operator holds per validator: the last aggregate of the cluster. */
  const cache = new Map<PubkeyHex, Signed>();
  const enqueue = submissionBatcher();
  /** Hold and POST a decided registration — unless a newer one is held already (superseded). */
  const publish = (ctx: DutyContext, duty: Duty, pk: PubkeyHex, signed: Signed): void => {
    const held = cache.get(pk);
    if (held && held.message.timestamp > signed.message.timestamp) {
      ctx.used(duty, pk); // the newer registration covers the validator: done, nothing to POST
      return;
    }
    cache.set(pk, signed);
    enqueue(ctx, duty, pk, signed);
  };

  const handler: DutyHandler = {
    type: DutyType.BuilderRegistration,
    broadcastOnly: true,
    decides: "registration",
    doppelgangerExempt: true,
    // Two slots: the whole batch's consensus and signatures, never racing the next epoch's duty.
    deadline: (ctx, duty) => ctx.slotStartMs(duty.slot + 2),
    onDuty(ctx, duty, defs) {
      if (!o) return;
      const pubkeys = [...defs.keys()];
      if (!pubkeys.length) return;
      ctx.start(duty, pubkeys);
      const timestamp = registrationTimestamp(o.chain, epochOf(duty.slot, o.chain.slotsPerEpoch));
      const set = new Map<PubkeyHex, UnsignedData>();
      for (const [pk, def] of defs) {
        if (def.kind !== "registration") continue;
        set.set(pk, proposalEntry(o, cache.get(pk), pk, def.feeRecipient, timestamp));
      }
      ctx.propose(duty, Promise.resolve({ set, failed: [] }));
    },
    validate(_vctx, slot, pk, u) {
      if (!o || !domain) return "builder-disabled";
      return validateRegistration(o, domain, cache.get(pk), slot, pk, u);
    },
    signRequest(ctx, pubkey, u, duty) {
      if (u.kind !== "registration" || !domain) return undefined;
      if (u.signature) {
        // Signed by the cluster before (verified by validity): adopt it and re-submit it.
        publish(ctx, duty, pubkey, { message: u.registration, signature: u.signature });
        return undefined;
      }
      return { pubkey, signingRoot: registrationSigningRoot(u.registration, domain) };
    },
    onAggregated(ctx, duty, pubkey, signature) {
      const u = ctx.decided(duty, pubkey);
      if (u?.kind !== "registration") return;
      publish(ctx, duty, pubkey, { message: u.registration, signature });
    },
  };
  return [handler];
}

/**
 * Batches submissions per duty within the tick (one POST register_validator per batch); each
 * validator's outcome is tracked through `ctx.submit`.
 */
function submissionBatcher(): (ctx: DutyContext, duty: Duty, pk: PubkeyHex, s: Signed) => void {
  const queue = new Map<string, { duty: Duty; items: Map<PubkeyHex, Signed> }>();
  return (ctx, duty, pk, signed) => {
    const k = dutyKey(duty);
    let q = queue.get(k);
    if (!q) {
      const entry = { duty, items: new Map<PubkeyHex, Signed>() };
      q = entry;
      queue.set(k, entry);
      queueMicrotask(() => {
        queue.delete(k);
        const submission = ctx.broadcaster.registrations([...entry.items.values()]);
        for (const p of entry.items.keys()) ctx.submit(entry.duty, p, submission);
      });
    }
    q.items.set(pk, signed);
  };
}

/**
 * This operator's proposal for one validator: the held registration with its signature when its
 * content is still right, else a fresh one with `timestamp` (the duty epoch's start).
 */
function proposalEntry(
  o: BuilderRegistrationOptions,
  held: Signed | undefined,
  pk: PubkeyHex,
  feeRecipient: string,
  timestamp: number,
): UnsignedData {
  const want: bellatrix.ValidatorRegistrationV1 = {
    feeRecipient: fromHex(feeRecipient, { length: 20 }),
    gasLimit: o.gasLimit,
    timestamp,
    pubkey: fromHex(pk, { length: 48 }),
  };
  if (held && sameContent(held.message, want)) {
    return { kind: "registration", registration: held.message, signature: held.signature };
  }
  return { kind: "registration", registration: want };
}

/** Same fee recipient, gas limit and pubkey (the timestamp aside). */
function sameContent(a: bellatrix.ValidatorRegistrationV1, b: bellatrix.ValidatorRegistrationV1) {
  return (
    a.gasLimit === b.gasLimit &&
    bytesEqual(a.feeRecipient, b.feeRecipient) &&
    bytesEqual(a.pubkey, b.pubkey)
  );
}

/**
 * The registration validity rule (module header), for the entry of `pk` in the value of the
 * registration duty at `slot`: a refusal code, or true.
 *
 * @example
 * validateRegistration(o, domain, cache.get(pk), slot, pk, entry) // "fee-recipient"
 */
export function validateRegistration(
  o: BuilderRegistrationOptions,
  domain: Uint8Array,
  held: Signed | undefined,
  slot: number,
  pk: PubkeyHex,
  u: UnsignedData,
): string | true {
  if (u.kind !== "registration") return "kind";
  const feeRecipient = o.feeRecipients.get(pk);
  if (!feeRecipient) return "fee-recipient";
  const reg = u.registration;
  const v = checkRegistration(reg, { pubkey: pk, feeRecipient, gasLimit: o.gasLimit });
  if (!v.ok) return v.code;
  const { genesisTime, secondsPerSlot, slotsPerEpoch } = o.chain;
  const epochSeconds = secondsPerSlot * slotsPerEpoch;
  const latest = registrationTimestamp(o.chain, epochOf(slot, slotsPerEpoch));
  const offset = reg.timestamp - genesisTime;
  if (offset < 0 || offset % epochSeconds !== 0 || reg.timestamp > latest) return "timestamp";
  if (held) {
    if (reg.timestamp < held.message.timestamp) return "timestamp";
    if (reg.timestamp === held.message.timestamp && !sameRegistration(reg, held.message)) {
      return "timestamp";
    }
  }
  if (u.signature) {
    const known =
      held && sameRegistration(held.message, reg) && bytesEqual(held.signature, u.signature);
    if (!known && !verifyRegistration({ message: reg, signature: u.signature }, domain)) {
      return "signature";
    }
  }
  return true;
}
