/**
 * `rpdvt migrate` as a user runs it (child processes), killed with SIGKILL at chosen journal steps
 * (RPDVT_TEST_CRASH_AFTER) and resumed each time until complete; then rolled back and compared
 * byte-for-byte with the Smartnode folder as it was. Also: --dry-run changes nothing; no --yes on
 * a non-terminal changes nothing. Shares use `--share-kdf pbkdf2` (EIP-2335's lighter KDF).
 * Fee recipients: per validator on chain with --execution-url (a minipool and a megapool validator
 * of one node get different ones, shown with the reason in the --json plan), else the Smartnode's
 * file with a warning about megapool validators. `--max-wallet-accounts` through the binary
 * (bin/rpdvt.js): a bad value is refused at parse time, a bound below the wallet's next_account
 * refuses the plan naming the flag, a bound that fits plans and is kept in plan.json.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readClusterDefinition } from "../../src/keysplit/cluster.js";
import { Journal } from "../../src/ops/journal.js";
import { findKeysInSmartnode } from "../../src/ops/quarantine/quarantine.js";
import { writeRocketPoolFixture } from "../../src/rocketpool/fixture.js";
import { makeTempDir, rpdvt } from "../helpers.js";
import {
  RP,
  startFakeBeacon,
  startFakeKeymanager,
  startFakeRocketPoolRpc,
  treeState,
  writeLighthouseDefinitions,
} from "../support/ops-fakes.js";
import { runOps as run } from "./ops-cli.js";

const TOKEN = "0x1234567890abcdef1234567890abcdef";
const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

describe("e2e: rpdvt migrate — crash at every step, resume, rollback", () => {
  let dir: string;
  let dataDir: string;
  let pubkeys: string[];
  let km: Awaited<ReturnType<typeof startFakeKeymanager>>;
  let bn: Awaited<ReturnType<typeof startFakeBeacon>>;
  let rpc: Awaited<ReturnType<typeof startFakeRocketPoolRpc>>;
  let pristine: Record<string, string>;
  const noQ = (rel: string) => rel.startsWith("rpdvt-quarantine");

  before(async () => {
    dir = await makeTempDir("ops-crash");
    const fx = await writeRocketPoolFixture(join(dir, "rp"), { validators: 3 });
    dataDir = fx.dataDir;
    pubkeys = fx.pubkeys;
    await writeLighthouseDefinitions(dataDir, pubkeys);
    await fsp.writeFile(join(dataDir, "validators/token-file.txt"), TOKEN, { mode: 0o600 });
    // The Smartnode's node-wide fee recipient (Docker mode): the fee distributor.
    await fsp.writeFile(join(dataDir, "validators/rp-fee-recipient.txt"), FEE);
    // pubkeys[0] is a minipool, the others megapool validators.
    rpc = await startFakeRocketPoolRpc({ minipools: new Set([pubkeys[0] as string]) });
    km = await startFakeKeymanager({ token: TOKEN, keys: pubkeys, dataDir });
    // 1-second epochs: the liveness wait takes ~3 s.
    bn = await startFakeBeacon({
      pubkeys,
      genesisTime: Math.floor(Date.now() / 1000) - 100,
      secondsPerSlot: 1,
      slotsPerEpoch: 1,
    });
    pristine = await treeState(dataDir);
  });
  after(async () => {
    await km.close();
    await bn.close();
    await rpc.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const base = (out: string) => [
    "migrate",
    "--rocketpool-dir",
    join(dir, "rp"),
    "--validators",
    `${pubkeys[0]},${pubkeys[2]}`,
    "--format",
    "cluster",
    "--operator-ids",
    "1,2,3,4",
    "--fee-recipient",
    FEE,
    "--out",
    out,
    "--keymanager-url",
    km.url,
    "--beacon-url",
    bn.url,
    "--share-kdf",
    "pbkdf2",
  ];

  it("--dry-run prints the plan and changes nothing; without --yes on a pipe nothing happens", async () => {
    const r = await run([...base(join(dir, "dry")), "--dry-run"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /DRY RUN/);
    assert.match(r.out, /validators\/teku\/keys\/0x/);
    assert.match(r.out, /share keystores: pbkdf2/);
    const help = await run(["migrate", "--help"]);
    assert.match(help.out, /--share-kdf <kdf>[\s\S]*lighter\s+KDF[\s\S]*"scrypt",\s+"pbkdf2"/);
    assert.doesNotMatch(help.out, /test-light/);
    const ssv = await run([...base(join(dir, "dry")), "--format", "ssv", "--dry-run"]);
    assert.equal(ssv.code, 1);
    assert.match(ssv.err, /--share-kdf applies to --format cluster only/);
    const r2 = await run(base(join(dir, "dry")));
    assert.equal(r2.code, 1);
    assert.match(r2.err, /confirm with --yes/);
    assert.deepEqual(await treeState(dataDir), pristine);
    // The plan only asked the VC which keys it holds (missing history is found up front).
    assert.ok(km.calls.length > 0);
    assert.deepEqual(new Set(km.calls.map((c) => c.method)), new Set(["GET"]));
  });

  it("--max-wallet-accounts (the binary): bad value refused at parse, a bound below next_account refuses the plan, one that fits is kept in the plan", async () => {
    const bad = await rpdvt(...base(join(dir, "mwa")), "--max-wallet-accounts", "abc", "--dry-run");
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /--max-wallet-accounts.*whole number from 1/);
    // The fixture's wallet has next_account 3: a bound of 2 is refused, naming the wallet field
    // and the flag, before anything changes.
    const low = await rpdvt(...base(join(dir, "mwa")), "--max-wallet-accounts", "2", "--dry-run");
    assert.equal(low.code, 1, low.err);
    assert.match(low.err, /next_account/);
    assert.match(low.err, /--max-wallet-accounts/);
    const fits = await rpdvt(
      ...base(join(dir, "mwa")),
      "--max-wallet-accounts",
      "3",
      "--dry-run",
      "--json",
    );
    assert.equal(fits.code, 0, fits.err);
    const plan = JSON.parse(fits.out).plan;
    assert.equal(plan.maxWalletAccounts, 3);
    assert.deepEqual(await treeState(dataDir), pristine);
  });

  it("fee recipients: per validator on chain with --execution-url, else the file with a megapool warning", async () => {
    const noFee = (out: string) => {
      const a = base(out);
      a.splice(a.indexOf("--fee-recipient"), 2);
      return a;
    };
    const chain = await run([
      ...noFee(join(dir, "dry")),
      "--execution-url",
      rpc.url,
      "--node-address",
      RP.node,
      "--dry-run",
      "--json",
    ]);
    assert.equal(chain.code, 0, chain.err);
    const { plan } = JSON.parse(chain.out) as {
      plan: {
        feeRecipients: { pubkey: string; address: string; reason: string }[];
        split: { feeRecipients: Record<string, string> };
      };
    };
    assert.deepEqual(
      plan.feeRecipients.map((f) => [f.pubkey, f.address.toLowerCase(), f.reason]),
      [
        [pubkeys[0], RP.distributor, "fee distributor (on chain)"],
        [pubkeys[2], RP.megapool, "megapool, megapool validator (on chain)"],
      ],
    );
    assert.deepEqual(
      Object.keys(plan.split.feeRecipients).sort(),
      [pubkeys[0] as string, pubkeys[2] as string].sort(),
    );
    // Opted in: the smoothing pool for both, and the text plan says why.
    rpc.state.optedIn = true;
    const sp = await run([
      ...noFee(join(dir, "dry")),
      "--execution-url",
      rpc.url,
      "--node-address",
      RP.node,
      "--dry-run",
    ]);
    rpc.state.optedIn = false;
    assert.equal(sp.code, 0, sp.err);
    assert.match(sp.out, /\(smoothing pool \(opted in\), megapool validator \(on chain\)\)/);
    assert.equal(
      sp.out.match(
        /→ 0x4444\S+ {2}\(smoothing pool \(opted in\)(, megapool validator)? \(on chain\)\)/g,
      )?.length,
      2,
    );
    // Opted out, cool-down not over (finalized epoch before the opt-out's): still the smoothing
    // pool; without a beacon node that cannot be told, so the migration refuses.
    rpc.state.registrationChanged = BigInt(Math.floor(Date.now() / 1000) + 1000);
    const chainArgs = ["--execution-url", rpc.url, "--node-address", RP.node, "--dry-run"];
    const cool = await run([...noFee(join(dir, "dry")), ...chainArgs]);
    assert.equal(cool.code, 0, cool.err);
    assert.equal(cool.out.match(/\(smoothing pool \(opt-out cool-down\)/g)?.length, 2);
    const blind = noFee(join(dir, "dry"));
    blind.splice(blind.indexOf("--beacon-url"), 2);
    const noBeacon = await run([...blind, ...chainArgs, "--skip-liveness-wait"]);
    rpc.state.registrationChanged = 0n;
    assert.equal(noBeacon.code, 1);
    assert.match(noBeacon.err, /--beacon-url is needed: the node opted out of the smoothing pool/);
    // --execution-url needs the node address.
    const noNode = await run([...noFee(join(dir, "dry")), "--execution-url", rpc.url, "--dry-run"]);
    assert.equal(noNode.code, 1);
    assert.match(noNode.err, /--node-address is needed with --execution-url/);
    // No execution client: the Smartnode's file for all, with a warning about megapool validators.
    const file = await run([...noFee(join(dir, "dry")), "--dry-run"]);
    assert.equal(file.code, 0, file.err);
    assert.match(
      file.err,
      /Warning: .*megapool validator .*--execution-url with --node-address .*--fee-recipient/,
    );
    assert.match(
      file.out,
      /! WARNING: Fee recipient taken from the Smartnode's node-wide rp-fee-recipient file/,
    );
    assert.match(
      file.out,
      new RegExp(
        `→ ${FEE} {2}\\(Smartnode .*rp-fee-recipient\\.txt \\(node-wide, not checked on chain\\)\\)`,
      ),
    );
    // --fee-recipient stays the explicit override for all.
    const over = await run([
      ...base(join(dir, "dry")),
      "--execution-url",
      rpc.url,
      "--node-address",
      RP.node,
      "--dry-run",
    ]);
    assert.equal(over.code, 0, over.err);
    assert.equal(over.out.match(/\(--fee-recipient \(explicit override\)\)/g)?.length, 2);
    assert.doesNotMatch(over.err, /Warning/);
    assert.deepEqual(await treeState(dataDir), pristine);
  });

  it("is killed after plan, split, snapshot, the DELETE, the 3rd move and liveness; each resume finishes the job", async () => {
    const out = join(dir, "cluster");
    const first = await run([...base(out), "--yes"], { RPDVT_TEST_CRASH_AFTER: "split" });
    assert.equal(first.signal, "SIGKILL", first.err);
    const list = await run(["migrate", "--rocketpool-dir", join(dir, "rp"), "--list", "--json"]);
    const id = (JSON.parse(list.out) as { id: string }[])[0]?.id;
    assert.ok(id, list.err);
    const resume = [
      "migrate",
      "--rocketpool-dir",
      join(dir, "rp"),
      "--resume",
      id as string,
      "--beacon-url",
      bn.url,
      "--json",
    ];
    for (const point of ["snapshot", "slashing-export:deleted", "quarantine:3", "liveness"]) {
      const r = await run(resume, { RPDVT_TEST_CRASH_AFTER: point });
      assert.equal(r.signal, "SIGKILL", `expected a kill at ${point}: ${r.err}`);
    }
    const done = await run(resume);
    assert.equal(done.code, 0, done.err);
    const result = JSON.parse(done.out) as { handover: string[]; checkedEpochs: number[] };
    assert.equal(result.handover.length, 4);
    assert.equal(result.checkedEpochs.length, 2);
    // The VC was asked once: the resume after the kill used the saved answer.
    assert.equal(km.calls.filter((c) => c.method === "DELETE").length, 1);
    const j = await Journal.open(join(dataDir, "rpdvt-quarantine", id as string, "journal.jsonl"), {
      create: false,
    });
    for (const s of [
      "plan",
      "split",
      "snapshot",
      "slashing-export",
      "quarantine",
      "liveness",
      "handover",
      "complete",
    ])
      assert.ok(j.isDone(s), s);
    const def = await readClusterDefinition(join(out, "cluster.json"));
    assert.equal(def.validators.length, 2);
    const migrated = [pubkeys[0] as string, pubkeys[2] as string].map((p) => p.slice(2));
    assert.equal((await findKeysInSmartnode(dataDir, migrated)).size, 0);
    assert.equal((await findKeysInSmartnode(dataDir, [(pubkeys[1] as string).slice(2)])).size, 1);

    // Rollback: refused without --force after the hand-over, then byte-identical.
    const refused = await run([
      "migrate",
      "--rocketpool-dir",
      join(dir, "rp"),
      "--rollback",
      id as string,
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /already handed the validators to the cluster/);
    const rb = await run([
      "migrate",
      "--rocketpool-dir",
      join(dir, "rp"),
      "--rollback",
      id as string,
      "--force",
      "--json",
    ]);
    assert.equal(rb.code, 0, rb.err);
    assert.deepEqual(await treeState(dataDir, noQ), pristine);
  });
});
