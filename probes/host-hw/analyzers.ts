/**
 * `keelson analyze` support for host-hw captures: a copied EDAC sysfs tree (`/sys`,
 * `/sys/devices/system/edac` or its `mc` folder). A single capture has no previous reading, so
 * only uncorrectable errors (any > 0 is fatal) are judged; correctable ones need a rate.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Observation } from '../../core/finding.ts';
import type { DirAnalyzer } from '../analyzer.ts';
import { readEdac } from './read.ts';
import { evaluateEdac } from './rules.ts';

/** The fake sys root under which `devices/system/edac/mc` is the given capture's mc folder. */
async function sysRootOf(dir: string): Promise<string | undefined> {
  const candidates: [mcDir: string, sysRoot: string][] = [
    [path.join(dir, 'devices', 'system', 'edac', 'mc'), dir],
    [path.join(dir, 'edac', 'mc'), path.join(dir, '..', '..')],
    [path.join(dir, 'mc'), path.join(dir, '..', '..', '..')],
    [dir, path.join(dir, '..', '..', '..', '..')],
  ];
  for (const [mcDir, sysRoot] of candidates) {
    try {
      const names = await readdir(mcDir);
      if (
        names.some((n) => /^mc\d+$/.test(n)) &&
        path.resolve(sysRoot, 'devices/system/edac/mc') === path.resolve(mcDir)
      ) {
        return sysRoot;
      }
    } catch {
      // next candidate
    }
  }
  return undefined;
}

const edacAnalyzer: DirAnalyzer = {
  kind: 'edac-sysfs',
  description: 'copy of /sys/devices/system/edac (EDAC memory controller counters)',
  input: 'dir',
  async sniffDir(dir) {
    return (await sysRootOf(dir)) !== undefined;
  },
  async analyzeDir(dir, now): Promise<Observation[]> {
    const sys = await sysRootOf(dir);
    if (!sys) return [];
    const controllers = await readEdac({ sys, proc: '/nonexistent', dev: '/nonexistent' });
    return controllers
      ? evaluateEdac(controllers, undefined, now, undefined, Number.POSITIVE_INFINITY).observations
      : [];
  },
};

/** Analyzers for host-hw captures. */
export const hostHwAnalyzers: readonly DirAnalyzer[] = [edacAnalyzer];
