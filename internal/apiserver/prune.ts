/** Dropping fields a kind's schema does not define, as kube's decoder does outside Strict validation. */
import { patchMetaAt, schemaAt } from "../api/index.js";
import { isObject } from "./json.js";

function prune(kind: string, value: unknown, path: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) prune(kind, item, path);
    return;
  }
  if (!isObject(value)) return;
  const shape = path.length === 0 ? "object" : patchMetaAt(kind, path)?.shape;
  if (shape === "free-form" || shape === undefined) return;
  for (const [k, v] of Object.entries(value)) {
    const child = [...path, k];
    if (shape === "object" && schemaAt(kind, child) === undefined) {
      delete value[k];
      continue;
    }
    prune(kind, v, child);
  }
}

/** Remove, in place, every field of obj that the kind's schema does not define. */
export function pruneUnknownFields(kind: string, obj: unknown): void {
  prune(kind, obj, []);
}
