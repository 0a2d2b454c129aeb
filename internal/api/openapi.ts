/**
 * OpenAPI v3 documents as kube-apiserver serves them: the `/openapi/v3` index of group
 * versions, and for each group version a document whose components.schemas carry kube's
 * names (io.k8s.api.apps.v1.Deployment), `x-kubernetes-group-version-kind` on top-level kinds,
 * list and patch metadata on fields, and whose paths carry the operations with their query
 * parameters. kubectl reads these: `explain` for descriptions, `apply` for strategic merge
 * metadata, and every write for the `fieldValidation` parameter (its sign that the server
 * validates fields itself).
 *
 * Documents are built once per process and cached; they never change while it runs.
 */
import { createHash } from "node:crypto";
import { Kind } from "@sinclair/typebox";
import type { TSchema } from "@sinclair/typebox";
import { Ext, namedSchema } from "./builders.js";
import { APIResourceList } from "./discovery.js";
import { DeleteOptions, Patch, Status, WatchEvent } from "./meta.js";
import { groupVersions, kindOfSchema, resources } from "./registry.js";
import type { GroupVersionKind, ResourceInfo, SubresourceInfo } from "./registry.js";
import { Binding } from "./core.js";
import { Scale } from "./apps.js";

type Json = Record<string, unknown>;

/** An OpenAPI 3.0 document, as JSON. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Record<string, Json>;
  readonly components: { readonly schemas: Record<string, Json>; readonly securitySchemes: Record<string, Json> };
  readonly security: readonly Json[];
}

/** The `/openapi/v3` index: one entry per group version, with a URL that changes with the content. */
export interface OpenApiV3Paths {
  readonly paths: Record<string, { readonly serverRelativeURL: string }>;
}

const refPrefix = "#/components/schemas/";
const copiedExtensions = [
  Ext.listType,
  Ext.listMapKeys,
  Ext.patchStrategy,
  Ext.patchMergeKey,
  Ext.mapType,
  Ext.intOrString,
  Ext.preserveUnknownFields,
  Ext.groupVersionKind,
];

/** Group, version, kind entries of the meta kinds every group version uses. */
function metaKinds(): ReadonlyMap<string, readonly GroupVersionKind[]> {
  const all = groupVersions().map((gv) => ({ group: gv.group, version: gv.version }));
  return new Map<string, readonly GroupVersionKind[]>([
    [Status.$id ?? "", [{ group: "", version: "v1", kind: "Status" }]],
    [DeleteOptions.$id ?? "", all.map((gv) => ({ ...gv, kind: "DeleteOptions" }))],
    [WatchEvent.$id ?? "", all.map((gv) => ({ ...gv, kind: "WatchEvent" }))],
  ]);
}

class SchemaEmitter {
  readonly components: Record<string, Json> = {};
  private readonly pending: string[] = [];
  private readonly extraKinds = metaKinds();

  /** A reference to a named type, queued for components. */
  ref(id: string): Json {
    if (!(id in this.components) && !this.pending.includes(id)) this.pending.push(id);
    return { $ref: `${refPrefix}${id}` };
  }

  /** Emits every queued named type, and those they reach. */
  drain(): void {
    for (let id = this.pending.shift(); id !== undefined; id = this.pending.shift()) {
      const schema = namedSchema(id);
      if (schema === undefined) throw new Error(`no schema named ${id}`);
      this.components[id] = {};
      const body = this.body(schema);
      const kind = kindOfSchema(id);
      const kinds = kind !== undefined ? [kind] : this.extraKinds.get(id);
      if (kinds !== undefined && body[Ext.groupVersionKind] === undefined) {
        body[Ext.groupVersionKind] = kinds.map((k) => ({ group: k.group, kind: k.kind, version: k.version }));
      }
      this.components[id] = body;
    }
  }

  /** A field's schema: a reference for named types (wrapped in allOf when it has its own description). */
  field(schema: TSchema): Json {
    const id = schema.$id;
    if (id === undefined) return this.body(schema);
    const ref = this.ref(id);
    const own = schema.description;
    if (own === undefined || own === namedSchema(id)?.description) return ref;
    return { allOf: [ref], description: own };
  }

  /** The schema's own content, with named types inside it referenced. */
  body(schema: TSchema): Json {
    const out: Json = {};
    if (schema.description !== undefined) out["description"] = schema.description;
    switch (String(schema[Kind])) {
      case "Object": {
        out["type"] = "object";
        const properties: Json = {};
        for (const [name, property] of Object.entries(schema["properties"] as Record<string, TSchema>)) properties[name] = this.field(property);
        if (Object.keys(properties).length > 0) out["properties"] = properties;
        const required = schema["required"] as string[] | undefined;
        if (required !== undefined && required.length > 0) out["required"] = [...required];
        break;
      }
      case "Record": {
        out["type"] = "object";
        const value = Object.values(schema["patternProperties"] as Record<string, TSchema>)[0];
        if (value !== undefined && String(value[Kind]) !== "Unknown") out["additionalProperties"] = this.field(value);
        break;
      }
      case "Array":
        out["type"] = "array";
        out["items"] = this.field(schema["items"] as TSchema);
        break;
      case "Union":
        out["oneOf"] = (schema["anyOf"] as TSchema[]).map((variant) => this.body(variant));
        break;
      case "String":
      case "Integer":
      case "Number":
      case "Boolean":
        out["type"] = schema["type"];
        break;
      default:
        break;
    }
    const format = (schema[Ext.format] as string | undefined) ?? (schema["format"] as string | undefined);
    if (format !== undefined) out["format"] = format;
    for (const key of copiedExtensions) {
      const value = schema[key] as unknown;
      if (value !== undefined) out[key] = structuredClone(value);
    }
    return out;
  }
}

// ---- paths

interface Parameter {
  name: string;
  in: "query" | "path";
  description: string;
  required?: boolean;
  schema: Json;
}

function query(name: string, description: string, type: "string" | "boolean" | "integer" = "string"): Parameter {
  return { name, in: "query", description, schema: { type, uniqueItems: true } };
}

const p = {
  pretty: query("pretty", "If 'true', the output is indented."),
  dryRun: query("dryRun", "If \"All\", the request is checked and answered but nothing is persisted."),
  fieldManager: query("fieldManager", "Name of the actor making the change, recorded in managedFields. Required for apply patches."),
  fieldValidation: query(
    "fieldValidation",
    "What the server does with unknown or duplicate fields in the object: Ignore drops them silently, Warn drops them and answers with a warning for each (the default), Strict fails the request.",
  ),
  force: query("force", "For apply patches: take ownership of fields other managers own instead of failing with a conflict.", "boolean"),
  gracePeriodSeconds: query("gracePeriodSeconds", "Seconds before the object is deleted; 0 deletes at once.", "integer"),
  ignoreStoreReadError: query(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "Delete an object even if it cannot be read from storage. Dangerous.",
    "boolean",
  ),
  orphanDependents: query("orphanDependents", "Deprecated: use propagationPolicy.", "boolean"),
  propagationPolicy: query("propagationPolicy", "What happens to dependents: Orphan, Background or Foreground."),
  allowWatchBookmarks: query("allowWatchBookmarks", "Ask for BOOKMARK events in a watch.", "boolean"),
  continue: query("continue", "Token from a previous limited list, to get the next page."),
  fieldSelector: query("fieldSelector", "Selects objects by fields, such as metadata.name=web."),
  labelSelector: query("labelSelector", "Selects objects by labels, such as app=web,tier!=db."),
  limit: query("limit", "Most objects to return; a continue token is given when there are more.", "integer"),
  resourceVersion: query("resourceVersion", "Resource version the list or watch starts from."),
  resourceVersionMatch: query("resourceVersionMatch", "How resourceVersion applies to a list: Exact or NotOlderThan."),
  sendInitialEvents: query("sendInitialEvents", "With watch: start with synthetic ADDED events for the current objects.", "boolean"),
  timeoutSeconds: query("timeoutSeconds", "Time limit of the list or watch call.", "integer"),
  watch: query("watch", "Watch for changes instead of listing: a stream of WatchEvents.", "boolean"),
};

const listParameters = [
  p.allowWatchBookmarks,
  p.continue,
  p.fieldSelector,
  p.labelSelector,
  p.limit,
  p.resourceVersion,
  p.resourceVersionMatch,
  p.sendInitialEvents,
  p.timeoutSeconds,
  p.watch,
];
const writeParameters = [p.dryRun, p.fieldManager, p.fieldValidation];
const deleteParameters = [p.dryRun, p.gracePeriodSeconds, p.ignoreStoreReadError, p.orphanDependents, p.propagationPolicy];
const deleteCollectionParameters = [
  p.continue,
  p.dryRun,
  p.fieldSelector,
  p.gracePeriodSeconds,
  p.ignoreStoreReadError,
  p.labelSelector,
  p.limit,
  p.orphanDependents,
  p.propagationPolicy,
  p.resourceVersion,
  p.resourceVersionMatch,
  p.sendInitialEvents,
  p.timeoutSeconds,
];

const objectMediaTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
const listMediaTypes = [...objectMediaTypes, "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"];
const patchMediaTypes = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];

function content(types: readonly string[], schema: Json): Json {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function responses(codes: Readonly<Record<string, string>>, types: readonly string[], schema: Json): Json {
  const out: Json = {};
  for (const [code, description] of Object.entries(codes)) out[code] = { description, content: content(types, schema) };
  out["401"] = { description: "Unauthorized" };
  return out;
}

/** "rbac.authorization.k8s.io" → "RbacAuthorization"; "" → "Core". */
function groupWord(group: string): string {
  if (group === "") return "Core";
  return group
    .replace(/\.k8s\.io$/, "")
    .split(".")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function tagOf(group: string, version: string): string {
  const word = groupWord(group);
  return `${word.charAt(0).toLowerCase()}${word.slice(1)}_${version}`;
}

function pathPrefix(group: string, version: string): string {
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

function gvk(group: string, version: string, kind: string): Json {
  return { group, kind, version };
}

interface OperationSpec {
  verb: string;
  action: string;
  description: string;
  parameters?: readonly Parameter[];
  requestBody?: Json;
  responses: Json;
  kind: Json;
  tag: string;
}

function operation(spec: OperationSpec): Json {
  return {
    tags: [spec.tag],
    description: spec.description,
    operationId: spec.verb,
    ...(spec.parameters !== undefined && spec.parameters.length > 0 ? { parameters: [...spec.parameters] } : {}),
    ...(spec.requestBody !== undefined ? { requestBody: spec.requestBody } : {}),
    responses: spec.responses,
    "x-kubernetes-action": spec.action,
    "x-kubernetes-group-version-kind": spec.kind,
  };
}

function body(schema: Json): Json {
  return { content: { "*/*": { schema } }, required: true };
}

function pathParameters(r: ResourceInfo, withName: boolean, kindName: string): Parameter[] {
  const out: Parameter[] = [];
  if (withName) out.push({ name: "name", in: "path", description: `name of the ${kindName}`, required: true, schema: { type: "string", uniqueItems: true } });
  if (r.namespaced) out.push({ name: "namespace", in: "path", description: "object name and auth scope, such as for teams and projects", required: true, schema: { type: "string", uniqueItems: true } });
  out.push(p.pretty);
  return out;
}

function addResourcePaths(paths: Record<string, Json>, r: ResourceInfo, emitter: SchemaEmitter): void {
  const prefix = pathPrefix(r.group, r.version);
  const tag = tagOf(r.group, r.version);
  const word = `${groupWord(r.group)}${r.version.charAt(0).toUpperCase()}${r.version.slice(1)}`;
  const scope = r.namespaced ? "Namespaced" : "";
  const kindRef = emitter.ref(r.schema.$id ?? r.kind);
  const listRef = emitter.ref(r.listSchema.$id ?? r.listKind);
  const statusRef = emitter.ref(Status.$id ?? "Status");
  const deleteOptionsRef = emitter.ref(DeleteOptions.$id ?? "DeleteOptions");
  const patchRef = emitter.ref(Patch.$id ?? "Patch");
  const kind = gvk(r.group, r.version, r.kind);
  const has = (verb: string): boolean => r.verbs.includes(verb);
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const item = `${collection}/{name}`;

  const collectionItem: Json = { parameters: pathParameters(r, false, r.kind) };
  if (has("list")) {
    collectionItem["get"] = operation({
      verb: `list${word}${scope}${r.kind}`, action: "list", description: `list or watch objects of kind ${r.kind}`,
      parameters: listParameters, responses: responses({ "200": "OK" }, listMediaTypes, listRef), kind, tag,
    });
  }
  if (has("create")) {
    collectionItem["post"] = operation({
      verb: `create${word}${scope}${r.kind}`, action: "post", description: `create a ${r.kind}`,
      parameters: writeParameters, requestBody: body(kindRef),
      responses: responses({ "200": "OK", "201": "Created", "202": "Accepted" }, objectMediaTypes, kindRef), kind, tag,
    });
  }
  if (has("deletecollection")) {
    collectionItem["delete"] = operation({
      verb: `delete${word}Collection${scope}${r.kind}`, action: "deletecollection", description: `delete collection of ${r.kind}`,
      parameters: deleteCollectionParameters, requestBody: { content: { "*/*": { schema: deleteOptionsRef } } },
      responses: responses({ "200": "OK" }, objectMediaTypes, statusRef), kind, tag,
    });
  }
  paths[collection] = collectionItem;

  const deleted = r.kind === "Pod" ? kindRef : statusRef;
  const itemPath: Json = { parameters: pathParameters(r, true, r.kind) };
  if (has("get")) {
    itemPath["get"] = operation({
      verb: `read${word}${scope}${r.kind}`, action: "get", description: `read the specified ${r.kind}`,
      responses: responses({ "200": "OK" }, objectMediaTypes, kindRef), kind, tag,
    });
  }
  if (has("update")) {
    itemPath["put"] = operation({
      verb: `replace${word}${scope}${r.kind}`, action: "put", description: `replace the specified ${r.kind}`,
      parameters: writeParameters, requestBody: body(kindRef),
      responses: responses({ "200": "OK", "201": "Created" }, objectMediaTypes, kindRef), kind, tag,
    });
  }
  if (has("delete")) {
    itemPath["delete"] = operation({
      verb: `delete${word}${scope}${r.kind}`, action: "delete", description: `delete a ${r.kind}`,
      parameters: deleteParameters, requestBody: { content: { "*/*": { schema: deleteOptionsRef } } },
      responses: responses({ "200": "OK", "202": "Accepted" }, objectMediaTypes, deleted), kind, tag,
    });
  }
  if (has("patch")) {
    itemPath["patch"] = operation({
      verb: `patch${word}${scope}${r.kind}`, action: "patch", description: `partially update the specified ${r.kind}`,
      parameters: [...writeParameters, p.force], requestBody: { content: content(patchMediaTypes, patchRef), required: true },
      responses: responses({ "200": "OK", "201": "Created" }, objectMediaTypes, kindRef), kind, tag,
    });
  }
  paths[item] = itemPath;

  if (r.namespaced && has("list")) {
    paths[`${prefix}/${r.plural}`] = {
      parameters: [p.pretty],
      get: operation({
        verb: `list${word}${r.kind}ForAllNamespaces`, action: "list", description: `list or watch objects of kind ${r.kind}`,
        parameters: listParameters, responses: responses({ "200": "OK" }, listMediaTypes, listRef), kind, tag,
      }),
    };
  }

  for (const sub of r.subresources) addSubresourcePaths(paths, r, sub, { item, word, scope, tag, emitter, patchRef });
}

function addSubresourcePaths(
  paths: Record<string, Json>,
  r: ResourceInfo,
  sub: SubresourceInfo,
  ctx: { item: string; word: string; scope: string; tag: string; emitter: SchemaEmitter; patchRef: Json },
): void {
  const { item, word, scope, tag, emitter, patchRef } = ctx;
  const suffix = sub.name.charAt(0).toUpperCase() + sub.name.slice(1);
  const kind = gvk(sub.group, sub.version, sub.kind);
  const subSchema = sub.kind === "Scale" ? Scale : sub.kind === "Binding" ? Binding : r.schema;
  const ref = emitter.ref(subSchema.$id ?? sub.kind);
  const path: Json = { parameters: pathParameters(r, true, sub.kind) };
  if (sub.name === "log") {
    path["get"] = operation({
      verb: `read${word}${scope}${r.kind}Log`, action: "get", description: `read log of the specified ${r.kind}`,
      parameters: [
        query("container", "The container whose log is read; may be omitted when the pod has one container."),
        query("follow", "Stream the log as it grows.", "boolean"),
        query("insecureSkipTLSVerifyBackend", "Skip verifying the node agent's serving certificate.", "boolean"),
        query("limitBytes", "Most bytes of log to return.", "integer"),
        query("previous", "Read the log of the previous, terminated run of the container.", "boolean"),
        query("sinceSeconds", "Only lines newer than this many seconds.", "integer"),
        query("tailLines", "Only this many lines from the end.", "integer"),
        query("timestamps", "Start every line with an RFC 3339 timestamp.", "boolean"),
      ],
      responses: responses({ "200": "OK" }, ["text/plain", "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"], { type: "string" }),
      kind, tag,
    });
  } else if (sub.name === "binding") {
    path["post"] = operation({
      verb: `create${word}${scope}${r.kind}Binding`, action: "post", description: `create binding of a ${r.kind}`,
      parameters: writeParameters, requestBody: body(ref),
      responses: responses({ "200": "OK", "201": "Created", "202": "Accepted" }, objectMediaTypes, ref), kind, tag,
    });
  } else {
    path["get"] = operation({
      verb: `read${word}${scope}${r.kind}${suffix}`, action: "get", description: `read ${sub.name} of the specified ${r.kind}`,
      responses: responses({ "200": "OK" }, objectMediaTypes, ref), kind, tag,
    });
    path["put"] = operation({
      verb: `replace${word}${scope}${r.kind}${suffix}`, action: "put", description: `replace ${sub.name} of the specified ${r.kind}`,
      parameters: writeParameters, requestBody: body(ref),
      responses: responses({ "200": "OK", "201": "Created" }, objectMediaTypes, ref), kind, tag,
    });
    path["patch"] = operation({
      verb: `patch${word}${scope}${r.kind}${suffix}`, action: "patch", description: `partially update ${sub.name} of the specified ${r.kind}`,
      parameters: [...writeParameters, p.force], requestBody: { content: content(patchMediaTypes, patchRef), required: true },
      responses: responses({ "200": "OK", "201": "Created" }, objectMediaTypes, ref), kind, tag,
    });
  }
  paths[`${item}/${sub.name}`] = path;
}

// ---- documents

/** The index key of a group version: "api/v1", "apis/apps/v1". */
function indexKey(group: string, version: string): string {
  return pathPrefix(group, version).slice(1);
}

function buildDocument(group: string, version: string): OpenApiDocument {
  const emitter = new SchemaEmitter();
  const paths: Record<string, Json> = {};
  const prefix = pathPrefix(group, version);
  const word = `${groupWord(group)}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
  const tag = tagOf(group, version);
  paths[`${prefix}/`] = {
    get: {
      tags: [tag],
      description: "get available resources",
      operationId: `get${word}APIResources`,
      responses: responses({ "200": "OK" }, objectMediaTypes, emitter.ref(APIResourceList.$id ?? "APIResourceList")),
    },
  };
  for (const r of resources()) if (r.group === group && r.version === version) addResourcePaths(paths, r, emitter);
  emitter.ref(WatchEvent.$id ?? "WatchEvent");
  emitter.drain();
  const schemas = Object.fromEntries(Object.entries(emitter.components).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.32.0" },
    paths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: "apiKey", description: "Bearer Token authentication", name: "authorization", in: "header" } },
    },
    security: [{ BearerToken: [] }],
  };
}

interface Built {
  readonly document: OpenApiDocument;
  readonly json: string;
  readonly hash: string;
}

let built: Map<string, Built> | undefined;

function allDocuments(): Map<string, Built> {
  if (built === undefined) {
    built = new Map();
    for (const gv of groupVersions()) {
      const document = buildDocument(gv.group, gv.version);
      const json = JSON.stringify(document);
      const hash = createHash("sha512").update(json).digest("hex").toUpperCase();
      built.set(indexKey(gv.group, gv.version), { document, json, hash });
    }
  }
  return built;
}

/** The `/openapi/v3` index: `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}}}`. */
export function openApiV3Paths(): OpenApiV3Paths {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, b] of allDocuments()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${b.hash}` };
  return { paths };
}

function normalizeKey(groupVersionPath: string): string {
  return groupVersionPath.replace(/^\/+/, "").replace(/^openapi\/v3\//, "").replace(/\/+$/, "");
}

/**
 * The document of one group version, by its index key ("api/v1", "apis/apps/v1"; a leading
 * "/" or "/openapi/v3/" is accepted), or undefined if none is served there.
 */
export function openApiV3Document(groupVersionPath: string): OpenApiDocument | undefined {
  return allDocuments().get(normalizeKey(groupVersionPath))?.document;
}

/**
 * The document serialized once, and its hash (the ETag and the `hash` query parameter):
 * what the server sends, without re-encoding the document on every request.
 */
export function openApiV3DocumentJson(groupVersionPath: string): { readonly json: string; readonly hash: string } | undefined {
  const b = allDocuments().get(normalizeKey(groupVersionPath));
  return b === undefined ? undefined : { json: b.json, hash: b.hash };
}
