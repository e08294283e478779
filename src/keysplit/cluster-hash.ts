/**
 * The `hash` of an rpdvt cluster definition (rpdvt-cluster/v1):
 *
 *   hash = "0x" + hex(sha256(utf8(canonicalJson(definition without its "hash" member))))
 *
 * canonicalJson: no whitespace; object members sorted by key (UTF-16 code-unit order, i.e. JS
 * `Array.prototype.sort`); members whose value is `undefined` omitted; arrays keep their order;
 * strings and numbers as `JSON.stringify` writes them. For the values a definition holds (ASCII
 * keys, safe integers, strings, null) this is the JSON Canonicalization Scheme, RFC 8785.
 * The hash covers the file as written (unknown members included), so any edit changes it.
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.js";

/**
 * Canonical JSON text of a JSON value (see the module comment).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, "x"] }) // '{"a":[true,null,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string")
    return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InputError("Cannot canonicalise a non-finite number");
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  throw new InputError(`Cannot canonicalise a ${typeof value} as JSON`);
}

/**
 * Hash of a cluster definition object: sha256 over the canonical JSON of every member but `hash`.
 *
 * @example
 * const def = { version: "rpdvt-cluster/v1", name: "x" };
 * const withHash = { ...def, hash: clusterDefinitionHash(def) };
 */
export function clusterDefinitionHash(definition: Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = definition;
  return `0x${createHash("sha256").update(canonicalJson(rest), "utf8").digest("hex")}`;
}
