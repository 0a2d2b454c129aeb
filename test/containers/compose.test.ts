import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import type { TestContext } from "node:test";
import { composeCommand, describeResult, dockerOrSkip, ensureImage, onProcessExit, repoRoot, requireDocker, run, runOk, waitFor } from "../chaos/cluster/docker.js";
import type { RunResult } from "../chaos/cluster/docker.js";
import { freePorts } from "../integration/cluster.js";
import type { CtlResult } from "../integration/etcdctl.js";
import { describeRun, etcdctl, haveEtcdctl, requireEtcdctl } from "../integration/etcdctl.js";

// The repository's docker-compose.yml, brought up as a user would (`docker compose up -d`, or
// Debian's docker-compose), under a project name of its own and with free host ports, and
// used from the host with the real etcdctl.
describe("docker-compose.yml: three raftplane kv members", { timeout: 10 * 60_000 }, () => {
  const project = `rpcompose${process.pid}${randomBytes(2).toString("hex")}`;
  const services = ["kv1", "kv2", "kv3"] as const;
  let compose: readonly string[] | undefined;
  let ports: number[] = [];
  let up = false;

  const env = (): Record<string, string> => ({
    RAFTPLANE_KV1_PORT: String(ports[0]),
    RAFTPLANE_KV2_PORT: String(ports[1]),
    RAFTPLANE_KV3_PORT: String(ports[2]),
    RAFTPLANE_CLUSTER_TOKEN: project,
  });

  function composeRun(args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
    const [cmd, ...pre] = compose as readonly string[];
    return run(cmd as string, [...pre, "-f", `${repoRoot}docker-compose.yml`, "-p", project, ...args], { env: env(), timeoutMs });
  }

  const endpoint = (i: number): string => `127.0.0.1:${ports[i]}`;
  const allEndpoints = (): string => ports.map((p) => `127.0.0.1:${p}`).join(",");
  const ctl = (args: readonly string[], endpoints = allEndpoints()): Promise<CtlResult> => etcdctl(args, { endpoints, timeoutMs: 30_000 });
  async function ctlOk(args: readonly string[], endpoints = allEndpoints()): Promise<string> {
    const r = await ctl(args, endpoints);
    if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")} failed: ${describeRun(r)}`);
    return r.stdout;
  }

  async function containerId(service: string): Promise<string> {
    const r = await composeRun(["ps", "-q", service], 30_000);
    const id = r.stdout.trim();
    if (r.code !== 0 || id === "") throw new Error(`no container for ${service}: ${describeResult(r)}`);
    return id;
  }

  async function printLogs(reason: string): Promise<void> {
    const r = await composeRun(["logs", "--no-color", "--tail", "40"], 30_000);
    process.stderr.write(`[compose] ${reason}; project ${project}\n${r.stdout}${r.stderr}\n`);
  }

  // Whatever happens, the project's containers, network and volumes go.
  const down = (): void => {
    if (!compose || !up) return;
    const [cmd, ...pre] = compose;
    spawnSync(cmd as string, [...pre, "-f", `${repoRoot}docker-compose.yml`, "-p", project, "down", "-v", "--remove-orphans", "-t", "2"], {
      env: { ...process.env, ...env() },
      stdio: "ignore",
      timeout: 120_000,
    });
    up = false;
  };
  onProcessExit(down);

  before(
    async () => {
      if (!(await dockerOrSkip()) || !haveEtcdctl()) return;
      compose = await composeCommand();
      if (!compose) throw new Error("neither `docker compose` nor `docker-compose` works: apt-get install docker-compose");
      await ensureImage();
      ports = await freePorts(3);
      up = true;
      const started = Date.now();
      const r = await composeRun(["up", "-d"], 300_000);
      if (r.code !== 0) throw new Error(`${compose.join(" ")} up -d failed: ${describeResult(r)}`);
      await waitFor(
        "all three members healthy and published in the member list",
        async () => {
          if ((await ctl(["endpoint", "health"])).code !== 0) return undefined;
          const list = await ctl(["member", "list", "-w", "json"]);
          if (list.code !== 0) return undefined;
          const members = (JSON.parse(list.stdout) as { members: { clientURLs?: string[] }[] }).members;
          return members.length === 3 && members.every((m) => (m.clientURLs ?? []).length > 0) ? true : undefined;
        },
        90_000,
        500,
      ).catch(async (err: unknown) => {
        await printLogs("the cluster did not come up");
        throw err;
      });
      process.stderr.write(`[compose] ${compose.join(" ")} up: healthy after ${Date.now() - started} ms\n`);
    },
    { timeout: 10 * 60_000 },
  );
  afterEach(async (t) => {
    const passed = (t as { readonly passed?: boolean }).passed;
    if (up && passed !== true) await printLogs(`test "${t.name}" did not pass`);
  });
  after(down);

  async function ready(t: TestContext): Promise<boolean> {
    if (!(await requireDocker(t)) || !requireEtcdctl(t)) return false;
    if (!up) throw new Error("the compose project was not started");
    return true;
  }

  test("etcdctl on the host: put, get through every member, member list", async (t) => {
    if (!(await ready(t))) return;
    assert.match(await ctlOk(["put", "/compose/greeting", "hello"]), /^OK/);
    for (let i = 0; i < 3; i++) assert.equal((await ctlOk(["get", "/compose/greeting", "--print-value-only"], endpoint(i))).trim(), "hello");
    const list = JSON.parse(await ctlOk(["member", "list", "-w", "json"])) as { members: { name: string; peerURLs: string[]; clientURLs: string[] }[] };
    const byName = new Map(list.members.map((m) => [m.name, m]));
    assert.deepEqual([...byName.keys()].sort(), ["kv1", "kv2", "kv3"]);
    services.forEach((s, i) => {
      assert.deepEqual(byName.get(s)?.peerURLs, [`http://${s}:2380`]);
      assert.deepEqual(byName.get(s)?.clientURLs, [`http://127.0.0.1:${ports[i]}`], "client URLs are the host's published ones");
    });
  });

  test("endpoint status --cluster from the host: three members, one leader, same raft term", async (t) => {
    if (!(await ready(t))) return;
    const out = await ctlOk(["endpoint", "status", "--cluster", "-w", "json"], endpoint(0));
    const status = JSON.parse(out) as { Endpoint: string; Status: { header: { member_id: number }; leader: number; raft_term: number } }[];
    assert.equal(status.length, 3);
    assert.deepEqual(status.map((s) => s.Endpoint).sort(), ports.map((p) => `http://127.0.0.1:${p}`).sort());
    assert.equal(new Set(status.map((s) => s.Status.leader)).size, 1, "one leader");
    assert.ok(status.some((s) => s.Status.header.member_id === s.Status.leader), "the leader is one of them");
  });

  test("the image's health checks turn healthy", async (t) => {
    if (!(await ready(t))) return;
    for (const s of services) {
      const id = await containerId(s);
      await waitFor(`${s} to be healthy`, async () => {
        const state = (await runOk("docker", ["inspect", "-f", "{{.State.Health.Status}}", id])).trim();
        return state === "healthy" ? state : undefined;
      }, 60_000, 1000);
    }
  });

  test("kill -9 of one container: the other two keep serving; started again it has its data", async (t) => {
    if (!(await ready(t))) return;
    await ctlOk(["put", "/compose/before-kill", "1"]);
    const victim = await containerId("kv1");
    await runOk("docker", ["kill", "--signal", "KILL", victim]);
    const survivors = `${endpoint(1)},${endpoint(2)}`;
    await waitFor("writes through the survivors", async () => ((await ctl(["put", "/compose/after-kill", "2"], survivors)).code === 0 ? true : undefined), 30_000, 500);
    assert.equal((await ctlOk(["get", "/compose/before-kill", "--print-value-only"], survivors)).trim(), "1");
    const r = await composeRun(["start", "kv1"]);
    assert.equal(r.code, 0, describeResult(r));
    const value = await waitFor(
      "kv1 back, with the write made while it was down",
      async () => {
        const g = await ctl(["get", "/compose/after-kill", "--print-value-only"], endpoint(0));
        return g.code === 0 && g.stdout.trim() === "2" ? g.stdout.trim() : undefined;
      },
      60_000,
      500,
    );
    assert.equal(value, "2");
    await waitFor("the same HashKV on all three", async () => {
      const hashes = JSON.parse(await ctlOk(["endpoint", "hashkv", "-w", "json"])) as { HashKV: { header: { revision: number }; hash: number } }[];
      const same = hashes.length === 3 && new Set(hashes.map((h) => `${h.HashKV.header.revision}/${h.HashKV.hash}`)).size === 1;
      return same ? true : undefined;
    });
  });
});
