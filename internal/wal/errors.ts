/** Errors the WAL raises. Each names the directory, since a server may hold several. */

/** Base class: something about the WAL at `dir` went wrong. */
export class WalError extends Error {
  override readonly name: string = "WalError";
  constructor(
    readonly dir: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`wal ${dir}: ${message}`, options);
  }
}

/**
 * What is on disk cannot be a state this WAL wrote: a value that does not decode, a gap in the
 * log, or entries where none may be. Restarting will not help; restore the member from a peer
 * (remove and re-add it) or from a backup.
 */
export class WalCorruptError extends WalError {
  override readonly name = "WalCorruptError";
  constructor(
    dir: string,
    /** The raft index where the damage was found, when it concerns one. */
    readonly index: number | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(dir, `corrupt: ${message}`, options);
  }
}

/**
 * A request that would break the log's shape (a gap, an older snapshot, compaction past the
 * snapshot) was refused before anything was written; the WAL stays usable.
 */
export class WalRequestError extends WalError {
  override readonly name = "WalRequestError";
}

/** The WAL was closed, or a write failed earlier so the disk's state is unknown. */
export class WalClosedError extends WalError {
  override readonly name = "WalClosedError";
}
