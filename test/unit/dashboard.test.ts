/**
 * The dashboard handler over a fake status source: JSON endpoints (cluster view, planner against
 * src/plan directly), Server-Sent Events, the HTML page, the token check on POST, the Host guard,
 * and the node source over stub node/transport objects.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { createDvMetrics } from "../../src/core/metrics.js";
import type { DutyReport } from "../../src/core/tracker/tracker.js";
import { hasValidToken, isLoopbackHost } from "../../src/dashboard/auth.js";
import { createFakeSource, FAKE_FAILURE_REASONS } from "../../src/dashboard/fake-source.js";
import { startDashboardServer } from "../../src/dashboard/handler.js";
import { nodeDashboardSource } from "../../src/dashboard/node-source.js";
import { parsePlanQuery, type planDashboard } from "../../src/dashboard/plan.js";
import { clusterView, quantile, shortKey } from "../../src/dashboard/view.js";
import { sybilExact } from "../../src/plan/sybil/exact.js";

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

  test("POST without (or with a wrong) token is refused 401; with it, 405", async () => {
    const none = await send(`${srv.url}api/exit`, { method: "POST", body: "{}" });
    assert.equal(none.status, 401);
    assert.match(String(none.headers["www-authenticate"]), /Bearer/);
    const wrong = await send(`${srv.url}api/exit`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    const right = await send(`${srv.url}api/exit`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(right.status, 405);
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

  test("node source: operators from the definition, state from the transport", () => {
    const report: DutyReport = {
      slot: 5,
      dutyType: 1,
      type: "attester",
      pubkey: "0xaa",
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
        validators: [{ pubkey: "0xaa", shares: [], feeRecipient: "0x" }],
      },
      1,
    );
    const snap = src.snapshot();
    assert.deepEqual(
      snap.operators.map((o) => [o.id, o.peerId, o.self, o.online]),
      [
        [1, "self-peer", true, true],
        [2, "p2", false, true],
        [3, "p3", false, false],
      ],
    );
    const v = clusterView(snap);
    assert.equal(v.validators[0]?.lastDuties[0]?.outcome, "success");
    assert.equal(v.consensus.latencyMs.p50, 120);
  });
});

test("docs/grafana-dashboard.json queries only metrics the node exports", async () => {
  const json = readFileSync(new URL("../../docs/grafana-dashboard.json", import.meta.url), "utf8");
  const dash = JSON.parse(json) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const m = createDvMetrics();
  m.dutyLatency.observe({ type: "attester" }, 0.1);
  m.consensusLatency.observe({ type: "attester" }, 0.1);
  m.consensusRounds.observe({ type: "attester" }, 1);
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
  ]) {
    assert.ok(used.has(name), name);
  }
});
