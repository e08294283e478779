/**
 * The devnet's MEV-Boost launch pieces (src/devnet/mev.ts, lodestar-cli.ts): Lodestar's builder
 * flags (the names 1.5.1 and 1.39 both accept) and the proposer settings file that keeps
 * Lodestar's own validators off the builder — every one of them, each by its interop key, in the
 * YAML shape Lodestar's parseProposerConfig reads (`builder.enabled` a "false" string). Checked
 * by hand against Lodestar 1.5.1: with the file, its 48 validators sent 0 registrations and
 * proposed 10 engine blocks in 50 s while its beacon node had the relay as builder.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { builderArgs, interopPublicKey } from "../../../src/devnet/index.js";
import { writeBuilderOff } from "../../../src/devnet/mev.js";
import { toHex } from "../../../src/util/hex.js";
import { makeTempDir } from "../../helpers.js";

test("builderArgs: --builder and --builder.urls, a selection only when asked", () => {
  assert.deepEqual(builderArgs("http://127.0.0.1:18550"), [
    "--builder",
    "--builder.urls",
    "http://127.0.0.1:18550",
  ]);
  assert.deepEqual(builderArgs("http://127.0.0.1:1", "builderalways").slice(-2), [
    "--builder.selection",
    "builderalways",
  ]);
});

test("writeBuilderOff: the builder disabled for each validator of the range, none other", async () => {
  const dir = await makeTempDir("mev-settings");
  try {
    const file = await writeBuilderOff(join(dir, "devnet"), "0..47");
    assert.equal(file, join(dir, "devnet", "proposer-settings.yaml"));
    const text = await fsp.readFile(file, "utf8");
    const keys = [...text.matchAll(/^ {2}"(0x[0-9a-f]{96})":$/gm)].map((m) => m[1]);
    assert.equal(keys.length, 48);
    assert.deepEqual(
      keys,
      Array.from({ length: 48 }, (_, i) => toHex(interopPublicKey(i))),
    );
    assert.equal(text.match(/^ {6}enabled: "false"$/gm)?.length, 48);
    assert.ok(!text.includes(toHex(interopPublicKey(48))), "a squad validator is not listed");
    assert.match(text, /^proposer_config:\n/);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
