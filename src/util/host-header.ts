/**
 * The HTTP Host header (RFC 9110 §7.2) and the loopback check every local server of rpdvt applies
 * against DNS rebinding (the DV node's /metrics and /status, the dashboard).
 */

/**
 * Split a Host header into a lower-cased name (IPv6 literals keep their brackets) and a port
 * (undefined when absent); null when it is not a well-formed `host[:port]`.
 *
 * @example
 * parseHostHeader("[::1]:9100"); // { name: "[::1]", port: 9100 }
 */
export function parseHostHeader(
  host: string | undefined,
): { name: string; port: number | undefined } | null {
  if (host === undefined) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return null;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65_535)) return null;
  return { name: (m[1] as string).toLowerCase(), port };
}

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Whether the Host header names a loopback address — 127.0.0.1, localhost or [::1], with any
 * well-formed port or none (DNS-rebinding guard, RFC 9110 §7.2). A page on another origin that
 * rebinds its name to 127.0.0.1 still sends its own name and is refused; Prometheus scraping
 * 127.0.0.1:<port> passes. The port is not compared with the server's: a page cannot choose the
 * Host it sends, so a different port only comes from a local forward (`ssh -L 19100:127.0.0.1:9100`),
 * which is legitimate.
 *
 * @example
 * isLoopbackHost("127.0.0.1:9100"); // true
 * isLoopbackHost("[::1]:9100"); // true
 * isLoopbackHost("evil.example:9100"); // false
 */
export function isLoopbackHost(host: string | undefined): boolean {
  const h = parseHostHeader(host);
  return h !== null && LOOPBACK_NAMES.has(h.name);
}
