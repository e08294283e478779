/**
 * `--beacon-strategy` parsing (src/beacon/strategy/config.ts): defaults, each kind, and a clear
 * InputError naming the flag, the bad part and the accepted values.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_BEACON_STRATEGIES,
  parseBeaconStrategy,
} from "../../../../src/beacon/strategy/index.js";
import { InputError } from "../../../../src/errors.js";

test("kinds set, the others keep the default", () => {
  assert.deepEqual(DEFAULT_BEACON_STRATEGIES, { attestation: "majority", proposal: "best" });
  assert.deepEqual(parseBeaconStrategy("attestation=best"), {
    attestation: "best",
    proposal: "best",
  });
  assert.deepEqual(parseBeaconStrategy(" proposal = first , attestation=first "), {
    attestation: "first",
    proposal: "first",
  });
});

test("bad values are InputErrors naming --beacon-strategy and what is accepted", () => {
  const cases: [string, RegExp][] = [
    ["", /is empty/],
    ["attestation", /"attestation" is not kind=strategy/],
    ["attestation=", /not kind=strategy/],
    ["a=b=c", /not kind=strategy/],
    ["block=best", /unknown request kind "block"/],
    ["attestation=best,attestation=first", /given twice/],
    ["proposal=majority", /unknown proposal strategy "majority"/],
    ["attestation=latest", /unknown attestation strategy "latest"/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseBeaconStrategy(text),
      (e: unknown) => {
        assert.ok(e instanceof InputError, text);
        assert.match(e.message, re);
        assert.match(e.message, /--beacon-strategy/);
        assert.equal(e.field, "--beacon-strategy");
        return true;
      },
    );
  }
  assert.throws(
    () => parseBeaconStrategy("proposal=majority"),
    (e: Error) => /proposal strategies: best, first/.test(e.message),
  );
});

test("node run checks --beacon-strategy before any work (no cluster folder read)", async () => {
  const { runNode } = await import("../../../../src/cli/node.js");
  await assert.rejects(
    runNode({
      cluster: "/nonexistent/operator-1",
      identity: "/nonexistent/identity.json",
      dataDir: "/nonexistent/data",
      beaconUrl: ["http://127.0.0.1:5052", "http://127.0.0.1:5053"],
      doppelgangerEpochs: "2",
      beaconStrategy: "attestation=latest",
    }),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.field, "--beacon-strategy");
      assert.doesNotMatch(e.message, /nonexistent/);
      return true;
    },
  );
});
