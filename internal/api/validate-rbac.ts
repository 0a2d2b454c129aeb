/** Validation of RBAC roles and bindings, after kube's pkg/apis/rbac/validation. */
import { GoValue, invalid, notSupported, required } from "./field-errors.js";
import type { FieldError } from "./field-errors.js";
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding } from "./rbac.js";
import { goStringSlice } from "./labels.js";
import { nameIsDnsSubdomain, nameIsPathSegment } from "./names.js";
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from "./validate-meta.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";

function validatePolicyRule(rule: PolicyRule, namespaced: boolean, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (rule.verbs.length === 0) errors.push(required(`${field}.verbs`, "verbs must contain at least one value"));
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    const value = new GoValue(goStringSlice(urls));
    if (namespaced) errors.push(invalid(`${field}.nonResourceURLs`, value, "namespaced rules cannot apply to non-resource URLs"));
    if ((rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0 || (rule.resourceNames ?? []).length > 0) {
      errors.push(invalid(`${field}.nonResourceURLs`, value, "rules cannot apply to both regular resources and non-resource URLs"));
    }
    return errors;
  }
  if ((rule.apiGroups ?? []).length === 0) errors.push(required(`${field}.apiGroups`, "resource rules must supply at least one api group"));
  if ((rule.resources ?? []).length === 0) errors.push(required(`${field}.resources`, "resource rules must supply at least one resource"));
  return errors;
}

function meta<T extends Role | ClusterRole | RoleBinding | ClusterRoleBinding>(obj: T, old: T | undefined, namespaced: boolean): FieldError[] {
  return old === undefined ? validateObjectMeta(obj.metadata, namespaced, nameIsPathSegment) : validateObjectMetaUpdate(obj.metadata, old.metadata);
}

export function validateRole(role: Role, old?: Role): FieldError[] {
  const errors = meta(role, old, true);
  (role.rules ?? []).forEach((rule, i) => errors.push(...validatePolicyRule(rule, true, `rules[${i}]`)));
  return errors;
}

export function validateClusterRole(role: ClusterRole, old?: ClusterRole): FieldError[] {
  const errors = meta(role, old, false);
  (role.rules ?? []).forEach((rule, i) => errors.push(...validatePolicyRule(rule, false, `rules[${i}]`)));
  const aggregation = role.aggregationRule;
  if (aggregation !== undefined) {
    const selectors = aggregation.clusterRoleSelectors ?? [];
    if (selectors.length === 0) errors.push(required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil"));
    selectors.forEach((s, i) => errors.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
  }
  return errors;
}

function validateSubjects(subjects: RoleBinding["subjects"], namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  (subjects ?? []).forEach((subject, i) => {
    const p = `subjects[${i}]`;
    if (subject.name === "") errors.push(required(`${p}.name`));
    switch (subject.kind) {
      case "ServiceAccount":
        if (subject.name !== "") errors.push(...nameIsDnsSubdomain(subject.name, false).map((m) => invalid(`${p}.name`, subject.name, m)));
        if ((subject.apiGroup ?? "") !== "") errors.push(notSupported(`${p}.apiGroup`, subject.apiGroup, [""]));
        if (!namespaced && (subject.namespace ?? "") === "") errors.push(required(`${p}.namespace`));
        break;
      case "User":
      case "Group":
        if (subject.apiGroup !== RBAC_GROUP) errors.push(notSupported(`${p}.apiGroup`, subject.apiGroup ?? "", [RBAC_GROUP]));
        break;
      default:
        errors.push(notSupported(`${p}.kind`, subject.kind, ["ServiceAccount", "User", "Group"]));
    }
  });
  return errors;
}

function goRoleRef(ref: RoleBinding["roleRef"]): GoValue {
  return new GoValue(`rbac.RoleRef{APIGroup:${JSON.stringify(ref.apiGroup)}, Kind:${JSON.stringify(ref.kind)}, Name:${JSON.stringify(ref.name)}}`);
}

function validateBindingCommon(binding: RoleBinding | ClusterRoleBinding, old: RoleBinding | ClusterRoleBinding | undefined, kinds: readonly string[], namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const ref = binding.roleRef;
  if (ref.apiGroup !== RBAC_GROUP) errors.push(notSupported("roleRef.apiGroup", ref.apiGroup, [RBAC_GROUP]));
  if (!kinds.includes(ref.kind)) errors.push(notSupported("roleRef.kind", ref.kind, kinds));
  if (ref.name === "") errors.push(required("roleRef.name"));
  else errors.push(...nameIsPathSegment(ref.name, false).map((m) => invalid("roleRef.name", ref.name, m)));
  errors.push(...validateSubjects(binding.subjects, namespaced));
  if (old !== undefined && (old.roleRef.apiGroup !== ref.apiGroup || old.roleRef.kind !== ref.kind || old.roleRef.name !== ref.name)) {
    errors.push(invalid("roleRef", goRoleRef(ref), "cannot change roleRef"));
  }
  return errors;
}

export function validateRoleBinding(binding: RoleBinding, old?: RoleBinding): FieldError[] {
  return [...meta(binding, old, true), ...validateBindingCommon(binding, old, ["Role", "ClusterRole"], true)];
}

export function validateClusterRoleBinding(binding: ClusterRoleBinding, old?: ClusterRoleBinding): FieldError[] {
  return [...meta(binding, old, false), ...validateBindingCommon(binding, old, ["ClusterRole"], false)];
}
