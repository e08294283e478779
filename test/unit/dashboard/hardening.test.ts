/**
 * The node's HTTP servers survive any request (issue 12 item 3): the guard of
 * src/core/http-server.ts under raw TCP requests (malformed request line, absurd target, huge
 * headers, huge and endless bodies, foreign Host, throwing handlers), the node's /status and
 * /metrics routes behind it, the planner's bounds, token and worker thread (event-loop delay
 * measured with perf_hooks.monitorEventLoopDelay), the token file reader and the port flag.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import type { Server } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { nodeHttpRoutes } from "../../../src/app/http.js";
import { parsePortOption } from "../../../src/cli/node.js";
import {
  closeServer,
  createGuardedServer,
  listenLoopback,
  parseRequestTarget,
} from "../../../src/core/http-server.js";
import { createDvMetrics } from "../../../src/core/metrics.js";
import {
  isLoopbackHost,
  parseHostHeader,
  resolveDashboardToken,
} from "../../../src/dashboard/auth.js";
import { MAX_EVENT_STREAMS, startDashboardServer } from "../../../src/dashboard/handler.js";
import {
  MAX_PLAN_GROUP,
  MAX_PLAN_SHARES,
  PLAN_OPEN_LIMITS,
  parsePlanQuery,
  planDashboard,
  planNeedsToken,
} from "../../../src/dashboard/plan.js";
import { createPlanRunner, PlanUnavailableError } from "../../../src/dashboard/plan-worker.js";
import { InputError } from "../../../src/errors.js";
import { readTokenFile } from "../../../src/util/token-file.js";
import { makeTempDir } from "../../helpers.js";
import { createFakeSource } from "../../support/dashboard-fake-source.js";

const TOKEN = "unit-token-0123456789";

/** Send raw bytes; resolve with what came back once one answer is complete or the peer closed. */
function raw(port: number, bytes: string | Buffer, ms = 3_000): Promise<string> {
  return new Promise((ok) => {
    const chunks: Buffer[] = [];
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      ok(Buffer.concat(chunks).toString("latin1"));
    };
    const timer = setTimeout(done, ms);
    s.on("data", (c) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString("latin1");
      const head = text.indexOf("\r\n\r\n");
      const len = /content-length: (\d+)/i.exec(text)?.[1];
      const complete =
        len !== undefined
          ? text.length >= head + 4 + Number(len)
          : !/transfer-encoding: chunked/i.test(text) || text.endsWith("\r\n0\r\n\r\n");
      if (head >= 0 && complete) done();
    });
    s.on("error", done);
    s.on("close", done);
  });
}
const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
const get = (port: number, path: string, headers: Record<string, string> = {}) =>
  raw(
    port,
    `GET ${path} HTTP/1.1\r\nHost: ${headers.host ?? `127.0.0.1:${port}`}\r\n${Object.entries(
      headers,
    )
      .filter(([k]) => k !== "host")
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}\r\n`,
  );

describe("dashboard server under hostile raw requests", () => {
  let exits = 0;
  let srv: Awaited<ReturnType<typeof startDashboardServer>>;
  before(async () => {
    const fake = createFakeSource({ operators: 7, validators: 24 });
    // Exits are accepted (and counted) so that the body limit, not a 501, is what answers.
    const source = {
      snapshot: () => fake.snapshot(),
      requestExit: () => {
        exits++;
        return { pubkey: `0x${"01".repeat(48)}`, epoch: 1, operatorId: 1 };
      },
    };
    srv = await startDashboardServer({ source, token: TOKEN });
  });
  after(() => srv.close());
  const ok = async () => {
    const a = await get(srv.port, "/api/cluster");
    assert.equal(statusOf(a), 200, a.slice(0, 300));
    assert.match(a, /"operators"/);
  };

  test("malformed request lines: 400, never a crash; the next request is answered", async () => {
    for (const target of ["http://[", "http://[::1", "*", "//evil.example/api/cluster", "%"]) {
      const a = await raw(
        srv.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`,
      );
      assert.equal(statusOf(a), 400, `${target} → ${a.slice(0, 200)}`);
      await ok();
    }
    for (const garbage of ["\x00\x01\x02\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n"]) {
      assert.equal(statusOf(await raw(srv.port, garbage)), 400, JSON.stringify(garbage));
    }
    await ok();
  });

  test("absurd target 414, huge headers 431; the next request is answered", async () => {
    assert.equal(statusOf(await get(srv.port, `/api/plan?x=${"a".repeat(3_000)}`)), 414);
    assert.equal(
      statusOf(await get(srv.port, "/api/cluster", { "x-big": "b".repeat(20_000) })),
      431,
    );
    const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`x-h${i}`, "v"]));
    assert.equal(statusOf(await get(srv.port, "/", many)), 431);
    await ok();
  });

  test("huge bodies: declared 413 at once, endless chunked 413 after the limit", async () => {
    const head = (extra: string) =>
      `POST /api/exit HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nAuthorization: Bearer ${TOKEN}\r\n${extra}\r\n`;
    const t0 = Date.now();
    assert.equal(statusOf(await raw(srv.port, head("Content-Length: 1000000000\r\n"))), 413);
    const chunk = `1000\r\n${"c".repeat(0x1000)}\r\n`;
    const endless = await raw(srv.port, head("Transfer-Encoding: chunked\r\n") + chunk.repeat(8));
    assert.equal(statusOf(endless), 413, endless.slice(0, 200));
    assert.match(endless, /connection: close/i);
    // A GET with an endless body: answered, and the connection closed instead of drained.
    const closed = await new Promise<{ answer: string; ms: number }>((ok) => {
      const t = Date.now();
      const chunks: Buffer[] = [];
      const sock = connect(srv.port, "127.0.0.1", () => {
        sock.write(
          `GET /api/cluster HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        const feed = setInterval(() => sock.writable && sock.write(chunk), 5);
        sock.on("close", () => {
          clearInterval(feed);
          ok({ answer: Buffer.concat(chunks).toString("latin1"), ms: Date.now() - t });
        });
      });
      sock.on("data", (c) => chunks.push(c));
      sock.on("error", () => undefined);
    });
    assert.equal(statusOf(closed.answer), 200);
    assert.ok(closed.ms < 3_000, `connection held ${closed.ms} ms`);
    assert.ok(Date.now() - t0 < 6_000, "answered without waiting for the body");
    assert.equal(exits, 0);
    await ok();
  });

  test("foreign Host (DNS rebinding), wrong port, no Host: 403; loopback names pass", async () => {
    for (const host of [
      "rebind.example",
      `rebind.example:${srv.port}`,
      `127.0.0.1.nip.io:${srv.port}`,
      `localhost.:${srv.port}`,
      "",
    ]) {
      for (const path of ["/", "/api/cluster", "/api/plan?n=4&attacker=1&honest=9", "/nowhere"]) {
        const a = await get(srv.port, path, { host });
        assert.equal(statusOf(a), 403, `${path} Host "${host}" → ${a.slice(0, 200)}`);
      }
    }
    assert.equal(statusOf(await raw(srv.port, "GET /api/cluster HTTP/1.0\r\n\r\n")), 403);
    // Loopback names pass, with this port, none, or another (an `ssh -L` forward's local port).
    for (const host of [
      `127.0.0.1:${srv.port}`,
      `LOCALHOST:${srv.port}`,
      `[::1]:${srv.port}`,
      "127.0.0.1",
      `localhost:${srv.port + 1}`,
    ])
      assert.equal(statusOf(await get(srv.port, "/api/cluster", { host })), 200, host);
  });

  test("event streams are capped: one more is refused 503, a freed slot is reused", async () => {
    const open = await Promise.all(
      Array.from({ length: MAX_EVENT_STREAMS }, async () => {
        const r = await fetch(`${srv.url}events`);
        assert.equal(r.status, 200);
        return r;
      }),
    );
    const extra = await fetch(`${srv.url}events`);
    assert.equal(extra.status, 503);
    assert.match(await extra.text(), /Too many open dashboards/);
    await ok(); // other routes still answer
    await open[0]?.body?.cancel();
    let again: Response | undefined;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      await again?.body?.cancel();
      await new Promise((r) => setTimeout(r, 20));
      again = await fetch(`${srv.url}events`);
    }
    assert.equal(again?.status, 200);
    await again?.body?.cancel();
    for (const r of open.slice(1)) await r.body?.cancel();
  });

  test("a request a browser marks cross-site (an <img> on any page) is refused 403", async () => {
    const img = await get(srv.port, "/api/plan?n=4&attacker=1&honest=9", {
      "sec-fetch-site": "cross-site",
    });
    assert.equal(statusOf(img), 403);
    const own = await fetch(`${srv.url}api/plan?n=4&attacker=1&honest=9`, {
      headers: { "sec-fetch-site": "same-origin" },
    });
    assert.equal(own.status, 200);
  });
});

describe("guarded server: handler failures and the node's /status, /metrics", () => {
  let server: Server;
  let port: number;
  const errors: unknown[] = [];
  before(async () => {
    const metrics = createDvMetrics();
    metrics.dutyOutcomes.inc({ type: "attester", outcome: "success", reason: "" });
    const node = nodeHttpRoutes({
      registry: metrics.registry,
      status: () => ({ peerId: "16Uiu2HAmSecretish", validators: ["0xa1"] }),
    });
    server = createGuardedServer(
      (req, res, url) => {
        if (url.pathname === "/throw") throw new Error("sync boom");
        if (url.pathname === "/reject") return Promise.reject(new Error("async boom"));
        if (url.pathname === "/throw-late") {
          res.writeHead(200);
          res.write("partial");
          throw new Error("late boom");
        }
        return node(req, res, url);
      },
      { onError: (e) => errors.push(e) },
    );
    port = await listenLoopback(server, 0, "--metrics-port");
  });
  after(() => closeServer(server));

  test("a handler that throws or rejects answers 500 and the server keeps serving", async () => {
    assert.equal(statusOf(await get(port, "/throw")), 500);
    assert.equal(statusOf(await get(port, "/reject")), 500);
    // The answer had started: the socket is closed instead (whatever was flushed is cut short).
    const late = await get(port, "/throw-late");
    assert.ok([0, 200].includes(statusOf(late)), late);
    assert.doesNotMatch(late, /0\r\n\r\n$/, "a cut answer must not look complete");
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ["sync boom", "async boom", "late boom"],
    );
    assert.equal(statusOf(await get(port, "/status")), 200);
  });

  test("/status and /metrics refuse a foreign Host and answer the loopback one", async () => {
    for (const path of ["/status", "/metrics"]) {
      for (const host of [`rebind.example:${port}`, `127.0.0.2:${port}`, "evil", ""]) {
        const a = await get(port, path, { host });
        assert.equal(statusOf(a), 403, `${path} ${host}`);
        assert.doesNotMatch(a, /16Uiu2|rpdvt_duty/);
      }
    }
    const s = await get(port, "/status", { host: `localhost:${port}` });
    assert.equal(statusOf(s), 200);
    assert.match(s, /16Uiu2HAmSecretish/);
    const m = await get(port, "/metrics");
    assert.match(m, /rpdvt_duty_outcomes_total\{type="attester",outcome="success",reason=""\} 1/);
    assert.equal(statusOf(await get(port, "http://[")), 400);
    assert.equal(statusOf(await get(port, "/nope")), 404);
    const post = await raw(
      port,
      `POST /status HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\n\r\n`,
    );
    assert.equal(statusOf(post), 405);
  });

  test("a port in use is an InputError naming the flag and the port", async () => {
    const other = createGuardedServer(() => undefined);
    await assert.rejects(listenLoopback(other, port, "--metrics-port"), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.field, "--metrics-port");
      assert.match(e.shortMessage, new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
      return true;
    });
  });

  test("request-target and Host parsing", () => {
    assert.equal(parseRequestTarget("/api/plan?n=4")?.pathname, "/api/plan");
    for (const t of ["http://[", "*", "", "//x/y", "api", undefined])
      assert.equal(parseRequestTarget(t), null, String(t));
    assert.deepEqual(parseHostHeader("[::1]:9100"), { name: "[::1]", port: 9100 });
    assert.deepEqual(parseHostHeader("LocalHost"), { name: "localhost", port: undefined });
    for (const h of ["a:b", "x:70000", "[::1", "a b", "127.0.0.1:9100:1"])
      assert.equal(parseHostHeader(h), null, h);
    for (const h of ["127.0.0.1:9100", "localhost:9100", "[::1]:9100", "127.0.0.1", "LocalHost:1"])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of [
      "127.0.0.2:9100",
      "localhost.:9100",
      "127.0.0.1.nip.io",
      "[::2]:9100",
      "127.0.0.1:0",
      "127.0.0.1:9100@evil",
      "",
      undefined,
    ])
      assert.equal(isLoopbackHost(h), false, String(h));
  });
});

describe("/api/plan: bounded inputs, token above the open limits, off the event loop", () => {
  let srv: Awaited<ReturnType<typeof startDashboardServer>>;
  before(async () => {
    srv = await startDashboardServer({
      source: createFakeSource({ operators: 4, validators: 24 }),
      token: TOKEN,
    });
  });
  after(() => srv.close());
  const plan = async (query: string, token?: string) => {
    const r = await fetch(`${srv.url}api/plan?${query}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  test("out-of-range inputs: 400 naming the field and the bound", async () => {
    for (const [q, field, bound] of [
      ["n=17&attacker=1&honest=9", "n", "≤ 16"],
      [`n=4&attacker=${MAX_PLAN_SHARES + 1}&honest=9`, "attacker", `≤ ${MAX_PLAN_SHARES}`],
      [`n=4&attacker=1&honest=1e9`, "honest", `≤ ${MAX_PLAN_SHARES}`],
      [`n=4&attacker=1&honest=9&group=${MAX_PLAN_GROUP + 1}`, "group", `≤ ${MAX_PLAN_GROUP}`],
      ["n=4&attacker=1.5&honest=9", "attacker", "integer"],
      ["n=4&attacker=1&honest=9&availability=0.9,,0.9,0.9", "availability", "number"],
      [
        `n=2&attacker=1&honest=9&availability=${Array(17).fill("0.9").join(",")}`,
        "availability",
        "16",
      ],
    ] as const) {
      const a = await plan(q, TOKEN);
      assert.equal(a.status, 400, `${q} → ${JSON.stringify(a.body)}`);
      const b = a.body;
      assert.match(`${b.field} ${b.details}`, new RegExp(field), q);
      assert.ok(`${b.details}`.includes(bound), `${q}: ${b.details}`);
    }
  });

  test("queries above PLAN_OPEN_LIMITS need the token (401 naming the limit); small ones do not", async () => {
    for (const q of [
      `n=${PLAN_OPEN_LIMITS.n + 1}&attacker=1&honest=99`,
      `n=4&attacker=1&honest=99&group=${PLAN_OPEN_LIMITS.group + 1}`,
      `n=4&attacker=${PLAN_OPEN_LIMITS.shares}&honest=1`,
    ]) {
      const a = await plan(q);
      assert.equal(a.status, 401, q);
      assert.match(String(a.body.error), /needs the dashboard token/);
      assert.equal((await plan(q, "wrong")).status, 401);
      assert.equal((await plan(q, TOKEN)).status, 200, q);
    }
    assert.equal((await plan("n=13&attacker=1000&honest=1000&group=16")).status, 200);
    assert.equal(
      planNeedsToken(parsePlanQuery({ n: 13, attacker: 1000, honest: 1000, group: 16 })),
      undefined,
    );
    assert.match(
      String(planNeedsToken(parsePlanQuery({ n: 16, attacker: 1, honest: 1 }))),
      /n = 16 > 13/,
    );
  });

  test("heavy queries run in the worker: the event loop stays responsive", async () => {
    const delayDuring = async (work: () => Promise<unknown>) => {
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      // The histogram records from its second tick on: let it take a first sample.
      await new Promise((r) => setTimeout(r, 30));
      const t0 = performance.now();
      const out = await work();
      const ms = performance.now() - t0;
      // Let the sampling timer fire once more: it records a block when the loop gets back to it.
      await new Promise((r) => setTimeout(r, 30));
      h.disable();
      return { out, ms, maxMs: h.max / 1e6 };
    };
    const fmt = (x: { ms: number; maxMs: number }) =>
      `${x.ms.toFixed(0)} ms, event-loop delay max ${x.maxMs.toFixed(0)} ms`;
    assert.equal((await plan("n=4&attacker=1&honest=9")).status, 200); // worker started
    // Largest inputs: n = 16, group 128, 10^6 + 10^6 shares.
    const q = `n=16&attacker=${MAX_PLAN_SHARES}&honest=${MAX_PLAN_SHARES}&group=${MAX_PLAN_GROUP}`;
    const big = await delayDuring(() => plan(q, TOKEN));
    assert.equal((big.out as { status: number }).status, 200);
    const r = (big.out as { body: unknown }).body as ReturnType<typeof planDashboard>;
    assert.equal(r.sybil.pmf.length, MAX_PLAN_GROUP + 1);
    // A CPU-heavy one (several seconds of big-integer sums), on this thread and in the worker.
    const heavy = "n=13&attacker=1000&honest=3000&group=20";
    const inline = await delayDuring(async () =>
      planDashboard(parsePlanQuery(new URLSearchParams(heavy))),
    );
    const worker = await delayDuring(() => plan(heavy, TOKEN));
    assert.equal((worker.out as { status: number }).status, 200);
    process.stdout.write(
      `# /api/plan ${q}: ${fmt(big)}\n# ${heavy}: on the event loop ${fmt(inline)}; in the worker ${fmt(worker)}\n`,
    );
    // On the thread, the loop is blocked for the whole query; in the worker, it is not.
    assert.ok(inline.ms > 150, `the heavy query is not heavy here (${fmt(inline)})`);
    assert.ok(inline.maxMs > 0.8 * inline.ms, `the loop was not blocked inline (${fmt(inline)})`);
    assert.ok(worker.maxMs < 500, `event loop blocked: ${fmt(worker)}`);
    assert.ok(worker.maxMs < 0.5 * worker.ms, `event loop blocked: ${fmt(worker)}`);
    assert.ok(big.maxMs < 500, `event loop blocked: ${fmt(big)}`);
  });

  test("the planner worker: a too-slow query is stopped (503) and the next one answers", async () => {
    const runner = createPlanRunner({ timeoutMs: 50 });
    try {
      const heavy = parsePlanQuery({ n: 16, attacker: 1_000_000, honest: 1_000_000, group: 128 });
      await assert.rejects(runner.run(heavy), (e: unknown) => {
        assert.ok(e instanceof PlanUnavailableError);
        assert.match(e.shortMessage, /longer than 0.05 s/);
        return true;
      });
      const patient = createPlanRunner();
      try {
        const r = await patient.run(parsePlanQuery({ n: 4, attacker: 10, honest: 90 }));
        assert.equal(r.input.threshold, 3);
        // Busy: one running, MAX_PLAN_QUEUE waiting, the next one refused.
        const small = parsePlanQuery({ n: 10, attacker: 1000, honest: 1000, group: 10 });
        const all = await Promise.allSettled([1, 2, 3, 4, 5].map(() => patient.run(small)));
        assert.equal(all.filter((x) => x.status === "fulfilled").length, 3);
        const refused = all.filter((x) => x.status === "rejected");
        assert.equal(refused.length, 2);
        assert.match(String((refused[0] as PromiseRejectedResult).reason.shortMessage), /busy/);
        // An input error from inside the worker stays an InputError (400).
        await assert.rejects(
          patient.run(parsePlanQuery({ n: 4, attacker: 1, honest: 1, group: 8 })),
          InputError,
        );
      } finally {
        await patient.close();
      }
    } finally {
      await runner.close();
    }
  });
});

describe("dashboard token file (--dashboard-token-file)", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir("token");
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));
  const write = async (name: string, text: string, mode = 0o600) => {
    const f = join(dir, name);
    await fsp.writeFile(f, text, { mode });
    await fsp.chmod(f, mode);
    return f;
  };
  const refused = (p: Promise<unknown>, re: RegExp) =>
    assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match(e.shortMessage, re);
      assert.equal(e.field, "--dashboard-token-file");
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    });

  test("one line, trailing newline stripped", async () => {
    assert.equal(
      await readTokenFile(await write("ok", "s3cret-token\n"), "--dashboard-token-file"),
      "s3cret-token",
    );
    assert.equal(
      await readTokenFile(await write("crlf", "s3cret-token\r\n"), "--dashboard-token-file"),
      "s3cret-token",
    );
  });

  test("refused: readable by others, empty, several lines, missing, folder, FIFO", async () => {
    await refused(
      readTokenFile(await write("loose", "s3cret\n", 0o644), "--dashboard-token-file"),
      /readable by other users \(mode 644\)/,
    );
    await refused(
      readTokenFile(await write("group", "s3cret\n", 0o640), "--dashboard-token-file"),
      /readable by other users/,
    );
    await refused(readTokenFile(await write("empty", ""), "--dashboard-token-file"), /empty/);
    await refused(readTokenFile(await write("nl", "\n"), "--dashboard-token-file"), /empty/);
    await refused(
      readTokenFile(await write("two", "s3cret\nmore\n"), "--dashboard-token-file"),
      /one line/,
    );
    await refused(readTokenFile(join(dir, "absent"), "--dashboard-token-file"), /not found/);
    await refused(readTokenFile(dir, "--dashboard-token-file"), /not a regular file/);
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", ["-m", "600", fifo]);
    const t0 = Date.now();
    await refused(readTokenFile(fifo, "--dashboard-token-file"), /not a regular file/);
    assert.ok(Date.now() - t0 < 2_000, "a FIFO must not hang");
  });

  test("flag, file and environment: file preferred, both flags refused", async () => {
    const f = await write("tok", "from-file\n");
    assert.equal(await resolveDashboardToken({ tokenFile: f, env: "from-env" }), "from-file");
    assert.equal(await resolveDashboardToken({ token: "from-flag", env: "from-env" }), "from-flag");
    assert.equal(await resolveDashboardToken({ env: "from-env" }), "from-env");
    assert.equal(await resolveDashboardToken({ env: "" }), undefined);
    await assert.rejects(resolveDashboardToken({ token: "a", tokenFile: f }), /not both/);
    await assert.rejects(resolveDashboardToken({ token: " " }), /empty/);
  });
});

test("--metrics-port parser: integers 1..65535 only", () => {
  assert.equal(parsePortOption("9100"), 9100);
  assert.equal(parsePortOption("65535"), 65535);
  for (const bad of ["abc", "0", "65536", "-1", "9100.5", "", "1e3", "0x10", "99999999"])
    assert.throws(() => parsePortOption(bad), /port number from 1 to 65535/, bad);
});
