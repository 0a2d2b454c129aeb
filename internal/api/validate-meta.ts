/**
 * Validation shared by every kind: object metadata on create and update, labels, annotations,
 * owner references, finalizers, managed fields, label selectors, and small helpers for the
 * checks kube repeats everywhere (non-negative numbers, immutable fields).
 */
import { GoValue, duplicate, forbidden, invalid, notSupported, required, tooLong } from "./field-errors.js";
import type { FieldError } from "./field-errors.js";
import { goStringMap, goStringSlice } from "./labels.js";
import type { LabelSelector, ObjectMeta } from "./meta.js";
import { isDns1123Label, isLabelValue, isQualifiedName } from "./names.js";
import type { NameValidator } from "./names.js";

/** Total size of a object's annotations, keys and values, in bytes. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export const IS_NEGATIVE_ERROR = "must be greater than or equal to 0";

const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

export function nonNegative(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(field, value, IS_NEGATIVE_ERROR)] : [];
}

/** kube's ValidateImmutableField: `field is immutable` when the value changed. */
export function immutable(newValue: unknown, oldValue: unknown, field: string, shown: unknown = newValue): FieldError[] {
  return deepEqual(newValue, oldValue) ? [] : [invalid(field, shown, "field is immutable")];
}

/** Structural equality of JSON values; absent and undefined are the same. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v: unknown, i) => deepEqual(v, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

export function validateLabels(labels: Readonly<Record<string, string>> | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errors.push(invalid(field, k, m));
    for (const m of isLabelValue(v)) errors.push(invalid(field, v, m));
  }
  return errors;
}

export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errors.push(invalid(field, k, m));
    total += byteLength(k) + byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errors.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errors;
}

function validateOwnerReferences(refs: ObjectMeta["ownerReferences"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  let firstController = "";
  for (const ref of refs ?? []) {
    const slash = ref.apiVersion.lastIndexOf("/");
    const version = slash < 0 ? ref.apiVersion : ref.apiVersion.slice(slash + 1);
    if (version === "") errors.push(invalid(`${field}.apiVersion`, ref.apiVersion, "version must not be empty"));
    if (ref.kind === "") errors.push(invalid(`${field}.kind`, ref.kind, "kind must not be empty"));
    if (ref.name === "") errors.push(invalid(`${field}.name`, ref.name, "name must not be empty"));
    if (ref.uid === "") errors.push(invalid(`${field}.uid`, ref.uid, "uid must not be empty"));
    if (ref.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController !== "") {
        errors.push(
          invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errors;
}

/** A finalizer name: qualified, and either one of kube's own or prefixed with a domain. */
export function validateFinalizerName(name: string, field: string): FieldError[] {
  const errors = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (!name.includes("/") && !standardFinalizers.has(name)) {
    errors.push(invalid(field, name, "name is neither a standard finalizer name nor is it fully qualified"));
  }
  return errors;
}

function validateFinalizers(finalizers: readonly string[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) errors.push(...isQualifiedName(f).map((m) => invalid(field, f, m)));
  if (list.includes("orphan") && list.includes("foregroundDeletion")) {
    errors.push(invalid(field, new GoValue(goStringSlice(list)), "finalizer orphan and foregroundDeletion cannot be both set"));
  }
  list.forEach((f, i) => {
    if (!f.includes("/") && !standardFinalizers.has(f)) {
      errors.push(invalid(`${field}[${i}]`, f, "name is neither a standard finalizer name nor is it fully qualified"));
    }
  });
  return errors;
}

function validateManagedFields(entries: ObjectMeta["managedFields"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  (entries ?? []).forEach((entry, i) => {
    const path = `${field}[${i}]`;
    if (entry.operation !== "Apply" && entry.operation !== "Update") {
      errors.push(invalid(`${path}.operation`, entry.operation ?? "", "must be `Apply` or `Update`"));
    }
    if (entry.fieldsType !== undefined && entry.fieldsType !== "" && entry.fieldsType !== "FieldsV1") {
      errors.push(invalid(`${path}.fieldsType`, entry.fieldsType, "must be `FieldsV1`"));
    }
    if ((entry.manager ?? "").length > 128) errors.push(tooLong(`${path}.manager`, 128));
  });
  return errors;
}

/** kube's ValidateObjectMeta for a new object. */
export function validateObjectMeta(meta: ObjectMeta | undefined, namespaced: boolean, nameFn: NameValidator, field = "metadata"): FieldError[] {
  const m = meta ?? {};
  const errors: FieldError[] = [];
  if (m.generateName !== undefined && m.generateName !== "") {
    for (const msg of nameFn(m.generateName, true)) errors.push(invalid(`${field}.generateName`, m.generateName, msg));
  }
  if (m.name === undefined || m.name === "") errors.push(required(`${field}.name`, "name or generateName is required"));
  else for (const msg of nameFn(m.name, false)) errors.push(invalid(`${field}.name`, m.name, msg));
  if (namespaced) {
    if (m.namespace === undefined || m.namespace === "") errors.push(required(`${field}.namespace`));
    else for (const msg of isDns1123Label(m.namespace)) errors.push(invalid(`${field}.namespace`, m.namespace, msg));
  } else if (m.namespace !== undefined && m.namespace !== "") {
    errors.push(forbidden(`${field}.namespace`, "not allowed on this type"));
  }
  errors.push(...nonNegative(m.generation, `${field}.generation`));
  errors.push(...validateLabels(m.labels, `${field}.labels`));
  errors.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  errors.push(...validateOwnerReferences(m.ownerReferences, `${field}.ownerReferences`));
  errors.push(...validateFinalizers(m.finalizers, `${field}.finalizers`));
  errors.push(...validateManagedFields(m.managedFields, `${field}.managedFields`));
  return errors;
}

/**
 * kube's ValidateObjectMetaUpdate. The new object must carry a resourceVersion: for an
 * unconditional update, set it to the stored one before validating, as kube-apiserver does.
 */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, field = "metadata"): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errors: FieldError[] = [];
  if (o.deletionTimestamp !== undefined) {
    const added = (m.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f));
    if (added.length > 0) {
      errors.push(forbidden(`${field}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice([...added].sort())}`));
    }
  }
  if (m.resourceVersion === undefined || m.resourceVersion === "") {
    errors.push(invalid(`${field}.resourceVersion`, m.resourceVersion ?? "", "must be specified for an update"));
  }
  if ((m.generation ?? 0) < (o.generation ?? 0)) errors.push(invalid(`${field}.generation`, m.generation ?? 0, "must not be decremented"));
  errors.push(...immutable(m.name ?? "", o.name ?? "", `${field}.name`));
  errors.push(...immutable(m.namespace ?? "", o.namespace ?? "", `${field}.namespace`));
  errors.push(...immutable(m.uid ?? "", o.uid ?? "", `${field}.uid`));
  errors.push(...immutable(m.creationTimestamp, o.creationTimestamp, `${field}.creationTimestamp`, m.creationTimestamp ?? null));
  errors.push(...immutable(m.deletionTimestamp, o.deletionTimestamp, `${field}.deletionTimestamp`, m.deletionTimestamp ?? null));
  errors.push(...immutable(m.deletionGracePeriodSeconds, o.deletionGracePeriodSeconds, `${field}.deletionGracePeriodSeconds`, m.deletionGracePeriodSeconds ?? null));
  errors.push(...validateLabels(m.labels, `${field}.labels`));
  errors.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  errors.push(...validateOwnerReferences(m.ownerReferences, `${field}.ownerReferences`));
  errors.push(...validateManagedFields(m.managedFields, `${field}.managedFields`));
  return errors;
}

export function validateLabelSelector(selector: LabelSelector | undefined, field: string): FieldError[] {
  if (selector === undefined) return [];
  const errors = validateLabels(selector.matchLabels, `${field}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) errors.push(required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) errors.push(forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errors.push(invalid(`${path}.operator`, req.operator, "not a valid selector operator"));
    }
    for (const m of isQualifiedName(req.key)) errors.push(invalid(`${path}.key`, req.key, m));
    values.forEach((v, j) => {
      for (const m of isLabelValue(v)) errors.push(invalid(`${path}.values[${j}]`, v, m));
    });
  });
  return errors;
}

/** Invalid `map[string]string{...}` value, as kube shows label maps. */
export function labelsValue(labels: Readonly<Record<string, string>> | undefined): GoValue {
  return new GoValue(goStringMap(labels));
}

/** An enumerated field: Required when empty, NotSupported when not one of `supported`. */
export function oneOf(value: string | undefined, supported: readonly string[], field: string, allowEmpty = false): FieldError[] {
  if (value === undefined || value === "") return allowEmpty ? [] : [required(field)];
  return supported.includes(value) ? [] : [notSupported(field, value, supported)];
}

/** Duplicate values of a key among list items, reported at each repeat. */
export function duplicates<T>(items: readonly T[], key: (item: T) => string | undefined, field: (i: number) => string): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined || k === "") return;
    if (seen.has(k)) errors.push(duplicate(field(i), k));
    seen.add(k);
  });
  return errors;
}
