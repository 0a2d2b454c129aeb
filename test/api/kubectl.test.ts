/**
 * The real kubectl (1.32) against a stub server that serves this package's discovery, OpenAPI
 * and table documents: `explain` reads the descriptions, `apply` computes its strategic merge
 * patch from the published metadata and asks for server-side field validation, `get` prints our
 * tables. Skipped when kubectl is not installed.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { apiGroupList, apiResourceList, apiVersions, buildTable, openApiV3DocumentJson, openApiV3Paths } from "../../internal/api/index.js";

function kubectlVersion(): string | undefined {
  try {
    const out = execFileSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8", timeout: 10_000 });
    return (JSON.parse(out) as { clientVersion?: { minor?: string } }).clientVersion?.minor;
  } catch {
    return undefined;
  }
}

const minor = kubectlVersion();
const skip = minor === undefined || Number.parseInt(minor, 10) < 27 ? "kubectl 1.27 or newer is not on PATH" : false;

interface Request {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

const requests: Request[] = [];
const now = new Date();

const lastApplied = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          { name: "web", image: "nginx:1.26", ports: [{ containerPort: 80 }], env: [{ name: "A", value: "1" }] },
          { name: "side", image: "busybox" },
        ],
      },
    },
  },
};
const stored = {
  ...lastApplied,
  metadata: {
    ...lastApplied.metadata,
    resourceVersion: "5",
    uid: "6f1c",
    creationTimestamp: new Date(now.getTime() - 600_000).toISOString(),
    annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(lastApplied) },
  },
};
const pod = {
  metadata: { name: "web-abcde", namespace: "default", creationTimestamp: new Date(now.getTime() - 65_000).toISOString() },
  spec: { containers: [{ name: "web", image: "nginx" }] },
  status: { phase: "Running", containerStatuses: [{ name: "web", ready: true, restartCount: 0, image: "nginx", imageID: "", state: { running: {} } }] },
};

function handle(req: IncomingMessage, body: string, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  requests.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body });
  const send = (code: number, value: unknown): void => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(typeof value === "string" ? value : JSON.stringify(value));
  };
  const path = url.pathname;
  if (path === "/version") return send(200, { major: "1", minor: "32", gitVersion: "v1.32.0" });
  if (path === "/api") return send(200, apiVersions("127.0.0.1"));
  if (path === "/apis") return send(200, apiGroupList());
  if (path === "/api/v1") return send(200, apiResourceList("v1"));
  const groupVersion = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
  if (groupVersion !== null) {
    const list = apiResourceList(groupVersion[1] ?? "");
    return list === undefined ? send(404, {}) : send(200, list);
  }
  if (path === "/openapi/v3") return send(200, openApiV3Paths());
  if (path.startsWith("/openapi/v3/")) {
    const doc = openApiV3DocumentJson(path.slice("/openapi/v3/".length));
    return doc === undefined ? send(404, {}) : send(200, doc.json);
  }
  if (path === "/apis/apps/v1/namespaces/default/deployments/web") return send(200, stored);
  if (path === "/api/v1/namespaces/default/pods" && (req.headers.accept ?? "").includes("as=Table")) {
    return send(200, buildTable("Pod", [pod], now, "7"));
  }
  return send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: "not found" });
}

let server: Server;
let dir: string;

before(async () => {
  if (skip !== false) return;
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => handle(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  dir = mkdtempSync(join(tmpdir(), "raftplane-api-kubectl-"));
  writeFileSync(
    join(dir, "kubeconfig"),
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: stub, cluster: {server: 'http://127.0.0.1:" + String(port) + "'}}]",
      "contexts: [{name: stub, context: {cluster: stub, user: stub, namespace: default}}]",
      "current-context: stub",
      "users: [{name: stub, user: {}}]",
      "",
    ].join("\n"),
  );
});

after(() => {
  if (skip !== false) return;
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      args,
      { env: { ...process.env, KUBECONFIG: join(dir, "kubeconfig"), HOME: dir }, timeout: 30_000 },
      (error, stdout, stderr) => (error === null ? resolve({ stdout, stderr }) : reject(new Error(`${error.message}\n${stderr}`))),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

test("kubectl explain prints the documents' descriptions", { skip }, async () => {
  const { stdout } = await kubectl(["explain", "deployment.spec.template.spec.containers.ports"]);
  assert.match(stdout, /KIND:\s+Deployment/);
  assert.match(stdout, /FIELD: ports <\[\]ContainerPort>/);
  assert.match(stdout, /containerPort\s+<integer> -required-/);
  assert.match(stdout, /Port number on the pod's IP address/);
  const svc = await kubectl(["explain", "svc.spec.ports.targetPort"]);
  assert.match(svc.stdout, /FIELD: targetPort <IntOrString>/);
});

test("kubectl api-resources lists the registry", { skip }, async () => {
  const { stdout } = await kubectl(["api-resources", "--no-headers"]);
  const lines = stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
  const row = (name: string): string[] | undefined => lines.find((l) => l[0] === name);
  assert.deepEqual(row("deployments"), ["deployments", "deploy", "apps/v1", "true", "Deployment"]);
  assert.deepEqual(row("nodes"), ["nodes", "no", "v1", "false", "Node"]);
  assert.equal(lines.length, 16);
});

test("kubectl apply computes a strategic merge patch from the published metadata and asks for strict validation", { skip }, async () => {
  requests.length = 0;
  const manifest = JSON.stringify({
    ...lastApplied,
    spec: {
      ...lastApplied.spec,
      template: {
        ...lastApplied.spec.template,
        spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }], env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] }] },
      },
    },
  });
  const { stderr } = await kubectl(["apply", "-f", "-"], manifest);
  assert.doesNotMatch(stderr, /warning/i);
  const patch = requests.find((r) => r.method === "PATCH");
  assert.ok(patch, "kubectl sent a PATCH");
  assert.equal(patch.contentType, "application/strategic-merge-patch+json");
  assert.match(patch.url, /[?&]fieldValidation=Strict(&|$)/);
  assert.ok(requests.some((r) => r.url.startsWith("/openapi/v3/apis/apps/v1?hash=")), "kubectl read the apps/v1 document");
  const body = JSON.parse(patch.body) as { spec: { template: { spec: Record<string, unknown> } } };
  const spec = body.spec.template.spec;
  assert.deepEqual(spec["$setElementOrder/containers"], [{ name: "web" }]);
  assert.deepEqual(spec["containers"], [
    { "$setElementOrder/env": [{ name: "A" }, { name: "B" }], env: [{ name: "B", value: "2" }], image: "nginx:1.27", name: "web" },
    { $patch: "delete", name: "side" },
  ]);
});

test("kubectl get prints the server's table", { skip }, async () => {
  const { stdout } = await kubectl(["get", "pods"]);
  const [header, row] = stdout.trim().split("\n");
  assert.deepEqual(header?.split(/\s+/), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
  assert.deepEqual(row?.split(/\s+/), ["web-abcde", "1/1", "Running", "0", "65s"]);
});
