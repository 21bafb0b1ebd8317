/**
 * Every finding code the rdma probe and its analyzers can emit, with the worst severity it
 * reaches, its action at that severity, and what it means. The `ib.counter.*` rows are
 * generated from COUNTER_RULES so the catalog and the judged counters cannot drift apart.
 */
import type { Action, FindingKind, Severity } from '../../core/finding.ts';
import { COUNTER_RULES, saturationValue } from './counters.ts';

/** One catalog row. */
export interface RdmaCatalogEntry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}

const fixed: RdmaCatalogEntry[] = [
  {
    code: 'ib.port.down',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'A port is not ACTIVE/LinkUp. Degraded when it belongs to the expected compute fabric (settings expectedPorts × expectedRateGbps or the gpuSku table; without them, the HCA type and link layer of the fastest up ports) or an InfiniBand port was seen up before; warn for a port physically linked but not ACTIVE (INIT/ARMED: subnet manager), an InfiniBand port outside the fabric whose siblings are up, or an Ethernet port that was up before; info for an Ethernet (management/unused) port outside the fabric never seen up. Held for downHoldMs after it comes back so a brief up does not clear it.',
  },
  {
    code: 'ib.port.rate',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'An up port trained below the expected fabric rate, or (no expectation) slower than its siblings of the same HCA type and link layer: a downtrained link (cable, optic, lane). Warn for ports outside the fabric, and for a lone sysfs rate value below 100 Gb/s.',
  },
  {
    code: 'ib.port.flap',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'A port changed state or its link_downed counter rose flapThreshold times within flapWindowMs: an unstable link that NCCL will keep tripping over.',
  },
  {
    code: 'ib.port.missing',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'A port seen up earlier in this boot is gone from /sys/class/infiniband (HCA fell off the bus or its driver unbound), or (component host) fewer ports exist than the expected fabric needs.',
  },
  {
    code: 'ib.roce.pfc',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning:
      'RoCE priority flow control pause storm on the netdev behind a RoCE port (ethtool -S): tx_pause_storm_error_events rose (the NIC stopped sending pauses) or the port was paused more than pfcPausedDegradedRatio of the time; warn for storm warnings, pause ratio above pfcPausedWarnRatio or a very high pause frame rate. Usually a fabric congestion or a stuck peer, not this NIC.',
  },
  {
    code: 'ib.ibstat.panic',
    severity: 'warn',
    action: 'none',
    kind: 'event',
    meaning:
      'ibstat ended in ibpanic (e.g. stat of an IB device failed: the device vanished or umad is broken); the ports after it were not reported (analyze only).',
  },
];

const counters: RdmaCatalogEntry[] = Object.entries(COUNTER_RULES).flatMap(([name, rule]) => {
  const rows: RdmaCatalogEntry[] = [
    {
      code: `ib.counter.${name}`,
      severity: 'degraded',
      action: rule.degradedAction,
      kind: 'condition',
      meaning: `${rule.meaning} Judged as a rate over time (resets and reboots give no delta): warn from ${rule.warnPerMin}/min, degraded from ${rule.degradedPerMin}/min. In single-snapshot analysis: info when non-zero, warn from ${rule.snapshotWarn}.`,
    },
  ];
  const sat = saturationValue(rule.bits);
  if (sat !== undefined) {
    rows.push({
      code: `ib.counter.${name}.saturated`,
      severity: 'warn',
      action: 'none',
      kind: 'condition',
      meaning: `${name} is stuck at its ${rule.bits}-bit maximum (${sat}): at least that many since the last reset, and further increases are invisible until it is reset (perfquery -R).`,
    });
  }
  return rows;
});

/** The rdma area's finding codes. */
export const rdmaCatalog: readonly RdmaCatalogEntry[] = [...fixed, ...counters];
