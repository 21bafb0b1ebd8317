/**
 * Pure gpu rules: what nvidia-smi showed (a snapshot, NVLink status, error messages, or a failed
 * run) + the previous state + now + settings → observations, metric samples and the next state.
 *
 * Decisions written down:
 * - `live` mode judges throttle reasons as the fraction of samples in a sliding window (a single
 *   sample never alerts), PCIe downtraining over consecutive samples, SBE and PCIe replay counts as
 *   increases over a window. `snapshot` mode (`keelson analyze`, one capture) has no history: an
 *   active throttle reason or a busy downtrained link is reported as warn (worth a look, not proof
 *   of a persistent fault); counter rates are not judged at all.
 * - PCIe downtraining only counts while the GPU is busy: idle GPUs lower their link speed (and
 *   some their width) to save power, so an idle GPU at Gen1 is healthy.
 * - gpu.missing needs an expectation (setting or the PCI bus); a capture's `attached_gpus` is not
 *   one, because it comes from the same NVML count as the `<gpu>` list — a mismatch only arises
 *   from trimming the capture (as committed in the corpus telegraf/pai files), never from a GPU
 *   falling off the bus.
 * - Components are `gpu:<index>`; the index is nvidia-smi's enumeration order where the format
 *   does not print it (XML, -q text), and `gpu:<bus id>` where no index is known.
 */
import { counterDelta } from '../../core/counter.ts';
import { capEvidence, type Observation, type Severity } from '../../core/finding.ts';
import type { MetricSample } from '../types.ts';
import { catalogEntry, type GpuCode } from './catalog.ts';
import type { NvlinkReport } from './parse-nvlink.ts';
import { type GpuRecord, type GpuSnapshot, gpuComponent, type SmiIssue } from './record.ts';
import type { GpuSettings } from './settings.ts';

/** Why a run produced no usable snapshot. */
export type SmiFailure = 'missing' | 'timeout' | 'failed';

/** What one read (or one capture) showed. */
export interface GpuInput {
  snapshot?: GpuSnapshot;
  nvlink?: NvlinkReport;
  /** Error/warning messages nvidia-smi printed (stdout and stderr). */
  issues: SmiIssue[];
  /** The command failed without a usable snapshot; `detail` is the error text. */
  failure?: { kind: SmiFailure; detail: string };
  /** Bus ids of the NVIDIA display/3D controllers on the PCI bus, when the read step looked. */
  pciGpus?: string[];
}

/** One sample of the windowed throttle reasons. */
interface ThrottleSample {
  at: number;
  hwSlowdown?: boolean;
  hwThermal?: boolean;
  powerBrake?: boolean;
  swThermal?: boolean;
}

/** One counter reading kept for a windowed rate. */
interface Reading {
  at: number;
  value: number;
}

/** What the rules remember about one GPU between runs. */
export interface GpuHistory {
  throttle: ThrottleSample[];
  sbe: Reading[];
  replays: Reading[];
  pcieStreak: number;
}

/** The probe state: per GPU (keyed by UUID, else bus id, else index) history. */
export interface GpuState {
  gpus: Record<string, GpuHistory>;
}

/** Live (a series of runs) or snapshot (one capture, `keelson analyze`). */
export type RuleMode = 'live' | 'snapshot';

/** Result of one evaluation. */
export interface GpuEvaluation {
  observations: Observation[];
  metrics: MetricSample[];
  state: GpuState;
}

const MAX_SAMPLES = 720;

function observe(
  code: GpuCode,
  component: string,
  message: string,
  evidence: string,
  override?: { severity?: Severity; action?: Observation['action'] },
): Observation {
  const e = catalogEntry(code);
  return {
    code,
    component,
    severity: override?.severity ?? e.severity,
    action: override?.action ?? e.action,
    kind: e.kind,
    message,
    evidence: capEvidence(evidence),
  };
}

function historyKey(g: GpuRecord): string {
  return g.uuid ?? g.busId ?? `index:${g.index ?? '?'}`;
}

/** Keep readings inside the window, restarting after a counter reset (a value that went down). */
function windowed(prev: Reading[], cur: Reading, windowMs: number): Reading[] {
  const last = prev[prev.length - 1];
  const kept = last && counterDelta(last, cur) === undefined ? [] : prev.filter((r) => cur.at - r.at <= windowMs);
  return [...kept, cur].slice(-MAX_SAMPLES);
}

/** Increase over the kept readings (the first reading in the window to the newest). */
function windowIncrease(readings: Reading[]): number | undefined {
  const first = readings[0];
  const last = readings[readings.length - 1];
  if (!first || !last || first === last) return undefined;
  return counterDelta(first, last);
}

/** A GPU counts as busy when it is working; idle GPUs legitimately train PCIe down. */
function isBusy(g: GpuRecord, s: GpuSettings): boolean | undefined {
  if (g.clockEvents.gpuIdle === true) return false;
  if (g.utilization.gpu !== undefined) return g.utilization.gpu >= s.busyUtilPercent;
  if (g.power.draw !== undefined && g.power.limit !== undefined && g.power.limit > 0) {
    return g.power.draw / g.power.limit >= 0.3;
  }
  return undefined;
}

/** Degrees left before slowdown, from absolute thresholds or T.Limit margins. */
function slowdownHeadroom(t: GpuRecord['temperature']): { headroom: number; evidence: string } | undefined {
  if (t.gpu !== undefined && t.slowdown !== undefined && t.slowdown > 0) {
    return { headroom: t.slowdown - t.gpu, evidence: `GPU ${t.gpu} C, slowdown at ${t.slowdown} C` };
  }
  if (t.tlimitMargin !== undefined) {
    // Without the slowdown margin (CSV), take T.Limit itself (margin 0): 2 °C more cautious than H100's -2.
    const slow = t.slowdownTlimit ?? 0;
    return {
      headroom: t.tlimitMargin - slow,
      evidence: `T.Limit margin ${t.tlimitMargin} C, slowdown at T.Limit margin ${slow} C`,
    };
  }
  return undefined;
}

const NVLINK_PARTS = /SXM|HBM|H200|H800|B100|B200|B300|GB200|GB300|GH200/i;

function recoveryOverride(value: string): { severity: Severity; action: Observation['action'] } {
  const v = value.toLowerCase();
  if (v.includes('reboot')) return { severity: 'fatal', action: 'reboot' };
  if (v.includes('drain')) return { severity: 'degraded', action: 'drain' };
  return { severity: 'degraded', action: 'reset-gpu' };
}

function perGpu(
  g: GpuRecord,
  hist: GpuHistory,
  now: number,
  s: GpuSettings,
  mode: RuleMode,
  partial: boolean,
  out: Observation[],
): void {
  const comp = gpuComponent(g);
  const who = `GPU ${g.index ?? g.busId ?? '?'}${g.busId ? ` (${g.busId})` : ''}`;

  // ECC
  const vol = g.ecc.volatile;
  if (vol.dbe !== undefined && vol.dbe > 0) {
    const parts = [`volatile DBE=${vol.dbe}`];
    if (vol.dramUncorrectable !== undefined) parts.push(`DRAM=${vol.dramUncorrectable}`);
    if (vol.sramUncorrectable !== undefined) parts.push(`SRAM=${vol.sramUncorrectable}`);
    if (g.ecc.aggregate.dbe !== undefined) parts.push(`aggregate DBE=${g.ecc.aggregate.dbe}`);
    out.push(
      observe(
        'gpu.ecc.dbe',
        comp,
        `${who} had ${vol.dbe} uncorrectable ECC error(s) since the driver loaded`,
        parts.join(' '),
      ),
    );
  }
  const sbeValue = vol.sbe ?? g.ecc.aggregate.sbe;
  if (mode === 'live' && sbeValue !== undefined) {
    hist.sbe = windowed(hist.sbe, { at: now, value: sbeValue }, s.sbeWindowMs);
    const inc = windowIncrease(hist.sbe);
    if (inc !== undefined && inc >= s.sbeThreshold) {
      const mins = Math.round(s.sbeWindowMs / 60_000);
      out.push(
        observe(
          'gpu.ecc.sbe.rate',
          comp,
          `${who}: ${inc} correctable ECC errors within ${mins} min`,
          `SBE ${hist.sbe[0]?.value} -> ${sbeValue}`,
        ),
      );
    }
  }

  // Retired pages (pre-Ampere) and row remapping (Ampere+)
  const rp = g.retiredPages;
  if (rp.pending === true) {
    out.push(
      observe(
        'gpu.retired_pages.pending',
        comp,
        `${who} has pages pending retirement; a GPU reset applies them`,
        `retired pages SBE=${rp.sbe ?? 'n/a'} DBE=${rp.dbe ?? 'n/a'} pending=Yes`,
      ),
    );
  }
  const retired = (rp.sbe ?? 0) + (rp.dbe ?? 0);
  if (retired >= s.retiredPagesLimit) {
    out.push(
      observe(
        'gpu.retired_pages.limit',
        comp,
        `${who} has retired ${retired} pages (limit ${s.retiredPagesLimit})`,
        `retired pages SBE=${rp.sbe ?? 0} DBE=${rp.dbe ?? 0}`,
      ),
    );
  }
  const rr = g.remappedRows;
  if (rr?.failure === true) {
    out.push(
      observe(
        'gpu.rowremap.failure',
        comp,
        `${who}: row remapping failed`,
        `remapped rows correctable=${rr.correctable ?? 'n/a'} uncorrectable=${rr.uncorrectable ?? 'n/a'} failure=Yes`,
      ),
    );
  }
  if (rr?.pending === true) {
    out.push(
      observe(
        'gpu.rowremap.pending',
        comp,
        `${who} has a row remapping pending; a GPU reset applies it`,
        `remapped rows correctable=${rr.correctable ?? 'n/a'} uncorrectable=${rr.uncorrectable ?? 'n/a'} pending=Yes`,
      ),
    );
  }

  // Recovery flags
  const flag =
    g.recoveryAction && g.recoveryAction.toLowerCase() !== 'none'
      ? { value: g.recoveryAction, evidence: `gpu_recovery_action=${g.recoveryAction}` }
      : g.drainAndResetRecommended
        ? { value: 'Drain and Reset', evidence: 'Drain and Reset Recommended: Yes' }
        : g.resetRequired
          ? { value: 'Reset', evidence: 'Reset Required: Yes' }
          : undefined;
  if (flag) {
    out.push(
      observe(
        'gpu.recovery_action',
        comp,
        `${who}: the driver asks for "${flag.value}"`,
        flag.evidence,
        recoveryOverride(flag.value),
      ),
    );
  }

  // Throttle reasons
  const ce = g.clockEvents;
  const reasons: [GpuCode, keyof Omit<ThrottleSample, 'at'>, boolean | undefined, string][] = [
    ['gpu.throttle.hw_slowdown', 'hwSlowdown', ce.hwSlowdown, 'HW Slowdown'],
    ['gpu.throttle.hw_thermal', 'hwThermal', ce.hwThermalSlowdown, 'HW Thermal Slowdown'],
    ['gpu.throttle.power_brake', 'powerBrake', ce.hwPowerBrakeSlowdown, 'HW Power Brake Slowdown'],
    ['gpu.throttle.sw_thermal', 'swThermal', ce.swThermalSlowdown, 'SW Thermal Slowdown'],
  ];
  if (mode === 'live') {
    const sample: ThrottleSample = { at: now };
    for (const [, key, value] of reasons) if (value !== undefined) sample[key] = value;
    hist.throttle = [...hist.throttle.filter((x) => now - x.at < s.throttleWindowMs && x.at < now), sample].slice(
      -MAX_SAMPLES,
    );
  }
  for (const [code, key, value, label] of reasons) {
    if (mode === 'snapshot') {
      if (value === true) {
        out.push(
          observe(code, comp, `${who}: ${label} active in this snapshot`, `${label}: Active`, { severity: 'warn' }),
        );
      }
      continue;
    }
    const seen = hist.throttle.filter((x) => x[key] !== undefined);
    const active = seen.filter((x) => x[key] === true).length;
    if (seen.length >= s.throttleMinSamples && active / seen.length >= s.throttleFraction && value === true) {
      const mins = Math.round(s.throttleWindowMs / 60_000);
      out.push(
        observe(
          code,
          comp,
          `${who}: ${label} active in ${active} of ${seen.length} samples over ${mins} min`,
          `${label}: Active (${active}/${seen.length} samples)`,
        ),
      );
    }
  }

  // Temperature
  const head = slowdownHeadroom(g.temperature);
  if (head && head.headroom <= s.temperatureMarginC) {
    out.push(
      observe(
        'gpu.temperature.high',
        comp,
        `${who} is ${head.headroom} C from its slowdown temperature`,
        head.evidence,
      ),
    );
  }

  // PCIe link
  const p = g.pcie;
  const genLow = p.genCurrent !== undefined && p.genMax !== undefined && p.genCurrent < p.genMax;
  const widthLow = p.widthCurrent !== undefined && p.widthMax !== undefined && p.widthCurrent < p.widthMax;
  const busy = isBusy(g, s) === true;
  const downNow = (genLow || widthLow) && busy;
  hist.pcieStreak = downNow ? hist.pcieStreak + 1 : 0;
  if (downNow && (mode === 'snapshot' || hist.pcieStreak >= s.pcieConsecutive)) {
    const ev = `PCIe Gen ${p.genCurrent ?? '?'}/${p.genMax ?? '?'} x${p.widthCurrent ?? '?'}/x${p.widthMax ?? '?'} at ${g.utilization.gpu ?? '?'}% utilisation`;
    out.push(
      observe(
        'gpu.pcie.downtrained',
        comp,
        `${who}: PCIe link below its maximum while busy`,
        ev,
        mode === 'snapshot' ? { severity: 'warn' } : undefined,
      ),
    );
  }
  if (mode === 'live' && p.replays !== undefined) {
    hist.replays = windowed(hist.replays, { at: now, value: p.replays }, s.replayWindowMs);
    const inc = windowIncrease(hist.replays);
    if (inc !== undefined && inc >= s.replayThreshold) {
      out.push(
        observe(
          'gpu.pcie.replay.rate',
          comp,
          `${who}: ${inc} PCIe replays within ${Math.round(s.replayWindowMs / 60_000)} min`,
          `replays ${hist.replays[0]?.value} -> ${p.replays}`,
        ),
      );
    }
  }

  // Fabric
  const f = g.fabric;
  if (f) {
    const statusBad =
      f.state?.toLowerCase() === 'completed' && f.status !== undefined && f.status.toLowerCase() !== 'success';
    const healthBad = f.health !== undefined && f.health.toLowerCase() !== 'healthy';
    if (statusBad || healthBad) {
      out.push(
        observe(
          'gpu.fabric.unhealthy',
          comp,
          `${who}: GPU fabric ${statusBad ? `registration ended with ${f.status}` : `health is ${f.health}`}`,
          `fabric state=${f.state ?? 'n/a'} status=${f.status ?? 'n/a'} health=${f.health ?? 'n/a'}`,
        ),
      );
    }
  }

  // Configuration
  if (s.persistenceRequired && g.persistenceMode === false) {
    out.push(observe('gpu.persistence.off', comp, `${who}: persistence mode is off`, 'Persistence Mode: Disabled'));
  }
  if (s.expectedMig !== undefined && !partial) {
    const want = s.expectedMig === 'enabled';
    const have = g.mig.current;
    if ((have ?? false) !== want) {
      out.push(
        observe(
          'gpu.mig.mismatch',
          comp,
          `${who}: MIG is ${have === undefined ? 'not available' : have ? 'enabled' : 'disabled'}, expected ${s.expectedMig}`,
          `MIG current=${have === undefined ? 'N/A' : have ? 'Enabled' : 'Disabled'} pending=${g.mig.pending === undefined ? 'N/A' : g.mig.pending ? 'Enabled' : 'Disabled'}`,
        ),
      );
    }
  }
  if (g.fieldErrors.length > 0) {
    out.push(
      observe(
        'gpu.smi.field_error',
        comp,
        `${who}: nvidia-smi could not read ${g.fieldErrors.length} field(s)`,
        g.fieldErrors.join('; '),
      ),
    );
  }
}

function nvlinkRules(report: NvlinkReport, s: GpuSettings, out: Observation[]): void {
  const peersHaveLinks = report.gpus.some((g) => g.links.some((l) => l.state === 'active'));
  for (const g of report.gpus) {
    if (g.unsupported) continue;
    const comp = `gpu:${g.index}`;
    const inactive = g.links.filter((l) => l.state === 'inactive');
    const active = g.links.filter((l) => l.state === 'active');
    const allDown = g.allInactive || (g.links.length > 0 && active.length === 0 && inactive.length === g.links.length);
    if (!allDown && inactive.length > 0) {
      out.push(
        observe(
          'gpu.nvlink.inactive',
          comp,
          `GPU ${g.index}: ${inactive.length} of ${g.links.length} NVLinks inactive`,
          `${g.line} ${inactive.map((l) => l.raw).join('; ')}`,
        ),
      );
      continue;
    }
    if (!allDown) continue;
    const expected = s.expectNvlink ?? (NVLINK_PARTS.test(g.name ?? '') || peersHaveLinks);
    if (expected) {
      out.push(
        observe(
          'gpu.nvlink.inactive',
          comp,
          `GPU ${g.index}: all NVLinks inactive`,
          g.allInactive ? `${g.line} all links are inactive` : `${g.line} ${inactive.map((l) => l.raw).join('; ')}`,
        ),
      );
    }
  }
}

function issueRules(issues: SmiIssue[], byBus: Map<string, GpuRecord>, out: Observation[]): void {
  const comp = (busId: string | undefined) => {
    if (!busId) return 'host';
    const g = byBus.get(busId);
    return g ? gpuComponent(g) : `gpu:${busId}`;
  };
  const seen = new Set<string>();
  for (const i of issues) {
    const key = `${i.kind}\u0000${i.busId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    switch (i.kind) {
      case 'no_devices':
        out.push(observe('gpu.smi.no_devices', 'host', 'nvidia-smi found no GPU', i.line));
        break;
      case 'lost':
        out.push(
          observe(
            'gpu.smi.lost',
            comp(i.busId),
            `GPU ${i.busId ?? '(bus unknown)'} is lost (no device handle)`,
            i.line,
          ),
        );
        break;
      case 'nvml_init':
        out.push(observe('gpu.smi.nvml_init', 'driver', 'nvidia-smi cannot initialise NVML', i.line));
        break;
      case 'inforom':
        out.push(observe('gpu.inforom.corrupted', comp(i.busId), `infoROM corrupted on GPU ${i.busId ?? '?'}`, i.line));
        break;
      case 'unknown_error':
        out.push(observe('gpu.smi.unknown_error', 'host', 'nvidia-smi printed "Unknown Error"', i.line));
        break;
    }
  }
}

/** Metric samples for one snapshot, labelled by `gpu` (index, or bus id). */
export function gpuMetrics(snapshot: GpuSnapshot | undefined): MetricSample[] {
  if (!snapshot) return [];
  const out: MetricSample[] = [];
  if (!snapshot.partial) out.push({ name: 'gpu_count', value: snapshot.gpus.length });
  for (const g of snapshot.gpus) {
    const labels = { gpu: String(g.index ?? g.busId ?? 'unknown') };
    const add = (name: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) out.push({ name, value, labels });
    };
    add('gpu_temperature_celsius', g.temperature.gpu);
    add('gpu_memory_temperature_celsius', g.temperature.memory);
    add('gpu_power_draw_watts', g.power.draw);
    add('gpu_utilization_ratio', g.utilization.gpu === undefined ? undefined : g.utilization.gpu / 100);
    add('gpu_memory_used_bytes', g.memory.usedMiB === undefined ? undefined : g.memory.usedMiB * 1024 * 1024);
    add('gpu_memory_total_bytes', g.memory.totalMiB === undefined ? undefined : g.memory.totalMiB * 1024 * 1024);
    add('gpu_ecc_sbe_volatile_total', g.ecc.volatile.sbe);
    add('gpu_ecc_dbe_volatile_total', g.ecc.volatile.dbe);
    add('gpu_ecc_sbe_aggregate_total', g.ecc.aggregate.sbe);
    add('gpu_ecc_dbe_aggregate_total', g.ecc.aggregate.dbe);
    add('gpu_pcie_replays_total', g.pcie.replays);
    add('gpu_pcie_gen_current', g.pcie.genCurrent);
    add('gpu_pcie_gen_max', g.pcie.genMax);
    add('gpu_pcie_width_current', g.pcie.widthCurrent);
    add('gpu_pcie_width_max', g.pcie.widthMax);
    const flag = (b: boolean | undefined) => (b === undefined ? undefined : b ? 1 : 0);
    add('gpu_remapped_rows_uncorrectable', g.remappedRows?.uncorrectable);
    add('gpu_remapped_rows_pending', flag(g.remappedRows?.pending));
    add('gpu_remapped_rows_failure', flag(g.remappedRows?.failure));
    add('gpu_throttle_hw_slowdown', flag(g.clockEvents.hwSlowdown));
    add('gpu_throttle_hw_thermal', flag(g.clockEvents.hwThermalSlowdown));
    add('gpu_throttle_power_brake', flag(g.clockEvents.hwPowerBrakeSlowdown));
  }
  return out;
}

/** Judge one read (or one capture). Pure: the same inputs always give the same outputs. */
export function evaluateGpu(
  input: GpuInput,
  previous: GpuState | undefined,
  now: number,
  settings: GpuSettings,
  mode: RuleMode,
): GpuEvaluation {
  const out: Observation[] = [];
  const state: GpuState = { gpus: {} };
  const snap = input.snapshot;
  const byBus = new Map<string, GpuRecord>();
  for (const g of snap?.gpus ?? []) if (g.busId) byBus.set(g.busId, g);

  if (input.failure && !snap && input.issues.length === 0) {
    const { kind, detail } = input.failure;
    if (kind === 'missing') {
      const n = input.pciGpus?.length ?? 0;
      out.push(
        observe(
          'gpu.smi.missing',
          'host',
          `nvidia-smi is not installed but ${n} NVIDIA GPU(s) are on the PCI bus`,
          detail,
        ),
      );
    } else if (kind === 'timeout') {
      out.push(observe('gpu.smi.timeout', 'driver', 'nvidia-smi did not finish in time', detail));
    } else {
      out.push(observe('gpu.smi.failed', 'driver', 'nvidia-smi failed', detail));
    }
  }
  issueRules([...(snap?.issues ?? []), ...input.issues], byBus, out);

  if (snap) {
    const expected = settings.expectedCount ?? (mode === 'live' ? input.pciGpus?.length : undefined);
    const seen = snap.gpus.length;
    if (
      expected !== undefined &&
      seen < expected &&
      !(seen === 0 && input.issues.some((i) => i.kind === 'no_devices'))
    ) {
      const absent = (input.pciGpus ?? []).filter((b) => !byBus.has(b));
      out.push(
        observe(
          'gpu.missing',
          'host',
          `nvidia-smi lists ${seen} of ${expected} expected GPUs`,
          `nvidia-smi: ${seen} GPU(s), expected ${expected}${absent.length ? `; absent: ${absent.join(', ')}` : ''}`,
        ),
      );
    }
    for (const g of snap.gpus) {
      const key = historyKey(g);
      const prev = previous?.gpus[key];
      const hist: GpuHistory = {
        throttle: [...(prev?.throttle ?? [])],
        sbe: [...(prev?.sbe ?? [])],
        replays: [...(prev?.replays ?? [])],
        pcieStreak: prev?.pcieStreak ?? 0,
      };
      perGpu(g, hist, now, settings, mode, snap.partial, out);
      state.gpus[key] = hist;
    }
  } else if (previous) {
    // Keep history through a failed run so one bad read does not reset the windows.
    state.gpus = previous.gpus;
  }
  if (input.nvlink) nvlinkRules(input.nvlink, settings, out);
  return { observations: out, metrics: gpuMetrics(snap), state };
}
