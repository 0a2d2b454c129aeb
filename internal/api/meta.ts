/**
 * meta.k8s.io/v1 types shared by every resource: ObjectMeta, ListMeta, label selectors, Status,
 * DeleteOptions, WatchEvent, Table, PartialObjectMetadata, Condition and the Patch body.
 */
import { Type } from "@sinclair/typebox";
import type { Static, TProperties } from "@sinclair/typebox";
import {
  Time,
  atomicList,
  atomicStruct,
  bool,
  freeForm,
  int32,
  int64,
  keyedList,
  named,
  opt,
  req,
  str,
  stringList,
  stringSet,
  strMap,
} from "./builders.js";

const meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

export const FieldsV1 = named(
  Type.Record(Type.String(), Type.Unknown(), {
    $id: `${meta}FieldsV1`,
    description: "The set of fields a manager owns, in the FieldsV1 trie format: keys such as \"f:spec\" or \"k:{...}\" mapping to nested sets.",
    "x-kubernetes-preserve-unknown-fields": true,
  }),
);

export const ManagedFieldsEntry = named(
  Type.Object(
    {
      apiVersion: opt(str(), "Version of the object's schema the field set is expressed in."),
      fieldsType: opt(str(), "Format of fieldsV1; the only value is \"FieldsV1\"."),
      fieldsV1: opt(FieldsV1, "The fields this manager owns."),
      manager: opt(str(), "Name of the workflow managing these fields (the fieldManager of its requests)."),
      operation: opt(str(), "The kind of request that last set these fields: \"Apply\" or \"Update\"."),
      subresource: opt(str(), "The subresource the fields were written through, empty for the main resource."),
      time: opt(Time, "When the fields were last changed by this manager."),
    },
    { $id: `${meta}ManagedFieldsEntry`, description: "One field manager's ownership of fields of an object, used by server-side apply." },
  ),
);
export type ManagedFieldsEntry = Static<typeof ManagedFieldsEntry>;

export const OwnerReference = named(
  Type.Object(
    {
      apiVersion: req(str(), "API version of the owner."),
      blockOwnerDeletion: opt(bool(), "If true, foreground deletion of the owner waits until this object is gone."),
      controller: opt(bool(), "If true, the owner is the managing controller of this object. At most one owner may be the controller."),
      kind: req(str(), "Kind of the owner."),
      name: req(str(), "Name of the owner."),
      uid: req(str(), "UID of the owner."),
    },
    {
      $id: `${meta}OwnerReference`,
      description: "Identifies an object owning this one; owned objects are garbage-collected after their owners. Owners live in the same namespace or are cluster-scoped.",
      ...atomicStruct,
    },
  ),
);
export type OwnerReference = Static<typeof OwnerReference>;

export const ObjectMeta = named(
  Type.Object(
    {
      annotations: opt(strMap(), "Arbitrary non-identifying metadata set by tools and users. Keys are qualified names; total size is limited to 256 KiB."),
      creationTimestamp: opt(Time, "When the server created the object. Set by the server, read-only."),
      deletionGracePeriodSeconds: opt(int64(), "Seconds the object is allowed to terminate gracefully before it is removed. Set with deletionTimestamp, read-only."),
      deletionTimestamp: opt(Time, "When deletion of the object was requested; the object disappears once its finalizers are empty. Set by the server, read-only."),
      finalizers: opt(stringSet("Keys that must all be removed before the object is deleted from storage. Each names a controller with clean-up work left to do.", true)),
      generateName: opt(str(), "Prefix for a server-generated name, used when name is empty: the server appends a unique suffix."),
      generation: opt(int64(), "Sequence number of changes to the desired state. Set by the server, read-only."),
      labels: opt(strMap(), "Key/value pairs used to organize and select objects (by selectors of services and controllers)."),
      managedFields: opt(atomicList(ManagedFieldsEntry, "Which field manager owns which fields; maintained by the server for server-side apply.")),
      name: opt(str(), "Name, unique within a namespace (or the cluster for cluster-scoped kinds). Required on create unless generateName is set. Cannot be updated."),
      namespace: opt(str(), "Namespace of the object; empty for cluster-scoped kinds. Cannot be updated."),
      ownerReferences: opt(
        keyedList(OwnerReference, "uid", "Objects this object depends on. If all owners are deleted, the object is garbage-collected."),
      ),
      resourceVersion: opt(str(), "Opaque version of the object, changed on every write. Used for optimistic concurrency and as the starting point of watches."),
      selfLink: opt(str(), "Deprecated and never set."),
      uid: opt(str(), "Unique identifier of this incarnation of the object, set by the server on create. Read-only."),
    },
    {
      $id: `${meta}ObjectMeta`,
      description: "Metadata every persisted object has: name, namespace, labels, annotations, owners, finalizers and bookkeeping set by the server.",
    },
  ),
);
export type ObjectMeta = Static<typeof ObjectMeta>;

export const ListMeta = named(
  Type.Object(
    {
      continue: opt(str(), "Token for fetching the next page of a list, when the list was limited."),
      remainingItemCount: opt(int64(), "Number of items after this page, when known."),
      resourceVersion: opt(str(), "Store revision the list was read at; watch from it to follow changes."),
      selfLink: opt(str(), "Deprecated and never set."),
    },
    { $id: `${meta}ListMeta`, description: "Metadata of a list response." },
  ),
);
export type ListMeta = Static<typeof ListMeta>;

export const LabelSelectorRequirement = named(
  Type.Object(
    {
      key: req(str(), "The label key the requirement applies to."),
      operator: req(str(), "How the key relates to the values: In, NotIn, Exists or DoesNotExist."),
      values: opt(stringList("Values for In and NotIn (at least one); empty for Exists and DoesNotExist.")),
    },
    { $id: `${meta}LabelSelectorRequirement`, description: "One requirement of a label selector: a key, an operator and values." },
  ),
);
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirement>;

export const LabelSelector = named(
  Type.Object(
    {
      matchExpressions: opt(atomicList(LabelSelectorRequirement, "Requirements on labels, all of which must hold.")),
      matchLabels: opt(strMap(), "Labels that must all be present with these values."),
    },
    {
      $id: `${meta}LabelSelector`,
      description: "Selects objects by their labels: every matchLabels pair and every matchExpressions requirement must hold. An empty selector matches everything; a missing one matches nothing.",
      ...atomicStruct,
    },
  ),
);
export type LabelSelector = Static<typeof LabelSelector>;

export const Condition = named(
  Type.Object(
    {
      lastTransitionTime: req(Time, "When the condition last changed status."),
      message: req(str(), "Human-readable details of the transition."),
      observedGeneration: opt(int64(), "The metadata.generation the condition was computed from."),
      reason: req(str(), "Machine-readable CamelCase reason for the last transition."),
      status: req(str(), "True, False or Unknown."),
      type: req(str(), "Type of the condition, in CamelCase."),
    },
    { $id: `${meta}Condition`, description: "One aspect of the current state of an object." },
  ),
);
export type Condition = Static<typeof Condition>;

export const StatusCause = named(
  Type.Object(
    {
      field: opt(str(), "Path of the field that caused the error, as in spec.containers[0].name."),
      message: opt(str(), "Human-readable description of the cause."),
      reason: opt(str(), "Machine-readable cause, such as FieldValueInvalid."),
    },
    { $id: `${meta}StatusCause`, description: "One cause of a failed request." },
  ),
);

export const StatusDetails = named(
  Type.Object(
    {
      causes: opt(atomicList(StatusCause, "Individual causes of the failure, such as one per invalid field.")),
      group: opt(str(), "API group of the resource concerned."),
      kind: opt(str(), "Kind of the resource concerned."),
      name: opt(str(), "Name of the resource concerned."),
      retryAfterSeconds: opt(int32(), "Seconds after which the request may be retried."),
      uid: opt(str(), "UID of the resource concerned."),
    },
    { $id: `${meta}StatusDetails`, description: "Details of a failed request." },
  ),
);

export const Status = named(
  Type.Object(
    {
      apiVersion: opt(str(), "Always v1."),
      code: opt(int32(), "HTTP status code of the response."),
      details: opt(StatusDetails, "Extended data about the failure, depending on reason."),
      kind: opt(str(), "Always Status."),
      message: opt(str(), "Human-readable description of the outcome."),
      metadata: opt(ListMeta, "Standard list metadata."),
      reason: opt(str(), "Machine-readable reason of a failure, such as NotFound, AlreadyExists, Conflict or Invalid."),
      status: opt(str(), "Success or Failure."),
    },
    { $id: `${meta}Status`, description: "Result of a request that returns no object: success of a deletion, or any failure." },
  ),
);
export type Status = Static<typeof Status>;
export type StatusCause = Static<typeof StatusCause>;

export const Preconditions = named(
  Type.Object(
    {
      resourceVersion: opt(str(), "The object must have this resourceVersion."),
      uid: opt(str(), "The object must have this UID."),
    },
    { $id: `${meta}Preconditions`, description: "Conditions an object must meet for an operation to proceed." },
  ),
);

export const DeleteOptions = named(
  Type.Object(
    {
      apiVersion: opt(str()),
      dryRun: opt(stringList("If [\"All\"], the deletion is validated but not persisted.")),
      gracePeriodSeconds: opt(int64(), "Seconds before the object is deleted; 0 deletes immediately. Defaults to the kind's grace period."),
      ignoreStoreReadErrorWithClusterBreakingPotential: opt(bool(), "Delete an object that cannot be read from storage. Dangerous."),
      kind: opt(str()),
      orphanDependents: opt(bool(), "Deprecated: use propagationPolicy. If true, dependents are orphaned."),
      preconditions: opt(Preconditions, "Must hold for the deletion to happen."),
      propagationPolicy: opt(str(), "What happens to dependents: Orphan, Background or Foreground."),
    },
    { $id: `${meta}DeleteOptions`, description: "Options of a DELETE request." },
  ),
);
export type DeleteOptions = Static<typeof DeleteOptions>;

export const RawExtension = named(
  Type.Record(Type.String(), Type.Unknown(), {
    $id: "io.k8s.apimachinery.pkg.runtime.RawExtension",
    description: "An embedded object of any kind, kept as sent.",
    "x-kubernetes-preserve-unknown-fields": true,
  }),
);

export const WatchEvent = named(
  Type.Object(
    {
      object: req(RawExtension, "The object after the change (ADDED, MODIFIED), its last state (DELETED), a Status (ERROR), or an object carrying only a resourceVersion (BOOKMARK)."),
      type: req(str(), "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."),
    },
    { $id: `${meta}WatchEvent`, description: "One event of a watch stream.", "x-kubernetes-group-version-kind": [{ group: "", kind: "WatchEvent", version: "v1" }] },
  ),
);
export type WatchEvent = Static<typeof WatchEvent>;

export const TableColumnDefinition = named(
  Type.Object(
    {
      description: req(str(), "Human-readable description of the column."),
      format: req(str(), "Optional format hint for the type, such as \"name\"."),
      name: req(str(), "Column header."),
      priority: req(int32(), "0 for columns always shown; higher for columns shown only in wide output."),
      type: req(str(), "OpenAPI type of the cells: string, integer, number, boolean or date."),
    },
    { $id: `${meta}TableColumnDefinition`, description: "A column of a Table." },
  ),
);
export type TableColumnDefinition = Static<typeof TableColumnDefinition>;

export const TableRow = named(
  Type.Object(
    {
      cells: req(atomicList(Type.Unknown(), "Cell values, one per column definition, in order.")),
      conditions: opt(atomicList(freeForm(), "Conditions of the row, such as Completed.")),
      object: opt(RawExtension, "The object of the row, or its metadata (PartialObjectMetadata), as asked by includeObject."),
    },
    { $id: `${meta}TableRow`, description: "One row of a Table." },
  ),
);
export type TableRow = Static<typeof TableRow>;

export const Table = named(
  Type.Object(
    {
      apiVersion: opt(str(), "meta.k8s.io/v1."),
      columnDefinitions: req(atomicList(TableColumnDefinition, "The columns of the table.")),
      kind: opt(str(), "Table."),
      metadata: opt(ListMeta, "Standard list metadata."),
      rows: req(atomicList(TableRow, "The rows, one per object.")),
    },
    {
      $id: `${meta}Table`,
      description: "A tabular view of a list of objects, as served for Accept: application/json;as=Table;g=meta.k8s.io;v=v1.",
      "x-kubernetes-group-version-kind": [{ group: "meta.k8s.io", kind: "Table", version: "v1" }],
    },
  ),
);
export type Table = Static<typeof Table>;

export const PartialObjectMetadata = named(
  Type.Object(
    {
      apiVersion: opt(str(), "meta.k8s.io/v1."),
      kind: opt(str(), "PartialObjectMetadata."),
      metadata: opt(ObjectMeta, "The metadata of the object."),
    },
    {
      $id: `${meta}PartialObjectMetadata`,
      description: "An object reduced to its metadata.",
      "x-kubernetes-group-version-kind": [{ group: "meta.k8s.io", kind: "PartialObjectMetadata", version: "v1" }],
    },
  ),
);
export type PartialObjectMetadata = Static<typeof PartialObjectMetadata>;

export const Patch = named(
  Type.Record(Type.String(), Type.Unknown(), {
    $id: `${meta}Patch`,
    description: "The body of a PATCH request: a JSON patch, merge patch, strategic merge patch or apply configuration, per the Content-Type.",
    "x-kubernetes-preserve-unknown-fields": true,
  }),
);


/** The properties of a top-level kind: apiVersion, kind and metadata, then its own. */
export function kindProperties<P extends TProperties>(properties: P) {
  return {
    apiVersion: opt(str(), "Version of the schema the object is written in: v1 for the core group, <group>/<version> otherwise."),
    kind: opt(str(), "Kind of the object, in CamelCase."),
    metadata: opt(ObjectMeta, "Standard object metadata."),
    ...properties,
  };
}
