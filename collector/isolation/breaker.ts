/**
 * The safety breaker: caps automatic isolations per sliding window by a fraction of the fleet
 * AND an absolute number, so one bad driver rollout cannot drain the cluster. Once an
 * isolation would pass the cap the breaker trips and stays tripped until an operator resets
 * it; meanwhile isolations wait as pending approvals (alerts still flow). Pure: state in,
 * state out, time passed in.
 */

export interface BreakerConfig {
  /** Largest fraction of known nodes isolated per window (0..1). */
  maxFraction: number;
  /** Largest number of nodes isolated per window. */
  maxNodes: number;
  windowMs: number;
  /** The fraction cap never goes below this (a 5-node fleet can still lose one node). */
  minAllowed: number;
}

export const DEFAULT_BREAKER: BreakerConfig = { maxFraction: 0.1, maxNodes: 5, windowMs: 3_600_000, minAllowed: 1 };

export interface BreakerState {
  /** Automatic isolations counted in the window (node, when). */
  recent: { node: string; at: number }[];
  tripped: boolean;
  trippedAt?: number;
  /** Why it tripped, for the API. */
  trippedWhy?: string;
}

export const initialBreaker = (): BreakerState => ({ recent: [], tripped: false });

/** The cap for a fleet of `fleetSize` nodes: the smaller of the fraction and absolute caps. */
export function breakerCap(cfg: BreakerConfig, fleetSize: number): number {
  const byFraction = Math.max(cfg.minAllowed, Math.floor(cfg.maxFraction * fleetSize + 1e-9));
  return Math.min(byFraction, cfg.maxNodes);
}

/** Isolations counted in the window ending at `now`. */
export function windowCount(state: BreakerState, cfg: BreakerConfig, now: number): number {
  return state.recent.filter((r) => r.at > now - cfg.windowMs && r.at <= now).length;
}

export type BreakerVerdict =
  | { allowed: true; state: BreakerState }
  | { allowed: false; state: BreakerState; why: string };

/**
 * Ask for one automatic isolation of `node`. Allowed: counted in the window. Refused: the
 * breaker is (or now becomes) tripped.
 */
export function breakerRequest(
  state: BreakerState,
  cfg: BreakerConfig,
  fleetSize: number,
  node: string,
  now: number,
): BreakerVerdict {
  const recent = state.recent.filter((r) => r.at > now - cfg.windowMs);
  if (state.tripped)
    return { allowed: false, state: { ...state, recent }, why: `breaker tripped: ${state.trippedWhy}` };
  const cap = breakerCap(cfg, fleetSize);
  const used = recent.length;
  if (used + 1 > cap) {
    const why = `${used} isolated within ${Math.round(cfg.windowMs / 60_000)} min; cap ${cap} (≤${Math.round(
      cfg.maxFraction * 100,
    )}% of ${fleetSize} nodes, ≤${cfg.maxNodes})`;
    return { allowed: false, state: { recent, tripped: true, trippedAt: now, trippedWhy: why }, why };
  }
  return { allowed: true, state: { ...state, recent: [...recent, { node, at: now }] } };
}

/** Count an isolation an operator approved or asked for (it bypasses the cap but uses it up). */
export function breakerCount(state: BreakerState, node: string, now: number): BreakerState {
  return { ...state, recent: [...state.recent, { node, at: now }] };
}

/** Operator reset: close the breaker; the window's count stays, so the cap still holds. */
export function breakerReset(state: BreakerState): BreakerState {
  return { recent: state.recent, tripped: false };
}

/** What /metrics and the API show. */
export interface BreakerStatus {
  tripped: boolean;
  trippedAt?: number;
  trippedWhy?: string;
  used: number;
  cap: number;
  fleetSize: number;
  windowMs: number;
  maxFraction: number;
  maxNodes: number;
}

export function breakerStatusOf(
  state: BreakerState,
  cfg: BreakerConfig,
  fleetSize: number,
  now: number,
): BreakerStatus {
  return {
    tripped: state.tripped,
    ...(state.trippedAt !== undefined ? { trippedAt: state.trippedAt } : {}),
    ...(state.trippedWhy ? { trippedWhy: state.trippedWhy } : {}),
    used: windowCount(state, cfg, now),
    cap: breakerCap(cfg, fleetSize),
    fleetSize,
    windowMs: cfg.windowMs,
    maxFraction: cfg.maxFraction,
    maxNodes: cfg.maxNodes,
  };
}
