/**
 * Inputs of the Sybil analysis (permissionless grouping of shares into DVT groups), validated with
 * zod. Errors name the offending parameter (`field`), which the CLI maps to its flag.
 */
import { z } from "zod";
import { zodInputError } from "../../util/schema.js";
import { defaultThreshold } from "../threshold.js";

/** Sybil analysis inputs (threshold defaults to ⌈2g/3⌉). */
export type SybilParams = {
  /** Shares (group seats) held by the attacker. */
  attackerShares: number;
  /** Shares held by honest operators. */
  honestShares: number;
  /** Shares per group (the DVT cluster size g). */
  groupSize: number;
  /** Signing threshold t of a group; default ⌈2g/3⌉. */
  threshold?: number | undefined;
};

/** Validated inputs, threshold filled in. */
export type ResolvedSybilParams = Required<SybilParams> & { threshold: number };

const count = z.number().int("must be an integer").min(0, "must be ≥ 0").max(1e9, "must be ≤ 1e9");

const schema = z
  .object({
    attackerShares: count,
    honestShares: count,
    groupSize: count.min(1, "must be ≥ 1"),
    threshold: count.min(1, "must be ≥ 1").optional(),
  })
  .superRefine((p, ctx) => {
    if (p.groupSize > p.attackerShares + p.honestShares)
      ctx.addIssue({
        code: "custom",
        path: ["groupSize"],
        message: `group size ${p.groupSize} exceeds the pool of ${p.attackerShares + p.honestShares} shares`,
      });
    if (p.threshold !== undefined && p.threshold > p.groupSize)
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: `threshold ${p.threshold} exceeds the group size ${p.groupSize}`,
      });
  });

/**
 * Validate Sybil inputs and fill in the default threshold; throws an InputError naming the field.
 *
 * @example
 * parseSybilParams({ attackerShares: 100, honestShares: 30, groupSize: 8 }).threshold; // 6
 */
export function parseSybilParams(input: SybilParams): ResolvedSybilParams {
  const r = schema.safeParse(input);
  if (!r.success) throw zodInputError("Invalid Sybil analysis input", r.error);
  const threshold = r.data.threshold ?? defaultThreshold(r.data.groupSize);
  return { ...r.data, threshold };
}
