/**
 * What `rpdvt doctor`'s checks share, loaded once: the cluster definition (`cluster.json` in
 * --cluster, or the file itself), the beacon client and its chain parameters, the current epoch
 * and the slashing DB's path. A cluster definition that cannot be read is reported as a failed
 * "cluster definition" row; the checks needing it are then skipped.
 */
import { join } from "node:path";
import { createBeaconClient } from "../../beacon/index.js";
import { currentEpoch } from "../../core/beacon.js";
import { type ClusterDefinition, readClusterDefinition } from "../../keysplit/cluster.js";
import { DB_FILE_NAME } from "../../slashing/schema.js";
import { pathExists } from "../../util/fs.js";
import type { CheckResult, DoctorContext, DoctorInputs } from "./types.js";

/** Per-request timeout when none is given (ms). */
const DEFAULT_TIMEOUT_MS = 5000;

async function loadDefinition(dir: string): Promise<ClusterDefinition> {
  const file = (await pathExists(join(dir, "cluster.json"))) ? join(dir, "cluster.json") : dir;
  return readClusterDefinition(file);
}

/**
 * Load the shared context of the checks; `failures` holds the rows for inputs that could not be
 * loaded (an unreadable cluster definition).
 *
 * @example
 * const { ctx, failures } = await doctorContext({ clusterDir: "operator-1" });
 */
export async function doctorContext(
  inp: DoctorInputs,
): Promise<{ ctx: DoctorContext; failures: CheckResult[] }> {
  const timeoutMs = inp.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = inp.now ?? Date.now;
  const failures: CheckResult[] = [];
  const def = inp.clusterDir
    ? await loadDefinition(inp.clusterDir).catch((e: Error) => e)
    : undefined;
  if (def instanceof Error)
    failures.push({
      name: "cluster definition",
      status: "fail",
      detail: def.message.split("\n")[0] ?? "",
    });
  const beacon = inp.beaconUrls?.length
    ? createBeaconClient(inp.beaconUrls, { timeoutMs })
    : undefined;
  const chain = beacon ? await beacon.chainInfo().catch(() => undefined) : undefined;
  const ctx: DoctorContext = {
    inp,
    timeoutMs,
    now,
    ...(def && !(def instanceof Error) ? { cluster: def } : {}),
    ...(beacon ? { beacon } : {}),
    ...(chain ? { chain, epochNow: currentEpoch(chain, now()) } : {}),
    ...(inp.dataDir ? { dbFile: join(inp.dataDir, DB_FILE_NAME) } : {}),
  };
  return { ctx, failures };
}
