/**
 * JSON Patch (RFC 6902): a list of add, remove, replace, move, copy and test operations at JSON
 * Pointers (RFC 6901), applied in order to a copy of the document; any failure fails the whole
 * patch. A malformed patch is a BadRequest, a patch that does not fit the document is Invalid.
 */
import type { JsonObject } from "./json.js";
import { PatchError, clone, isObject, jsonEqual } from "./json.js";

interface Operation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
}

const ops = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** Check the shape of a JSON Patch document. */
export function parseJsonPatch(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw new PatchError("BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  return patch.map((raw, i) => {
    if (!isObject(raw)) throw new PatchError("BadRequest", `invalid JSON Patch: operation ${i} is not an object`);
    const op = raw["op"];
    if (typeof op !== "string" || !ops.has(op)) throw new PatchError("BadRequest", `Unexpected kind: ${String(op)}`);
    if (typeof raw["path"] !== "string") throw new PatchError("BadRequest", `invalid JSON Patch: operation ${i} (${op}) has no path`);
    if ((op === "move" || op === "copy") && typeof raw["from"] !== "string") {
      throw new PatchError("BadRequest", `invalid JSON Patch: operation ${i} (${op}) has no from`);
    }
    if ((op === "add" || op === "replace" || op === "test") && !("value" in raw)) {
      throw new PatchError("BadRequest", `invalid JSON Patch: operation ${i} (${op}) has no value`);
    }
    parsePointer(raw["path"] as string);
    if (typeof raw["from"] === "string") parsePointer(raw["from"]);
    return raw as unknown as Operation;
  });
}

/** RFC 6901: "" is the whole document; "/a~1b/0" is ["a/b", "0"]. */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError("BadRequest", `JSON Pointer ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(token: string, length: number, forAdd: boolean, path: string): number {
  if (forAdd && token === "-") return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError("Invalid", `invalid array index ${JSON.stringify(token)} in ${path}`);
  const i = Number(token);
  if (i > length || (!forAdd && i === length)) throw new PatchError("Invalid", `array index ${i} out of bounds in ${path}`);
  return i;
}

/** The parent container of the pointer's target and the last token. */
function parentOf(doc: unknown, tokens: readonly string[], path: string): { parent: unknown; last: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, path)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw new PatchError("Invalid", `doc is missing path: ${path}`);
  }
  return { parent: cur, last: tokens[tokens.length - 1] as string };
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, path)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw new PatchError("Invalid", `doc is missing path: ${path}`);
  }
  return cur;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, path), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw new PatchError("Invalid", `doc is missing path: ${path}`);
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchError("Invalid", "cannot remove the whole document");
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, path), 1);
  else if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) delete parent[last];
  else throw new PatchError("Invalid", `doc is missing path: ${path}`);
  return doc;
}

function replace(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false, path)] = value;
  else if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) parent[last] = value;
  else throw new PatchError("Invalid", `doc is missing key: ${path}`);
  return doc;
}

/** Apply a JSON Patch to a copy of doc. */
export function applyJsonPatch<T = JsonObject>(doc: unknown, patch: unknown): T {
  let out = clone(doc);
  for (const op of parseJsonPatch(patch)) {
    switch (op.op) {
      case "add":
        out = add(out, op.path, clone(op.value));
        break;
      case "remove":
        out = remove(out, op.path);
        break;
      case "replace":
        out = replace(out, op.path, clone(op.value));
        break;
      case "move": {
        const from = op.from as string;
        if (op.path !== from && op.path.startsWith(`${from}/`)) throw new PatchError("Invalid", `cannot move ${from} into its own child ${op.path}`);
        const value = get(out, from);
        out = remove(out, from);
        out = add(out, op.path, value);
        break;
      }
      case "copy":
        out = add(out, op.path, clone(get(out, op.from as string)));
        break;
      case "test":
        if (!jsonEqual(get(out, op.path), op.value)) throw new PatchError("Invalid", `testing value ${op.path} failed: test failed`);
        break;
    }
  }
  return out as T;
}
