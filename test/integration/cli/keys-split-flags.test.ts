/**
 * `rpdvt keys split` checks every flag before any key is read (issue 12 item 6): a wrong
 * --owner/--nonce/--fee-recipient/--peer-ids/--endpoints or an --out that cannot be created fails
 * in well under a second on a data folder of real-cost (scrypt/pbkdf2 2^18) keystores, names the
 * flag, and fails the same way when the data folder does not even exist (so no key was read).
 * Also: a dangling symlink at --out is refused; unsorted operator ids are sorted (with a note) by
 * both SSV and cluster splits; Dirk needs --endpoints.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { keysSplitCommand } from "../../../src/cli/keys-split.js";
import { generateIdentity, identityString } from "../../../src/p2p/identity.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import {
  dkgOperatorsDir,
  exists,
  makeTempDir,
  readJson,
  rpdvt,
  runCommand,
} from "../../helpers.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const OWNER = "0xDCc846fA10C7CfCE9e6Eb37e06eD93b666cFC5E9";

let tmp: string;
let rp: string;
let pubkeys: string[];
before(async () => {
  tmp = await makeTempDir("keysplit-flags");
  rp = join(tmp, "rp");
  // Real KDF cost: reading these keys takes seconds (custom keys are decrypted one by one).
  const fx = await writeRocketPoolFixture(rp, { validators: 2, customKeys: 1, kdf: "real" });
  pubkeys = fx.pubkeys;
});
after(() => fsp.rm(tmp, { recursive: true, force: true }));

const split = (...args: string[]) => runCommand(keysSplitCommand(), args);
const peerIds = (n: number) =>
  Array.from({ length: n }, (_, i) => `${i + 1}=${identityString(generateIdentity())}`).join(",");

/** Wrong-flag cases: args after --rocketpool-dir, the flag the error must name, a message. */
const CASES: [string, string[], string, RegExp][] = [
  [
    "bad --fee-recipient (cluster)",
    ["--format", "cluster", "--operator-ids", "1,2,3,4", "--fee-recipient", "0x12", "--out", "X"],
    "--fee-recipient",
    /Ethereum address/,
  ],
  [
    "bad --fee-recipient checksum (cluster)",
    [
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE.replace("a", "A"),
      "--out",
      "X",
    ],
    "--fee-recipient",
    /checksum/i,
  ],
  [
    "bad --owner (ssv)",
    [
      "--format",
      "ssv",
      "--operator-key",
      "1=AAAA",
      "--owner",
      "0xnope",
      "--nonce",
      "0",
      "--out",
      "X",
    ],
    "--owner",
    /Owner address/,
  ],
  [
    "bad --nonce (ssv)",
    [
      "--format",
      "ssv",
      "--operator-key",
      "1=AAAA",
      "--owner",
      OWNER,
      "--nonce",
      "-1",
      "--out",
      "X",
    ],
    "--nonce",
    /non-negative integer/,
  ],
  [
    "missing --out parent",
    [
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--out",
      "NOPARENT/deeper/out",
    ],
    "--out",
    /does not exist/,
  ],
  [
    "bad --peer-ids",
    [
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--peer-ids",
      "1=16Uiu2HAnotapeerid,2=x,3=y,4=z",
      "--out",
      "X",
    ],
    "--peer-ids (operator 1)",
    /secp256k1 peer id/,
  ],
  [
    "--peer-ids missing an operator",
    [
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--peer-ids",
      "PEERS3",
      "--out",
      "X",
    ],
    "--peer-ids",
    /lacks operator\(s\) 4/,
  ],
  [
    "--peer-ids naming an unknown operator",
    [
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--peer-ids",
      "PEERS5",
      "--out",
      "X",
    ],
    "--peer-ids",
    /unknown operator\(s\) 5/,
  ],
  [
    "dirk without --endpoints",
    ["--format", "dirk", "--operator-ids", "1,2,3,4", "--out", "X"],
    "--endpoints",
    /--endpoints is required/,
  ],
  [
    "--endpoints naming an unknown operator (dirk)",
    [
      "--format",
      "dirk",
      "--operator-ids",
      "1,2,3,4",
      "--endpoints",
      "1=a:1,2=b:2,3=c:3,4=d:4,9=e:5",
      "--out",
      "X",
    ],
    "--endpoints",
    /unknown operator\(s\) 9/,
  ],
];

function resolveArgs(args: string[]): string[] {
  return args.map((a) =>
    a === "X"
      ? join(tmp, `out-${Math.random().toString(16).slice(2)}`)
      : a === "PEERS3"
        ? peerIds(3)
        : a === "PEERS5"
          ? peerIds(5)
          : a.startsWith("NOPARENT")
            ? join(tmp, a)
            : a,
  );
}

describe("keys split: every flag checked before any key is read", () => {
  for (const [name, args, field, message] of CASES) {
    test(`${name}: fails in < 1 s naming ${field}, and before reading the data folder`, async () => {
      const t0 = performance.now();
      const r = await split("--rocketpool-dir", rp, ...resolveArgs(args));
      const ms = performance.now() - t0;
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, message);
      assert.ok(r.stderr.includes(`Field: ${field}`) || r.stderr.includes(`${field}:`), r.stderr);
      assert.doesNotMatch(r.stderr, /feeRecipients\[/);
      assert.ok(ms < 1_000, `took ${ms.toFixed(0)} ms`);
      // The same error when the data folder does not exist: no key was read first.
      const r2 = await split("--rocketpool-dir", join(tmp, "no-such-dir"), ...resolveArgs(args));
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, message);
    });
  }

  test("bad --max-wallet-accounts: refused by the binary before any key is read", async () => {
    // A commander argParser error exits the process, so this case runs the real binary.
    const r = await rpdvt(
      "keys",
      "split",
      "--rocketpool-dir",
      join(tmp, "no-such-dir"),
      "--max-wallet-accounts",
      "0",
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--out",
      join(tmp, "out-mwa"),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.err, /--max-wallet-accounts.*whole number from 1/);
    assert.equal(await exists(join(tmp, "out-mwa")), false);
  });

  test("a dangling symlink at --out is refused, and left as it was", async () => {
    const link = join(tmp, "dangling");
    await fsp.symlink(join(tmp, "nowhere"), link);
    const r = await split(
      "--rocketpool-dir",
      rp,
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--out",
      link,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /symbolic link to a missing target/);
    assert.equal((await fsp.lstat(link)).isSymbolicLink(), true);
    assert.equal(await exists(join(tmp, "nowhere")), false);
  });
});

describe("keys split: unsorted operator ids are sorted (with a note) by every format", () => {
  test("cluster: 4,2,3,1 → operators 1,2,3,4", async () => {
    const out = join(tmp, "cluster-unsorted");
    const r = await split(
      "--rocketpool-dir",
      rp,
      "--format",
      "cluster",
      "--operator-ids",
      "4,2,3,1",
      "--fee-recipient",
      FEE,
      "--validators",
      pubkeys[0] as string,
      "--out",
      out,
      "--quiet",
    );
    assert.equal(r.code, undefined, r.stderr);
    assert.match(r.stderr, /--operator-ids 4,2,3,1 sorted ascending to 1,2,3,4/);
    const def = await readJson(join(out, "cluster.json"));
    assert.deepEqual(
      (def.operators as { id: number }[]).map((o) => o.id),
      [1, 2, 3, 4],
    );
  });

  test("ssv: 44,22,33,11 → operators 11,22,33,44", async () => {
    const info = join(await dkgOperatorsDir(), "operators_info.json");
    const out = join(tmp, "keyshares-unsorted.json");
    const r = await split(
      "--rocketpool-dir",
      rp,
      "--format",
      "ssv",
      "--operator-ids",
      "44,22,33,11",
      "--operators-file",
      info,
      "--owner",
      OWNER,
      "--nonce",
      "0",
      "--validators",
      pubkeys[0] as string,
      "--out",
      out,
      "--quiet",
    );
    assert.equal(r.code, undefined, r.stderr);
    assert.match(r.stderr, /--operator-ids 44,22,33,11 sorted ascending to 11,22,33,44/);
    const file = await readJson(out);
    const item = (file.shares as { payload: { operatorIds: number[] } }[])[0];
    assert.deepEqual(item?.payload.operatorIds, [11, 22, 33, 44]);
  });
});
