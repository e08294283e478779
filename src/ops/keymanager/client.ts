/**
 * Client for the validator client's Keymanager API (ethereum/keymanager-APIs, `keystores.yaml`):
 * - `GET /eth/v1/keystores` → `{ data: [{ validating_pubkey, derivation_path?, readonly? }] }`;
 * - `DELETE /eth/v1/keystores` with `{ pubkeys: [...] }` → `{ data: [{ status, message? }],
 *   slashing_protection: "<EIP-3076 interchange as a JSON string>" }`; status is `deleted`,
 *   `not_active` (key gone, slashing data still returned), `not_found` (nothing known) or `error`.
 *   The VC stops signing with a deleted key before it answers — the atomic hand-off point.
 * Auth: `Authorization: Bearer <token>`.
 *
 * Where the Smartnode runs it (rocket-pool/smartnode
 * shared/services/rocketpool/assets/install/scripts/start-vc.sh, commit
 * 124aed9aaec4e999885dc86627ac24b96233439b): Lighthouse, Lodestar and Nimbus VCs get
 * `--http-port/--keymanager.port/--keymanager-port ${VC_KEYMANAGER_API_PORT:-5062}` and a token
 * file `/validators/token-file.txt` (the host's `data/validators/token-file.txt`, written by
 * `echo -n`, so no newline). Teku and Prysm get no keymanager API in the Smartnode's setup: their
 * history has to be exported by hand and given with `--interchange`. In Docker mode the VC
 * container (`rocketpool_validator`, templates/validator.tmpl) publishes that port to the host
 * only when the Smartnode is configured to (`GetKeymanagerApiOpenPort`); the Smartnode itself
 * reaches it as `http://<project>_validator:<port>` (shared/services/rocketpool/fee-recipient.go,
 * commit 0cf42480d4602c7eb1e16e1eb0ca5e16d22ed7e6).
 */
import { join } from "node:path";
import { z } from "zod";
import { BaseError, InputError } from "../../errors.js";
import { readInputFile } from "../../util/json-file.js";
import { parseWith } from "../../util/schema.js";

/** Default keymanager URL of a Smartnode VC (start-vc.sh `${VC_KEYMANAGER_API_PORT:-5062}`). */
export const DEFAULT_KEYMANAGER_URL = "http://127.0.0.1:5062";
/** The token file, relative to the Smartnode data folder (start-vc.sh `/validators/token-file.txt`). */
export const TOKEN_FILE = join("validators", "token-file.txt");

/** One key the VC holds. */
export type KeymanagerKey = { pubkey: string; derivationPath?: string; readonly?: boolean };
/** The answer to a DELETE. */
export type DeleteResult = {
  statuses: { pubkey: string; status: string; message?: string }[];
  /** The EIP-3076 interchange the VC returned (parsed JSON, not yet validated). */
  slashingProtection: unknown;
  /** The raw response body, kept verbatim as evidence. */
  raw: string;
};

/**
 * What the migration needs from a keymanager API (tests substitute their own).
 *
 * @example
 * const km: Keymanager = createKeymanagerClient("http://127.0.0.1:5062", token);
 */
export interface Keymanager {
  readonly url: string;
  list(): Promise<KeymanagerKey[]>;
  delete(pubkeys: readonly string[]): Promise<DeleteResult>;
}

const listSchema = z.object({
  data: z.array(
    z.object({
      validating_pubkey: z.string(),
      derivation_path: z.string().optional(),
      readonly: z.boolean().optional(),
    }),
  ),
});
const deleteSchema = z.object({
  data: z.array(z.object({ status: z.string(), message: z.string().optional() })),
  slashing_protection: z.union([z.string(), z.record(z.string(), z.unknown())]),
});

/**
 * Read the keymanager bearer token (whitespace around it is ignored).
 *
 * @example
 * const token = await readKeymanagerToken("/home/me/.rocketpool/data/validators/token-file.txt");
 */
export async function readKeymanagerToken(file: string): Promise<string> {
  const token = (
    await readInputFile(file, {
      missing: "Keymanager token file not found",
      unreadable: "Cannot read the keymanager token file",
      empty: "Keymanager token file is empty",
      corrupt: "Keymanager token file is empty",
      hints: [
        "The Smartnode's validator client writes it when it starts (validators/token-file.txt); start the VC, or give --keymanager-token-file.",
      ],
    })
  )
    .toString("utf8")
    .trim();
  if (token === "") throw new InputError("Keymanager token file is empty", { file });
  return token;
}

function unreachable(url: string, err: unknown): BaseError {
  return new BaseError(`Cannot reach the validator client's keymanager API at ${url}`, {
    cause: err,
    metaMessages: [
      "The Smartnode VC (Lighthouse, Lodestar, Nimbus) serves it on port 5062: is `rocketpool_validator` running, and is the port published to this host?",
      'Docker mode publishes it only if configured: add `ports: ["127.0.0.1:5062:5062"]` to the validator service in ~/.rocketpool/override/validator.yml, then `rocketpool service start`.',
      "Teku and Prysm have no keymanager API in the Smartnode: stop the VC, export its slashing-protection history yourself and pass --interchange FILE.",
    ],
  });
}

/** One call to /eth/v1/keystores: the answer's text; a refused token or non-2xx is a BaseError. */
async function callKeystores(
  base: string,
  token: string,
  timeoutMs: number,
  method: string,
  body?: unknown,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${base}/eth/v1/keystores`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw unreachable(base, err);
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    throw new BaseError(`The keymanager API at ${base} refused the token (HTTP ${res.status})`, {
      metaMessages: [
        "Use the token the VC was started with: the Smartnode writes it to data/validators/token-file.txt.",
      ],
    });
  }
  if (res.status < 200 || res.status >= 300) {
    throw new BaseError(`The keymanager API at ${base} answered HTTP ${res.status}`, {
      details: text.slice(0, 300),
    });
  }
  return text;
}

/** Parse an answer's JSON; not JSON is a BaseError naming the call. */
function answerJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BaseError(`The keymanager API answered ${what} with something that is not JSON`, {
      cause: err,
    });
  }
}

/** The DELETE answer: one status per key asked (in order), the history parsed, the raw text. */
function deleteResult(text: string, pubkeys: readonly string[]): DeleteResult {
  const body = parseWith(
    deleteSchema,
    answerJson(text, "DELETE"),
    "Unexpected keymanager DELETE answer",
  );
  if (body.data.length !== pubkeys.length) {
    throw new BaseError("The keymanager DELETE answer has one status per key missing", {
      details: `asked for ${pubkeys.length} keys, got ${body.data.length} statuses`,
    });
  }
  const sp = body.slashing_protection;
  return {
    statuses: body.data.map((d, i) => ({
      pubkey: (pubkeys[i] as string).toLowerCase(),
      status: d.status,
      ...(d.message ? { message: d.message } : {}),
    })),
    slashingProtection: typeof sp === "string" ? answerJson(sp, "slashing_protection") : sp,
    raw: text,
  };
}

/**
 * A keymanager API client over fetch.
 *
 * @example
 * const km = createKeymanagerClient("http://127.0.0.1:5062", token, { timeoutMs: 10_000 });
 * const { slashingProtection } = await km.delete(["0xab…"]);
 */
export function createKeymanagerClient(
  url: string,
  token: string,
  opts: { timeoutMs?: number } = {},
): Keymanager {
  const base = url.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return {
    url: base,
    async list() {
      const text = await callKeystores(base, token, timeoutMs, "GET");
      const body = parseWith(
        listSchema,
        answerJson(text, "GET"),
        "Unexpected keymanager GET answer",
      );
      return body.data.map((d) => ({
        pubkey: d.validating_pubkey.toLowerCase(),
        ...(d.derivation_path ? { derivationPath: d.derivation_path } : {}),
        ...(d.readonly === undefined ? {} : { readonly: d.readonly }),
      }));
    },
    async delete(pubkeys) {
      const text = await callKeystores(base, token, timeoutMs, "DELETE", { pubkeys });
      return deleteResult(text, pubkeys);
    },
  };
}
