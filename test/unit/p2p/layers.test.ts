/**
 * Layers of the lower packages (issue 14, layer breaks): p2p carries protocols without importing
 * them or core (its own bounds must still agree with what it carries); the QBFT package is
 * self-contained (itself, errors, util, crypto); util imports only errors; keysplit not p2p.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MAX_OPERATORS } from "../../../src/core/consensus/codec.js";
import { MAX_PEERS, QBFT_PROTOCOL } from "../../../src/p2p/transport.js";
import { ROOT } from "../../support/root.js";

const root = join(ROOT, "src");

async function importsOf(dir: string): Promise<{ file: string; spec: string }[]> {
  const out: { file: string; spec: string }[] = [];
  for (const f of await readdir(join(root, dir))) {
    if (!f.endsWith(".ts")) continue;
    const text = await readFile(join(root, dir, f), "utf8");
    for (const m of text.matchAll(/^import[^;]*?from "([^"]+)";/gms))
      out.push({ file: `${dir}/${f}`, spec: m[1] as string });
  }
  return out;
}

describe("p2p / consensus layering", () => {
  it("p2p's peer bound equals QBFT's operator bound", () => {
    assert.equal(MAX_PEERS, MAX_OPERATORS);
    assert.equal(QBFT_PROTOCOL, "/rpdvt/qbft/1.0.0");
  });

  it("p2p imports nothing from core; consensus only itself, errors, util and crypto", async () => {
    const p2p = (await importsOf("p2p")).filter((i) => i.spec.includes("/core/"));
    assert.deepEqual(p2p, []);
    const qbft = (await importsOf("core/consensus")).filter(
      (i) =>
        i.spec.startsWith(".") && !/^(\.\/|\.\.\/\.\.\/(errors\.js|util\/|crypto\/))/.test(i.spec),
    );
    assert.deepEqual(qbft, []);
  });

  it("util imports nothing above it (no crypto, p2p, core)", async () => {
    const bad = (await importsOf("util")).filter((i) => /^\.\.\/(?!errors\.js)/.test(i.spec));
    assert.deepEqual(bad, []);
  });

  it("keysplit does not import p2p", async () => {
    const bad = (await importsOf("keysplit")).filter((i) => i.spec.includes("/p2p/"));
    assert.deepEqual(bad, []);
  });
});
