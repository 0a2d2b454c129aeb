/**
 * `kubectl edit` against a 3-replica `raftplane server` cluster, with KUBE_EDITOR set to small
 * shell scripts that change the file kubectl hands them (sed) and keep a copy of what they were
 * shown. kubectl edit GETs the object, runs the editor, and PATCHes the difference (strategic
 * merge); an error from the server reopens the editor with the error in the comments, and when
 * nothing more changes kubectl gives up, keeps the edited copy in $TMPDIR and exits 1.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { ServerCluster, tempDir } from "./cluster.js";
import type { KubectlResult } from "./kubectl.js";
import { describeRun, kubectl, kubectlSkip } from "./kubectl.js";

const skip = kubectlSkip();

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: one}
  annotations: {note: first}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.26"}
`;

interface Deployment {
  metadata: { generation: number; resourceVersion: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}

/** An editor for KUBE_EDITOR: counts its calls, keeps each file it was shown, then runs `action` on it. */
class Editor {
  readonly path: string;

  constructor(dir: string, name: string, action: string) {
    this.path = join(dir, `${name}.sh`);
    writeFileSync(
      this.path,
      [
        "#!/bin/sh",
        "set -e",
        `n=$(ls "${this.path}".seen.* 2>/dev/null | wc -l)`,
        `cp "$1" "${this.path}.seen.$((n + 1))"`,
        action,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  }

  /** What kubectl showed the editor, call by call. */
  get seen(): string[] {
    const dir = join(this.path, "..");
    const prefix = `${this.path.slice(dir.length + 1)}.seen.`;
    return readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
      .map((f) => readFileSync(join(dir, f), "utf8"));
  }
}

describe("kubectl edit against a 3-replica cluster", { skip }, () => {
  let cluster: ServerCluster;
  let home: string;
  let tmp: string;

  before(async () => {
    home = tempDir("raftplane-e2e-home-");
    tmp = join(home, "tmp");
    mkdirSync(tmp);
    cluster = await ServerCluster.start({ size: 3 });
  });

  after(async () => {
    await cluster?.destroy();
  });

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) cluster.printLogTails(`test "${t.name}" failed`);
  });

  /** kubectl through one replica, with `editor` as KUBE_EDITOR and kubectl's temporary files in tmp. */
  const run = (replica: string, args: string[], editor?: Editor, input?: string): Promise<KubectlResult> =>
    kubectl(args, {
      kubeconfig: cluster.kubeconfig(replica),
      home,
      env: { KUBE_EDITOR: editor?.path ?? "false", EDITOR: "false", TMPDIR: tmp },
      ...(input === undefined ? {} : { input }),
    });

  const k = async (replica: string, args: string[], editor?: Editor, input?: string): Promise<string> => {
    const r = await run(replica, args, editor, input);
    assert.equal(r.code, 0, describeRun(args, r));
    return r.stdout;
  };

  const getDeployment = async (replica: string): Promise<Deployment> => JSON.parse(await k(replica, ["get", "deployment", "web", "-o", "json"])) as Deployment;

  test("a spec change made in the editor is stored; the generation goes up", async () => {
    await k("s1", ["apply", "-f", "-"], undefined, deployment);
    const before = await getDeployment("s3");
    assert.equal(before.metadata.generation, 1);
    const editor = new Editor(home, "image", "sed -i -e 's/image: nginx:1.26/image: nginx:1.27/' -e 's/replicas: 2/replicas: 4/' \"$1\"");
    const out = await k("s2", ["edit", "deployment/web"], editor);
    assert.equal(out.trim(), "deployment.apps/web edited");
    // the editor was shown the stored object once, as YAML
    assert.equal(editor.seen.length, 1);
    assert.match(editor.seen[0] as string, /^kind: Deployment$/m);
    assert.match(editor.seen[0] as string, /^ {2}resourceVersion: "\d+"$/m);
    assert.match(editor.seen[0] as string, /image: nginx:1\.26/);
    for (const r of ["s1", "s3"]) {
      const after = await getDeployment(r);
      assert.equal(after.spec.template.spec.containers[0]?.image, "nginx:1.27");
      assert.equal(after.spec.replicas, 4);
      assert.equal(after.metadata.generation, 2);
      assert.ok(Number(after.metadata.resourceVersion) > Number(before.metadata.resourceVersion));
    }
  });

  test("a label change leaves the generation; an annotation change moves it (kube copies annotations to replica sets)", async () => {
    const label = new Editor(home, "label", "sed -i -e 's/tier: one/tier: two/' \"$1\"");
    assert.equal((await k("s3", ["edit", "deploy", "web"], label)).trim(), "deployment.apps/web edited");
    const labelled = await getDeployment("s1");
    assert.equal(labelled.metadata.labels["tier"], "two");
    assert.equal(labelled.metadata.generation, 2);
    const annotation = new Editor(home, "annotation", "sed -i -e 's/note: first/note: second/' \"$1\"");
    assert.equal((await k("s1", ["edit", "deploy", "web"], annotation)).trim(), "deployment.apps/web edited");
    const annotated = await getDeployment("s2");
    assert.equal(annotated.metadata.annotations["note"], "second");
    assert.equal(annotated.metadata.generation, 3);
  });

  test("a change made through another replica while the editor is open is kept", async () => {
    // the editor first labels the deployment through s3, then edits the file kubectl gave it (from s1)
    const editor = new Editor(
      home,
      "concurrent",
      [
        `KUBECONFIG='${cluster.kubeconfig("s3")}' kubectl label deployment web meanwhile=yes >/dev/null`,
        "sed -i -e 's/note: second/note: third/' \"$1\"",
      ].join("\n"),
    );
    assert.equal((await k("s1", ["edit", "deployment", "web"], editor)).trim(), "deployment.apps/web edited");
    const after = await getDeployment("s2");
    assert.equal(after.metadata.labels["meanwhile"], "yes");
    assert.equal(after.metadata.annotations["note"], "third");
  });

  test("an edit the server finds invalid stores nothing: the editor reopens with the error, kubectl keeps a copy and exits 1", async () => {
    const before = await getDeployment("s2");
    const editor = new Editor(home, "invalid", "sed -i -e 's/replicas: 4/replicas: -3/' \"$1\"");
    const r = await run("s1", ["edit", "deployment/web"], editor);
    assert.equal(r.code, 1, describeRun(["edit"], r));
    assert.match(r.stderr, /^error: deployments\.apps "web" is invalid$/m);
    assert.match(r.stderr, /^error: Edit cancelled, no valid changes were saved\.$/m);
    const copy = /A copy of your changes has been stored to "([^"]+)"/.exec(r.stderr)?.[1];
    assert.ok(copy !== undefined, r.stderr);
    assert.ok(copy.startsWith(tmp), `${copy} is in TMPDIR`);
    assert.ok(existsSync(copy));
    assert.match(readFileSync(copy, "utf8"), /^ {2}replicas: -3$/m);
    // the second time, the editor was shown the server's field error
    assert.equal(editor.seen.length, 2);
    assert.doesNotMatch(editor.seen[0] as string, /was not valid/);
    assert.match(editor.seen[1] as string, /^# deployments\.apps "web" was not valid:$/m);
    assert.match(editor.seen[1] as string, /^# \* spec\.replicas: Invalid value: -3: must be greater than or equal to 0$/m);
    for (const replica of ["s1", "s2", "s3"]) {
      const after = await getDeployment(replica);
      assert.equal(after.spec.replicas, 4);
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    }
  });

  test("an immutable field changed in the editor is refused", async () => {
    const before = await getDeployment("s3");
    const editor = new Editor(home, "selector", "sed -i -e '/matchLabels:/,/app: web/s/app: web/app: other/' \"$1\"");
    const r = await run("s2", ["edit", "deployment/web"], editor);
    assert.equal(r.code, 1, describeRun(["edit"], r));
    assert.match(editor.seen[1] ?? "", /^# \* spec\.selector: Invalid value: .*field is immutable$/m);
    assert.equal((await getDeployment("s1")).metadata.resourceVersion, before.metadata.resourceVersion);
  });

  test("a config map edited through one replica is read through the others", async () => {
    await k("s1", ["create", "configmap", "settings", "--from-literal=greeting=hello"]);
    const editor = new Editor(home, "configmap", "sed -i -e 's/greeting: hello/greeting: bonjour/' \"$1\"");
    assert.equal((await k("s2", ["edit", "configmap/settings"], editor)).trim(), "configmap/settings edited");
    for (const r of ["s1", "s3"]) assert.equal(await k(r, ["get", "cm", "settings", "-o", "jsonpath={.data.greeting}"]), "bonjour");
  });

  test("an editor that changes nothing: no write", async () => {
    const before = await getDeployment("s1");
    const r = await run("s3", ["edit", "deployment/web"], new Editor(home, "nothing", "true"));
    assert.equal(r.code, 0, describeRun(["edit"], r));
    assert.match(r.stderr, /Edit cancelled, no changes made\./);
    assert.equal((await getDeployment("s2")).metadata.resourceVersion, before.metadata.resourceVersion);
  });
});
