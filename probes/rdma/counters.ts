/**
 * The judged port counters: width (PMA counters saturate at 2^width-1 instead of wrapping),
 * thresholds per minute when judged as rates, and the conservative absolute threshold used when
 * only one snapshot exists (warn at most). Widths follow the kernel's PORT_PMA_ATTR table
 * (drivers/infiniband/core/sysfs.c); hw_counters are 64-bit driver counters.
 */

/** How one counter is judged. */
export interface CounterRule {
  /** `counters` (PMA) or `hw_counters` (driver). */
  source: 'counters' | 'hw_counters';
  /** Bits; the counter sticks at 2^bits - 1. 64 means it never saturates in practice. */
  bits: number;
  /** Increase per minute at which the counter is `warn`. */
  warnPerMin: number;
  /** Increase per minute at which it is `degraded`. */
  degradedPerMin: number;
  /** One snapshot, value since reset: warn at or above this (non-zero below it is info). */
  snapshotWarn: number;
  /** Suggested action when degraded: physical-layer counters point at cables/optics, transport ones at the fabric or job. */
  degradedAction: 'inspect-hardware' | 'none';
  /** What it means, for the catalog. */
  meaning: string;
}

/** Counters judged as rates; everything else is recorded but not judged. */
export const COUNTER_RULES: Readonly<Record<string, CounterRule>> = {
  symbol_error: {
    source: 'counters',
    bits: 16,
    warnPerMin: 10,
    degradedPerMin: 100,
    snapshotWarn: 1000,
    degradedAction: 'inspect-hardware',
    meaning: 'Symbol errors on the link (bad cable, transceiver or connector; often precedes link loss).',
  },
  link_error_recovery: {
    source: 'counters',
    bits: 8,
    warnPerMin: 1,
    degradedPerMin: 5,
    snapshotWarn: 10,
    degradedAction: 'inspect-hardware',
    meaning: 'Link error recovery procedures (the link retrained after errors).',
  },
  link_downed: {
    source: 'counters',
    bits: 8,
    warnPerMin: 1,
    degradedPerMin: 3,
    snapshotWarn: 10,
    degradedAction: 'inspect-hardware',
    meaning: 'The link went down (failed to recover); repeated increments are a flapping port.',
  },
  port_rcv_errors: {
    source: 'counters',
    bits: 16,
    warnPerMin: 10,
    degradedPerMin: 100,
    snapshotWarn: 1000,
    degradedAction: 'inspect-hardware',
    meaning: 'Received packets with errors (CRC, malformed, buffer overrun).',
  },
  port_rcv_remote_physical_errors: {
    source: 'counters',
    bits: 16,
    warnPerMin: 10,
    degradedPerMin: 100,
    snapshotWarn: 1000,
    degradedAction: 'inspect-hardware',
    meaning: 'Received packets marked bad by a remote physical error (EBP).',
  },
  port_xmit_discards: {
    source: 'counters',
    bits: 16,
    warnPerMin: 100,
    degradedPerMin: 1000,
    snapshotWarn: 10000,
    degradedAction: 'none',
    meaning: 'Outbound packets discarded (port down or congestion timeout).',
  },
  excessive_buffer_overrun_errors: {
    source: 'counters',
    bits: 4,
    warnPerMin: 1,
    degradedPerMin: 5,
    snapshotWarn: 15,
    degradedAction: 'inspect-hardware',
    meaning: 'Consecutive flow-control update periods with a receive buffer overrun.',
  },
  local_link_integrity_errors: {
    source: 'counters',
    bits: 4,
    warnPerMin: 1,
    degradedPerMin: 5,
    snapshotWarn: 15,
    degradedAction: 'inspect-hardware',
    meaning: 'Local physical errors beyond the link integrity threshold.',
  },
  rnr_nak_retry_err: {
    source: 'hw_counters',
    bits: 64,
    warnPerMin: 1,
    degradedPerMin: 10,
    snapshotWarn: 100,
    degradedAction: 'none',
    meaning: 'RNR NAK retries exceeded (the receiver had no posted buffers; a QP went to error).',
  },
  local_ack_timeout_err: {
    source: 'hw_counters',
    bits: 64,
    warnPerMin: 1,
    degradedPerMin: 10,
    snapshotWarn: 100,
    degradedAction: 'none',
    meaning: 'Local ACK timeouts (the remote side did not answer; lost packets or a dead peer).',
  },
  out_of_sequence: {
    source: 'hw_counters',
    bits: 64,
    warnPerMin: 100,
    degradedPerMin: 1000,
    snapshotWarn: 100000,
    degradedAction: 'none',
    meaning: 'Out-of-sequence packets received (packet loss in the fabric).',
  },
  packet_seq_err: {
    source: 'hw_counters',
    bits: 64,
    warnPerMin: 10,
    degradedPerMin: 100,
    snapshotWarn: 10000,
    degradedAction: 'none',
    meaning: 'NAK sequence errors received (the peer saw loss).',
  },
  roce_slow_restart: {
    source: 'hw_counters',
    bits: 64,
    warnPerMin: 1,
    degradedPerMin: 10,
    snapshotWarn: 1000,
    degradedAction: 'none',
    meaning: 'RoCE slow restarts (a QP backed off after timeouts; congestion or loss).',
  },
};

/** The value a counter of this width sticks at, or undefined for 64-bit counters. */
export function saturationValue(bits: number): number | undefined {
  return bits >= 53 ? undefined : 2 ** bits - 1;
}
