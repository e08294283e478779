/**
 * Fork helpers of the Beacon API client: fork names and order (@lodestar/params ForkName/ForkSeq,
 * consensus-specs fork order), which SSZ type a fork uses for a container (@lodestar/types
 * sszTypesFor), and the fork boundaries the request shapes change at (Deneb: block contents;
 * Electra, EIP-7549: v2 attestation endpoints, SingleAttestation, committee_bits).
 */
import { ForkName, ForkSeq } from "@lodestar/params";
import { sszTypesFor } from "@lodestar/types";
import { BaseError } from "../errors.js";

/**
 * Every fork name @lodestar/params knows.
 *
 * @example
 * FORK_NAMES.has("electra") // true
 */
export const FORK_NAMES: ReadonlySet<string> = new Set<string>(Object.values(ForkName));

/**
 * Spec key prefixes of fork versions whose fork name differs (GENESIS, pre-rename EIP4844).
 *
 * @example
 * FORK_NAME_OF_PREFIX.EIP4844 // "deneb"
 */
export const FORK_NAME_OF_PREFIX: Readonly<Record<string, string>> = {
  GENESIS: "phase0",
  EIP4844: "deneb",
};

/**
 * An SSZ type as the client uses it (JSON in and out, hash tree root).
 *
 * @example
 * const t: AnySszType = sszType(ForkName.deneb, "BeaconBlock");
 */
export type AnySszType = {
  fromJson(json: unknown): unknown;
  toJson(value: unknown): unknown;
  hashTreeRoot(value: unknown): Uint8Array;
};

/**
 * The fork's SSZ type of container `name` (e.g. "BeaconBlock", "SingleAttestation").
 *
 * @example
 * sszType(ForkName.electra, "SingleAttestation").toJson(value);
 */
export function sszType(fork: ForkName, name: string): AnySszType {
  const t = (sszTypesFor(fork) as unknown as Record<string, AnySszType | undefined>)[name];
  if (!t) throw new BaseError(`Fork ${fork} has no SSZ type ${name}`);
  return t;
}

/**
 * Whether the fork has container `name` (e.g. SignedBlockContents from Deneb on).
 *
 * @example
 * hasSszType(ForkName.capella, "SignedBlockContents") // false
 */
export function hasSszType(fork: ForkName, name: string): boolean {
  return (sszTypesFor(fork) as unknown as Record<string, unknown>)[name] !== undefined;
}

/**
 * Position of a fork in consensus-specs order (@lodestar/params ForkSeq); unknown names last.
 *
 * @example
 * forkOrder("altair") < forkOrder("bellatrix") // true
 */
export function forkOrder(name: string): number {
  const seq = (ForkSeq as unknown as Record<string, number | undefined>)[name];
  return seq ?? Number.MAX_SAFE_INTEGER;
}

/**
 * Deneb or later (block contents with blobs).
 *
 * @example
 * isPostDeneb(ForkName.electra) // true
 */
export function isPostDeneb(fork: ForkName): boolean {
  return !["phase0", "altair", "bellatrix", "capella"].includes(fork);
}

/**
 * Electra or later (EIP-7549 attestations).
 *
 * @example
 * isPostElectra(ForkName.deneb) // false
 */
export function isPostElectra(fork: ForkName): boolean {
  return isPostDeneb(fork) && fork !== "deneb";
}
