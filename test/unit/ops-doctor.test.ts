/**
 * `rpdvt doctor`: a node whose cluster keys are still in the Smartnode, with a wrong fee
 * recipient, a world-readable share, a skewed clock, an unreachable peer and no slashing DB fails
 * those checks; after quarantine and fixes, they pass.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { splitKeys } from "../../src/keysplit/run.js";
import { type CheckResult, formatDoctorTable, runDoctor } from "../../src/ops/doctor/doctor.js";
import {
  applyQuarantine,
  planQuarantine,
  snapshotQuarantine,
} from "../../src/ops/quarantine/quarantine.js";
import { readRocketPoolKeys } from "../../src/rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../../src/rocketpool/fixture.js";
import { SlashingProtectionDb } from "../../src/slashing/db.js";
import { makeTempDir } from "../helpers.js";
import { interchangeFor, startFakeBeacon } from "./ops-fakes.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const status = (rs: CheckResult[], name: string) => rs.find((r) => r.name === name)?.status;

describe("ops: rpdvt doctor", () => {
  let dir: string;
  let dataDir: string;
  let pubkeys: string[];
  let peer: ReturnType<typeof createServer>;
  let peerPort: number;
  before(async () => {
    dir = await makeTempDir("ops-doctor");
    const fx = await writeRocketPoolFixture(join(dir, "rp"), { validators: 2 });
    dataDir = fx.dataDir;
    pubkeys = fx.pubkeys;
    peer = createServer((s) => s.end());
    await new Promise<void>((r) => peer.listen(0, "127.0.0.1", r));
    peerPort = (peer.address() as { port: number }).port;
    const { keys } = await readRocketPoolKeys(dataDir);
    await splitKeys(
      keys,
      join(dir, "cluster"),
      {
        format: "cluster",
        operators: [1, 2, 3, 4].map((id) => ({
          id,
          endpoint: id === 4 ? "127.0.0.1:1" : `127.0.0.1:${peerPort}`,
        })),
        feeRecipients: FEE,
      },
      { quiet: true, kdfParams: { n: 2 ** 10 } },
    );
  });
  after(async () => {
    peer.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("fails: keys in both places, wrong fee recipient, readable share, clock skew, no slashing DB", async () => {
    await fsp.writeFile(
      join(dataDir, "validators/rp-fee-recipient.txt"),
      "0x0000000000000000000000000000000000000001",
    );
    const share = join(
      dir,
      "cluster/operator-1/keystores",
      (await fsp.readdir(join(dir, "cluster/operator-1/keystores")))[0] as string,
    );
    await fsp.chmod(share, 0o644);
    const bn = await startFakeBeacon({
      pubkeys,
      genesisTime: Math.floor(Date.now() / 1000) - 50 * 384,
      dateOffsetMs: -10_000,
    });
    try {
      const rs = await runDoctor({
        clusterDir: join(dir, "cluster/operator-1"),
        dataDir: join(dir, "node-data"),
        rocketpoolDir: join(dir, "rp"),
        beaconUrls: [bn.url],
        timeoutMs: 2000,
      });
      assert.equal(status(rs, "keys quarantined"), "fail");
      assert.match(
        rs.find((r) => r.name === "keys quarantined")?.detail ?? "",
        /2 cluster key\(s\) ALSO in the Smartnode/,
      );
      assert.equal(status(rs, "fee recipient"), "fail");
      assert.equal(status(rs, "file modes"), "fail");
      assert.equal(status(rs, "clock"), "fail");
      assert.equal(status(rs, "slashing DB"), "fail");
      assert.equal(status(rs, "peers"), "warn", "3 of 4 reachable ≥ threshold 3");
      assert.equal(status(rs, "beacon node"), "pass");
      assert.equal(status(rs, "execution client"), "skip");
      assert.match(formatDoctorTable(rs), /FAIL {2}keys quarantined/);
    } finally {
      await bn.close();
    }
  });

  it("passes once the keys are quarantined and everything is fixed", async () => {
    const hexes = pubkeys.map((p) => p.slice(2));
    const qdir = join(dataDir, "rpdvt-quarantine", "mig-test");
    await fsp.mkdir(qdir, { recursive: true });
    const manifest = await snapshotQuarantine(dataDir, qdir, await planQuarantine(dataDir, hexes), {
      migrationId: "mig-test",
      pubkeys: hexes,
    });
    await applyQuarantine(dataDir, qdir, manifest);
    await fsp.writeFile(join(dataDir, "validators/rp-fee-recipient.txt"), FEE);
    for (const f of await fsp.readdir(join(dir, "cluster/operator-1/keystores")))
      await fsp.chmod(join(dir, "cluster/operator-1/keystores", f), 0o600);
    const db = SlashingProtectionDb.open(join(dir, "node-data"));
    db.importInterchange(interchangeFor(pubkeys));
    db.close();
    const bn = await startFakeBeacon({
      pubkeys,
      genesisTime: Math.floor(Date.now() / 1000) - 10 * 384,
    });
    try {
      const rs = await runDoctor({
        clusterDir: join(dir, "cluster/operator-1"),
        dataDir: join(dir, "node-data"),
        rocketpoolDir: join(dir, "rp"),
        beaconUrls: [bn.url],
        timeoutMs: 2000,
      });
      for (const n of [
        "keys quarantined",
        "fee recipient",
        "file modes",
        "clock",
        "network (fork/genesis)",
        "beacon node",
      ])
        assert.equal(status(rs, n), "pass", `${n}: ${rs.find((r) => r.name === n)?.detail}`);
      assert.notEqual(status(rs, "slashing DB"), "fail");
    } finally {
      await bn.close();
    }
  });
});
