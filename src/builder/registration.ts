/**
 * Builder validator registrations: ethereum/builder-specs `ValidatorRegistrationV1` /
 * `SignedValidatorRegistrationV1` (specs/bellatrix/builder.md), for a distributed validator
 * whose fee recipient is fixed by Rocket Pool.
 *
 * Signing (builder-specs bellatrix/builder.md "Signing"): the signing root is
 * `compute_signing_root(registration, compute_domain(DOMAIN_APPLICATION_BUILDER,
 * GENESIS_FORK_VERSION, Root()))` — the application-builder domain type 0x00000001, the network's
 * GENESIS_FORK_VERSION and a ZERO genesis validators root, whatever the current fork (a
 * registration signed once stays valid across forks). The domain is computed by
 * @lodestar/config (`createCachedGenesis(config, ZERO_ROOT).getDomainAtFork(phase0, …)`, the same
 * code Lodestar's validator client uses).
 *
 * ## The timestamp all operators agree on (decision: derived, no extra consensus round)
 *
 * The t partial signatures only combine if every operator signs the SAME message, so the
 * timestamp cannot be each operator's clock. Two precedents:
 * - Charon (ObolNetwork/charon core/validatorapi/validatorapi.go `ProposerConfig`): a constant,
 *   genesis time + 1 slot (overriding the registration pre-signed at DKG with the genesis time),
 *   given to the VC as a `timestamp` override; a registration is re-signed only when its content
 *   changes, and then its timestamp does not move — relays ignore a registration whose timestamp
 *   is not newer than the one they hold, so a fee-recipient change would need a new lock.
 * - SSV (ssvlabs/ssv-spec ssv/validator_registration.go `calculateValidatorRegistration`):
 *   `EpochStartTime(epoch of the duty slot)`: every operator derives it from the duty it runs; the
 *   registration runner has NO consensus round (pre-consensus partial signatures only).
 * rpdvt follows SSV: timestamp = start time of the registration's epoch, where the registration
 * epoch is the duty's epoch rounded down to a period of {@link REGISTRATION_PERIOD_EPOCHS}
 * (configurable; 1 = SSV's rule exactly). The whole message is then a pure function of the
 * cluster definition (pubkey, Rocket Pool fee recipient), the configured gas limit and the duty's
 * epoch — {@link expectedRegistration} — so it needs no round of its own: if it goes through
 * consensus anyway (one duty-handler shape for all duty types), the validity check is simply
 * "equals what I derive myself" ({@link checkRegistration}), which also makes a registration
 * with another fee recipient unsignable. A new timestamp every period lets a changed fee
 * recipient or gas limit take effect at the next period boundary (relays keep only the newest
 * timestamp); between boundaries the same signed registration is re-submitted, which relays
 * accept as a no-op (builder-specs `registerValidator`). The timestamp is in the past, which
 * relays accept; builder-specs only bounds it from above (at most 10 s in the future).
 *
 * The DV node's duty (src/core/duties/builder-registration.ts) refines this for cost: it uses
 * {@link registrationTimestamp} for a NEW or changed registration only, and keeps an unchanged
 * one's timestamp and aggregate signature (re-submitted every epoch, never re-signed — Charon's
 * pre-sign-and-resubmit), the carried signature verified by every operator.
 */
import "../util/ssz-hasher.js";
import { createCachedGenesis, createChainForkConfig } from "@lodestar/config";
import { DOMAIN_APPLICATION_BUILDER, ForkName } from "@lodestar/params";
import { type bellatrix, ssz } from "@lodestar/types";
import { verifySignature } from "../crypto/bls.js";
import { InputError } from "../errors.js";
import { parseAddress } from "../util/address.js";
import { fromHex, toHex } from "../util/hex.js";

/**
 * Period of the registration timestamp, in epochs (1 = a new timestamp every epoch, SSV's rule).
 * rpdvt's default: 1, so a changed fee recipient reaches the relays at the next epoch.
 *
 * @example
 * registrationTimestamp(chain, 1234, REGISTRATION_PERIOD_EPOCHS)
 */
export const REGISTRATION_PERIOD_EPOCHS = 1;

/**
 * Gas limit a registration asks builders to target when none is configured: 30M, the
 * `defaultGasLimit` of Lodestar 1.5.1's validator client (devnet/lodestar, validatorStore.js) and
 * Charon's `gasLimit` constant. Mainnet clients have raised their defaults since: configure the
 * value the squad's execution clients use (every operator the same, or registrations differ).
 *
 * @example
 * expectedRegistration(chain, epoch, { pubkey, feeRecipient, gasLimit: DEFAULT_GAS_LIMIT })
 */
export const DEFAULT_GAS_LIMIT = 30_000_000;

const ZERO_ROOT = new Uint8Array(32);

/**
 * A chain's timing (genesis time, slot length, epoch length) — what the timestamp needs.
 *
 * @example
 * const mainnet: ChainTiming = { genesisTime: 1606824023, secondsPerSlot: 12, slotsPerEpoch: 32 };
 */
export type ChainTiming = { genesisTime: number; secondsPerSlot: number; slotsPerEpoch: number };

/**
 * builder-specs' domain: `compute_domain(DOMAIN_APPLICATION_BUILDER, GENESIS_FORK_VERSION,
 * Root())`, via @lodestar/config.
 *
 * @example
 * builderDomain(fromHex("0x00000000")) // mainnet's GENESIS_FORK_VERSION
 */
export function builderDomain(genesisForkVersion: Uint8Array): Uint8Array {
  if (genesisForkVersion.length !== 4) {
    throw new InputError(`GENESIS_FORK_VERSION must be 4 bytes, got ${genesisForkVersion.length}`, {
      field: "GENESIS_FORK_VERSION",
    });
  }
  const config = createChainForkConfig({ GENESIS_FORK_VERSION: genesisForkVersion });
  return createCachedGenesis(config, ZERO_ROOT).getDomainAtFork(
    ForkName.phase0,
    DOMAIN_APPLICATION_BUILDER,
  );
}

/**
 * The signing root of a registration (what the validator key, or t of its shares, signs).
 *
 * @example
 * const root = registrationSigningRoot(reg, builderDomain(genesisForkVersion));
 */
export function registrationSigningRoot(
  registration: bellatrix.ValidatorRegistrationV1,
  domain: Uint8Array,
): Uint8Array {
  return ssz.phase0.SigningData.hashTreeRoot({
    objectRoot: ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(registration),
    domain,
  });
}

/**
 * The timestamp of the registration for the duty of `epoch`: the start time (unix seconds) of
 * `epoch` rounded down to a multiple of `periodEpochs`.
 *
 * @example
 * registrationTimestamp({ genesisTime: 1606824023, secondsPerSlot: 12, slotsPerEpoch: 32 }, 10) // 1606827863
 */
export function registrationTimestamp(
  chain: ChainTiming,
  epoch: number,
  periodEpochs = REGISTRATION_PERIOD_EPOCHS,
): number {
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new InputError(`Registration epoch must be an integer ≥ 0, got ${epoch}`, {
      field: "epoch",
    });
  }
  if (!Number.isInteger(periodEpochs) || periodEpochs < 1) {
    throw new InputError(`Registration period must be an integer ≥ 1 epoch, got ${periodEpochs}`, {
      field: "registrationPeriodEpochs",
    });
  }
  const e = epoch - (epoch % periodEpochs);
  return chain.genesisTime + e * chain.slotsPerEpoch * chain.secondsPerSlot;
}

/**
 * What a validator's registration must say, per the cluster definition and config.
 *
 * @example
 * const want: RegistrationExpectation = { pubkey: "0xa1…", feeRecipient: "0xd4…", gasLimit: 36_000_000 };
 */
export type RegistrationExpectation = {
  /** Validator public key, 0x + 96 hex. */
  pubkey: string;
  /** The Rocket Pool fee recipient of this validator (distributor or smoothing pool). */
  feeRecipient: string;
  /** Gas limit from config. */
  gasLimit: number;
};

/**
 * The registration every operator derives for the duty of `epoch` (see the header: no extra
 * round needed).
 *
 * @example
 * const reg = expectedRegistration(chain, 12, { pubkey, feeRecipient, gasLimit: DEFAULT_GAS_LIMIT });
 */
export function expectedRegistration(
  chain: ChainTiming,
  epoch: number,
  want: RegistrationExpectation,
  periodEpochs = REGISTRATION_PERIOD_EPOCHS,
): bellatrix.ValidatorRegistrationV1 {
  const feeRecipient = parseAddress(want.feeRecipient, { field: "feeRecipient" });
  if (!Number.isSafeInteger(want.gasLimit) || want.gasLimit <= 0) {
    throw new InputError(`Gas limit must be a positive integer, got ${want.gasLimit}`, {
      field: "gasLimit",
    });
  }
  return {
    feeRecipient: fromHex(feeRecipient, { field: "feeRecipient", length: 20 }),
    gasLimit: want.gasLimit,
    timestamp: registrationTimestamp(chain, epoch, periodEpochs),
    pubkey: fromHex(want.pubkey, { field: "pubkey", length: 48 }),
  };
}

/**
 * A check's outcome; a refusal carries a `reason` meant for the operators' logs and a stable
 * `code` for metrics.
 *
 * @example
 * const v: Verdict = { ok: false, code: "fee-recipient", reason: "pays 0x… not 0x…" };
 */
export type Verdict = { ok: true; note?: string } | { ok: false; code: string; reason: string };

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Validity of a proposed registration: the pubkey is the validator's, the fee recipient is its
 * Rocket Pool recipient, the gas limit is the configured one, and — when `timestamp` is given
 * (the one derived for the duty) — the timestamp equals it. Every operator runs this before
 * signing; a refusal means no partial signature.
 *
 * @example
 * const v = checkRegistration(proposed, { pubkey, feeRecipient, gasLimit, timestamp });
 * if (!v.ok) log.warn(`registration refused: ${v.reason}`);
 */
export function checkRegistration(
  reg: bellatrix.ValidatorRegistrationV1,
  want: RegistrationExpectation & { timestamp?: number },
): Verdict {
  const pubkey = toHex(reg.pubkey);
  if (pubkey !== want.pubkey.toLowerCase())
    return {
      ok: false,
      code: "pubkey",
      reason: `registration is for ${pubkey.slice(0, 14)}…, not this validator ${want.pubkey.slice(0, 14)}…`,
    };
  const fr = toHex(reg.feeRecipient);
  if (fr !== want.feeRecipient.toLowerCase())
    return {
      ok: false,
      code: "fee-recipient",
      reason: `registration fee recipient ${fr} is not the Rocket Pool recipient ${want.feeRecipient} of ${pubkey.slice(0, 14)}… (a wrong recipient is penalised by the oDAO)`,
    };
  if (reg.gasLimit !== want.gasLimit)
    return {
      ok: false,
      code: "gas-limit",
      reason: `registration gas limit ${reg.gasLimit} is not the configured ${want.gasLimit}`,
    };
  if (want.timestamp !== undefined && reg.timestamp !== want.timestamp)
    return {
      ok: false,
      code: "timestamp",
      reason: `registration timestamp ${reg.timestamp} is not the one derived for this duty (${want.timestamp}: start of the registration epoch)`,
    };
  return { ok: true };
}

/**
 * Verify a signed registration with the validator's public key (builder domain). False for a
 * wrong key, domain, message or a malformed signature (never throws on bad bytes).
 *
 * @example
 * if (!verifyRegistration(signed, builderDomain(genesisForkVersion))) reject("bad signature");
 */
export function verifyRegistration(
  signed: bellatrix.SignedValidatorRegistrationV1,
  domain: Uint8Array,
): boolean {
  try {
    return verifySignature(
      signed.message.pubkey,
      registrationSigningRoot(signed.message, domain),
      signed.signature,
    );
  } catch {
    return false;
  }
}

/**
 * The registration a beacon node or relay receives as JSON (builder-specs / beacon-APIs
 * `SignedValidatorRegistrationV1`: decimal strings for the integers).
 *
 * @example
 * const json = registrationToJson(signed); // { message: { fee_recipient, gas_limit, timestamp, pubkey }, signature }
 */
export function registrationToJson(signed: bellatrix.SignedValidatorRegistrationV1): unknown {
  return ssz.bellatrix.SignedValidatorRegistrationV1.toJson(signed);
}

/**
 * Parse one `SignedValidatorRegistrationV1` from JSON; an InputError names the field.
 *
 * @example
 * const signed = registrationFromJson(body[0], "body[0]");
 */
export function registrationFromJson(
  json: unknown,
  where = "registration",
): bellatrix.SignedValidatorRegistrationV1 {
  try {
    return ssz.bellatrix.SignedValidatorRegistrationV1.fromJson(json);
  } catch (err) {
    throw new InputError("Not a SignedValidatorRegistrationV1", {
      field: where,
      cause: err,
      metaMessages: [
        "Expected {message: {fee_recipient, gas_limit, timestamp, pubkey}, signature} (builder-specs).",
      ],
    });
  }
}

/**
 * `sameRegistration(a, b)`: byte-equal messages (what a resubmission must be).
 *
 * @example
 * if (!sameRegistration(proposed, expectedRegistration(chain, epoch, want))) refuse();
 */
export function sameRegistration(
  a: bellatrix.ValidatorRegistrationV1,
  b: bellatrix.ValidatorRegistrationV1,
): boolean {
  return same(
    ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(a),
    ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(b),
  );
}
