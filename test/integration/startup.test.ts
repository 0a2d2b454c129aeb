import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { freePorts } from "./cluster.js";
import { useCluster } from "./helpers.js";

const binary = fileURLToPath(new URL("../../cmd/raftplane.js", import.meta.url));

/** Run `raftplane kv` to its end (killed after timeoutMs); its exit code and output. */
function runKv(args: readonly string[], timeoutMs = 15_000): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binary, "kv", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (output += s));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

function memberFlags(dir: string, name: string, client: number, peer: number, cluster: string, state: string): string[] {
  return [
    "--name", name, "--data-dir", join(dir, name),
    "--listen-client-urls", `http://127.0.0.1:${client}`, "--advertise-client-urls", `http://127.0.0.1:${client}`,
    "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
    "--initial-cluster", cluster, "--initial-cluster-state", state,
  ];
}

describe("a member that cannot start exits with an error, as etcd does", () => {
  const cluster = useCluster({}, false);

  test("its client port is taken", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "raftplane-it-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const [client, peer] = (await freePorts(2)) as [number, number];
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(client, "127.0.0.1", resolve));
    try {
      const r = await runKv(memberFlags(dir, "solo", client, peer, `solo=http://127.0.0.1:${peer}`, "new"));
      assert.equal(r.timedOut, false, `still running with no client port:\n${r.output}`);
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /raftplane kv: cannot start: .*EADDRINUSE/);
    } finally {
      holder.close();
    }
  });

  test("it joins with --initial-cluster-state existing without etcdctl member add", async (t) => {
    const c = cluster();
    const dir = mkdtempSync(join(tmpdir(), "raftplane-it-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const [client, peer] = (await freePorts(2)) as [number, number];
    const initial = [...c.members.map((m) => `${m.name}=${m.peerUrl}`), `stranger=http://127.0.0.1:${peer}`].join(",");
    const r = await runKv(memberFlags(dir, "stranger", client, peer, initial, "existing"));
    assert.equal(r.timedOut, false, r.output);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /is not in the cluster's member list; add it first with `etcdctl member add stranger/);
    assert.equal((await c.grpc("m1").memberList()).length, 3, "the cluster is unchanged");
  });
});
