/**
 * QBFT message model.
 *
 * Spec: H. Moniz, "The Istanbul BFT Consensus Algorithm" (arXiv:2002.03613), Algorithms 1–4, and
 * the QBFT formal spec (ConsenSys qbft-formal-spec-and-verification, dafny/spec/L1/types.dfy).
 * Message type numbers follow Charon core/qbft/qbft.go (PRE-PREPARE=1 … DECIDED=5; SSV calls
 * PRE-PREPARE "PROPOSAL"). DECIDED is Charon's extension: a quorum of COMMITs relayed to a peer
 * that is still round-changing, so laggards (and restarted nodes) learn the decision.
 *
 * Messages carry the sha256 of the value ({@link ValueHash}); only PRE-PREPARE, DECIDED and a
 * ROUND-CHANGE with a prepared value carry the value bytes themselves (SSV's `FullData`).
 */

/**
 * QBFT message types (wire numbers; never renumber).
 *
 * @example
 * if (msg.type === MsgType.RoundChange) console.log("round change for round", msg.round);
 */
export const MsgType = {
  PrePrepare: 1,
  Prepare: 2,
  Commit: 3,
  RoundChange: 4,
  Decided: 5,
} as const;

/**
 * One of the {@link MsgType} numbers.
 *
 * @example
 * const t: MsgType = MsgType.Prepare;
 */
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/**
 * Human-readable name of a message type (for logs and counters).
 *
 * @example
 * msgTypeName(MsgType.PrePrepare) // "PRE-PREPARE"
 */
export function msgTypeName(t: number): string {
  return (
    (
      {
        1: "PRE-PREPARE",
        2: "PREPARE",
        3: "COMMIT",
        4: "ROUND-CHANGE",
        5: "DECIDED",
      } as Record<number, string>
    )[t] ?? `UNKNOWN(${t})`
  );
}

/**
 * A consensus instance: one per (slot, duty type). The value agreed on covers every validator of
 * the cluster for that duty (a set keyed by validator pubkey — opaque bytes here).
 * `dutyType` is the caller's enum (Charon core.DutyType numbering is a fine choice), 0..65535.
 *
 * @example
 * const instance: InstanceId = { slot: 9_000_000, dutyType: 2 };
 */
export type InstanceId = { slot: number; dutyType: number };

/**
 * sha256 of a value, 32 bytes. {@link ZERO_HASH} means "no value" (e.g. nothing prepared).
 *
 * @example
 * const h: ValueHash = hashValue(value);
 */
export type ValueHash = Uint8Array;

/**
 * The "no value" hash: 32 zero bytes (cannot be a real sha256 output in practice).
 *
 * @example
 * if (bytesEqual(msg.preparedHash, ZERO_HASH)) console.log("nothing prepared");
 */
export const ZERO_HASH: ValueHash = new Uint8Array(32);

/**
 * The signed part of every QBFT message (Moniz's ⟨TYPE, λ, r, value⟩ plus the prepared round /
 * value of a ROUND-CHANGE ⟨ROUND-CHANGE, λ, r, pr, pv⟩).
 *
 * - `source`: 0-based operator index of the signer.
 * - `round`: ≥ 1.
 * - `valueHash`: PRE-PREPARE/PREPARE/COMMIT/DECIDED: hash of the value; ROUND-CHANGE: ZERO_HASH.
 * - `preparedRound`/`preparedHash`: ROUND-CHANGE only (0 / ZERO_HASH when nothing prepared, and
 *   always 0 / ZERO_HASH for other types).
 *
 * @example
 * const m: QbftMessage = { type: MsgType.Prepare, instance, source: 1, round: 1,
 *   valueHash: hashValue(v), preparedRound: 0, preparedHash: ZERO_HASH };
 */
export type QbftMessage = {
  type: MsgType;
  instance: InstanceId;
  source: number;
  round: number;
  valueHash: ValueHash;
  preparedRound: number;
  preparedHash: ValueHash;
};

/**
 * A {@link QbftMessage} with its signer's signature over `signingBytes(msg)`.
 *
 * @example
 * const signed: SignedMessage = { ...msg, signature: signer.sign(signingBytes(msg)) };
 */
export type SignedMessage = QbftMessage & { signature: Uint8Array };

/**
 * What travels on the wire: one signed message, the value bytes where the type carries them, and
 * the justification (signed messages of other operators):
 *
 * - PRE-PREPARE round 1: no justification. Round > 1: a quorum of ROUND-CHANGEs for that round
 *   and, if any of them has a prepared value, a quorum of PREPAREs for the highest prepared round
 *   (Moniz Alg. 4 `JustifyPrePrepare`).
 * - ROUND-CHANGE with a prepared value: the quorum of PREPAREs for (pr, pv) (`JustifyRoundChange`).
 * - DECIDED: the quorum of COMMITs.
 * - PREPARE, COMMIT: nothing.
 *
 * @example
 * const env: Envelope = { msg: signedProposal, value, justification: [] };
 */
export type Envelope = {
  msg: SignedMessage;
  value?: Uint8Array | undefined;
  justification: SignedMessage[];
};

/**
 * The output of an instance, delivered exactly once: the value and its certificate, a quorum of
 * COMMITs for (`round`, `hash`) from distinct operators (verifiable with `verifyDecided`).
 *
 * @example
 * node.onDecided((d) => console.log(d.instance.slot, d.round, d.commits.length));
 */
export type Decided = {
  instance: InstanceId;
  value: Uint8Array;
  hash: ValueHash;
  round: number;
  commits: SignedMessage[];
};

/**
 * What QBFT needs from the network: operator-indexed sends and a receive callback whose `from` is
 * the authenticated sender. Declared here so the consensus package stays self-contained; it is
 * structurally core's `Transport` (src/core/transport.ts) and what src/p2p provides.
 *
 * @example
 * const transport: QbftTransport = p2p; // or a simulated network in tests
 */
export interface QbftTransport {
  readonly self: number;
  readonly n: number;
  send(to: number, bytes: Uint8Array): void;
  broadcast(bytes: Uint8Array): void;
  onMessage(cb: (from: number, bytes: Uint8Array) => void): () => void;
}

/**
 * The clock QBFT's round timers use (structurally core's `Clock`, src/core/transport.ts).
 *
 * @example
 * const clock: QbftClock = { now: () => performance.now(), setTimeout: (cb, ms) => … };
 */
export interface QbftClock {
  now(): number;
  /** Run `cb` once after `ms` milliseconds; returns a cancel function. */
  setTimeout(cb: () => void, ms: number): () => void;
}
