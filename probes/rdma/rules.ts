/**
 * Pure rules for InfiniBand / RoCE ports: port records + the previous run's memory + now +
 * settings in, observations and the next memory out. Decides which ports are the compute
 * fabric (expected set), down ports (sticky for a hold window; a port never seen healthy needs
 * evidence), slow ports (vs expectation or same-type siblings), flapping, counter rates
 * (surviving resets; saturated PMA counters flagged, not rated) and RoCE pause storms.
 */
import { type CounterReading, counterDelta } from '../../core/counter.ts';
import { KeelsonError } from '../../core/errors.ts';
import { type Action, capEvidence, type Observation, type Severity, severityRank } from '../../core/finding.ts';
import { COUNTER_RULES, type CounterRule, saturationValue } from './counters.ts';
import {
  type IbPortRecord,
  isPortDown,
  isPortUp,
  PHYS_STATES,
  PORT_STATES,
  parseSysfsPhysState,
  parseSysfsRate,
  parseSysfsState,
  portKey,
} from './parse.ts';
import { expectation, HCA_MAX_RATE_GBPS, type RdmaSettings } from './settings.ts';

/** What the rules remember about one port between runs. */
export interface PortMemory {
  /** Seen ACTIVE/LinkUp at least once since boot. */
  seenHealthy: boolean;
  /** Up at the last run (undefined when neither up nor down was known). */
  up?: boolean;
  /** Last run at which it was seen down, its severity then and its evidence (for the hold window). */
  lastDownAt?: number;
  downSeverity?: Severity;
  downEvidence?: string;
  /** Times of state transitions and link_downed increments, for flap detection. */
  flapEvents: number[];
  /** Last readings of judged counters and of ethtool pause counters. */
  counters: Record<string, CounterReading>;
  ethtool: Record<string, CounterReading>;
  /** When a port seen healthy disappeared from sysfs. */
  vanishedSince?: number;
  linkLayer?: string;
}

/** The rdma probe's memory between runs. */
export interface RdmaState {
  bootId?: string;
  at: number;
  ports: Record<string, PortMemory>;
}

/** A counter's rate this run (for metrics). */
export interface CounterRate {
  device: string;
  port: number;
  counter: string;
  perSec: number;
}

/** Output of one evaluation. */
export interface RdmaJudgement {
  observations: Observation[];
  state: RdmaState;
  rates: CounterRate[];
}

/** Most flap events remembered per port. */
const MAX_FLAP_EVENTS = 64;
/** Most flap events one link_downed increase may add. */
const MAX_EVENTS_PER_INCREMENT = 10;

function component(p: { device: string; port: number }): string {
  return `ib:${portKey(p)}`;
}

function groupKey(p: IbPortRecord): string {
  return `${p.hcaType ?? '?'}|${p.linkLayer ?? '?'}`;
}

function isEthernet(p: { linkLayer?: string | undefined }): boolean {
  return p.linkLayer === 'Ethernet';
}

/** Raw state / phys_state / rate of a port, for evidence. */
function portEvidence(p: IbPortRecord): string {
  const parts = [
    `state=${p.raw.state ?? p.state ?? '?'}`,
    `phys_state=${p.raw.physState ?? p.physState ?? '?'}`,
    `rate=${p.raw.rate ?? (p.rateGbps === undefined ? '?' : `${p.rateGbps}`)}`,
    `link_layer=${p.linkLayer ?? '?'}`,
  ];
  if (p.hcaType) parts.push(`hca_type=${p.hcaType}`);
  return capEvidence(`${portKey(p)}: ${parts.join(' ')}`);
}

/** Which ports make up the compute fabric, and how many expected ports are not there at all. */
interface Classification {
  /** Ports in the expected set (expectation given) or in a fabric group (none given). */
  expected: Set<string>;
  /** Groups (HCA type | link layer) that carry the compute fabric. */
  fabricGroups: Set<string>;
  /** Expected ports that no present port can account for. */
  shortfall: number;
  /** The expectation in force, if any. */
  want?: { ports: number; rateGbps: number };
}

/**
 * Decide the expected set. With an expectation (N ports at R Gb/s): the up ports at ≥ R, and
 * if fewer than N, as many other ports of fabric groups (a group with a port up at ≥ R, or an
 * HCA type able to run at R; or an HCA type we cannot tell, on the fabric's link layer) as are
 * missing, those seen healthy before first. Without one:
 * every port of the groups that hold the fastest up port.
 */
function classifyPorts(
  records: IbPortRecord[],
  memory: Record<string, PortMemory>,
  settings: RdmaSettings,
): Classification {
  const want = expectation(settings);
  const expected = new Set<string>();
  const fabricGroups = new Set<string>();
  if (want) {
    const meeting = records.filter((p) => isPortUp(p) && (p.rateGbps ?? 0) >= want.rateGbps);
    for (const p of meeting) {
      expected.add(portKey(p));
      fabricGroups.add(groupKey(p));
    }
    for (const p of records) {
      const max = p.hcaType ? HCA_MAX_RATE_GBPS[p.hcaType]?.maxGbps : undefined;
      if (max !== undefined && max >= want.rateGbps) fabricGroups.add(groupKey(p));
    }
    let shortfall = Math.max(0, want.ports - meeting.length);
    if (shortfall > 0) {
      // A port of unknown capability (no or unlisted HCA type) may stand in for a missing one when its link layer matches.
      const meetingLayers = new Set(meeting.map((p) => p.linkLayer));
      const unknownCapable = (p: IbPortRecord) =>
        (p.hcaType === undefined || HCA_MAX_RATE_GBPS[p.hcaType] === undefined) &&
        (meetingLayers.size === 0 || meetingLayers.has(p.linkLayer));
      const candidates = records
        .filter((p) => !expected.has(portKey(p)) && (fabricGroups.has(groupKey(p)) || unknownCapable(p)))
        .sort((a, b) => {
          const sa = memory[portKey(a)]?.seenHealthy ? 0 : 1;
          const sb = memory[portKey(b)]?.seenHealthy ? 0 : 1;
          return sa - sb || naturalCompare(portKey(a), portKey(b));
        });
      for (const p of candidates.slice(0, shortfall)) expected.add(portKey(p));
      shortfall -= Math.min(shortfall, candidates.length);
    }
    return { expected, fabricGroups, shortfall, want };
  }
  const up = records.filter((p) => isPortUp(p) && p.rateGbps !== undefined);
  const fastest = Math.max(...up.map((p) => p.rateGbps ?? 0));
  for (const p of up) if (p.rateGbps === fastest) fabricGroups.add(groupKey(p));
  for (const p of records) if (fabricGroups.has(groupKey(p))) expected.add(portKey(p));
  return { expected, fabricGroups, shortfall: 0 };
}

/** Compare `mlx5_10/1` after `mlx5_9/1`. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function obs(
  code: string,
  comp: string,
  severity: Severity,
  action: Action,
  message: string,
  evidence: string,
): Observation {
  return { code, component: comp, severity, action, kind: 'condition', message, evidence: capEvidence(evidence) };
}

function downSeverity(
  p: IbPortRecord,
  cls: Classification,
  mem: PortMemory | undefined,
  records: IbPortRecord[],
): { severity: Severity; why: string } {
  if (cls.expected.has(portKey(p))) {
    return {
      severity: 'degraded',
      why: cls.want
        ? `it is one of the ${cls.want.ports} expected ${cls.want.rateGbps} Gb/s fabric ports`
        : 'ports of the same HCA type and link layer carry the fabric and are up',
    };
  }
  if (mem?.seenHealthy) {
    return isEthernet(p)
      ? { severity: 'warn', why: 'it was up earlier (Ethernet port outside the compute fabric)' }
      : { severity: 'degraded', why: 'it was up earlier' };
  }
  if (p.physState === 'LinkUp') {
    return {
      severity: 'warn',
      why: 'the link is physically up (cabled to a peer) but not ACTIVE: subnet manager or configuration',
    };
  }
  const siblingsUp = records.some((o) => o !== p && groupKey(o) === groupKey(p) && isPortUp(o));
  if (!isEthernet(p) && siblingsUp) {
    return { severity: 'warn', why: 'siblings of the same HCA type are up, but it is outside the expected fabric' };
  }
  return {
    severity: 'info',
    why: isEthernet(p)
      ? 'Ethernet port outside the compute fabric, never seen up (management or unused port)'
      : 'never seen up and not part of the expected fabric (unused port)',
  };
}

function judgeCounter(
  name: string,
  rule: CounterRule,
  p: IbPortRecord,
  mem: PortMemory,
  prevMem: PortMemory | undefined,
  now: number,
  bootId: string | undefined,
  settings: RdmaSettings,
  out: Observation[],
  rates: CounterRate[],
): number {
  const primary = rule.source === 'counters' ? p.counters : p.hwCounters;
  const value = primary[name] ?? (rule.source === 'counters' ? p.hwCounters[name] : p.counters[name]);
  if (value === undefined || !Number.isFinite(value) || value < 0) return 0;
  const over = settings.counterThresholds[name] ?? {};
  const warnPerMin = over.warnPerMin ?? rule.warnPerMin;
  const degradedPerMin = over.degradedPerMin ?? rule.degradedPerMin;
  const snapshotWarn = over.snapshotWarn ?? rule.snapshotWarn;
  const comp = component(p);
  const reading: CounterReading = bootId === undefined ? { value, at: now } : { value, at: now, bootId };
  const prev = prevMem?.counters[name];
  mem.counters[name] = reading;
  const sat = saturationValue(rule.bits);
  let delta: number | undefined;
  if (!settings.singleSnapshot) {
    delta = counterDelta(prev, reading);
    if (delta !== undefined && sat !== undefined && delta > sat) delta = undefined;
  }
  if (sat !== undefined && value >= sat) {
    out.push({
      ...obs(
        `ib.counter.${name}.saturated`,
        comp,
        'warn',
        'none',
        `${portKey(p)} ${name} is stuck at its ${rule.bits}-bit maximum ${sat}: at least that many since the last reset, and further increases cannot be seen (reset it with perfquery -R)`,
        `${name}=${value}`,
      ),
    });
    return delta ?? 0;
  }
  if (settings.singleSnapshot) {
    if (value <= 0) return 0;
    const severity: Severity = value >= snapshotWarn ? 'warn' : 'info';
    out.push(
      obs(
        `ib.counter.${name}`,
        comp,
        severity,
        'none',
        `${portKey(p)} ${name}=${value} since the last counter reset (one snapshot, so judged by absolute value; warn from ${snapshotWarn})`,
        `${name}=${value}`,
      ),
    );
    return 0;
  }
  if (delta === undefined || prev === undefined) return 0;
  const minutes = (now - prev.at) / 60_000;
  rates.push({ device: p.device, port: p.port, counter: name, perSec: delta / (minutes * 60) });
  const perMin = delta / minutes;
  let severity: Severity | undefined;
  if (delta > 0 && perMin >= degradedPerMin) severity = 'degraded';
  else if (delta > 0 && perMin >= warnPerMin) severity = 'warn';
  if (severity) {
    out.push(
      obs(
        `ib.counter.${name}`,
        comp,
        severity,
        severity === 'degraded' ? rule.degradedAction : 'none',
        `${portKey(p)} ${name} rose by ${delta} in ${Math.round(minutes * 60)} s (${perMin.toFixed(1)}/min; warn ${warnPerMin}/min, degraded ${degradedPerMin}/min)`,
        `${name}: ${prev.value} -> ${value}`,
      ),
    );
  }
  return delta;
}

const PAUSE_KEYS = {
  stormError: 'tx_pause_storm_error_events',
  stormWarn: 'tx_pause_storm_warning_events',
} as const;

function sumMatching(stats: Record<string, number>, re: RegExp): number | undefined {
  let total: number | undefined;
  for (const [k, v] of Object.entries(stats)) if (re.test(k)) total = (total ?? 0) + v;
  return total;
}

/** The pause-related totals of one `ethtool -S` reading. */
function pauseTotals(stats: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  const err = stats[PAUSE_KEYS.stormError];
  const warn = stats[PAUSE_KEYS.stormWarn];
  if (err !== undefined) out.stormError = err;
  if (warn !== undefined) out.stormWarn = warn;
  const dur = sumMatching(stats, /^rx_prio\d+_pause_duration$/);
  if (dur !== undefined) out.rxPauseDurationUs = dur;
  const frames = stats.rx_pause_ctrl_phy ?? sumMatching(stats, /^rx_prio\d+_pause$/);
  if (frames !== undefined) out.rxPauseFrames = frames;
  return out;
}

function judgePfc(
  p: IbPortRecord,
  mem: PortMemory,
  prevMem: PortMemory | undefined,
  now: number,
  bootId: string | undefined,
  settings: RdmaSettings,
  out: Observation[],
): void {
  if (!p.ethtool) return;
  const totals = pauseTotals(p.ethtool);
  const findings: { severity: Severity; text: string }[] = [];
  const cur = (k: string): CounterReading | undefined => {
    const v = totals[k];
    if (v === undefined) return undefined;
    return bootId === undefined ? { value: v, at: now } : { value: v, at: now, bootId };
  };
  for (const k of Object.keys(totals)) {
    const r = cur(k);
    if (r) mem.ethtool[k] = r;
  }
  if (settings.singleSnapshot) {
    if ((totals.stormError ?? 0) > 0)
      findings.push({ severity: 'warn', text: `${PAUSE_KEYS.stormError}=${totals.stormError}` });
    else if ((totals.stormWarn ?? 0) > 0)
      findings.push({ severity: 'info', text: `${PAUSE_KEYS.stormWarn}=${totals.stormWarn}` });
  } else {
    const d = (k: string) => {
      const c = cur(k);
      return c ? counterDelta(prevMem?.ethtool[k], c) : undefined;
    };
    const prevAt = prevMem?.ethtool.rxPauseDurationUs?.at ?? prevMem?.ethtool.rxPauseFrames?.at;
    const dErr = d('stormError');
    const dWarn = d('stormWarn');
    if (dErr !== undefined && dErr > 0)
      findings.push({ severity: 'degraded', text: `${PAUSE_KEYS.stormError} +${dErr} (pause transmission disabled)` });
    if (dWarn !== undefined && dWarn > 0)
      findings.push({ severity: 'warn', text: `${PAUSE_KEYS.stormWarn} +${dWarn}` });
    const dDur = d('rxPauseDurationUs');
    if (dDur !== undefined && prevAt !== undefined && now > prevAt) {
      const ratio = dDur / ((now - prevAt) * 1000);
      if (ratio >= settings.pfcPausedDegradedRatio)
        findings.push({ severity: 'degraded', text: `paused ${(ratio * 100).toFixed(0)}% of the time` });
      else if (ratio >= settings.pfcPausedWarnRatio)
        findings.push({ severity: 'warn', text: `paused ${(ratio * 100).toFixed(0)}% of the time` });
    }
    const dFrames = d('rxPauseFrames');
    if (dFrames !== undefined && prevAt !== undefined && now > prevAt) {
      const perSec = dFrames / ((now - prevAt) / 1000);
      if (perSec >= settings.pfcPauseFramesWarnPerSec)
        findings.push({ severity: 'warn', text: `${Math.round(perSec)} pause frames/s received` });
    }
  }
  if (findings.length === 0) return;
  const worst = findings.reduce((a, b) => (severityRank(b.severity) > severityRank(a.severity) ? b : a));
  out.push(
    obs(
      'ib.roce.pfc',
      component(p),
      worst.severity,
      'none',
      `${portKey(p)} (${p.netdev ?? 'netdev ?'}) priority flow control pause storm: ${findings.map((f) => f.text).join('; ')}`,
      `${p.netdev ?? '?'}: ${findings.map((f) => f.text).join('; ')}`,
    ),
  );
}

/**
 * Judge one run. `previous` is the memory the last run returned (undefined on the first run or
 * in single-snapshot analysis); a different boot id starts the memory afresh.
 */
export function judgeRdma(
  records: IbPortRecord[],
  previousIn: RdmaState | undefined,
  now: number,
  settings: RdmaSettings,
  bootId?: string,
): RdmaJudgement {
  const previous =
    previousIn && (previousIn.bootId === undefined || bootId === undefined || previousIn.bootId === bootId)
      ? previousIn
      : undefined;
  const prevPorts = previous?.ports ?? {};
  const out: Observation[] = [];
  const rates: CounterRate[] = [];
  const state: RdmaState = bootId === undefined ? { at: now, ports: {} } : { bootId, at: now, ports: {} };
  const cls = classifyPorts(records, prevPorts, settings);

  for (const p of records) {
    const key = portKey(p);
    const prevMem = prevPorts[key];
    const mem: PortMemory = {
      seenHealthy: prevMem?.seenHealthy ?? false,
      flapEvents: (prevMem?.flapEvents ?? []).filter((t) => now - t < settings.flapWindowMs && t <= now),
      counters: {},
      ethtool: {},
    };
    if (p.linkLayer) mem.linkLayer = p.linkLayer;
    const up = isPortUp(p);
    const down = isPortDown(p);
    if ((up || down) && prevMem?.up !== undefined && prevMem.up !== up) mem.flapEvents.push(now);
    if (up || down) mem.up = up;
    else if (prevMem?.up !== undefined) mem.up = prevMem.up;

    // Down, or up again within the hold window.
    if (down) {
      const { severity, why } = downSeverity(p, cls, prevMem, records);
      const ev = portEvidence(p);
      out.push(
        obs(
          'ib.port.down',
          component(p),
          severity,
          severity === 'degraded' ? 'inspect-hardware' : 'none',
          `${key} is down (state ${p.state ?? '?'}, phys ${p.physState ?? '?'}); ${why}`,
          ev,
        ),
      );
      mem.lastDownAt = now;
      mem.downSeverity = severity;
      mem.downEvidence = ev;
    } else if (prevMem?.lastDownAt !== undefined && now - prevMem.lastDownAt < settings.downHoldMs) {
      const severity = prevMem.downSeverity ?? 'warn';
      mem.lastDownAt = prevMem.lastDownAt;
      mem.downSeverity = severity;
      if (prevMem.downEvidence) mem.downEvidence = prevMem.downEvidence;
      out.push(
        obs(
          'ib.port.down',
          component(p),
          severity,
          severity === 'degraded' ? 'inspect-hardware' : 'none',
          `${key} was down ${Math.round((now - prevMem.lastDownAt) / 1000)} s ago; held for ${Math.round(settings.downHoldMs / 1000)} s after it came back so a brief up does not clear it`,
          prevMem.downEvidence ?? portEvidence(p),
        ),
      );
    }
    if (up) mem.seenHealthy = true;

    // Rate: below expectation, or slower than its siblings.
    if (up && p.rateGbps !== undefined) {
      const inExpected = cls.expected.has(key);
      if (cls.want && inExpected && p.rateGbps < cls.want.rateGbps) {
        out.push(
          obs(
            'ib.port.rate',
            component(p),
            'degraded',
            'inspect-hardware',
            `${key} runs at ${p.rateGbps} Gb/s; ${cls.want.ports} fabric ports are expected at ${cls.want.rateGbps} Gb/s`,
            portEvidence(p),
          ),
        );
      } else {
        const sib = records.filter(
          (o) => o !== p && groupKey(o) === groupKey(p) && isPortUp(o) && o.rateGbps !== undefined,
        );
        const fastest = Math.max(...sib.map((o) => o.rateGbps ?? 0));
        const meetsWant = cls.want !== undefined && p.rateGbps >= cls.want.rateGbps;
        if (sib.length > 0 && p.rateGbps < fastest && !meetsWant) {
          const faster = sib.filter((o) => (o.rateGbps ?? 0) > (p.rateGbps ?? 0)).length;
          const severity: Severity = inExpected ? 'degraded' : 'warn';
          out.push(
            obs(
              'ib.port.rate',
              component(p),
              severity,
              severity === 'degraded' ? 'inspect-hardware' : 'none',
              `${key} runs at ${p.rateGbps} Gb/s while ${faster} of its ${sib.length} sibling(s) (${p.hcaType ?? 'same type'}, ${p.linkLayer ?? '?'}) run at up to ${fastest} Gb/s`,
              portEvidence(p),
            ),
          );
        }
      }
    }

    // Counters (and link_downed increments as flap evidence).
    for (const [name, rule] of Object.entries(COUNTER_RULES)) {
      const delta = judgeCounter(name, rule, p, mem, prevMem, now, bootId, settings, out, rates);
      if (name === 'link_downed' && delta > 0) {
        for (let i = 0; i < Math.min(delta, MAX_EVENTS_PER_INCREMENT); i++) mem.flapEvents.push(now);
      }
    }
    if (mem.flapEvents.length > MAX_FLAP_EVENTS) mem.flapEvents = mem.flapEvents.slice(-MAX_FLAP_EVENTS);
    if (!settings.singleSnapshot && mem.flapEvents.length >= settings.flapThreshold) {
      out.push(
        obs(
          'ib.port.flap',
          component(p),
          'degraded',
          'inspect-hardware',
          `${key} changed state or lost its link ${mem.flapEvents.length} times in the last ${Math.round(settings.flapWindowMs / 60_000)} min (threshold ${settings.flapThreshold})`,
          `${portEvidence(p)} link_downed=${p.counters.link_downed ?? '?'} events=${mem.flapEvents.length}`,
        ),
      );
    }

    judgePfc(p, mem, prevMem, now, bootId, settings, out);
    state.ports[key] = mem;
  }

  // Ports seen healthy that vanished (HCA gone from sysfs).
  const present = new Set(records.map(portKey));
  for (const [key, mem] of Object.entries(prevPorts)) {
    if (present.has(key) || !mem.seenHealthy) continue;
    const since = mem.vanishedSince ?? now;
    state.ports[key] = { ...mem, vanishedSince: since, counters: {}, ethtool: {} };
    out.push(
      obs(
        'ib.port.missing',
        `ib:${key}`,
        'degraded',
        'inspect-hardware',
        `${key} was up earlier but is gone from /sys/class/infiniband since ${new Date(since).toISOString()}`,
        `${key}: absent`,
      ),
    );
  }
  if (cls.want && cls.shortfall > 0) {
    const have = cls.want.ports - cls.shortfall;
    out.push(
      obs(
        'ib.port.missing',
        'host',
        'degraded',
        'inspect-hardware',
        `${cls.want.ports} fabric ports at ${cls.want.rateGbps} Gb/s are expected but only ${have} present port(s) can account for them`,
        `expected=${cls.want.ports}x${cls.want.rateGbps} ports=${records.map(portKey).join(',') || 'none'}`,
      ),
    );
  }
  return { observations: out, state, rates };
}

/** Below this a port is not plausibly part of any GPU training fabric (EDR, 100 Gb/s, is the slowest still met). */
export const MIN_FABRIC_RATE_GBPS = 100;

const STATE_NAMES = new Set<string>([...PORT_STATES, 'UNKNOWN']);
const PHYS_NAMES = new Set<string>(PHYS_STATES);

/**
 * Judge the contents of one sysfs port file with no port identity (`keelson analyze` of a
 * copied `state`, `phys_state` or `rate`). With no peers and no expectation nothing can be
 * called degraded: DOWN / Polling / Disabled / Sleep (also what an unused port shows) are
 * `ib.port.down` info; INIT, ARMED, training, error recovery and `0: <unknown>` are warn; a rate
 * below MIN_FABRIC_RATE_GBPS (e.g. `5 Gb/sec (1X DDR)`, one lane at the slowest speed) is
 * `ib.port.rate` warn.
 */
export function judgeSysfsValue(text: string): Observation[] {
  const t = text.trim();
  const named = /^(\d+)\s*:\s*(.+)$/.exec(t);
  if (named) {
    const name = (named[2] ?? '').trim();
    const isState = STATE_NAMES.has(name.toUpperCase()) && name !== '<unknown>';
    if (isState || PHYS_NAMES.has(name) || /^[A-Za-z<]/.test(name)) {
      const state = isState ? parseSysfsState(t) : undefined;
      const phys = isState ? undefined : parseSysfsPhysState(t);
      if (state === 'ACTIVE' || state === 'ACTIVE_DEFER' || phys === 'LinkUp') return [];
      // DOWN / Polling / Disabled / Sleep are what an unused port shows too: info. INIT or ARMED
      // (linked, not activated), training, error recovery and an unknown phys state are abnormal: warn.
      const quiet = state === 'DOWN' || phys === 'Polling' || phys === 'Disabled' || phys === 'Sleep';
      const what = isState ? 'port state' : 'port physical state';
      return [
        obs(
          'ib.port.down',
          'ib:unknown',
          quiet ? 'info' : 'warn',
          'none',
          `${what} is ${t} (not ${isState ? 'ACTIVE' : 'LinkUp'}); the port and its peers are unknown, so it is not judged degraded`,
          t,
        ),
      ];
    }
  }
  const rate = parseSysfsRate(t);
  if (rate) {
    if (rate.gbps >= MIN_FABRIC_RATE_GBPS) return [];
    return [
      obs(
        'ib.port.rate',
        'ib:unknown',
        'warn',
        'none',
        `port rate ${t} is below ${MIN_FABRIC_RATE_GBPS} Gb/s, slower than any GPU fabric port${rate.width === 1 ? ' (one lane: downtrained width)' : ''}; no expectation or peers, so warn`,
        t,
      ),
    ];
  }
  throw new KeelsonError(
    'PARSE_FAILED',
    `not a sysfs state, phys_state or rate value: ${JSON.stringify(t.slice(0, 80))}`,
  );
}
