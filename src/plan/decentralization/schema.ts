/**
 * Decentralization input: node operators (entities), their clusters and validator counts.
 * Before DVT every cluster's validators are run by its `owner` alone; after DVT they need the
 * cluster's threshold of its `operators`.
 */
import { z } from "zod";

/** One DVT cluster. */
export const dvClusterSchema = z
  .object({
    id: z.string().optional(),
    /** The node operator whose validators these are (runs them alone before DVT). */
    owner: z.string().min(1),
    /** Entities holding the shares (distinct). */
    operators: z.array(z.string().min(1)).min(1).max(64),
    validators: z.number().int().min(0),
    /** Signing threshold (default ⌈2n/3⌉). */
    threshold: z.number().int().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (new Set(c.operators).size !== c.operators.length)
      ctx.addIssue({ code: "custom", path: ["operators"], message: "operators must be distinct" });
    if (c.threshold !== undefined && c.threshold > c.operators.length)
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: "must be ≤ number of operators",
      });
  });

/** The whole decentralization input. */
export const decentralizationConfigSchema = z.object({
  clusters: z.array(dvClusterSchema).default([]),
  /** Validators an entity keeps running alone (also after DVT). */
  soloValidators: z
    .array(z.object({ entity: z.string().min(1), validators: z.number().int().min(0) }))
    .default([]),
  /** Fractions of all validators to halt / control (default 0.34, 0.5, 0.67). */
  targets: z.array(z.number().gt(0).max(1)).min(1).default([0.34, 0.5, 0.67]),
  /** Max subsets the exact search may visit before falling back to greedy only. */
  exactBudget: z.number().int().min(0).default(2_000_000),
});

/** Parsed decentralization input. */
export type DecentralizationConfig = z.output<typeof decentralizationConfigSchema>;
/** Decentralization input as written. */
export type DecentralizationConfigInput = z.input<typeof decentralizationConfigSchema>;
