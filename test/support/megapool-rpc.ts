/**
 * A JSON-RPC execution client holding one Rocket Pool node's megapool (Saturn): RocketStorage at
 * the mainnet address → rocketMegapoolFactory → `getMegapoolDeployed` / `getExpectedAddress`, and
 * the megapool's `getValidatorCount` / `getValidatorPubkey(id)` (rocket-pool/smartnode
 * bindings/megapool), eth_call decoded and answered with viem against that ABI.
 */
import assert from "node:assert/strict";
import { decodeFunctionData, encodeFunctionResult, parseAbi, zeroAddress } from "viem";
import { MAINNET_ROCKET_STORAGE } from "../../src/ops/feerecipient/feerecipient.js";
import { contractAddressKey } from "../../src/reputation/chain.js";
import { serve } from "./ops-fakes.js";

const ABI = parseAbi([
  "function getAddress(bytes32 _key) view returns (address)",
  "function getMegapoolDeployed(address _nodeAddress) view returns (bool)",
  "function getExpectedAddress(address _nodeAddress) view returns (address)",
  "function getValidatorCount() view returns (uint32)",
  "function getValidatorPubkey(uint32 _validatorId) view returns (bytes)",
]);
export const NODE = `0x${"11".repeat(20)}`;
const FACTORY = `0x${"66".repeat(20)}`;
export const MEGAPOOL = `0x${"88".repeat(20)}`;

/**
 * A JSON-RPC execution client holding one node's megapool with `pubkeys` (id = position).
 *
 * @example
 * const rpc = await startMegapoolRpc(["0x93ab…"]);
 */
export async function startMegapoolRpc(pubkeys: string[], o: { deployed?: boolean } = {}) {
  const calls: string[] = [];
  const srv = await serve((_req, body) => {
    const { id, method, params } = JSON.parse(body) as {
      id: number;
      method: string;
      params: [{ to: string; data: `0x${string}` }];
    };
    const ok = (result: unknown) => ({ json: { jsonrpc: "2.0", id, result } });
    if (method === "eth_chainId") return ok("0x1");
    const call = decodeFunctionData({ abi: ABI, data: params[0].data });
    calls.push(call.functionName);
    const to = params[0].to.toLowerCase();
    const result = (() => {
      switch (call.functionName) {
        case "getAddress":
          assert.equal(to, MAINNET_ROCKET_STORAGE.toLowerCase());
          return call.args[0] === contractAddressKey("rocketMegapoolFactory")
            ? FACTORY
            : zeroAddress;
        case "getMegapoolDeployed":
          assert.equal(to, FACTORY);
          return (o.deployed ?? true) && call.args[0].toLowerCase() === NODE;
        case "getExpectedAddress":
          return MEGAPOOL;
        case "getValidatorCount":
          assert.equal(to, MEGAPOOL);
          return pubkeys.length;
        case "getValidatorPubkey":
          return pubkeys[call.args[0]] as `0x${string}`;
      }
    })();
    return ok(encodeFunctionResult({ abi: ABI, functionName: call.functionName, result } as never));
  });
  return { ...srv, calls, node: NODE, megapool: MEGAPOOL };
}
