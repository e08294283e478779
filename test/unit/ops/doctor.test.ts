/**
 * `rpdvt doctor`: a node whose cluster keys are still in the Smartnode, with a wrong fee
 * recipient, a world-readable share, a skewed clock, an unreachable peer and no slashing DB fails
 * those checks; after quarantine and fixes, they pass. Fee recipients on chain for a node with
 * minipool and megapool validators: the RPIP-43 donations (smoothing pool, rETH) of megapool
 * validators pass and say so; in the smoothing pool or its opt-out cool-down they fail.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { splitKeys } from "../../../src/keysplit/run.js";
import { type CheckResult, formatDoctorTable, runDoctor } from "../../../src/ops/doctor/doctor.js";
import {
  applyQuarantine,
  planQuarantine,
  snapshotQuarantine,
} from "../../../src/ops/quarantine/quarantine.js";
import { readRocketPoolKeys } from "../../../src/rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { SlashingProtectionDb } from "../../../src/slashing/db.js";
import { makeTempDir } from "../../helpers.js";
import {
  interchangeFor,
  RP,
  startFakeBeacon,
  startFakeRocketPoolRpc,
} from "../../support/ops-fakes.js";

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

describe("ops: rpdvt doctor — fee recipients per validator on chain (minipool + megapool node)", () => {
  let dir: string;
  let pubkeys: string[];
  let rpc: Awaited<ReturnType<typeof startFakeRocketPoolRpc>>;
  const SP = RP.contracts.rocketSmoothingPool as string;
  const RETH = RP.contracts.rocketTokenRETH as string;
  const fee = (rs: CheckResult[]) => rs.find((r) => r.name === "fee recipient");
  /** A cluster whose validator i uses addrs[i] (checksummed by the cluster writer). */
  const cluster = async (name: string, addrs: string[]) => {
    const { keys } = await readRocketPoolKeys(join(dir, "rp"));
    await splitKeys(
      keys,
      join(dir, name),
      {
        format: "cluster",
        operators: [1, 2, 3, 4].map((id) => ({ id })),
        feeRecipients: new Map(pubkeys.map((pk, i) => [pk, addrs[i] as string])),
      },
      { quiet: true, kdfParams: { n: 2 ** 10 } },
    );
    return join(dir, name, "operator-1");
  };
  before(async () => {
    dir = await makeTempDir("ops-doctor-fee");
    pubkeys = (await writeRocketPoolFixture(join(dir, "rp"), { validators: 3 })).pubkeys;
    // Validator 0 is a minipool, 1 and 2 are megapool validators.
    rpc = await startFakeRocketPoolRpc({ minipools: new Set([pubkeys[0] as string]) });
  });
  after(async () => {
    await rpc.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("accepts the RPIP-43 donations of megapool validators outside the smoothing pool, saying so", async () => {
    const clusterDir = await cluster("donations", [RP.distributor, RETH, SP]);
    const base = { clusterDir, executionUrl: rpc.url, nodeAddress: RP.node, timeoutMs: 2000 };
    let rs = await runDoctor(base);
    assert.equal(status(rs, "execution client"), "pass");
    assert.equal(fee(rs)?.status, "pass", fee(rs)?.detail);
    assert.match(fee(rs)?.detail ?? "", /1× fee distributor 0x7777/);
    assert.match(
      fee(rs)?.detail ?? "",
      /1× rETH token — allowed by RPIP-43 .*rETH holders\) 0xAAaa/i,
    );
    assert.match(
      fee(rs)?.detail ?? "",
      /1× smoothing pool — allowed by RPIP-43 .*other node operators/,
    );
    // In the smoothing pool, the smoothing pool is the only allowed fee recipient (RPIP-43): the
    // minipool's distributor and the megapool validator's rETH donation fail.
    rpc.state.optedIn = true;
    rs = await runDoctor(base);
    assert.equal(fee(rs)?.status, "fail");
    assert.match(
      fee(rs)?.detail ?? "",
      /^2 validator\(s\) use a fee recipient Rocket Pool does not allow/,
    );
    assert.match(fee(rs)?.detail ?? "", /requires 0x4444\S+ \(smoothing pool \(opted in\)\)/);
    // Opted out 10 epochs ago, finalized 40 epochs behind: still cooling down, still the smoothing pool.
    rpc.state.optedIn = false;
    const genesisTime = Math.floor(Date.now() / 1000) - 50 * 384;
    rpc.state.registrationChanged = BigInt(genesisTime + 40 * 384);
    const bn = await startFakeBeacon({ pubkeys, genesisTime, finalizedEpoch: 10 });
    try {
      rs = await runDoctor({ ...base, beaconUrls: [bn.url] });
      assert.equal(fee(rs)?.status, "fail");
      assert.match(fee(rs)?.detail ?? "", /\(smoothing pool \(opt-out cool-down\)\)/);
    } finally {
      await bn.close();
    }
    // Without a beacon node the cool-down cannot be checked: a warning, not a pass.
    rs = await runDoctor(base);
    assert.equal(fee(rs)?.status, "warn");
    assert.match(fee(rs)?.hint ?? "", /--beacon-url/);
    rpc.state.registrationChanged = 0n;
  });

  it("fails a minipool validator using the megapool, naming the one Rocket Pool requires", async () => {
    const clusterDir = await cluster("wrong", [RP.megapool, RP.megapool, RP.megapool]);
    const rs = await runDoctor({
      clusterDir,
      executionUrl: rpc.url,
      nodeAddress: RP.node,
      timeoutMs: 2000,
    });
    assert.equal(fee(rs)?.status, "fail");
    assert.match(
      fee(rs)?.detail ?? "",
      new RegExp(
        `^1 validator\\(s\\) .*${(pubkeys[0] as string).slice(0, 12)}.*requires 0x7777\\S+ \\(fee distributor\\)$`,
      ),
    );
  });
});
