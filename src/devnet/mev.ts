/**
 * The devnet with MEV-Boost: Lodestar launched with its builder flags (./lodestar-cli.ts
 * {@link builderArgs}) pointing at the devnet's own relay (./relay/relay.ts, builder-specs, on
 * 127.0.0.1), which starts once the beacon node answers (it reads the chain from it). Lodestar
 * calls the builder's status every slot and enables its builder only after a fault-inspection
 * window of 8..15 slots (minimal preset), so a relay listening a few seconds after the beacon
 * node changes nothing. Stopped together: the relay, then Lodestar (by its PID, ./start.ts).
 */
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
  const devnet = await startDevnet({
    ...opts.devnet,
    extraArgs: [...builderArgs(url, opts.lodestarSelection), ...(opts.devnet?.extraArgs ?? [])],
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
