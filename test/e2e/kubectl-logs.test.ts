/**
 * `kubectl logs` against a 3-replica `raftplane server` cluster. A small HTTP server in this
 * process plays the node agent (the kubelet's /containerLogs API, on 127.0.0.1: a peer of the
 * API server, not the product); a Node object points at it through status.addresses and
 * status.daemonEndpoints. Objects are written through s1 and s2, logs read through s3: the API
 * server looks up the pod and its node, and streams the agent's answer back.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import { ServerCluster, freePorts, sleep, tempDir } from "./cluster.js";
import { describeRun, kubectlOn, kubectlSkip } from "./kubectl.js";

const skip = kubectlSkip();

/** The node agent's side: a few lines per container, the kubelet's options honoured, a follow held open. */
class FakeKubelet {
  readonly requests: string[] = [];
  private server: Server | undefined;
  private follower: ServerResponse | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.serve(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(req.url ?? "");
    const url = new URL(req.url ?? "/", "http://kubelet");
    const [, what, ns, pod, container] = url.pathname.split("/");
    if (what !== "containerLogs" || ns === undefined || pod === undefined || container === undefined) {
      res.writeHead(404).end("404 page not found\n");
      return;
    }
    if (pod === "starting") {
      res.writeHead(400, { "content-type": "text/plain" }).end(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" });
    if (url.searchParams.get("follow") === "true") {
      res.write(`${container} follows\n`);
      this.follower = res;
      return;
    }
    let lines = [1, 2, 3, 4, 5].map((i) => `${pod}/${container} line ${i}`);
    const tail = url.searchParams.get("tailLines");
    if (tail !== null) lines = lines.slice(-Number(tail));
    if (url.searchParams.get("timestamps") === "true") lines = lines.map((l, i) => `2024-05-01T10:00:0${i}.000000000Z ${l}`);
    res.end(lines.map((l) => `${l}\n`).join(""));
  }

  /** Write to the follower and end its log. */
  finishFollow(text: string): boolean {
    const f = this.follower;
    if (f === undefined) return false;
    f.end(text);
    this.follower = undefined;
    return true;
  }

  async stop(): Promise<void> {
    this.follower?.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const node = (name: string, port: number): string => `
apiVersion: v1
kind: Node
metadata: {name: ${name}}
status:
  addresses: [{type: Hostname, address: ${name}}, {type: InternalIP, address: 127.0.0.1}]
  daemonEndpoints: {kubeletEndpoint: {Port: ${port}}}
`;

const pod = (name: string, nodeName: string | undefined, containers: string[]): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  ${nodeName === undefined ? "" : `nodeName: ${nodeName}`}
  containers: [${containers.map((c) => `{name: ${c}, image: "busybox:1.36"}`).join(", ")}]
`;

describe("kubectl logs against a 3-replica cluster", { skip }, () => {
  let cluster: ServerCluster;
  let home: string;
  let agent: FakeKubelet;
  let deadPort: number;

  before(async () => {
    home = tempDir("raftplane-e2e-home-");
    agent = new FakeKubelet();
    await agent.start();
    cluster = await ServerCluster.start({ size: 3 });
    // after the replicas took theirs: nothing listens here
    [deadPort] = (await freePorts(1)) as [number];
  });

  after(async () => {
    await cluster?.destroy();
    await agent?.stop();
  });

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) cluster.printLogTails(`test "${t.name}" failed`);
  });

  const { run, k } = kubectlOn(() => ({ cluster, home }));

  /** kubectl through s3 that must fail; returns its stderr. */
  const fails = async (args: string[]): Promise<string> => {
    const r = await run("s3", args);
    assert.notEqual(r.code, 0, describeRun(args, r));
    return r.stderr;
  };

  test("nodes and pods are created through s1 and s2", async () => {
    await k("s1", ["apply", "-f", "-"], `${node("n1", agent.port)}---${node("n-down", deadPort)}`);
    assert.equal(await k("s2", ["get", "node", "n1", "-o", "jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}"]), String(agent.port));
    const pods = [pod("web", "n1", ["app"]), pod("multi", "n1", ["app", "sidecar"]), pod("pending", undefined, ["app"]), pod("far", "ghost", ["app"]), pod("down", "n-down", ["app"]), pod("starting", "n1", ["app"])];
    await k("s2", ["apply", "-f", "-"], pods.join("---"));
  });

  test("logs of a pod's only container, with --tail, --timestamps, --since, --limit-bytes and --previous passed on", async () => {
    agent.requests.length = 0;
    assert.equal(await k("s3", ["logs", "web"]), ["1", "2", "3", "4", "5"].map((i) => `web/app line ${i}\n`).join(""));
    assert.equal(await k("s3", ["logs", "pod/web", "--tail=2", "--timestamps"]), "2024-05-01T10:00:00.000000000Z web/app line 4\n2024-05-01T10:00:01.000000000Z web/app line 5\n");
    await k("s3", ["logs", "web", "--since=10s", "--limit-bytes=100", "--previous"]);
    assert.deepEqual(agent.requests, [
      "/containerLogs/default/web/app",
      "/containerLogs/default/web/app?tailLines=2&timestamps=true",
      "/containerLogs/default/web/app?limitBytes=100&previous=true&sinceSeconds=10",
    ]);
  });

  test("several containers: -c chooses; kubectl defaults to the first; the API asks for a choice", async () => {
    agent.requests.length = 0;
    assert.equal(await k("s3", ["logs", "multi", "-c", "sidecar", "--tail=1"]), "multi/sidecar line 5\n");
    const defaulted = await run("s3", ["logs", "multi", "--tail=1"]);
    assert.equal(defaulted.code, 0, describeRun(["logs"], defaulted));
    assert.equal(defaulted.stdout, "multi/app line 5\n");
    assert.match(defaulted.stderr, /Defaulted container "app" out of: app, sidecar/);
    assert.deepEqual(agent.requests, ["/containerLogs/default/multi/sidecar?tailLines=1", "/containerLogs/default/multi/app?tailLines=1"]);
    assert.match(await fails(["get", "--raw", "/api/v1/namespaces/default/pods/multi/log"]), /Error from server \(BadRequest\): a container name must be specified for pod multi, choose one of: \[app sidecar\]/);
    // kubectl checks -c itself; the API server says the same
    assert.match(await fails(["logs", "multi", "-c", "nope"]), /container nope is not valid for pod multi/);
    assert.match(await fails(["get", "--raw", "/api/v1/namespaces/default/pods/multi/log?container=nope"]), /Error from server \(BadRequest\): container nope is not valid for pod multi/);
  });

  test("logs -f streams as the node agent writes", async () => {
    const child = spawn("kubectl", ["logs", "-f", "web"], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig("s3"), HOME: home } });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!out.includes("app follows\n") && Date.now() < deadline) await sleep(20);
      // the first line arrived while the node agent's answer is still open
      assert.equal(out, "app follows\n", err);
      assert.ok(agent.finishFollow("and ends\n"), "the node agent has a follower");
      assert.equal(await exited, 0, err);
      assert.equal(out, "app follows\nand ends\n");
      assert.equal(agent.requests.at(-1), "/containerLogs/default/web/app?follow=true");
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("errors: unknown pod and node, the node agent's own answer, an unreachable node agent; no node yet is an empty log", async () => {
    assert.equal(await k("s3", ["logs", "pending"]), "", "a pod no node has taken has an empty log, as in kube");
    assert.match(await fails(["logs", "nope"]), /\(NotFound\): pods "nope" not found/);
    assert.match(await fails(["get", "--raw", "/api/v1/namespaces/default/pods/nope/log"]), /Error from server \(NotFound\): pods "nope" not found/);
    assert.match(await fails(["logs", "far"]), /Error from server \(NotFound\): nodes "ghost" not found/);
    assert.match(await fails(["logs", "starting"]), /Error from server \(BadRequest\): container "app" in pod "starting" is waiting to start: ContainerCreating/);
    const started = Date.now();
    const down = await fails(["logs", "down"]);
    assert.ok(down.includes(`Error from server: Get "http://127.0.0.1:${deadPort}/containerLogs/default/down/app": dial tcp 127.0.0.1:${deadPort}: connect: connection refused`), down);
    assert.ok(Date.now() - started < 5000, "promptly");
  });
});
