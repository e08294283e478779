/**
 * The devnet with MEV-Boost: Lodestar launched with its builder flags (./lodestar-cli.ts
 * {@link builderArgs}) pointing at the devnet's own relay (./relay/relay.ts, builder-specs, on
 * 127.0.0.1), which starts once the beacon node answers (it reads the chain from it). Lodestar
 * calls the builder's status every slot and enables its builder only after a fault-inspection
 * window of 8..15 slots (minimal preset), so a relay listening a few seconds after the beacon
 * node changes nothing. Stopped together: the relay, then Lodestar (by its PID, ./start.ts).
 *
 * Lodestar's own validators (its in-process validator client) may be kept off the builder while
 * its beacon node has one (`lodestarValidatorsUseBuilder: false`): `--builder` turns on both in
 * `lodestar dev`, so each of them gets `builder: {enabled: "false"}` in a `--proposerSettingsFile`
 * (1.5.1 lib/util/proposerConfig.js and 1.39 packages/cli/src/util/proposerConfig.ts: a
 * per-pubkey section is not overridden by the flags). Measured on a loaded 2-core host (load
 * average 21–27): Lodestar 1.5.1 published its builder blocks 1.0–1.1 s into a 2 s slot on
 * average (engine blocks 0.3–0.5 s), most after the attestation deadline (1/3 slot) — enough to
 * keep its one-node chain from justifying. The demo's baseline and the chain's finality must not
 * depend on the relay: there only the squad's proposals go through it.
 */
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../util/hex.js";
import { interopPublicKey, parseIndexRange } from "./interop.js";
import { builderArgs } from "./lodestar-cli.js";
import { type Relay, type RelayOptions, startRelay } from "./relay/relay.js";
import { type DevnetHandle, type DevnetOptions, freePort, startDevnet } from "./start.js";

/**
 * Options of {@link startMevDevnet}: the devnet's, the relay's (its beacon URL is the devnet's),
 * and Lodestar's own validators' builder selection.
 *
 * @example
 * const o: MevDevnetOptions = { devnet: { secondsPerSlot: 2 }, relay: { bidValueWei: 10n ** 16n } };
 */
export type MevDevnetOptions = {
  devnet?: DevnetOptions;
  relay?: Omit<RelayOptions, "beaconUrl" | "port">;
  /** `--builder.selection` of Lodestar's own validator client (default: Lodestar's). */
  lodestarSelection?: string;
  /**
   * Whether Lodestar's own validators (`devnet.lodestarValidators`) propose through the builder
   * too. Default true; false: only other validators' proposals (the squad's) reach the relay.
   */
  lodestarValidatorsUseBuilder?: boolean;
};

/**
 * A running devnet and its relay.
 *
 * @example
 * const { devnet, relay, stop } = await startMevDevnet();
 */
export type MevDevnet = { devnet: DevnetHandle; relay: Relay; stop(): Promise<void> };

/**
 * Start Lodestar with its builder at a free port on 127.0.0.1, then the relay on that port.
 * If the relay fails to start, Lodestar is stopped before the error is thrown.
 *
 * @example
 * const mev = await startMevDevnet({ devnet: { workDir: "/tmp/dn" } });
 * try { await mev.relay.pause(); } finally { await mev.stop(); }
 */
export async function startMevDevnet(opts: MevDevnetOptions = {}): Promise<MevDevnet> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const workDir = opts.devnet?.workDir ?? (await fsp.mkdtemp(join(tmpdir(), "rpdvt-devnet-")));
  const ownOff =
    opts.lodestarValidatorsUseBuilder === false
      ? ["--proposerSettingsFile", await writeBuilderOff(workDir, opts.devnet?.lodestarValidators)]
      : [];
  const devnet = await startDevnet({
    ...opts.devnet,
    workDir,
    extraArgs: [
      ...builderArgs(url, opts.lodestarSelection),
      ...ownOff,
      ...(opts.devnet?.extraArgs ?? []),
    ],
  });
  let relay: Relay;
  try {
    relay = await startRelay({ ...opts.relay, beaconUrl: devnet.restUrl, port });
  } catch (err) {
    await devnet.stop();
    throw err;
  }
  return {
    devnet,
    relay,
    async stop() {
      await relay.stop();
      await devnet.stop();
    },
  };
}

/**
 * Write `proposer-settings.yaml` in `workDir`: the builder off for each of Lodestar's own
 * validators (interop keys of the range, default "0..47", as ./start.ts). Returns its path.
 *
 * @example
 * await writeBuilderOff("/tmp/dn", "0..47") // "/tmp/dn/proposer-settings.yaml"
 */
export async function writeBuilderOff(workDir: string, range = "0..47"): Promise<string> {
  const lines = ["proposer_config:"];
  for (const i of parseIndexRange(range)) {
    lines.push(`  "${toHex(interopPublicKey(i))}":`, "    builder:", '      enabled: "false"');
  }
  await fsp.mkdir(workDir, { recursive: true });
  const file = join(workDir, "proposer-settings.yaml");
  await fsp.writeFile(file, `${lines.join("\n")}\n`);
  return file;
}
