/**
 * EIP-3076 slashing-protection interchange format, version 5
 * (https://eips.ethereum.org/EIPS/eip-3076, "JSON Schema" and "Additional Information"):
 *
 * ```json
 * { "metadata": { "interchange_format_version": "5", "genesis_validators_root": "0x…32 bytes" },
 *   "data": [ { "pubkey": "0x…48 bytes",
 *               "signed_blocks": [ { "slot": "81952", "signing_root": "0x…" } ],
 *               "signed_attestations": [ { "source_epoch": "2290", "target_epoch": "3007",
 *                                          "signing_root": "0x…" } ] } ] }
 * ```
 *
 * Integers are decimal strings (EIP-3076 "Integer Representation"); `signing_root` is optional.
 * Untrusted files are validated with zod; failures name the offending field
 * (e.g. `data.0.signed_blocks.3.slot`).
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InputError } from "../errors.js";
import { zodInputError } from "../util/schema.js";
import { MAX_STORABLE_U64 } from "./rules.js";

/** `metadata.interchange_format_version` this module reads and writes (EIP-3076 "Versioning"). */
export const INTERCHANGE_FORMAT_VERSION = "5";

const u64String = z
  .string({ error: "must be a decimal integer in a string (EIP-3076 quotes integers)" })
  .regex(/^[0-9]+$/, { error: 'must be a decimal integer in a string, e.g. "81952"' })
  // zod runs refinements even after a failed regex: only judge the range of well-formed values
  .refine((v) => !/^[0-9]+$/.test(v) || (v.length <= 20 && BigInt(v) <= MAX_STORABLE_U64), {
    error: `must be at most ${MAX_STORABLE_U64}`,
  });

function fixedHex(bytes: number, what: string) {
  return z
    .string({ error: `must be a 0x-prefixed ${bytes}-byte hex string (${what})` })
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), {
      error: `must be a 0x-prefixed ${bytes}-byte hex string (${what})`,
    });
}

const root = fixedHex(32, "a Root");

/** zod schema of an EIP-3076 v5 interchange document. */
export const interchangeSchema = z.object({
  metadata: z.object({
    interchange_format_version: z.literal(INTERCHANGE_FORMAT_VERSION, {
      error: `must be "${INTERCHANGE_FORMAT_VERSION}" (only EIP-3076 interchange format version 5 is supported)`,
    }),
    genesis_validators_root: root,
  }),
  data: z.array(
    z.object({
      pubkey: fixedHex(48, "a BLS public key"),
      signed_blocks: z.array(z.object({ slot: u64String, signing_root: root.optional() })),
      signed_attestations: z.array(
        z.object({
          source_epoch: u64String,
          target_epoch: u64String,
          signing_root: root.optional(),
        }),
      ),
    }),
  ),
});

/** A parsed EIP-3076 v5 interchange document. */
export type Interchange = z.infer<typeof interchangeSchema>;
/** One `data[]` entry. */
export type InterchangeRecord = Interchange["data"][number];

/**
 * Validate an untrusted interchange document (already JSON-parsed).
 *
 * @example
 * const ic = parseInterchange(JSON.parse(text), "/tmp/slashing.json");
 */
export function parseInterchange(json: unknown, file?: string): Interchange {
  const r = interchangeSchema.safeParse(json);
  if (!r.success)
    throw zodInputError("Not a valid EIP-3076 slashing-protection interchange (v5)", r.error, file);
  return r.data;
}

/**
 * Read and validate an interchange file.
 *
 * @example
 * const ic = await readInterchangeFile("/backup/slashing-protection.json");
 */
export async function readInterchangeFile(path: string): Promise<Interchange> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError("Cannot read the interchange file", {
      file: path,
      details: (err as NodeJS.ErrnoException)?.code ?? String(err),
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError("The interchange file is not valid JSON", {
      file: path,
      details: err instanceof Error ? err.message : String(err),
    });
  }
  return parseInterchange(json, path);
}

/**
 * Serialize an interchange the way EIP-3076 files are usually written (2-space JSON, trailing
 * newline), keeping the field order of the EIP's example.
 *
 * @example
 * await writeFileAtomic(out, serializeInterchange(ic), { mode: 0o600 });
 */
export function serializeInterchange(ic: Interchange): string {
  const ordered = {
    metadata: {
      interchange_format_version: ic.metadata.interchange_format_version,
      genesis_validators_root: ic.metadata.genesis_validators_root,
    },
    data: ic.data.map((d) => ({
      pubkey: d.pubkey,
      signed_blocks: d.signed_blocks.map((b) =>
        b.signing_root === undefined
          ? { slot: b.slot }
          : { slot: b.slot, signing_root: b.signing_root },
      ),
      signed_attestations: d.signed_attestations.map((a) =>
        a.signing_root === undefined
          ? { source_epoch: a.source_epoch, target_epoch: a.target_epoch }
          : {
              source_epoch: a.source_epoch,
              target_epoch: a.target_epoch,
              signing_root: a.signing_root,
            },
      ),
    })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
