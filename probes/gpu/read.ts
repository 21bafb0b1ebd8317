/**
 * The gpu probe's only I/O: NVIDIA devices on the PCI bus (below ctx.roots.sys) and nvidia-smi
 * through ctx.runner — `-q -x` first, `--query-gpu` CSV when the XML does not parse, then
 * `nvlink -s`. A missing or hung nvidia-smi comes back as a failure for the rules to judge.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isKeelsonError, type KeelsonError } from '../../core/errors.ts';
import type { CommandOutput } from '../runner.ts';
import type { ProbeContext, ProbeDefaults } from '../types.ts';
import { GPU_QUERY_FIELDS, GPU_QUERY_FIELDS_LEGACY, GPU_QUERY_FIELDS_R535, parseSmiCsv } from './parse-csv.ts';
import { scanSmiIssues } from './parse-errors.ts';
import { parseNvlinkStatus } from './parse-nvlink.ts';
import { parseSmiXmlSteps } from './parse-xml.ts';
import { type GpuSnapshot, normalizeBusId } from './record.ts';
import type { GpuInput } from './rules.ts';

/** The command every gpu read runs. */
export const NVIDIA_SMI = 'nvidia-smi';

const NVIDIA_VENDOR = '0x10de';
/** PCI classes of GPUs: VGA-compatible (0x0300xx) and 3D controller (0x0302xx); NVSwitches are bridges (0x0680). */
const GPU_CLASS = /^0x030[02]/i;

/**
 * Bus ids of NVIDIA display/3D controllers under `<sys>/bus/pci/devices`, or undefined when that
 * directory cannot be read (not Linux, or a sandbox without sysfs).
 */
export async function listNvidiaPciGpus(sysRoot: string): Promise<string[] | undefined> {
  const dir = join(sysRoot, 'bus', 'pci', 'devices');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const found: string[] = [];
  for (const name of names.sort()) {
    try {
      const [vendor, cls] = await Promise.all([
        readFile(join(dir, name, 'vendor'), 'utf8'),
        readFile(join(dir, name, 'class'), 'utf8'),
      ]);
      if (vendor.trim().toLowerCase() === NVIDIA_VENDOR && GPU_CLASS.test(cls.trim())) {
        found.push(normalizeBusId(name) ?? name);
      }
    } catch {
      // A device without readable vendor/class files is not one we can judge.
    }
  }
  return found;
}

type SmiRun = { ok: true; out: CommandOutput } | { ok: false; code: string; message: string; out?: CommandOutput };

async function runSmi(ctx: ProbeContext, args: string[], timeoutMs: number, capBytes: number): Promise<SmiRun> {
  try {
    const out = await ctx.runner.run(NVIDIA_SMI, args, {
      timeoutMs: Math.max(1000, timeoutMs),
      outputCapBytes: capBytes,
      signal: ctx.signal,
    });
    return { ok: true, out };
  } catch (e) {
    if (!isKeelsonError(e)) {
      return { ok: false, code: 'CMD_FAILED', message: e instanceof Error ? e.message : String(e) };
    }
    const out = (e as KeelsonError & { output?: CommandOutput }).output;
    return out ? { ok: false, code: e.code, message: e.message, out } : { ok: false, code: e.code, message: e.message };
  }
}

const text = (r: SmiRun) => (r.out ? `${r.out.stdout}\n${r.out.stderr}` : '');

/** nvidia-smi answers at all (help needs no GPU); false only when it is not installed. */
export async function smiInstalled(ctx: ProbeContext): Promise<boolean> {
  const r = await runSmi(ctx, ['-h'], 5000, 256 * 1024);
  return r.ok || r.code !== 'CMD_MISSING';
}

/** Ask `--query-gpu` with the newest field list the driver accepts. */
async function readCsv(ctx: ProbeContext, timeoutMs: number, cap: number): Promise<GpuSnapshot | undefined> {
  for (const fields of [GPU_QUERY_FIELDS, GPU_QUERY_FIELDS_R535, GPU_QUERY_FIELDS_LEGACY]) {
    const r = await runSmi(ctx, [`--query-gpu=${fields.join(',')}`, '--format=csv'], timeoutMs, cap);
    if (!r.ok && (r.code === 'CMD_TIMEOUT' || r.code === 'CMD_MISSING')) return undefined;
    if (!r.out) continue;
    if (/is not a valid field/i.test(text(r))) continue;
    try {
      return parseSmiCsv(r.out.stdout);
    } catch (e) {
      if (!isKeelsonError(e, 'PARSE_FAILED')) throw e;
    }
  }
  return undefined;
}

/** parseSmiXml, letting the event loop run between GPUs (a real 8-GPU document is ~400 KB). */
export async function parseSmiXmlYielding(xml: string): Promise<GpuSnapshot> {
  const steps = parseSmiXmlSteps(xml);
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** One read of everything the gpu rules judge. */
export async function readGpu(ctx: ProbeContext, defaults: ProbeDefaults): Promise<GpuInput> {
  const started = ctx.clock.now();
  const left = () => defaults.timeoutMs - (ctx.clock.now() - started);
  const cap = defaults.outputCapBytes;
  const input: GpuInput = { issues: [] };
  const pci = await listNvidiaPciGpus(ctx.roots.sys);
  if (pci) input.pciGpus = pci;

  const xml = await runSmi(ctx, ['-q', '-x'], left() * 0.6, cap);
  input.issues.push(...scanSmiIssues(text(xml)));
  if (!xml.ok && xml.code === 'CMD_MISSING') {
    input.failure = { kind: 'missing', detail: xml.message };
    return input;
  }
  if (!xml.ok && xml.code === 'CMD_TIMEOUT') {
    input.failure = { kind: 'timeout', detail: xml.message };
    return input;
  }
  let snapshot: GpuSnapshot | undefined;
  let parseError = '';
  if (xml.out?.stdout.includes('<nvidia_smi_log')) {
    try {
      snapshot = await parseSmiXmlYielding(xml.out.stdout);
    } catch (e) {
      if (!isKeelsonError(e, 'PARSE_FAILED')) throw e;
      parseError = e.message;
    }
  }
  const fatalIssue = input.issues.some((i) => i.kind === 'no_devices' || i.kind === 'nvml_init');
  if (!snapshot && !fatalIssue) snapshot = await readCsv(ctx, left() * 0.7, cap);
  if (!snapshot) {
    const detail = xml.ok ? parseError || 'nvidia-smi -q -x printed no XML' : xml.message;
    input.failure = { kind: 'failed', detail };
    return input;
  }
  input.snapshot = snapshot;

  const nv = await runSmi(ctx, ['nvlink', '-s'], left(), cap);
  if (nv.out) {
    try {
      input.nvlink = parseNvlinkStatus(nv.out.stdout || nv.out.stderr);
    } catch (e) {
      if (!isKeelsonError(e, 'PARSE_FAILED')) throw e;
    }
  }
  return input;
}
