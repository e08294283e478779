/**
 * The message-passing interface the p2p layer provides: operator-indexed, fire-and-forget sends
 * and a receive callback with the authenticated sender's index. It is structurally the same as
 * core's `Transport` (src/core/transport.ts), which the DV node programs against; p2p declares it
 * here so that it does not import core (layering: p2p sits below core), and TypeScript accepts
 * either where the other is expected.
 */

/**
 * Receives one message from operator `from` (the authenticated sender, never claimed).
 *
 * @example
 * const handler: MessageHandler = (from, bytes) => console.log(from, bytes.length);
 */
export type MessageHandler = (from: number, bytes: Uint8Array) => void;

/**
 * Operator-indexed message passing between the n operators of a cluster.
 *
 * @example
 * const t: MessageTransport = transport.channel("parsigex");
 * t.onMessage((from, bytes) => handle(from, bytes));
 * t.broadcast(encode(msg));
 */
export interface MessageTransport {
  /** This operator's index. */
  readonly self: number;
  /** Number of operators in the cluster (indices 0..n-1). */
  readonly n: number;
  /** Send `bytes` to operator `to` (dropped and counted when not connected). */
  send(to: number, bytes: Uint8Array): void;
  /** Send `bytes` to every other operator. */
  broadcast(bytes: Uint8Array): void;
  /** Register a receive handler; returns its unsubscribe function. */
  onMessage(cb: MessageHandler): () => void;
}
