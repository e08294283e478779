/**
 * The devnet's local MEV-Boost relay (a devnet component, like the mock execution engine): a real
 * builder-API server (ethereum/builder-specs apis/builder/*.yaml) on 127.0.0.1 that VERIFIES every
 * signature it is given and records what it saw — the evidence `rpdvt demo` (src/devnet/demo/
 * builder.ts) and the e2e tests judge by, not rpdvt's own bookkeeping.
 *
 * Routes (builder-specs):
 * - `GET /eth/v1/builder/status` → 200.
 * - `POST /eth/v1/builder/validators` — `SignedValidatorRegistrationV1[]`; each signature is
 *   checked with the registration's pubkey under the builder domain
 *   (`compute_domain(DOMAIN_APPLICATION_BUILDER, GENESIS_FORK_VERSION, Root())`,
 *   src/builder/registration.ts), the validator known and active or pending, the timestamp at
 *   most 10 s in the future and not older than the one held (builder-specs
 *   `process_registration`, MAX_REGISTRATION_LOOKAHEAD). All-or-nothing: one
 *   bad registration → 400 `{code, message}` naming it, none stored.
 * - `GET /eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}` — a `SignedBuilderBid` (signed by
 *   the relay's own BLS key, builder domain) for a registered validator on the beacon node's head,
 *   paying the REGISTERED fee recipient; 204 (no bid) when the validator is not registered, the
 *   parent is not the head's payload, the slot is not the next one, the validator is not the
 *   slot's proposer, or withdrawals would be due (see payload.ts).
 * - `POST /eth/v1/builder/blinded_blocks` — a `SignedBlindedBeaconBlock`; its signature is checked
 *   with the proposer's public key (looked up by proposer_index on the beacon node) under
 *   DOMAIN_BEACON_PROPOSER of the fork at the block's epoch (@lodestar/config `getDomain`), and
 *   its header must be one this relay bid; the answer is the full `ExecutionPayload`
 *   (`ExecutionPayloadAndBlobsBundle` from Deneb on), `{version, data}`.
 * - `POST /eth/v2/builder/blinded_blocks` — the same checks; 202 and the relay publishes the
 *   unblinded block to its beacon node itself (builder-specs Fulu `submitBlindedBlockV2`).
 *   (Lodestar 1.5.1 also names a v2 route: its EIP-4844 draft, never scheduled on the devnet.)
 * - `GET /relay/v1/data/validator_registration?pubkey=` (flashbots/relay-specs data API): the
 *   latest verified registration of a validator, 400 `no registration found` otherwise.
 * - `GET /relay/v1/records` (not builder-specs): everything above as seen, for tests.
 * Errors use builder-specs' shape `{code, message}`; a request that throws is a 500 with that
 * shape, never a crash; bodies over {@link MAX_BODY_BYTES} are refused (413); a Host header that
 * does not name loopback is refused (403, util/host-header.ts: no DNS rebinding from a web page).
 *
 * How Lodestar 1.5.1 (devnet/lodestar, `lodestar dev --execution.engineMock`) uses a builder —
 * found by hand (its lib/ sources and a run against this relay, see test/e2e/relay-devnet.test.ts):
 * - flags: `--builder` (enables BOTH the beacon node's builder client and the validator client's
 *   builder flow in `lodestar dev`), `--builder.urls http://127.0.0.1:PORT` (only the first URL is
 *   used), `--builder.timeout` (ms, default 12000), validator `--builder.selection maxprofit|
 *   builderalways` (maxprofit: the builder block only if its value is > the engine block's);
 * - the beacon node enables its builder only after `faultInspectionWindow` slots (≥ SLOTS_PER_EPOCH,
 *   8 + random 0..7 on the minimal preset) with at most half of them missed
 *   (chain.js `updateBuilderStatus`); until then `produceBlindedBlock` fails "Execution builder
 *   disabled" and the VC falls back to the engine block. It calls `status` every slot while enabled;
 *   a failed call disables it until the next window check;
 * - registrations: the VC signs one per validator (timestamp = its clock at first signing, cached
 *   while fee recipient and gas limit stay) and POSTs them through the beacon node's
 *   `/eth/v1/validator/register_validator` every epoch; the beacon node forwards only validators
 *   that are active or pending to `/eth/v1/builder/validators`;
 * - proposal: the VC asks `produceBlindedBlock` (GET /eth/v1/validator/blinded_blocks/{slot}) and
 *   `produceBlockV2` in parallel; the beacon node calls `getHeader(slot, parent_hash, pubkey)` and
 *   does NOT verify the bid's signature; the VC signs the blinded block, POSTs
 *   /eth/v1/beacon/blinded_blocks; the beacon node calls `submitBlindedBlock` (v1 up to Capella),
 *   checks the returned payload's `transactions_root` against the header and imports the block;
 * - payload acceptance: the mock execution engine accepts any payload whose `parent_hash` it knows
 *   (`notifyNewPayload`: "Mock only validates that parent is known"); the beacon state transition
 *   checks parent hash, prev_randao, timestamp and withdrawals (payload.ts builds them right).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DOMAIN_BEACON_PROPOSER, isForkPostDeneb } from "@lodestar/params";
import { type ExecutionPayload, ssz } from "@lodestar/types";
import { builderDomain, verifyRegistration } from "../../builder/registration.js";
import { publicKeyOf, signMessage, verifySignature } from "../../crypto/bls.js";
import { BaseError } from "../../errors.js";
import { fromHex, toHex } from "../../util/hex.js";
import { isLoopbackHost } from "../../util/host-header.js";
import { beaconGet, headForBuilding, readChain, validatorOf } from "./chain.js";
import { buildPayload, forkTypes, payloadHeader } from "./payload.js";

type BlindedMessage = {
  slot: number;
  proposerIndex: number;
  body: { executionPayloadHeader: { blockHash: Uint8Array } } & Record<string, unknown>;
};

/**
 * Largest request body accepted (registrations of ~20k validators fit); larger → 413.
 *
 * @example
 * if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large");
 */
export const MAX_BODY_BYTES = 8 * 2 ** 20;
/**
 * builder-specs registerValidator: a registration's timestamp may be at most this far (s) ahead.
 *
 * @example
 * if (reg.timestamp > now / 1000 + MAX_FUTURE_TIMESTAMP_S) refuse();
 */
export const MAX_FUTURE_TIMESTAMP_S = 10;

/**
 * Options of {@link startRelay}.
 *
 * @example
 * await startRelay({ beaconUrl: devnet.restUrl, bidValueWei: 10n ** 16n });
 */
export type RelayOptions = {
  beaconUrl: string;
  /** Port on 127.0.0.1 (0 = any free one). */
  port?: number;
  /** The bid's value, wei. Default 0.01 ether. */
  bidValueWei?: bigint;
  /** How the builder pays: as the payload's fee recipient, or by a payment transaction. */
  mode?: "fee-recipient" | "payment-tx";
  /** Check the slot's proposer duty before bidding (default true). */
  checkProposerDuty?: boolean;
  now?: () => number;
};

/**
 * Everything the relay saw.
 *
 * @example
 * const { registrations, blindedBlocks } = relay.records();
 */
export type RelayRecords = {
  registrations: {
    pubkey: string;
    feeRecipient: string;
    gasLimit: number;
    timestamp: number;
    signatureVerified: true;
  }[];
  rejected: { route: string; reason: string }[];
  headers: {
    slot: number;
    pubkey: string;
    parentHash: string;
    bid?: { blockHash: string; valueWei: string; feeRecipient: string };
    noBid?: string;
  }[];
  blindedBlocks: {
    slot: number;
    proposerIndex: number;
    pubkey: string;
    blockHash: string;
    signatureVerified: true;
    route: "v1" | "v2";
  }[];
};

/**
 * A running relay.
 *
 * @example
 * const relay = await startRelay({ beaconUrl });
 * await relay.pause(); await relay.resume(); await relay.stop();
 */
export type Relay = {
  url: string;
  port: number;
  /** The relay's BLS public key (the bids' `pubkey`). */
  pubkey: string;
  records(): RelayRecords;
  /** The latest verified registration per validator pubkey. */
  registered(): Map<string, RelayRecords["registrations"][number]>;
  /** Close the listening socket (connections refused) until {@link Relay.resume}. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
};

/** A refusal with its HTTP status (answered as builder-specs' `{code, message}`). */
class HttpError extends BaseError {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  code: number,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  if (body === undefined) {
    res.writeHead(code, headers).end();
    return;
  }
  const text = JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(code, { "content-type": "application/json", ...headers }).end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is read to its end and dropped, so the client gets the 413 (not a reset).
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(c as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
}

function randomSecret(): Uint8Array {
  const s = new Uint8Array(randomBytes(32));
  s[0] = (s[0] as number) & 0x3f; // < r
  s[31] = (s[31] as number) | 1; // ≠ 0
  return s;
}

/**
 * Start the relay against a beacon node (which it reads for the chain, head and validators).
 *
 * @example
 * const relay = await startRelay({ beaconUrl: devnet.restUrl, port: 18650 });
 * try { … } finally { await relay.stop(); }
 */
export async function startRelay(opts: RelayOptions): Promise<Relay> {
  const chain = await readChain(opts.beaconUrl);
  const now = opts.now ?? Date.now;
  const valueWei = opts.bidValueWei ?? 10n ** 16n;
  const mode = opts.mode ?? "fee-recipient";
  const secret = randomSecret();
  const relayPubkey = publicKeyOf(secret);
  const builderKey = toHex(randomSecret()) as `0x${string}`;
  const bDomain = builderDomain(chain.genesisForkVersion);
  const rec: RelayRecords = { registrations: [], rejected: [], headers: [], blindedBlocks: [] };
  const latest = new Map<string, RelayRecords["registrations"][number]>();
  /** The signed registration as received, per pubkey (relay-specs data API answer). */
  const registrationJson = new Map<string, unknown>();
  const bids = new Map<string, { fork: string; payload: ExecutionPayload; slot: number }>();

  async function registerValidators(body: unknown): Promise<void> {
    if (!Array.isArray(body)) throw new HttpError(400, "body must be an array of registrations");
    const ok: (RelayRecords["registrations"][number] & { json: unknown })[] = [];
    // builder-specs process_registration: the pubkey is a validator eligible for registration
    // (active, or pending activation).
    const statuses = new Map(
      (
        await beaconGet<{ status: string; validator: { pubkey: string } }[]>(
          chain.beaconUrl,
          "/eth/v1/beacon/states/head/validators",
        )
      ).map((v) => [v.validator.pubkey.toLowerCase(), v.status]),
    );
    for (const [i, item] of body.entries()) {
      let signed: ReturnType<typeof ssz.bellatrix.SignedValidatorRegistrationV1.fromJson>;
      try {
        signed = ssz.bellatrix.SignedValidatorRegistrationV1.fromJson(item);
      } catch (err) {
        throw new HttpError(
          400,
          `registration ${i}: not a SignedValidatorRegistrationV1 (${(err as Error).message})`,
        );
      }
      const pubkey = toHex(signed.message.pubkey);
      if (!verifyRegistration(signed, bDomain))
        throw new HttpError(400, `registration ${i} (${pubkey}): invalid signature`);
      const status = statuses.get(pubkey);
      if (!status || !/^(active|pending)/.test(status))
        throw new HttpError(
          400,
          `registration ${i} (${pubkey}): not a validator eligible for registration (${status ?? "unknown"})`,
        );
      if (signed.message.timestamp > now() / 1000 + MAX_FUTURE_TIMESTAMP_S)
        throw new HttpError(400, `registration ${i} (${pubkey}): timestamp too far in the future`);
      const prev = latest.get(pubkey);
      if (prev && signed.message.timestamp < prev.timestamp)
        throw new HttpError(
          400,
          `registration ${i} (${pubkey}): timestamp older than the registered one`,
        );
      ok.push({
        pubkey,
        feeRecipient: toHex(signed.message.feeRecipient),
        gasLimit: signed.message.gasLimit,
        timestamp: signed.message.timestamp,
        signatureVerified: true,
        json: item,
      });
    }
    for (const { json, ...r } of ok) {
      registrationJson.set(r.pubkey, json);
      const prev = latest.get(r.pubkey);
      latest.set(r.pubkey, r);
      // A resubmission of the same registration is a no-op (one record per change).
      if (
        !prev ||
        prev.timestamp !== r.timestamp ||
        prev.feeRecipient !== r.feeRecipient ||
        prev.gasLimit !== r.gasLimit
      )
        rec.registrations.push(r);
    }
  }

  async function isProposer(slot: number, pubkey: string): Promise<boolean | undefined> {
    const epoch = Math.floor(slot / chain.slotsPerEpoch);
    try {
      const duties = await beaconGet<{ pubkey: string; slot: string }[]>(
        chain.beaconUrl,
        `/eth/v1/validator/duties/proposer/${epoch}`,
      );
      const d = duties.find((x) => Number(x.slot) === slot);
      return d ? d.pubkey.toLowerCase() === pubkey : undefined;
    } catch {
      return undefined;
    }
  }

  async function getHeader(slot: number, parentHash: string, pubkey: string) {
    const entry: RelayRecords["headers"][number] = { slot, pubkey, parentHash };
    rec.headers.push(entry);
    const noBid = (why: string) => {
      entry.noBid = why;
      return undefined;
    };
    const reg = latest.get(pubkey);
    if (!reg) return noBid("validator not registered");
    const head = await headForBuilding(chain);
    if (head.payload.blockHash.toLowerCase() !== parentHash)
      return noBid(`parent ${parentHash} is not the head's payload ${head.payload.blockHash}`);
    const wallSlot = Math.floor((now() / 1000 - chain.genesisTime) / chain.secondsPerSlot);
    if (slot <= head.slot || slot > wallSlot + 1)
      return noBid(
        `slot ${slot} is not after the head (${head.slot}) and at most the next (${wallSlot + 1})`,
      );
    if (opts.checkProposerDuty !== false && (await isProposer(slot, pubkey)) === false)
      return noBid(`${pubkey.slice(0, 14)}… is not slot ${slot}'s proposer`);
    const vals = await beaconGet<{ validator: { withdrawal_credentials: string } }[]>(
      chain.beaconUrl,
      "/eth/v1/beacon/states/head/validators",
    );
    if (vals.some((v) => !v.validator.withdrawal_credentials.startsWith("0x00")))
      return noBid(
        "withdrawals may be due (execution withdrawal credentials exist): not computed here",
      );
    const { fork, payload } = await buildPayload(chain, head, {
      slot,
      feeRecipient: reg.feeRecipient,
      gasLimit: reg.gasLimit,
      valueWei,
      mode,
      builderKey,
    });
    const t = forkTypes(fork);
    const bid = t.BuilderBid.defaultValue() as Record<string, unknown>;
    bid.header = payloadHeader(fork, payload);
    bid.value = valueWei;
    bid.pubkey = relayPubkey;
    const root = ssz.phase0.SigningData.hashTreeRoot({
      objectRoot: t.BuilderBid.hashTreeRoot(bid as never),
      domain: bDomain,
    });
    const signed = { message: bid, signature: signMessage(secret, root) };
    const blockHash = toHex(payload.blockHash);
    bids.set(blockHash, { fork, payload, slot });
    entry.bid = {
      blockHash,
      valueWei: valueWei.toString(),
      feeRecipient: toHex(payload.feeRecipient),
    };
    return { version: fork, data: t.SignedBuilderBid.toJson(signed as never) };
  }

  async function blindedBlock(body: unknown, route: "v1" | "v2") {
    const slot = Number((body as { message?: { slot?: unknown } })?.message?.slot);
    if (!Number.isInteger(slot) || slot < 0)
      throw new HttpError(400, "message.slot missing or not a slot");
    const fork = chain.config.getForkName(slot);
    const t = forkTypes(fork);
    let signed: { message: BlindedMessage; signature: Uint8Array };
    try {
      signed = t.SignedBlindedBeaconBlock.fromJson(body);
    } catch (err) {
      throw new HttpError(400, `not a ${fork} SignedBlindedBeaconBlock: ${(err as Error).message}`);
    }
    const m = signed.message;
    const v = await validatorOf(chain, String(m.proposerIndex));
    if (!v) throw new HttpError(400, `proposer_index ${m.proposerIndex} is not a known validator`);
    const root = ssz.phase0.SigningData.hashTreeRoot({
      objectRoot: t.BlindedBeaconBlock.hashTreeRoot(m),
      domain: chain.config.getDomain(slot, DOMAIN_BEACON_PROPOSER),
    });
    if (!verifySignature(fromHex(v.pubkey), root, signed.signature))
      throw new HttpError(
        400,
        `invalid signature of the blinded block at slot ${slot} (proposer ${m.proposerIndex})`,
      );
    const blockHash = toHex(m.body.executionPayloadHeader.blockHash);
    const bid = bids.get(blockHash);
    if (!bid || bid.slot !== slot)
      throw new HttpError(400, `no bid of this relay has block hash ${blockHash} for slot ${slot}`);
    const header = payloadHeader(fork, bid.payload);
    if (
      !Buffer.from(t.ExecutionPayloadHeader.hashTreeRoot(header as never)).equals(
        Buffer.from(t.ExecutionPayloadHeader.hashTreeRoot(m.body.executionPayloadHeader)),
      )
    )
      throw new HttpError(400, "the signed header differs from the bid's header");
    rec.blindedBlocks.push({
      slot,
      proposerIndex: m.proposerIndex,
      pubkey: v.pubkey,
      blockHash,
      signatureVerified: true,
      route,
    });
    if (route === "v2") {
      const { executionPayloadHeader: _h, ...bodyRest } = m.body as Record<string, unknown>;
      const full = {
        message: { ...m, body: { ...bodyRest, executionPayload: bid.payload } },
        signature: signed.signature,
      };
      const res = await fetch(`${chain.beaconUrl.replace(/\/+$/, "")}/eth/v2/beacon/blocks`, {
        method: "POST",
        headers: { "content-type": "application/json", "eth-consensus-version": fork },
        body: JSON.stringify(t.SignedBeaconBlock.toJson(full as never)),
      });
      if (!res.ok)
        throw new HttpError(502, `beacon node refused the unblinded block: ${res.status}`);
      return undefined;
    }
    if (isForkPostDeneb(fork)) {
      return {
        version: fork,
        data: t.ExecutionPayloadAndBlobsBundle?.toJson({
          executionPayload: bid.payload as never,
          blobsBundle: { commitments: [], proofs: [], blobs: [] },
        }),
      };
    }
    return { version: fork, data: t.ExecutionPayload.toJson(bid.payload as never) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.replace(/\/+$/, "");
    const route = `${req.method} ${path}`;
    try {
      if (!isLoopbackHost(req.headers.host)) {
        throw new HttpError(
          403,
          "the Host header must name loopback (127.0.0.1, localhost, [::1])",
        );
      }
      if (route === "GET /eth/v1/builder/status") return send(res, 200);
      if (route === "GET /relay/v1/records") return send(res, 200, rec);
      if (route === "GET /relay/v1/data/validator_registration") {
        const pk = (url.searchParams.get("pubkey") ?? "").toLowerCase();
        const reg = latest.get(pk);
        if (!reg) throw new HttpError(400, `no registration found for validator ${pk}`);
        return send(res, 200, registrationJson.get(pk));
      }
      if (route === "POST /eth/v1/builder/validators") {
        await registerValidators(await readBody(req));
        return send(res, 200);
      }
      const h =
        /^GET \/eth\/v1\/builder\/header\/(\d+)\/(0x[0-9a-fA-F]{64})\/(0x[0-9a-fA-F]{96})$/.exec(
          route,
        );
      if (h) {
        const out = await getHeader(
          Number(h[1]),
          (h[2] as string).toLowerCase(),
          (h[3] as string).toLowerCase(),
        );
        return out ? send(res, 200, out, { "eth-consensus-version": out.version }) : send(res, 204);
      }
      if (route.startsWith("GET /eth/v1/builder/header/"))
        throw new HttpError(
          400,
          "expected /eth/v1/builder/header/{slot}/{parent_hash: 0x+64 hex}/{pubkey: 0x+96 hex}",
        );
      const b = /^POST \/eth\/(v1|v2)\/builder\/blinded_blocks$/.exec(route);
      if (b) {
        const v = b[1] as "v1" | "v2";
        const out = await blindedBlock(await readBody(req), v);
        return out ? send(res, 200, out, { "eth-consensus-version": out.version }) : send(res, 202);
      }
      throw new HttpError(404, `no route ${route}`);
    } catch (err) {
      const code = err instanceof HttpError ? err.code : 500;
      const message =
        err instanceof BaseError
          ? err.shortMessage
          : err instanceof Error
            ? err.message
            : String(err);
      if (code !== 404) rec.rejected.push({ route, reason: message });
      if (!res.headersSent) send(res, code, { code, message });
    }
  }

  let server: Server | undefined;
  let port = opts.port ?? 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => void handle(req, res));
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
      s.closeAllConnections();
    });
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    get port() {
      return port;
    },
    pubkey: toHex(relayPubkey),
    records: () => structuredClone(rec),
    registered: () => new Map(latest),
    pause: close,
    resume: () => (server ? Promise.resolve() : listen()),
    stop: close,
  };
}
