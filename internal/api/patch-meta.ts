/**
 * Strategic-merge and apply metadata of a kind's fields, for the patch code: `schemaAt` walks a
 * kind's schema down a field path, `patchMetaAt` says how the field there merges (patch
 * strategy, merge key, list type and map keys), exactly as published in the OpenAPI documents.
 */
import { Kind } from "@sinclair/typebox";
import type { TSchema } from "@sinclair/typebox";
import { Ext } from "./builders.js";
import type { PatchMeta } from "./builders.js";
import { schemaForKind } from "./registry.js";

/** How a field is shaped, for the patch code to pick a merge. */
export type FieldShape = "object" | "map" | "list" | "scalar" | "free-form";

/** The merge metadata of one field, and its shape. */
export interface FieldPatchMeta extends PatchMeta {
  readonly shape: FieldShape;
}

function kindOf(schema: TSchema): string {
  return String(schema[Kind]);
}

function recordValue(schema: TSchema): TSchema | undefined {
  return Object.values(schema["patternProperties"] as Record<string, TSchema>)[0];
}

function isFreeForm(schema: TSchema): boolean {
  return schema[Ext.preserveUnknownFields] === true;
}

function step(schema: TSchema, segment: string): TSchema | undefined {
  switch (kindOf(schema)) {
    case "Object":
      return (schema["properties"] as Record<string, TSchema>)[segment];
    case "Record":
      return isFreeForm(schema) ? undefined : recordValue(schema);
    case "Array": {
      const items = schema["items"] as TSchema;
      if (/^[0-9]+$/.test(segment) || segment === "[]") return items;
      return step(items, segment);
    }
    default:
      return undefined;
  }
}

function segmentsOf(path: string | readonly string[]): readonly string[] {
  if (typeof path !== "string") return path;
  return path === "" ? [] : path.split(".");
}

/**
 * The schema of the field at `path` in objects of `kind`, or undefined if the schema does not
 * define it. Segments are property names; a list is entered either by an index ("0", "[]") or
 * directly by a property of its items (`["spec", "containers", "ports"]` is the ports of every
 * container); a map is entered by any key. A string path is split on dots.
 */
export function schemaAt(kind: string, path: string | readonly string[]): TSchema | undefined {
  let schema: TSchema | undefined = schemaForKind(kind);
  for (const segment of segmentsOf(path)) {
    if (schema === undefined) return undefined;
    schema = step(schema, segment);
  }
  return schema;
}

/** The merge metadata of the field at `path` (see `schemaAt`), or undefined if there is none. */
export function patchMetaAt(kind: string, path: string | readonly string[]): FieldPatchMeta | undefined {
  const schema = schemaAt(kind, path);
  if (schema === undefined) return undefined;
  const k = kindOf(schema);
  const shape: FieldShape = isFreeForm(schema) ? "free-form" : k === "Object" ? "object" : k === "Record" ? "map" : k === "Array" ? "list" : "scalar";
  const meta: { -readonly [K in keyof FieldPatchMeta]: FieldPatchMeta[K] } = { shape };
  const listType = schema[Ext.listType] as PatchMeta["listType"] | undefined;
  const listMapKeys = schema[Ext.listMapKeys] as readonly string[] | undefined;
  const patchStrategy = schema[Ext.patchStrategy] as string | undefined;
  const patchMergeKey = schema[Ext.patchMergeKey] as string | undefined;
  const mapType = schema[Ext.mapType] as PatchMeta["mapType"] | undefined;
  if (listType !== undefined) meta.listType = listType;
  if (listMapKeys !== undefined) meta.listMapKeys = listMapKeys;
  if (patchStrategy !== undefined && patchStrategy !== "") meta.patchStrategy = patchStrategy;
  if (patchMergeKey !== undefined) meta.patchMergeKey = patchMergeKey;
  if (mapType !== undefined) meta.mapType = mapType;
  return meta;
}
