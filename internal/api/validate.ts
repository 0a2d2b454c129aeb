/**
 * `validate(kind, obj, {old})`: what kube-apiserver checks before it stores an object. First
 * the JSON types against the kind's schema (type errors stop there, as a decoding error would);
 * then the kind's own rules, on the object as Go would hold it (missing required fields at
 * their zero values). Unknown fields are not errors here: see `findUnknownFields`.
 *
 * Validate after `applyDefaults`, as kube-apiserver does: fields that defaulting fills are
 * Required here. For an update, pass the stored object as `old`, and set the new object's
 * resourceVersion (kube-apiserver copies the stored one for unconditional updates).
 */
import type { FieldError } from "./field-errors.js";
import { schemaForKind } from "./registry.js";
import { schemaErrors, stripNulls, unknownFieldPaths, withZeroValues } from "./schema-check.js";
import type { Deployment, ReplicaSet, Scale } from "./apps.js";
import type { Pod } from "./core-pod.js";
import type { Binding, ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount } from "./core.js";
import type { Lease } from "./coordination.js";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "./rbac.js";
import { validatePod, validatePodUpdate } from "./validate-pod.js";
import { validateDeployment, validateReplicaSet, validateScale } from "./validate-apps.js";
import {
  validateBinding,
  validateConfigMap,
  validateEndpoints,
  validateEvent,
  validateLease,
  validateNamespace,
  validateNode,
  validateSecret,
  validateService,
  validateServiceAccount,
} from "./validate-core.js";
import { validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from "./validate-rbac.js";

export interface ValidateOptions {
  /** The stored object, for an update: enables immutability and update rules. */
  readonly old?: unknown;
}

type Validator = (obj: never, old: never) => FieldError[];

const validators: Readonly<Record<string, Validator>> = {
  Pod: (pod: Pod, old: Pod | undefined) => (old === undefined ? validatePod(pod) : validatePodUpdate(pod, old)),
  Deployment: (d: Deployment, old: Deployment | undefined) => validateDeployment(d, old),
  ReplicaSet: (rs: ReplicaSet, old: ReplicaSet | undefined) => validateReplicaSet(rs, old),
  Scale: (s: Scale) => validateScale(s),
  Namespace: (ns: Namespace, old: Namespace | undefined) => validateNamespace(ns, old),
  Node: (n: Node, old: Node | undefined) => validateNode(n, old),
  Service: (s: Service, old: Service | undefined) => validateService(s, old),
  Endpoints: (e: Endpoints, old: Endpoints | undefined) => validateEndpoints(e, old),
  ConfigMap: (c: ConfigMap, old: ConfigMap | undefined) => validateConfigMap(c, old),
  Secret: (s: Secret, old: Secret | undefined) => validateSecret(s, old),
  Event: (e: Event, old: Event | undefined) => validateEvent(e, old),
  ServiceAccount: (s: ServiceAccount, old: ServiceAccount | undefined) => validateServiceAccount(s, old),
  Binding: (b: Binding) => validateBinding(b),
  Lease: (l: Lease, old: Lease | undefined) => validateLease(l, old),
  Role: (r: Role, old: Role | undefined) => validateRole(r, old),
  ClusterRole: (r: ClusterRole, old: ClusterRole | undefined) => validateClusterRole(r, old),
  RoleBinding: (b: RoleBinding, old: RoleBinding | undefined) => validateRoleBinding(b, old),
  ClusterRoleBinding: (b: ClusterRoleBinding, old: ClusterRoleBinding | undefined) => validateClusterRoleBinding(b, old),
};

/**
 * Field errors of an object of `kind` (a registered kind, Scale, Binding or DeleteOptions),
 * empty when it is valid. Throws UnknownKindError for other kinds.
 */
export function validate(kind: string, obj: unknown, options: ValidateOptions = {}): FieldError[] {
  const schema = schemaForKind(kind);
  const value = stripNulls(obj);
  const typeErrors = schemaErrors(schema, value);
  if (typeErrors.length > 0) return typeErrors;
  const validator = validators[kind] as ((obj: unknown, old: unknown) => FieldError[]) | undefined;
  if (validator === undefined) return [];
  const old = options.old === undefined ? undefined : withZeroValues(schema, stripNulls(options.old));
  return validator(withZeroValues(schema, value), old);
}

/**
 * Paths of the fields of `obj` that the kind's schema does not define, in document order, as
 * kube-apiserver names them in `unknown field "spec.foo"` (strict field validation fails with
 * them; Warn returns them as warnings; Ignore drops them).
 */
export function findUnknownFields(kind: string, obj: unknown): string[] {
  return unknownFieldPaths(schemaForKind(kind), obj);
}
