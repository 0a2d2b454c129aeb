/**
 * Field errors as kube-apiserver reports them: a type (the StatusCause reason), the path of the
 * field (`spec.containers[0].name`), and a message that reads the way Kubernetes writes it:
 * `Invalid value: "Foo": a lowercase RFC 1123 ...`. `fieldErrorString` gives the form used in
 * a Status message, `<field>: <message>`; `invalidStatus` gives the whole 422 Status.
 */
import type { Status } from "./meta.js";

export const FieldErrorType = {
  NotFound: "FieldValueNotFound",
  Required: "FieldValueRequired",
  Duplicate: "FieldValueDuplicate",
  Invalid: "FieldValueInvalid",
  NotSupported: "FieldValueNotSupported",
  Forbidden: "FieldValueForbidden",
  TooLong: "FieldValueTooLong",
  TooMany: "FieldValueTooMany",
  Internal: "InternalError",
  TypeInvalid: "FieldValueTypeInvalid",
} as const;
export type FieldErrorType = (typeof FieldErrorType)[keyof typeof FieldErrorType];

/** One problem with one field. */
export interface FieldError {
  readonly type: FieldErrorType;
  /** Path of the field: `metadata.name`, `spec.containers[1].ports[0].containerPort`, `data[key]`. */
  readonly field: string;
  /** kube's error body: the type's words, the value where kube shows it, then the detail. */
  readonly message: string;
  /** The offending value, where there is one. */
  readonly badValue?: unknown;
  /** The explanation after the value, possibly empty. */
  readonly detail: string;
}

const typeWords: Record<FieldErrorType, string> = {
  FieldValueNotFound: "Not found",
  FieldValueRequired: "Required value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  InternalError: "Internal error",
  FieldValueTypeInvalid: "Invalid value",
};

/**
 * A value printed the way Go's %#v would print it in kube's messages, for values whose Go
 * type matters to the text (maps, structs): `map[string]string{"app":"web"}`.
 */
export class GoValue {
  constructor(readonly text: string) {}
}

/** Prints a bad value as kube does: strings quoted, numbers and booleans bare, null as "null". */
function formatBadValue(value: unknown): string {
  if (value instanceof GoValue) return value.text;
  if (value === null || value === undefined) return '"null"';
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function withValue(type: FieldErrorType, field: string, value: unknown, detail: string): FieldError {
  const body = `${typeWords[type]}: ${formatBadValue(value)}${detail === "" ? "" : `: ${detail}`}`;
  return { type, field, message: body, badValue: value instanceof GoValue ? value.text : value, detail };
}

function withoutValue(type: FieldErrorType, field: string, detail: string): FieldError {
  return { type, field, message: detail === "" ? typeWords[type] : `${typeWords[type]}: ${detail}`, detail };
}

export function required(field: string, detail = ""): FieldError {
  return withoutValue(FieldErrorType.Required, field, detail);
}

export function forbidden(field: string, detail: string): FieldError {
  return withoutValue(FieldErrorType.Forbidden, field, detail);
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return withValue(FieldErrorType.Invalid, field, value, detail);
}

export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return withValue(FieldErrorType.TypeInvalid, field, value, detail);
}

export function notFound(field: string, value: unknown): FieldError {
  return withValue(FieldErrorType.NotFound, field, value, "");
}

export function duplicate(field: string, value: unknown): FieldError {
  return withValue(FieldErrorType.Duplicate, field, value, "");
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length === 0 ? "" : `supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`;
  return withValue(FieldErrorType.NotSupported, field, value, detail);
}

/** Too long, in bytes: kube 1.32's wording. */
export function tooLong(field: string, maxBytes: number): FieldError {
  return withoutValue(FieldErrorType.TooLong, field, `may not be more than ${maxBytes} ${maxBytes === 1 ? "byte" : "bytes"}`);
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return withValue(FieldErrorType.TooMany, field, actual, `must have at most ${max} ${max === 1 ? "item" : "items"}`);
}

/** `<field>: <message>`, as in kube's aggregated error messages. */
export function fieldErrorString(error: FieldError): string {
  return error.field === "" ? error.message : `${error.field}: ${error.message}`;
}

/** The joined text kube gives for several errors: one alone, or `[a, b]`, duplicates dropped. */
export function aggregateMessage(errors: readonly FieldError[]): string {
  const texts = [...new Set(errors.map(fieldErrorString))];
  return texts.length === 1 ? (texts[0] ?? "") : `[${texts.join(", ")}]`;
}

/**
 * The 422 Invalid Status kube-apiserver answers with:
 * `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
 */
export function invalidStatus(group: string, kind: string, name: string, errors: readonly FieldError[]): Status {
  const qualified = group === "" ? kind : `${kind}.${group}`;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `${qualified} ${JSON.stringify(name)} is invalid: ${aggregateMessage(errors)}`,
    reason: "Invalid",
    details: {
      name,
      ...(group === "" ? {} : { group }),
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    },
    code: 422,
  };
}
