/**
 * Several beacon nodes per operator with a strategy per request kind (issue 17 item 6; Vouch's
 * `strategies/` are the anchor): config (the `--beacon-strategy` flag), pure choices
 * (attestation-majority.ts, attestation-best.ts, proposal-best.ts), the collection under a budget
 * (collect.ts), the BeaconNode over them (beacon.ts), the nodes from URLs (nodes.ts) and the
 * per-node metrics (metrics.ts).
 *
 * @example
 * import { strategyBeacon, strategyNodes, parseBeaconStrategy } from "./beacon/strategy/index.js";
 */
export { chooseBestData, scoreAttestationData } from "./attestation-best.js";
export {
  chooseMajority,
  type DataAnswer,
  hasMajority,
  majoritySettled,
  strictMajority,
} from "./attestation-majority.js";
export {
  type StrategyBeacon,
  type StrategyBeaconOptions,
  type StrategyCall,
  type StrategyEvent,
  type StrategyNode,
  strategyBeacon,
} from "./beacon.js";
export { type Collected, collect, type NodeAnswer } from "./collect.js";
export {
  type AttestationStrategy,
  type BeaconStrategies,
  DEFAULT_BEACON_STRATEGIES,
  type ProposalStrategy,
  parseBeaconStrategy,
} from "./config.js";
export { type NodeTally, registerStrategyMetrics, tallyStrategy } from "./metrics.js";
export {
  isStrategyBeacon,
  nodeNames,
  type OperatorBeaconOptions,
  operatorBeacon,
  type StrategyNodesOptions,
  strategyNodes,
} from "./nodes.js";
export { chooseBestProposal, scoreProposal, type ValuedBlock } from "./proposal-best.js";
