/**
 * The two seams every DV-node workflow step is given instead of touching the outside world: the
 * peer-to-peer {@link Transport} and the {@link Clock}. Both are shared (QBFT consensus uses them
 * now; partial-signature exchange will), so they live here, not in a step's folder.
 *
 * - Production: a libp2p transport (one protocol id per step, peers authenticated by their
 *   secp256k1 peer id → operator index) and {@link systemClock}.
 * - Tests/benchmarks: test/simnet (deterministic network + simulated clock), which implements
 *   exactly these interfaces.
 *
 * Shape after Charon's per-component p2p senders (p2p/sender.go, p2p/receive.go): fire-and-forget
 * sends, no delivery guarantee, callbacks for receipt. Handlers must never throw back into the
 * transport; they are called with the *authenticated* sender index.
 */
export { type Clock, systemClock } from "../util/clock.js";

/**
 * Callback for a received message: `from` is the transport-authenticated operator index of the
 * peer that sent the bytes (libp2p: the peer id of the connection); `bytes` are untrusted.
 *
 * @example
 * const handler: MessageHandler = (from, bytes) => console.log(`${bytes.length} bytes from ${from}`);
 */
export type MessageHandler = (from: number, bytes: Uint8Array) => void;

/**
 * Unreliable, unordered, authenticated point-to-point messaging between the n operators of a
 * cluster. Operators are addressed by 0-based index into the cluster definition.
 *
 * - `send` and `broadcast` never throw and never block; delivery may fail silently, be delayed,
 *   duplicated or reordered (the protocol on top must tolerate all of this).
 * - `broadcast` sends to every *other* operator (not to `self`): callers that need their own
 *   message (QBFT does) deliver it to themselves locally.
 * - `onMessage` registers a handler and returns a function that unregisters it.
 *
 * @example
 * const off = transport.onMessage((from, bytes) => node.receive(from, bytes));
 * transport.broadcast(new Uint8Array([1, 2, 3]));
 * transport.send(2, new Uint8Array([4]));
 * off();
 */
export interface Transport {
  /** This operator's index. */
  readonly self: number;
  /** Number of operators in the cluster (indices 0..n-1). */
  readonly n: number;
  /** Send `bytes` to operator `to`. */
  send(to: number, bytes: Uint8Array): void;
  /** Send `bytes` to every other operator. */
  broadcast(bytes: Uint8Array): void;
  /** Register a receive handler; returns its unsubscribe function. */
  onMessage(cb: MessageHandler): () => void;
}
