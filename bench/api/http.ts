import { Agent, request } from "node:http";
import type { IncomingHttpHeaders } from "node:http";

/**
 * HTTP/1.1 to the API servers with node:http (as client-go speaks HTTP/1.1 when there is no
 * TLS to negotiate HTTP/2): keep-alive agents for requests, one connection per watch.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One keep-alive agent per API server: connections are reused, at most `maxSockets` at once. */
export function keepAliveAgents(count: number, maxSockets: number): Agent[] {
  return Array.from({ length: count }, () => new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }));
}

/** A request to `baseUrl` (http://host:port) whose whole answer is read; rejects on network errors and timeouts. */
export function send(
  agent: Agent | undefined,
  baseUrl: string,
  method: string,
  path: string,
  body: string | undefined,
  timeoutMs: number,
  contentType = "application/json",
): Promise<HttpAnswer> {
  const url = new URL(baseUrl);
  return new Promise<HttpAnswer>((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: "application/json", "user-agent": "raftplane-bench/0.1" };
    if (body !== undefined) {
      headers["content-type"] = contentType;
      headers["content-length"] = Buffer.byteLength(body);
    }
    const req = request({ host: url.hostname, port: url.port, method, path, headers, ...(agent === undefined ? { agent: false } : { agent }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** kube's Status message of a failed request, or the start of its body. */
export function failureOf(answer: HttpAnswer): string {
  const text = answer.body.toString("utf8");
  try {
    const status = JSON.parse(text) as { message?: unknown; reason?: unknown };
    if (typeof status.message === "string") return `${answer.status} ${typeof status.reason === "string" ? `${status.reason}: ` : ""}${status.message}`;
  } catch {
    // not JSON: show the text
  }
  return `${answer.status} ${text.slice(0, 200)}`;
}

/** Sends a request and parses a 2xx JSON answer; throws with the server's message otherwise. */
export async function sendJson(agent: Agent | undefined, baseUrl: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
  const answer = await send(agent, baseUrl, method, path, body === undefined ? undefined : JSON.stringify(body), timeoutMs);
  if (answer.status < 200 || answer.status > 299) throw new Error(`${method} ${path}: ${failureOf(answer)}`);
  return JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>;
}

/** Creates a namespace (an existing one is fine). */
export async function ensureNamespace(baseUrl: string, name: string, timeoutMs: number): Promise<void> {
  const answer = await send(undefined, baseUrl, "POST", "/api/v1/namespaces", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }), timeoutMs);
  if (answer.status !== 201 && answer.status !== 409) throw new Error(`creating namespace ${name}: ${failureOf(answer)}`);
}

/** The resourceVersion of a list (from the store, linearizable): where a watch that follows it starts. */
export async function listResourceVersion(baseUrl: string, path: string, timeoutMs: number): Promise<string> {
  const list = await sendJson(undefined, baseUrl, "GET", path, undefined, timeoutMs);
  const rv = (list["metadata"] as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  if (typeof rv !== "string" || rv === "") throw new Error(`GET ${path}: the list has no resourceVersion`);
  return rv;
}
