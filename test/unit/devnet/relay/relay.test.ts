/**
 * The test relay (src/devnet/relay/relay.ts) checks signatures for real: against a local beacon-API
 * double (spec, genesis, head block, validators, proposer duties of a Capella chain), 24
 * validators register in one batch and are accepted; a registration signed for another network
 * (domain), by another key, tampered after signing or unsigned is refused with builder-specs'
 * `{code, message}` and nothing of its batch is stored. A bid pays the registered fee recipient
 * and carries a valid relay signature; a blinded block signed by the proposer under
 * DOMAIN_BEACON_PROPOSER gets its payload back, while a wrong key, the wrong domain, a tampered
 * block or a header the relay never bid are refused. Garbage bodies never crash the server.
 */
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createBeaconConfig, createChainForkConfig } from "@lodestar/config";
import { DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { checkBid, checkPayment } from "../../../../src/builder/proposal.js";
import {
  builderDomain,
  expectedRegistration,
  registrationSigningRoot,
  registrationToJson,
} from "../../../../src/builder/registration.js";
import { signMessage, verifySignature } from "../../../../src/crypto/bls.js";
import { interopPublicKey, interopSecretKey } from "../../../../src/devnet/interop.js";
import { type Relay, startRelay } from "../../../../src/devnet/relay/relay.js";
import { fromHex, toHex } from "../../../../src/util/hex.js";

const SPS = 12;
const HEAD_SLOT = 100;
const GENESIS_FORK = "0x10000910";
const GVR = `0x${"42".repeat(32)}`;
const genesisTime = Math.floor(Date.now() / 1000) - (HEAD_SLOT + 1) * SPS - 2;
const NEXT = HEAD_SLOT + 1;
const HEAD_HASH = `0x${"5a".repeat(32)}`;
const VALS = Array.from({ length: 24 }, (_, i) => ({
  index: i,
  secret: interopSecretKey(i),
  pubkey: toHex(interopPublicKey(i)),
  feeRecipient: `0x${(0xa000 + i).toString(16).padStart(40, "0")}`,
}));
const PROPOSER = VALS[5] as (typeof VALS)[0];
const chain = { genesisTime, secondsPerSlot: SPS, slotsPerEpoch: 32 };
const bDomain = builderDomain(fromHex(GENESIS_FORK));
const config = createBeaconConfig(
  {
    ...createChainForkConfig({}),
    GENESIS_FORK_VERSION: fromHex(GENESIS_FORK),
    ALTAIR_FORK_VERSION: fromHex("0x20000910"),
    BELLATRIX_FORK_VERSION: fromHex("0x30000910"),
    CAPELLA_FORK_VERSION: fromHex("0x40000910"),
    ALTAIR_FORK_EPOCH: 0,
    BELLATRIX_FORK_EPOCH: 0,
    CAPELLA_FORK_EPOCH: 0,
    DENEB_FORK_EPOCH: Number.POSITIVE_INFINITY,
    ELECTRA_FORK_EPOCH: Number.POSITIVE_INFINITY,
    FULU_FORK_EPOCH: Number.POSITIVE_INFINITY,
    GLOAS_FORK_EPOCH: Number.POSITIVE_INFINITY,
  },
  fromHex(GVR),
);

/** While set, the beacon double answers 503 to every validator read (a loaded beacon node). */
let validatorReadsFail = false;

function fakeBeacon(): Server {
  const spec = {
    PRESET_BASE: "mainnet",
    CONFIG_NAME: "relay-test",
    GENESIS_FORK_VERSION: GENESIS_FORK,
    ALTAIR_FORK_VERSION: "0x20000910",
    ALTAIR_FORK_EPOCH: "0",
    BELLATRIX_FORK_VERSION: "0x30000910",
    BELLATRIX_FORK_EPOCH: "0",
    CAPELLA_FORK_VERSION: "0x40000910",
    CAPELLA_FORK_EPOCH: "0",
    SECONDS_PER_SLOT: String(SPS),
    SLOTS_PER_EPOCH: "32",
    DEPOSIT_CHAIN_ID: "17000",
  };
  const validator = (v: (typeof VALS)[0]) => ({
    index: String(v.index),
    status: "active_ongoing",
    validator: { pubkey: v.pubkey, withdrawal_credentials: `0x00${"11".repeat(31)}` },
  });
  const routes: Record<string, unknown> = {
    "/eth/v1/config/spec": spec,
    "/eth/v1/beacon/genesis": { genesis_time: String(genesisTime), genesis_validators_root: GVR },
    "/eth/v1/beacon/blocks/head/root": { root: `0x${"77".repeat(32)}` },
    "/eth/v2/beacon/blocks/head": {
      message: {
        slot: String(HEAD_SLOT),
        body: {
          randao_reveal: `0x${"aa".repeat(96)}`,
          execution_payload: {
            block_hash: HEAD_HASH,
            block_number: "5000",
            prev_randao: `0x${"33".repeat(32)}`,
            base_fee_per_gas: "7",
            timestamp: String(genesisTime + HEAD_SLOT * SPS),
            gas_limit: "30000000",
          },
        },
      },
    },
    "/eth/v1/beacon/states/head/validators": VALS.map(validator),
    [`/eth/v1/validator/duties/proposer/${Math.floor(NEXT / 32)}`]: [
      { pubkey: PROPOSER.pubkey, validator_index: String(PROPOSER.index), slot: String(NEXT) },
    ],
  };
  for (const v of VALS) routes[`/eth/v1/beacon/states/head/validators/${v.index}`] = validator(v);
  return createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (validatorReadsFail && path.startsWith("/eth/v1/beacon/states/head/validators"))
      return void res.writeHead(503).end('{"code":503,"message":"busy"}');
    const data = routes[path];
    if (data === undefined)
      return void res.writeHead(404).end('{"code":404,"message":"not found"}');
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data }));
  });
}

function signedRegistration(
  v: (typeof VALS)[0],
  o: { domain?: Uint8Array; secret?: Uint8Array; feeRecipient?: string } = {},
) {
  const message = expectedRegistration(chain, 3, { ...v, gasLimit: 30_000_000 });
  const signature = signMessage(
    o.secret ?? v.secret,
    registrationSigningRoot(message, o.domain ?? bDomain),
  );
  if (o.feeRecipient) message.feeRecipient = fromHex(o.feeRecipient);
  return registrationToJson({ message, signature });
}

async function post(relay: Relay, path: string, body: unknown) {
  const res = await fetch(`${relay.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe("test relay: builder API with signature checks", () => {
  let beacon: Server;
  let relay: Relay;
  before(async () => {
    beacon = fakeBeacon();
    await new Promise<void>((r) => beacon.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(beacon.address() as AddressInfo).port}`;
    relay = await startRelay({ beaconUrl: url });
  });
  after(async () => {
    await relay?.stop();
    await new Promise<void>((r) => beacon.close(() => r()));
  });

  it("binds 127.0.0.1 and answers status", async () => {
    assert.match(relay.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${relay.url}/eth/v1/builder/status`)).status, 200);
  });

  it("refuses a foreign Host header (403) and keeps answering loopback ones", async () => {
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(`${relay.url}/eth/v1/builder/status`);
        const req = httpRequest(
          { hostname: u.hostname, port: u.port, path: u.pathname, headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
    assert.equal(await status("evil.example"), 403);
    assert.equal(await status(`localhost:${new URL(relay.url).port}`), 200);
    assert.equal((await fetch(`${relay.url}/eth/v1/builder/status`)).status, 200);
  });

  it("refuses wrong-domain, wrong-key, tampered, unsigned and non-validator registrations with {code, message}; the batch is not stored", async () => {
    const otherNet = builderDomain(fromHex("0x00000000"));
    const v0 = VALS[0] as (typeof VALS)[0];
    const stranger = { ...v0, secret: interopSecretKey(40), pubkey: toHex(interopPublicKey(40)) };
    const bad: [string, unknown, RegExp][] = [
      ["wrong domain", signedRegistration(v0, { domain: otherNet }), /invalid signature/],
      ["wrong key", signedRegistration(v0, { secret: interopSecretKey(99) }), /invalid signature/],
      [
        "tampered",
        signedRegistration(v0, { feeRecipient: `0x${"ee".repeat(20)}` }),
        /invalid signature/,
      ],
      [
        "unsigned",
        { ...(signedRegistration(v0) as object), signature: `0x${"00".repeat(96)}` },
        /invalid signature/,
      ],
      [
        "no signature",
        { message: (signedRegistration(v0) as { message: unknown }).message },
        /not a SignedValidatorRegistrationV1/,
      ],
      [
        "not a validator",
        signedRegistration(stranger),
        /not a validator eligible for registration \(unknown\)/,
      ],
    ];
    for (const [what, reg, why] of bad) {
      const good = signedRegistration(VALS[1] as (typeof VALS)[0]);
      const r = await post(relay, "/eth/v1/builder/validators", [good, reg]);
      assert.equal(r.status, 400, what);
      assert.equal(r.body.code, 400);
      assert.match(r.body.message, /^registration 1[ :]/, what);
      assert.match(r.body.message, why, what);
    }
    assert.equal(relay.records().registrations.length, 0, "no registration of a bad batch is kept");
  });

  it("accepts 24 properly signed registrations in one batch, re-submission is a no-op", async () => {
    const batch = VALS.map((v) => signedRegistration(v));
    assert.equal((await post(relay, "/eth/v1/builder/validators", batch)).status, 200);
    assert.equal((await post(relay, "/eth/v1/builder/validators", batch)).status, 200);
    const recs = relay.records().registrations;
    assert.equal(recs.length, 24);
    assert.ok(recs.every((r) => r.signatureVerified));
    assert.equal(relay.registered().get(PROPOSER.pubkey)?.feeRecipient, PROPOSER.feeRecipient);
  });

  let bid: { header: Record<string, unknown>; json: { message: { header: unknown } } };
  it("bids for the slot's proposer, paying the registered fee recipient, signed by the relay; no bid otherwise", async () => {
    const res = await fetch(
      `${relay.url}/eth/v1/builder/header/${NEXT}/${HEAD_HASH}/${PROPOSER.pubkey}`,
    );
    assert.equal(res.status, 200);
    const out = (await res.json()) as { version: string; data: unknown };
    assert.equal(out.version, "capella");
    const signed = ssz.capella.SignedBuilderBid.fromJson(out.data);
    assert.equal(toHex(signed.message.header.feeRecipient), PROPOSER.feeRecipient);
    assert.equal(toHex(signed.message.header.parentHash), HEAD_HASH);
    assert.equal(signed.message.header.timestamp, genesisTime + NEXT * SPS);
    assert.equal(signed.message.value, 10n ** 16n);
    const root = ssz.phase0.SigningData.hashTreeRoot({
      objectRoot: ssz.capella.BuilderBid.hashTreeRoot(signed.message),
      domain: bDomain,
    });
    assert.ok(verifySignature(fromHex(relay.pubkey), root, signed.signature));
    bid = { header: signed.message.header as never, json: out.data as never };
    const other = VALS[6] as (typeof VALS)[0];
    for (const [path, why] of [
      [`${NEXT}/${HEAD_HASH}/${other.pubkey}`, /not slot 101's proposer/],
      [`${NEXT}/0x${"01".repeat(32)}/${PROPOSER.pubkey}`, /is not the head's payload/],
      [`${NEXT}/${HEAD_HASH}/${toHex(interopPublicKey(40))}`, /not registered/],
    ] as const) {
      assert.equal((await fetch(`${relay.url}/eth/v1/builder/header/${path}`)).status, 204);
      assert.match(relay.records().headers.at(-1)?.noBid ?? "", why);
    }
    assert.equal((await fetch(`${relay.url}/eth/v1/builder/header/1/0x12/0x34`)).status, 400);
  });

  function blinded(
    o: { secret?: Uint8Array; domainType?: Uint8Array; tamper?: boolean; header?: unknown } = {},
  ) {
    const block = ssz.capella.BlindedBeaconBlock.defaultValue();
    block.slot = NEXT;
    block.proposerIndex = PROPOSER.index;
    block.body.executionPayloadHeader = ssz.capella.ExecutionPayloadHeader.fromJson(
      o.header ?? bid.json.message.header,
    );
    const root = ssz.phase0.SigningData.hashTreeRoot({
      objectRoot: ssz.capella.BlindedBeaconBlock.hashTreeRoot(block),
      domain: config.getDomain(NEXT, o.domainType ?? DOMAIN_BEACON_PROPOSER),
    });
    const signature = signMessage(o.secret ?? PROPOSER.secret, root);
    if (o.tamper) block.body.graffiti = new Uint8Array(32).fill(1);
    return ssz.capella.SignedBlindedBeaconBlock.toJson({ message: block, signature });
  }

  it("refuses a blinded block signed by another key, under another domain, tampered, or for a header it never bid", async () => {
    const fakeHeader = {
      ...(bid.json.message.header as object),
      block_hash: `0x${"66".repeat(32)}`,
    };
    for (const [what, body, why] of [
      ["wrong key", blinded({ secret: interopSecretKey(6) }), /invalid signature/],
      ["attester domain", blinded({ domainType: DOMAIN_BEACON_ATTESTER }), /invalid signature/],
      ["tampered", blinded({ tamper: true }), /invalid signature/],
      ["unknown header", blinded({ header: fakeHeader }), /no bid of this relay/],
      [
        "not a block",
        { message: { slot: "101" }, signature: "0x00" },
        /not a capella SignedBlindedBeaconBlock/,
      ],
    ] as const) {
      const r = await post(relay, "/eth/v1/builder/blinded_blocks", body);
      assert.equal(r.status, 400, what);
      assert.match(r.body.message, why, what);
    }
    assert.equal(relay.records().blindedBlocks.length, 0);
  });

  it("its beacon node failing a read is a 502 recorded with its code, not a refusal; an unknown proposer is a 400", async () => {
    const before = relay.records().rejected.length;
    validatorReadsFail = true;
    try {
      const b = await post(relay, "/eth/v1/builder/blinded_blocks", blinded());
      assert.equal(b.status, 502);
      assert.match(b.body.message, /Beacon node answered 503/);
      const r = await post(relay, "/eth/v1/builder/validators", [signedRegistration(PROPOSER)]);
      assert.equal(r.status, 502);
    } finally {
      validatorReadsFail = false;
    }
    const unknown = ssz.capella.SignedBlindedBeaconBlock.fromJson(blinded());
    unknown.message.proposerIndex = 9999; // 404 from the beacon node
    const u = await post(
      relay,
      "/eth/v1/builder/blinded_blocks",
      ssz.capella.SignedBlindedBeaconBlock.toJson(unknown),
    );
    assert.equal(u.status, 400);
    assert.match(u.body.message, /proposer_index 9999 is not a known validator/);
    assert.deepEqual(
      relay
        .records()
        .rejected.slice(before)
        .map((x) => [x.route, x.code]),
      [
        ["POST /eth/v1/builder/blinded_blocks", 502],
        ["POST /eth/v1/builder/validators", 502],
        ["POST /eth/v1/builder/blinded_blocks", 400],
      ],
    );
    assert.equal(relay.records().blindedBlocks.length, 0, "nothing recorded as verified");
  });

  it("returns the payload of a properly signed blinded block and records it verified", async () => {
    const r = await post(relay, "/eth/v1/builder/blinded_blocks", blinded());
    assert.equal(r.status, 200);
    assert.equal(r.body.version, "capella");
    const payload = ssz.capella.ExecutionPayload.fromJson(r.body.data);
    assert.equal(toHex(payload.blockHash), toHex(bid.header.blockHash as Uint8Array));
    assert.equal(toHex(payload.feeRecipient), PROPOSER.feeRecipient);
    assert.deepEqual(
      ssz.bellatrix.Transactions.hashTreeRoot(payload.transactions),
      bid.header.transactionsRoot,
    );
    const recs = relay.records().blindedBlocks;
    assert.equal(recs.length, 1);
    assert.deepEqual(
      { ...recs[0], blockHash: undefined },
      {
        slot: NEXT,
        proposerIndex: PROPOSER.index,
        pubkey: PROPOSER.pubkey,
        blockHash: undefined,
        signatureVerified: true,
        route: "v1",
      },
    );
  });

  it("survives garbage: non-JSON, wrong shapes, oversized bodies, unknown routes", async () => {
    assert.equal((await post(relay, "/eth/v1/builder/validators", "{not json")).status, 400);
    assert.equal((await post(relay, "/eth/v1/builder/validators", { a: 1 })).status, 400);
    assert.equal((await post(relay, "/eth/v1/builder/blinded_blocks", [])).status, 400);
    const big = await post(relay, "/eth/v1/builder/validators", `[${"1,".repeat(4.5 * 2 ** 20)}1]`);
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${relay.url}/nope`)).status, 404);
    assert.equal((await fetch(`${relay.url}/eth/v1/builder/status`)).status, 200);
  });

  it("payment-tx mode: the builder is the coinbase and pays the registered recipient by the last transaction; the default blinded check refuses such a header, checkPayment accepts the payload", async () => {
    const url = `http://127.0.0.1:${(beacon.address() as AddressInfo).port}`;
    const payer = await startRelay({
      beaconUrl: url,
      mode: "payment-tx",
      bidValueWei: 3n * 10n ** 16n,
    });
    try {
      const batch = VALS.map((v) => signedRegistration(v));
      assert.equal((await post(payer, "/eth/v1/builder/validators", batch)).status, 200);
      const res = await fetch(
        `${payer.url}/eth/v1/builder/header/${NEXT}/${HEAD_HASH}/${PROPOSER.pubkey}`,
      );
      assert.equal(res.status, 200);
      const out = (await res.json()) as { data: { message: { header: unknown } } };
      const signedBid = ssz.capella.SignedBuilderBid.fromJson(out.data);
      const header = signedBid.message.header;
      assert.notEqual(toHex(header.feeRecipient), PROPOSER.feeRecipient);
      const want = {
        slot: NEXT,
        proposerIndex: PROPOSER.index,
        parentRoot: `0x${"77".repeat(32)}`,
        parentHash: HEAD_HASH,
        timestamp: genesisTime + NEXT * SPS,
        feeRecipient: PROPOSER.feeRecipient,
        minValueWei: 0n,
        gasLimit: 30_000_000,
      };
      const refused = checkBid({ header, valueWei: signedBid.message.value }, want);
      assert.ok(!refused.ok && refused.code === "fee-recipient");
      assert.ok(
        checkBid(
          { header, valueWei: signedBid.message.value },
          { ...want, allowBuilderPayment: true },
        ).ok,
      );
      const block = ssz.capella.BlindedBeaconBlock.defaultValue();
      block.slot = NEXT;
      block.proposerIndex = PROPOSER.index;
      block.body.executionPayloadHeader = header;
      const root = ssz.phase0.SigningData.hashTreeRoot({
        objectRoot: ssz.capella.BlindedBeaconBlock.hashTreeRoot(block),
        domain: config.getDomain(NEXT, DOMAIN_BEACON_PROPOSER),
      });
      const signed = ssz.capella.SignedBlindedBeaconBlock.toJson({
        message: block,
        signature: signMessage(PROPOSER.secret, root),
      });
      const r = await post(payer, "/eth/v1/builder/blinded_blocks", signed);
      assert.equal(r.status, 200);
      const payload = ssz.capella.ExecutionPayload.fromJson(r.body.data);
      assert.equal(payload.transactions.length, 1);
      assert.deepEqual(
        ssz.bellatrix.Transactions.hashTreeRoot(payload.transactions),
        header.transactionsRoot,
      );
      const paid = checkPayment(payload, PROPOSER.feeRecipient, 3n * 10n ** 16n);
      assert.ok(paid.ok, JSON.stringify(paid));
      assert.equal(checkPayment(payload, PROPOSER.feeRecipient, 3n * 10n ** 16n + 1n).ok, false);
    } finally {
      await payer.stop();
    }
  });

  it("pause closes the port (connection refused), resume reopens it on the same port", async () => {
    const port = relay.port;
    await relay.pause();
    await assert.rejects(fetch(`${relay.url}/eth/v1/builder/status`));
    await relay.resume();
    assert.equal(relay.port, port);
    assert.equal((await fetch(`${relay.url}/eth/v1/builder/status`)).status, 200);
  });
});
