/**
 * JSON Merge Patch (RFC 7386): objects merge key by key, null deletes a key, anything else
 * (lists included) replaces.
 */
import { clone, isObject } from "./json.js";

export function applyMergePatch<T>(target: unknown, patch: unknown): T {
  if (!isObject(patch)) return clone(patch) as T;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out as T;
}
