import { PeerUrlError } from "./errors.js";

/** A peer URL reduced to what gRPC dials or binds. */
export interface PeerAddress {
  /** The URL as given. */
  readonly url: string;
  /** Host name or IP address; IPv6 literals keep their brackets. */
  readonly host: string;
  readonly port: number;
  /** host:port, as gRPC takes it. */
  readonly target: string;
}

// etcd peer URLs are scheme://host:port with nothing after; only http:// is taken here
// (TLS between peers is not implemented), so anything else is refused up front rather than
// failing later as a connection that never comes up.
const peerUrlPattern = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})\/?$/;

/**
 * Parse an etcd-style peer URL (`http://127.0.0.1:2380`). Port 0 is accepted only for
 * listening, where it asks the system for a free port.
 */
export function parsePeerUrl(url: string, options: { listen?: boolean } = {}): PeerAddress {
  const m = peerUrlPattern.exec(url);
  if (m === null) {
    if (/^https:/i.test(url)) throw new PeerUrlError(url, "https is not supported: peers talk without TLS for now");
    throw new PeerUrlError(url, "not of the form scheme://host:port with no path, query or credentials");
  }
  const [, scheme, host, portText] = m as unknown as [string, string, string, string];
  if (scheme === "https") throw new PeerUrlError(url, "https is not supported: peers talk without TLS for now");
  if (scheme !== "http") throw new PeerUrlError(url, `unsupported scheme "${scheme}"`);
  const port = Number(portText);
  if (port > 65535) throw new PeerUrlError(url, `port ${port} is out of range`);
  if (port === 0 && options.listen !== true) throw new PeerUrlError(url, "port 0 is only valid for listening");
  return { url, host, port, target: `${host}:${port}` };
}

/** The host as sockets take it: an IPv6 literal without its brackets. */
export function socketHost(a: PeerAddress): string {
  return a.host.replace(/^\[(.*)\]$/, "$1");
}
