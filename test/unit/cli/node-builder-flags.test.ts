/**
 * `node run --builder-registrations [--builder-gas-limit N]` (issue 15; src/cli/node.ts): the
 * flags are checked before anything starts — a bad gas limit, or a gas limit without
 * registrations, is an InputError naming the flag (no file is read, no node started).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runNode } from "../../../src/cli/node.js";
import { InputError } from "../../../src/errors.js";

const base = {
  cluster: "/nonexistent/cluster",
  identity: "/nonexistent/identity.json",
  dataDir: "/nonexistent/data",
  beaconUrl: ["http://127.0.0.1:1"],
  doppelgangerEpochs: "2",
};

describe("node run builder flags", () => {
  for (const [flags, want] of [
    [{ builderGasLimit: "36000000" }, /--builder-gas-limit needs --builder-registrations/],
    [
      { builderRegistrations: true, builderGasLimit: "lots" },
      /--builder-gas-limit must be a positive integer \(got "lots"\)/,
    ],
    [{ builderRegistrations: true, builderGasLimit: "0" }, /must be a positive integer/],
    [{ builderRegistrations: true, builderGasLimit: "3.5e7" }, /must be a positive integer/],
  ] as const) {
    it(`refuses ${JSON.stringify(flags)} before starting`, async () => {
      const err = await runNode({ ...base, ...flags }).then(
        () => assert.fail("should throw"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, want);
      assert.equal(err.field, "--builder-gas-limit");
    });
  }

  it("valid builder flags pass the check (the run then fails on the missing cluster, not the flags)", async () => {
    const err = await runNode({
      ...base,
      builderRegistrations: true,
      builderGasLimit: "36000000",
    }).then(
      () => assert.fail("should throw"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error);
    assert.doesNotMatch(err.message, /builder/);
  });
});
