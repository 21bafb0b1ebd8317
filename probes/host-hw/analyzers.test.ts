import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostHwAnalyzers } from './analyzers.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/host-hw');
const [edac] = hostHwAnalyzers;

describe('edac-sysfs analyzer', () => {
  it('recognises a copied sys root, the edac folder or the mc folder', async () => {
    for (const sub of ['sys', 'sys/devices/system/edac', 'sys/devices/system/edac/mc']) {
      expect(await edac?.sniffDir(path.join(FIX, 'edac-2mc-ue', sub))).toBe(true);
    }
    expect(await edac?.sniffDir(path.join(FIX, 'vm-no-edac', 'sys'))).toBe(false);
    expect(await edac?.sniffDir(path.join(FIX, 'chrony'))).toBe(false);
  });

  it('finds uncorrectable errors and nothing on a clean tree', async () => {
    const ue = await edac?.analyzeDir(path.join(FIX, 'edac-2mc-ue', 'sys/devices/system/edac'), 0);
    expect(ue?.map((o) => [o.code, o.severity])).toEqual([['host.edac.ue', 'fatal']]);
    expect(await edac?.analyzeDir(path.join(FIX, 'edac-2mc-clean', 'sys'), 0)).toEqual([]);
  });
});
