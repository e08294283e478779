/**
 * `rpdvt setup ssv-node`: everything an operator needs to run an SSV node next to a Smartnode.
 *
 * Formats and sources (checked against the stored sources at the commits given):
 * - config.yaml — ssvlabs/ssv config/config.example.yaml (commit
 *   071d912d4d7a5899fc6fed62b8eb49002afea93d) and the yaml tags of the node's config struct
 *   (cli/operator/config.go, commit 0559ec59d94e37278d378ed9970b9a244bb4310d): `global.LogLevel`,
 *   `global.LogFilePath`, `db.Path`, `ssv.Network`, `eth2.BeaconNodeAddr` (HTTP), `eth1.ETH1Addr`
 *   (WebSocket), `p2p.TcpPort`/`p2p.UdpPort`, `KeyStore: { PrivateKeyFile, PasswordFile }` (both
 *   or neither; exclusive with `OperatorPrivateKey`), `MetricsAPIPort`. Defaults
 *   (cli/operator/testdata/defaults.golden.json): p2p 13001/tcp and 12001/udp, ssv.Network mainnet,
 *   MetricsAPIPort 0 = off (the example and the SSV docs enable 15000).
 * - `ssv.Network` values: the `Name` of networkconfig/{mainnet,holesky,hoodi}.go.
 * - encrypted_private_key.json — what `ssvnode generate-operator-keys --password-file` writes and
 *   the node reads (ssvsigner/keystore/file.go DecryptKeystore: wealdtech keystorev4, i.e. an
 *   EIP-2335 `crypto` object at top level, pbkdf2 c = 2^18, plus `pubKey`; commit
 *   2e4bc69071df2ec8fcadcf001a49a49d34af0c30). The plaintext is the PKCS#1 "RSA PRIVATE KEY" PEM
 *   (ssvsigner/keys/rsaencryption/rsa_encryption.go PEMToPrivateKey); `pubKey` is base64 of the PKIX
 *   "RSA PUBLIC KEY" PEM (PublicKeyToBase64PEM), the key registered on SSV. Same format as ssv-dkg
 *   (vector shared/vectors/ssv/dkg-operators/op1.json).
 * - Image and command: `ssvlabs/ssv-node:latest` running `make BUILD_PATH=/go/bin/ssvnode
 *   start-node`, the Makefile passing `--config=${CONFIG_PATH}` (ssvlabs/ssv Makefile, commit
 *   00094efd954b0d4cd1c7164bf9af13c8e5255827; the docker compose example of ssvlabs/gitbook-docs
 *   operator-user-guides/operator-node/installation/installation.md, commit
 *   5a4c96a8570d1586908f9bd1885f3a223c1d8c68). Native: `ssvnode start-node --config FILE`
 *   (cli/config/config.go `--config`/`-c`).
 * - Docker: the Smartnode's compose project is `rocketpool` (smartnode-config.go defaultProjectName,
 *   commit 01b9fec9c5d3059627c87fded06768015cf029d8), its network `net` → `rocketpool_net`;
 *   services `eth1` (HTTP 8545, WS 8546: execution-common-config.go defaultEcHttpPort/WsPort,
 *   commit 0599b8e6f4905487f13aee7a81214370ce95dcc0) and `eth2` (REST 5052:
 *   consensus-common-config.go defaultBnApiPort, commit 332b380e4e3a4201ad66425421230ce803abd582)
 *   in shared/services/rocketpool/assets/install/templates/{eth1,eth2}.tmpl. The SSV container
 *   joins that network as an external one and reaches the clients by service name.
 */
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { encryptCrypto, randomPassword } from "../../crypto/eip2335.js";
import { encodeOperatorPublicKey, parseOperatorPrivateKey } from "../../crypto/rsa.js";
import { InputError } from "../../errors.js";
import { writeDirAtomic, writeSecretFile } from "../../util/fs.js";

/** Smartnode docker network (compose project "rocketpool" + network "net", see the header). */
export const SMARTNODE_DOCKER_NETWORK = "rocketpool_net";
/** Smartnode service endpoints inside that network. */
export const SMARTNODE_BEACON_URL = "http://eth2:5052";
export const SMARTNODE_EL_HTTP_URL = "http://eth1:8545";
export const SMARTNODE_EL_WS_URL = "ws://eth1:8546";
/** SSV networks for a Smartnode's chain (`Name` in ssvlabs/ssv networkconfig/<network>.go). */
export const SSV_NETWORKS = ["mainnet", "holesky", "hoodi"] as const;

export type SsvSetupOptions = {
  network: (typeof SSV_NETWORKS)[number];
  beaconUrl: string;
  eth1Url: string;
  dockerNetwork: string;
  tcpPort: number;
  udpPort: number;
  metricsPort: number;
  image: string;
  /** Native (systemd) paths. */
  nativeDir: string;
  /** pbkdf2 iterations of the operator keystore (ssv-dkg: 2^18). */
  pbkdf2C?: number;
};

/** Defaults for a Docker-mode Smartnode. */
export const SSV_DEFAULTS: SsvSetupOptions = {
  network: "mainnet",
  beaconUrl: SMARTNODE_BEACON_URL,
  eth1Url: SMARTNODE_EL_WS_URL,
  dockerNetwork: SMARTNODE_DOCKER_NETWORK,
  tcpPort: 13001,
  udpPort: 12001,
  metricsPort: 15000,
  image: "ssvlabs/ssv-node:latest",
  nativeDir: "/var/lib/ssv",
};

/**
 * A fresh SSV operator key: RSA-2048, PEM encrypted as ssv-dkg/the SSV node store it.
 *
 * @example
 * const k = await generateSsvOperatorKey(password);
 * k.publicKey // "LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t…" (register this on SSV)
 */
export async function generateSsvOperatorKey(
  password: string,
  opts: { pbkdf2C?: number } = {},
): Promise<{ keystore: string; publicKey: string }> {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicExponent: 0x10001,
  });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = parseOperatorPrivateKey(pem);
  const publicKey = encodeOperatorPublicKey(key);
  const crypto = await encryptCrypto(
    new TextEncoder().encode(pem),
    password,
    "pbkdf2",
    opts.pbkdf2C ? { c: opts.pbkdf2C } : {},
  );
  return { keystore: `${JSON.stringify({ ...crypto, pubKey: publicKey })}\n`, publicKey };
}

const yamlString = (s: string) => JSON.stringify(s);

/**
 * The SSV node's config.yaml.
 *
 * @example
 * ssvConfigYaml(SSV_DEFAULTS, { dbPath: "/data/db", keyFile: "/data/encrypted_private_key.json", passwordFile: "/data/password" })
 */
export function ssvConfigYaml(
  o: SsvSetupOptions,
  paths: { dbPath: string; keyFile: string; passwordFile: string; logFile: string },
): string {
  return `# SSV node configuration — generated by rpdvt setup ssv-node (fields: ssvlabs/ssv config/config.example.yaml)
global:
  LogLevel: info
  LogFilePath: ${yamlString(paths.logFile)}

db:
  Path: ${yamlString(paths.dbPath)}

ssv:
  Network: ${o.network}

eth2:
  # HTTP URL of the beacon node (the Smartnode's eth2 service)
  BeaconNodeAddr: ${yamlString(o.beaconUrl)}

eth1:
  # WebSocket URL of the execution client (the Smartnode's eth1 service, WS port)
  ETH1Addr: ${yamlString(o.eth1Url)}

p2p:
  TcpPort: ${o.tcpPort}
  UdpPort: ${o.udpPort}

KeyStore:
  PrivateKeyFile: ${yamlString(paths.keyFile)}
  PasswordFile: ${yamlString(paths.passwordFile)}

MetricsAPIPort: ${o.metricsPort}
`;
}

/**
 * docker-compose.yml for the SSV node, joining the Smartnode's network.
 *
 * @example
 * ssvComposeYaml(SSV_DEFAULTS)
 */
export function ssvComposeYaml(o: SsvSetupOptions): string {
  return `# SSV node next to a Rocket Pool Smartnode — generated by rpdvt setup ssv-node
# Start: docker compose up -d    Logs: docker compose logs -f ssv-node
services:
  ssv-node:
    image: ${o.image}
    container_name: ssv_node
    restart: unless-stopped
    command: make BUILD_PATH=/go/bin/ssvnode start-node
    environment:
      - CONFIG_PATH=/ssv/config.yaml
    ports:
      - "${o.tcpPort}:${o.tcpPort}/tcp"
      - "${o.udpPort}:${o.udpPort}/udp"
      - "127.0.0.1:${o.metricsPort}:${o.metricsPort}/tcp"
    volumes:
      - ./:/ssv
    networks:
      - ${o.dockerNetwork}
networks:
  ${o.dockerNetwork}:
    external: true
`;
}

/**
 * A systemd unit for a native (non-Docker) SSV node.
 *
 * @example
 * ssvSystemdUnit(SSV_DEFAULTS)
 */
export function ssvSystemdUnit(o: SsvSetupOptions): string {
  return `[Unit]
Description=SSV node (generated by rpdvt setup ssv-node)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=ssv
ExecStart=/usr/local/bin/ssvnode start-node --config ${o.nativeDir}/config.yaml
Restart=always
RestartSec=5
NoNewPrivileges=true
ProtectSystem=full
ReadWritePaths=${o.nativeDir}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The step-by-step guide (also printed).
 *
 * @example
 * process.stdout.write(ssvGuide(SSV_DEFAULTS, "/home/me/ssv", publicKey));
 */
export function ssvGuide(o: SsvSetupOptions, out: string, publicKey: string): string {
  return `# SSV node setup (generated by rpdvt)

Files in ${out}:
  config.yaml                  SSV node configuration (Docker paths under /ssv)
  config.native.yaml           the same for a native install under ${o.nativeDir}
  docker-compose.yml           runs the node on the Smartnode's Docker network (${o.dockerNetwork})
  ssv-node.service             systemd unit for a native install
  encrypted_private_key.json   your operator key (RSA-2048, encrypted) — back it up, keep it secret
  password                     its password (0600) — back it up separately
  operator_public_key.txt      the public key to register

Steps:
1. Make sure the Smartnode's clients are synced: \`rocketpool node sync\`.
2. The execution client must serve WebSocket on 8546 inside ${o.dockerNetwork}
   (Smartnode: \`rocketpool service config\` → Execution Client; the eth1 service exposes 8546).
3. Docker: \`cd ${out} && docker compose up -d\`; native: copy config.native.yaml to
   ${o.nativeDir}/config.yaml with the key and password next to it, install ssv-node.service into
   /etc/systemd/system, then \`systemctl enable --now ssv-node\`.
4. Open ${o.tcpPort}/tcp and ${o.udpPort}/udp on your router/firewall (P2P).
5. Register the operator on SSV (app.ssv.network → Join as operator) with this public key:
   ${publicKey}
6. Check: \`docker compose logs -f ssv-node\` shows "successfully setup operator keys" and peers.
7. Before any migrated validator is registered to your operator: \`rpdvt doctor\`.

Never give encrypted_private_key.json and password to anyone; never run two SSV nodes with the same key.
`;
}

/**
 * Write the SSV setup folder atomically (`out` must not exist).
 *
 * @example
 * const { publicKey } = await writeSsvNodeSetup("/home/me/ssv", SSV_DEFAULTS);
 */
export async function writeSsvNodeSetup(
  out: string,
  o: SsvSetupOptions,
  password = randomPassword(),
): Promise<{ publicKey: string; guide: string }> {
  if (!SSV_NETWORKS.includes(o.network)) {
    throw new InputError(`Unknown SSV network "${o.network}"`, {
      field: "--network",
      metaMessages: [`One of: ${SSV_NETWORKS.join(", ")}.`],
    });
  }
  for (const [name, port] of [
    ["--p2p-tcp-port", o.tcpPort],
    ["--p2p-udp-port", o.udpPort],
    ["--metrics-port", o.metricsPort],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InputError(`${name} must be a port number (1–65535)`, { field: name });
  }
  if (!/^wss?:\/\//.test(o.eth1Url)) {
    throw new InputError("The SSV node needs the execution client's WebSocket URL (ws://…)", {
      field: "--execution-url",
      metaMessages: [`For a Docker Smartnode: ${SMARTNODE_EL_WS_URL}.`],
    });
  }
  const key = await generateSsvOperatorKey(password, { pbkdf2C: o.pbkdf2C });
  const guide = ssvGuide(o, out, key.publicKey);
  await writeDirAtomic(out, async (tmp) => {
    await writeSecretFile(
      join(tmp, "config.yaml"),
      ssvConfigYaml(o, {
        dbPath: "/ssv/db",
        keyFile: "/ssv/encrypted_private_key.json",
        passwordFile: "/ssv/password",
        logFile: "/ssv/debug.log",
      }),
    );
    await writeSecretFile(
      join(tmp, "config.native.yaml"),
      ssvConfigYaml(
        {
          ...o,
          beaconUrl: o.beaconUrl === SMARTNODE_BEACON_URL ? "http://127.0.0.1:5052" : o.beaconUrl,
          eth1Url: o.eth1Url === SMARTNODE_EL_WS_URL ? "ws://127.0.0.1:8546" : o.eth1Url,
        },
        {
          dbPath: `${o.nativeDir}/db`,
          keyFile: `${o.nativeDir}/encrypted_private_key.json`,
          passwordFile: `${o.nativeDir}/password`,
          logFile: `${o.nativeDir}/debug.log`,
        },
      ),
    );
    await writeSecretFile(join(tmp, "docker-compose.yml"), ssvComposeYaml(o));
    await writeSecretFile(join(tmp, "ssv-node.service"), ssvSystemdUnit(o));
    await writeSecretFile(join(tmp, "encrypted_private_key.json"), key.keystore);
    await writeSecretFile(join(tmp, "password"), password);
    await writeSecretFile(join(tmp, "operator_public_key.txt"), `${key.publicKey}\n`);
    await writeSecretFile(join(tmp, "GUIDE.md"), guide);
  });
  return { publicKey: key.publicKey, guide };
}
