/**
 * The megapool side of `rpdvt exit` (src/ops/exit/megapool.ts): a megapool validator found by id
 * or pubkey through RocketStorage → rocketMegapoolFactory → the node's megapool (a JSON-RPC fake
 * answering the real ABI); beacon states that cannot exit (pending, exiting, exited, slashed, too
 * young) refused with what to do; the Smartnode's next steps.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { InputError } from "../../../../src/errors.js";
import {
  checkExitable,
  exitNextSteps,
  megapoolValidatorById,
  megapoolValidatorByPubkey,
} from "../../../../src/ops/exit/megapool.js";
import { MEGAPOOL, NODE, startMegapoolRpc } from "../../../support/megapool-rpc.js";

const pk = (i: number) => `0x${(0xa0 + i).toString(16).repeat(48)}`;

describe("megapool exit: validator selection", () => {
  let rpc: Awaited<ReturnType<typeof startMegapoolRpc>>;
  before(async () => {
    rpc = await startMegapoolRpc(Array.from({ length: 24 }, (_, i) => pk(i)));
  });
  after(() => rpc.close());

  it("by id: the megapool's pubkey for it; an id past the end names the range", async () => {
    const q = { executionUrl: rpc.url, nodeAddress: NODE };
    assert.deepEqual(await megapoolValidatorById(q, 7), {
      megapool: MEGAPOOL,
      id: 7,
      pubkey: pk(7),
    });
    await assert.rejects(
      megapoolValidatorById(q, 24),
      (e: unknown) =>
        e instanceof InputError &&
        /has no validator id 24 \(it has 24: ids 0–23\)/.test(e.message) &&
        e.field === "--megapool-validator-id",
    );
  });

  it("by pubkey: its id, or undefined for a minipool key / a node without megapool", async () => {
    const q = { executionUrl: rpc.url, nodeAddress: NODE };
    assert.equal((await megapoolValidatorByPubkey(q, pk(19)))?.id, 19);
    assert.equal(await megapoolValidatorByPubkey(q, `0x${"01".repeat(48)}`), undefined);
    const other = { executionUrl: rpc.url, nodeAddress: `0x${"22".repeat(20)}` };
    assert.equal(await megapoolValidatorByPubkey(other, pk(1)), undefined);
    await assert.rejects(
      megapoolValidatorById(other, 0),
      (e: unknown) => e instanceof InputError && e.field === "--node-address",
    );
  });

  it("a bad node address is an InputError naming the flag; an unreachable RPC names the URL", async () => {
    await assert.rejects(
      megapoolValidatorById({ executionUrl: rpc.url, nodeAddress: "0x1234" }, 0),
      (e: unknown) => e instanceof InputError && e.field === "--node-address",
    );
    await assert.rejects(
      megapoolValidatorById({ executionUrl: "http://127.0.0.1:9", nodeAddress: NODE }, 0),
      /eth_call .* failed on http:\/\/127\.0\.0\.1:9/,
    );
  });
});

describe("megapool exit: which beacon states can exit", () => {
  const steps = exitNextSteps({ megapool: MEGAPOOL, id: 4, pubkey: pk(4) });
  const cases: [string, number | undefined, RegExp | undefined][] = [
    ["active_ongoing", 0, undefined],
    ["pending_initialized", undefined, /not active yet \(pending_initialized\)/],
    ["pending_queued", undefined, /not active yet/],
    ["active_exiting", 0, /already exiting \(active_exiting, exit epoch 40\)/],
    ["exited_unslashed", 0, /already exited/],
    ["withdrawal_possible", 0, /already exited/],
    ["withdrawal_done", 0, /already exited/],
    ["active_slashed", 0, /was slashed/],
  ];
  for (const [status, act, refused] of cases) {
    it(`${status}: ${refused ? "refused" : "allowed"}`, () => {
      const v = { index: 9, status, activationEpoch: act ?? Infinity, exitEpoch: 40 };
      if (!refused) return checkExitable(v, 300, 256, steps);
      assert.throws(
        () => checkExitable(v, 300, 256, steps),
        (e: unknown) => e instanceof InputError && refused.test(e.message),
      );
    });
  }

  it("exiting/exited carry the Smartnode's next steps; too young names the first epoch", () => {
    try {
      checkExitable({ index: 9, status: "active_exiting", exitEpoch: 40 }, 300, 256, steps);
      assert.fail("not refused");
    } catch (e) {
      assert.ok(e instanceof InputError);
      assert.ok(e.metaMessages?.some((m) => m.includes("notify-validator-exit --validator-id 4")));
    }
    assert.throws(
      () => checkExitable({ index: 9, status: "active_ongoing", activationEpoch: 100 }, 300, 256),
      (e: unknown) =>
        e instanceof InputError &&
        /can exit from epoch 356 \(SHARD_COMMITTEE_PERIOD = 256\), now 300/.test(e.message) &&
        e.field === "--epoch",
    );
    checkExitable({ index: 9, status: "active_ongoing", activationEpoch: 44 }, 300, 256);
  });

  it("next steps: megapool (notify-validator-exit, notify-final-balance with its id) or generic", () => {
    assert.ok(
      steps.some((s) => s.includes("rocketpool megapool notify-validator-exit --validator-id 4")),
    );
    assert.ok(
      steps.some((s) => s.includes("rocketpool megapool notify-final-balance --validator-id 4")),
    );
    const generic = exitNextSteps(undefined);
    assert.ok(generic.some((s) => s.includes("rocketpool minipool close")));
    assert.ok(generic.some((s) => s.includes("notify-validator-exit")));
  });
});
