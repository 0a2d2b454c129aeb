/**
 * Helpers the schema files use to write Kubernetes types with TypeBox: named types (the
 * components.schemas names of kube's OpenAPI), field descriptions, list and map shapes with
 * their strategic-merge and server-side-apply metadata.
 *
 * A schema here is plain JSON Schema plus TypeBox's symbols, and two things of ours: the key
 * `x-openapi-format` (string formats such as date-time, which the OpenAPI documents publish as
 * `format` but which TypeBox would otherwise insist on checking through its global registry),
 * and the symbol NilWhenMissing (see below), which is never published.
 */
import { Type } from "@sinclair/typebox";
import type {
  TArray,
  TInteger,
  TNumber,
  TRecord,
  TSchema,
  TString,
  TUnion,
  TUnknown,
  TBoolean,
} from "@sinclair/typebox";

/** The list and patch metadata kube publishes for a list field (types.go markers). */
export interface PatchMeta {
  /** `x-kubernetes-list-type`: how server-side apply merges the list. */
  readonly listType?: "atomic" | "set" | "map";
  /** `x-kubernetes-list-map-keys`: the keys identifying an item of a `map` list. */
  readonly listMapKeys?: readonly string[];
  /** `x-kubernetes-patch-strategy`: "merge", "retainKeys" or "merge,retainKeys". */
  readonly patchStrategy?: string;
  /** `x-kubernetes-patch-merge-key`: the item field strategic merge patch matches on. */
  readonly patchMergeKey?: string;
  /** `x-kubernetes-map-type` of an object: "atomic" objects are replaced whole by apply. */
  readonly mapType?: "atomic" | "granular";
}

/** Extension keys of kube's OpenAPI that this package writes. */
export const Ext = {
  listType: "x-kubernetes-list-type",
  listMapKeys: "x-kubernetes-list-map-keys",
  patchStrategy: "x-kubernetes-patch-strategy",
  patchMergeKey: "x-kubernetes-patch-merge-key",
  mapType: "x-kubernetes-map-type",
  intOrString: "x-kubernetes-int-or-string",
  preserveUnknownFields: "x-kubernetes-preserve-unknown-fields",
  groupVersionKind: "x-kubernetes-group-version-kind",
  /** Ours: the OpenAPI `format` of a string, kept out of the validator's way. */
  format: "x-openapi-format",
} as const;

const namedSchemas = new Map<string, TSchema>();

/**
 * Registers a type under its kube OpenAPI name (its `$id`), so that documents refer to it by
 * `$ref` and publish it once under components.schemas.
 */
export function named<T extends TSchema>(schema: T): T {
  const id = schema.$id;
  if (id === undefined) throw new Error("named schemas need an $id");
  if (namedSchemas.has(id)) throw new Error(`schema ${id} is defined twice`);
  namedSchemas.set(id, schema);
  return schema;
}

/** The registered definition of a named type. */
export function namedSchema(id: string): TSchema | undefined {
  return namedSchemas.get(id);
}

/** The same type with a field's own description (a named type keeps its $id). */
export function describe<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}

/** An optional property with a description. */
export function opt<T extends TSchema>(schema: T, description?: string) {
  return Type.Optional(description === undefined ? schema : describe(schema, description));
}

/**
 * Marks a required property whose Go field is a pointer: when it is missing, validation sees it
 * missing (kube reports `Required value`) instead of at a zero value.
 */
export const NilWhenMissing: unique symbol = Symbol("raftplane.nilWhenMissing");

/** A required property that is a pointer in Go (see NilWhenMissing). */
export function reqPointer<T extends TSchema>(schema: T, description?: string): T {
  return { ...req(schema, description), [NilWhenMissing]: true };
}

/** A required property with a description. */
export function req<T extends TSchema>(schema: T, description?: string): T {
  return description === undefined ? schema : describe(schema, description);
}

export function str(description?: string): TString {
  return Type.String(description === undefined ? {} : { description });
}

export function bool(description?: string): TBoolean {
  return Type.Boolean(description === undefined ? {} : { description });
}

export function int32(description?: string): TInteger {
  return Type.Integer({ format: "int32", ...(description === undefined ? {} : { description }) });
}

export function int64(description?: string): TInteger {
  return Type.Integer({ format: "int64", ...(description === undefined ? {} : { description }) });
}

/** A string carrying an OpenAPI format (date-time, byte) that is published, not checked. */
export function formatted(format: string, description?: string): TString {
  return Type.String({ [Ext.format]: format, ...(description === undefined ? {} : { description }) });
}

/** A map from string keys to values of one type (labels, data, capacity). */
export function mapOf<T extends TSchema>(value: T, description?: string): TRecord<TString, T> {
  return Type.Record(Type.String(), value, description === undefined ? {} : { description });
}

export function strMap(description?: string): TRecord<TString, TString> {
  return mapOf(Type.String(), description);
}

/** An object whose content is not described: kept as sent, never reported as unknown. */
export function freeForm(description?: string): TRecord<TString, TUnknown> {
  return Type.Record(Type.String(), Type.Unknown(), {
    [Ext.preserveUnknownFields]: true,
    ...(description === undefined ? {} : { description }),
  });
}

function patchOptions(meta: PatchMeta): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (meta.listType !== undefined) options[Ext.listType] = meta.listType;
  if (meta.listMapKeys !== undefined) options[Ext.listMapKeys] = [...meta.listMapKeys];
  if (meta.patchStrategy !== undefined) options[Ext.patchStrategy] = meta.patchStrategy;
  if (meta.patchMergeKey !== undefined) options[Ext.patchMergeKey] = meta.patchMergeKey;
  if (meta.mapType !== undefined) options[Ext.mapType] = meta.mapType;
  return options;
}

/** A list replaced whole by patches and apply. */
export function atomicList<T extends TSchema>(item: T, description?: string): TArray<T> {
  return listOf(item, { listType: "atomic" }, description);
}

/** A list with explicit patch metadata. */
export function listOf<T extends TSchema>(item: T, meta: PatchMeta, description?: string): TArray<T> {
  return Type.Array(item, { ...patchOptions(meta), ...(description === undefined ? {} : { description }) });
}

/**
 * A list of objects keyed by `mergeKey` for strategic merge patch, and by `mapKeys` (the
 * merge key unless told) for server-side apply.
 */
export function keyedList<T extends TSchema>(
  item: T,
  mergeKey: string,
  description?: string,
  options: { mapKeys?: readonly string[]; patchStrategy?: string; listType?: "map" | "atomic" } = {},
): TArray<T> {
  return listOf(
    item,
    {
      listType: options.listType ?? "map",
      ...(options.listType === "atomic" ? {} : { listMapKeys: options.mapKeys ?? [mergeKey] }),
      patchStrategy: options.patchStrategy ?? "merge",
      patchMergeKey: mergeKey,
    },
    description,
  );
}

/** A list of strings that behaves as a set; `merge` makes strategic merge patch merge it too. */
export function stringSet(description?: string, merge = false): TArray<TString> {
  return listOf(Type.String(), { listType: "set", ...(merge ? { patchStrategy: "merge" } : {}) }, description);
}

/** An atomic list of strings (command, args, verbs). */
export function stringList(description?: string): TArray<TString> {
  return atomicList(Type.String(), description);
}

/** Options for an object type that apply replaces whole (`x-kubernetes-map-type: atomic`). */
export const atomicStruct = { [Ext.mapType]: "atomic" } as const;

/** Integer or string, as kube's IntOrString (ports, maxSurge). */
export const IntOrString: TUnion<[TInteger, TString]> = named(
  Type.Union([Type.Integer(), Type.String()], {
    $id: "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    description: "A value that is either an integer or a string, such as a port number or a port name, or a count or a percentage.",
    [Ext.intOrString]: true,
    format: "int-or-string",
  }),
);

/** A resource quantity: a string such as "500m" or "128Mi", or a plain number. */
export const Quantity: TUnion<[TString, TNumber]> = named(
  Type.Union([Type.String(), Type.Number()], {
    $id: "io.k8s.apimachinery.pkg.api.resource.Quantity",
    description:
      "An amount of a resource in fixed-point form: a decimal number with an optional suffix, either binary " +
      "(Ki, Mi, Gi, Ti, Pi, Ei), decimal (m, k, M, G, T, P, E) or an exponent (1e3). Examples: \"100m\" CPU, \"128Mi\" memory.",
  }),
);

/** An RFC 3339 timestamp with second precision. */
export const Time: TString = named(
  Type.String({
    $id: "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    description: "A timestamp in RFC 3339 form, with second precision, in UTC (e.g. 2024-05-01T12:00:00Z).",
    [Ext.format]: "date-time",
  }),
);

/** An RFC 3339 timestamp with microsecond precision. */
export const MicroTime: TString = named(
  Type.String({
    $id: "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    description: "A timestamp in RFC 3339 form with microsecond precision (e.g. 2024-05-01T12:00:00.000000Z).",
    [Ext.format]: "date-time",
  }),
);
