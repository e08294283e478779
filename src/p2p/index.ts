/**
 * Peer-to-peer transport over libp2p (TCP + Noise + Yamux) and operator identity keys: public API.
 *
 * Specs: libp2p specs (noise, yamux, peer-ids, connections/multistream-select), multiformats
 * (multiaddr, unsigned-varint). See each module's header.
 *
 * @example
 * import { createP2PTransport, loadIdentity } from "./p2p/index.js";
 */
export { DEFAULT_LISTEN, dialAddress, toHostPort, toMultiaddr } from "./address.js";
export { type PeerCounters, type StreamMode, zeroCounters } from "./channel.js";
export { DEFAULT_REDIAL, type DialCounters, type RedialOptions } from "./dialer.js";
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeFrame,
  FrameDecoder,
  type FrameError,
  type FrameSink,
  MAX_FRAME_LIMIT,
} from "./framing.js";
export { clusterGater, type GaterCounters } from "./gater.js";
export {
  encodeIdentityFile,
  generateIdentity,
  IDENTITY_FILE_VERSION,
  identityFromSecretKey,
  identityString,
  type LoadIdentityOptions,
  loadIdentity,
  type NodeIdentity,
  parseIdentityFile,
  writeIdentityFile,
} from "./identity.js";
export {
  type LocalCluster,
  type LocalClusterOptions,
  startLocalCluster,
} from "./local-cluster.js";
export type { MessageHandler, MessageTransport } from "./message-transport.js";
export { createLibp2pNode, DEFAULT_DIAL_TIMEOUT_MS, type Libp2pNodeOptions } from "./node.js";
export {
  DEFAULT_RATE_LIMIT,
  PeerRateLimiter,
  type RateLimit,
  resolveRateLimit,
  TokenBucket,
} from "./rate-limit.js";
export {
  type ChannelOptions,
  createP2PTransport,
  DEFAULT_DIAL_GRACE_MS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_STREAM_OPEN_TIMEOUT_MS,
  MAX_PEERS,
  type P2PPeer,
  type P2PStats,
  type P2PTransport,
  type P2PTransportOptions,
  PARSIGEX_PROTOCOL,
  type PeerChange,
  type PeerStats,
  protocolId,
  QBFT_PROTOCOL,
} from "./transport.js";
