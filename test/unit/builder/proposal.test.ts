/**
 * Blinded-proposal validity checks (src/builder/proposal.ts) on real Capella blinded blocks
 * (@lodestar/types) and real signed EIP-1559 payment transactions (viem): a Byzantine leader's
 * block paying someone else, building on another parent, for another slot or proposer, or worth
 * less than the minimum is refused by every operator of a 4- and a 7-operator squad (each runs
 * the check on its own expectation), each with its reason; the payment-transaction check
 * recognises a builder that pays by its last transaction and refuses a short or misdirected one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ssz } from "@lodestar/types";
import { privateKeyToAccount } from "viem/accounts";
import {
  checkBid,
  checkBlindedBlock,
  checkPayment,
  type ProposalExpectation,
  parseWei,
} from "../../../src/builder/proposal.js";
import { InputError } from "../../../src/errors.js";
import { fromHex, toHex } from "../../../src/util/hex.js";

const RP = "0xd4e96ef8eee8678dbff4d535e033ed1a4f7605b7";
const THIEF = "0x00000000000000000000000000000000000000ee";
const GENESIS = 1606824023;
const PARENT_ROOT = `0x${"ab".repeat(32)}`;
const PARENT_HASH = `0x${"cd".repeat(32)}`;
const BUILDER = privateKeyToAccount(`0x${"11".repeat(32)}`);

function blindedBlock(slot: number, o: { feeRecipient?: string; parentHash?: string } = {}) {
  const b = ssz.capella.BlindedBeaconBlock.defaultValue();
  b.slot = slot;
  b.proposerIndex = 48;
  b.parentRoot = fromHex(PARENT_ROOT);
  const h = b.body.executionPayloadHeader;
  h.parentHash = fromHex(o.parentHash ?? PARENT_HASH);
  h.feeRecipient = fromHex(o.feeRecipient ?? RP);
  h.timestamp = GENESIS + slot * 12;
  h.gasLimit = 30_000_000;
  h.blockNumber = 1000;
  h.blockHash = fromHex(`0x${"ef".repeat(32)}`);
  return b;
}

const expect = (slot: number, extra: Partial<ProposalExpectation> = {}): ProposalExpectation => ({
  slot,
  proposerIndex: 48,
  parentRoot: PARENT_ROOT,
  parentHash: PARENT_HASH,
  timestamp: GENESIS + slot * 12,
  feeRecipient: RP,
  minValueWei: 10n ** 16n,
  gasLimit: 30_000_000,
  ...extra,
});

async function payment(to: string, value: bigint, data?: `0x${string}`): Promise<Uint8Array> {
  return fromHex(
    await BUILDER.signTransaction({
      type: "eip1559",
      chainId: 1,
      nonce: 7,
      to: to as `0x${string}`,
      value,
      gas: 21_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 1n,
      ...(data ? { data } : {}),
    }),
  );
}

describe("builder: blinded proposal validity", () => {
  it("a right block passes for every operator of n=4 and n=7", () => {
    for (const n of [4, 7]) {
      for (let op = 0; op < n; op++) {
        const v = checkBlindedBlock(blindedBlock(130), { valueWei: 2n * 10n ** 16n }, expect(130));
        assert.deepEqual(v, { ok: true }, `n=${n} operator ${op}`);
      }
    }
  });

  it("a Byzantine leader's blocks are refused by every operator (n=4, n=7), each with its reason", () => {
    const cases: [string, ReturnType<typeof blindedBlock>, bigint, RegExp][] = [
      [
        "fee-recipient",
        blindedBlock(130, { feeRecipient: THIEF }),
        10n ** 18n,
        /not the Rocket Pool recipient/,
      ],
      [
        "parent-hash",
        blindedBlock(130, { parentHash: `0x${"99".repeat(32)}` }),
        10n ** 17n,
        /not the parent/,
      ],
      ["slot", blindedBlock(131), 10n ** 17n, /slot 131, the duty for 130/],
      ["value", blindedBlock(130), 10n ** 16n - 1n, /below the minimum/],
    ];
    const otherParent = blindedBlock(130);
    otherParent.parentRoot = fromHex(`0x${"01".repeat(32)}`);
    cases.push(["parent-root", otherParent, 10n ** 17n, /not the head/]);
    const otherProposer = blindedBlock(130);
    otherProposer.proposerIndex = 49;
    cases.push(["proposer", otherProposer, 10n ** 17n, /proposer is 49/]);
    const lateTs = blindedBlock(130);
    lateTs.body.executionPayloadHeader.timestamp += 12;
    cases.push(["timestamp", lateTs, 10n ** 17n, /timestamp/]);
    const gas = blindedBlock(130);
    gas.body.executionPayloadHeader.gasLimit = 60_000_000;
    cases.push(["gas-limit", gas, 10n ** 17n, /gas limit 60000000/]);
    for (const n of [4, 7]) {
      for (const [code, block, value, reason] of cases) {
        const verdicts = Array.from({ length: n }, () =>
          checkBlindedBlock(block, { valueWei: value }, expect(130)),
        );
        for (const v of verdicts) {
          assert.equal(v.ok, false, `${code} n=${n}`);
          assert.ok(
            !v.ok && v.code === code && reason.test(v.reason),
            `${code}: ${JSON.stringify(v)}`,
          );
        }
      }
    }
  });

  it("a builder that is the coinbase is refused by default (payment not visible in a blinded header), accepted with a note when the relay's payment check is trusted", () => {
    const h = blindedBlock(130, { feeRecipient: BUILDER.address }).body.executionPayloadHeader;
    const refused = checkBid({ header: h, valueWei: 10n ** 17n }, expect(130));
    assert.ok(
      !refused.ok && refused.code === "fee-recipient" && /cannot be checked/.test(refused.reason),
    );
    const trusted = checkBid(
      { header: h, valueWei: 10n ** 17n },
      expect(130, { allowBuilderPayment: true }),
    );
    assert.ok(trusted.ok && /relay's check/.test(trusted.note ?? ""));
    // The value rule still applies to a trusted builder payment.
    const cheap = checkBid({ header: h, valueWei: 1n }, expect(130, { allowBuilderPayment: true }));
    assert.ok(!cheap.ok && cheap.code === "value");
  });

  it("full payloads: paid as fee recipient, or by a last-transaction transfer of at least the bid; anything else refused", async () => {
    const bid = 5n * 10n ** 16n;
    assert.ok(checkPayment({ feeRecipient: fromHex(RP), transactions: [] }, RP, bid).ok);
    const coinbase = fromHex(BUILDER.address);
    const paid = checkPayment(
      { feeRecipient: coinbase, transactions: [await payment(RP, bid)] },
      RP,
      bid,
    );
    assert.ok(paid.ok && /payment transaction of 50000000000000000 wei/.test(paid.note ?? ""));
    const short = checkPayment(
      { feeRecipient: coinbase, transactions: [await payment(RP, bid - 1n)] },
      RP,
      bid,
    );
    assert.ok(!short.ok && short.code === "payment-value");
    const elsewhere = checkPayment(
      { feeRecipient: coinbase, transactions: [await payment(THIEF, bid)] },
      RP,
      bid,
    );
    assert.ok(!elsewhere.ok && elsewhere.reason.includes(THIEF));
    // The payment must be the LAST transaction.
    const notLast = checkPayment(
      { feeRecipient: coinbase, transactions: [await payment(RP, bid), await payment(THIEF, 1n)] },
      RP,
      bid,
    );
    assert.equal(notLast.ok, false);
    const call = checkPayment(
      { feeRecipient: coinbase, transactions: [await payment(RP, bid, "0xa9059cbb")] },
      RP,
      bid,
    );
    assert.ok(!call.ok && /call, not a transfer/.test(call.reason));
    const none = checkPayment({ feeRecipient: coinbase, transactions: [] }, RP, bid);
    assert.ok(!none.ok && /no transaction/.test(none.reason));
    const junk = checkPayment(
      { feeRecipient: coinbase, transactions: [new Uint8Array([2, 1, 2])] },
      RP,
      bid,
    );
    assert.ok(!junk.ok && /does not decode/.test(junk.reason));
    assert.equal(toHex(coinbase), BUILDER.address.toLowerCase());
  });

  it("parseWei: wei, gwei and ether amounts; anything else an InputError naming the flag", () => {
    assert.equal(parseWei("0", "--min"), 0n);
    assert.equal(parseWei("1000", "--min"), 1000n);
    assert.equal(parseWei("5 gwei", "--min"), 5_000_000_000n);
    assert.equal(parseWei("0.05 ether", "--min"), 50_000_000_000_000_000n);
    assert.equal(parseWei("1.5ETH", "--min"), 1_500_000_000_000_000_000n);
    for (const bad of ["-1", "0.5", "1e18", "one ether", "0.0000000001 gwei"])
      assert.throws(
        () => parseWei(bad, "--builder-min-value"),
        (e: unknown) => e instanceof InputError && e.field === "--builder-min-value",
        bad,
      );
  });
});
