/** Reconnect delays: exponential growth with jitter so a fleet does not reconnect in lockstep. */

/**
 * The delay before reconnect attempt `attempt` (0-based): between half and all of
 * min(max, initial·2^attempt), chosen by `random` in [0, 1). Pure.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + 0.5 * random));
}
