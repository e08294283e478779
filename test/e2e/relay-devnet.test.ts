/**
 * End-to-end: a REAL Lodestar 1.5.1 dev chain (src/devnet, Capella, minimal preset, 2 s slots)
 * proposes through the test relay (src/devnet/relay/relay.ts) with its own 48 interop validators:
 * `lodestar dev --builder --builder.urls <relay> --builder.selection builderalways
 * --suggestedFeeRecipient <Rocket Pool smoothing pool>`.
 *
 * The relay's own signature checks are the evidence: every registration Lodestar's validator
 * client sends (through its beacon node's register_validator) verified under the builder domain,
 * every blinded block verified under the proposer domain with the proposer's key, nothing
 * rejected. Judged from the beacon node: each slot the relay delivered a payload for is a
 * canonical block carrying exactly that payload (block hash, the relay's extra data), paying the
 * registered fee recipient (src/builder/proposal.ts checkPayment). Then the relay is stopped
 * (connections refused) for 6 slots: proposals fall back to local (engine) blocks and still land;
 * after it restarts, blinded proposals land again.
 *
 * Not installed → the test FAILS naming the install command (bash devnet/lodestar/install.sh).
 */
import "../../src/devnet/preset.js";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { checkPayment } from "../../src/builder/proposal.js";
import {
  type DevnetHandle,
  ensureInstalled,
  freePort,
  startDevnet,
} from "../../src/devnet/index.js";
import { type Relay, startRelay } from "../../src/devnet/relay/relay.js";
import { fromHex } from "../../src/util/hex.js";

/** Rocket Pool's smoothing pool on mainnet: a realistic fee recipient for the devnet's validators. */
const FEE_RECIPIENT = "0xd4e96ef8eee8678dbff4d535e033ed1a4f7605b7";
const RELAY_EXTRA = Buffer.from("rpdvt test relay").toString("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type BlockJson = {
  message: {
    slot: string;
    body: {
      execution_payload: {
        block_hash: string;
        fee_recipient: string;
        extra_data: string;
        transactions: string[];
      };
    };
  };
};

async function blockAt(url: string, slot: number): Promise<BlockJson | undefined> {
  const res = await fetch(`${url}/eth/v2/beacon/blocks/${slot}`, {
    signal: AbortSignal.timeout(5000),
  });
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200, `GET block ${slot}`);
  return ((await res.json()) as { data: BlockJson }).data;
}

async function headSlot(url: string): Promise<number> {
  const res = await fetch(`${url}/eth/v1/beacon/headers/head`, {
    signal: AbortSignal.timeout(5000),
  });
  return Number(
    ((await res.json()) as { data: { header: { message: { slot: string } } } }).data.header.message
      .slot,
  );
}

async function until(
  what: string,
  ms: number,
  ok: () => boolean | Promise<boolean>,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await sleep(500);
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}`);
}

describe("e2e: Lodestar 1.5.1 proposes blinded blocks through the verifying test relay", () => {
  let devnet: DevnetHandle | undefined;
  let relay: Relay | undefined;
  before(async () => {
    try {
      await ensureInstalled();
    } catch (err) {
      assert.fail(
        `Lodestar devnet not installed: run bash devnet/lodestar/install.sh (${(err as Error).message})`,
      );
    }
    const port = await freePort();
    devnet = await startDevnet({
      extraArgs: [
        "--builder",
        ...["--builder.urls", `http://127.0.0.1:${port}`],
        ...["--builder.selection", "builderalways"],
        ...["--suggestedFeeRecipient", FEE_RECIPIENT],
      ],
    });
    relay = await startRelay({ beaconUrl: devnet.restUrl, port });
  });
  after(async () => {
    await relay?.stop();
    await devnet?.stop();
  });

  test("registrations and blinded blocks verified by the relay land on chain; relay down → local blocks; back → blinded again", {
    timeout: 600_000,
  }, async () => {
    const r = relay as Relay;
    const url = (devnet as DevnetHandle).restUrl;
    // Lodestar enables its builder after a fault-inspection window of 8..15 slots.
    // A late blinded block can be orphaned on a loaded machine: wait for 4 to judge 3 canonical.
    await until(
      "4 blinded blocks at the relay",
      300_000,
      () => r.records().blindedBlocks.length >= 4,
    );
    await r.pause();
    const pausedFrom = await headSlot(url);
    await sleep(6 * (devnet as DevnetHandle).secondsPerSlot * 1000);
    const pausedTo = await headSlot(url);
    await r.resume();
    const before = r.records().blindedBlocks.length;
    await until(
      "a blinded block after the relay came back",
      240_000,
      () => r.records().blindedBlocks.length > before,
    );
    await sleep(3 * (devnet as DevnetHandle).secondsPerSlot * 1000);

    const rec = r.records();
    assert.deepEqual(rec.rejected, [], "the relay rejected nothing Lodestar sent");
    const registered = r.registered();
    assert.equal(registered.size, 48, "one verified registration per Lodestar validator (0..47)");
    for (const reg of registered.values()) {
      assert.equal(reg.signatureVerified, true);
      assert.equal(reg.feeRecipient, FEE_RECIPIENT);
    }
    // Every blinded block the relay verified is canonical with the relay's payload, paying the
    // registered recipient.
    let landed = 0;
    for (const b of rec.blindedBlocks) {
      assert.equal(b.signatureVerified, true);
      const block = await blockAt(url, b.slot);
      if (!block) continue; // orphaned by a later reorg: not counted
      const p = block.message.body.execution_payload;
      assert.equal(p.block_hash, b.blockHash, `slot ${b.slot}: the relay's payload`);
      assert.equal(p.extra_data, `0x${RELAY_EXTRA}`);
      const paid = checkPayment(
        {
          feeRecipient: fromHex(p.fee_recipient),
          transactions: p.transactions.map((t) => fromHex(t)),
        },
        registered.get(b.pubkey)?.feeRecipient as string,
        0n,
      );
      assert.ok(paid.ok, `slot ${b.slot}: ${JSON.stringify(paid)}`);
      landed++;
    }
    assert.ok(landed >= 3, `blinded proposals landed: ${landed}`);
    // While the relay was down, blocks still landed — local ones (not the relay's payload).
    let local = 0;
    for (let s = pausedFrom + 2; s <= pausedTo; s++) {
      const block = await blockAt(url, s);
      if (block && block.message.body.execution_payload.extra_data !== `0x${RELAY_EXTRA}`) local++;
    }
    assert.ok(
      local >= 2,
      `local blocks while the relay was down (slots ${pausedFrom + 2}..${pausedTo}): ${local}`,
    );
    const after = rec.blindedBlocks.filter((b) => b.slot > pausedTo);
    assert.ok(after.length >= 1, "blinded proposals resumed");
    console.log(
      `relay: ${registered.size} registrations verified, ${rec.blindedBlocks.length} blinded blocks verified (${landed} canonical), ${rec.headers.filter((h) => h.bid).length} bids; relay down for slots ${pausedFrom + 1}..${pausedTo}: ${local} local blocks`,
    );
  });
});
