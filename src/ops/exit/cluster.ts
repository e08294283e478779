/**
 * Threshold-signed (cluster) voluntary exit: ask each operator's rpdvt node for its consent over
 * its dashboard API (POST /api/exit, src/dashboard/handler.ts, token-guarded). Each accepting node
 * signs its partial exit (EIP-7044 domain) and exchanges it; once t operators consented with the
 * same epoch, the cluster combines the signature and submits it (src/core/wire.ts).
 *
 * All nodes must be asked for the same epoch: without one, the first node that accepts picks its
 * current epoch and the others are asked for that epoch.
 */
import { InputError } from "../../errors.js";

/** Per-request timeout (a local node answers in milliseconds). */
export const CLUSTER_EXIT_TIMEOUT_MS = 10_000;

/** One node's answer. */
export type NodeExitResult = {
  url: string;
  accepted: boolean;
  /** HTTP status (0 when unreachable). */
  status: number;
  operatorId?: number | undefined;
  epoch?: number | undefined;
  error?: string | undefined;
};

/**
 * Parse `--cluster-nodes` (comma-separated dashboard URLs) into base URLs without a trailing slash.
 *
 * @example
 * parseNodeUrls("http://127.0.0.1:9100/,http://127.0.0.1:9101"); // ["http://127.0.0.1:9100", "http://127.0.0.1:9101"]
 */
export function parseNodeUrls(text: string, field = "--cluster-nodes"): string[] {
  const urls = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (urls.length === 0) throw new InputError(`${field}: no URL given`, { field });
  return urls.map((u) => {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new InputError(`${field}: "${u}" is not a URL`, {
        field,
        metaMessages: ["Give each operator node's dashboard URL, e.g. http://127.0.0.1:9100/"],
      });
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new InputError(`${field}: "${u}" is not an http(s) URL`, { field });
    return parsed.toString().replace(/\/+$/, "");
  });
}

/**
 * The cluster's name and threshold as one node's dashboard shows them (GET /api/cluster), or
 * undefined when it does not answer.
 *
 * @example
 * const info = await clusterInfo("http://127.0.0.1:9100");
 */
export async function clusterInfo(
  url: string,
  doFetch: typeof fetch = fetch,
): Promise<{ threshold: number; clusterName?: string; validators: string[] } | undefined> {
  try {
    const r = await doFetch(`${url}/api/cluster`, {
      signal: AbortSignal.timeout(CLUSTER_EXIT_TIMEOUT_MS),
    });
    if (!r.ok) return undefined;
    const j = (await r.json()) as {
      threshold?: unknown;
      clusterName?: unknown;
      validators?: unknown;
    };
    if (typeof j.threshold !== "number") return undefined;
    const validators = Array.isArray(j.validators)
      ? j.validators.map((v) =>
          typeof v === "string" ? v : String((v as { pubkey?: unknown }).pubkey),
        )
      : [];
    return {
      threshold: j.threshold,
      ...(typeof j.clusterName === "string" ? { clusterName: j.clusterName } : {}),
      validators: validators.map((v) => v.toLowerCase()),
    };
  } catch {
    return undefined;
  }
}

async function askNode(
  url: string,
  token: string,
  body: { pubkey: string; epoch?: number; validatorIndex?: number },
  doFetch: typeof fetch,
): Promise<NodeExitResult> {
  try {
    const r = await doFetch(`${url}/api/exit`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CLUSTER_EXIT_TIMEOUT_MS),
    });
    const text = await r.text();
    let j: Record<string, unknown> = {};
    try {
      j = JSON.parse(text) as Record<string, unknown>;
    } catch {}
    if (r.status === 202 && j.accepted === true) {
      return {
        url,
        accepted: true,
        status: r.status,
        operatorId: typeof j.operatorId === "number" ? j.operatorId : undefined,
        epoch: typeof j.epoch === "number" ? j.epoch : undefined,
      };
    }
    const error = typeof j.error === "string" ? j.error : text.slice(0, 200) || r.statusText;
    const details = typeof j.details === "string" && j.details !== "" ? ` (${j.details})` : "";
    return { url, accepted: false, status: r.status, error: `${error}${details}` };
  } catch (e) {
    return { url, accepted: false, status: 0, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Ask every node to consent to exiting `pubkey`. With `epoch` all nodes are asked at once;
 * without, one after the other until one accepts (its epoch is then used for the rest).
 *
 * @example
 * const results = await requestClusterExit(urls, token, { pubkey: "0x93ab…", epoch: 12 });
 * results.filter((r) => r.accepted).length;
 */
export async function requestClusterExit(
  urls: readonly string[],
  token: string,
  req: { pubkey: string; epoch?: number | undefined; validatorIndex?: number | undefined },
  doFetch: typeof fetch = fetch,
): Promise<{ epoch: number | undefined; results: NodeExitResult[] }> {
  const body = (epoch: number | undefined) => ({
    pubkey: req.pubkey,
    ...(epoch !== undefined ? { epoch } : {}),
    ...(req.validatorIndex !== undefined ? { validatorIndex: req.validatorIndex } : {}),
  });
  if (req.epoch !== undefined) {
    const results = await Promise.all(urls.map((u) => askNode(u, token, body(req.epoch), doFetch)));
    return { epoch: req.epoch, results };
  }
  const results: NodeExitResult[] = [];
  let epoch: number | undefined;
  let i = 0;
  for (; i < urls.length && epoch === undefined; i++) {
    const r = await askNode(urls[i] as string, token, body(undefined), doFetch);
    results.push(r);
    if (r.accepted) epoch = r.epoch;
  }
  if (epoch !== undefined) {
    results.push(
      ...(await Promise.all(urls.slice(i).map((u) => askNode(u, token, body(epoch), doFetch)))),
    );
  }
  return { epoch, results };
}
