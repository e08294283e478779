/**
 * Canonical JSON for hashing and signing — the one implementation rpdvt uses (cluster definition
 * hashes, keysplit/cluster-hash.ts; signed reputation claims and observation digests,
 * src/reputation/).
 *
 * Rules: the serialisation of RFC 8785, JSON Canonicalization Scheme (JCS) §3.2, for the JSON
 * data model — no whitespace; object members sorted by key in UTF-16 code-unit order (§3.2.3,
 * which is what comparing JS strings with `<` does); strings as ECMAScript `JSON.stringify` writes
 * them (§3.2.2.2) and numbers as its shortest round-trip form (§3.2.2.3, ES2019+ `Number` to
 * string); literals `null`, `true`, `false`; arrays keep their order. Refused with an InputError
 * (the value could otherwise change silently between signer and verifier): non-finite numbers
 * (§3.2.2.3), bigint, functions, symbols, and objects that are not plain JSON objects (Date, Map,
 * class instances).
 *
 * The one choice outside JCS — what `undefined` means, since JSON has no such value — belongs to
 * each format and is kept as those formats were defined, so every hash and signature made before
 * this module still verifies (test/unit/util/canonical-json.test.ts pins both against texts and
 * hashes computed with the previous two implementations):
 * - `undefined: "refuse"` (default; signed reputation claims): an undefined member or element
 *   is an error — a signer must not sign a value the verifier cannot see.
 * - `undefined: "omit"` (the rpdvt-cluster/v1 definition hash): as `JSON.stringify` writes the
 *   file — a member whose value is undefined is left out, an undefined array element is `null`.
 */
import { InputError } from "../errors.js";

/**
 * Options of {@link canonicalJson}.
 *
 * @example
 * canonicalJson(definition, { undefined: "omit" });
 */
export type CanonicalJsonOptions = {
  /** What an `undefined` member or element means (see the module header). Default "refuse". */
  undefined?: "refuse" | "omit" | undefined;
};

/**
 * Canonical JSON text of a value (rules in the module header).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, "x"] }) // '{"a":[true,null,"x"],"b":1}'
 * canonicalJson({ a: 1, b: undefined }, { undefined: "omit" }) // '{"a":1}'
 */
export function canonicalJson(value: unknown, opts: CanonicalJsonOptions = {}): string {
  return serialise(value, opts.undefined === "omit", "$");
}

function serialise(value: unknown, omitUndefined: boolean, path: string): string {
  if (value === null || typeof value === "boolean" || typeof value === "string")
    return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw refused("a non-finite number", path);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i]; // a hole reads as undefined
      items.push(
        v === undefined && omitUndefined ? "null" : serialise(v, omitUndefined, `${path}[${i}]`),
      );
    }
    return `[${items.join(",")}]`;
  }
  if (value === undefined) throw refused("undefined", path);
  if (typeof value !== "object") throw refused(`an unsupported ${typeof value}`, path);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw refused(`an unsupported object (${proto?.constructor?.name ?? "unknown"})`, path);
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined && omitUndefined) continue;
    members.push(`${JSON.stringify(key)}:${serialise(v, omitUndefined, `${path}.${key}`)}`);
  }
  return `{${members.join(",")}}`;
}

function refused(what: string, path: string): InputError {
  return new InputError(`Cannot write ${what} as canonical JSON`, {
    field: path,
    metaMessages: [
      "Only JSON values can be hashed or signed: finite numbers, strings, booleans, null, arrays and plain objects.",
    ],
  });
}
