/**
 * The Kubernetes API's resources, as raftplane serves them: TypeBox schemas (one definition
 * gives the TypeScript types, the JSON Schema the API server checks objects against, and the
 * OpenAPI documents kubectl reads), the resource registry and storage keys, discovery documents,
 * defaults, validation with kube's field errors, strategic-merge metadata, and table printing.
 * See README.md for what is covered and where it differs from kube-apiserver.
 */

// Resource registry, storage keys, discovery.
export {
  UnknownKindError,
  apiGroupList,
  apiResourceList,
  apiVersions,
  findResource,
  groupVersions,
  isKnownKind,
  kindOfSchema,
  resourceFor,
  resourceForKind,
  resources,
  schemaForKind,
  storageKey,
  storagePrefix,
  storageVersionHash,
} from "./registry.js";
export type { GroupVersionKind, ResourceInfo, SubresourceInfo } from "./registry.js";

// Validation, unknown fields, field errors and the Invalid status.
export { findUnknownFields, validate } from "./validate.js";
export type { ValidateOptions } from "./validate.js";
export { FieldErrorType, aggregateMessage, fieldErrorString, invalidStatus } from "./field-errors.js";
export type { FieldError } from "./field-errors.js";
export { stripNulls } from "./schema-check.js";

// Defaults, admission defaults and the registry strategies.
export { applyDefaults, applyPodAdmissionDefaults } from "./defaults.js";
export { podQOSClass, prepareForCreate, prepareForUpdate } from "./strategy.js";

// Strategic merge and apply metadata.
export { patchMetaAt, schemaAt } from "./patch-meta.js";
export type { FieldPatchMeta, FieldShape } from "./patch-meta.js";
export type { PatchMeta } from "./builders.js";

// OpenAPI v3.
export { openApiV3Document, openApiV3DocumentJson, openApiV3Paths } from "./openapi.js";
export type { OpenApiDocument, OpenApiV3Paths } from "./openapi.js";

// Table printing.
export { buildTable, humanDuration, partialObjectMetadata, tableColumns, tableRow } from "./table.js";

// Labels, selectors, quantities, names.
export { formatLabelSelector, formatLabels, labelSelectorMatches, labelsMatch } from "./labels.js";
export { parseQuantity } from "./quantity.js";
export { generateName, isDns1123Label, isDns1123Subdomain, isQualifiedName, isLabelValue } from "./names.js";

// Schemas and their types (each name is both the TypeBox schema and the TypeScript type).
export { IntOrString, MicroTime, Quantity, Time } from "./builders.js";
export {
  Condition,
  DeleteOptions,
  LabelSelector,
  LabelSelectorRequirement,
  ListMeta,
  ManagedFieldsEntry,
  ObjectMeta,
  OwnerReference,
  PartialObjectMetadata,
  Patch,
  Status,
  StatusCause,
  Table,
  TableColumnDefinition,
  TableRow,
  WatchEvent,
} from "./meta.js";
export {
  Affinity,
  Container,
  ContainerPort,
  ContainerState,
  ContainerStatus,
  EnvVar,
  LocalObjectReference,
  NodeAffinity,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  ObjectReference,
  Pod,
  PodAffinity,
  PodAffinityTerm,
  PodAntiAffinity,
  PodCondition,
  PodSpec,
  PodStatus,
  PodTemplateSpec,
  PreferredSchedulingTerm,
  Probe,
  ResourceRequirements,
  Toleration,
  TopologySpreadConstraint,
  Volume,
  VolumeMount,
  WeightedPodAffinityTerm,
} from "./core-pod.js";
export {
  Binding,
  ConfigMap,
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Endpoints,
  Event,
  Namespace,
  NamespaceSpec,
  NamespaceStatus,
  Node,
  NodeAddress,
  NodeCondition,
  NodeSpec,
  NodeStatus,
  NodeSystemInfo,
  Secret,
  Service,
  ServiceAccount,
  ServicePort,
  ServiceSpec,
  ServiceStatus,
  Taint,
} from "./core.js";
export {
  Deployment,
  DeploymentCondition,
  DeploymentSpec,
  DeploymentStatus,
  DeploymentStrategy,
  ReplicaSet,
  ReplicaSetCondition,
  ReplicaSetSpec,
  ReplicaSetStatus,
  Scale,
} from "./apps.js";
export { Lease, LeaseSpec } from "./coordination.js";
export { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from "./rbac.js";
export { APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions } from "./discovery.js";
