/**
 * The resource registry: every served resource with its group, version, kind, names, scope,
 * verbs, subresources and schema; lookups by kind and by the names kubectl accepts; storage
 * keys; and the discovery documents built from it.
 *
 * Storage keys are `/registry/<plural>/<namespace>/<name>` for namespaced resources and
 * `/registry/<plural>/<name>` for cluster-scoped ones, for every resource alike: unlike
 * kube-apiserver, nodes live under /registry/nodes (not minions) and services under
 * /registry/services (not services/specs). Plurals are unique across groups here, so the group
 * is not part of the key.
 */
import { createHash } from "node:crypto";
import { Type } from "@sinclair/typebox";
import type { TObject } from "@sinclair/typebox";
import { named, req, opt, str } from "./builders.js";
import { DeleteOptions, ListMeta } from "./meta.js";
import { Pod } from "./core-pod.js";
import { Binding, ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount } from "./core.js";
import { Deployment, ReplicaSet, Scale } from "./apps.js";
import { Lease } from "./coordination.js";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "./rbac.js";
import type { APIGroupList, APIResource, APIResourceList, APIVersions } from "./discovery.js";

/** A subresource of a resource: status, scale, binding or log. */
export interface SubresourceInfo {
  readonly name: "status" | "scale" | "binding" | "log";
  /** Group, version and kind of the objects the subresource reads and writes. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly verbs: readonly string[];
}

/** Everything the API server needs to know to serve one resource. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  /** "v1" for the core group, "<group>/<version>" otherwise: the objects' apiVersion. */
  readonly groupVersion: string;
  readonly kind: string;
  readonly listKind: string;
  /** The resource name in URLs and storage keys. */
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly subresources: readonly SubresourceInfo[];
  /** Whether status is a subresource: writes to the main resource then leave status alone. */
  readonly hasStatus: boolean;
  /** The TypeBox schema of one object. */
  readonly schema: TObject;
  /** The TypeBox schema of a list of objects. */
  readonly listSchema: TObject;
}

/** An unknown kind or resource was asked for: a programming error, or a request to 404. */
export class UnknownKindError extends Error {
  override readonly name = "UnknownKindError";
  constructor(readonly kind: string, options?: ErrorOptions) {
    super(`no kind "${kind}" is registered`, options);
  }
}

const allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;
const statusVerbs = ["get", "patch", "update"] as const;

interface Definition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  verbs?: readonly string[];
  status?: boolean;
  scale?: boolean;
  extra?: SubresourceInfo[];
  schema: TObject;
}

function listSchemaFor(schema: TObject, group: string, version: string, kind: string): TObject {
  const id = `${schema.$id ?? kind}List`;
  return named(
    Type.Object(
      {
        apiVersion: opt(str(), "Version of the schema the list is written in."),
        items: req(Type.Array(schema, { description: `The ${kind} objects.` })),
        kind: opt(str(), `${kind}List.`),
        metadata: opt(ListMeta, "Standard list metadata."),
      },
      { $id: id, description: `A list of ${kind} objects.`, "x-kubernetes-group-version-kind": [{ group, kind: `${kind}List`, version }] },
    ),
  );
}

function define(d: Definition): ResourceInfo {
  const groupVersion = d.group === "" ? d.version : `${d.group}/${d.version}`;
  const subresources: SubresourceInfo[] = [];
  if (d.status === true) subresources.push({ name: "status", group: d.group, version: d.version, kind: d.kind, verbs: statusVerbs });
  if (d.scale === true) subresources.push({ name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: statusVerbs });
  subresources.push(...(d.extra ?? []));
  return {
    group: d.group,
    version: d.version,
    groupVersion,
    kind: d.kind,
    listKind: `${d.kind}List`,
    plural: d.plural,
    singular: d.kind.toLowerCase(),
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    namespaced: d.namespaced,
    verbs: d.verbs ?? allVerbs,
    subresources,
    hasStatus: d.status === true,
    schema: d.schema,
    listSchema: listSchemaFor(d.schema, d.group, d.version, d.kind),
  };
}

const resourceList: readonly ResourceInfo[] = [
  define({ group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"], namespaced: true, schema: ConfigMap }),
  define({ group: "", version: "v1", kind: "Endpoints", plural: "endpoints", shortNames: ["ep"], namespaced: true, schema: Endpoints }),
  define({ group: "", version: "v1", kind: "Event", plural: "events", shortNames: ["ev"], namespaced: true, schema: Event }),
  define({
    group: "", version: "v1", kind: "Namespace", plural: "namespaces", shortNames: ["ns"], namespaced: false,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], status: true, schema: Namespace,
  }),
  define({ group: "", version: "v1", kind: "Node", plural: "nodes", shortNames: ["no"], namespaced: false, status: true, schema: Node }),
  define({
    group: "", version: "v1", kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"], namespaced: true, status: true,
    extra: [
      { name: "binding", group: "", version: "v1", kind: "Binding", verbs: ["create"] },
      { name: "log", group: "", version: "v1", kind: "Pod", verbs: ["get"] },
    ],
    schema: Pod,
  }),
  define({ group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true, schema: Secret }),
  define({ group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"], namespaced: true, schema: ServiceAccount }),
  define({ group: "", version: "v1", kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"], namespaced: true, status: true, schema: Service }),
  define({ group: "apps", version: "v1", kind: "Deployment", plural: "deployments", shortNames: ["deploy"], categories: ["all"], namespaced: true, status: true, scale: true, schema: Deployment }),
  define({ group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", shortNames: ["rs"], categories: ["all"], namespaced: true, status: true, scale: true, schema: ReplicaSet }),
  define({ group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true, schema: Lease }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false, schema: ClusterRoleBinding }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false, schema: ClusterRole }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true, schema: RoleBinding }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true, schema: Role }),
];

/** Kinds that are not resources of their own: written through subresources, or request bodies. */
const subresourceKinds: ReadonlyMap<string, TObject> = new Map<string, TObject>([
  ["Scale", Scale],
  ["Binding", Binding],
  ["DeleteOptions", DeleteOptions],
]);

const byKind = new Map(resourceList.map((r) => [r.kind, r]));
const byPlural = new Map(resourceList.map((r) => [`${r.groupVersion} ${r.plural}`, r]));

/** A group, version and kind, as `x-kubernetes-group-version-kind` lists them. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

const kindsBySchemaId = new Map<string, GroupVersionKind>([
  ...resourceList.map((r): [string, GroupVersionKind] => [r.schema.$id ?? r.kind, { group: r.group, version: r.version, kind: r.kind }]),
  [Scale.$id ?? "Scale", { group: "autoscaling", version: "v1", kind: "Scale" }],
  [Binding.$id ?? "Binding", { group: "", version: "v1", kind: "Binding" }],
]);

/** The group, version and kind a named schema is the top-level type of, if it is one. */
export function kindOfSchema(id: string): GroupVersionKind | undefined {
  return kindsBySchemaId.get(id);
}

/** Every registered resource, in a stable order. */
export function resources(): readonly ResourceInfo[] {
  return resourceList;
}

/** The resource serving a kind; kinds are unique across groups in this registry. */
export function resourceForKind(kind: string): ResourceInfo {
  const info = byKind.get(kind);
  if (info === undefined) throw new UnknownKindError(kind);
  return info;
}

/** The resource named `plural` in a group version ("v1", "apps/v1"), if served. */
export function resourceFor(groupVersion: string, plural: string): ResourceInfo | undefined {
  return byPlural.get(`${groupVersion} ${plural}`);
}

/**
 * Resolves a name as kubectl users type it: plural, singular, short name or kind, any case,
 * optionally qualified by group ("deployments.apps", "deploy.apps").
 */
export function findResource(name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf(".");
  const bare = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  return resourceList.find(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.plural === bare || r.singular === bare || r.shortNames.includes(bare) || r.kind.toLowerCase() === bare),
  );
}

/** The schema of a kind: a resource's, or Scale's, Binding's and DeleteOptions'. */
export function schemaForKind(kind: string): TObject {
  const schema = byKind.get(kind)?.schema ?? subresourceKinds.get(kind);
  if (schema === undefined) throw new UnknownKindError(kind);
  return schema;
}

/** Whether a kind is registered (a resource, Scale, Binding or DeleteOptions). */
export function isKnownKind(kind: string): boolean {
  return byKind.has(kind) || subresourceKinds.has(kind);
}

/** The group versions served, core first, then groups by name. */
export function groupVersions(): readonly { group: string; version: string; groupVersion: string }[] {
  const seen = new Map<string, { group: string; version: string; groupVersion: string }>();
  for (const r of resourceList) seen.set(r.groupVersion, { group: r.group, version: r.version, groupVersion: r.groupVersion });
  return [...seen.values()].sort((a, b) => (a.group === b.group ? 0 : a.group === "" ? -1 : b.group === "" ? 1 : a.group < b.group ? -1 : 1));
}

/** The storage key of one object: `/registry/<plural>/[<namespace>/]<name>`. */
export function storageKey(resource: ResourceInfo, namespace: string | undefined, name: string): string {
  if (resource.namespaced) {
    if (namespace === undefined || namespace === "") throw new Error(`${resource.plural} are namespaced: a namespace is needed`);
    return `/registry/${resource.plural}/${namespace}/${name}`;
  }
  return `/registry/${resource.plural}/${name}`;
}

/**
 * The key prefix of a list: every object of the resource, or those of one namespace. Ends in
 * "/" so that namespace "a" does not match namespace "ab".
 */
export function storagePrefix(resource: ResourceInfo, namespace?: string): string {
  if (namespace !== undefined && namespace !== "" && resource.namespaced) return `/registry/${resource.plural}/${namespace}/`;
  return `/registry/${resource.plural}/`;
}

/** kube's storageVersionHash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>"). */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash("sha256").update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString("base64");
}

/** The APIResourceList served at /api/v1 or /apis/<group>/<version>; undefined if not served. */
export function apiResourceList(groupVersion: string): APIResourceList | undefined {
  const served = resourceList.filter((r) => r.groupVersion === groupVersion).sort((a, b) => (a.plural < b.plural ? -1 : 1));
  if (served.length === 0) return undefined;
  const list: APIResource[] = [];
  for (const r of served) {
    list.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs],
      ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
      ...(r.categories.length > 0 ? { categories: [...r.categories] } : {}),
      storageVersionHash: storageVersionHash(r.group, r.version, r.kind),
    });
    for (const sub of r.subresources) {
      list.push({
        name: `${r.plural}/${sub.name}`,
        singularName: "",
        namespaced: r.namespaced,
        ...(sub.group !== r.group || sub.version !== r.version ? { group: sub.group, version: sub.version } : {}),
        kind: sub.kind,
        verbs: [...sub.verbs],
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources: list };
}

/** The APIGroupList served at /apis (every group but the core one). */
export function apiGroupList(): APIGroupList {
  const groups = groupVersions()
    .filter((gv) => gv.group !== "")
    .map((gv) => ({
      name: gv.group,
      versions: [{ groupVersion: gv.groupVersion, version: gv.version }],
      preferredVersion: { groupVersion: gv.groupVersion, version: gv.version },
    }));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

/** The APIVersions served at /api, naming the address clients reach the server at. */
export function apiVersions(serverAddress: string): APIVersions {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}
