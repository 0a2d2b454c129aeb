/** Paths and methods to resources and verbs, as kube-apiserver's request info reads them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, describeRequest } from "../../internal/apiserver/index.js";

test("paths name a resource, a namespace, a name and a subresource; the method and watch name the verb", () => {
  assert.deepEqual(describeRequest("GET", "/api/v1/namespaces/default/pods"), { resource: "pods", verb: "list", namespace: "default" });
  assert.deepEqual(describeRequest("GET", "/api/v1/pods?watch=true"), { resource: "pods", verb: "watch" });
  assert.deepEqual(describeRequest("GET", "/api/v1/watch/namespaces/ns/pods/p"), { resource: "pods", verb: "watch", namespace: "ns", name: "p" });
  assert.deepEqual(describeRequest("POST", "/api/v1/namespaces/ns/pods/p/binding"), { resource: "pods", verb: "create", namespace: "ns", name: "p", subresource: "binding" });
  assert.deepEqual(describeRequest("PATCH", "/apis/apps/v1/namespaces/ns/deployments/d/scale"), { resource: "deployments", verb: "patch", namespace: "ns", name: "d", subresource: "scale" });
  assert.deepEqual(describeRequest("GET", "/api/v1/namespaces/ns"), { resource: "namespaces", verb: "get", name: "ns" });
  assert.deepEqual(describeRequest("PUT", "/api/v1/namespaces/ns/status"), { resource: "namespaces", verb: "update", name: "ns", subresource: "status" });
  assert.deepEqual(describeRequest("DELETE", "/api/v1/namespaces/ns/configmaps"), { resource: "configmaps", verb: "deletecollection", namespace: "ns" });
  assert.deepEqual(describeRequest("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin"), { resource: "clusterroles", verb: "get", name: "admin" });
  assert.deepEqual(describeRequest("GET", "/api/v1/namespaces/ns/pods/p/log"), { resource: "pods", verb: "get", namespace: "ns", name: "p", subresource: "log" });
});

test("boolean query parameters read as kube's conversion reads them (the Python client sends watch=True)", () => {
  const verb = (query: string): string => describeRequest("GET", `/api/v1/namespaces/ns/pods${query}`).verb;
  assert.equal(verb("?watch=True"), "watch");
  assert.equal(verb("?watch=true"), "watch");
  assert.equal(verb("?watch=1"), "watch");
  assert.equal(verb("?watch"), "watch");
  assert.equal(verb("?watch=False"), "list");
  assert.equal(verb("?watch=0"), "list");
  assert.equal(verb(""), "list");
});

test("what kube does not serve is 404 or 405", () => {
  const code = (method: string, path: string): number => {
    try {
      describeRequest(method, path);
      return 200;
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return err.code;
    }
  };
  assert.equal(code("GET", "/api/v1/namespaces/ns/widgets"), 404);
  assert.equal(code("GET", "/apis/apps/v1/namespaces"), 404);
  assert.equal(code("GET", "/api/v1/pods/p"), 404, "a namespaced object needs its namespace");
  assert.equal(code("GET", "/api/v1/namespaces/ns/nodes/n"), 404, "a cluster-scoped one has none");
  assert.equal(code("GET", "/api/v1/namespaces/ns/pods/p/frobnicate"), 404);
  assert.equal(code("POST", "/api/v1/namespaces/ns/pods/p"), 405);
  assert.equal(code("PUT", "/api/v1/namespaces/ns/pods"), 405);
  assert.equal(code("DELETE", "/api/v1/namespaces"), 405, "namespaces have no deletecollection");
  assert.equal(code("POST", "/api/v1/namespaces/ns/pods/p/status"), 405);
  assert.equal(code("POST", "/api/v1/namespaces/ns/pods/p/log"), 405);
});
