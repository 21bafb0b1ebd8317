/**
 * The driver probe's only I/O: /proc/driver/nvidia/version and /proc/modules below the proc
 * root, NVSwitch device nodes, `nvidia-smi` (and its driver_version query),
 * `systemctl is-active <fabric manager>` only where NVSwitches exist, `ofed_info -s`, the CUDA
 * toolkit's version file and NCCL's version (library file name or nccl.h).
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeError, isKeelsonError } from '../../core/errors.ts';
import type { CommandRunner, RunOptions } from '../runner.ts';
import type { ProbeRoots } from '../types.ts';
import {
  type KernelModule,
  type NvidiaKernelModule,
  ncclVersionFromFileName,
  parseCudaVersionFile,
  parseNcclHeader,
  parseNvidiaVersion,
  parseOfedInfo,
  parseProcModules,
  parseSmiDriverVersions,
  parseSmiHeader,
  parseSystemctlIsActive,
  type SmiHeader,
} from './parse.ts';
import type { DriverSettings } from './settings.ts';

/** Everything one driver run read; `*Error` fields say why a part is missing. */
export interface DriverReading {
  kernel?: NvidiaKernelModule;
  kernelError?: string;
  modules?: KernelModule[];
  modulesError?: string;
  smi?: SmiHeader;
  smiError?: string;
  /** Per-GPU driver versions from the query, when the header did not give one. */
  smiDriverVersions?: string[];
  cudaToolkitVersion?: string;
  ofedVersion?: string;
  ncclVersion?: string;
  nvswitchCount: number;
  /** systemctl's state of the fabric manager; undefined when not asked (no NVSwitch) or unknown. */
  fabricManager?: string;
}

/** What read needs. */
export interface DriverReadOptions {
  runner: CommandRunner;
  roots: ProbeRoots;
  run: Omit<RunOptions, 'okExitCodes'>;
  settings: DriverSettings;
}

const ANY_EXIT = Array.from({ length: 256 }, (_, i) => i);

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** True when the nvidia kernel driver is present: /proc/driver/nvidia exists or /proc/modules lists nvidia. */
export async function nvidiaPresent(roots: ProbeRoots): Promise<boolean> {
  try {
    if ((await stat(path.join(roots.proc, 'driver', 'nvidia'))).isDirectory()) return true;
  } catch {
    // fall through to /proc/modules
  }
  const modules = await readText(path.join(roots.proc, 'modules'));
  return modules !== undefined && /^nvidia\s/m.test(modules);
}

/** NVSwitches seen as `<dev>/nvidia-nvswitchN` or under /proc/driver/nvidia-nvswitch/devices. */
export async function countNvswitches(roots: ProbeRoots): Promise<number> {
  const nodes = (await list(roots.dev)).filter((n) => /^nvidia-nvswitch\d+$/.test(n)).length;
  const procDevices = (await list(path.join(roots.proc, 'driver', 'nvidia-nvswitch', 'devices'))).length;
  return Math.max(nodes, procDevices);
}

async function readSmi(o: DriverReadOptions): Promise<Pick<DriverReading, 'smi' | 'smiError' | 'smiDriverVersions'>> {
  try {
    // Any exit status: NVML's refusal (version mismatch) is itself the answer we want to read.
    const out = await o.runner.run('nvidia-smi', [], { ...o.run, okExitCodes: ANY_EXIT });
    const smi = parseSmiHeader(`${out.stdout}\n${out.stderr}`);
    if (smi.driverVersion || smi.mismatchLine) return { smi };
    const q = await o.runner.run('nvidia-smi', ['--query-gpu=driver_version', '--format=csv,noheader'], o.run);
    return { smi, smiDriverVersions: parseSmiDriverVersions(q.stdout) };
  } catch (err) {
    if (o.run.signal?.aborted) throw err;
    return { smiError: describeError(err) };
  }
}

async function readOfed(o: DriverReadOptions): Promise<string | undefined> {
  try {
    const out = await o.runner.run('ofed_info', ['-s'], o.run);
    return parseOfedInfo(out.stdout).version;
  } catch (err) {
    if (o.run.signal?.aborted) throw err;
    return undefined;
  }
}

async function readFabricManager(o: DriverReadOptions): Promise<string | undefined> {
  try {
    // is-active exits 3 for inactive and prints the state either way.
    const out = await o.runner.run('systemctl', ['is-active', o.settings.fabricManagerUnit], {
      ...o.run,
      okExitCodes: ANY_EXIT,
    });
    return parseSystemctlIsActive(out.stdout);
  } catch (err) {
    if (o.run.signal?.aborted) throw err;
    return undefined;
  }
}

async function cudaToolkit(cudaPath: string): Promise<string | undefined> {
  for (const name of ['version.json', 'version.txt']) {
    const text = await readText(path.join(cudaPath, name));
    if (text === undefined) continue;
    try {
      return parseCudaVersionFile(text);
    } catch {
      // try the other file
    }
  }
  return undefined;
}

function newest(versions: string[]): string | undefined {
  const num = (v: string) => v.split('.').map(Number);
  return versions.sort((a, b) => {
    const [x, y] = [num(a), num(b)];
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  })[versions.length - 1];
}

async function ncclInDir(dir: string): Promise<string | undefined> {
  return newest((await list(dir)).flatMap((n) => ncclVersionFromFileName(n) ?? []));
}

async function ncclAt(p: string): Promise<string | undefined> {
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await stat(p);
  } catch {
    return undefined;
  }
  if (s.isDirectory()) return ncclInDir(p);
  const named = ncclVersionFromFileName(path.basename(p));
  if (named) return named;
  try {
    const real = ncclVersionFromFileName(path.basename(await realpath(p)));
    if (real) return real;
  } catch {
    // keep looking
  }
  if (s.size > 1024 * 1024) return undefined;
  const text = (await readText(p)) ?? '';
  return parseNcclHeader(text) ?? /^\s*(\d+\.\d+\.\d+)\s*$/.exec(text)?.[1];
}

async function ncclVersion(settings: DriverSettings): Promise<string | undefined> {
  if (settings.ncclLibPath) return ncclAt(settings.ncclLibPath);
  for (const dir of settings.ncclSearchDirs) {
    const v = await ncclInDir(dir);
    if (v) return v;
  }
  for (const h of settings.ncclHeaders) {
    const v = await ncclAt(h);
    if (v) return v;
  }
  return undefined;
}

/** One full read of the driver stack. */
export async function readDriver(o: DriverReadOptions): Promise<DriverReading> {
  const r: DriverReading = { nvswitchCount: await countNvswitches(o.roots) };
  const versionText = await readText(path.join(o.roots.proc, 'driver', 'nvidia', 'version'));
  if (versionText === undefined) r.kernelError = 'no /proc/driver/nvidia/version';
  else {
    try {
      r.kernel = parseNvidiaVersion(versionText);
    } catch (err) {
      r.kernelError = describeError(err);
    }
  }
  const modulesText = await readText(path.join(o.roots.proc, 'modules'));
  if (modulesText === undefined) r.modulesError = 'no /proc/modules';
  else {
    try {
      r.modules = parseProcModules(modulesText);
    } catch (err) {
      if (!isKeelsonError(err)) throw err;
      r.modulesError = describeError(err);
    }
  }
  Object.assign(r, await readSmi(o));
  if (r.nvswitchCount > 0) {
    const fm = await readFabricManager(o);
    if (fm !== undefined) r.fabricManager = fm;
  }
  const [cuda, ofed, nccl] = [await cudaToolkit(o.settings.cudaPath), await readOfed(o), await ncclVersion(o.settings)];
  if (cuda) r.cudaToolkitVersion = cuda;
  if (ofed) r.ofedVersion = ofed;
  if (nccl) r.ncclVersion = nccl;
  return r;
}
