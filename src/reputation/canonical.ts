/**
 * Canonical JSON for signing and hashing: object keys sorted by UTF-16 code units, no whitespace,
 * strings and numbers as ECMAScript JSON.stringify writes them (shortest round-trip numbers) — the
 * serialisation of RFC 8785 (JSON Canonicalization Scheme) for the values used here (finite numbers,
 * strings, booleans, null, arrays, plain objects). Anything else (undefined, NaN, bigint, functions)
 * is refused so a value can never silently change between signer and verifier.
 */

/**
 * Canonical JSON text of a value.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, "x"] }); // '{"a":[true,null,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string")
    return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonicalJson: non-finite number");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries)
      if (v === undefined) throw new TypeError(`canonicalJson: undefined at "${k}"`);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}
