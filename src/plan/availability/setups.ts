/**
 * The four setups compared, as chains/machines/roles (./system.ts):
 *  - solo: one machine in one site;
 *  - active-passive: primary + standby (same or separate site), failover after d epochs;
 *  - Vouch + Dirk: M machines; Vouch i, beacon node i and Dirk i on machine i mod M; signs when
 *    ≥ 1 Vouch, ≥ 1 beacon node and ≥ t_dirk Dirk instances are up (Attestant's documented
 *    architecture: Vouch talks to several beacon nodes, Dirk is a threshold remote signer);
 *  - DVT t-of-n: n operators, each with its own machine and site, except `sharedSite` of them on
 *    one common site; signs when ≥ t are up.
 */
import { defaultThreshold } from "../threshold.js";
import type { AvailabilityConfig } from "./schema.js";
import { type AvailabilitySystem, type Chain, chainFrom, type Machine } from "./system.js";

/**
 * Build the four setups of a configuration.
 *
 * @example
 * buildSetups(parseAvailabilityConfig({})).map((s) => s.name);
 */
export function buildSetups(cfg: AvailabilityConfig): AvailabilitySystem[] {
  const solo: AvailabilitySystem = {
    name: "solo",
    chains: [chainFrom("machine", cfg.machine), chainFrom("site", cfg.site)],
    machines: [{ name: "machine", chain: 0, site: 1 }],
    roles: [{ name: "vc", k: 1, hosts: [0] }],
  };

  const ap = cfg.activePassive;
  const apChains: Chain[] = [
    chainFrom("primary", cfg.machine),
    chainFrom("standby", cfg.machine),
    chainFrom("site", cfg.site),
  ];
  if (!ap.sameSite) apChains.push(chainFrom("standby site", cfg.site));
  const activePassive: AvailabilitySystem = {
    name: "active-passive",
    chains: apChains,
    machines: [
      { name: "primary", chain: 0, site: 2 },
      { name: "standby", chain: 1, site: ap.sameSite ? 2 : 3 },
    ],
    roles: [{ name: "vc", k: 1, hosts: [0, 1] }],
    failover: { primary: 0, standby: 1, delayEpochs: ap.delayEpochs },
  };

  const vd = cfg.vouchDirk;
  const vdChains: Chain[] = [];
  const vdMachines: Machine[] = [];
  const sharedVdSite = vd.sameSite ? pushChain(vdChains, chainFrom("site", cfg.site)) : -1;
  for (let i = 0; i < vd.machines; i++) {
    const chain = pushChain(vdChains, chainFrom(`machine ${i + 1}`, cfg.machine));
    const site = vd.sameSite
      ? sharedVdSite
      : pushChain(vdChains, chainFrom(`site ${i + 1}`, cfg.site));
    vdMachines.push({ name: `machine ${i + 1}`, chain, site });
  }
  const on = (count: number) => Array.from({ length: count }, (_, i) => i % vd.machines);
  const vouchDirk: AvailabilitySystem = {
    name: `vouch+dirk ${Math.min(vd.dirkThreshold, vd.dirkInstances)}/${vd.dirkInstances}`,
    chains: vdChains,
    machines: vdMachines,
    roles: [
      { name: "vouch", k: 1, hosts: unique(on(vd.vouchInstances)) },
      { name: "beacon node", k: 1, hosts: unique(on(vd.beaconNodes)) },
      { name: "dirk", k: vd.dirkThreshold, hosts: on(vd.dirkInstances) },
    ],
  };

  const n = cfg.dvt.operators;
  const t = cfg.dvt.threshold ?? defaultThreshold(n);
  const dvChains: Chain[] = [];
  const dvMachines: Machine[] = [];
  const shared = Math.min(cfg.dvt.sharedSite, n);
  const commonSite = shared > 1 ? pushChain(dvChains, chainFrom("shared site", cfg.site)) : -1;
  for (let i = 0; i < n; i++) {
    const chain = pushChain(dvChains, chainFrom(`operator ${i + 1}`, cfg.machine));
    const site =
      i < shared && commonSite >= 0
        ? commonSite
        : pushChain(dvChains, chainFrom(`operator ${i + 1} site`, cfg.site));
    dvMachines.push({ name: `operator ${i + 1}`, chain, site });
  }
  const dvt: AvailabilitySystem = {
    name: `dvt ${t}/${n}`,
    chains: dvChains,
    machines: dvMachines,
    roles: [{ name: "operators", k: t, hosts: dvMachines.map((_, i) => i) }],
  };
  return [solo, activePassive, vouchDirk, dvt];
}

function pushChain(chains: Chain[], c: Chain): number {
  chains.push(c);
  return chains.length - 1;
}

function unique(xs: number[]): number[] {
  return [...new Set(xs)];
}
