/**
 * The delaying TCP link of the per-process libp2p bench (bench/wan-link.ts): a round trip
 * through it costs the model's two one-way delays (± jitter), bytes arrive complete and in
 * order in both directions however the chunks are delayed, and a lost chunk is charged one
 * retransmission timeout (head-of-line: the chunks behind it wait too).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { after, test } from "node:test";
import { retransmitMs, startWanLink, type WanLink } from "../../../bench/wan-link.js";

const servers: Server[] = [];
const links: WanLink[] = [];
after(async () => {
  for (const l of links) await l.close();
  for (const s of servers) s.close();
});

/** An echo server on 127.0.0.1: its host:port. */
async function echo(): Promise<string> {
  const s = createServer((c) => c.pipe(c));
  servers.push(s);
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  return `127.0.0.1:${(s.address() as { port: number }).port}`;
}

async function dial(address: string): Promise<Socket> {
  const [host, port] = address.split(":") as [string, string];
  const c = createConnection({ host, port: Number(port) });
  c.setNoDelay(true);
  await once(c, "connect");
  return c;
}

/** Send `msg`, resolve with the ms until `bytes` came back. */
async function roundTrip(c: Socket, msg: Buffer, bytes = msg.length): Promise<number> {
  const t0 = performance.now();
  let got = 0;
  await new Promise<void>((r) => {
    const on = (b: Buffer) => {
      got += b.length;
      if (got >= bytes) {
        c.off("data", on);
        r();
      }
    };
    c.on("data", on);
    c.write(msg);
  });
  return performance.now() - t0;
}

test("a round trip costs two one-way delays (50 ms each, ±10 ms jitter)", async () => {
  const link = await startWanLink({
    target: await echo(),
    model: { oneWayMs: 50, jitterMs: 10, loss: 0 },
    seed: 1,
  });
  links.push(link);
  const c = await dial(link.address);
  const rtts: number[] = [];
  for (let i = 0; i < 5; i++) rtts.push(await roundTrip(c, Buffer.from(`ping ${i}`)));
  c.destroy();
  for (const rtt of rtts) assert.ok(rtt >= 80 && rtt < 220, `RTT ${rtt.toFixed(0)} ms`);
  assert.equal(link.stats.lost, 0);
});

test("bytes arrive complete and in order though each chunk is delayed at random", async () => {
  const link = await startWanLink({
    target: await echo(),
    model: { oneWayMs: 5, jitterMs: 5, loss: 0.2 },
    seed: 2,
  });
  links.push(link);
  const c = await dial(link.address);
  const sent = Buffer.alloc(200_000);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) % 251;
  const chunks: Buffer[] = [];
  c.on("data", (b: Buffer) => chunks.push(b));
  for (let off = 0; off < sent.length; off += 1000) {
    c.write(sent.subarray(off, off + 1000));
    if (off % 20_000 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  while (Buffer.concat(chunks).length < sent.length) await new Promise((r) => setTimeout(r, 20));
  c.destroy();
  assert.deepEqual(Buffer.concat(chunks), sent);
  assert.ok(link.stats.lost > 0, "some chunks were charged a retransmission");
});

test("a lost chunk costs one retransmission timeout (max(200 ms, RTT + 4 jitter))", async () => {
  const model = { oneWayMs: 20, jitterMs: 0, loss: 1 };
  assert.equal(retransmitMs(model), 200);
  assert.equal(retransmitMs({ oneWayMs: 100, jitterMs: 10, loss: 0 }), 240);
  const link = await startWanLink({ target: await echo(), model, seed: 3 });
  links.push(link);
  const c = await dial(link.address);
  const rtt = await roundTrip(c, Buffer.from("x"));
  c.destroy();
  // Both directions lose their chunk: 2 × (20 + 200) ms.
  assert.ok(rtt >= 430 && rtt < 650, `RTT ${rtt.toFixed(0)} ms`);
  assert.equal(link.stats.lost, 2);
});
