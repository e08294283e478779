/**
 * Deterministic simulated network for consensus tests and benchmarks: seeded PRNG, simulated
 * clock, faulty network, Byzantine behaviours, and a QBFT cluster harness.
 *
 * @example
 * import { createSimCluster } from "../simnet/index.js";
 * const c = createSimCluster({ n: 4, seed: 1, latencyMs: 20 });
 */
export { equivocatingLeader, flooder, forger, garbageSender, mutate } from "./byzantine.js";
export {
  type ClusterOptions,
  createSimCluster,
  type DecisionRecord,
  isValidTestValue,
  type SigningScheme,
  type SimCluster,
  testValue,
} from "./cluster.js";
export {
  createSimnet,
  type OutboundFilter,
  type Simnet,
  type SimnetOptions,
  type SimnetStats,
} from "./network.js";
export { createPrng, type Prng } from "./prng.js";
export { Scheduler } from "./scheduler.js";
export { macTestSigning } from "./signing.js";
