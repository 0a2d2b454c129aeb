/** A peer or listen URL the transport cannot use. */
export class PeerUrlError extends Error {
  override readonly name = "PeerUrlError";
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid peer URL "${url}": ${reason} (want http://host:port, e.g. http://127.0.0.1:2380)`, options);
  }
}

/** The transport was used out of order: started twice, started without a handler, or after stop. */
export class TransportStateError extends Error {
  override readonly name = "TransportStateError";
}

/** A peer refused our stream: it belongs to another cluster, or is another member than expected. */
export class PeerRejectedError extends Error {
  override readonly name = "PeerRejectedError";
  constructor(
    readonly peer: number,
    readonly url: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A peer ended our message stream with a status: it refused the stream, or it is stopping. */
export class StreamRefusedError extends Error {
  override readonly name = "StreamRefusedError";
  constructor(
    /** A gRPC status code, as on the peer's gRPC calls. */
    readonly code: number,
    readonly details: string,
    options?: ErrorOptions,
  ) {
    super(details, options);
  }
}
