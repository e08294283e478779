/**
 * `rpdvt setup`: the SSV node config has the field names of ssvlabs/ssv config.example.yaml, the
 * operator key is an RSA-2048 PEM encrypted as ssv-dkg does (readable by our ssv-dkg key loader,
 * like shared/vectors/ssv/dkg-operators/op1.json), the compose file joins rocketpool_net; the
 * rpdvt node service runs `rpdvt node run` with the given paths. Everything 0600, atomic.
 */
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { decryptCrypto } from "../../../src/crypto/eip2335.js";
import { encodeOperatorPublicKey } from "../../../src/crypto/rsa.js";
import { loadOperatorPrivateKeys } from "../../../src/keysplit/ssv-operators.js";
import { RPDVT_NODE_DEFAULTS, writeRpdvtNodeSetup } from "../../../src/ops/setup/rpdvt-node.js";
import {
  generateSsvOperatorKey,
  SMARTNODE_BEACON_URL,
  SMARTNODE_DOCKER_NETWORK,
  SMARTNODE_EL_HTTP_URL,
  SMARTNODE_EL_WS_URL,
  SSV_DEFAULTS,
  SSV_NETWORKS,
  ssvComposeYaml,
  ssvConfigYaml,
  writeSsvNodeSetup,
} from "../../../src/ops/setup/ssv.js";
import { makeTempDir } from "../../helpers.js";

describe("ops: setup", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir("ops-setup");
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  it("ssv-node: config, encrypted operator key, compose on rocketpool_net, systemd unit, guide", async () => {
    const out = join(dir, "ssv");
    const { publicKey, guide } = await writeSsvNodeSetup(
      out,
      { ...SSV_DEFAULTS, network: "hoodi", pbkdf2C: 2 ** 10 },
      "pw-123",
    );
    const cfg = parse(await fsp.readFile(join(out, "config.yaml"), "utf8"));
    assert.equal(cfg.eth2.BeaconNodeAddr, "http://eth2:5052");
    assert.equal(cfg.eth1.ETH1Addr, "ws://eth1:8546");
    assert.equal(cfg.ssv.Network, "hoodi");
    assert.equal(cfg.db.Path, "/ssv/db");
    assert.deepEqual([cfg.p2p.TcpPort, cfg.p2p.UdpPort], [13001, 12001]);
    assert.deepEqual(cfg.KeyStore, {
      PrivateKeyFile: "/ssv/encrypted_private_key.json",
      PasswordFile: "/ssv/password",
    });
    const native = parse(await fsp.readFile(join(out, "config.native.yaml"), "utf8"));
    assert.equal(native.eth2.BeaconNodeAddr, "http://127.0.0.1:5052");
    const compose = parse(await fsp.readFile(join(out, "docker-compose.yml"), "utf8"));
    assert.deepEqual(compose.services["ssv-node"].networks, ["rocketpool_net"]);
    assert.equal(compose.networks.rocketpool_net.external, true);
    assert.match(
      await fsp.readFile(join(out, "ssv-node.service"), "utf8"),
      /ExecStart=\/usr\/local\/bin\/ssvnode start-node --config \/var\/lib\/ssv\/config.yaml/,
    );
    // The key decrypts with the same loader that reads ssv-dkg's op1.json, and its public key is
    // the one to register.
    const ks = JSON.parse(await fsp.readFile(join(out, "encrypted_private_key.json"), "utf8"));
    assert.deepEqual(Object.keys(ks).sort(), ["checksum", "cipher", "kdf", "pubKey"]);
    assert.equal(ks.kdf.function, "pbkdf2");
    const keyDir = join(dir, "keys");
    await fsp.mkdir(keyDir);
    await fsp.copyFile(join(out, "encrypted_private_key.json"), join(keyDir, "op.json"));
    await fsp.copyFile(join(out, "password"), join(keyDir, "op.password"));
    const [loaded] = await loadOperatorPrivateKeys(keyDir);
    assert.equal(loaded?.key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(encodeOperatorPublicKey(loaded?.key as never), publicKey);
    assert.equal(ks.pubKey, publicKey);
    assert.equal(
      (await fsp.readFile(join(out, "operator_public_key.txt"), "utf8")).trim(),
      publicKey,
    );
    assert.match(guide, new RegExp(publicKey.slice(0, 40)));
    for (const f of await fsp.readdir(out))
      assert.equal(((await fsp.stat(join(out, f))).mode & 0o777).toString(8), "600", f);
    await assert.rejects(writeSsvNodeSetup(out, SSV_DEFAULTS), /already exists/);
    await assert.rejects(
      writeSsvNodeSetup(join(dir, "bad"), { ...SSV_DEFAULTS, eth1Url: "http://eth1:8545" }),
      /WebSocket/,
    );
    await assert.rejects(fsp.access(join(dir, "bad")));
  });

  it("ssv-node: pins what was confirmed against ssvlabs/ssv and rocket-pool/smartnode (see ssv.ts)", async () => {
    // Defaults: p2p 13001/12001 (defaults.golden.json), metrics 15000 (config.example.yaml),
    // image ssvlabs/ssv-node (Makefile docker-image), Smartnode services eth1:8546 / eth2:5052.
    assert.deepEqual(
      [SSV_DEFAULTS.tcpPort, SSV_DEFAULTS.udpPort, SSV_DEFAULTS.metricsPort],
      [13001, 12001, 15000],
    );
    assert.equal(SSV_DEFAULTS.image, "ssvlabs/ssv-node:latest");
    assert.deepEqual(
      [SMARTNODE_DOCKER_NETWORK, SMARTNODE_BEACON_URL, SMARTNODE_EL_WS_URL, SMARTNODE_EL_HTTP_URL],
      ["rocketpool_net", "http://eth2:5052", "ws://eth1:8546", "http://eth1:8545"],
    );
    assert.deepEqual([...SSV_NETWORKS], ["mainnet", "holesky", "hoodi"]);
    // Exactly the yaml keys of ssvlabs/ssv cli/operator/config.go (+ globalcfg, basedb, …).
    const cfg = parse(
      ssvConfigYaml(SSV_DEFAULTS, { dbPath: "d", keyFile: "k", passwordFile: "p", logFile: "l" }),
    );
    assert.deepEqual(Object.keys(cfg).sort(), [
      "KeyStore",
      "MetricsAPIPort",
      "db",
      "eth1",
      "eth2",
      "global",
      "p2p",
      "ssv",
    ]);
    assert.deepEqual(Object.keys(cfg.global).sort(), ["LogFilePath", "LogLevel"]);
    assert.deepEqual(Object.keys(cfg.KeyStore).sort(), ["PasswordFile", "PrivateKeyFile"]);
    assert.equal(cfg.OperatorPrivateKey, undefined); // exclusive with KeyStore in the node
    assert.equal(cfg.MetricsAPIPort, 15000);
    // The image's Makefile runs `${BUILD_PATH} start-node --config=${CONFIG_PATH}`.
    const svc = parse(ssvComposeYaml(SSV_DEFAULTS)).services["ssv-node"];
    assert.equal(svc.command, "make BUILD_PATH=/go/bin/ssvnode start-node");
    assert.deepEqual(svc.environment, ["CONFIG_PATH=/ssv/config.yaml"]);
    assert.deepEqual(svc.ports, [
      "13001:13001/tcp",
      "12001:12001/udp",
      "127.0.0.1:15000:15000/tcp",
    ]);
    // Operator key: pubKey = base64 of a PKIX PEM labelled "RSA PUBLIC KEY"; plaintext PKCS#1 PEM
    // (ssvsigner/keys/rsaencryption PublicKeyToPEM / PEMToPrivateKey).
    const k = await generateSsvOperatorKey("pw", { pbkdf2C: 2 ** 10 });
    const pem = Buffer.from(k.publicKey, "base64").toString("utf8");
    assert.match(pem, /^-----BEGIN RSA PUBLIC KEY-----\n/);
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    assert.equal(
      createPublicKey({ key: der, format: "der", type: "spki" }).asymmetricKeyDetails
        ?.modulusLength,
      2048,
    );
    const ks = JSON.parse(k.keystore);
    const plain = await decryptCrypto(ks, "pw");
    assert.match(new TextDecoder().decode(plain), /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(
      JSON.parse(await generateSsvOperatorKey("pw").then((x) => x.keystore)).kdf.params.c,
      2 ** 18,
    );
  });

  it("rpdvt-node: compose joins rocketpool_net and runs `rpdvt node run` with the paths; systemd unit too", async () => {
    const out = join(dir, "node");
    await writeRpdvtNodeSetup(out, {
      ...RPDVT_NODE_DEFAULTS,
      clusterDir: "/srv/cluster/operator-2",
      identityFile: "/srv/id.json",
      dataDir: "/var/lib/rpdvt",
    });
    const compose = parse(await fsp.readFile(join(out, "docker-compose.yml"), "utf8"));
    const svc = compose.services["rpdvt-node"];
    assert.deepEqual(svc.command.slice(0, 4), ["node", "bin/rpdvt.js", "node", "run"]);
    assert.ok(svc.command.includes("http://eth2:5052"));
    assert.ok(svc.volumes.includes("/srv/cluster/operator-2:/cluster:ro"));
    assert.ok(svc.volumes.includes("/var/lib/rpdvt:/data"));
    assert.equal(compose.networks.rocketpool_net.external, true);
    const unit = await fsp.readFile(join(out, "rpdvt-node.service"), "utf8");
    assert.match(
      unit,
      /node run --cluster \/srv\/cluster\/operator-2 --identity \/srv\/id.json --data-dir \/var\/lib\/rpdvt --beacon-url http:\/\/127.0.0.1:5052/,
    );
    assert.match(unit, /ReadWritePaths=\/var\/lib\/rpdvt/);
  });
});
