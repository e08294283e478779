/**
 * EIP-3076 conformance: every case of eth-clients/slashing-protection-interchange-tests
 * (tests/generated/*.json, copied unmodified into ./vectors/slashing-interchange/, provenance in
 * its README.md) run against a fresh on-disk database.
 *
 * Per the suite's README ("How to run" / "Handling Slashable Data"): for each step, import the
 * interchange — it must fail iff `should_succeed` is false; then every block/attestation must be
 * accepted iff its `should_succeed` is true. `contains_slashable_data` (older files:
 * `allow_partial_import`) lets an implementation reject such an import; ours always accepts and
 * works around the slashable data, so for us the checks after such an import must pass exactly
 * (no false positives tolerated here either).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { SlashingProtectionDb } from "../../src/slashing/db.js";
import { SlashingProtectionError } from "../../src/slashing/errors.js";
import { ROOT } from "../support/root.js";

type Step = {
  should_succeed: boolean;
  contains_slashable_data?: boolean;
  allow_partial_import?: boolean;
  interchange: unknown;
  blocks: { pubkey: string; slot: string; signing_root?: string; should_succeed: boolean }[];
  attestations: {
    pubkey: string;
    source_epoch: string;
    target_epoch: string;
    signing_root?: string;
    should_succeed: boolean;
  }[];
};
type Case = { name: string; genesis_validators_root: string; steps: Step[] };

const VECTORS = pathToFileURL(join(ROOT, "test/spec/vectors/slashing-interchange/"));
// biome.json there only keeps the formatter away from the vendored files
const files = (await readdir(VECTORS))
  .filter((f) => f.endsWith(".json") && f !== "biome.json")
  .sort();

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rpdvt-eip3076-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const totals = { cases: 0, imports: 0, checks: 0 };

describe("EIP-3076 interchange tests (eth-clients/slashing-protection-interchange-tests)", () => {
  test("the vector directory holds every generated case (39)", () => {
    assert.equal(files.length, 39);
  });

  for (const file of files) {
    test(file.replace(/\.json$/, ""), async () => {
      const tc = JSON.parse(await readFile(new URL(file, VECTORS), "utf8")) as Case;
      assert.equal(`${tc.name}.json`, file);
      const db = SlashingProtectionDb.open(join(dir, tc.name), {
        genesisValidatorsRoot: tc.genesis_validators_root,
      });
      try {
        tc.steps.forEach((step, si) => {
          let imported = true;
          try {
            db.importInterchange(step.interchange);
          } catch (err) {
            imported = false;
            assert.ok(
              !step.should_succeed,
              `step ${si}: import failed but should succeed: ${(err as Error).message}`,
            );
          }
          if (imported) assert.ok(step.should_succeed, `step ${si}: import should have failed`);
          totals.imports++;
          step.blocks.forEach((b, i) => {
            const root = b.signing_root ?? `0x${randomBytes(32).toString("hex")}`;
            const got = outcome(() => db.checkAndInsertBlock(b.pubkey, b.slot, root));
            assert.equal(got, b.should_succeed, `step ${si} block ${i} (slot ${b.slot})`);
            totals.checks++;
          });
          step.attestations.forEach((a, i) => {
            const root = a.signing_root ?? `0x${randomBytes(32).toString("hex")}`;
            const got = outcome(() =>
              db.checkAndInsertAttestation(a.pubkey, a.source_epoch, a.target_epoch, root),
            );
            assert.equal(
              got,
              a.should_succeed,
              `step ${si} attestation ${i} (${a.source_epoch}→${a.target_epoch})`,
            );
            totals.checks++;
          });
        });
        totals.cases++;
      } finally {
        db.close();
      }
    });
  }

  test("every case ran", () => {
    assert.equal(totals.cases, files.length);
    process.stderr.write(
      `EIP-3076: ${totals.cases} cases, ${totals.imports} imports, ${totals.checks} signing checks\n`,
    );
  });
});

/** true = accepted; false = refused with a SlashingProtectionError (anything else fails the test). */
function outcome(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof SlashingProtectionError) return false;
    throw err;
  }
}
