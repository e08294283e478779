/**
 * Per-peer inbound rate limits: two token buckets (messages and bytes) per (peer, channel).
 *
 * Token bucket (RFC 2697 §3 / RFC 4115 "committed" bucket without colours): a bucket holds at most
 * `burst` tokens, refills at `rate` tokens per second, and a message is admitted only if both
 * buckets hold enough tokens (1 message, its length in bytes), which are then taken. A rejected
 * message takes nothing. Charon and SSV bound peers the same way in spirit (libp2p resource
 * manager limits, SSV's per-peer message rate validation); here it is explicit and counted.
 */
import { InputError } from "../errors.js";

/**
 * Inbound limits for one peer on one channel.
 *
 * @example
 * const lim: RateLimit = { messagesPerSecond: 1000, messageBurst: 5000,
 *   bytesPerSecond: 16 * 2 ** 20, byteBurst: 32 * 2 ** 20 };
 */
export type RateLimit = {
  messagesPerSecond: number;
  messageBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
};

/**
 * Default messages/s per peer and channel: 1,000. Sizing for 1,000 validators per operator:
 * QBFT sends ~4 messages per instance per peer (PRE-PREPARE, PREPARE, COMMIT, ROUND-CHANGE); even
 * with one instance per validator duty (1,000 validators → ~31 attestations/slot plus aggregation
 * selections) that is a few hundred messages per 12 s slot; partial-signature exchange at an epoch
 * boundary (aggregator selection proofs for all 1,000 validators) is ~1,000 messages at once,
 * absorbed by the burst. A loopback flood (≥ 50,000 msg/s) is cut to this.
 *
 * @example
 * DEFAULT_RATE_LIMIT.messagesPerSecond // 1000
 */
export const DEFAULT_MESSAGES_PER_SECOND = 1000;
/**
 * Default message burst: 5 s at the default rate — an epoch-boundary burst of 1,000+ messages.
 *
 * @example
 * DEFAULT_RATE_LIMIT.messageBurst // 5000
 */
export const DEFAULT_MESSAGE_BURST = 5 * DEFAULT_MESSAGES_PER_SECOND;
/**
 * Default bytes/s per peer and channel: 16 MiB/s (128 Mbit/s), above a home staker's uplink so it
 * never binds an honest peer, while bounding a flood.
 *
 * @example
 * DEFAULT_RATE_LIMIT.bytesPerSecond // 16777216
 */
export const DEFAULT_BYTES_PER_SECOND = 16 * 2 ** 20;

/**
 * Default limits; the byte burst defaults to max(2 × the channel's maximum message size, 1 s of
 * bytesPerSecond), so two maximal messages pass back to back — see {@link resolveRateLimit}.
 *
 * @example
 * const lim = resolveRateLimit({ messagesPerSecond: 50 }, 1024);
 */
export const DEFAULT_RATE_LIMIT: Omit<RateLimit, "byteBurst"> = {
  messagesPerSecond: DEFAULT_MESSAGES_PER_SECOND,
  messageBurst: DEFAULT_MESSAGE_BURST,
  bytesPerSecond: DEFAULT_BYTES_PER_SECOND,
};

/**
 * Fill in defaults and validate: all values positive and finite, the byte burst at least one
 * maximal message (otherwise such a message could never be admitted).
 *
 * @example
 * resolveRateLimit({}, 2 ** 20).byteBurst // 2097152
 */
export function resolveRateLimit(
  partial: Partial<RateLimit> | undefined,
  maxMessageSize: number,
): RateLimit {
  const lim: RateLimit = {
    ...DEFAULT_RATE_LIMIT,
    byteBurst: Math.max(2 * maxMessageSize, DEFAULT_BYTES_PER_SECOND),
    ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)),
  };
  for (const [k, v] of Object.entries(lim)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new InputError(`Rate limit ${k} must be a positive number`, {
        field: `rateLimit.${k}`,
        details: `got ${String(v)}`,
      });
    }
  }
  if (lim.byteBurst < maxMessageSize) {
    throw new InputError("Rate limit byteBurst is below the maximum message size", {
      field: "rateLimit.byteBurst",
      details: `byteBurst ${lim.byteBurst} < maxMessageSize ${maxMessageSize}`,
      metaMessages: ["A message larger than the burst could never be admitted: raise byteBurst."],
    });
  }
  return lim;
}

/**
 * A token bucket: `burst` capacity, `rate` tokens per second, starting full.
 *
 * @example
 * const b = new TokenBucket(10, 20, performance.now());
 * if (b.take(1, performance.now())) accept();
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Tokens available at `now` (after refill). */
  available(now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
    }
    return this.tokens;
  }

  /** Take `n` tokens if available; false (taking nothing) otherwise. */
  take(n: number, now: number): boolean {
    if (this.available(now) < n) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * Messages + bytes buckets for one (peer, channel).
 *
 * @example
 * const rl = new PeerRateLimiter(resolveRateLimit({}, 1024), () => performance.now());
 * if (!rl.allow(frameLength)) dropped++;
 */
export class PeerRateLimiter {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(
    limit: RateLimit,
    private readonly now: () => number,
  ) {
    const t = now();
    this.messages = new TokenBucket(limit.messagesPerSecond, limit.messageBurst, t);
    this.bytes = new TokenBucket(limit.bytesPerSecond, limit.byteBurst, t);
  }

  /** Admit one message of `length` bytes, taking tokens from both buckets, or reject it. */
  allow(length: number): boolean {
    const t = this.now();
    if (this.messages.available(t) < 1 || this.bytes.available(t) < length) return false;
    this.messages.take(1, t);
    this.bytes.take(length, t);
    return true;
  }
}
