/** JSON values and small helpers shared by the patch, apply and storage code. */

export type JsonObject = Record<string, unknown>;

/** A string value, or the fallback for anything else. */
export function stringOr(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Why a patch could not be applied; the API answers 400 or 422 as kube does. */
export class PatchError extends Error {
  override readonly name = "PatchError";
  constructor(
    /** BadRequest: the patch itself is malformed. Invalid: it does not apply to the object. */
    readonly reason: "BadRequest" | "Invalid",
    message: string,
  ) {
    super(message);
  }
}
