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
import {
  BeaconReadError,
  beaconGet,
  headForBuilding,
  type RelayChain,
  readChain,
  validatorOf,
} from "./chain.js";
import { buildPayload, type ForkTypes, forkTypes, payloadHeader } from "./payload.js";

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
  /**
   * Requests answered with an error: 4xx the request was refused (bad signature, unknown bid, …),
   * 502 the relay's upstream failed (its beacon node read timed out or was refused), 500 anything
   * unexpected.
   */
  rejected: { route: string; code: number; reason: string }[];
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

/** What the relay knows: its chain, keys, options and everything it saw (one per relay). */
type RelayContext = {
  chain: RelayChain;
  opts: RelayOptions;
  now: () => number;
  valueWei: bigint;
  mode: NonNullable<RelayOptions["mode"]>;
  secret: Uint8Array;
  relayPubkey: Uint8Array;
  builderKey: `0x${string}`;
  bDomain: Uint8Array;
  rec: RelayRecords;
  latest: Map<string, RelayRecords["registrations"][number]>;
  /** The signed registration as received, per pubkey (relay-specs data API answer). */
  registrationJson: Map<string, unknown>;
  bids: Map<string, { fork: string; payload: ExecutionPayload; slot: number }>;
};
type Registration = RelayRecords["registrations"][number];

/**
 * Start the relay against a beacon node (which it reads for the chain, head and validators).
 *
 * @example
 * const relay = await startRelay({ beaconUrl: devnet.restUrl, port: 18650 });
 * try { … } finally { await relay.stop(); }
 */
export async function startRelay(opts: RelayOptions): Promise<Relay> {
  const chain = await readChain(opts.beaconUrl);
  const secret = randomSecret();
  const ctx: RelayContext = {
    chain,
    opts,
    now: opts.now ?? Date.now,
    valueWei: opts.bidValueWei ?? 10n ** 16n,
    mode: opts.mode ?? "fee-recipient",
    secret,
    relayPubkey: publicKeyOf(secret),
    builderKey: toHex(randomSecret()) as `0x${string}`,
    bDomain: builderDomain(chain.genesisForkVersion),
    rec: { registrations: [], rejected: [], headers: [], blindedBlocks: [] },
    latest: new Map(),
    registrationJson: new Map(),
    bids: new Map(),
  };
  const server = new RelayServer((req, res) => handle(ctx, req, res), opts.port ?? 0);
  await server.listen();
  return {
    url: `http://127.0.0.1:${server.port}`,
    get port() {
      return server.port;
    },
    pubkey: toHex(ctx.relayPubkey),
    records: () => structuredClone(ctx.rec),
    registered: () => new Map(ctx.latest),
    pause: () => server.close(),
    resume: () => server.listen(),
    stop: () => server.close(),
  };
}

/** The listening socket on 127.0.0.1: closed on pause/stop, opened again on the same port. */
class RelayServer {
  private server: Server | undefined;
  constructor(
    private readonly onRequest: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    public port: number,
  ) {}

  /** Listen (a no-op while listening); the first call picks the port when it is 0. */
  listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => void this.onRequest(req, res));
      s.once("error", reject);
      s.listen(this.port, "127.0.0.1", () => {
        this.port = (s.address() as AddressInfo).port;
        this.server = s;
        resolve();
      });
    });
  }

  /** Stop listening and drop the open connections. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      const s = this.server;
      this.server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

/** POST /eth/v1/builder/validators: all verified, then all stored; one bad one → 400, none. */
async function registerValidators(ctx: RelayContext, body: unknown): Promise<void> {
  if (!Array.isArray(body)) throw new HttpError(400, "body must be an array of registrations");
  // builder-specs process_registration: the pubkey is a validator eligible for registration
  // (active, or pending activation).
  const statuses = new Map(
    (
      await beaconGet<{ status: string; validator: { pubkey: string } }[]>(
        ctx.chain.beaconUrl,
        "/eth/v1/beacon/states/head/validators",
      )
    ).map((v) => [v.validator.pubkey.toLowerCase(), v.status]),
  );
  const ok = body.map((item, i) => checkRegistration(ctx, item, i, statuses));
  for (const { json, ...r } of ok) {
    ctx.registrationJson.set(r.pubkey, json);
    const prev = ctx.latest.get(r.pubkey);
    ctx.latest.set(r.pubkey, r);
    // A resubmission of the same registration is a no-op (one record per change).
    if (
      !prev ||
      prev.timestamp !== r.timestamp ||
      prev.feeRecipient !== r.feeRecipient ||
      prev.gasLimit !== r.gasLimit
    )
      ctx.rec.registrations.push(r);
  }
}

/** One registration checked (builder-specs process_registration); a refusal names it. */
function checkRegistration(
  ctx: RelayContext,
  item: unknown,
  i: number,
  statuses: Map<string, string>,
): Registration & { json: unknown } {
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
  if (!verifyRegistration(signed, ctx.bDomain))
    throw new HttpError(400, `registration ${i} (${pubkey}): invalid signature`);
  const status = statuses.get(pubkey);
  if (!status || !/^(active|pending)/.test(status))
    throw new HttpError(
      400,
      `registration ${i} (${pubkey}): not a validator eligible for registration (${status ?? "unknown"})`,
    );
  if (signed.message.timestamp > ctx.now() / 1000 + MAX_FUTURE_TIMESTAMP_S)
    throw new HttpError(400, `registration ${i} (${pubkey}): timestamp too far in the future`);
  const prev = ctx.latest.get(pubkey);
  if (prev && signed.message.timestamp < prev.timestamp)
    throw new HttpError(
      400,
      `registration ${i} (${pubkey}): timestamp older than the registered one`,
    );
  return {
    pubkey,
    feeRecipient: toHex(signed.message.feeRecipient),
    gasLimit: signed.message.gasLimit,
    timestamp: signed.message.timestamp,
    signatureVerified: true,
    json: item,
  };
}

/** Whether `pubkey` is `slot`'s proposer (undefined: the beacon node did not say). */
async function isProposer(
  ctx: RelayContext,
  slot: number,
  pubkey: string,
): Promise<boolean | undefined> {
  const epoch = Math.floor(slot / ctx.chain.slotsPerEpoch);
  try {
    const duties = await beaconGet<{ pubkey: string; slot: string }[]>(
      ctx.chain.beaconUrl,
      `/eth/v1/validator/duties/proposer/${epoch}`,
    );
    const d = duties.find((x) => Number(x.slot) === slot);
    return d ? d.pubkey.toLowerCase() === pubkey : undefined;
  } catch {
    return undefined;
  }
}

/** GET header: a signed bid for a registered proposer on the head, or undefined (204) and why. */
async function getHeader(ctx: RelayContext, slot: number, parentHash: string, pubkey: string) {
  const entry: RelayRecords["headers"][number] = { slot, pubkey, parentHash };
  ctx.rec.headers.push(entry);
  const reg = ctx.latest.get(pubkey);
  if (!reg) {
    entry.noBid = "validator not registered";
    return undefined;
  }
  const head = await headForBuilding(ctx.chain);
  const noBid = await whyNoBid(ctx, head, slot, parentHash, pubkey);
  if (noBid !== undefined) {
    entry.noBid = noBid;
    return undefined;
  }
  const { fork, payload } = await buildPayload(ctx.chain, head, {
    slot,
    feeRecipient: reg.feeRecipient,
    gasLimit: reg.gasLimit,
    valueWei: ctx.valueWei,
    mode: ctx.mode,
    builderKey: ctx.builderKey,
  });
  const blockHash = toHex(payload.blockHash);
  ctx.bids.set(blockHash, { fork, payload, slot });
  entry.bid = {
    blockHash,
    valueWei: ctx.valueWei.toString(),
    feeRecipient: toHex(payload.feeRecipient),
  };
  return { version: fork, data: signBid(ctx, fork, payload) };
}

/** Why no bid is made for this request (undefined: bid). */
async function whyNoBid(
  ctx: RelayContext,
  head: Awaited<ReturnType<typeof headForBuilding>>,
  slot: number,
  parentHash: string,
  pubkey: string,
): Promise<string | undefined> {
  if (head.payload.blockHash.toLowerCase() !== parentHash)
    return `parent ${parentHash} is not the head's payload ${head.payload.blockHash}`;
  const { chain } = ctx;
  const wallSlot = Math.floor((ctx.now() / 1000 - chain.genesisTime) / chain.secondsPerSlot);
  if (slot <= head.slot || slot > wallSlot + 1)
    return `slot ${slot} is not after the head (${head.slot}) and at most the next (${wallSlot + 1})`;
  if (ctx.opts.checkProposerDuty !== false && (await isProposer(ctx, slot, pubkey)) === false)
    return `${pubkey.slice(0, 14)}… is not slot ${slot}'s proposer`;
  const vals = await beaconGet<{ validator: { withdrawal_credentials: string } }[]>(
    chain.beaconUrl,
    "/eth/v1/beacon/states/head/validators",
  );
  if (vals.some((v) => !v.validator.withdrawal_credentials.startsWith("0x00")))
    return "withdrawals may be due (execution withdrawal credentials exist): not computed here";
  return undefined;
}

/** The SignedBuilderBid (JSON) for `payload`, signed by the relay's key under the builder domain. */
function signBid(ctx: RelayContext, fork: string, payload: ExecutionPayload): unknown {
  const t = forkTypes(fork);
  const bid = t.BuilderBid.defaultValue() as Record<string, unknown>;
  bid.header = payloadHeader(fork, payload);
  bid.value = ctx.valueWei;
  bid.pubkey = ctx.relayPubkey;
  const root = ssz.phase0.SigningData.hashTreeRoot({
    objectRoot: t.BuilderBid.hashTreeRoot(bid as never),
    domain: ctx.bDomain,
  });
  const signed = { message: bid, signature: signMessage(ctx.secret, root) };
  return t.SignedBuilderBid.toJson(signed as never);
}

/** POST blinded_blocks: verified and matched to a bid; v1 answers the payload, v2 publishes. */
async function blindedBlock(ctx: RelayContext, body: unknown, route: "v1" | "v2") {
  const slot = Number((body as { message?: { slot?: unknown } })?.message?.slot);
  if (!Number.isInteger(slot) || slot < 0)
    throw new HttpError(400, "message.slot missing or not a slot");
  const fork = ctx.chain.config.getForkName(slot);
  const t = forkTypes(fork);
  let signed: { message: BlindedMessage; signature: Uint8Array };
  try {
    signed = t.SignedBlindedBeaconBlock.fromJson(body);
  } catch (err) {
    throw new HttpError(400, `not a ${fork} SignedBlindedBeaconBlock: ${(err as Error).message}`);
  }
  const m = signed.message;
  const pubkey = await verifyBlinded(ctx, t, slot, signed);
  const blockHash = toHex(m.body.executionPayloadHeader.blockHash);
  const bid = ctx.bids.get(blockHash);
  if (!bid || bid.slot !== slot)
    throw new HttpError(400, `no bid of this relay has block hash ${blockHash} for slot ${slot}`);
  const header = payloadHeader(fork, bid.payload);
  if (
    !Buffer.from(t.ExecutionPayloadHeader.hashTreeRoot(header as never)).equals(
      Buffer.from(t.ExecutionPayloadHeader.hashTreeRoot(m.body.executionPayloadHeader)),
    )
  )
    throw new HttpError(400, "the signed header differs from the bid's header");
  ctx.rec.blindedBlocks.push({
    slot,
    proposerIndex: m.proposerIndex,
    pubkey,
    blockHash,
    signatureVerified: true,
    route,
  });
  if (route === "v2") return publishUnblinded(ctx, fork, t, signed, bid.payload);
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

/** The proposer's signature over the blinded block (DOMAIN_BEACON_PROPOSER); its pubkey. */
async function verifyBlinded(
  ctx: RelayContext,
  t: ForkTypes,
  slot: number,
  signed: { message: BlindedMessage; signature: Uint8Array },
): Promise<string> {
  const m = signed.message;
  const v = await validatorOf(ctx.chain, String(m.proposerIndex));
  if (!v) throw new HttpError(400, `proposer_index ${m.proposerIndex} is not a known validator`);
  const root = ssz.phase0.SigningData.hashTreeRoot({
    objectRoot: t.BlindedBeaconBlock.hashTreeRoot(m),
    domain: ctx.chain.config.getDomain(slot, DOMAIN_BEACON_PROPOSER),
  });
  if (!verifySignature(fromHex(v.pubkey), root, signed.signature))
    throw new HttpError(
      400,
      `invalid signature of the blinded block at slot ${slot} (proposer ${m.proposerIndex})`,
    );
  return v.pubkey;
}

/** builder-specs submitBlindedBlockV2: the relay publishes the unblinded block itself (202). */
async function publishUnblinded(
  ctx: RelayContext,
  fork: string,
  t: ForkTypes,
  signed: { message: BlindedMessage; signature: Uint8Array },
  payload: ExecutionPayload,
): Promise<undefined> {
  const m = signed.message;
  const { executionPayloadHeader: _h, ...bodyRest } = m.body as Record<string, unknown>;
  const full = {
    message: { ...m, body: { ...bodyRest, executionPayload: payload } },
    signature: signed.signature,
  };
  const res = await fetch(`${ctx.chain.beaconUrl.replace(/\/+$/, "")}/eth/v2/beacon/blocks`, {
    method: "POST",
    headers: { "content-type": "application/json", "eth-consensus-version": fork },
    body: JSON.stringify(t.SignedBeaconBlock.toJson(full as never)),
  });
  if (!res.ok) {
    // 4xx: the block was refused (a verdict on it); 5xx: the beacon node failed (upstream).
    throw new HttpError(
      res.status >= 500 ? 502 : 400,
      `beacon node refused the unblinded block: ${res.status}`,
    );
  }
  return undefined;
}

/** One request: routed, and any refusal or failure answered as `{code, message}` (never a crash). */
async function handle(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
  try {
    if (!isLoopbackHost(req.headers.host)) {
      throw new HttpError(403, "the Host header must name loopback (127.0.0.1, localhost, [::1])");
    }
    await dispatch(ctx, req, res, url, route);
  } catch (err) {
    // The relay's own upstream (its beacon node read) failing is a 502, not a verdict on the request.
    const code = err instanceof HttpError ? err.code : err instanceof BeaconReadError ? 502 : 500;
    const message =
      err instanceof BaseError
        ? err.shortMessage
        : err instanceof Error
          ? err.message
          : String(err);
    if (code !== 404) ctx.rec.rejected.push({ route, code, reason: message });
    if (!res.headersSent) send(res, code, { code, message });
  }
}

/** The routes (see the header); an unknown one is a 404. */
async function dispatch(
  ctx: RelayContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: string,
): Promise<void> {
  if (route === "GET /eth/v1/builder/status") return send(res, 200);
  if (route === "GET /relay/v1/records") return send(res, 200, ctx.rec);
  if (route === "GET /relay/v1/data/validator_registration") {
    const pk = (url.searchParams.get("pubkey") ?? "").toLowerCase();
    if (!ctx.latest.get(pk)) throw new HttpError(400, `no registration found for validator ${pk}`);
    return send(res, 200, ctx.registrationJson.get(pk));
  }
  if (route === "POST /eth/v1/builder/validators") {
    await registerValidators(ctx, await readBody(req));
    return send(res, 200);
  }
  const h =
    /^GET \/eth\/v1\/builder\/header\/(\d+)\/(0x[0-9a-fA-F]{64})\/(0x[0-9a-fA-F]{96})$/.exec(route);
  if (h) {
    const out = await getHeader(
      ctx,
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
    const out = await blindedBlock(ctx, await readBody(req), b[1] as "v1" | "v2");
    return out ? send(res, 200, out, { "eth-consensus-version": out.version }) : send(res, 202);
  }
  throw new HttpError(404, `no route ${route}`);
}
