/**
 * `node run`'s key-guard flags (src/ops/guard/flags.ts): every bad value is a clear InputError
 * naming the flag (and file) before anything starts; the token never appears in an error.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InputError } from "../../../../src/errors.js";
import { checkKeymanagerUrl, guardSources } from "../../../../src/ops/guard/flags.js";
import { makeTempDir } from "../../../helpers.js";

let dir: string;
before(async () => {
  dir = await makeTempDir("guard-flags");
  await fsp.mkdir(join(dir, "rp", "data", "validators"), { recursive: true });
  await fsp.writeFile(join(dir, "rp", "data", "wallet"), "{}", { mode: 0o600 });
  await fsp.writeFile(join(dir, "token"), "s3cret-token\n", { mode: 0o600 });
  await fsp.writeFile(join(dir, "open-token"), "s3cret-token\n", { mode: 0o644 });
  await fsp.chmod(join(dir, "open-token"), 0o644);
  await fsp.mkdir(join(dir, "not-smartnode"));
});
after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** The InputError `fn` rejects with (fails the test otherwise). */
async function inputError(fn: () => Promise<unknown>): Promise<InputError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.ok(!err.message.includes("s3cret-token"), "the token never goes into an error");
    return err;
  }
  assert.fail("expected an InputError");
}

describe("key guard flags", () => {
  it("no flag: no source; a Smartnode folder (root or data) and a keymanager: one source each", async () => {
    assert.deepEqual(await guardSources({}), []);
    const a = await guardSources({ rocketpoolDir: join(dir, "rp") });
    assert.deepEqual(
      a.map((s) => s.name),
      [join(dir, "rp", "data")],
    );
    const b = await guardSources({
      rocketpoolDir: join(dir, "rp", "data"),
      keymanagerUrl: "http://127.0.0.1:5062/",
      keymanagerTokenFile: join(dir, "token"),
    });
    assert.deepEqual(
      b.map((s) => s.name),
      [join(dir, "rp", "data"), "http://127.0.0.1:5062"],
    );
  });

  it("--rocketpool-dir: missing, a file, not a Smartnode folder → errors naming the flag", async () => {
    for (const [path, msg] of [
      [join(dir, "nope"), /Smartnode folder not found/],
      [join(dir, "token"), /got a file/],
      [join(dir, "not-smartnode"), /Not a Rocket Pool Smartnode data folder/],
    ] as const) {
      const e = await inputError(() => guardSources({ rocketpoolDir: path }));
      assert.match(e.message, msg);
      assert.equal(e.field, "--rocketpool-dir");
      assert.ok(e.file);
    }
  });

  it("--keymanager-url: not a URL, plain http off-host, credentials → refused; https and localhost pass", async () => {
    assert.equal(checkKeymanagerUrl("https://vc.example:5062"), "https://vc.example:5062");
    assert.equal(checkKeymanagerUrl("http://localhost:5062"), "http://localhost:5062");
    assert.equal(checkKeymanagerUrl("http://[::1]:5062"), "http://[::1]:5062");
    for (const [url, msg] of [
      ["5062", /not a URL/],
      ["http://192.168.1.20:5062", /http on 127.0.0.1 \/ localhost, or https/],
      ["ftp://127.0.0.1:5062", /or https/],
      ["https://user:pw@vc.example", /credentials/],
    ] as const) {
      assert.throws(
        () => checkKeymanagerUrl(url),
        (e: unknown) =>
          e instanceof InputError && msg.test(e.message) && e.field === "--keymanager-url",
      );
    }
  });

  it("token file: missing pair, readable by others, absent → errors naming --keymanager-token-file", async () => {
    let e = await inputError(() => guardSources({ keymanagerUrl: "http://127.0.0.1:5062" }));
    assert.equal(e.field, "--keymanager-token-file");
    assert.match(e.message, /needs --keymanager-token-file/);
    e = await inputError(() => guardSources({ keymanagerTokenFile: join(dir, "token") }));
    assert.match(e.message, /needs --keymanager-url/);
    e = await inputError(() =>
      guardSources({
        keymanagerUrl: "http://127.0.0.1:5062",
        keymanagerTokenFile: join(dir, "open-token"),
      }),
    );
    assert.match(e.message, /readable by other users/);
    assert.equal(e.field, "--keymanager-token-file");
    e = await inputError(() =>
      guardSources({
        keymanagerUrl: "http://127.0.0.1:5062",
        keymanagerTokenFile: join(dir, "missing"),
      }),
    );
    assert.match(e.message, /not found/);
  });
});
