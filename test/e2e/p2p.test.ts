/**
 * The libp2p transport (src/p2p) with 4 real nodes on 127.0.0.1 (ephemeral ports): delivery and
 * authenticated sender, broadcast, channels, the cluster gater against an outsider, oversize and
 * malformed frames, rate limiting under a flood, restart/reconnect (same and new port), dedupe.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { encodeFrame } from "../../src/p2p/framing.js";
import { generateIdentity } from "../../src/p2p/identity.js";
import { type LocalCluster, startLocalCluster } from "../../src/p2p/local-cluster.js";
import { createLibp2pNode } from "../../src/p2p/node.js";
import {
  createP2PTransport,
  type P2PTransport,
  type PeerChange,
  QBFT_PROTOCOL,
} from "../../src/p2p/transport.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Record everything a transport (or channel) delivers. */
function collect(t: { onMessage: P2PTransport["onMessage"] }) {
  const got: { from: number; text: string; size: number }[] = [];
  const off = t.onMessage((from, bytes) =>
    got.push({ from, text: dec(bytes), size: bytes.length }),
  );
  return { got, off };
}

describe("p2p transport: 4 libp2p nodes on loopback", () => {
  let c: LocalCluster;
  const extra: { stop(): Promise<void> | void }[] = [];

  before(async () => {
    c = await startLocalCluster({
      n: 4,
      redial: { initialMs: 50, maxMs: 400 },
      dialGraceMs: 300,
    });
    await c.waitConnected();
  });
  after(async () => {
    for (const x of extra) await x.stop();
    await c?.close();
  });

  test("all-to-all delivery with the authenticated sender; broadcast excludes self", async () => {
    const logs = [0, 1, 2, 3].map((i) => collect(c.node(i)));
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) if (j !== i) c.node(i).send(j, enc(`direct ${i}->${j}`));
      c.node(i).broadcast(enc(`bcast ${i}`));
    }
    await waitFor(() => logs.every((l) => l.got.length === 6), "6 messages at every node");
    await sleep(50); // nothing more arrives (e.g. an own broadcast)
    for (let i = 0; i < 4; i++) {
      const got = logs[i]?.got ?? [];
      assert.equal(got.length, 6);
      for (const m of got) {
        const sender = Number(/^(?:direct|bcast) (\d)/.exec(m.text)?.[1]);
        assert.equal(m.from, sender, `node ${i}: "${m.text}" must come from ${sender}`);
        assert.notEqual(m.from, i, "never from itself");
        if (m.text.startsWith("direct")) assert.equal(m.text, `direct ${m.from}->${i}`);
      }
      assert.deepEqual(
        got
          .filter((m) => m.text.startsWith("bcast"))
          .map((m) => m.from)
          .sort(),
        [0, 1, 2, 3].filter((x) => x !== i),
      );
      const s = c.node(i).stats();
      assert.deepEqual(
        s.peers.map((p) => p.index),
        [0, 1, 2, 3].filter((x) => x !== i),
      );
      for (const p of s.peers) {
        assert.equal(p.connected, true);
        assert.ok(p.sent >= 2 && p.received >= 2 && p.dropped === 0, JSON.stringify(p));
      }
    }
    await waitFor(
      () =>
        [0, 1, 2, 3].every((i) =>
          c
            .node(i)
            .stats()
            .peers.every((p) => p.connections === 1),
        ),
      "exactly one connection per pair",
    );
    for (const l of logs) l.off();
  });

  test("channels are separate protocols with their own handlers", async () => {
    const main1 = collect(c.node(1));
    const psx = [0, 1, 2, 3].map((i) => c.node(i).channel("parsigex"));
    const psx1 = collect(psx[1] as P2PTransport);
    assert.equal(c.node(0).channel("/rpdvt/parsigex/1.0.0"), psx[0], "same name → same channel");
    psx[0]?.send(1, enc("partial sig"));
    c.node(0).send(1, enc("qbft msg"));
    await waitFor(() => psx1.got.length === 1 && main1.got.length === 1, "one message per channel");
    await sleep(30);
    assert.deepEqual(psx1.got, [{ from: 0, text: "partial sig", size: 11 }]);
    assert.deepEqual(main1.got, [{ from: 0, text: "qbft msg", size: 8 }]);
    const st = c.node(1).stats();
    assert.equal(st.channels["/rpdvt/parsigex/1.0.0"]?.[0]?.received, 1);
    assert.ok((st.channels[QBFT_PROTOCOL]?.[0]?.received ?? 0) >= 1);
    main1.off();
    psx1.off();
  });

  test("bursts beyond the muxer window drain fully, without starving the event loop", async () => {
    // 64 × 100 KiB ≫ Yamux's 256 KiB initial window: the stream hits backpressure many times.
    // (Regression: waiting with `onDrain()` spun in microtasks after the first drain.)
    const ch0 = c.node(0).channel("bulk");
    const ch1 = c.node(1).channel("bulk");
    let bytes = 0;
    let count = 0;
    const off = ch1.onMessage((from, b) => {
      assert.equal(from, 0);
      bytes += b.length;
      count++;
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      for (let round = 0; round < 2; round++) {
        for (let k = 0; k < 64; k++) ch0.send(1, new Uint8Array(100 * 1024).fill(k));
        await waitFor(() => count === 64 * (round + 1), `burst ${round + 1} delivered`);
      }
      ch0.send(1, new Uint8Array(8 * 2 ** 20)); // one large message under the 16 MiB default
      await waitFor(() => count === 129, "the 8 MiB message");
    } finally {
      clearInterval(timer);
      off();
    }
    assert.equal(bytes, 128 * 100 * 1024 + 8 * 2 ** 20);
    assert.ok(ticks > 0, "timers kept firing during the bursts");
    assert.equal(c.node(0).stats().channels["/rpdvt/bulk/1.0.0"]?.[1]?.dropped, 0);
  });

  test("an outsider is refused at the handshake and gets nothing through (counted)", async () => {
    const outsider = generateIdentity();
    const logs = [0, 1, 2, 3].map((i) => collect(c.node(i)));
    const refused0 = c.node(0).stats().refused.inbound;
    // 1. A raw libp2p node with a permissive gater dials node 0 and tries the QBFT protocol.
    const raw: Libp2p = await createLibp2pNode({ identity: outsider, listen: [], gater: {} });
    await raw.start();
    extra.push(raw);
    const target = multiaddr(c.node(0).addresses()[0] as string);
    // The dial itself may resolve on the outsider's side (libp2p v3 selects the muxer
    // optimistically), but node 0 refused the connection after the Noise handshake.
    await raw.dial(target, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    const stream = await raw
      .dialProtocol(target, QBFT_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
      .then(
        (s) => {
          s.send(encodeFrame(enc("outsider")));
          return true;
        },
        () => false,
      );
    assert.equal(stream, false, "no protocol stream is ever negotiated");
    await waitFor(() => raw.getConnections().length === 0, "the outsider's connection to be gone");
    // 2. An outsider running the transport, claiming to be in a 2-operator cluster with node 0.
    const fake = await createP2PTransport({
      identity: outsider,
      self: 1,
      peers: [
        { index: 0, publicKey: c.identities[0]?.publicKey as Uint8Array, address: c.address(0) },
      ],
      dialGraceMs: 0,
      redial: { initialMs: 50, maxMs: 100 },
    });
    await fake.start();
    extra.push(fake);
    for (let k = 0; k < 20; k++) {
      fake.send(0, enc("outsider"));
      await sleep(15);
    }
    const s0 = c.node(0).stats();
    assert.ok(s0.refused.inbound >= refused0 + 2, `refused ${s0.refused.inbound - refused0}`);
    assert.equal(s0.unknownPeerStreams, 0);
    // Its own side may briefly see a connection (libp2p v3 completes the upgrade optimistically
    // before node 0's gater closes it); it never lasts, and nothing gets through (below).
    await waitFor(() => fake.connectedPeers().length === 0, "the outsider to see no connection");
    assert.ok((fake.stats().peers[0]?.dropped ?? 0) >= 15, "the outsider's sends were dropped");
    assert.ok(fake.stats().dials.failures >= 1);
    assert.ok(
      logs.every((l) => l.got.length === 0),
      "nothing was delivered anywhere",
    );
    for (const l of logs) l.off();
  });

  test("oversize messages are dropped and counted, the stream reset, later ones delivered", async () => {
    const big0 = c.node(0).channel("big", { maxMessageSize: 1024 });
    const big1 = c.node(1).channel("big", { maxMessageSize: 1 << 20 });
    const got = collect(big0);
    big1.send(0, new Uint8Array(4096));
    const counters = () => c.node(0).stats().channels["/rpdvt/big/1.0.0"]?.[1];
    await waitFor(() => counters()?.oversize === 1, "an oversize drop at node 0");
    // The sender notices the reset and opens a new stream for the next message.
    for (let k = 0; got.got.length === 0 && k < 200; k++) {
      big1.send(0, enc(`small ${k}`));
      await sleep(10);
    }
    assert.ok(got.got.length > 0, "a later message got through");
    assert.ok(got.got.every((m) => m.size <= 1024 && m.from === 1));
    const before =
      c
        .node(0)
        .stats()
        .peers.find((p) => p.index === 1)?.dropped ?? 0;
    big0.send(1, new Uint8Array(2048)); // over node 0's own maximum: dropped at the sender
    assert.equal(
      c
        .node(0)
        .stats()
        .peers.find((p) => p.index === 1)?.dropped,
      before + 1,
    );
    got.off();
  });

  test("malformed frames from a member never crash the receiver", async () => {
    // Node 3's identity is used by a raw libp2p node that writes arbitrary bytes.
    await c.stop(3);
    await waitFor(() => !c.node(0).connectedPeers().includes(3), "node 0 noticing node 3 left");
    const got = collect(c.node(0));
    const raw: Libp2p = await createLibp2pNode({
      identity: c.identities[3] as never,
      listen: [],
      gater: {},
    });
    await raw.start();
    const conn = await raw.dial(multiaddr(c.node(0).addresses()[0] as string), {
      signal: AbortSignal.timeout(5_000),
    });
    const counters = () => c.node(0).stats().channels[QBFT_PROTOCOL]?.[3];
    const inputs = [
      new Uint8Array([0x81, 0x00, 1, 2]), // non-minimal varint
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f]), // length ≈ 34 GB
      encodeFrame(new Uint8Array(100)).subarray(0, 50), // truncated, then end of stream
      ...Array.from({ length: 8 }, () => randomBytes(2048)), // garbage
    ];
    for (const bytes of inputs) {
      const s = await conn.newStream(QBFT_PROTOCOL);
      s.send(bytes);
      await s.close().catch(() => {});
    }
    await waitFor(
      () => (counters()?.decodeErrors ?? 0) >= 2 && (counters()?.oversize ?? 0) >= 1,
      "decode errors and an oversize drop",
    );
    const s = await conn.newStream(QBFT_PROTOCOL);
    s.send(encodeFrame(enc("well-formed after all that")));
    await waitFor(() => got.got.some((m) => m.text === "well-formed after all that"), "delivery");
    assert.equal(got.got.find((m) => m.text === "well-formed after all that")?.from, 3);
    assert.ok(
      got.got.every((m) => m.from === 3),
      "sender = the connection's peer id",
    );
    await s.close().catch(() => {});
    await raw.stop();
    got.off();
    await c.restart(3, { samePort: true });
    await c.waitConnected();
  });

  test("a stopped node is noticed; after a restart on the same port it is reconnected", async () => {
    const events: PeerChange[] = [];
    const off = c.node(0).onPeerChange((e) => events.push(e));
    await c.stop(2);
    await waitFor(() => events.some((e) => e.index === 2 && !e.connected), "a disconnect event");
    const dropped =
      c
        .node(0)
        .stats()
        .peers.find((p) => p.index === 2)?.dropped ?? 0;
    c.node(0).send(2, enc("into the void"));
    assert.equal(
      c
        .node(0)
        .stats()
        .peers.find((p) => p.index === 2)?.dropped,
      dropped + 1,
    );
    const t2 = await c.restart(2, { samePort: true });
    const got = collect(t2);
    await c.waitConnected();
    assert.ok(
      events.some((e) => e.index === 2 && e.connected),
      "a connect event",
    );
    c.node(0).send(2, enc("welcome back"));
    c.node(3).broadcast(enc("hello all"));
    await waitFor(() => got.got.length === 2, "2 messages at the restarted node");
    assert.deepEqual(got.got.map((m) => `${m.from}:${m.text}`).sort(), [
      "0:welcome back",
      "3:hello all",
    ]);
    off();
  });

  test("after a restart on a new port the node dials its peers itself", async () => {
    const oldAddress = c.address(1);
    await c.stop(1);
    const t1 = await c.restart(1); // node 0 still has the old address: node 1 must dial it
    assert.notEqual(c.address(1), oldAddress);
    await c.waitConnected();
    const got1 = collect(t1);
    const got0 = collect(c.node(0));
    c.node(0).send(1, enc("to new port"));
    t1.send(0, enc("from new port"));
    await waitFor(() => got1.got.length === 1 && got0.got.length === 1, "both directions");
    assert.deepEqual(got1.got[0], { from: 0, text: "to new port", size: 11 });
    assert.deepEqual(got0.got[0], { from: 1, text: "from new port", size: 13 });
    got0.off();
    got1.off();
  });

  test("a flood from one peer is rate-limited while the others get through", async (t) => {
    const rate = { messagesPerSecond: 200, messageBurst: 100 };
    const ch = [0, 1, 2, 3].map((i) =>
      c.node(i).channel("flood", i === 0 ? { rateLimit: rate } : {}),
    );
    const bySender = new Map<number, number>();
    const off = ch[0]?.onMessage((from) => bySender.set(from, (bySender.get(from) ?? 0) + 1));
    const counters = (i: number) => c.node(0).stats().channels["/rpdvt/flood/1.0.0"]?.[i];
    const t0 = performance.now();
    const FLOOD = 5000;
    const payload = new Uint8Array(64);
    for (let k = 0; k < FLOOD; k++) ch[1]?.send(0, payload);
    for (let k = 0; k < 20; k++) {
      ch[2]?.send(0, enc(`two ${k}`));
      ch[3]?.send(0, enc(`three ${k}`));
      await sleep(5);
    }
    const sentByFlooder = () => c.node(1).stats().channels["/rpdvt/flood/1.0.0"]?.[0]?.sent ?? 0;
    await waitFor(
      () => (counters(1)?.received ?? 0) + (counters(1)?.rateLimited ?? 0) >= sentByFlooder(),
      "every flood message accounted for at node 0",
      15_000,
    );
    await waitFor(
      () => bySender.get(2) === 20 && bySender.get(3) === 20,
      "the other peers' messages",
    );
    const elapsed = (performance.now() - t0) / 1000;
    const admitted = bySender.get(1) ?? 0;
    const bound = rate.messageBurst + rate.messagesPerSecond * elapsed;
    t.diagnostic(
      `flood: ${sentByFlooder()}/${FLOOD} sent, ${admitted} admitted, ${counters(1)?.rateLimited} rate-limited in ${elapsed.toFixed(2)} s (bound ${bound.toFixed(0)})`,
    );
    assert.ok(sentByFlooder() >= FLOOD * 0.9, "the flood really was sent");
    assert.ok(admitted <= bound + 1, `admitted ${admitted} > ${bound}`);
    assert.ok((counters(1)?.rateLimited ?? 0) >= sentByFlooder() - bound - 1);
    assert.equal(counters(2)?.rateLimited, 0);
    assert.equal(counters(3)?.rateLimited, 0);
    off?.();
  });
});

describe("p2p transport: simultaneous dials", () => {
  let c: LocalCluster | undefined;
  after(async () => {
    await c?.close();
  });

  test("both sides dialing at once ends with one connection per pair", async (t) => {
    // dialGraceMs 0: higher indices dial lower ones immediately too, so dials race.
    c = await startLocalCluster({ n: 4, dialGraceMs: 0, redial: { initialMs: 50, maxMs: 200 } });
    const cl = c;
    await cl.waitConnected();
    await waitFor(
      () =>
        [0, 1, 2, 3].every((i) =>
          cl
            .node(i)
            .stats()
            .peers.every((p) => p.connections === 1),
        ),
      "exactly one connection per pair",
    );
    const closed = [0, 1, 2, 3].reduce(
      (a, i) => a + cl.node(i).stats().duplicateConnectionsClosed,
      0,
    );
    t.diagnostic(`duplicate connections closed by the dedupe rule: ${closed}`);
    const logs = [0, 1, 2, 3].map((i) => collect(cl.node(i)));
    for (let i = 0; i < 4; i++) cl.node(i).broadcast(enc(`hi from ${i}`));
    await waitFor(
      () => logs.every((l) => l.got.length === 3),
      "broadcasts over the kept connections",
    );
    for (const [i, l] of logs.entries()) {
      assert.deepEqual(
        l.got.map((m) => m.from).sort(),
        [0, 1, 2, 3].filter((x) => x !== i),
      );
    }
  });
});
