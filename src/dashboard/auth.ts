/**
 * Access checks of the dashboard. The server binds 127.0.0.1 only; on top of that:
 *  - every request must name a loopback Host (127.0.0.1, localhost, [::1]) so that a web page on
 *    another origin cannot reach it through DNS rebinding;
 *  - state-changing requests (any method but GET/HEAD) need the operator's dashboard token
 *    (`--dashboard-token`), given as `Authorization: Bearer <token>` or `X-Rpdvt-Token: <token>`,
 *    compared in constant time. Without a configured token they are always refused.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

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
 * Whether the Host header names a loopback address (DNS-rebinding guard).
 *
 * @example
 * isLoopbackHost("127.0.0.1:9100"); // true
 * isLoopbackHost("evil.example:9100"); // false
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  return name === "127.0.0.1" || name === "localhost" || name === "[::1]";
}
