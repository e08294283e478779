/**
 * The interop-vector resolver (test/vectors.ts): a clone without ../shared/vectors fetches each
 * pinned file over HTTP(S) into a cache and checks its sha256 — here against a local server on
 * 127.0.0.1 standing in for raw.githubusercontent.com (same URL layout
 * `/<owner>/<repo>/<commit>/<path>`); a wrong hash, a 404 or an unreachable host fail with one
 * line saying what to provide; a present shared folder is used as is, but checked too.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exists, makeTempDir } from "../../helpers.js";
import { resolveVector, type VectorEntry, vectorLock, vectorPath } from "../../vectors.js";

const COMMIT = "653210cbfddeaf05ff514e084c5a1ab18469b7d1";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const entry = (path: string, content: string): VectorEntry => ({
  repo: "ssvlabs/ssv-dkg",
  commit: COMMIT,
  path,
  sha256: sha(content),
  bytes: Buffer.byteLength(content),
});

const INFO = '{"1":"op1"}\n';
const PW = "12345678";
/** What the server serves at each URL path. */
const served = new Map<string, string>([
  [`/ssvlabs/ssv-dkg/${COMMIT}/examples/initiator/operators_info.json`, INFO],
  [`/ssvlabs/ssv-dkg/${COMMIT}/examples/operator1/password`, PW],
  [`/ssvlabs/ssv-dkg/${COMMIT}/examples/tampered.json`, "not what was pinned"],
]);
const LOCK: Record<string, VectorEntry> = {
  "ssv/ops/operators_info.json": entry("examples/initiator/operators_info.json", INFO),
  "ssv/ops/pw1": entry("examples/operator1/password", PW),
  "ssv/tampered.json": { ...entry("examples/tampered.json", "what was pinned") },
  "ssv/gone.json": entry("examples/gone.json", "x"),
};

let server: Server;
let base = "";
let hits: string[] = [];
let dir = "";

describe("interop vectors: pinned sources, sha256, cache", () => {
  before(async () => {
    dir = await makeTempDir("vectors");
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      const body = served.get(req.url ?? "");
      res.writeHead(body === undefined ? 404 : 200).end(body ?? "404: Not Found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test("no shared folder: fetched from <base>/<repo>/<commit>/<path> into the cache, checked, then served from the cache", async () => {
    hits = [];
    const cacheDir = join(dir, "cache1");
    const o = { sharedDir: join(dir, "no-such-shared"), cacheDir, baseUrl: base, lock: LOCK };
    const p = await resolveVector("ssv/ops/operators_info.json", o);
    assert.equal(p, join(cacheDir, "ssv/ops/operators_info.json"));
    assert.equal(await fsp.readFile(p, "utf8"), INFO);
    assert.deepEqual(hits, [`/ssvlabs/ssv-dkg/${COMMIT}/examples/initiator/operators_info.json`]);
    // again: from the cache, no request
    assert.equal(await resolveVector("ssv/ops/operators_info.json", o), p);
    assert.equal(hits.length, 1);
    // a corrupted cache entry is fetched again, not trusted
    await fsp.writeFile(p, "corrupt");
    await resolveVector("ssv/ops/operators_info.json", o);
    assert.equal(hits.length, 2);
    assert.equal(await fsp.readFile(p, "utf8"), INFO);
    // a folder name resolves every file under it
    const folder = await resolveVector("ssv/ops", o);
    assert.equal(folder, join(cacheDir, "ssv/ops"));
    assert.equal(await fsp.readFile(join(folder, "pw1"), "utf8"), PW);
  });

  test("a fetched file whose sha256 differs from the lock: one clear line, nothing cached", async () => {
    const cacheDir = join(dir, "cache2");
    const o = { sharedDir: undefined, cacheDir, baseUrl: base, lock: LOCK };
    const err = await resolveVector("ssv/tampered.json", o).then(
      () => assert.fail("accepted a file with the wrong hash"),
      (e: Error) => e,
    );
    assert.match(
      err.message,
      /ssv\/tampered\.json fetched from http:\/\/127\.0\.0\.1:\d+\/.*has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}/,
    );
    assert.match(
      err.message,
      /provide ssv\/tampered\.json .* in \.\.\/shared\/vectors or RPDVT_VECTORS_DIR/,
    );
    assert.doesNotMatch(err.message, /\n/);
    assert.equal(await exists(join(cacheDir, "ssv/tampered.json")), false);
  });

  test("404 and an unreachable host: one line naming the URL, the reason and what to provide", async () => {
    const cacheDir = join(dir, "cache3");
    const gone = await resolveVector("ssv/gone.json", {
      sharedDir: undefined,
      cacheDir,
      baseUrl: base,
      lock: LOCK,
    }).then(
      () => assert.fail("resolved a file the server does not have"),
      (e: Error) => e,
    );
    assert.match(gone.message, /examples\/gone\.json failed \(HTTP 404\)/);
    assert.doesNotMatch(gone.message, /\n/);
    // a port nothing listens on
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await resolveVector("ssv/ops/pw1", {
      sharedDir: undefined,
      cacheDir,
      baseUrl: `http://127.0.0.1:${port}`,
      lock: LOCK,
    }).then(
      () => assert.fail("resolved without a source"),
      (e: Error) => e,
    );
    assert.match(
      down.message,
      /\.\.\/shared\/vectors is absent and http:\/\/127\.0\.0\.1:\d+\/ssvlabs\/ssv-dkg\/.* failed \(.*ECONNREFUSED.*\)/,
    );
    assert.match(
      down.message,
      /provide ssv\/ops\/pw1 \(sha256 [0-9a-f]{64}, from ssvlabs\/ssv-dkg@653210c:examples\/operator1\/password\)/,
    );
    assert.doesNotMatch(down.message, /\n/);
  });

  test("a present shared folder is used without fetching, and its files are checked", async () => {
    hits = [];
    const shared = join(dir, "shared");
    await fsp.mkdir(join(shared, "ssv/ops"), { recursive: true });
    await fsp.writeFile(join(shared, "ssv/ops/pw1"), PW);
    const o = { sharedDir: shared, cacheDir: join(dir, "cache4"), baseUrl: base, lock: LOCK };
    assert.equal(await resolveVector("ssv/ops/pw1", o), join(shared, "ssv/ops/pw1"));
    assert.equal(hits.length, 0);
    await fsp.writeFile(join(shared, "ssv/ops/pw1"), "edited");
    await assert.rejects(
      resolveVector("ssv/ops/pw1", o),
      /ops\/pw1 has sha256 [0-9a-f]{64}, not the pinned/,
    );
    // missing from an existing shared folder: an error, not a silent download
    await assert.rejects(
      resolveVector("ssv/ops/operators_info.json", o),
      /operators_info\.json is missing: provide/,
    );
    assert.equal(hits.length, 0);
    await assert.rejects(
      resolveVector("ssv/nothing", o),
      /No interop vector "ssv\/nothing" in .*vectors\.lock\.json/,
    );
  });

  test("the lock pins every vector to a full commit and a sha256, and each one resolves here", async () => {
    const lock = vectorLock();
    const names = Object.keys(lock);
    // ssv: 3 keyshares files + 13 operator keys, 13 passwords, operators_info; rocketpool: 3
    assert.equal(names.length, 33, names.join(" "));
    for (const [name, e] of Object.entries(lock)) {
      assert.match(e.commit, /^[0-9a-f]{40}$/, name);
      assert.match(e.sha256, /^[0-9a-f]{64}$/, name);
      assert.match(e.repo, /^[\w.-]+\/[\w.-]+$/, name);
    }
    for (const folder of ["ssv/dkg-operators", "rocketpool"]) {
      const p = await vectorPath(folder);
      assert.ok(
        await exists(join(p, folder === "rocketpool" ? "rp-rewards-mainnet-20.json" : "op13.json")),
      );
    }
    for (const f of ["ssv/dkg-4.json", "ssv/sdk-valid_keyshares.json", "ssv/old-shares.json"])
      assert.ok(await exists(await vectorPath(f)), f);
  });
});
