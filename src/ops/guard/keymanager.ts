/**
 * The key guard's look at the Smartnode validator client itself (issue 16 part 2): the keys it has
 * LOADED, from its Keymanager API `GET /eth/v1/keystores` (ethereum/keymanager-APIs keystores.yaml;
 * the Smartnode's Lighthouse, Lodestar and Nimbus VCs serve it on port 5062, see
 * src/ops/keymanager/client.ts). This is what the files cannot show: a key recreated on disk is
 * only dangerous once a VC loads it, and a VC keeps a loaded key after its files are moved away.
 * An unreachable API is a warning, never a release (./guard.ts).
 */
import type { Keymanager } from "../keymanager/client.js";
import type { KeyFindings, KeySource } from "./smartnode.js";

/**
 * The guard's source over a VC's keymanager API.
 *
 * @example
 * const src = createKeymanagerSource(createKeymanagerClient("http://127.0.0.1:5062", token));
 * const { found } = await src.find(new Set(clusterHexes)); // Map { "93ab…" => ["http://127.0.0.1:5062 (GET /eth/v1/keystores)"] }
 */
export function createKeymanagerSource(km: Keymanager): KeySource {
  const where = `${km.url} (GET /eth/v1/keystores)`;
  return {
    name: km.url,
    async find(want) {
      const out: KeyFindings = { found: new Map(), warnings: [] };
      try {
        for (const key of await km.list()) {
          const hex = key.pubkey.replace(/^0x/, "").toLowerCase();
          if (want.has(hex)) out.found.set(hex, [where]);
        }
      } catch (err) {
        out.warnings.push(
          `cannot list the keys of ${km.url}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      return out;
    },
  };
}
