/** JSON Patch: RFC 6902's Appendix A examples, in order, and kube's error classes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PatchError, applyJsonPatch } from "../../internal/apiserver/index.js";

const cases: { name: string; doc: unknown; patch: unknown; expected?: unknown; error?: "Invalid" | "BadRequest" }[] = [
  { name: "A.1 adding an object member", doc: { foo: "bar" }, patch: [{ op: "add", path: "/baz", value: "qux" }], expected: { baz: "qux", foo: "bar" } },
  { name: "A.2 adding an array element", doc: { foo: ["bar", "baz"] }, patch: [{ op: "add", path: "/foo/1", value: "qux" }], expected: { foo: ["bar", "qux", "baz"] } },
  { name: "A.3 removing an object member", doc: { baz: "qux", foo: "bar" }, patch: [{ op: "remove", path: "/baz" }], expected: { foo: "bar" } },
  { name: "A.4 removing an array element", doc: { foo: ["bar", "qux", "baz"] }, patch: [{ op: "remove", path: "/foo/1" }], expected: { foo: ["bar", "baz"] } },
  { name: "A.5 replacing a value", doc: { baz: "qux", foo: "bar" }, patch: [{ op: "replace", path: "/baz", value: "boo" }], expected: { baz: "boo", foo: "bar" } },
  {
    name: "A.6 moving a value",
    doc: { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
    patch: [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
    expected: { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
  },
  { name: "A.7 moving an array element", doc: { foo: ["all", "grass", "cows", "eat"] }, patch: [{ op: "move", from: "/foo/1", path: "/foo/3" }], expected: { foo: ["all", "cows", "eat", "grass"] } },
  {
    name: "A.8 testing a value: success",
    doc: { baz: "qux", foo: ["a", 2, "c"] },
    patch: [
      { op: "test", path: "/baz", value: "qux" },
      { op: "test", path: "/foo/1", value: 2 },
    ],
    expected: { baz: "qux", foo: ["a", 2, "c"] },
  },
  { name: "A.9 testing a value: error", doc: { baz: "qux" }, patch: [{ op: "test", path: "/baz", value: "bar" }], error: "Invalid" },
  { name: "A.10 adding a nested member object", doc: { foo: "bar" }, patch: [{ op: "add", path: "/child", value: { grandchild: {} } }], expected: { foo: "bar", child: { grandchild: {} } } },
  { name: "A.11 ignoring unrecognized elements", doc: { foo: "bar" }, patch: [{ op: "add", path: "/baz", value: "qux", xyz: 123 }], expected: { foo: "bar", baz: "qux" } },
  { name: "A.12 adding to a nonexistent target", doc: { foo: "bar" }, patch: [{ op: "add", path: "/baz/bat", value: "qux" }], error: "Invalid" },
  // A.13's duplicate "op" member: JSON.parse keeps the last one, a remove of a missing member
  { name: "A.13 invalid JSON Patch document", doc: { foo: "bar" }, patch: JSON.parse('[{"op":"add","path":"/baz","value":"qux","op":"remove"}]'), error: "Invalid" },
  { name: "A.14 ~ escape ordering", doc: { "/": 9, "~1": 10 }, patch: [{ op: "test", path: "/~01", value: 10 }], expected: { "/": 9, "~1": 10 } },
  { name: "A.15 comparing strings and numbers", doc: { "/": 9, "~1": 10 }, patch: [{ op: "test", path: "/~01", value: "10" }], error: "Invalid" },
  { name: "A.16 adding an array value", doc: { foo: ["bar"] }, patch: [{ op: "add", path: "/foo/-", value: ["abc", "def"] }], expected: { foo: ["bar", ["abc", "def"]] } },
  { name: "copy", doc: { a: { b: 1 } }, patch: [{ op: "copy", from: "/a", path: "/c" }], expected: { a: { b: 1 }, c: { b: 1 } } },
  { name: "replace of a missing member", doc: { a: 1 }, patch: [{ op: "replace", path: "/b", value: 2 }], error: "Invalid" },
  { name: "array index past the end", doc: { a: [1] }, patch: [{ op: "add", path: "/a/2", value: 2 }], error: "Invalid" },
  { name: "leading zero index", doc: { a: [1, 2] }, patch: [{ op: "remove", path: "/a/01" }], error: "Invalid" },
  { name: "moving into a child of itself", doc: { a: { b: {} } }, patch: [{ op: "move", from: "/a", path: "/a/b/c" }], error: "Invalid" },
  { name: "not a list of operations", doc: {}, patch: { op: "add" }, error: "BadRequest" },
  { name: "unknown op", doc: {}, patch: [{ op: "frobnicate", path: "/a" }], error: "BadRequest" },
  { name: "add without a value", doc: {}, patch: [{ op: "add", path: "/a" }], error: "BadRequest" },
  { name: "pointer without /", doc: {}, patch: [{ op: "add", path: "a", value: 1 }], error: "BadRequest" },
];

for (const c of cases) {
  test(`JSON Patch ${c.name}`, () => {
    const before = JSON.stringify(c.doc);
    if (c.error !== undefined) {
      assert.throws(() => applyJsonPatch(c.doc, c.patch), (err: unknown) => err instanceof PatchError && err.reason === c.error);
    } else {
      assert.deepEqual(applyJsonPatch(c.doc, c.patch), c.expected);
    }
    assert.equal(JSON.stringify(c.doc), before, "the document itself is not changed");
  });
}

test("JSON Patch: a failing operation leaves nothing half-applied", () => {
  const doc = { a: 1, b: [1] };
  assert.throws(() => applyJsonPatch(doc, [{ op: "replace", path: "/a", value: 2 }, { op: "test", path: "/a", value: 1 }]));
  assert.deepEqual(doc, { a: 1, b: [1] });
});
