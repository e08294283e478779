/**
 * src/devnet/lodestar-cli.ts without a beacon node: reading `lodestar --version` and yargs'
 * "Unknown argument(s)" lines (texts as Lodestar 1.5.1 prints them), the fork schedule and slot
 * flags a devnet gets for what a binary knows (1.5.1: Capella + SECONDS_PER_SLOT; a Fulu-era
 * binary: Electra at 0, Fulu at 1, SLOT_DURATION_MS in ms), and `--lodestar-bin` validation.
 * The probe itself runs against the real Lodestar in test/e2e/devnet-cli.test.ts.
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  chainParamArgs,
  compareVersions,
  devnetForkEpochs,
  parseLodestarVersion,
  parseUnknownArguments,
  validateLodestarBin,
} from "../../../src/devnet/index.js";
import { InputError } from "../../../src/errors.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rpdvt-lodestar-cli-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("parseLodestarVersion reads Lodestar's banner and bare versions", () => {
  const banner =
    "🌟 Lodestar: TypeScript Implementation of the Ethereum Consensus Beacon Chain.\n  * Version: v1.5.1/041769e\n  * by ChainSafe Systems, 2018-2022";
  assert.equal(parseLodestarVersion(banner), "1.5.1");
  assert.equal(parseLodestarVersion("  * Version: v1.39.1/stable/4f1e0c2"), "1.39.1");
  assert.equal(parseLodestarVersion("Lodestar/v1.22.0/abc"), "1.22.0");
  assert.equal(parseLodestarVersion("hello world 12"), null);
});

test("compareVersions is numeric, not lexical", () => {
  assert.equal(compareVersions("1.39.1", "1.5.1"), 1);
  assert.equal(compareVersions("1.5.1", "1.5.1"), 0);
  assert.equal(compareVersions("1.4.2", "1.5.1"), -1);
  assert.equal(compareVersions("2.0.0", "1.99.99"), 1);
});

test("parseUnknownArguments reads yargs' singular and plural lines", () => {
  assert.deepEqual(parseUnknownArguments(" ✖ Unknown argument: params.SLOT_DURATION_MS\n"), [
    "params.SLOT_DURATION_MS",
  ]);
  assert.deepEqual(
    parseUnknownArguments(
      "✖ Unknown arguments: params.ELECTRA_FORK_EPOCH, params.FULU_FORK_EPOCH, params.SLOT_DURATION_MS",
    ),
    ["params.ELECTRA_FORK_EPOCH", "params.FULU_FORK_EPOCH", "params.SLOT_DURATION_MS"],
  );
  assert.deepEqual(
    parseUnknownArguments(' ✖ Invalid values:\n  Argument: logLevel, Given: "x"'),
    [],
  );
});

/** What Lodestar 1.5.1's probe leaves known (it lacks DENEB/ELECTRA/FULU and SLOT_DURATION_MS). */
const V1_5 = new Set([
  "ALTAIR_FORK_EPOCH",
  "BELLATRIX_FORK_EPOCH",
  "CAPELLA_FORK_EPOCH",
  "SECONDS_PER_SLOT",
  "TERMINAL_TOTAL_DIFFICULTY",
  "SHARD_COMMITTEE_PERIOD",
]);
const FULU_ERA = new Set([
  ...V1_5,
  "DENEB_FORK_EPOCH",
  "ELECTRA_FORK_EPOCH",
  "FULU_FORK_EPOCH",
  "SLOT_DURATION_MS",
]);

test("forks at genesis: Capella on 1.5.1; Electra at 0 and Fulu at 1 when known", () => {
  assert.deepEqual(devnetForkEpochs(V1_5), { altair: 0, bellatrix: 0, capella: 0 });
  assert.deepEqual(devnetForkEpochs(FULU_ERA), {
    altair: 0,
    bellatrix: 0,
    capella: 0,
    deneb: 0,
    electra: 0,
    fulu: 1,
  });
  // Electra-era binary without Fulu: Electra at genesis, nothing later.
  const electraOnly = new Set([...V1_5, "DENEB_FORK_EPOCH", "ELECTRA_FORK_EPOCH"]);
  assert.deepEqual(devnetForkEpochs(electraOnly), {
    altair: 0,
    bellatrix: 0,
    capella: 0,
    deneb: 0,
    electra: 0,
  });
});

test("slot flags: SECONDS_PER_SLOT on 1.5.1, SLOT_DURATION_MS (ms) where known", () => {
  const old = chainParamArgs(V1_5, 2);
  assert.deepEqual(old.slice(0, 2), ["--params.SECONDS_PER_SLOT", "2"]);
  assert.equal(old.includes("--params.SLOT_DURATION_MS"), false);
  assert.equal(old.includes("--params.ELECTRA_FORK_EPOCH"), false);
  assert.ok(old.join(" ").includes("--params.CAPELLA_FORK_EPOCH 0"));
  assert.ok(old.join(" ").includes("--params.SHARD_COMMITTEE_PERIOD 0"));

  const neu = chainParamArgs(FULU_ERA, 3).join(" ");
  assert.ok(neu.includes("--params.SECONDS_PER_SLOT 3"), neu);
  assert.ok(neu.includes("--params.SLOT_DURATION_MS 3000"), neu);
  assert.ok(neu.includes("--params.ELECTRA_FORK_EPOCH 0"), neu);
  assert.ok(neu.includes("--params.FULU_FORK_EPOCH 1"), neu);
  // A binary that dropped SECONDS_PER_SLOT gets only the ms flag.
  const msOnly = new Set([...FULU_ERA].filter((p) => p !== "SECONDS_PER_SLOT"));
  const ms = chainParamArgs(msOnly, 3).join(" ");
  assert.equal(ms.includes("SECONDS_PER_SLOT"), false);
  assert.ok(ms.includes("--params.SLOT_DURATION_MS 3000"));
});

test("validateLodestarBin: missing, a folder, not executable → InputError naming the flag", async () => {
  const check = (p: string, re: RegExp) =>
    assert.throws(
      () => validateLodestarBin(p),
      (err: unknown) =>
        err instanceof InputError && /--lodestar-bin/.test(err.message) && re.test(err.message),
    );
  check(join(dir, "nope"), /no such file/);
  check(dir, /not a file/);
  const plain = join(dir, "lodestar");
  await writeFile(plain, "#!/bin/sh\necho hi\n");
  await chmod(plain, 0o644);
  check(plain, /not executable.*chmod \+x/s);
  await chmod(plain, 0o755);
  assert.equal(validateLodestarBin(plain), plain);
});
