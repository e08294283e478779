/**
 * Doctor's "builder (MEV-Boost)" check (src/ops/doctor/builder.ts) against local servers: relays
 * that answer builder-specs' status and relay-specs' registration data API, one that is down, a
 * MEV-Boost-like endpoint without the data API, and a relay holding a registration with another
 * fee recipient. 24 validators of mixed Rocket Pool recipients (distributors and the smoothing
 * pool), some not registered (pending). Verdicts: all registered right → pass; one relay down →
 * warn; some missing → warn naming them and the beacon client's builder flag; a wrong recipient →
 * fail; nothing up → fail; no --relay-url → skip.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../../../src/devnet/index.js";
import { builderCheck, relayEndpoint } from "../../../../src/ops/doctor/builder.js";
import { runDoctor } from "../../../../src/ops/doctor/doctor.js";
import type { DoctorContext } from "../../../../src/ops/doctor/types.js";

const SP = "0xd4e96ef8eee8678dbff4d535e033ed1a4f7605b7";
const VALS = Array.from({ length: 24 }, (_, i) => ({
  pubkey: `0x${(i + 1).toString(16).padStart(96, "a")}`,
  feeRecipient:
    i % 3 === 0 ? SP : `0x${(0xb000 + Math.floor(i / 4)).toString(16).padStart(40, "0")}`,
  shares: [],
}));

type Registry = Map<string, string>;
function relayServer(registry: Registry | "no-data-api"): Server {
  return createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    if (u.pathname === "/eth/v1/builder/status") return void res.writeHead(200).end();
    if (u.pathname === "/relay/v1/data/validator_registration" && registry !== "no-data-api") {
      const pk = u.searchParams.get("pubkey") ?? "";
      const fr = registry.get(pk);
      if (!fr)
        return void res
          .writeHead(400, { "content-type": "application/json" })
          .end(JSON.stringify({ code: 400, message: "no registration found for validator" }));
      return void res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          message: { fee_recipient: fr, gas_limit: "30000000", timestamp: "1", pubkey: pk },
          signature: `0x${"00".repeat(96)}`,
        }),
      );
    }
    res.writeHead(404).end();
  });
}

async function listen(s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const ctxOf = (relayUrls: string[], withCluster = true, versionOf?: string): DoctorContext =>
  ({
    inp: { relayUrls },
    timeoutMs: 2000,
    now: Date.now,
    ...(withCluster ? { cluster: { validators: VALS } } : {}),
    ...(versionOf ? { beacon: { version: async () => versionOf } } : {}),
  }) as unknown as DoctorContext;

describe("doctor: builder (MEV-Boost) check", () => {
  const servers: Server[] = [];
  let full: string;
  let partial: string;
  let wrong: string;
  let boost: string;
  let down: string;
  before(async () => {
    const all: Registry = new Map(VALS.map((v) => [v.pubkey, v.feeRecipient]));
    const some: Registry = new Map(VALS.slice(0, 20).map((v) => [v.pubkey, v.feeRecipient]));
    const bad: Registry = new Map(all);
    bad.set((VALS[4] as (typeof VALS)[0]).pubkey, "0x00000000000000000000000000000000000000ee");
    for (const reg of [all, some, bad, "no-data-api"] as const) {
      const s = relayServer(reg);
      servers.push(s);
    }
    [full, partial, wrong, boost] = (await Promise.all(servers.map(listen))) as [
      string,
      string,
      string,
      string,
    ];
    down = `http://127.0.0.1:${await freePort()}`;
  });
  after(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });

  it("every validator registered with its Rocket Pool recipient at every relay: pass (relay pubkey user info dropped)", async () => {
    const withKey = full.replace(
      "http://",
      "http://0xac6e77dfe25ecd6110b8e780608cce0dab71fdd5ebea22a16c0205200f2f8e2e3ad3b71d3499c54ad14d6c21b41a37ae@",
    );
    const o = await builderCheck.run(ctxOf([withKey, boost]));
    assert.equal(o.status, "pass", o.detail);
    assert.match(
      o.detail,
      /2\/2 relay\(s\) up; 24\/24 validator registration\(s\) with the Rocket Pool fee recipient at 1 relay/,
    );
  });

  it("a relay down: warn naming it", async () => {
    const o = await builderCheck.run(ctxOf([full, down]));
    assert.equal(o.status, "warn");
    assert.ok(o.detail.includes(`down: ${down}`), o.detail);
  });

  it("validators missing at a relay: warn naming them and the beacon client's builder flag", async () => {
    const o = await builderCheck.run(ctxOf([partial], true, "Lighthouse/v7.1.0-abc/x86_64-linux"));
    assert.equal(o.status, "warn");
    assert.match(o.detail, /20\/24/);
    assert.ok(o.detail.includes((VALS[20] as (typeof VALS)[0]).pubkey.slice(0, 12)), o.detail);
    assert.match(o.hint ?? "", /--builder <MEV-Boost URL>/);
  });

  it("a registration with another fee recipient: fail (oDAO penalty), whatever the other relays say", async () => {
    const o = await builderCheck.run(ctxOf([full, wrong]));
    assert.equal(o.status, "fail");
    assert.match(o.detail, /1 registration\(s\) with a fee recipient Rocket Pool does not allow/);
    assert.match(o.detail, /0x00000000000000000000000000000000000000ee/);
  });

  it("nothing answers: fail; no cluster: relays only; no --relay-url: skipped; bad URL: fail naming it", async () => {
    const none = await builderCheck.run(ctxOf([down]));
    assert.equal(none.status, "fail");
    assert.match(none.hint ?? "", /fall back to local blocks/);
    const relaysOnly = await builderCheck.run(ctxOf([full], false));
    assert.equal(relaysOnly.status, "pass");
    assert.match(relaysOnly.detail, /give --cluster/);
    const rows = await runDoctor({}, [builderCheck]);
    assert.deepEqual(rows, [
      { name: "builder (MEV-Boost)", status: "skip", detail: "no --relay-url given" },
    ]);
    const bad = await runDoctor({ relayUrls: ["not a url"] }, [builderCheck]);
    assert.equal(bad[0]?.status, "fail");
    assert.match(bad[0]?.detail ?? "", /Not a relay URL: "not a url"/);
    assert.equal(relayEndpoint("https://0xab@relay.example/"), "https://relay.example");
  });
});
