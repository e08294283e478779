/**
 * Fakes for the operations tests: a keymanager API server (GET/DELETE /eth/v1/keystores, bearer
 * auth, returns an EIP-3076 interchange and — like Lighthouse — deletes its own keystores), a
 * beacon node over HTTP (genesis/spec/fork schedule, validators, liveness, headers, syncing,
 * voluntary exits, finality checkpoints), a JSON-RPC execution client answering eth_call for the
 * Rocket Pool selectors (decoded and encoded with viem against ROCKET_ABI), a virtual clock, and
 * Lighthouse's validator_definitions.yml for fixtures. All servers bind 127.0.0.1 on port 0.
 */
import { promises as fsp } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { decodeFunctionData, encodeFunctionResult, zeroAddress } from "viem";
import {
  contractKey,
  MAINNET_ROCKET_STORAGE,
  ROCKET_ABI,
} from "../../src/ops/feerecipient/feerecipient.js";
import { LIGHTHOUSE_DEFINITIONS } from "../../src/ops/quarantine/lighthouse.js";

export type Handler = (
  req: IncomingMessage,
  body: string,
  url: URL,
) =>
  | { status?: number; json?: unknown; headers?: Record<string, string> }
  | Promise<{ status?: number; json?: unknown; headers?: Record<string, string> }>;

/**
 * An HTTP server on 127.0.0.1:0 answering with `handler`.
 *
 * @example
 * const s = await serve(() => ({ json: { ok: true } }));
 */
export async function serve(
  handler: Handler,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      try {
        const url = new URL(req.url ?? "/", "http://x");
        const a = await handler(req, Buffer.concat(chunks).toString("utf8"), url);
        res.writeHead(a.status ?? 200, {
          "content-type": "application/json",
          ...(a.headers ?? {}),
        });
        res.end(a.json === undefined ? "" : JSON.stringify(a.json));
      } catch (err) {
        res.writeHead(500).end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const GVR = `0x${"ab".repeat(32)}`;

/**
 * A small interchange for `pubkeys` (0x-hex): one block and one attestation each.
 *
 * @example
 * const ic = interchangeFor(["0xab…"]);
 */
export function interchangeFor(pubkeys: string[], gvr = GVR) {
  return {
    metadata: { interchange_format_version: "5", genesis_validators_root: gvr },
    data: pubkeys.map((pubkey, i) => ({
      pubkey,
      signed_blocks: [{ slot: String(1000 + i), signing_root: `0x${"11".repeat(32)}` }],
      signed_attestations: [
        { source_epoch: "30", target_epoch: String(31 + i), signing_root: `0x${"22".repeat(32)}` },
      ],
    })),
  };
}

/**
 * A keymanager API like a Smartnode Lighthouse VC: bearer auth; DELETE answers statuses and the
 * interchange (as a JSON string) and removes the keys from its own layout (when `dataDir` given).
 *
 * @example
 * const km = await startFakeKeymanager({ token: "t", keys: fx.pubkeys, dataDir: fx.dataDir });
 */
export async function startFakeKeymanager(o: {
  token: string;
  keys: string[];
  dataDir?: string;
  gvr?: string;
}) {
  const active = new Set(o.keys.map((k) => k.toLowerCase()));
  const deleted = new Set<string>();
  const calls: { method: string; auth: string | undefined; body: unknown }[] = [];
  const srv = await serve(async (req, body) => {
    calls.push({
      method: req.method ?? "",
      auth: req.headers.authorization,
      body: body ? JSON.parse(body) : undefined,
    });
    if (req.headers.authorization !== `Bearer ${o.token}`)
      return { status: 401, json: { message: "bad token" } };
    if (req.method === "GET") {
      return {
        json: {
          data: [...active].map((k) => ({
            validating_pubkey: k,
            derivation_path: "",
            readonly: false,
          })),
        },
      };
    }
    if (req.method === "DELETE") {
      const { pubkeys } = JSON.parse(body) as { pubkeys: string[] };
      const statuses = [];
      for (const pk of pubkeys) {
        const k = pk.toLowerCase();
        if (active.has(k)) {
          active.delete(k);
          deleted.add(k);
          statuses.push({ status: "deleted" });
          if (o.dataDir) {
            // Lighthouse deletes the keystore folder and the definition entry of a deleted key.
            await fsp.rm(join(o.dataDir, "validators/lighthouse/validators", k), {
              recursive: true,
              force: true,
            });
          }
        } else statuses.push({ status: deleted.has(k) ? "not_active" : "not_found" });
      }
      const known = pubkeys.filter((p) => deleted.has(p.toLowerCase()));
      return {
        json: { data: statuses, slashing_protection: JSON.stringify(interchangeFor(known, o.gvr)) },
      };
    }
    return { status: 405 };
  });
  return { ...srv, calls, active };
}

/**
 * Write Lighthouse's validator_definitions.yml for `pubkeys`, as Lighthouse does on discovery.
 *
 * @example
 * await writeLighthouseDefinitions(fx.dataDir, fx.pubkeys);
 */
export async function writeLighthouseDefinitions(
  dataDir: string,
  pubkeys: string[],
): Promise<string> {
  const body = pubkeys
    .map(
      (pk) => `- enabled: true
  voting_public_key: "${pk}"
  description: ""
  graffiti: null
  suggested_fee_recipient: null
  gas_limit: null
  builder_proposals: null
  type: local_keystore
  voting_keystore_path: /validators/lighthouse/validators/${pk}/voting-keystore.json
  voting_keystore_password_path: /validators/lighthouse/secrets/${pk}
`,
    )
    .join("");
  const file = join(dataDir, LIGHTHOUSE_DEFINITIONS);
  await fsp.writeFile(file, `---\n${body}`, { mode: 0o600 });
  return file;
}

/**
 * A virtual clock: `sleep` advances time instantly.
 *
 * @example
 * const clock = virtualClock(1_700_000_000_000);
 */
export function virtualClock(startMs: number) {
  let now = startMs;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/**
 * Every file under `root` with its bytes and mode (to prove a tree is byte-identical).
 *
 * @example
 * assert.deepEqual(await treeState(dir), before);
 */
export async function treeState(root: string, skip: (rel: string) => boolean = () => false) {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      const rel = abs.slice(root.length + 1);
      if (skip(rel)) continue;
      if (e.isDirectory()) {
        out[`${rel}/`] = ((await fsp.stat(abs)).mode & 0o777).toString(8);
        await walk(abs);
      } else {
        const st = await fsp.stat(abs);
        out[rel] =
          `${(st.mode & 0o777).toString(8)} ${(await fsp.readFile(abs)).toString("base64")}`;
      }
    }
  };
  await walk(root);
  return out;
}

/**
 * An HTTP beacon node fake for liveness/exit/doctor: genesis `genesisTime`, `secondsPerSlot`,
 * `slotsPerEpoch`; validators get indices 100, 101, … in the order given; `live(epoch, index)`
 * decides liveness.
 *
 * @example
 * const bn = await startFakeBeacon({ pubkeys, genesisTime: now - 1000, secondsPerSlot: 1, slotsPerEpoch: 2 });
 */
export async function startFakeBeacon(o: {
  pubkeys: string[];
  genesisTime: number;
  secondsPerSlot?: number;
  slotsPerEpoch?: number;
  live?: (epoch: number, index: number) => boolean;
  gvr?: string;
  dateOffsetMs?: number;
  /** Finalized epoch (GET …/finality_checkpoints); default: head epoch − 2. */
  finalizedEpoch?: number;
  /** Beacon status per 0x pubkey (lowercase; default active_ongoing); exiting/exited get exit epoch 5. */
  statuses?: Record<string, string>;
}) {
  const sps = o.secondsPerSlot ?? 12;
  const spe = o.slotsPerEpoch ?? 32;
  const exits: unknown[] = [];
  const livenessCalls: { epoch: number; indices: string[] }[] = [];
  const idx = new Map(o.pubkeys.map((p, i) => [p.toLowerCase(), 100 + i]));
  const headSlot = () => Math.floor((Date.now() / 1000 - o.genesisTime) / sps);
  const srv = await serve(async (req, body, url) => {
    const p = url.pathname;
    const headers = { date: new Date(Date.now() + (o.dateOffsetMs ?? 0)).toUTCString() };
    if (p === "/eth/v1/beacon/genesis")
      return {
        headers,
        json: {
          data: {
            genesis_time: String(o.genesisTime),
            genesis_validators_root: o.gvr ?? GVR,
            genesis_fork_version: "0x00000001",
          },
        },
      };
    if (p === "/eth/v1/config/spec")
      return {
        json: {
          data: {
            PRESET_BASE: "mainnet",
            CONFIG_NAME: "fake",
            SECONDS_PER_SLOT: String(sps),
            SLOTS_PER_EPOCH: String(spe),
            GENESIS_FORK_VERSION: "0x00000001",
            ALTAIR_FORK_VERSION: "0x01000001",
            BELLATRIX_FORK_VERSION: "0x02000001",
            CAPELLA_FORK_VERSION: "0x03000001",
            DENEB_FORK_VERSION: "0x04000001",
            ELECTRA_FORK_VERSION: "0x05000001",
          },
        },
      };
    if (p === "/eth/v1/config/fork_schedule")
      return {
        json: {
          data: [
            { previous_version: "0x00000001", current_version: "0x00000001", epoch: "0" },
            { previous_version: "0x00000001", current_version: "0x01000001", epoch: "0" },
            { previous_version: "0x01000001", current_version: "0x02000001", epoch: "0" },
            { previous_version: "0x02000001", current_version: "0x03000001", epoch: "0" },
            { previous_version: "0x03000001", current_version: "0x04000001", epoch: "0" },
            { previous_version: "0x04000001", current_version: "0x05000001", epoch: "0" },
          ],
        },
      };
    if (p === "/eth/v1/beacon/states/head/validators") {
      // GET ?id=…, or POST {"ids": […]} (the Beacon API's postStateValidators, tried first).
      const ids =
        req.method === "POST"
          ? ((JSON.parse(body || "{}") as { ids?: string[] }).ids ?? []).map(String)
          : url.searchParams.getAll("id").flatMap((s) => s.split(","));
      const data = ids
        .filter((id) => idx.has(id.toLowerCase()))
        .map((id) => ({
          index: String(idx.get(id.toLowerCase())),
          balance: "32000000000",
          status: o.statuses?.[id.toLowerCase()] ?? "active_ongoing",
          validator: {
            pubkey: id.toLowerCase(),
            withdrawal_credentials: `0x01${"00".repeat(11)}${"cd".repeat(20)}`,
            effective_balance: "32000000000",
            slashed: false,
            activation_eligibility_epoch: "0",
            activation_epoch: o.statuses?.[id.toLowerCase()]?.startsWith("pending")
              ? "18446744073709551615"
              : "0",
            exit_epoch: /^(active_exiting|exited|withdrawal)/.test(
              o.statuses?.[id.toLowerCase()] ?? "",
            )
              ? "5"
              : "18446744073709551615",
            withdrawable_epoch: "18446744073709551615",
          },
        }));
      return { json: { data } };
    }
    const lv = /^\/eth\/v1\/validator\/liveness\/(\d+)$/.exec(p);
    if (lv && req.method === "POST") {
      const epoch = Number(lv[1]);
      const indices = JSON.parse(body) as string[];
      livenessCalls.push({ epoch, indices });
      return {
        json: {
          data: indices.map((i) => ({ index: i, is_live: o.live?.(epoch, Number(i)) ?? false })),
        },
      };
    }
    if (p === "/eth/v1/node/syncing")
      return {
        json: {
          data: {
            head_slot: String(headSlot()),
            sync_distance: "0",
            is_syncing: false,
            is_optimistic: false,
            el_offline: false,
          },
        },
      };
    if (p === "/eth/v1/node/health") return { status: 200, headers };
    if (p === "/eth/v1/node/version") return { headers, json: { data: { version: "fake/v1" } } };
    if (p === "/eth/v1/beacon/headers/head")
      return {
        headers,
        json: {
          data: {
            root: `0x${"33".repeat(32)}`,
            canonical: true,
            header: {
              message: {
                slot: String(headSlot()),
                proposer_index: "1",
                parent_root: `0x${"44".repeat(32)}`,
                state_root: `0x${"55".repeat(32)}`,
                body_root: `0x${"66".repeat(32)}`,
              },
              signature: `0x${"00".repeat(96)}`,
            },
          },
        },
      };
    if (p === "/eth/v1/beacon/states/head/finality_checkpoints") {
      const fin = o.finalizedEpoch ?? Math.max(0, Math.floor(headSlot() / spe) - 2);
      const cp = (epoch: number) => ({ epoch: String(epoch), root: `0x${"77".repeat(32)}` });
      return {
        json: {
          data: {
            previous_justified: cp(fin),
            current_justified: cp(fin + 1),
            finalized: cp(fin),
          },
        },
      };
    }
    if (p === "/eth/v1/beacon/pool/voluntary_exits" && req.method === "POST") {
      exits.push(JSON.parse(body));
      return { status: 200 };
    }
    return { status: 404, json: { message: `no route ${p}` } };
  });
  return { ...srv, exits, livenessCalls };
}

/** Addresses of the fake Rocket Pool deployment ({@link startFakeRocketPoolRpc}). */
export const RP = (() => {
  const A = (b: string) => `0x${b.repeat(40)}` as `0x${string}`;
  return {
    node: A("1"),
    contracts: {
      rocketNodeManager: A("2"),
      rocketNodeDistributorFactory: A("3"),
      rocketSmoothingPool: A("4"),
      rocketMinipoolManager: A("5"),
      rocketMegapoolFactory: A("6"),
      rocketTokenRETH: A("a"),
    } as Record<string, `0x${string}`>,
    distributor: A("7"),
    megapool: A("8"),
    minipool: A("9"),
  };
})();

/**
 * A JSON-RPC execution client for one Rocket Pool node ({@link RP}): RocketStorage at the mainnet
 * address, eth_call decoded with viem against ROCKET_ABI and answered from `state` (mutable between
 * calls), plus eth_chainId and eth_syncing. Validators in `state.minipools` are minipools; any other
 * pubkey is a megapool validator when `state.megapoolDeployed`.
 *
 * @example
 * const rpc = await startFakeRocketPoolRpc({ minipools: new Set([pk0]) });
 * rpc.state.optedIn = true;
 */
export async function startFakeRocketPoolRpc(
  init: {
    optedIn?: boolean;
    registrationChanged?: bigint;
    megapoolDeployed?: boolean;
    minipools?: Set<string>;
  } = {},
) {
  const state = {
    optedIn: init.optedIn ?? false,
    registrationChanged: init.registrationChanged ?? 0n,
    megapoolDeployed: init.megapoolDeployed ?? true,
    minipools: new Set([...(init.minipools ?? [])].map((p) => p.toLowerCase())),
  };
  const seen: { functionName: string; to: string; args: unknown[] }[] = [];
  const byKey = new Map(Object.entries(RP.contracts).map(([name, a]) => [contractKey(name), a]));
  const srv = await serve((_req, body) => {
    const { id, method, params } = JSON.parse(body) as {
      id: number;
      method: string;
      params: [{ to: string; data: `0x${string}` }];
    };
    const ok = (result: unknown) => ({ json: { jsonrpc: "2.0", id, result } });
    if (method === "eth_chainId") return ok("0x1");
    if (method === "eth_syncing") return ok(false);
    if (method !== "eth_call")
      return { json: { jsonrpc: "2.0", id, error: { code: -32601, message: method } } };
    const { to, data } = params[0];
    const call = decodeFunctionData({ abi: ROCKET_ABI, data });
    const args = (call.args ?? []) as unknown as unknown[];
    const fn: string = call.functionName;
    seen.push({ functionName: fn, to: to.toLowerCase(), args });
    const result = (() => {
      switch (call.functionName) {
        case "getAddress":
          if (to.toLowerCase() !== MAINNET_ROCKET_STORAGE.toLowerCase())
            throw new Error(`getAddress on ${to}, not RocketStorage`);
          return byKey.get(args[0] as `0x${string}`) ?? zeroAddress;
        case "getSmoothingPoolRegistrationState":
          return state.optedIn;
        case "getSmoothingPoolRegistrationChanged":
          return state.registrationChanged;
        case "getProxyAddress":
          return RP.distributor;
        case "getMegapoolDeployed":
          return state.megapoolDeployed;
        case "getExpectedAddress":
          return RP.megapool;
        case "getMinipoolByPubkey":
          return state.minipools.has((args[0] as string).toLowerCase()) ? RP.minipool : zeroAddress;
      }
      throw new Error(`unexpected ${fn}`);
    })();
    return ok(
      encodeFunctionResult({
        abi: ROCKET_ABI,
        functionName: call.functionName,
        result,
      } as never),
    );
  });
  return { ...srv, state, seen };
}
