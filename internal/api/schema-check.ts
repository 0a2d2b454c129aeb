/**
 * Checks an object against its TypeBox schema the way kube-apiserver's decoding treats it:
 * a null field is the same as an absent one; a value of the wrong JSON type is an error at its
 * path; a missing required field is an error; unknown fields are reported apart, because the
 * caller's fieldValidation (Strict, Warn, Ignore) decides what they mean.
 *
 * The compiled TypeBox check is the fast path; the walk below runs only for objects that fail
 * it, to say where and why.
 */
import { Kind } from "@sinclair/typebox";
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { TypeCheck } from "@sinclair/typebox/compiler";
import { NilWhenMissing } from "./builders.js";
import { typeInvalid } from "./field-errors.js";
import type { FieldError } from "./field-errors.js";

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value without null-valued object fields, as kube's decoder reads it. Returns the same
 * reference when there is nothing to drop.
 */
export function stripNulls<T>(value: T): T {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const stripped = stripNulls(item);
      if (stripped !== item) {
        copy ??= [...(value as unknown[])];
        copy[i] = stripped;
      }
    });
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let copy: Json | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      copy ??= { ...value };
      delete copy[k];
      continue;
    }
    const stripped = stripNulls(v);
    if (stripped !== v) {
      copy ??= { ...value };
      copy[k] = stripped;
    }
  }
  return (copy ?? value) as T;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compiledCheck(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

function childPath(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function kindOf(schema: TSchema): string {
  return String(schema[Kind]);
}

function recordValueSchema(schema: TSchema): TSchema {
  const patterns = schema["patternProperties"] as Record<string, TSchema>;
  const first = Object.values(patterns)[0];
  if (first === undefined) throw new Error("record schema without patternProperties");
  return first;
}

/** The JSON type name of a value, as OpenAPI validation messages print it. */
function jsonTypeName(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function expectedTypeName(schema: TSchema): string {
  switch (kindOf(schema)) {
    case "Object":
    case "Record":
      return "object";
    case "Array":
      return "array";
    case "Union":
      return (schema["anyOf"] as TSchema[]).map(expectedTypeName).join(" or ");
    default:
      return String(schema["type"] ?? "any");
  }
}

function matchesScalar(schema: TSchema, value: unknown): boolean {
  switch (kindOf(schema)) {
    case "String":
      return typeof value === "string";
    case "Integer":
      return typeof value === "number" && Number.isInteger(value);
    case "Number":
      return typeof value === "number" && Number.isFinite(value);
    case "Boolean":
      return typeof value === "boolean";
    case "Unknown":
    case "Any":
      return true;
    case "Union":
      return (schema["anyOf"] as TSchema[]).some((s) => matchesScalar(s, value));
    default:
      return false;
  }
}

function walkTypes(schema: TSchema, value: unknown, path: string, errors: FieldError[]): void {
  const kind = kindOf(schema);
  const wrongType = (): void => {
    errors.push(typeInvalid(path, value, `${path === "" ? "body" : path} in body must be of type ${expectedTypeName(schema)}: "${jsonTypeName(value)}"`));
  };
  switch (kind) {
    case "Object": {
      if (!isPlainObject(value)) return wrongType();
      const properties = schema["properties"] as Record<string, TSchema>;
      for (const [name, child] of Object.entries(value)) {
        const propertySchema = properties[name];
        if (propertySchema !== undefined && child !== null) walkTypes(propertySchema, child, childPath(path, name), errors);
      }
      return;
    }
    case "Record": {
      if (!isPlainObject(value)) return wrongType();
      const valueSchema = recordValueSchema(schema);
      for (const [key, child] of Object.entries(value)) {
        if (child !== null) walkTypes(valueSchema, child, `${path}[${key}]`, errors);
      }
      return;
    }
    case "Array": {
      if (!Array.isArray(value)) return wrongType();
      const items = schema["items"] as TSchema;
      value.forEach((item: unknown, i) => walkTypes(items, item, `${path}[${i}]`, errors));
      return;
    }
    default:
      if (!matchesScalar(schema, value)) wrongType();
  }
}

/**
 * Type errors (FieldValueTypeInvalid) of a value against a schema, with kube field paths. Null
 * fields count as absent, and so do missing required ones: like kube's decoder, this leaves
 * them to validation (see `withZeroValues`).
 */
export function schemaErrors(schema: TSchema, value: unknown): FieldError[] {
  if (compiledCheck(schema).Check(value)) return [];
  const errors: FieldError[] = [];
  walkTypes(schema, value, "", errors);
  return errors;
}

function zeroValue(schema: TSchema): unknown {
  switch (kindOf(schema)) {
    case "String":
      return "";
    case "Integer":
    case "Number":
      return 0;
    case "Boolean":
      return false;
    case "Array":
      return [];
    case "Union":
      return zeroValue((schema["anyOf"] as TSchema[])[0] ?? schema);
    case "Object":
      return withZeroValues(schema, {});
    default:
      return {};
  }
}

/**
 * The value with every missing required field set to its zero value, recursively: what a Go
 * struct holds after decoding, so that validation reports missing fields the way kube does
 * (`spec.containers[0].name: Required value`). Assumes the value passed `schemaErrors`.
 * Returns the same reference when nothing is missing.
 */
export function withZeroValues<T>(schema: TSchema, value: T): T {
  switch (kindOf(schema)) {
    case "Object": {
      if (!isPlainObject(value)) return value;
      const properties = schema["properties"] as Record<string, TSchema>;
      let copy: Json | undefined;
      for (const name of (schema["required"] as string[] | undefined) ?? []) {
        const propertySchema = properties[name];
        if (value[name] === undefined && propertySchema !== undefined && (propertySchema as unknown as Record<symbol, unknown>)[NilWhenMissing] !== true) {
          copy ??= { ...value };
          copy[name] = zeroValue(propertySchema);
        }
      }
      for (const [name, child] of Object.entries(value)) {
        const propertySchema = properties[name];
        if (propertySchema === undefined) continue;
        const filled = withZeroValues(propertySchema, child);
        if (filled !== child) {
          copy ??= { ...value };
          copy[name] = filled;
        }
      }
      return (copy ?? value) as T;
    }
    case "Record": {
      if (!isPlainObject(value)) return value;
      const valueSchema = recordValueSchema(schema);
      let copy: Json | undefined;
      for (const [key, child] of Object.entries(value)) {
        const filled = withZeroValues(valueSchema, child);
        if (filled !== child) {
          copy ??= { ...value };
          copy[key] = filled;
        }
      }
      return (copy ?? value) as T;
    }
    case "Array": {
      if (!Array.isArray(value)) return value;
      const items = schema["items"] as TSchema;
      let copy: unknown[] | undefined;
      value.forEach((item: unknown, i) => {
        const filled = withZeroValues(items, item);
        if (filled !== item) {
          copy ??= [...(value as unknown[])];
          copy[i] = filled;
        }
      });
      return (copy ?? value) as T;
    }
    default:
      return value;
  }
}

function walkUnknown(schema: TSchema, value: unknown, path: string, found: string[]): void {
  switch (kindOf(schema)) {
    case "Object": {
      if (!isPlainObject(value)) return;
      const properties = schema["properties"] as Record<string, TSchema>;
      for (const [name, child] of Object.entries(value)) {
        const propertySchema = properties[name];
        if (propertySchema === undefined) found.push(childPath(path, name));
        else walkUnknown(propertySchema, child, childPath(path, name), found);
      }
      return;
    }
    case "Record": {
      if (!isPlainObject(value)) return;
      const valueSchema = recordValueSchema(schema);
      for (const [key, child] of Object.entries(value)) walkUnknown(valueSchema, child, `${path}[${key}]`, found);
      return;
    }
    case "Array": {
      if (!Array.isArray(value)) return;
      const items = schema["items"] as TSchema;
      value.forEach((item: unknown, i) => walkUnknown(items, item, `${path}[${i}]`, found));
      return;
    }
    default:
      return;
  }
}

/**
 * Paths of fields the schema does not know, in document order: `spec.replicaz`,
 * `spec.template.spec.containers[0].imagePullPolcy`. Content of free-form fields (affinity,
 * fieldsV1) is never reported.
 */
export function unknownFieldPaths(schema: TSchema, value: unknown): string[] {
  const found: string[] = [];
  walkUnknown(schema, value, "", found);
  return found;
}
