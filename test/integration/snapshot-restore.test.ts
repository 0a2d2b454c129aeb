import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { freePorts } from "./cluster.js";
import { describeRun, etcdctl, requireEtcdctl } from "./etcdctl.js";
import { useCluster, waitFor } from "./helpers.js";

const binary = fileURLToPath(new URL("../../cmd/raftplane.js", import.meta.url));

function raftplane(args: readonly string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [binary, ...args], { encoding: "utf8", timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("etcdctl snapshot save, then raftplane ctl snapshot restore into a new cluster", () => {
  const cluster = useCluster();

  test("the restored member serves the saved keys and revision, with the new membership", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    for (let i = 0; i < 5; i++) await c.ctlOk(["put", `/restore/k${i}`, `v${i}`]);
    const file = join(c.dir, "backup.db");
    const saved = await c.ctl(["snapshot", "save", file], { members: ["m1"] });
    assert.equal(saved.code, 0, describeRun(saved));
    const savedRev = (JSON.parse(await c.ctlOk(["get", "/restore/k4", "-w", "json"])) as { header: { revision: number } }).header.revision;

    const [client, peer] = await freePorts(2);
    const dataDir = join(c.dir, "restored");
    const peerUrl = `http://127.0.0.1:${peer}`;
    const clientUrl = `http://127.0.0.1:${client}`;
    const restore = raftplane(["ctl", "snapshot", "restore", file, "--name", "r1", "--data-dir", dataDir,
      "--initial-cluster", `r1=${peerUrl}`, "--initial-advertise-peer-urls", peerUrl]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /restored snapshot .* into .*restored: member [0-9a-f]{16} of cluster [0-9a-f]{16}/);

    const member = spawn(process.execPath, [binary, "kv", "--name", "r1", "--data-dir", dataDir,
      "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
      "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
      "--initial-cluster", `r1=${peerUrl}`, "--log-level", "error"], { stdio: "ignore" });
    try {
      const endpoints = clientUrl;
      const got = await waitFor("the restored member to serve", async () => {
        const r = await etcdctl(["get", "--prefix", "/restore/", "-w", "json"], { endpoints, timeoutMs: 5000 });
        return r.code === 0 ? r : undefined;
      });
      const res = JSON.parse(got.stdout) as { header: { revision: number }; kvs: { key: string; value: string }[] };
      assert.deepEqual(res.kvs.map((kv) => Buffer.from(kv.value, "base64").toString()), ["v0", "v1", "v2", "v3", "v4"]);
      assert.ok(res.header.revision >= savedRev, `revision ${res.header.revision} carries on from ${savedRev}`);
      const members = await etcdctl(["member", "list"], { endpoints });
      assert.equal(members.code, 0, describeRun(members));
      assert.equal(members.stdout.trim().split("\n").length, 1, "only the new cluster's member");
      assert.match(members.stdout, /, started, r1, /);
      const put = await etcdctl(["put", "/restore/after", "x"], { endpoints });
      assert.equal(put.code, 0, describeRun(put));
    } finally {
      member.kill("SIGKILL");
    }
  });

  test("a damaged file, a used data dir and a missing name are refused with a clear message", async (t) => {
    if (!requireEtcdctl(t)) return;
    const c = cluster();
    const file = join(c.dir, "damaged.db");
    const good = join(c.dir, "good.db");
    const saved = await c.ctl(["snapshot", "save", good], { members: ["m2"] });
    assert.equal(saved.code, 0, describeRun(saved));
    const bytes = readFileSync(good);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const cluster1 = ["--initial-cluster", "x=http://127.0.0.1:1", "--initial-advertise-peer-urls", "http://127.0.0.1:1"];
    const damaged = raftplane(["ctl", "snapshot", "restore", file, "--name", "x", "--data-dir", join(c.dir, "d1"), ...cluster1]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /SHA-256 mismatch/);
    assert.ok(!existsSync(join(c.dir, "d1")), "nothing written for a damaged file");
    const used = raftplane(["ctl", "snapshot", "restore", good, "--name", "x", "--data-dir", c.dir, ...cluster1]);
    assert.equal(used.code, 1);
    assert.match(used.stderr, /exists/);
    const stranger = raftplane(["ctl", "snapshot", "restore", good, "--name", "y", "--data-dir", join(c.dir, "d2"), ...cluster1]);
    assert.equal(stranger.code, 2);
    assert.match(stranger.stderr, /couldn't find local name "y"/);
  });
});
