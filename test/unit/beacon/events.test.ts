/**
 * The Beacon API event stream reader (src/beacon/api/events.ts): the SSE parser on chunks split
 * anywhere, CR/LF/CRLF line ends, comments, multi-line data, oversized events; and the head stream
 * against local HTTP servers on 127.0.0.1: garbage and truncated events survived, HTTP errors and
 * dropped connections re-opened with backoff, a silent connection re-opened, stop() closes it.
 */
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, test } from "node:test";
import {
  type HeadEvent,
  parseHeadEvent,
  type SseEvent,
  SseParser,
  subscribeHeadEvents,
} from "../../../src/beacon/api/events.js";

const ROOT = `0x${"ab".repeat(32)}`;
const head = (slot: number | string, block = ROOT) =>
  JSON.stringify({ slot: String(slot), block, state: ROOT, epoch_transition: false });
const frame = (slot: number) => `event: head\ndata: ${head(slot)}\n\n`;

describe("SseParser", () => {
  test("the same events whatever the chunking and line ends", () => {
    const stream =
      ": comment\r\nevent: head\r\ndata: a\r\ndata: b\r\n\r\n" +
      "event: block\rdata: c\r\rdata:no-space\n\nid: 7\nevent: head\ndata: d\n\n";
    const want: SseEvent[] = [
      { event: "head", data: "a\nb", id: "" },
      { event: "block", data: "c", id: "" },
      { event: "message", data: "no-space", id: "" },
      { event: "head", data: "d", id: "7" },
    ];
    for (let cut = 0; cut <= stream.length; cut++) {
      const got: SseEvent[] = [];
      const p = new SseParser((e) => got.push(e));
      p.feed(stream.slice(0, cut));
      p.feed(stream.slice(cut));
      assert.deepEqual(got, want, `cut at ${cut}`);
    }
    const one: SseEvent[] = [];
    const p = new SseParser((e) => one.push(e));
    for (const ch of stream) p.feed(ch);
    assert.deepEqual(one, want);
  });

  test("an oversized event is dropped whole, memory bounded, the next one parsed", () => {
    const got: SseEvent[] = [];
    const sizes: number[] = [];
    const p = new SseParser(
      (e) => got.push(e),
      100,
      (n) => sizes.push(n),
    );
    p.feed("event: head\ndata: ");
    for (let i = 0; i < 1000; i++) p.feed("x".repeat(1000)); // 1 MB line
    p.feed("\ndata: more\n\nevent: head\ndata: ok\n\n");
    assert.deepEqual(got, [{ event: "head", data: "ok", id: "" }]);
    assert.equal(sizes.length, 1);
    // Many data lines each under the bound but together over it.
    p.feed(`${"data: 0123456789\n".repeat(20)}\nevent: head\ndata: after\n\n`);
    assert.deepEqual(got.at(-1), { event: "head", data: "after", id: "" });
    assert.equal(got.length, 2);
  });

  test("no data, no event; reset forgets a partial event", () => {
    const got: SseEvent[] = [];
    const p = new SseParser((e) => got.push(e));
    p.feed("event: head\n\n");
    p.feed("event: head\ndata: partial");
    p.reset();
    p.feed("\n\n");
    assert.deepEqual(got, []);
  });
});

describe("parseHeadEvent", () => {
  test("reads the spec's head event", () => {
    const r = parseHeadEvent(head(12));
    assert.ok(r.ok);
    assert.equal(r.head.slot, 12);
    assert.equal(r.head.block.length, 32);
  });
  test("names what is wrong", () => {
    assert.deepEqual(parseHeadEvent("{oops"), { ok: false, reason: "not JSON (5 characters)" });
    const bad = parseHeadEvent(head("x"));
    assert.ok(!bad.ok && bad.reason.startsWith("slot:"));
    const root = parseHeadEvent(head(1, "0x12"));
    assert.ok(!root.ok && root.reason.startsWith("block:"));
  });
});

type Conn = { res: ServerResponse; closed: Promise<void> };
let servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  servers = [];
});

/** A server whose `n`-th request (0-based) is handled by `handle`. */
async function sseServer(
  handle: (n: number, res: ServerResponse, conn: Conn) => void,
): Promise<{ url: string; conns: Conn[]; paths: string[] }> {
  const conns: Conn[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    const conn: Conn = { res, closed: new Promise((r) => res.on("close", () => r())) };
    conns.push(conn);
    handle(conns.length - 1, res, conn);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, conns, paths };
}
const sse = (res: ServerResponse) =>
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("subscribeHeadEvents", () => {
  test("survives garbage, truncated events, errors and drops; stop closes the stream", async () => {
    const srv = await sseServer((n, res) => {
      if (n === 0) {
        res.writeHead(503).end('{"message":"syncing"}');
        return;
      }
      sse(res);
      if (n === 1) {
        // garbage, a bad head, a good one, then a truncated event and the connection drops.
        res.write("\u0000\u00ff garbage without colon\n\n");
        res.write("event: head\ndata: {not json\n\n");
        res.write(`event: head\ndata: ${head("12", "0x12")}\n\n`);
        res.write(frame(5));
        res.write(`event: head\ndata: ${head(6).slice(0, 20)}`);
        setTimeout(() => res.destroy(), 30); // dropped mid-event

        return;
      }
      res.write(": keep-alive\n\n");
      res.write(frame(7));
    });
    const heads: HeadEvent[] = [];
    const errors: string[] = [];
    const sub = subscribeHeadEvents([srv.url], {
      onHead: (h) => heads.push(h),
      onError: (_u, m) => errors.push(m),
      initialBackoffMs: 10,
    });
    await until(() => heads.length === 2).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(heads.map((h) => h.slot))} ${errors}`);
    });
    assert.deepEqual(
      heads.map((h) => h.slot),
      [5, 7],
    );
    assert.equal(srv.paths[0], "/eth/v1/events?topics=head");
    assert.ok(errors.some((e) => e.includes("HTTP 503") && e.includes("reconnecting in 10 ms")));
    // The dropped connection had delivered an event: the backoff (20 ms after the 503) is reset.
    assert.ok(
      errors.some((e) => e.startsWith("the stream broke") && e.endsWith("reconnecting in 10 ms")),
      errors.join("\n"),
    );
    assert.equal(errors.filter((e) => e.startsWith("unreadable head event")).length, 2);
    await sub.stop();
    await srv.conns[2]?.closed; // the open stream is closed by stop()
    const n = srv.conns.length;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(srv.conns.length, n, "no reconnect after stop");
  });

  test("a silent connection is re-opened; a node that never answers is retried", async () => {
    const srv = await sseServer((n, res) => {
      sse(res);
      res.write(frame(n + 1)); // one event, then silence
    });
    const heads: number[] = [];
    const errors: string[] = [];
    const sub = subscribeHeadEvents([srv.url], {
      onHead: (h) => heads.push(h.slot),
      onError: (_u, m) => errors.push(m),
      idleTimeoutMs: 50,
      initialBackoffMs: 5,
    });
    await until(() => heads.length >= 3);
    assert.deepEqual(heads.slice(0, 3), [1, 2, 3]);
    assert.ok(
      errors.some((e) => /no event for \d+ ms/.test(e)),
      errors.join("\n"),
    );
    // Backoff resets after each connection that delivered an event.
    assert.ok(
      errors.every((e) => e.endsWith("reconnecting in 5 ms")),
      errors.join("\n"),
    );
    await sub.stop();

    const hung = await sseServer(() => {}); // accepts, never answers
    const errs: string[] = [];
    const sub2 = subscribeHeadEvents([hung.url], {
      onHead: () => assert.fail("no event expected"),
      onError: (_u, m) => errs.push(m),
      connectTimeoutMs: 30,
      initialBackoffMs: 5,
    });
    await until(() => hung.conns.length >= 2);
    assert.match(errs[0] ?? "", /no answer in time/);
    await sub2.stop();
  });
});
