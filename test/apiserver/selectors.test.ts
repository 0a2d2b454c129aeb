import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, fieldValue, fieldsSatisfy, labelsSatisfy, parseFieldSelector, parseLabelSelector } from "../../internal/apiserver/index.js";

const labels = { app: "web", tier: "frontend", version: "3" };

function selects(selector: string, l: Record<string, string> = labels): boolean {
  return labelsSatisfy(parseLabelSelector(selector), l);
}

function badRequest(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ApiError && err.code === 400 && message.test(err.message));
}

test("label selectors: equality, inequality, sets, existence, comparisons", () => {
  assert.equal(selects(""), true);
  assert.equal(selects("app=web"), true);
  assert.equal(selects("app==web"), true);
  assert.equal(selects("app=db"), false);
  assert.equal(selects("app!=db"), true);
  assert.equal(selects("missing!=x"), true, "!= selects objects without the key");
  assert.equal(selects("app in (web, db)"), true);
  assert.equal(selects("app in (db)"), false);
  assert.equal(selects("app notin (db,cache)"), true);
  assert.equal(selects("missing notin (a)"), true);
  assert.equal(selects("tier"), true);
  assert.equal(selects("missing"), false);
  assert.equal(selects("!missing"), true);
  assert.equal(selects("!tier"), false);
  assert.equal(selects("version>2"), true);
  assert.equal(selects("version<3"), false);
  assert.equal(selects("app=web,tier in (frontend),!canary"), true);
  assert.equal(selects("app=web,tier=backend"), false);
  assert.equal(selects("app="), false);
  assert.equal(selects("app=", { app: "" }), true);
});

test("label selectors: kube's parse errors", () => {
  badRequest(() => parseLabelSelector("app in ("), /unable to parse requirement/);
  badRequest(() => parseLabelSelector("app in ()"), /values set can't be empty/);
  badRequest(() => parseLabelSelector("app=web,"), /unable to parse requirement/);
  badRequest(() => parseLabelSelector("a b"), /unable to parse requirement/);
  badRequest(() => parseLabelSelector("bad key=v"), /unable to parse requirement/);
  badRequest(() => parseLabelSelector("app=-bad-"), /values\[0\]: Invalid value: "-bad-"/);
  badRequest(() => parseLabelSelector("n>x"), /must be an integer/);
  badRequest(() => parseLabelSelector("-app=x"), /key: Invalid value: "-app"/);
});

test("field selectors: supported fields per kind, = == !=, escapes", () => {
  const pod = { metadata: { name: "p1", namespace: "ns" }, spec: { nodeName: "n1", hostNetwork: true }, status: { phase: "Running" } };
  assert.equal(fieldsSatisfy("Pod", parseFieldSelector("spec.nodeName=n1,status.phase!=Pending", "Pod"), pod), true);
  assert.equal(fieldsSatisfy("Pod", parseFieldSelector("spec.nodeName==n2", "Pod"), pod), false);
  assert.equal(fieldsSatisfy("Pod", parseFieldSelector("spec.hostNetwork=true", "Pod"), pod), true);
  assert.equal(fieldsSatisfy("Pod", parseFieldSelector("spec.nodeName=", "Pod"), { metadata: { name: "unscheduled" } }), true);
  assert.equal(fieldsSatisfy("Pod", parseFieldSelector("metadata.name=p1,metadata.namespace=ns", "Pod"), pod), true);
  assert.deepEqual(parseFieldSelector("metadata.name=a\\,b", "ConfigMap"), [{ field: "metadata.name", operator: "=", value: "a,b" }]);
  const event = { involvedObject: { kind: "Pod", name: "p1", uid: "u" }, source: { component: "kubelet" }, type: "Warning" };
  assert.equal(fieldsSatisfy("Event", parseFieldSelector("involvedObject.name=p1,involvedObject.kind=Pod,source=kubelet,type=Warning", "Event"), event), true);
  assert.equal(fieldValue("Node", { spec: {} }, "spec.unschedulable"), "false");
  assert.equal(fieldValue("ReplicaSet", { status: { replicas: 3 } }, "status.replicas"), "3");
  badRequest(() => parseFieldSelector("spec.nodeName=n1", "ConfigMap"), /field label not supported: spec\.nodeName/);
  badRequest(() => parseFieldSelector("status.phase", "Pod"), /can't understand 'status\.phase'/);
});
