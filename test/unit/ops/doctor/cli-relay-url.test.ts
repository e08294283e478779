/**
 * `rpdvt doctor --relay-url` (src/cli/doctor.ts): repeatable, every URL checked before any work
 * (a bad one → an InputError naming the flag, nothing requested, no stack trace), and the URLs
 * reach the builder check through DoctorInputs (src/ops/doctor/types.ts `relayUrls`): a relay
 * double on 127.0.0.1 sees the status request of each one given.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { doctorCommand } from "../../../../src/cli/doctor.js";

/** Run `rpdvt doctor …` in-process; stdout, stderr and the exit code it set. */
async function doctor(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = "";
  let err = "";
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  // Strings are the command's; the test runner's own reports (Buffers) pass through.
  process.stdout.write = ((c: string | Uint8Array, ...rest: never[]) => {
    if (typeof c !== "string") return w1(c, ...rest);
    out += c;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array, ...rest: never[]) => {
    if (typeof c !== "string") return w2(c, ...rest);
    err += c;
    return true;
  }) as typeof process.stderr.write;
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await doctorCommand().parseAsync(["node", "doctor", ...args]);
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { out, err, code };
}

describe("rpdvt doctor --relay-url", () => {
  let server: Server;
  let url = "";
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(req.url === "/eth/v1/builder/status" ? 200 : 404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("a bad URL (among good ones) is refused before any request, naming the flag", async () => {
    for (const bad of ["ftp://relay.example", "relay.example:18550", "http://"]) {
      seen.length = 0;
      const r = await doctor(["--relay-url", url, "--relay-url", bad, "--json"]);
      assert.equal(r.code, 1, bad);
      assert.match(r.err, /Error: Not a relay URL/);
      assert.match(r.err, /Field: --relay-url/);
      assert.match(r.err, /http\(s\):\/\/host\[:port\]/);
      assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
      assert.equal(r.out, "", "no half-written output");
      assert.deepEqual(seen, [], "nothing requested");
    }
    const t = await doctor(["--relay-url", url, "--timeout", "abc"]);
    assert.equal(t.code, 1);
    assert.match(t.err, /--timeout abc must be an integer/);
  });

  it("every URL given reaches the builder check (with the relay's pubkey as user info)", async () => {
    seen.length = 0;
    const r = await doctor([
      "--relay-url",
      url,
      "--relay-url",
      `http://0x${"ab".repeat(48)}@${url.slice("http://".length)}/`,
      "--json",
    ]);
    const rows = JSON.parse(r.out) as {
      results: { name: string; status: string; detail: string }[];
    };
    const b = rows.results.find((x) => x.name === "builder (MEV-Boost)");
    assert.equal(b?.status, "pass", JSON.stringify(b));
    assert.match(b?.detail ?? "", /2\/2 relay\(s\) up/);
    assert.equal(seen.filter((s) => s === "GET /eth/v1/builder/status").length, 2);
  });
});
