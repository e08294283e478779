/**
 * Lighthouse's `validator_definitions.yml` (sigp/lighthouse book/src/validator-management.md): a
 * YAML list of `{ enabled, voting_public_key, type, voting_keystore_path, …,
 * suggested_fee_recipient? }`. The Smartnode runs `lighthouse validator --datadir
 * /validators/lighthouse` (start-vc.sh), so the file is
 * `data/validators/lighthouse/validators/validator_definitions.yml`; Lighthouse writes it itself
 * when it discovers keystores. Migrated keys' entries are removed (an entry whose keystore is gone
 * stops Lighthouse from starting); everything else in the document is kept as it was.
 */
import { join } from "node:path";
import { isMap, isSeq, parseDocument } from "yaml";
import { InputError } from "../../errors.js";
import { VALIDATORS_DIR } from "../../rocketpool/layout.js";

/** Relative path of the definitions file in a Smartnode data folder. */
export const LIGHTHOUSE_DEFINITIONS = join(
  VALIDATORS_DIR,
  "lighthouse",
  "validators",
  "validator_definitions.yml",
);

function parse(text: string, file: string) {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new InputError("Lighthouse validator_definitions.yml is not valid YAML", {
      file,
      details: doc.errors[0]?.message,
    });
  }
  return doc;
}

function pubkeyOf(item: unknown): string | undefined {
  if (!isMap(item)) return undefined;
  const v = item.get("voting_public_key");
  return typeof v === "string" ? v.replace(/^0x/i, "").toLowerCase() : undefined;
}

/**
 * Public keys (lowercase hex, no 0x) defined in the file, with their `enabled` flag.
 *
 * @example
 * definitionPubkeys(text, file) // [{ hex: "93ab…", enabled: true }]
 */
export function definitionPubkeys(text: string, file: string): { hex: string; enabled: boolean }[] {
  const doc = parse(text, file);
  if (!isSeq(doc.contents)) return [];
  return doc.contents.items.flatMap((item) => {
    const hex = pubkeyOf(item);
    const enabled = isMap(item) ? (item.toJSON() as Record<string, unknown>).enabled : undefined;
    return hex ? [{ hex, enabled: enabled !== false }] : [];
  });
}

/**
 * The file's text without the entries of `remove` (lowercase hex, no 0x), and how many went.
 *
 * @example
 * const { text, removed } = definitionsWithout(old, new Set(["93ab…"]), file);
 */
export function definitionsWithout(
  text: string,
  remove: ReadonlySet<string>,
  file: string,
): { text: string; removed: number } {
  const doc = parse(text, file);
  if (!isSeq(doc.contents)) return { text, removed: 0 };
  const before = doc.contents.items.length;
  doc.contents.items = doc.contents.items.filter((item) => {
    const hex = pubkeyOf(item);
    return !(hex && remove.has(hex));
  });
  const removed = before - doc.contents.items.length;
  return removed === 0 ? { text, removed } : { text: doc.toString(), removed };
}
