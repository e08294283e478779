/**
 * QBFT consensus component (workflow step "consensus"): public API.
 *
 * Spec: Moniz, "The Istanbul BFT Consensus Algorithm" (arXiv:2002.03613); QBFT formal spec
 * (ConsenSys qbft-formal-spec-and-verification). References: Charon core/qbft, SSV
 * protocol/v2/qbft. See each module's header.
 *
 * @example
 * import { createQbftNode, secp256k1Signer, secp256k1Verifier } from "./core/consensus/index.js";
 */
export {
  decodeEnvelope,
  encodeEnvelope,
  hashValue,
  MAX_MESSAGE_SIZE,
  MAX_OPERATORS,
  MAX_VALUE_SIZE,
  signingBytes,
  WIRE_VERSION,
} from "./codec.js";
export {
  isJustifiedDecided,
  isJustifiedProposal,
  isJustifiedRoundChange,
} from "./justify.js";
export {
  createQbftNode,
  type QbftNode,
  type QbftNodeConfig,
  type QbftStats,
  verifyDecided,
} from "./node.js";
export { defaultLeader, faultyFor, type LeaderFn, quorumFor } from "./params.js";
export {
  noopSigning,
  type Signer,
  secp256k1Signer,
  secp256k1TestKeys,
  secp256k1Verifier,
  type Verifier,
} from "./signer.js";
export {
  DEFAULT_ROUND_TIMER,
  ROUND_TIMER_PRESETS,
  type RoundTimerConfig,
  roundTimeoutMs,
} from "./timer.js";
export type {
  Decided,
  Envelope,
  InstanceId,
  QbftClock,
  QbftTransport,
  SignedMessage,
} from "./types.js";
export { MsgType } from "./types.js";
