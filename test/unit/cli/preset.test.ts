/**
 * The entry point's preset choice (src/cli/preset.ts, used by bin/rpdvt.js before any @lodestar
 * import): nobody sets LODESTAR_PRESET by hand — `demo`/`devnet` get the devnet's minimal preset,
 * a command with a beacon node gets that node's PRESET_BASE (a local server on 127.0.0.1 plays the
 * beacon node), an explicit LODESTAR_PRESET wins, an unreachable node falls back to the default.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { beaconUrlOf, choosePreset, DEVNET_PRESET } from "../../../src/cli/preset.js";

let server: Server;
let base = "";
let requests: string[] = [];
/** PRESET_BASE the fake beacon node answers with (undefined: a spec without it). */
let presetBase: unknown = "minimal";

describe("entry point: consensus preset", () => {
  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url === "/eth/v1/config/spec") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ data: { PRESET_BASE: presetBase, SLOTS_PER_EPOCH: "8" } }));
      } else if (req.url?.startsWith("/slow/")) {
        setTimeout(() => res.writeHead(200).end("{}"), 2_000);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  test("demo and devnet run the devnet's minimal preset, without asking any beacon node", async () => {
    requests = [];
    assert.equal(DEVNET_PRESET, "minimal");
    for (const args of [
      ["demo", "--json"],
      ["devnet", "start"],
      ["demo", "--beacon-url", base],
    ]) {
      assert.deepEqual(await choosePreset(args, {}), { preset: "minimal", source: "devnet" });
    }
    assert.deepEqual(requests, []);
  });

  test("a command with a beacon node loads the preset that node runs (first --beacon-url)", async () => {
    requests = [];
    presetBase = "minimal";
    const run = ["node", "run", "--cluster", "c", "--beacon-url", base, "--beacon-url", "http://x"];
    assert.deepEqual(await choosePreset(run, {}), {
      preset: "minimal",
      source: "beacon",
      beaconUrl: base,
    });
    assert.deepEqual(requests, ["/eth/v1/config/spec"]);
    presetBase = "mainnet";
    assert.equal((await choosePreset(["exit", `--beacon-url=${base}/`], {})).preset, "mainnet");
    presetBase = "gnosis";
    assert.equal(
      (await choosePreset(["reputation", "score", "--beacon", base], {})).preset,
      "gnosis",
    );
  });

  test("an explicit LODESTAR_PRESET wins; no beacon node, --help and setup ask nobody", async () => {
    requests = [];
    assert.deepEqual(
      await choosePreset(["node", "run", "--beacon-url", base], { LODESTAR_PRESET: "mainnet" }),
      {
        preset: "mainnet",
        source: "env",
      },
    );
    assert.deepEqual(await choosePreset(["demo"], { LODESTAR_PRESET: "mainnet" }), {
      preset: "mainnet",
      source: "env",
    });
    assert.deepEqual(await choosePreset(["keys", "list", "--json"], {}), {
      preset: undefined,
      source: "default",
    });
    assert.equal(
      (await choosePreset(["node", "run", "--beacon-url", base, "--help"], {})).source,
      "default",
    );
    assert.equal(
      (await choosePreset(["setup", "rpdvt-node", "--beacon-url", base], {})).source,
      "default",
    );
    assert.deepEqual(requests, []);
  });

  test("an unreachable, slow or odd beacon node: default preset, with the reason kept", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await choosePreset(
      ["node", "run", "--beacon-url", `http://127.0.0.1:${port}`],
      {},
    );
    assert.equal(down.preset, undefined);
    assert.equal(down.source, "default");
    assert.match(down.reason ?? "", /ECONNREFUSED/);
    const slow = await choosePreset(
      ["doctor", "--beacon-url", `${base}/slow`],
      {},
      { timeoutMs: 200 },
    );
    assert.equal(slow.preset, undefined);
    assert.match(slow.reason ?? "", /abort|timeout/i);
    presetBase = "not-a-preset";
    const odd = await choosePreset(["exit", "--beacon-url", base], {});
    assert.equal(odd.preset, undefined);
    assert.match(odd.reason ?? "", /no known PRESET_BASE \("not-a-preset"\)/);
  });

  test("beaconUrlOf reads --beacon-url URL, --beacon-url=URL and --beacon URL, stops at --", () => {
    assert.equal(
      beaconUrlOf(["node", "run", "--beacon-url", "http://a", "--beacon-url", "http://b"]),
      "http://a",
    );
    assert.equal(beaconUrlOf(["exit", "--beacon-url=http://c"]), "http://c");
    assert.equal(beaconUrlOf(["reputation", "verify", "--beacon", "http://d"]), "http://d");
    assert.equal(beaconUrlOf(["keys", "list"]), undefined);
    assert.equal(beaconUrlOf(["x", "--", "--beacon-url", "http://e"]), undefined);
  });
});
