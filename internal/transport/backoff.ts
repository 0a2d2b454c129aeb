/**
 * Exponential backoff with a cap and jitter, for reconnecting to a peer. Jitter spreads the
 * retries of several members that lost the same peer at the same moment.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
    /** Fraction of each delay that is randomized (0.2: the delay lands in [0.8d, 1.2d]). */
    private readonly jitter = 0.2,
  ) {}

  /** The delay before the next attempt; each call doubles it up to the cap. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(Math.min(this.maxMs, base + spread)));
  }

  /** Jump to the cap: the peer refused us for a reason that retrying soon will not fix. */
  exhaust(): void {
    this.attempt = 31;
  }

  /** The peer answered: start again from the initial delay next time. */
  reset(): void {
    this.attempt = 0;
  }
}
