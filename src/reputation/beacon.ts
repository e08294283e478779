/**
 * The few Beacon API calls the reputation score needs ({@link ReputationBeacon}) and a plain-fetch
 * implementation. Paths and JSON shapes: ethereum/beacon-APIs (apis/beacon/states/validators.yaml,
 * apis/beacon/rewards/attestations.yaml, apis/validator/duties/proposer.yaml,
 * apis/beacon/blocks/block.v2.yaml, apis/validator/liveness.yaml). uint64 values arrive as decimal
 * strings; FAR_FUTURE_EPOCH (2^64 − 1) becomes Infinity. Deliberately separate from src/beacon/
 * (the DV node's client): read-only, no fallback node, every call names the URL in its error.
 *
 * Older beacon nodes (found on Lodestar 1.5.1, the devnet's) are coped with: validator ids go as
 * repeated `id=` query parameters (it answers [] to a comma list); liveness falls back to the old
 * GET /eth/v1/validator/liveness?indices=…&epoch=… when POST is missing (that form answers only
 * for the current epoch ± 1); a missing rewards endpoint, and proposer duties refused for past
 * epochs ("must equal current … or next epoch"), come back as null = not available (the score
 * then leaves that component out).
 */
import { BaseError } from "../errors.js";

/** A validator record (GET /eth/v1/beacon/states/{state_id}/validators). */
export type BeaconValidator = {
  index: number;
  pubkey: string;
  status: string;
  balanceGwei: number;
  effectiveBalanceGwei: number;
  slashed: boolean;
  activationEpoch: number;
  exitEpoch: number;
};

/** POST /eth/v1/beacon/rewards/attestations/{epoch}: head+target+source per validator and ideal per effective balance. */
export type AttestationRewards = {
  ideal: { effectiveBalanceGwei: number; headTargetSourceGwei: number }[];
  total: { validatorIndex: number; headTargetSourceGwei: number }[];
};

/**
 * What the reputation score reads from a beacon node.
 *
 * @example
 * const beacon: ReputationBeacon = httpReputationBeacon("http://localhost:5052");
 * const vals = await beacon.validators("head", ["0xab…"]);
 */
export interface ReputationBeacon {
  /** GET /eth/v1/beacon/states/{stateId}/validators?id=… (unknown ids are left out). */
  validators(stateId: string, ids: readonly string[]): Promise<BeaconValidator[]>;
  /** POST /eth/v1/beacon/rewards/attestations/{epoch} with the validator indices; null when the node has no such endpoint. */
  attestationRewards(epoch: number, indices: readonly number[]): Promise<AttestationRewards | null>;
  /** GET /eth/v1/validator/duties/proposer/{epoch}; null when the node does not serve that (past) epoch. */
  proposerDuties(epoch: number): Promise<{ validatorIndex: number; slot: number }[] | null>;
  /** GET /eth/v2/beacon/blocks/{slot}: the block's proposer_index, or null when the slot is empty (404). */
  blockProposer(slot: number): Promise<number | null>;
  /** POST /eth/v1/validator/liveness/{epoch}. */
  liveness(
    epoch: number,
    indices: readonly number[],
  ): Promise<{ index: number; isLive: boolean }[]>;
}

/**
 * A beacon request failed (network, HTTP status, unexpected JSON).
 *
 * @example
 * throw new ReputationBeaconError("GET /eth/v1/…", "HTTP 500", "http://localhost:5052");
 */
export class ReputationBeaconError extends BaseError {
  override name = "ReputationBeaconError";
  constructor(request: string, details: string, baseUrl: string, cause?: unknown) {
    super(`Beacon request failed: ${request}`, {
      details,
      cause,
      metaMessages: [
        `Beacon node: ${baseUrl}`,
        "Check --beacon (a standard Beacon API URL, e.g. http://localhost:5052) and that it serves these epochs (archive/historical states may be needed).",
      ],
    });
  }
}

/** An HTTP answer that says the route does not exist (vs. a state or epoch not found). */
const isMissingRoute = (status: number, message: string): boolean =>
  status === 405 || status === 501 || (status === 404 && /route/i.test(message));
/** Lodestar ≤ 1.5's refusal of proposer duties outside [current, next] epoch. */
const PAST_DUTIES = /must equal current \d+ or next epoch/;

/** Answered with an HTTP error status; `message` is the node's error message. */
class HttpStatusError extends ReputationBeaconError {
  constructor(
    request: string,
    readonly status: number,
    readonly httpMessage: string,
    baseUrl: string,
  ) {
    super(request, `HTTP ${status}: ${httpMessage}`, baseUrl);
  }
}

/** Validator ids per GET request (keeps the query string short). */
const IDS_PER_REQUEST = 64;
/** 2^64 − 1 as the Beacon API writes it. */
const FAR_FUTURE = "18446744073709551615";

const u64 = (v: unknown, what: string): number => {
  if (v === FAR_FUTURE) return Number.POSITIVE_INFINITY;
  if (typeof v !== "string" || !/^\d+$/.test(v))
    throw new Error(`${what}: expected a uint64 string`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${what}: ${v} is too large`);
  return n;
};
const i64 = (v: unknown, what: string): number => {
  if (v === undefined) return 0;
  if (typeof v !== "string" || !/^-?\d+$/.test(v))
    throw new Error(`${what}: expected an integer string`);
  return Number(v);
};

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Error(`${what}: expected an object`);
  return v as Obj;
};
const arr = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`${what}: expected an array`);
  return v;
};

/**
 * A {@link ReputationBeacon} over plain fetch.
 *
 * @example
 * const beacon = httpReputationBeacon("http://localhost:5052", { timeoutMs: 10_000 });
 */
export function httpReputationBeacon(
  baseUrl: string,
  opts: { timeoutMs?: number; fetch?: typeof fetch } = {},
): ReputationBeacon {
  const base = baseUrl.replace(/\/+$/, "");
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function call(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    allow404 = false,
  ): Promise<unknown> {
    const request = `${method} ${path.split("?")[0]}`;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          accept: "application/json",
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ReputationBeaconError(
        request,
        err instanceof Error ? err.message : String(err),
        base,
        err,
      );
    }
    if (allow404 && res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const text = await res.text();
    if (!res.ok) {
      let msg = text.slice(0, 200);
      try {
        const j = JSON.parse(text) as { message?: unknown };
        if (typeof j.message === "string") msg = j.message;
      } catch {}
      throw new HttpStatusError(request, res.status, msg, base);
    }
    try {
      return obj(JSON.parse(text), "response").data;
    } catch (err) {
      throw new ReputationBeaconError(
        request,
        `unexpected response: ${(err as Error).message}`,
        base,
        err,
      );
    }
  }

  const parse = <T>(request: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new ReputationBeaconError(
        request,
        `unexpected response: ${(err as Error).message}`,
        base,
        err,
      );
    }
  };

  /** `call`, with HTTP errors the predicate accepts turned into null. */
  const callOr = async (
    when: (status: number, message: string) => boolean,
    ...args: Parameters<typeof call>
  ): Promise<unknown> => {
    try {
      return await call(...args);
    } catch (err) {
      if (err instanceof HttpStatusError && when(err.status, err.httpMessage)) return null;
      throw err;
    }
  };
  let oldLiveness = false;

  return {
    async validators(stateId, ids) {
      const out: BeaconValidator[] = [];
      for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
        const chunk = ids.slice(i, i + IDS_PER_REQUEST);
        const path = `/eth/v1/beacon/states/${encodeURIComponent(stateId)}/validators?${chunk.map((id) => `id=${encodeURIComponent(id)}`).join("&")}`;
        const data = await call("GET", path);
        parse("GET /eth/v1/beacon/states/{state_id}/validators", () => {
          for (const [j, e] of arr(data, "data").entries()) {
            const r = obj(e, `data[${j}]`);
            const v = obj(r.validator, `data[${j}].validator`);
            out.push({
              index: u64(r.index, "index"),
              pubkey: String(v.pubkey).toLowerCase(),
              status: String(r.status),
              balanceGwei: u64(r.balance, "balance"),
              effectiveBalanceGwei: u64(v.effective_balance, "effective_balance"),
              slashed: v.slashed === true,
              activationEpoch: u64(v.activation_epoch, "activation_epoch"),
              exitEpoch: u64(v.exit_epoch, "exit_epoch"),
            });
          }
        });
      }
      return out;
    },
    async attestationRewards(epoch, indices) {
      const data = await callOr(
        isMissingRoute,
        "POST",
        `/eth/v1/beacon/rewards/attestations/${epoch}`,
        indices.map(String),
      );
      if (data === null) return null;
      return parse("POST /eth/v1/beacon/rewards/attestations/{epoch}", () => {
        const d = obj(data, "data");
        const hts = (r: Obj, w: string) =>
          i64(r.head, `${w}.head`) + i64(r.target, `${w}.target`) + i64(r.source, `${w}.source`);
        return {
          ideal: arr(d.ideal_rewards, "ideal_rewards").map((e, j) => {
            const r = obj(e, `ideal_rewards[${j}]`);
            return {
              effectiveBalanceGwei: u64(r.effective_balance, "effective_balance"),
              headTargetSourceGwei: hts(r, `ideal_rewards[${j}]`),
            };
          }),
          total: arr(d.total_rewards, "total_rewards").map((e, j) => {
            const r = obj(e, `total_rewards[${j}]`);
            return {
              validatorIndex: u64(r.validator_index, "validator_index"),
              headTargetSourceGwei: hts(r, `total_rewards[${j}]`),
            };
          }),
        };
      });
    },
    async proposerDuties(epoch) {
      const data = await callOr(
        (status, message) => status === 500 && PAST_DUTIES.test(message),
        "GET",
        `/eth/v1/validator/duties/proposer/${epoch}`,
      );
      if (data === null) return null;
      return parse("GET /eth/v1/validator/duties/proposer/{epoch}", () =>
        arr(data, "data").map((e, j) => {
          const r = obj(e, `data[${j}]`);
          return {
            validatorIndex: u64(r.validator_index, "validator_index"),
            slot: u64(r.slot, "slot"),
          };
        }),
      );
    },
    async blockProposer(slot) {
      const data = await call("GET", `/eth/v2/beacon/blocks/${slot}`, undefined, true);
      if (data === null) return null;
      return parse("GET /eth/v2/beacon/blocks/{block_id}", () =>
        u64(obj(obj(data, "data").message, "message").proposer_index, "proposer_index"),
      );
    },
    async liveness(epoch, indices) {
      const oldForm = () =>
        call(
          "GET",
          `/eth/v1/validator/liveness?${indices.map((i) => `indices=${i}`).join("&")}&epoch=${epoch}`,
        );
      let data: unknown = null;
      if (!oldLiveness) {
        data = await callOr(
          isMissingRoute,
          "POST",
          `/eth/v1/validator/liveness/${epoch}`,
          indices.map(String),
        );
        if (data === null) oldLiveness = true;
      }
      if (data === null) data = await oldForm();
      // The old form writes index as a number, the standard one as a string.
      return parse("POST /eth/v1/validator/liveness/{epoch}", () =>
        arr(data, "data").map((e, j) => {
          const r = obj(e, `data[${j}]`);
          const index = typeof r.index === "number" ? String(r.index) : r.index;
          return { index: u64(index, "index"), isLive: r.is_live === true };
        }),
      );
    },
  };
}
