/**
 * The import rules of rpdvt (issue 14 item 4), checked by `npm run check` (`npm run lint:layers`)
 * with dependency-cruiser (https://github.com/sverweij/dependency-cruiser, rules reference:
 * doc/rules-reference.md). The README's "Architecture" section explains the layers; this file is
 * their one home.
 *
 * Why dependency-cruiser and not Biome `noRestrictedImports`: the step rule ("a core step never
 * imports another step") needs the importing folder captured and compared (`$1`), which
 * `noRestrictedImports` cannot express without one override per step that has to be edited for
 * every new step; and the violations present when the rules went in need a baseline
 * (`.dependency-cruiser-known-violations.json`, read with `--ignore-known`) so the check is green
 * while they are being removed, and fails on every new one.
 *
 * Layers, lowest first; a module may import its own layer and the layers below it, never above:
 *   util (src/errors.ts, src/util/) < crypto < domain {slashing, rocketpool, p2p, builder}
 *   < keysplit < core < adapters {beacon: implements core's BeaconNode port}
 *   < apps {app, ops, devnet, dashboard, reputation, plan} < cli
 * Inside core: root files (src/core/*.ts) are the interfaces and types; a step (src/core/<step>/)
 * imports only the core root and lower layers, never another step; src/core/consensus/ (QBFT) is
 * self-contained and only src/core/wire.ts, src/core/node.ts, src/core/workflow.ts (the
 * per-duty flow wire.ts connects), its adapter (src/core/consensus-adapter*, consensus-peers.ts)
 * and the composition root src/app/ import it. Inside cli: command
 * files import only cli/args.ts, cli/run.ts, cli/preset.ts; main.ts registers every command and a
 * group file (keys.ts) its own sub-commands (keys-*.ts). src/ never imports test/ or bench/, and
 * test doubles (fake, mock, stub, simnet) live only under test/.
 *
 * Re-record the baseline after removing a violation (never to hide a new one):
 *   npx depcruise-baseline src test bench bin --config .dependency-cruiser.cjs
 *
 * @example
 *   npx depcruise src test bench bin --config .dependency-cruiser.cjs --ignore-known
 */

/** Layers, lowest first: [name, path regex]. A new src/ folder must be added here. */
const LAYERS = [
  ["util", "^src/(errors\\.ts$|util/)"],
  ["crypto", "^src/crypto/"],
  ["domain", "^src/(slashing|rocketpool|p2p|builder)/"],
  ["keysplit", "^src/keysplit/"],
  ["core", "^src/core/"],
  // the Beacon API client implements core's BeaconNode port (src/core/beacon.ts); core never
  // imports it (the composition root in src/app/ hands it to the node)
  ["adapters", "^src/beacon/"],
  ["apps", "^src/(app|ops|devnet|dashboard|reputation|plan)/"],
  ["cli", "^src/cli/"],
];

const layerRules = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}-imports-higher`,
  comment:
    `The ${name} layer imports a higher layer (${LAYERS.slice(i + 1)
      .map(([n]) => n)
      .join(", ")}). ` +
    "Move the shared code down to the lowest layer that needs it, or pass it in as a parameter " +
    "(README, Architecture).",
  severity: "error",
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => p) },
}));

const CONSENSUS = "^src/core/consensus/";
const CONSENSUS_IMPORTERS = [
  CONSENSUS,
  "^src/core/(wire|node|workflow)\\.ts$",
  // the consensus adapter: QBFT's peers and message codec as the node uses them
  "^src/core/consensus-(adapter|peers)(\\.ts$|/)",
  // the node process's composition root (Charon app/): builds the QBFT signer and codec
  "^src/app/",
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "layer-unassigned",
      comment:
        "This src/ module belongs to no layer. Add its folder to LAYERS in .dependency-cruiser.cjs " +
        "and to the README's Architecture section.",
      severity: "error",
      from: { path: "^src/", pathNot: LAYERS.map(([, p]) => p) },
      to: {},
    },
    ...layerRules,
    {
      name: "core-step-imports-step",
      comment:
        "A core step (src/core/<step>/) imports another step. Steps depend only on the core root " +
        "(interfaces and types in src/core/*.ts) and lower layers: move the shared type to the core " +
        "root, or let src/core/wire.ts connect the two steps.",
      severity: "error",
      from: { path: "^src/core/([^/]+)/", pathNot: CONSENSUS },
      to: { path: "^src/core/[^/]+/", pathNot: ["^src/core/$1/", CONSENSUS] },
    },
    {
      name: "core-root-imports-step",
      comment:
        "A core root file (interfaces and types) imports a step. Only src/core/wire.ts and " +
        "src/core/node.ts may: move the code that needs the step into the step or into wire.ts.",
      severity: "error",
      from: { path: "^src/core/[^/]+\\.ts$", pathNot: "^src/core/(wire|node|workflow)\\.ts$" },
      to: { path: "^src/core/[^/]+/", pathNot: CONSENSUS },
    },
    {
      name: "consensus-not-self-contained",
      comment:
        "src/core/consensus/ (QBFT) is a self-contained package: it imports no other part of " +
        "src/core/ (only util and crypto); pass what it needs in through its config.",
      severity: "error",
      from: { path: CONSENSUS },
      to: { path: "^src/core/", pathNot: CONSENSUS },
    },
    {
      name: "consensus-imported-outside-wire",
      comment:
        "Only src/core/wire.ts, src/core/node.ts and the consensus adapter " +
        "(src/core/consensus-adapter*) import src/core/consensus/: go through the node or the " +
        "adapter instead.",
      severity: "error",
      from: {
        path: "^src/(core|app|ops|devnet|dashboard|reputation|plan|cli)/",
        pathNot: CONSENSUS_IMPORTERS,
      },
      to: { path: CONSENSUS },
    },
    {
      name: "cli-imports-cli",
      comment:
        "A CLI command file imports another one. Shared flag parsing goes to src/cli/args.ts, " +
        "running and printing to src/cli/run.ts, the preset to src/cli/preset.ts, orchestration to " +
        "its own module below cli (main.ts registers commands, a group file its <group>-*.ts).",
      severity: "error",
      from: { path: "^src/cli/([^/]+)\\.ts$", pathNot: "^src/cli/main\\.ts$" },
      to: {
        path: "^src/cli/",
        pathNot: ["^src/cli/(args|run|preset)\\.ts$", "^src/cli/$1-[^/]+\\.ts$"],
      },
    },
    {
      name: "src-imports-test",
      comment: "Shipped code (src/) imports test/ or bench/: move what it needs into src/.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "test-double-in-src",
      comment:
        "A test double or simulator (fake, mock, stub, simnet) lives in src/: move it under " +
        "test/support/ or test/simnet/.",
      severity: "error",
      from: {},
      to: {
        path: "^src/.*(simnet|fake|mock|stub)",
      },
    },
    {
      name: "src-imports-dev-dependency",
      comment:
        "Shipped code imports a devDependency, which `npm install --omit=dev` leaves out: move the " +
        "package to dependencies in package.json, or the code to test/.",
      severity: "error",
      from: { path: "^(src|bin)/" },
      to: { dependencyTypes: ["npm-dev"] },
    },
    {
      name: "no-circular",
      comment: "An import cycle: break it by moving the shared part down to a module both import.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that does not resolve to a file or a package (a typo, or a missing .js).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    exclude: {
      // npm packages stay in the graph (the devDependency rule needs them); doNotFollow keeps them
      // leaves. The interop harnesses (test/interop/<tool>/) are separate npm projects with their
      // own package.json, installed by `npm run pretest` after `npm run check` runs: not ours to
      // check (their imports do not resolve before that install).
      path: ["^test/spec/vectors/", "^test/interop/", "^devnet/lodestar/"],
    },
    doNotFollow: { path: "node_modules" },
    // type-only imports count: a layer break in a type is still a layer break
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
