/** Token buckets and per-peer limits (src/p2p/rate-limit.ts), the cluster gater (gater.ts). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { peerIdFromString } from "@libp2p/peer-id";
import { InputError } from "../../../src/errors.js";
import { clusterGater } from "../../../src/p2p/gater.js";
import { generateIdentity } from "../../../src/p2p/identity.js";
import {
  DEFAULT_RATE_LIMIT,
  PeerRateLimiter,
  resolveRateLimit,
  TokenBucket,
} from "../../../src/p2p/rate-limit.js";

describe("p2p rate limits", () => {
  test("a token bucket admits its burst, then its rate", () => {
    const b = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) assert.equal(b.take(1, 0), true);
    assert.equal(b.take(1, 0), false);
    assert.equal(b.take(1, 50), false, "0.5 token after 50 ms");
    assert.equal(b.take(1, 100), true, "1 token after 100 ms at 10/s");
    assert.equal(b.available(10_000), 5, "capped at the burst");
  });

  test("a message needs both buckets; a rejection takes nothing", () => {
    let now = 0;
    const rl = new PeerRateLimiter(
      { messagesPerSecond: 100, messageBurst: 3, bytesPerSecond: 1000, byteBurst: 1000 },
      () => now,
    );
    assert.equal(rl.allow(900), true);
    assert.equal(rl.allow(200), false, "bytes exhausted");
    assert.equal(rl.allow(100), true, "the 200-byte rejection took no message token");
    assert.equal(rl.allow(0), true);
    assert.equal(rl.allow(0), false, "message burst of 3 exhausted");
    now = 1000;
    assert.equal(rl.allow(1000), true, "refilled after 1 s");
  });

  test("defaults and validation", () => {
    const d = resolveRateLimit({}, 10 * 2 ** 20);
    assert.equal(d.messagesPerSecond, DEFAULT_RATE_LIMIT.messagesPerSecond);
    assert.equal(d.byteBurst, 20 * 2 ** 20, "two maximal messages");
    assert.equal(resolveRateLimit({ messagesPerSecond: 5 }, 10).messagesPerSecond, 5);
    assert.throws(() => resolveRateLimit({ byteBurst: 10 }, 100), InputError);
    assert.throws(() => resolveRateLimit({ messagesPerSecond: 0 }, 100), InputError);
    assert.throws(() => resolveRateLimit({ bytesPerSecond: Number.NaN }, 100), InputError);
  });
});

describe("p2p cluster gater", () => {
  test("refuses and counts non-members at every stage, admits members", () => {
    const member = peerIdFromString(generateIdentity().peerId);
    const outsider = peerIdFromString(generateIdentity().peerId);
    const counters = { refusedInbound: 0, refusedOutbound: 0 };
    const g = clusterGater((id) => id === member.toString(), counters);
    const conn = {} as never;
    assert.equal(g.denyDialPeer?.(member), false);
    assert.equal(g.denyInboundEncryptedConnection?.(member, conn), false);
    assert.equal(g.denyOutboundEncryptedConnection?.(member, conn), false);
    assert.equal(g.denyDialPeer?.(outsider), true);
    assert.equal(g.denyOutboundConnection?.(outsider, conn), true);
    assert.equal(g.denyOutboundEncryptedConnection?.(outsider, conn), true);
    assert.equal(g.denyInboundEncryptedConnection?.(outsider, conn), true);
    assert.equal(g.denyInboundRelayReservation?.(member), true, "no relays at all");
    assert.deepEqual(counters, { refusedInbound: 1, refusedOutbound: 3 });
  });
});
