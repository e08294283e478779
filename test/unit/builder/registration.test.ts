/**
 * Builder registrations (src/builder/registration.ts) with real BLS signatures: the builder
 * domain against mainnet's published value and an independent compute_domain, the epoch-start
 * timestamp every operator derives, and the validity check over 24 validators whose Rocket Pool
 * recipients differ (fee distributors vs the smoothing pool) — a wrong recipient, gas limit,
 * timestamp or pubkey is refused, each with a reason.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ssz } from "@lodestar/types";
import {
  builderDomain,
  checkRegistration,
  DEFAULT_GAS_LIMIT,
  expectedRegistration,
  registrationFromJson,
  registrationSigningRoot,
  registrationTimestamp,
  registrationToJson,
  sameRegistration,
  verifyRegistration,
} from "../../../src/builder/registration.js";
import { signMessage } from "../../../src/crypto/bls.js";
import { interopPublicKey, interopSecretKey } from "../../../src/devnet/interop.js";
import { InputError } from "../../../src/errors.js";
import { fromHex, toHex } from "../../../src/util/hex.js";

/** mainnet: GENESIS_FORK_VERSION 0x00000000, genesis 2020-12-01T12:00:23Z, 12 s slots. */
const MAINNET = { genesisTime: 1606824023, secondsPerSlot: 12, slotsPerEpoch: 32 };
const MAINNET_GENESIS_FORK = fromHex("0x00000000");
/** flashbots/mev-boost `DomainBuilder` on mainnet (and every builder-API client since). */
const MAINNET_BUILDER_DOMAIN = "0x00000001f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9";
const SMOOTHING_POOL = "0xd4E96eF8eee8678dBFf4d535E033Ed1a4F7605b7";
const distributor = (i: number) => `0x${(0x1000 + i).toString(16).padStart(40, "0")}`;

/** 24 validators: every third in the smoothing pool, the others paying their node's distributor. */
const VALIDATORS = Array.from({ length: 24 }, (_, i) => ({
  index: 48 + i,
  secret: interopSecretKey(48 + i),
  pubkey: toHex(interopPublicKey(48 + i)),
  feeRecipient: i % 3 === 0 ? SMOOTHING_POOL : distributor(Math.floor(i / 4)),
}));

describe("builder: validator registrations", () => {
  it("the builder domain is mainnet's published one and equals an independent compute_domain", () => {
    assert.equal(toHex(builderDomain(MAINNET_GENESIS_FORK)), MAINNET_BUILDER_DOMAIN);
    for (const v of ["0x00000001", "0x10000910", "0x90000069"]) {
      const root = ssz.phase0.ForkData.hashTreeRoot({
        currentVersion: fromHex(v),
        genesisValidatorsRoot: new Uint8Array(32),
      });
      const want = `0x00000001${toHex(root, false).slice(0, 56)}`;
      assert.equal(toHex(builderDomain(fromHex(v))), want, v);
    }
    assert.throws(() => builderDomain(new Uint8Array(3)), InputError);
  });

  it("the timestamp is the registration epoch's start, the same whenever in the epoch it is derived", () => {
    assert.equal(registrationTimestamp(MAINNET, 0), MAINNET.genesisTime);
    assert.equal(registrationTimestamp(MAINNET, 10), MAINNET.genesisTime + 10 * 384);
    // Period 4: epochs 8..11 share epoch 8's timestamp; 12 moves on.
    const p4 = [8, 9, 10, 11, 12].map((e) => registrationTimestamp(MAINNET, e, 4));
    assert.deepEqual(p4, [
      ...Array(4).fill(MAINNET.genesisTime + 8 * 384),
      MAINNET.genesisTime + 12 * 384,
    ]);
    assert.throws(() => registrationTimestamp(MAINNET, -1), /epoch must be an integer ≥ 0/);
    assert.throws(() => registrationTimestamp(MAINNET, 3, 0), /period must be an integer ≥ 1/);
  });

  it("24 validators: the derived registration, signed with the validator key, verifies; every operator derives the same bytes", () => {
    const domain = builderDomain(MAINNET_GENESIS_FORK);
    for (const v of VALIDATORS) {
      const want = { pubkey: v.pubkey, feeRecipient: v.feeRecipient, gasLimit: DEFAULT_GAS_LIMIT };
      const a = expectedRegistration(MAINNET, 300_000, want);
      const b = expectedRegistration(MAINNET, 300_000, {
        ...want,
        pubkey: v.pubkey.toUpperCase().replace("0X", "0x"),
      });
      assert.ok(sameRegistration(a, b), "operators derive byte-equal messages");
      const signed = {
        message: a,
        signature: signMessage(v.secret, registrationSigningRoot(a, domain)),
      };
      assert.ok(verifyRegistration(signed, domain), `validator ${v.index}`);
      const round = registrationFromJson(JSON.parse(JSON.stringify(registrationToJson(signed))));
      assert.ok(verifyRegistration(round, domain), "JSON round trip keeps the signature valid");
      assert.deepEqual(
        checkRegistration(a, { ...want, timestamp: registrationTimestamp(MAINNET, 300_000) }),
        { ok: true },
      );
    }
  });

  it("a wrong key, another network's domain or a tampered message does not verify", () => {
    const [v, w] = VALIDATORS as [(typeof VALIDATORS)[0], (typeof VALIDATORS)[0]];
    const domain = builderDomain(MAINNET_GENESIS_FORK);
    const msg = expectedRegistration(MAINNET, 5, { ...v, gasLimit: DEFAULT_GAS_LIMIT });
    const root = registrationSigningRoot(msg, domain);
    assert.equal(
      verifyRegistration({ message: msg, signature: signMessage(w.secret, root) }, domain),
      false,
    );
    const holesky = builderDomain(fromHex("0x01017000"));
    const onHolesky = signMessage(v.secret, registrationSigningRoot(msg, holesky));
    assert.equal(verifyRegistration({ message: msg, signature: onHolesky }, domain), false);
    assert.equal(verifyRegistration({ message: msg, signature: onHolesky }, holesky), true);
    const good = signMessage(v.secret, root);
    const tampered = { ...msg, feeRecipient: fromHex(distributor(99)) };
    assert.equal(verifyRegistration({ message: tampered, signature: good }, domain), false);
    assert.equal(
      verifyRegistration({ message: msg, signature: new Uint8Array(96) }, domain),
      false,
    );
  });

  it("validity: a registration paying anyone but the Rocket Pool recipient is refused with a reason, as are a wrong gas limit, timestamp or pubkey", () => {
    const ts = registrationTimestamp(MAINNET, 7);
    for (const v of VALIDATORS) {
      const want = {
        pubkey: v.pubkey,
        feeRecipient: v.feeRecipient,
        gasLimit: DEFAULT_GAS_LIMIT,
        timestamp: ts,
      };
      const good = expectedRegistration(MAINNET, 7, want);
      const other = v.feeRecipient === SMOOTHING_POOL ? distributor(0) : SMOOTHING_POOL;
      const wrongFr = checkRegistration({ ...good, feeRecipient: fromHex(other) }, want);
      assert.equal(wrongFr.ok, false);
      assert.ok(
        !wrongFr.ok &&
          wrongFr.code === "fee-recipient" &&
          wrongFr.reason.includes(other.toLowerCase()),
      );
      const gas = checkRegistration({ ...good, gasLimit: 60_000_000 }, want);
      assert.ok(!gas.ok && gas.code === "gas-limit" && /60000000/.test(gas.reason));
      const late = checkRegistration({ ...good, timestamp: ts + 1 }, want);
      assert.ok(!late.ok && late.code === "timestamp");
      const notMine = checkRegistration({ ...good, pubkey: interopPublicKey(1) }, want);
      assert.ok(!notMine.ok && notMine.code === "pubkey");
    }
  });

  it("bad configuration is an InputError naming the field", () => {
    const v = VALIDATORS[0] as (typeof VALIDATORS)[0];
    assert.throws(
      () => expectedRegistration(MAINNET, 1, { ...v, feeRecipient: "0x1234", gasLimit: 1 }),
      (e: unknown) => e instanceof InputError && e.field === "feeRecipient",
    );
    assert.throws(
      () => expectedRegistration(MAINNET, 1, { ...v, gasLimit: 0 }),
      (e: unknown) => e instanceof InputError && e.field === "gasLimit",
    );
    assert.throws(
      () => registrationFromJson({ message: {} }, "body[3]"),
      (e: unknown) => e instanceof InputError && e.field === "body[3]",
    );
  });
});
