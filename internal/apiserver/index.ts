/**
 * The Kubernetes API server: REST semantics over the store (internal/store) for the resources
 * of internal/api, watch caches, patches (JSON, merge, strategic merge, server-side apply),
 * selectors, discovery, OpenAPI, tables, health and metrics.
 */
export { ApiServer } from "./server.js";
export type { ApiServerOptions } from "./server.js";
export { ApiHandler, describeRequest, maxRequestBodyBytes } from "./handler.js";
export type { HandlerOptions } from "./handler.js";
export { Rest, systemNamespaces } from "./rest.js";
export type { FieldValidation, ListQuery, ListResult, PatchType, RequestScope, RestDependencies, WriteResult } from "./rest.js";
export { CacheWatcher, WatchCache, jsonEventEncoder } from "./watch-cache.js";
export type { CacheEvent, EventEncoder, WatchCacheOptions, WatchCacheStats, WatchEventType, WatchFilter, WatchRequest, WatchSink } from "./watch-cache.js";
export { fieldValue, fieldsSatisfy, labelsSatisfy, parseFieldSelector, parseLabelSelector, supportedFields } from "./selectors.js";
export type { FieldRequirement, LabelOperator, LabelRequirement } from "./selectors.js";
export { applyJsonPatch, parseJsonPatch, parsePointer } from "./json-patch.js";
export { applyMergePatch } from "./merge-patch.js";
export { applyStrategicMergePatch } from "./strategic-merge.js";
export type { PatchMetaLookup } from "./strategic-merge.js";
export { ApplyConflictError, decodeManagedFields, recordUpdate, serverSideApply } from "./apply.js";
export type { ApplyResult, ManagedEntry, UpdateContext } from "./apply.js";
export { describePath, fieldSetOf, fromFieldsV1, toFieldsV1 } from "./fieldset.js";
export type { FieldSet } from "./fieldset.js";
export { PatchError, jsonEqual } from "./json.js";
export type { JsonObject } from "./json.js";
export { ApiError, errors, toApiError } from "./status.js";
export { createApiServerMetrics } from "./metrics.js";
export type { ApiServerMetrics } from "./metrics.js";
export type { CachedObject } from "./objects.js";
