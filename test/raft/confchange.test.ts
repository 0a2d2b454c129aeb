import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeConfChange, encodeConfChange } from "../../internal/raft/index.js";
import type { ConfChange } from "../../internal/raft/index.js";

test("encodeConfChange: type byte, 8-byte big-endian node id, then the context", () => {
  assert.deepEqual(encodeConfChange({ type: "addNode", nodeId: 1 }), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1]));
  assert.deepEqual(
    encodeConfChange({ type: "addLearner", nodeId: 258, context: new Uint8Array([9, 8]) }),
    new Uint8Array([1, 0, 0, 0, 0, 0, 0, 1, 2, 9, 8]),
  );
  assert.deepEqual(encodeConfChange({ type: "removeNode", nodeId: 3 })[0], 2);
});

test("decodeConfChange(encodeConfChange(cc)) returns cc", () => {
  const cases: ConfChange[] = [
    { type: "addNode", nodeId: 1 },
    { type: "addLearner", nodeId: 42 },
    { type: "removeNode", nodeId: Number.MAX_SAFE_INTEGER },
    { type: "addNode", nodeId: 7, context: new TextEncoder().encode("http://10.0.0.7:2380") },
  ];
  for (const cc of cases) assert.deepEqual(decodeConfChange(encodeConfChange(cc)), cc);
});

test("decodeConfChange reads a view into a larger buffer, and copies the context", () => {
  const inner = encodeConfChange({ type: "removeNode", nodeId: 5, context: new Uint8Array([1, 2, 3]) });
  const outer = new Uint8Array(inner.length + 7);
  outer.set(inner, 4);
  const view = outer.subarray(4, 4 + inner.length);
  const cc = decodeConfChange(view);
  assert.deepEqual(cc, { type: "removeNode", nodeId: 5, context: new Uint8Array([1, 2, 3]) });
  outer.fill(0);
  assert.deepEqual(cc?.context, new Uint8Array([1, 2, 3]), "the decoded context does not alias the input");
});

test("decodeConfChange refuses bytes that are not a conf change", () => {
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["too short", new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1])],
    ["unknown type 3", new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 1])],
    ["unknown type 255", new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0, 1])],
    ["node id 0", new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ["node id past 2^53", new Uint8Array([0, 0, 0x20, 0, 0, 0, 0, 0, 0])],
    ["node id 2^64-1", new Uint8Array([1, 255, 255, 255, 255, 255, 255, 255, 255])],
    ["text", new TextEncoder().encode("add node 4")],
  ];
  for (const [name, bytes] of cases) assert.equal(decodeConfChange(bytes), undefined, name);
});
