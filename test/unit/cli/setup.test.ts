/**
 * `rpdvt setup ssv-node | rpdvt-node` flags (src/cli/setup.ts): port flags are checked before
 * anything is written; good flags write the folder and print the guide.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { setupCommand } from "../../../src/cli/setup.js";
import { makeTempDir } from "../../helpers.js";
import { runCommand } from "../../support/run-cli.js";

test("setup ssv-node refuses a port that is not 1..65535 before writing anything", async () => {
  const dir = await makeTempDir("setup-ports");
  try {
    for (const [flag, value] of <[string, string][]>[
      ["--p2p-tcp-port", "abc"],
      ["--p2p-udp-port", "70000"],
      ["--metrics-port", "0"],
    ]) {
      const out = join(dir, `ssv-${flag.slice(2)}`);
      const r = await runCommand(setupCommand(), ["ssv-node", "--out", out, flag, value]);
      assert.notEqual(r.code ?? 0, 0, `${flag} ${value} was accepted`);
      assert.match(r.stderr, new RegExp(`${flag}.*whole number in`), r.stderr);
      assert.equal(existsSync(out), false, `${out} was written`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("setup ssv-node with valid ports writes config.yaml with them ", async () => {
  const dir = await makeTempDir("setup-ports-ok");
  try {
    const out = join(dir, "ssv");
    const r = await runCommand(setupCommand(), [
      "ssv-node",
      "--out",
      out,
      "--p2p-tcp-port",
      "13101",
      "--metrics-port",
      "15001",
      "--json",
    ]);
    assert.equal(r.code, undefined, r.stderr);
    assert.equal(JSON.parse(r.stdout).out, out);
    const config = await readFile(join(out, "config.yaml"), "utf8");
    assert.match(config, /TcpPort: 13101\n/);
    assert.match(config, /UdpPort: 12001\n/);
    assert.match(config, /MetricsAPIPort: 15001\n/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
