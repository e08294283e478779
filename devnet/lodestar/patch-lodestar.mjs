// Post-install patch for @chainsafe/lodestar@1.5.1 `lodestar dev --execution.engineMock`: two
// one-line fixes in node_modules/@chainsafe/lodestar/lib/options/beaconNodeOptions/execution.js.
// 1. The CLI builds the mock execution engine with genesisBlockHash "" while the interop genesis
//    state's latestExecutionPayloadHeader.blockHash is the dev eth1 block hash 0x0b…0b (the
//    default of lib/cmds/dev/handler.js), so every forkchoiceUpdated answers SYNCING and no
//    post-merge block is ever produced.
// 2. The CLI never tells the mock when Capella starts, so it builds Bellatrix payloads (no
//    `withdrawals`) and Capella block production fails. Pass capellaForkTimestamp = 0 when
//    --params.CAPELLA_FORK_EPOCH is 0 (the only Capella setup src/devnet uses).
// Idempotent: a marker comment says the file is already patched. Exits 1 if the code moved.
import fs from "node:fs";

const file = new URL(
  "./node_modules/@chainsafe/lodestar/lib/options/beaconNodeOptions/execution.js",
  import.meta.url,
);
const src = fs.readFileSync(file, "utf8");
const marker = "/*rpdvt-mock-patch*/";
if (src.includes(marker)) {
  console.log("lodestar mock-EL patch: already applied");
  process.exit(0);
}
const from = `genesisBlockHash: "",`;
const to = `genesisBlockHash: ${marker} "0x${"0b".repeat(32)}",
            capellaForkTimestamp: Number(args["params.CAPELLA_FORK_EPOCH"]) === 0 ? 0 : undefined,`;
if (!src.includes(from)) {
  console.error(
    `lodestar mock-EL patch: pattern ${JSON.stringify(from)} not found in ${file.pathname}`,
  );
  process.exit(1);
}
fs.writeFileSync(file, src.replace(from, to));
console.log("lodestar mock-EL patch: applied");
