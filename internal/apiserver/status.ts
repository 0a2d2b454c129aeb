/**
 * Failures as Kubernetes reports them: a Status object with a reason, an HTTP code and a
 * message in kube-apiserver's words, so kubectl and client libraries recognise them.
 */
import type { FieldError, ResourceInfo, Status, StatusCause } from "../api/index.js";
import { invalidStatus } from "../api/index.js";
import { FutureRevisionError, RequestTooLargeError, RevisionCompactedError, StoreRequestError, StoreUnavailableError } from "../store/index.js";

/** An error the API answers with: a Status object and its HTTP code. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: Status,
    options?: ErrorOptions,
  ) {
    super(status.message ?? status.reason ?? "error", options);
  }

  get code(): number {
    return this.status.code ?? 500;
  }
}

interface Details {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

function failure(code: number, reason: string, message: string, details?: Details): ApiError {
  const status: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
  if (details !== undefined) status.details = details;
  return new ApiError(status);
}

/** `deployments.apps`, `pods`: how kube names a resource in messages. */
export function qualifiedResource(resource: Pick<ResourceInfo, "plural" | "group">): string {
  return resource.group === "" ? resource.plural : `${resource.plural}.${resource.group}`;
}

function detailsOf(resource: Pick<ResourceInfo, "plural" | "group">, name: string): Details {
  return resource.group === "" ? { name, kind: resource.plural } : { name, group: resource.group, kind: resource.plural };
}

export const errors = {
  notFound: (resource: Pick<ResourceInfo, "plural" | "group">, name: string) =>
    failure(404, "NotFound", `${qualifiedResource(resource)} ${JSON.stringify(name)} not found`, detailsOf(resource, name)),
  alreadyExists: (resource: Pick<ResourceInfo, "plural" | "group">, name: string) =>
    failure(409, "AlreadyExists", `${qualifiedResource(resource)} ${JSON.stringify(name)} already exists`, detailsOf(resource, name)),
  conflict: (resource: Pick<ResourceInfo, "plural" | "group">, name: string, why: string, causes?: StatusCause[]) =>
    failure(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(resource)} ${JSON.stringify(name)}: ${why}`, {
      ...detailsOf(resource, name),
      ...(causes === undefined ? {} : { causes }),
    }),
  modified: (resource: Pick<ResourceInfo, "plural" | "group">, name: string) =>
    errors.conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again"),
  invalid: (resource: Pick<ResourceInfo, "group" | "kind">, name: string, fieldErrors: readonly FieldError[]) =>
    new ApiError(invalidStatus(resource.group, resource.kind, name, fieldErrors)),
  invalidWith: (resource: Pick<ResourceInfo, "group" | "kind">, name: string, message: string, causes: StatusCause[]) => {
    const qualified = resource.group === "" ? resource.kind : `${resource.kind}.${resource.group}`;
    return failure(422, "Invalid", `${qualified} ${JSON.stringify(name)} is invalid: ${message}`, {
      name,
      ...(resource.group === "" ? {} : { group: resource.group }),
      kind: resource.kind,
      causes,
    });
  },
  badRequest: (message: string, causes?: StatusCause[]) => failure(400, "BadRequest", message, causes === undefined ? undefined : { causes }),
  forbidden: (resource: Pick<ResourceInfo, "plural" | "group">, name: string, why: string) =>
    failure(403, "Forbidden", `${qualifiedResource(resource)} ${JSON.stringify(name)} is forbidden: ${why}`, detailsOf(resource, name)),
  notFoundPath: () => failure(404, "NotFound", "the server could not find the requested resource", {}),
  methodNotAllowed: () => failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}),
  notAcceptable: (accepted: readonly string[]) =>
    failure(406, "NotAcceptable", `the server was unable to respond with a content type that the client supports (accepted: ${accepted.join(", ")})`),
  unsupportedMediaType: (given: string, accepted: readonly string[]) =>
    failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format (${given}) - accepted media types include: ${accepted.join(", ")}`),
  tooLarge: (limit: number) => failure(413, "RequestEntityTooLarge", `Request entity too large: limit is ${limit}`),
  expired: (message: string) => failure(410, "Expired", message),
  tooManyRequests: () => failure(429, "TooManyRequests", "Too many requests, please try again later.", { retryAfterSeconds: 1 }),
  gone: (message: string) => failure(410, "Gone", message),
  timeout: (message: string, retryAfterSeconds = 1) => failure(504, "Timeout", message, { retryAfterSeconds }),
  unavailable: (message: string) => failure(503, "ServiceUnavailable", message, { retryAfterSeconds: 1 }),
  internal: (message: string) =>
    failure(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] }),
  /** What kube answers for a Go error no layer turned into a Status: no reason, the error's text. */
  unknown: (code: number, message: string) => new ApiError({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, code }),
  /** kube's NewGenericServerResponse: the status of a peer's answer (a node agent's), by its code. */
  generic: (code: number, resource: Pick<ResourceInfo, "plural" | "group">, name: string, message: string) => {
    const reasons: Record<number, string> = { 404: "NotFound", 409: "Conflict", 401: "Unauthorized", 403: "Forbidden", 405: "MethodNotAllowed", 422: "Invalid", 429: "TooManyRequests", 503: "ServiceUnavailable", 504: "Timeout" };
    const reason = reasons[code] ?? (code >= 500 ? "InternalError" : "");
    const status: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, code, details: detailsOf(resource, name) };
    if (reason !== "") status.reason = reason;
    return new ApiError(status);
  },
};

/** Any thrown value as the ApiError to answer with: store failures map to their codes. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreUnavailableError) return errors.unavailable(`the store is unavailable: ${err.message}`);
  if (err instanceof RevisionCompactedError) {
    return errors.expired(`The resourceVersion for the provided list is too old (revision ${err.requestedRevision} was compacted)`);
  }
  if (err instanceof FutureRevisionError) return errors.timeout(`Too large resource version: ${err.requestedRevision}`);
  if (err instanceof RequestTooLargeError) return failure(413, "RequestEntityTooLarge", err.message);
  if (err instanceof StoreRequestError) return errors.internal(err.message);
  return errors.internal(err instanceof Error ? err.message : String(err));
}

/** The Status of a successful deletion, as kube answers for kinds that do not return the object. */
export function successStatus(resource: Pick<ResourceInfo, "plural" | "group">, name: string, uid: string | undefined): Status {
  const details: Details = { ...detailsOf(resource, name) };
  if (uid !== undefined) details.uid = uid;
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
}
