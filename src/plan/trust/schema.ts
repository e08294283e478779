/**
 * Trust-model input (JSON or YAML): the node operator's own annual failure probabilities and the
 * operator-selection scenarios to compare them against. All probabilities are annual (converted
 * to the horizon by p_h = 1 − (1 − p)^h, i.e. independent years). Validated with zod; errors name
 * the offending field.
 */
import { z } from "zod";

const prob = z.number().min(0, "must be ≥ 0").max(1, "must be ≤ 1");
const posInt = z.number().int("must be an integer").min(1, "must be ≥ 1");

/** One of your own risks, with its annual probability of causing safety and liveness loss. */
export const selfRiskSchema = z.object({
  name: z.string().min(1),
  /** Annual P(this makes your validators sign slashable/arbitrary messages or lose the key). */
  safety: prob,
  /** Annual P(this stops your validators for a prolonged period). */
  liveness: prob,
});

/** An operator (or `count` identical operators) you would split with. */
export const operatorSchema = z.object({
  name: z.string().min(1),
  count: posInt.default(1),
  /** Annual P(prolonged outage / walks away). */
  pFail: prob,
  /** Annual P(its share is used against you: hacked, coerced, colludes). */
  pMalicious: prob,
});

/** A shared cause that hits several operators at once. */
export const commonModeSchema = z.object({
  name: z.string().min(1),
  /** Annual probability that the shared cause happens. */
  probability: prob,
  /** "fail": listed operators go down; "malicious": their shares are seized/used. */
  effect: z.enum(["fail", "malicious"]),
  /** Operator names affected ("self" is you); "all" includes you. Names match `name` or `name#i`. */
  operators: z.union([z.literal("all"), z.array(z.string().min(1)).min(1)]),
});

/** One way of choosing operators. */
export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Shares per validator (n). */
    clusterSize: posInt.max(64),
    /** Signing threshold t (default ⌈2n/3⌉). */
    threshold: posInt.optional(),
    /** Validators (minipools) to place. */
    validators: posInt.default(1),
    /** You run one share of every cluster yourself (with your own risks). */
    includeSelf: z.boolean().default(false),
    operators: z.array(operatorSchema).min(1),
    commonMode: z.array(commonModeSchema).max(12).default([]),
  })
  .superRefine((s, ctx) => {
    if (s.threshold !== undefined && s.threshold > s.clusterSize)
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "must be ≤ clusterSize" });
    const external = s.clusterSize - (s.includeSelf ? 1 : 0);
    const pool = s.operators.reduce((acc, o) => acc + o.count, 0);
    if (external < 1 && !s.includeSelf)
      ctx.addIssue({ code: "custom", path: ["clusterSize"], message: "must be ≥ 1" });
    if (pool < external)
      ctx.addIssue({
        code: "custom",
        path: ["operators"],
        message: `${pool} operators cannot fill clusters of ${external} other operators`,
      });
  });

/** The whole trust-model input. */
export const trustConfigSchema = z.object({
  /** Years the probabilities are accumulated over (default 1). */
  horizonYears: z.number().positive().max(100).default(1),
  /** Your own risks when you run validators alone. */
  self: z.array(selfRiskSchema).min(1),
  /**
   * Annual P(the full validator key is stolen or seized anyway): Rocket Pool derives validator
   * keys from the node wallet mnemonic (EIP-2334 path m/12381/3600/i/0/0), so splitting does not
   * destroy the key — whoever gets the mnemonic can sign. Added to every DVT scenario's safety.
   */
  retainedKeyRisk: prob.default(0),
  scenarios: z.array(scenarioSchema).min(1),
});

/** Parsed trust configuration (defaults filled in). */
export type TrustConfig = z.output<typeof trustConfigSchema>;
/** Trust configuration as written by a user (defaults optional). */
export type TrustConfigInput = z.input<typeof trustConfigSchema>;
/** One parsed scenario. */
export type TrustScenario = z.output<typeof scenarioSchema>;
