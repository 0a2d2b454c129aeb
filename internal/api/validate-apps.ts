/** Validation of Deployments, ReplicaSets and Scale, after kube's pkg/apis/apps/validation. */
import { GoValue, forbidden, invalid, notSupported, required } from "./field-errors.js";
import type { FieldError } from "./field-errors.js";
import type { Deployment, ReplicaSet, Scale } from "./apps.js";
import type { PodTemplateSpec } from "./core-pod.js";
import type { LabelSelector } from "./meta.js";
import { goIntOrString, goLabelSelector, labelSelectorMatches } from "./labels.js";
import { nameIsDnsSubdomain } from "./names.js";
import { validatePodTemplateSpec } from "./validate-pod.js";
import { immutable, labelsValue, nonNegative, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from "./validate-meta.js";

function selectorValue(selector: LabelSelector | undefined): GoValue {
  return new GoValue(goLabelSelector(selector));
}

function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
}

function validateSelector(selector: LabelSelector | undefined, field: string): FieldError[] {
  if (selector === undefined) return [required(field)];
  const errors = validateLabelSelector(selector, field);
  if (isEmptySelector(selector)) errors.push(invalid(field, selectorValue(selector), "empty selector is invalid for deployment"));
  return errors;
}

/** kube's ValidatePodTemplateSpecForReplicaSet: the selector selects the template; pods restart Always. */
function validateTemplateForReplicaSet(spec: PodTemplateSpec | undefined, selector: LabelSelector | undefined, field: string): FieldError[] {
  const template = spec ?? {};
  const errors: FieldError[] = [];
  const selectsEverything = selector !== undefined && isEmptySelector(selector);
  if (!selectsEverything && !labelSelectorMatches(selector, template.metadata?.labels)) {
    errors.push(invalid(`${field}.metadata.labels`, labelsValue(template.metadata?.labels), "`selector` does not match template `labels`"));
  }
  errors.push(...validatePodTemplateSpec(template, field));
  const policy = template.spec?.restartPolicy ?? "";
  if (policy !== "Always") errors.push(notSupported(`${field}.spec.restartPolicy`, policy, ["Always"]));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errors.push(forbidden(`${field}.spec.activeDeadlineSeconds`, "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
  return errors;
}

const percentPattern = /^[0-9]+%$/;

function intOrPercentValue(value: number | string | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && percentPattern.test(value)) return Number(value.slice(0, -1));
  return -1;
}

function validatePositiveIntOrPercent(value: number | string | undefined, field: string): FieldError[] {
  if (typeof value === "string") {
    return percentPattern.test(value)
      ? []
      : [
          invalid(
            field,
            new GoValue(goIntOrString(value)),
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
          ),
        ];
  }
  return nonNegative(value, field);
}

function validateStrategy(strategy: NonNullable<Deployment["spec"]>["strategy"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  const s = strategy ?? {};
  switch (s.type) {
    case "Recreate":
      if (s.rollingUpdate !== undefined) errors.push(forbidden(`${field}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case "RollingUpdate": {
      const ru = s.rollingUpdate;
      if (ru === undefined) {
        errors.push(required(`${field}.rollingUpdate`, "this should be defaulted and never be nil"));
        break;
      }
      const p = `${field}.rollingUpdate`;
      errors.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
      errors.push(...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errors.push(invalid(`${p}.maxUnavailable`, new GoValue(goIntOrString(ru.maxUnavailable)), "may not be 0 when `maxSurge` is 0"));
      }
      if (typeof ru.maxUnavailable === "string" && intOrPercentValue(ru.maxUnavailable) > 100) {
        errors.push(invalid(`${p}.maxUnavailable`, new GoValue(goIntOrString(ru.maxUnavailable)), "must not be greater than 100%"));
      }
      break;
    }
    default:
      errors.push(notSupported(field, new GoValue(`apps.DeploymentStrategy{Type:${JSON.stringify(s.type ?? "")}}`), ["Recreate", "RollingUpdate"]));
  }
  return errors;
}

export function validateDeployment(deployment: Deployment, old?: Deployment): FieldError[] {
  const errors = old === undefined ? validateObjectMeta(deployment.metadata, true, nameIsDnsSubdomain) : validateObjectMetaUpdate(deployment.metadata, old.metadata);
  const spec = deployment.spec;
  errors.push(...nonNegative(spec?.replicas, "spec.replicas"));
  errors.push(...validateSelector(spec?.selector, "spec.selector"));
  errors.push(...validateTemplateForReplicaSet(spec?.template, spec?.selector, "spec.template"));
  errors.push(...validateStrategy(spec?.strategy, "spec.strategy"));
  errors.push(...nonNegative(spec?.minReadySeconds, "spec.minReadySeconds"));
  errors.push(...nonNegative(spec?.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  if (spec?.progressDeadlineSeconds !== undefined) {
    errors.push(...nonNegative(spec.progressDeadlineSeconds, "spec.progressDeadlineSeconds"));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errors.push(invalid("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds, "must be greater than minReadySeconds"));
    }
  }
  if (old !== undefined) {
    errors.push(...immutable(spec?.selector, old.spec?.selector, "spec.selector", selectorValue(spec?.selector)));
  }
  return errors;
}

export function validateReplicaSet(replicaSet: ReplicaSet, old?: ReplicaSet): FieldError[] {
  const errors = old === undefined ? validateObjectMeta(replicaSet.metadata, true, nameIsDnsSubdomain) : validateObjectMetaUpdate(replicaSet.metadata, old.metadata);
  const spec = replicaSet.spec;
  errors.push(...nonNegative(spec?.replicas, "spec.replicas"));
  errors.push(...nonNegative(spec?.minReadySeconds, "spec.minReadySeconds"));
  errors.push(...validateSelector(spec?.selector, "spec.selector"));
  errors.push(...validateTemplateForReplicaSet(spec?.template, spec?.selector, "spec.template"));
  if (old !== undefined) {
    errors.push(...immutable(spec?.selector, old.spec?.selector, "spec.selector", selectorValue(spec?.selector)));
  }
  return errors;
}

export function validateScale(scale: Scale): FieldError[] {
  const errors = validateObjectMeta(scale.metadata, true, nameIsDnsSubdomain);
  errors.push(...nonNegative(scale.spec?.replicas, "spec.replicas"));
  return errors;
}
