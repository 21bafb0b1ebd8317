import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countProcStatCpus, parseMeminfo } from './meminfo.ts';

const MEMINFO = `MemTotal:       24684100 kB
MemFree:        23446284 kB
MemAvailable:   23569132 kB
Buffers:            1928 kB
Cached:           203960 kB
SwapCached:            0 kB
Active:           346140 kB
SwapTotal:       2097148 kB
SwapFree:        1048572 kB
Slab:              50864 kB
`;

describe('parseMeminfo', () => {
  it('reads total, available and swap in bytes', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({
      total: 24684100 * 1024,
      available: 23569132 * 1024,
      swaptotal: 2097148 * 1024,
      swapused: (2097148 - 1048572) * 1024,
    });
  });

  it('estimates available as free + buffers + cached + slab on kernels without MemAvailable', () => {
    const old = MEMINFO.replace(/^MemAvailable:.*\n/m, '');
    expect(parseMeminfo(old).available).toBe((23446284 + 1928 + 203960 + 50864) * 1024);
  });

  it('gives a total the host parser rejects when MemTotal is missing', () => {
    expect(parseMeminfo('MemFree: 10 kB\n').total).toBeNaN();
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseMeminfo(s)));
  });
});

describe('countProcStatCpus', () => {
  it('counts the per-CPU lines only', () => {
    const stat = 'cpu  10 0 5 100 0 0 0 0 0 0\ncpu0 5 0 2 50 0 0 0 0 0 0\ncpu1 5 0 3 50 0 0 0 0 0 0\nintr 1\nctxt 2\n';
    expect(countProcStatCpus(stat)).toBe(2);
  });
});
