/**
 * Doctor check "builder (MEV-Boost)": the relays the operator chose answer, the squad's
 * registrations reached them with the Rocket Pool fee recipient, and so the beacon node has a
 * builder configured.
 *
 * What can be known, and from where:
 * - The standard Beacon API (ethereum/beacon-APIs) has NO endpoint saying whether a builder is
 *   configured: `POST /eth/v1/validator/register_validator` answers 200 whether or not the node
 *   forwards anything, and each client names the setting differently (Lighthouse `--builder`,
 *   Teku `--builder-endpoint`, Prysm `--http-mev-relay`, Nimbus `--payload-builder`, Lodestar
 *   `--builder --builder.urls`; in the Smartnode: the MEV-Boost container, Settings → MEV-Boost).
 * - A relay or MEV-Boost answers `GET /eth/v1/builder/status` (ethereum/builder-specs) with 200
 *   when it is up (MEV-Boost: when at least one of its relays is).
 * - A relay's data API (flashbots/relay-specs `GET /relay/v1/data/validator_registration?pubkey=`)
 *   returns the latest registration it holds for a validator, with its fee recipient. A
 *   registration only gets there through a beacon node with a builder configured, so a
 *   registration found with the right recipient proves the whole path; one with another
 *   recipient is the oDAO-penalised setup and fails the check.
 * Relay URLs may carry the relay's public key as user info (`https://0xabc…@relay.example`, the
 * format of MEV-Boost's `-relays` and the Smartnode's relay list); it is dropped for requests.
 */
import { InputError } from "../../errors.js";
import { mapConcurrent } from "../../util/concurrency.js";
import type { CheckOutcome, DoctorCheck, DoctorContext } from "./types.js";

/** Requests in flight per relay for the registration look-ups. */
const LOOKUP_CONCURRENCY = 8;

/**
 * Where the beacon client keeps its builder setting (for the hint), by the name in
 * /eth/v1/node/version.
 *
 * @example
 * BUILDER_FLAGS.lighthouse // "--builder <MEV-Boost URL>"
 */
export const BUILDER_FLAGS: Record<string, string> = {
  lighthouse: "--builder <MEV-Boost URL>",
  teku: "--builder-endpoint=<MEV-Boost URL>",
  prysm: "--http-mev-relay=<MEV-Boost URL>",
  nimbus: "--payload-builder=true --payload-builder-url=<MEV-Boost URL>",
  lodestar: "--builder --builder.urls <MEV-Boost URL>",
  grandine: "--builder-url <MEV-Boost URL>",
};

/**
 * A relay URL without its user info (the relay's pubkey), for requests and for display. Not an
 * http(s) URL → an InputError naming `field` (the CLI checks every `--relay-url` with this before
 * any work starts).
 *
 * @example
 * relayEndpoint("https://0xac6e@boost-relay.flashbots.net/") // "https://boost-relay.flashbots.net"
 */
export function relayEndpoint(url: string, field = "--relay-url"): string {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== "http:" && u.protocol !== "https:") || !u.hostname) {
    throw new InputError(`Not a relay URL: ${JSON.stringify(url)}`, {
      field,
      metaMessages: [
        "Give it as http(s)://host[:port] (a 0x<pubkey>@ prefix is allowed), e.g. the MEV-Boost address of the Smartnode (http://127.0.0.1:18550) or a relay of MEV_BOOST_RELAYS.",
      ],
    });
  }
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  return u.toString().replace(/\/+$/, "");
}

async function getJson(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: unknown } | { error: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body };
  } catch (err) {
    return {
      error: err instanceof Error ? ((err.cause as Error)?.message ?? err.message) : String(err),
    };
  }
}

type Lookup = { relay: string; pubkey: string; want: string; got?: string; note?: string };

async function lookups(ctx: DoctorContext, relays: string[]): Promise<Lookup[]> {
  const vals = ctx.cluster?.validators ?? [];
  const out: Lookup[] = [];
  for (const relay of relays) {
    const rows = await mapConcurrent(vals, LOOKUP_CONCURRENCY, async (v) => {
      const r = await getJson(
        `${relay}/relay/v1/data/validator_registration?pubkey=${v.pubkey}`,
        ctx.timeoutMs,
      );
      const row: Lookup = { relay, pubkey: v.pubkey, want: v.feeRecipient.toLowerCase() };
      if ("error" in r) row.note = r.error;
      else if (r.status === 200) {
        const fr = (r.body as { message?: { fee_recipient?: string } })?.message?.fee_recipient;
        row.got = typeof fr === "string" ? fr.toLowerCase() : undefined;
        if (!row.got) row.note = "answer without message.fee_recipient";
      } else row.note = `HTTP ${r.status}`;
      return row;
    });
    out.push(...rows);
  }
  return out;
}

async function beaconHint(ctx: DoctorContext): Promise<string> {
  const version = await ctx.beacon?.version().catch(() => undefined);
  const client = Object.keys(BUILDER_FLAGS).find((c) => version?.toLowerCase().includes(c));
  return client
    ? `The beacon node (${version}) forwards registrations only with its builder set: ${BUILDER_FLAGS[client]} (Smartnode: enable MEV-Boost in its settings).`
    : "The beacon node forwards registrations only with a builder configured (Smartnode: enable MEV-Boost in its settings; other setups: the client's builder/MEV-Boost flag).";
}

/**
 * The check: relays up (status), then — with a cluster definition — every validator's latest
 * registration at each relay that offers the data API, against its Rocket Pool fee recipient.
 *
 * @example
 * const outcome = await builderCheck.run(ctx); // ctx.inp.relayUrls = ["http://127.0.0.1:18550"]
 */
export const builderCheck: DoctorCheck = {
  name: "builder (MEV-Boost)",
  applies: (ctx) => (ctx.inp.relayUrls?.length ?? 0) > 0,
  skipWhy: "no --relay-url given",
  async run(ctx): Promise<CheckOutcome> {
    const relays = (ctx.inp.relayUrls ?? []).map((u) => relayEndpoint(u));
    const status = await Promise.all(
      relays.map((r) => getJson(`${r}/eth/v1/builder/status`, ctx.timeoutMs)),
    );
    const up = relays.filter((_, i) => {
      const s = status[i];
      return s !== undefined && !("error" in s) && s.status === 200;
    });
    const down = relays
      .map((r, i) => {
        const s = status[i];
        return s && "error" in s
          ? `${r} (${s.error})`
          : s?.status === 200
            ? ""
            : `${r} (HTTP ${s?.status})`;
      })
      .filter(Boolean);
    const upText = `${up.length}/${relays.length} relay(s) up${down.length ? `; down: ${down.join(", ")}` : ""}`;
    if (up.length === 0)
      return {
        status: "fail",
        detail: upText,
        hint: "No builder answers /eth/v1/builder/status: blinded proposals will fall back to local blocks. Check the URLs and that MEV-Boost / the relays run.",
      };
    if (!ctx.cluster)
      return {
        status: down.length ? "warn" : "pass",
        detail: `${upText} (give --cluster to check the validators' registrations)`,
      };
    const rows = await lookups(ctx, up);
    const byRelay = new Map<string, Lookup[]>();
    for (const r of rows) byRelay.set(r.relay, [...(byRelay.get(r.relay) ?? []), r]);
    // A relay without the data API (MEV-Boost itself, some relays) answers every look-up with a
    // 404/405: it cannot tell, and is left out rather than counted as "not registered".
    const withApi = [...byRelay].filter(([, rs]) =>
      rs.some((r) => r.got !== undefined || !/HTTP 40[45]/.test(r.note ?? "")),
    );
    const wrong = rows.filter((r) => r.got !== undefined && r.got !== r.want);
    const missing = withApi.flatMap(([, rs]) => rs.filter((r) => r.got === undefined));
    const right = rows.filter((r) => r.got !== undefined && r.got === r.want);
    const n = ctx.cluster.validators.length;
    if (wrong.length) {
      const w = wrong[0] as Lookup;
      return {
        status: "fail",
        detail: `${upText}; ${wrong.length} registration(s) with a fee recipient Rocket Pool does not allow (${w.pubkey.slice(0, 12)}… at ${w.relay}: ${w.got}, the cluster's ${w.want})`,
        hint: "Something registers these validators with another fee recipient (an old validator client still running?). A wrong recipient is penalised by the oDAO: find and stop it.",
      };
    }
    if (withApi.length === 0)
      return {
        status: down.length ? "warn" : "pass",
        detail: `${upText}; no relay offers the data API (/relay/v1/data/validator_registration): registrations not checked`,
      };
    const detail = `${upText}; ${right.length}/${n * withApi.length} validator registration(s) with the Rocket Pool fee recipient at ${withApi.length} relay(s)`;
    if (missing.length)
      return {
        status: "warn",
        detail: `${detail}; missing: ${missing
          .slice(0, 3)
          .map((m) => `${m.pubkey.slice(0, 12)}…@${m.relay}${m.note ? ` (${m.note})` : ""}`)
          .join(", ")}${missing.length > 3 ? " …" : ""}`,
        hint: `${await beaconHint(ctx)} Validators not yet active or pending are not registered by any beacon node.`,
      };
    return {
      status: down.length ? "warn" : "pass",
      detail: `${detail}: the beacon node's builder path works`,
    };
  },
};
