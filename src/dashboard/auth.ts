/**
 * Access checks of the dashboard. The server binds 127.0.0.1 only; on top of that:
 *  - every request must name a loopback Host (127.0.0.1, localhost, [::1]; any port) so that a
 *    web page on another origin cannot reach it through DNS rebinding;
 *  - requests a browser marks as cross-site (Sec-Fetch-Site) are refused: an `<img>` on any page
 *    cannot fire dashboard queries;
 *  - state-changing requests (any method but GET/HEAD) need the operator's dashboard token
 *    (`--dashboard-token-file`, `--dashboard-token` or $RPDVT_DASHBOARD_TOKEN), given as
 *    `Authorization: Bearer <token>` or `X-Rpdvt-Token: <token>`, compared in constant time.
 *    Without a configured token they are always refused; large planner queries need it too
 *    (./plan.ts PLAN_OPEN_LIMITS).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { InputError } from "../errors.js";
import { readTokenFile } from "../util/token-file.js";

export { isLoopbackHost, parseHostHeader } from "../util/host-header.js";

/**
 * Whether the request carries the expected dashboard token (false when none is configured).
 *
 * @example
 * if (!hasValidToken(req, opts.token)) { res.writeHead(401).end(); return; }
 */
export function hasValidToken(req: IncomingMessage, expected: string | undefined): boolean {
  if (expected === undefined || expected === "") return false;
  const auth = req.headers.authorization;
  const given =
    typeof auth === "string" && auth.startsWith("Bearer ")
      ? auth.slice("Bearer ".length).trim()
      : req.headers["x-rpdvt-token"];
  if (typeof given !== "string" || given === "") return false;
  // Hash both sides so lengths match and timingSafeEqual leaks nothing about the token.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Whether a browser marked the request as sent by another site (`Sec-Fetch-Site: cross-site` or
 * `same-site`, W3C Fetch Metadata): an `<img>` or form on any web page. Such requests are refused
 * on every dashboard route; tools that send no Fetch Metadata are not affected.
 *
 * @example
 * if (isCrossSite(req)) { res.writeHead(403).end(); return; }
 */
export function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers["sec-fetch-site"];
  return site === "cross-site" || site === "same-site";
}

/**
 * The dashboard token from, in order: `--dashboard-token-file`, `--dashboard-token`,
 * `$RPDVT_DASHBOARD_TOKEN`; undefined when none is set. Both flags at once is an error.
 *
 * @example
 * const token = await resolveDashboardToken({ tokenFile: "/etc/rpdvt/token" });
 */
export async function resolveDashboardToken(opts: {
  token?: string | undefined;
  tokenFile?: string | undefined;
  env?: string | undefined;
}): Promise<string | undefined> {
  if (opts.token !== undefined && opts.tokenFile !== undefined)
    throw new InputError("Give --dashboard-token-file or --dashboard-token, not both", {
      field: "--dashboard-token",
      metaMessages: ["Prefer --dashboard-token-file: a token on the command line shows in `ps`."],
    });
  if (opts.tokenFile !== undefined) return readTokenFile(opts.tokenFile, "--dashboard-token-file");
  if (opts.token !== undefined) {
    if (opts.token.trim() === "")
      throw new InputError("--dashboard-token is empty", { field: "--dashboard-token" });
    return opts.token;
  }
  return opts.env === undefined || opts.env === "" ? undefined : opts.env;
}
