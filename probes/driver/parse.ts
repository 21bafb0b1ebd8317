/**
 * Pure parsers for the GPU software stack: `/proc/driver/nvidia/version`, `/proc/modules`,
 * the `nvidia-smi` header (driver and CUDA versions, or NVML's "Driver/library version
 * mismatch"), `nvidia-smi --query-gpu=driver_version --format=csv,noheader`,
 * `/usr/local/cuda/version.json` (or the older version.txt), `ofed_info -s`, NCCL's version
 * (nccl.h defines or the libnccl.so.X.Y.Z file name) and `systemctl is-active`.
 */
import { KeelsonError } from '../../core/errors.ts';

const VERSION = /\d+\.\d+(?:\.\d+)*/;

/** The loaded kernel module as /proc/driver/nvidia/version describes it. */
export interface NvidiaKernelModule {
  /** e.g. `535.161.08`. */
  version: string;
  /** `open` for the open GPU kernel modules, else `proprietary`. */
  flavor: 'open' | 'proprietary';
  /** e.g. `x86_64`, `aarch64`, when named. */
  arch?: string;
  /** The NVRM line, for evidence. */
  line: string;
  /** The compiler line, when present. */
  gcc?: string;
}

/** Parse `/proc/driver/nvidia/version`. */
export function parseNvidiaVersion(text: string): NvidiaKernelModule {
  const line = text.split('\n').find((l) => l.startsWith('NVRM version:'));
  if (!line) throw new KeelsonError('PARSE_FAILED', '/proc/driver/nvidia/version: no "NVRM version:" line');
  const m = /Kernel Module(?:\s+for\s+(\S+))?\s+(\d+\.\d+(?:\.\d+)*)/.exec(line);
  if (!m?.[2])
    throw new KeelsonError('PARSE_FAILED', `/proc/driver/nvidia/version: no version in "${line.slice(0, 120)}"`);
  const flavor = /\bOpen Kernel Module\b/.test(line) ? 'open' : 'proprietary';
  const out: NvidiaKernelModule = { version: m[2], flavor, line: line.trim() };
  const arch = m[1] ?? /NVIDIA UNIX (\S+) Kernel Module/.exec(line)?.[1];
  if (arch && arch !== 'Open') out.arch = arch;
  const gcc = text.split('\n').find((l) => l.startsWith('GCC version:'));
  if (gcc) out.gcc = gcc.slice('GCC version:'.length).trim();
  return out;
}

/** One line of /proc/modules. */
export interface KernelModule {
  name: string;
  sizeBytes: number;
  refcount: number;
  usedBy: string[];
  /** Live, Loading or Unloading. */
  state: string;
}

const MODULE_LINE = /^(\w+)\s+(\d+)\s+(-?\d+)\s+(\S+)\s+(Live|Loading|Unloading)\b/;

/** Parse /proc/modules; empty text is no modules. */
export function parseProcModules(text: string): KernelModule[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const out: KernelModule[] = [];
  for (const l of lines) {
    const m = MODULE_LINE.exec(l);
    if (!m?.[1] || !m[2] || !m[3] || !m[4] || !m[5]) continue;
    const usedBy = m[4] === '-' ? [] : m[4].split(',').filter(Boolean);
    out.push({ name: m[1], sizeBytes: Number(m[2]), refcount: Number(m[3]), usedBy, state: m[5] });
  }
  if (lines.length > 0 && out.length === 0) {
    throw new KeelsonError('PARSE_FAILED', '/proc/modules: no line has the "name size refcount deps state" form');
  }
  return out;
}

/** What the `nvidia-smi` header says, or NVML's refusal. */
export interface SmiHeader {
  driverVersion?: string;
  /** Highest CUDA version the driver supports. */
  cudaVersion?: string;
  /** The "Driver/library version mismatch" line when NVML refused to start. */
  mismatchLine?: string;
  /** The NVML library (user-space) version NVML printed beside the mismatch, when it did. */
  nvmlVersion?: string;
}

/** Parse the output of plain `nvidia-smi` (stdout and stderr together are fine). */
export function parseSmiHeader(text: string): SmiHeader {
  const out: SmiHeader = {};
  const mismatch = text.split('\n').find((l) => /Driver\/library version mismatch/i.test(l));
  if (mismatch) {
    out.mismatchLine = mismatch.trim();
    const nvml = /NVML library version:\s*(\d+\.\d+(?:\.\d+)*)/.exec(text);
    if (nvml?.[1]) out.nvmlVersion = nvml[1];
    return out;
  }
  const driver = /Driver Version:\s*(\d+\.\d+(?:\.\d+)*)/.exec(text);
  if (driver?.[1]) out.driverVersion = driver[1];
  const cuda = /CUDA Version:\s*(\d+\.\d+(?:\.\d+)*)/.exec(text);
  if (cuda?.[1]) out.cudaVersion = cuda[1];
  if (!out.driverVersion && !out.cudaVersion) {
    throw new KeelsonError('PARSE_FAILED', 'nvidia-smi: no "Driver Version:" header and no version-mismatch message');
  }
  return out;
}

/** Parse `nvidia-smi --query-gpu=driver_version --format=csv,noheader`: one version per GPU. */
export function parseSmiDriverVersions(text: string): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const bad = lines.find((l) => !/^\d+\.\d+(?:\.\d+)*$/.test(l));
  if (bad !== undefined || lines.length === 0) {
    throw new KeelsonError(
      'PARSE_FAILED',
      `nvidia-smi driver_version query: unexpected line "${(bad ?? '').slice(0, 120)}"`,
    );
  }
  return lines;
}

/** Parse the CUDA toolkit's version.json (`{"cuda":{"version":"12.2.2"}}`) or version.txt (`CUDA Version 11.0.228`). */
export function parseCudaVersionFile(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let o: unknown;
    try {
      o = JSON.parse(trimmed);
    } catch (err) {
      throw new KeelsonError('PARSE_FAILED', 'cuda version.json: not valid JSON', { cause: err });
    }
    const cuda = typeof o === 'object' && o !== null ? (o as Record<string, unknown>).cuda : undefined;
    const v = typeof cuda === 'object' && cuda !== null ? (cuda as Record<string, unknown>).version : undefined;
    if (typeof v === 'string' && VERSION.test(v)) return (VERSION.exec(v) as RegExpExecArray)[0];
    throw new KeelsonError('PARSE_FAILED', 'cuda version.json: no "cuda.version"');
  }
  const m = /^CUDA Version\s+(\d+\.\d+(?:\.\d+)*)/m.exec(trimmed);
  if (m?.[1]) return m[1];
  throw new KeelsonError('PARSE_FAILED', 'cuda version file: neither version.json nor "CUDA Version x.y.z"');
}

/** Parse `ofed_info -s` (`MLNX_OFED_LINUX-23.10-1.1.9.0:`, `OFED-internal-24.07-0.6.1:`): the release string after the prefix. */
export function parseOfedInfo(text: string): { version: string; line: string } {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  if (!line) throw new KeelsonError('PARSE_FAILED', 'ofed_info -s: empty output');
  const m = /^(?:MLNX_OFED_LINUX|OFED-internal|OFED|DOCA[-\w]*?)-(\d[\w.-]*?):?$/.exec(line);
  if (!m?.[1]) throw new KeelsonError('PARSE_FAILED', `ofed_info -s: unexpected "${line.slice(0, 120)}"`);
  return { version: m[1], line };
}

/** NCCL version from nccl.h (`#define NCCL_MAJOR 2` ...), or undefined when the defines are absent. */
export function parseNcclHeader(text: string): string | undefined {
  const get = (name: string) => new RegExp(`^#define\\s+${name}\\s+(\\d+)`, 'm').exec(text)?.[1];
  const major = get('NCCL_MAJOR');
  const minor = get('NCCL_MINOR');
  const patch = get('NCCL_PATCH');
  if (!major || !minor || !patch) return undefined;
  return `${major}.${minor}.${patch}`;
}

/** NCCL version from a library file name such as `libnccl.so.2.21.5`, or undefined. */
export function ncclVersionFromFileName(name: string): string | undefined {
  return /^libnccl\.so\.(\d+\.\d+\.\d+)$/.exec(name)?.[1];
}

/** The state word of `systemctl is-active <unit>` (active, inactive, failed, activating...). */
export function parseSystemctlIsActive(text: string): string {
  const word = text.trim().split('\n')[0]?.trim() ?? '';
  if (!/^[a-z-]+$/.test(word))
    throw new KeelsonError('PARSE_FAILED', `systemctl is-active: unexpected "${word.slice(0, 80)}"`);
  return word;
}
