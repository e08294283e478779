/**
 * The dashboard handler over a fake status source: JSON endpoints (cluster view, planner against
 * src/plan directly), Server-Sent Events, the HTML page, the token check on POST, the Host guard,
 * and the node source over stub node/transport objects.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createDvMetrics, registerPeerRtt } from "../../../src/core/metrics.js";
import type { DutyReport } from "../../../src/core/tracker/tracker.js";
import { hasValidToken, isLoopbackHost } from "../../../src/dashboard/auth.js";
import { parseExitRequest, startDashboardServer } from "../../../src/dashboard/handler.js";
import { nodeDashboardSource } from "../../../src/dashboard/node-source.js";
import { parsePlanQuery, type planDashboard } from "../../../src/dashboard/plan.js";
import { clusterView, quantile, shortKey } from "../../../src/dashboard/view.js";
import { InputError } from "../../../src/errors.js";
import { parseNodeUrls, requestClusterExit } from "../../../src/ops/exit/cluster.js";
import { type PeerInfoService, RPDVT_VERSION, startPeerInfo } from "../../../src/p2p/peerinfo.js";
import { sybilExact } from "../../../src/plan/sybil/exact.js";
import { createFakeSource, FAKE_FAILURE_REASONS } from "../../support/dashboard-fake-source.js";
import { ROOT } from "../../support/root.js";

const TOKEN = "s3cret-token";

type Res = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Res> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", fail);
    req.end(opts.body);
  });
}

describe("dashboard", () => {
  const fake = createFakeSource({ operators: 4, validators: 3 });
  for (let slot = 100; slot < 110; slot++) fake.addSlot(slot);
  let srv: Awaited<ReturnType<typeof startDashboardServer>>;
  before(async () => {
    srv = await startDashboardServer({ source: fake, token: TOKEN, intervalMs: 50 });
  });
  after(async () => {
    await srv.close();
  });

  test("binds 127.0.0.1 and serves the self-contained page", async () => {
    const addr = srv.server.address();
    assert.ok(typeof addr === "object" && addr);
    assert.equal(addr.address, "127.0.0.1");
    const r = await send(srv.url);
    assert.equal(r.status, 200);
    assert.match(String(r.headers["content-type"]), /text\/html/);
    assert.match(String(r.headers["content-security-policy"]), /default-src 'none'/);
    for (const id of ["operators", "duties", "validators", "plan-form", "plan-charts", "conn"]) {
      assert.ok(r.body.includes(`id="${id}"`), id);
    }
    assert.ok(r.body.includes('new EventSource("events")'));
    // No external resource: no http(s) URL in src/href attributes.
    assert.doesNotMatch(r.body, /(src|href)="https?:/);
  });

  test("/api/cluster: operators, validators, duties, failures and consensus stats", async () => {
    fake.setOnline(3, false);
    const r = await send(`${srv.url}api/cluster`);
    fake.setOnline(3, true);
    assert.equal(r.status, 200);
    const v = JSON.parse(r.body) as ReturnType<typeof clusterView>;
    assert.deepEqual(
      v.operators.map((o) => [o.id, o.online, o.self]),
      [
        [1, true, true],
        [2, true, false],
        [3, false, false],
        [4, true, false],
      ],
    );
    assert.equal(v.operators[0]?.connectedPeers, 2);
    assert.equal(v.operators[1]?.connectedPeers, null);
    assert.equal(v.validators.length, 3);
    assert.equal(v.validators[0]?.lastDuties.length, 5);
    assert.equal(v.validators[0]?.lastDuties[0]?.slot, 109);
    assert.equal(v.totals.duties, 30);
    assert.equal(v.totals.success + v.totals.failed, 30);
    assert.equal(v.duties[0]?.slot, 109);
    assert.equal(v.duties.at(-1)?.slot, 100);
    const failed = v.duties.filter((d) => d.outcome === "failed");
    assert.equal(failed.length, v.totals.failed);
    assert.ok(failed.every((d) => FAKE_FAILURE_REASONS.includes(d.reason as "late")));
    assert.equal(
      Object.values(v.failuresByReason).reduce((a, b) => a + b, 0),
      v.totals.failed,
    );
    assert.ok((v.consensus.rounds["1"] ?? 0) > 0);
    assert.ok(v.consensus.latencyMs.count > 0);
    assert.ok((v.consensus.latencyMs.p50 ?? 0) <= (v.consensus.latencyMs.p95 ?? 0));
  });

  test("/events pushes the cluster view and follows changes", async () => {
    const controller = new AbortController();
    const res = await fetch(`${srv.url}events`, { signal: controller.signal });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body?.getReader();
    assert.ok(reader);
    const decoder = new TextDecoder();
    let buf = "";
    const nextView = async () => {
      for (;;) {
        const i = buf.indexOf("\n\n");
        if (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (data) return JSON.parse(data.slice(6)) as ReturnType<typeof clusterView>;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buf += decoder.decode(value, { stream: true });
      }
    };
    try {
      const first = await nextView();
      assert.equal(first.operators.find((o) => o.id === 2)?.online, true);
      fake.setOnline(2, false);
      let v = await nextView();
      for (let i = 0; i < 5 && v.operators.find((o) => o.id === 2)?.online !== false; i++) {
        v = await nextView();
      }
      assert.equal(v.operators.find((o) => o.id === 2)?.online, false);
    } finally {
      fake.setOnline(2, true);
      controller.abort();
    }
  });

  test("/api/plan matches src/plan and renders SVG charts", async () => {
    const r = await send(
      `${srv.url}api/plan?n=4&threshold=3&attacker=100&honest=30&group=8&availability=0.9,0.95,0.99,0.99`,
    );
    assert.equal(r.status, 200);
    const p = JSON.parse(r.body) as ReturnType<typeof planDashboard>;
    const want = sybilExact({ attackerShares: 100, honestShares: 30, groupSize: 8, threshold: 6 });
    assert.equal(p.input.groupThreshold, 6);
    assert.equal(p.sybil.pControl, want.pControl);
    assert.ok(Math.abs(p.sybil.pControl - 0.7295) < 1e-3);
    // 3 of 4 up: P(missed) = P(≥ 2 down), by hand for these availabilities.
    const u = [0.1, 0.05, 0.01, 0.01];
    let none = 1;
    for (const x of u) none *= 1 - x;
    let one = 0;
    for (let i = 0; i < 4; i++) one += ((u[i] ?? 0) / (1 - (u[i] ?? 0))) * none;
    const expected = 1 - none - one;
    assert.ok(Math.abs(p.availability.missedFraction - expected) < 1e-12);
    assert.ok(Math.abs((p.availability.missedByThreshold[2] ?? 0) - expected) < 1e-12);
    assert.equal(p.availability.missedByThreshold.length, 4);
    assert.match(p.charts.availabilitySvg, /^<svg /);
    assert.match(p.charts.sybilSvg, /<rect /);
  });

  test("/api/plan refuses bad input with 400 naming the field", async () => {
    const r = await send(`${srv.url}api/plan?n=4&threshold=5&attacker=1&honest=10`);
    assert.equal(r.status, 400);
    assert.match(r.body, /threshold/);
    const r2 = await send(`${srv.url}api/plan?n=3&attacker=1&honest=10&availability=0.9,2`);
    assert.equal(r2.status, 400);
    assert.match(r2.body, /availability/);
    assert.throws(() => parsePlanQuery({ n: 40, attacker: 1, honest: 1 }), /Invalid planner input/);
  });

  test("POST without (or with a wrong) token is refused 401; with it, 405 but on /api/exit", async () => {
    const none = await send(`${srv.url}api/cluster`, { method: "POST", body: "{}" });
    assert.equal(none.status, 401);
    assert.match(String(none.headers["www-authenticate"]), /Bearer/);
    const wrong = await send(`${srv.url}api/cluster`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    const right = await send(`${srv.url}api/cluster`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(right.status, 405);
    // The fake source takes no exits: the route exists, the source cannot sign.
    const exit = await send(`${srv.url}api/exit`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: "{}",
    });
    assert.equal(exit.status, 501);
  });

  test("refuses non-loopback Host (DNS rebinding) and leaves other paths alone", async () => {
    const r = await send(`${srv.url}api/cluster`, { headers: { host: "evil.example:80" } });
    assert.equal(r.status, 403);
    assert.equal((await send(`${srv.url}metrics`)).status, 404);
  });
});

describe("dashboard helpers", () => {
  test("token and host checks", () => {
    const req = (headers: Record<string, string>) =>
      ({ headers }) as unknown as Parameters<typeof hasValidToken>[0];
    assert.equal(hasValidToken(req({ authorization: "Bearer t" }), "t"), true);
    assert.equal(hasValidToken(req({ "x-rpdvt-token": "t" }), "t"), true);
    assert.equal(hasValidToken(req({ authorization: "Bearer t" }), undefined), false);
    assert.equal(hasValidToken(req({}), "t"), false);
    assert.equal(isLoopbackHost("localhost:1"), true);
    assert.equal(isLoopbackHost("[::1]:9"), true);
    assert.equal(isLoopbackHost("127.0.0.1.evil.example"), false);
  });

  test("quantile and shortKey", () => {
    assert.equal(quantile([], 0.5), null);
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
    assert.equal(quantile([1, 2, 3, 4], 0.95), 4);
    assert.equal(shortKey(`0x${"ab".repeat(48)}`), "0xababab…abab");
  });

  test("node source: operators from the definition, state from the transport, beacon, peer info", async () => {
    const pubkey = `0x${"aa".repeat(48)}`;
    const report: DutyReport = {
      slot: 5,
      dutyType: 1,
      type: "attester",
      pubkey,
      outcome: "success",
      startedAt: 0,
      latencyMs: 120,
      round: 1,
      partials: 3,
    };
    const tracker = {
      reports: () => [report],
      pending: () => [],
      summary: () => ({ attester: { success: 1 } }),
    } as unknown as Parameters<typeof nodeDashboardSource>[0]["tracker"];
    let beaconCalls = 0;
    const beacon = {
      validators: async (pks: readonly Uint8Array[]) => {
        beaconCalls++;
        return pks.map((pk) => ({
          index: 48,
          pubkey: pk,
          status: "active_ongoing",
          balanceGwei: 32_000_012_345n,
        }));
      },
    };
    const peerInfo: Pick<PeerInfoService, "version" | "get"> = {
      version: "9.9.9",
      get: (i) =>
        i === 1
          ? { version: "1.2.3", rttMs: 0.7, seenAt: 1 }
          : i === 2
            ? { version: "1.2.2", rttMs: 5, seenAt: 1 }
            : undefined,
    };
    const src = nodeDashboardSource(
      { tracker, doppelgangers: () => [] },
      {
        peerId: "self-peer",
        stats: () =>
          ({
            peers: [
              { index: 1, peerId: "p2", connected: true },
              { index: 2, peerId: "p3", connected: false },
            ],
          }) as unknown as ReturnType<Parameters<typeof nodeDashboardSource>[1]["stats"]>,
      },
      {
        name: "c",
        threshold: 2,
        operators: [
          { id: 1, identity: null },
          { id: 2, identity: null },
          { id: 3, identity: null },
        ],
        validators: [
          { pubkey: pubkey.toUpperCase().replace("0X", "0x"), shares: [], feeRecipient: "0x" },
        ],
      },
      1,
      { beacon, beaconRefreshMs: 60_000, peerInfo },
    );
    const snap = src.snapshot();
    assert.deepEqual(
      snap.operators.map((o) => [o.id, o.peerId, o.self, o.online, o.version, o.rttMs]),
      [
        [1, "self-peer", true, true, "9.9.9", undefined],
        [2, "p2", false, true, "1.2.3", 0.7],
        // Offline: the last version known, no RTT.
        [3, "p3", false, false, "1.2.2", undefined],
      ],
    );
    // The first snapshot starts the beacon read and shows the pubkey only.
    assert.deepEqual(snap.validators, [{ pubkey }]);
    await new Promise((r) => setImmediate(r));
    const later = src.snapshot();
    assert.deepEqual(later.validators, [
      { pubkey, index: 48, status: "active_ongoing", balanceGwei: 32_000_012_345 },
    ]);
    assert.equal(beaconCalls, 1, "one read per refresh period");
    const v = clusterView(later);
    assert.equal(v.validators[0]?.lastDuties[0]?.outcome, "success");
    assert.equal(v.validators[0]?.effectiveness, 1);
    assert.equal(v.validators[0]?.status, "active_ongoing");
    assert.equal(v.consensus.latencyMs.p50, 120);
  });

  test("node source: a failed beacon read keeps the last values; self version by default", async () => {
    const pubkey = `0x${"bb".repeat(48)}`;
    let fail = false;
    const src = nodeDashboardSource(
      {
        tracker: {
          reports: () => [],
          pending: () => [],
          summary: () => ({}),
        } as unknown as Parameters<typeof nodeDashboardSource>[0]["tracker"],
        doppelgangers: () => [],
      },
      { peerId: "self", stats: () => ({ peers: [] }) as never },
      {
        name: "c",
        threshold: 1,
        operators: [{ id: 1, identity: null }],
        validators: [{ pubkey, shares: [], feeRecipient: "0x" }],
      },
      1,
      {
        beaconRefreshMs: 0,
        beacon: {
          validators: async (pks) => {
            if (fail) throw new Error("beacon down");
            return pks.map((pk) => ({
              index: 7,
              pubkey: pk,
              status: "pending_queued",
              balanceGwei: 1n,
            }));
          },
        },
      },
    );
    assert.equal(src.snapshot().operators[0]?.version, RPDVT_VERSION);
    await new Promise((r) => setImmediate(r));
    fail = true;
    assert.equal(src.snapshot().validators[0]?.status, "pending_queued");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(src.snapshot().validators, [
      { pubkey, index: 7, status: "pending_queued", balanceGwei: 1 },
    ]);
    assert.equal(clusterView(src.snapshot()).validators[0]?.effectiveness, null);
  });
});

test("docs/grafana-dashboard.json queries only metrics the node exports", async () => {
  const json = readFileSync(join(ROOT, "docs/grafana-dashboard.json"), "utf8");
  const dash = JSON.parse(json) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const m = createDvMetrics();
  m.dutyLatency.observe({ type: "attester" }, 0.1);
  m.consensusLatency.observe({ type: "attester" }, 0.1);
  m.consensusRounds.observe({ type: "attester" }, 1);
  registerPeerRtt(m.registry, [1, 2], (peer) => (peer === 1 ? 2.5 : undefined));
  const text = await m.registry.metrics();
  assert.match(text, /^rpdvt_peer_rtt_seconds\{peer="1"\} 0\.0025$/m);
  assert.doesNotMatch(text, /rpdvt_peer_rtt_seconds\{peer="2"\}/, "no sample while unmeasured");
  const exported = new Set(
    (await m.registry.metrics())
      .split("\n")
      .filter((l) => l.startsWith("# TYPE "))
      .map((l) => l.split(" ")[2]),
  );
  const used = new Set(
    dash.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        [...t.expr.matchAll(/rpdvt_[a-z_]+/g)].map((x) => x[0].replace(/_(bucket|sum|count)$/, "")),
      ),
    ),
  );
  assert.ok(used.size >= 8);
  for (const name of used) assert.ok(exported.has(name), `${name} is not exported`);
  for (const name of [
    "rpdvt_duty_outcomes_total",
    "rpdvt_duty_latency_seconds",
    "rpdvt_consensus_decided_round",
    "rpdvt_peers_seen",
    "rpdvt_peer_rtt_seconds",
  ]) {
    assert.ok(used.has(name), name);
  }
});

describe("dashboard POST /api/exit", () => {
  const PK = `0x${"01".repeat(48)}`;
  const calls: [string, number, number | undefined][] = [];
  // A node source over the fake snapshot and a stub node recording requestExit.
  const nodeStub = {
    tracker: { reports: () => [], pending: () => [], summary: () => ({}) },
    doppelgangers: () => [],
    requestExit: (pk: string, epoch: number, index?: number) => {
      calls.push([pk, epoch, index]);
    },
  } as unknown as Parameters<typeof nodeDashboardSource>[0];
  const transport = { peerId: "self", stats: () => ({ peers: [] }) } as unknown as Parameters<
    typeof nodeDashboardSource
  >[1];
  const def = {
    name: "c",
    threshold: 3,
    operators: [1, 2, 3, 4].map((id) => ({ id })),
    validators: [{ pubkey: PK }],
  } as unknown as Parameters<typeof nodeDashboardSource>[2];
  const source = nodeDashboardSource(nodeStub, transport, def, 2, { currentEpoch: () => 7 });
  let srv: Awaited<ReturnType<typeof startDashboardServer>>;
  let open: Awaited<ReturnType<typeof startDashboardServer>>;
  before(async () => {
    srv = await startDashboardServer({ source, token: TOKEN });
    open = await startDashboardServer({ source });
  });
  after(async () => {
    await srv.close();
    await open.close();
  });
  const post = (base: string, body: unknown, token = TOKEN) =>
    send(`${base}api/exit`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { "x-rpdvt-token": token } : {}),
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  test("refused 403 when the node has no token, 401 without / with a wrong token", async () => {
    const r403 = await post(open.url, { pubkey: PK }, TOKEN);
    assert.equal(r403.status, 403);
    assert.match(r403.body, /no dashboard token/);
    assert.equal((await post(srv.url, { pubkey: PK }, "")).status, 401);
    assert.equal((await post(srv.url, { pubkey: PK }, "wrong")).status, 401);
    assert.deepEqual(calls, []);
  });

  test("bad input is refused 400 and never reaches the node", async () => {
    for (const body of [
      "not json",
      "[]",
      {},
      { pubkey: "0x1234" },
      { pubkey: PK, epoch: -1 },
      { pubkey: PK, epoch: 1.5 },
      { pubkey: PK, validatorIndex: "x" },
      { pubkey: PK, extra: 1 },
      { pubkey: `0x${"02".repeat(48)}` }, // not a cluster validator
    ]) {
      const r = await post(srv.url, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${r.body}`);
      assert.ok(JSON.parse(r.body).error);
    }
    // Oversized: refused 413 once MAX_BODY_BYTES is passed (the rest is never read).
    assert.equal((await post(srv.url, "x".repeat(10_000))).status, 413);
    assert.deepEqual(calls, []);
  });

  test("accepted 202: requestExit gets the pubkey, epoch (given or current) and index", async () => {
    const a = await post(srv.url, {
      pubkey: PK.toUpperCase().replace("0X", "0x"),
      epoch: 12,
      validatorIndex: 48,
    });
    assert.equal(a.status, 202, a.body);
    assert.deepEqual(JSON.parse(a.body), {
      accepted: true,
      pubkey: PK,
      epoch: 12,
      validatorIndex: 48,
      operatorId: 2,
    });
    const b = await post(srv.url, { pubkey: PK, epoch: "13" });
    assert.equal(b.status, 202);
    const c = await post(srv.url, { pubkey: PK });
    assert.equal(JSON.parse(c.body).epoch, 7);
    assert.deepEqual(calls, [
      [PK, 12, 48],
      [PK, 13, undefined],
      [PK, 7, undefined],
    ]);
  });

  test("parseExitRequest", () => {
    assert.deepEqual(parseExitRequest(`{"pubkey":"${PK}","epoch":3}`), { pubkey: PK, epoch: 3 });
    assert.throws(() => parseExitRequest('{"pubkey":1}'), InputError);
  });

  test("rpdvt exit --cluster-nodes client: per-node accepted/refused, one epoch for all", async () => {
    calls.length = 0;
    assert.deepEqual(parseNodeUrls(`${srv.url}, ${open.url}`), [
      srv.url.replace(/\/$/, ""),
      open.url.replace(/\/$/, ""),
    ]);
    assert.throws(() => parseNodeUrls("ftp://x"), InputError);
    const urls = [open.url, srv.url, srv.url].map((u) => u.replace(/\/$/, ""));
    const res = await requestClusterExit(urls, TOKEN, { pubkey: PK });
    assert.equal(res.epoch, 7);
    assert.deepEqual(
      res.results.map((r) => [r.accepted, r.status]),
      [
        [false, 403],
        [true, 202],
        [true, 202],
      ],
    );
    assert.match(String(res.results[0]?.error), /no dashboard token/);
    assert.deepEqual(calls, [
      [PK, 7, undefined],
      [PK, 7, undefined],
    ]);
    const bad = await requestClusterExit(urls.slice(1), "nope", { pubkey: PK, epoch: 9 });
    assert.deepEqual(
      bad.results.map((r) => r.status),
      [401, 401],
    );
    const down = await requestClusterExit(["http://127.0.0.1:1"], TOKEN, { pubkey: PK, epoch: 9 });
    assert.equal(down.results[0]?.status, 0);
  });
});

describe("peer info (src/p2p/peerinfo.ts)", () => {
  type Msg = { from: number; to: number; bytes: Uint8Array };
  /** Two operators on a link the test drives: messages queue until delivered one by one. */
  function link() {
    const queue: Msg[] = [];
    const handlers = [
      new Set<(f: number, b: Uint8Array) => void>(),
      new Set<(f: number, b: Uint8Array) => void>(),
    ];
    const peerCbs: Array<(e: { index: number; peerId: string; connected: boolean }) => void> = [];
    let up = false;
    let clock = 0;
    const transport = (self: number) => ({
      channel: () => ({
        self,
        n: 2,
        send: (to: number, bytes: Uint8Array) => void queue.push({ from: self, to, bytes }),
        broadcast: () => {},
        onMessage: (cb: (f: number, b: Uint8Array) => void) => {
          handlers[self]?.add(cb);
          return () => void handlers[self]?.delete(cb);
        },
      }),
      onPeerChange: (cb: (e: { index: number; peerId: string; connected: boolean }) => void) => {
        const wrapped = (e: { index: number; peerId: string; connected: boolean }) =>
          e.index !== self && cb(e);
        peerCbs.push(wrapped);
        return () => {};
      },
      connectedPeers: () => (up ? [1 - self] : []),
    });
    return {
      transport,
      now: () => clock,
      setUp(connected: boolean) {
        up = connected;
        for (const cb of peerCbs) for (const index of [0, 1]) cb({ index, peerId: "", connected });
      },
      inject: (m: Msg) => queue.push(m),
      /** Deliver every queued message in order, the clock advancing 1 ms per delivery. */
      drain() {
        let delivered = 0;
        for (let m = queue.shift(); m; m = queue.shift()) {
          clock++;
          delivered++;
          for (const h of handlers[m.to] ?? []) h(m.from, m.bytes);
        }
        return delivered;
      },
    };
  }
  const opts = (l: ReturnType<typeof link>, version: string) =>
    ({ version, now: l.now, intervalMs: 60_000 }) as const;

  test("versions are exchanged; the RTT is measured after a warm-up exchange", () => {
    const l = link();
    const a = startPeerInfo(l.transport(0) as never, opts(l, "1.0.0"));
    const b = startPeerInfo(l.transport(1) as never, opts(l, "2.0.0"));
    try {
      assert.equal(a.get(1), undefined);
      l.setUp(true);
      // ping ×2, pong ×2 (warm-up: no RTT), ping ×2, pong ×2.
      assert.equal(l.drain(), 8);
      assert.equal(a.get(1)?.version, "2.0.0");
      assert.equal(b.get(0)?.version, "1.0.0");
      // A's second ping left at t = 3 and its pong arrived at t = 7.
      assert.equal(a.get(1)?.rttMs, 4);
      assert.equal(b.get(0)?.rttMs, 4);

      l.setUp(false);
      assert.equal(a.get(1)?.rttMs, undefined);
      assert.equal(a.get(1)?.version, "2.0.0", "the last version known stays");
    } finally {
      a.stop();
      b.stop();
    }
  });

  test("bad messages are ignored; a bad version shows as invalid; stop detaches", () => {
    const l = link();
    const a = startPeerInfo(l.transport(0) as never, opts(l, "1.0.0"));
    const bytes = (s: string) => Buffer.from(s, "utf8");
    for (const s of [
      "not json",
      "null",
      '{"type":"hello","version":"1","t":1}',
      '{"type":"ping","version":"1"}',
      `{"type":"ping","version":"1","t":1,"pad":"${"x".repeat(300)}"}`,
    ])
      l.inject({ from: 1, to: 0, bytes: bytes(s) });
    l.drain();
    assert.equal(a.get(1), undefined);
    l.inject({ from: 1, to: 0, bytes: bytes('{"type":"ping","version":"<b>x</b>","t":1}') });
    assert.equal(l.drain(), 2, "the ping is answered");
    assert.equal(a.get(1)?.version, "invalid");
    // A pong nobody asked for yields no RTT.
    l.inject({ from: 1, to: 0, bytes: bytes('{"type":"pong","version":"2.0.0","t":12345}') });
    l.drain();
    assert.equal(a.get(1)?.rttMs, undefined);
    assert.equal(a.get(1)?.version, "2.0.0");
    a.stop();
    l.inject({ from: 1, to: 0, bytes: bytes('{"type":"ping","version":"3.0.0","t":1}') });
    assert.equal(l.drain(), 1, "no answer after stop");
    assert.equal(a.get(1)?.version, "2.0.0");
  });
});
