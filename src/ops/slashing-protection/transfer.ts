/**
 * Move EIP-3076 v5 interchange files (https://eips.ethereum.org/EIPS/eip-3076) in and out of an
 * operator's slashing-protection database (`<data-dir>/slashing-protection.sqlite`,
 * src/slashing/db.ts); `rpdvt slashing-protection import|export` (src/cli/slashing-protection.ts)
 * parses the flags and prints. EIP-3076 "General Recommendations": only while the node is stopped
 * (the database is opened exclusively). Imports never lower protection and refuse a file of
 * another network; exports are written atomically (temp file + rename, mode 0600), never over an
 * existing file.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../errors.js";
import { type ImportSummary, SlashingProtectionDb } from "../../slashing/db.js";
import { readInterchangeFile, serializeInterchange } from "../../slashing/interchange.js";
import { DB_FILE_NAME } from "../../slashing/schema.js";
import { assertAbsent, SECRET_FILE_MODE, writeFileAtomic } from "../../util/fs.js";

/**
 * Merge the interchange `file` into the database of `dataDir`; with `genesisValidatorsRoot`, the
 * file (and the database) must be of that network.
 *
 * @example
 * const s = await importInterchangeFile({ dataDir: "/var/lib/rpdvt", file: "slashing.json" });
 * s.signedAttestations; // new attestations imported
 */
export async function importInterchangeFile(o: {
  dataDir: string;
  file: string;
  genesisValidatorsRoot?: string | undefined;
}): Promise<ImportSummary> {
  const ic = await readInterchangeFile(o.file);
  const fileRoot = ic.metadata.genesis_validators_root;
  if (
    o.genesisValidatorsRoot !== undefined &&
    o.genesisValidatorsRoot.toLowerCase() !== fileRoot.toLowerCase()
  )
    throw new InputError("The interchange file is for another network", {
      file: o.file,
      field: "metadata.genesis_validators_root",
      details: `file has ${fileRoot}, --genesis-validators-root is ${o.genesisValidatorsRoot}`,
    });
  const db = SlashingProtectionDb.open(o.dataDir, {
    genesisValidatorsRoot: o.genesisValidatorsRoot,
    exclusive: true,
  });
  try {
    return db.importInterchange(ic, { file: o.file });
  } finally {
    db.close();
  }
}

/**
 * What {@link exportInterchangeFile} wrote.
 *
 * @example
 * const s: ExportSummary = { out: "slashing.json", validators: 24, format: "complete", genesisValidatorsRoot: "0x…" };
 */
export type ExportSummary = {
  out: string;
  validators: number;
  format: "minimal" | "complete";
  genesisValidatorsRoot: string;
};

/**
 * Write the database of `dataDir` (all validators, or `pubkeys`) as an interchange file `out`.
 *
 * @example
 * await exportInterchangeFile({ dataDir: "/var/lib/rpdvt", out: "slashing.json", minimal: false });
 */
export async function exportInterchangeFile(o: {
  dataDir: string;
  out: string;
  pubkeys?: string[] | undefined;
  minimal?: boolean | undefined;
}): Promise<ExportSummary> {
  const path = join(o.dataDir, DB_FILE_NAME);
  if (!existsSync(path))
    throw new InputError("No slashing-protection database found", {
      file: path,
      metaMessages: ["Check --data-dir: it must be the node's data directory."],
    });
  await assertAbsent(o.out);
  const format = o.minimal ? "minimal" : "complete";
  const db = SlashingProtectionDb.open(o.dataDir);
  let text: string;
  let validators: number;
  let gvr: string;
  try {
    const ic = db.exportInterchange({ pubkeys: o.pubkeys, format });
    text = serializeInterchange(ic);
    validators = ic.data.length;
    gvr = ic.metadata.genesis_validators_root;
  } finally {
    db.close();
  }
  await writeFileAtomic(o.out, text, { mode: SECRET_FILE_MODE });
  return { out: o.out, validators, format, genesisValidatorsRoot: gvr };
}
