/**
 * The official Kubernetes Python client (Debian's python3-kubernetes, run by /usr/bin/python3)
 * against a 3-replica `raftplane server` cluster: test/e2e/python/list_watch_pods.py lists the
 * pods of a namespace through one replica, creates one, reads a missing one (404 NotFound), and
 * watches from the list's resourceVersion, while this side creates, patches and deletes pods
 * through the other replicas. The script reports what it saw as JSON lines.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, describe, test } from "node:test";
import { ServerCluster, sleep } from "./cluster.js";

const python = "/usr/bin/python3";
/** dist/test/e2e/python.test.js → test/e2e/python/list_watch_pods.py in the repository. */
const script = fileURLToPath(new URL("../../../test/e2e/python/list_watch_pods.py", import.meta.url));

/** The environment for Debian's python: nothing from a pyenv or virtualenv on the way. */
function pythonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const v of ["PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYENV_VERSION"]) delete env[v];
  return env;
}

const installHint = "Debian's python3-kubernetes is not installed for /usr/bin/python3 (apt-get install -y python3-kubernetes)";

/** false when the client can be used; otherwise the reason to skip. Under CI=true a missing client throws. */
function pythonSkip(): string | false {
  try {
    execFileSync(python, ["-c", "import kubernetes"], { stdio: "ignore", timeout: 20_000, env: pythonEnv() });
    return false;
  } catch {
    if (process.env["CI"] === "true") throw new Error(`${installHint} (CI=true: the e2e tests must run)`);
    return `${installHint}: skipping the Python client e2e test`;
  }
}

const skip = pythonSkip();

interface Line {
  step: string;
  type?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  names?: string[];
  labels?: Record<string, string>;
  status?: number;
  reason?: string;
  message?: string;
  events?: number;
}

interface ObjectMeta {
  metadata: { name: string; uid: string; resourceVersion: string };
}

const podBody = (name: string): unknown => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name },
  spec: { containers: [{ name: "app", image: "busybox:1.36", command: ["sleep", "3600"] }] },
});

describe("the Kubernetes Python client against a 3-replica cluster", { skip }, () => {
  let cluster: ServerCluster;

  before(async () => {
    cluster = await ServerCluster.start({ size: 3 });
  });

  after(async () => {
    await cluster?.destroy();
  });

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) cluster.printLogTails(`test "${t.name}" failed`);
  });

  /** One request to a replica's API; fails the test unless the answer is `expect`. */
  const call = async (replica: string, method: string, path: string, body?: unknown, contentType = "application/json", expect = [200, 201]): Promise<ObjectMeta> => {
    const res = await fetch(`${cluster.replica(replica).apiUrl}${path}`, {
      method,
      headers: { "content-type": contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    assert.ok(expect.includes(res.status), `${method} ${path} through ${replica}: ${res.status} ${text}`);
    return JSON.parse(text) as ObjectMeta;
  };

  test("list, create, a 404, and a watch from the list's resourceVersion seeing changes made through other replicas", async () => {
    const ns = "py";
    const pods = `/api/v1/namespaces/${ns}/pods`;
    await call("s1", "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await call("s1", "POST", pods, podBody("before"));
    // the writes go through s1 and s3; the client reads through s2
    const child = spawn(python, [script, "--kubeconfig", cluster.kubeconfig("s2"), "--namespace", ns, "--create", "py-made", "--until-deleted", "py-made", "--timeout", "20"], {
      env: pythonEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Line[] = [];
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      partial += s;
      const complete = partial.split("\n");
      partial = complete.pop() ?? "";
      for (const l of complete) if (l.trim() !== "") lines.push(JSON.parse(l) as Line);
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const report = (): string => `python said:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n--- stderr\n${stderr}`;
    const waitFor = async (step: string): Promise<Line> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = lines.find((l) => l.step === step);
        if (found !== undefined) return found;
        if (child.exitCode !== null || Date.now() > deadline) assert.fail(`no "${step}" line: ${report()}`);
        await sleep(20);
      }
    };
    try {
      const listed = await waitFor("list");
      assert.deepEqual(listed.names, ["before"]);
      const listRv = Number(listed.resourceVersion);
      const created = await waitFor("created");
      assert.equal(created.name, "py-made");
      assert.ok(Number(created.resourceVersion) > listRv);
      const notFound = await waitFor("not-found");
      assert.deepEqual([notFound.status, notFound.reason, notFound.message], [404, "NotFound", 'pods "no-such-pod" not found']);
      await waitFor("watching");

      // what the watch is to see, with the resourceVersions the writes answered
      const wrote: [string, string, string][] = [["ADDED", "py-made", created.resourceVersion as string]];
      const alpha = await call("s1", "POST", pods, podBody("alpha"));
      wrote.push(["ADDED", "alpha", alpha.metadata.resourceVersion]);
      const merge = "application/merge-patch+json";
      const patched = await call("s1", "PATCH", `${pods}/alpha`, { metadata: { labels: { stage: "patched" } } }, merge);
      wrote.push(["MODIFIED", "alpha", patched.metadata.resourceVersion]);
      const patchedMade = await call("s3", "PATCH", `${pods}/py-made`, { metadata: { labels: { stage: "patched" } } }, merge);
      wrote.push(["MODIFIED", "py-made", patchedMade.metadata.resourceVersion]);
      await call("s1", "DELETE", `${pods}/alpha`);
      await call("s3", "DELETE", `${pods}/py-made`);

      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<string>((resolve) => (timer = setTimeout(() => resolve("a timeout"), 25_000)))]);
      clearTimeout(timer);
      assert.equal(code, 0, `the script ended with ${String(code)}: ${report()}`);
      const done = await waitFor("done");
      const events = lines.filter((l) => l.step === "event");
      assert.equal(done.events, events.length);
      assert.deepEqual(
        events.map((e) => `${e.type as string} ${e.name as string}`),
        ["ADDED py-made", "ADDED alpha", "MODIFIED alpha", "MODIFIED py-made", "DELETED alpha", "DELETED py-made"],
        report(),
      );
      // each event carries the resourceVersion of the write that made it, in increasing order
      const rvs = events.map((e) => Number(e.resourceVersion));
      assert.ok(rvs.every((rv, i) => rv > (i === 0 ? listRv : (rvs[i - 1] as number))), `resourceVersions increase: ${rvs.join(", ")}`);
      assert.deepEqual(
        events.slice(0, 4).map((e) => [e.type, e.name, e.resourceVersion]),
        wrote,
      );
      assert.equal(events[0]?.uid, created.uid);
      assert.deepEqual(events[2]?.labels, { stage: "patched" });
      assert.deepEqual(events[3]?.labels, { "made-by": "python", stage: "patched" });
      // the deletions reached every replica
      for (const r of ["s1", "s2", "s3"]) await call(r, "GET", `${pods}/py-made`, undefined, "application/json", [404]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
