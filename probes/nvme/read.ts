/**
 * The nvme probe's only I/O: controllers from `<sys>/class/nvme`, `nvme list -o json` and
 * `nvme smart-log <dev> -o json` per controller through the injected runner (smartctl
 * `-j -a` when nvme-cli is missing), and statfs of the configured checkpoint directories.
 */
import { readdir, readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { describeError, isKeelsonError, KeelsonError } from '../../core/errors.ts';
import type { CommandRunner, RunOptions } from '../runner.ts';
import type { ProbeRoots } from '../types.ts';
import { type NvmeController, type NvmeList, parseNvmeList, parseSmartLog, type SmartHealth } from './parse.ts';
import { parseSmartctlJson } from './parse-smartctl.ts';
import type { VolumeUsage } from './rules.ts';

/** A controller as sysfs shows it. */
export interface SysController {
  name: string;
  state?: string;
  model?: string;
  serial?: string;
  firmware?: string;
}

/** One controller after a run: identity, sysfs state, and its health or why it could not be read. */
export interface ControllerReading extends SysController {
  health?: SmartHealth;
  healthError?: string;
}

/** Everything one nvme run read. */
export interface NvmeReading {
  /** Which tool answered, or `none` when neither nvme-cli nor smartctl is installed. */
  tool: 'nvme-cli' | 'smartctl' | 'none';
  controllers: ControllerReading[];
  volumes: VolumeUsage[];
  volumeErrors: { path: string; error: string }[];
}

const CONTROLLER_NAME = /^nvme\d+$/;

async function readAttr(dir: string, name: string): Promise<string | undefined> {
  try {
    const s = (await readFile(path.join(dir, name), 'utf8')).trim();
    return s === '' ? undefined : s;
  } catch {
    return undefined;
  }
}

/** NVMe controllers under `<sys>/class/nvme` (empty when the folder is absent), sorted by number. */
export async function listSysControllers(roots: ProbeRoots): Promise<SysController[]> {
  const dir = path.join(roots.sys, 'class', 'nvme');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => CONTROLLER_NAME.test(n));
  } catch {
    return [];
  }
  names.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  return Promise.all(
    names.map(async (name) => {
      const d = path.join(dir, name);
      const c: SysController = { name };
      const [state, model, serial, firmware] = await Promise.all([
        readAttr(d, 'state'),
        readAttr(d, 'model'),
        readAttr(d, 'serial'),
        readAttr(d, 'firmware_rev'),
      ]);
      if (state) c.state = state;
      if (model) c.model = model;
      if (serial) c.serial = serial;
      if (firmware) c.firmware = firmware;
      return c;
    }),
  );
}

/** What read needs besides the roots. */
export interface NvmeReadOptions {
  runner: CommandRunner;
  roots: ProbeRoots;
  run: Omit<RunOptions, 'okExitCodes'>;
  checkpointDirs: readonly string[];
}

async function nvmeList(o: NvmeReadOptions): Promise<NvmeList> {
  // nvme list exits 1 when there are no devices.
  const out = await o.runner.run('nvme', ['list', '-o', 'json'], { ...o.run, okExitCodes: [0, 1] });
  if (out.exitCode === 1 && !out.stdout.includes('{')) return { layout: 'flat', controllers: [] };
  return parseNvmeList(out.stdout);
}

function merge(sys: SysController[], listed: NvmeController[]): ControllerReading[] {
  const byName = new Map<string, ControllerReading>(sys.map((c) => [c.name, { ...c }]));
  for (const l of listed) {
    if (!CONTROLLER_NAME.test(l.name)) continue;
    const c = byName.get(l.name) ?? { name: l.name };
    c.model ??= l.model;
    c.serial ??= l.serial;
    c.firmware ??= l.firmware;
    byName.set(l.name, c);
  }
  return [...byName.values()];
}

async function healthVia(tool: 'nvme-cli' | 'smartctl', o: NvmeReadOptions, c: ControllerReading): Promise<void> {
  const dev = path.join(o.roots.dev, c.name);
  try {
    if (tool === 'nvme-cli') {
      const out = await o.runner.run('nvme', ['smart-log', dev, '-o', 'json'], o.run);
      c.health = parseSmartLog(out.stdout);
    } else {
      // smartctl's exit status is a bit mask; bits 3-7 report the disk's state, not a failed run.
      const ok = Array.from({ length: 256 }, (_, i) => i).filter((i) => (i & 0b11) === 0);
      const out = await o.runner.run('smartctl', ['-j', '-a', dev], { ...o.run, okExitCodes: ok });
      const report = parseSmartctlJson(out.stdout);
      if (!report.health) {
        throw new KeelsonError(
          'PARSE_FAILED',
          `smartctl gave no NVMe health log${report.messages[0] ? `: ${report.messages[0]}` : ''}`,
        );
      }
      c.health = report.health;
      c.model ??= report.model;
      c.serial ??= report.serial;
    }
  } catch (err) {
    if (o.run.signal?.aborted) throw err;
    c.healthError = describeError(err);
  }
}

async function volumeUsage(o: NvmeReadOptions): Promise<Pick<NvmeReading, 'volumes' | 'volumeErrors'>> {
  const volumes: VolumeUsage[] = [];
  const volumeErrors: { path: string; error: string }[] = [];
  for (const dir of o.checkpointDirs) {
    let timer: NodeJS.Timeout | undefined;
    try {
      // Checkpoint dirs are local volumes; the race keeps a stuck one from holding up the run.
      const s = await Promise.race([
        statfs(dir),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new KeelsonError('CMD_TIMEOUT', `statfs ${dir} did not answer`)),
            o.run.timeoutMs,
          );
        }),
      ]);
      volumes.push({
        path: dir,
        totalBytes: s.blocks * s.bsize,
        freeBytes: s.bfree * s.bsize,
        availBytes: s.bavail * s.bsize,
      });
    } catch (err) {
      volumeErrors.push({ path: dir, error: describeError(err) });
    } finally {
      clearTimeout(timer);
    }
  }
  return { volumes, volumeErrors };
}

/** One full read: list, per-controller health, checkpoint volume usage. */
export async function readNvme(o: NvmeReadOptions): Promise<NvmeReading> {
  const sys = await listSysControllers(o.roots);
  let tool: NvmeReading['tool'] = 'nvme-cli';
  let listed: NvmeController[] = [];
  try {
    listed = (await nvmeList(o)).controllers;
  } catch (err) {
    if (isKeelsonError(err, 'CMD_MISSING')) tool = 'smartctl';
    else if (o.run.signal?.aborted) throw err;
    // Any other failure of `nvme list`: sysfs still names the controllers; smart-log is tried per controller.
  }
  const controllers = merge(sys, listed);
  if (tool === 'smartctl' && controllers.length > 0) {
    const first = controllers[0] as ControllerReading;
    await healthVia('smartctl', o, first);
    if (first.healthError?.startsWith('CMD_MISSING')) {
      tool = 'none';
      delete first.healthError;
    }
  }
  if (tool !== 'none') {
    for (const c of controllers) if (!c.health && !c.healthError) await healthVia(tool, o, c);
  }
  return { tool, controllers, ...(await volumeUsage(o)) };
}
