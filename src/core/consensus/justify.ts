/**
 * Justification predicates (pure; no state).
 *
 * Spec: Moniz (arXiv:2002.03613) Algorithm 4 — `JustifyPrePrepare` (a proposal for round r > 1
 * needs a quorum Qrc of ROUND-CHANGEs for r, and either (J1) none of them prepared anything, or
 * (J2) a quorum of PREPAREs for the highest prepared round/value in Qrc, and that value is the
 * one proposed) and `JustifyRoundChange`; QBFT formal spec dafny/spec/L1/node_auxiliary_functions.dfy
 * (`isProposalJustification`, `isValidRoundChange`); SSV protocol/v2/qbft/instance/proposal.go
 * `isProposalJustification`; Charon core/qbft/qbft.go `isJustified*`.
 *
 * Hardening beyond the paper (all justifications must satisfy every rule, one bad message rejects
 * the whole message, as SSV does):
 * - every justification message is for the SAME instance (slot, duty type) — replayed or foreign
 *   justifications are rejected, not filtered;
 * - exact round match (a ROUND-CHANGE for another round, a PREPARE for another prepared round);
 * - distinct members only (quorums are counted by sender, duplicates rejected);
 * - signatures checked last (cheap structural checks first).
 * Nested justifications (a ROUND-CHANGE's own PREPAREs inside a proposal) are not carried: the
 * proposal's PREPARE quorum for the highest prepared round is what J2 needs (as in the Dafny spec).
 */
import { bytesEqual } from "../../util/hex.js";
import { type Envelope, type InstanceId, MsgType, type SignedMessage } from "./types.js";

/**
 * What the predicates need to know about the cluster and this instance.
 *
 * @example
 * const ctx: JustifyContext = { n: 4, quorum: 3, instance, leader: (r) => defaultLeader(instance, r, 4),
 *   verify: (m) => verifier.verify(m.source, signingBytes(m), m.signature) };
 */
export type JustifyContext = {
  n: number;
  quorum: number;
  instance: InstanceId;
  leader: (round: number) => number;
  verify: (m: SignedMessage) => boolean;
};

/**
 * Result of a justification check; `reason` is a counter label.
 *
 * @example
 * const r: JustifyResult = isJustifiedProposal(env, ctx);
 * if (!r.ok) counters[`unjust.${r.reason}`]++;
 */
export type JustifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Same (slot, duty type).
 *
 * @example
 * sameInstance({ slot: 1, dutyType: 2 }, { slot: 1, dutyType: 2 }) // true
 */
export function sameInstance(a: InstanceId, b: InstanceId): boolean {
  return a.slot === b.slot && a.dutyType === b.dutyType;
}

const OK: JustifyResult = { ok: true };
const fail = (reason: string): JustifyResult => ({ ok: false, reason });

/**
 * Check that `msgs` are `type` messages of this instance from distinct members matching `match`,
 * at least `ctx.quorum` of them, all correctly signed.
 */
function checkQuorum(
  msgs: SignedMessage[],
  type: MsgType,
  match: (m: SignedMessage) => boolean,
  ctx: JustifyContext,
): JustifyResult {
  const seen = new Set<number>();
  for (const m of msgs) {
    if (m.type !== type) return fail("wrong-type");
    if (!sameInstance(m.instance, ctx.instance)) return fail("foreign-instance");
    if (!match(m)) return fail("mismatch");
    if (m.source >= ctx.n) return fail("not-member");
    if (seen.has(m.source)) return fail("duplicate-sender");
    seen.add(m.source);
  }
  if (seen.size < ctx.quorum) return fail("no-quorum");
  for (const m of msgs) if (!ctx.verify(m)) return fail("bad-signature");
  return OK;
}

/**
 * A quorum of `type` messages for exactly (`round`, `hash`) ({@link checkQuorum}); a failure is
 * named `${label}-${reason}` ("prepares-no-quorum").
 */
function quorumFor(
  msgs: SignedMessage[],
  type: MsgType,
  round: number,
  hash: Uint8Array,
  ctx: JustifyContext,
  label: string,
): JustifyResult {
  const match = (x: SignedMessage) => x.round === round && bytesEqual(x.valueHash, hash);
  const r = checkQuorum(msgs, type, match, ctx);
  return r.ok ? OK : fail(`${label}-${r.reason}`);
}

/**
 * Highest prepared (round, hash) among ROUND-CHANGEs (Moniz Alg. 4 `HighestPrepared`); round 0
 * when none prepared. `conflict` is set if two of them claim different values for that round
 * (impossible with ≤ f faults, since two PREPARE quorums of one round intersect in an honest node).
 *
 * @example
 * const { round, hash } = highestPrepared(roundChanges);
 */
export function highestPrepared(rcs: SignedMessage[]): {
  round: number;
  hash: Uint8Array | undefined;
  conflict: boolean;
} {
  let round = 0;
  let hash: Uint8Array | undefined;
  let conflict = false;
  for (const rc of rcs) {
    if (rc.preparedRound > round) {
      round = rc.preparedRound;
      hash = rc.preparedHash;
      conflict = false;
    } else if (
      round > 0 &&
      rc.preparedRound === round &&
      hash &&
      !bytesEqual(hash, rc.preparedHash)
    ) {
      conflict = true;
    }
  }
  return { round, hash, conflict };
}

/**
 * "Justified proposal": PRE-PREPARE from the round's leader; round 1 needs nothing; round r > 1
 * needs a quorum of ROUND-CHANGEs for r and, if any prepared, a quorum of PREPAREs for the highest
 * prepared (round, value), which must be the proposed value. Does NOT check the outer signature
 * or value validity (the caller does).
 *
 * @example
 * if (!isJustifiedProposal(env, ctx).ok) return; // drop
 */
export function isJustifiedProposal(env: Envelope, ctx: JustifyContext): JustifyResult {
  const m = env.msg;
  if (m.type !== MsgType.PrePrepare) return fail("wrong-type");
  if (!sameInstance(m.instance, ctx.instance)) return fail("foreign-instance");
  if (m.source !== ctx.leader(m.round)) return fail("not-leader");
  if (m.round === 1) return env.justification.length === 0 ? OK : fail("unexpected-justification");
  const rcs = env.justification.filter((j) => j.type === MsgType.RoundChange);
  const prepares = env.justification.filter((j) => j.type === MsgType.Prepare);
  if (rcs.length + prepares.length !== env.justification.length) return fail("wrong-type");
  const rcCheck = checkQuorum(rcs, MsgType.RoundChange, (rc) => rc.round === m.round, ctx);
  if (!rcCheck.ok) return fail(`round-changes-${rcCheck.reason}`);
  const hp = highestPrepared(rcs);
  if (hp.conflict) return fail("conflicting-prepared");
  if (hp.round === 0 || !hp.hash) {
    // J1: nobody prepared; any (valid) value may be proposed.
    return prepares.length === 0 ? OK : fail("unexpected-prepares");
  }
  // J2: the highest prepared value must be re-proposed, with its PREPARE quorum.
  const pv = hp.hash;
  if (!bytesEqual(m.valueHash, pv)) return fail("not-highest-prepared");
  return quorumFor(prepares, MsgType.Prepare, hp.round, pv, ctx, "prepares");
}

/**
 * "Justified round change": nothing prepared (pr = 0, no justification), or a quorum of PREPAREs
 * for exactly (pr, pv). Does NOT check the outer signature.
 *
 * @example
 * if (!isJustifiedRoundChange(env, ctx).ok) return; // drop
 */
export function isJustifiedRoundChange(env: Envelope, ctx: JustifyContext): JustifyResult {
  const m = env.msg;
  if (m.type !== MsgType.RoundChange) return fail("wrong-type");
  if (!sameInstance(m.instance, ctx.instance)) return fail("foreign-instance");
  if (m.preparedRound === 0) {
    return env.justification.length === 0 ? OK : fail("unexpected-justification");
  }
  if (m.preparedRound >= m.round) return fail("prepared-round-not-below-round");
  const { justification } = env;
  return quorumFor(
    justification,
    MsgType.Prepare,
    m.preparedRound,
    m.preparedHash,
    ctx,
    "prepares",
  );
}

/**
 * DECIDED: a quorum of COMMITs for exactly (round, hash) of the message.
 *
 * @example
 * if (isJustifiedDecided(env, ctx).ok) decide(env.value);
 */
export function isJustifiedDecided(env: Envelope, ctx: JustifyContext): JustifyResult {
  const m = env.msg;
  if (m.type !== MsgType.Decided) return fail("wrong-type");
  if (!sameInstance(m.instance, ctx.instance)) return fail("foreign-instance");
  return quorumFor(env.justification, MsgType.Commit, m.round, m.valueHash, ctx, "commits");
}
