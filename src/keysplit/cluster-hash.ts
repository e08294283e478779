/**
 * The `hash` of an rpdvt cluster definition (rpdvt-cluster/v1):
 *
 *   hash = "0x" + hex(sha256(utf8(canonicalJson(definition without its "hash" member))))
 *
 * canonicalJson is src/util/canonical-json.ts (RFC 8785 JCS serialisation) with this format's
 * rule for `undefined`: as `JSON.stringify` writes the file, members whose value is undefined
 * are omitted (and an undefined array element is null) — the rule every definition written so
 * far was hashed with. The hash covers the file as written (unknown members included), so any
 * edit changes it.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../util/canonical-json.js";

/**
 * Hash of a cluster definition object: sha256 over the canonical JSON of every member but `hash`.
 *
 * @example
 * const def = { version: "rpdvt-cluster/v1", name: "x" };
 * const withHash = { ...def, hash: clusterDefinitionHash(def) };
 */
export function clusterDefinitionHash(definition: Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = definition;
  const text = canonicalJson(rest, { undefined: "omit" });
  return `0x${createHash("sha256").update(text, "utf8").digest("hex")}`;
}
