import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { parseNvlinkStatus } from './parse-nvlink.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');

describe('parseNvlinkStatus', () => {
  it('reads per-GPU link speeds and <inactive> links', () => {
    const r = parseNvlinkStatus(fx('h100-8gpu-nvlink-two-inactive.txt'));
    expect(r.gpus).toHaveLength(8);
    const g2 = r.gpus[2]!;
    expect(g2.index).toBe(2);
    expect(g2.name).toBe('NVIDIA H100 80GB HBM3');
    expect(g2.uuid).toMatch(/^GPU-[0-9a-f-]+$/);
    expect(g2.links).toHaveLength(18);
    expect(g2.links.filter((l) => l.state === 'inactive').map((l) => l.link)).toEqual([7, 12]);
    expect(g2.links[0]).toMatchObject({ link: 0, state: 'active', speedGBs: 26.562 });
    expect(r.gpus[0]?.links.every((l) => l.state === 'active')).toBe(true);
  });

  it('tells "all links are inactive" from "does not have or support Nvlink"', () => {
    const down = parseNvlinkStatus(fx('h100-8gpu-nvlink-gpu4-all-inactive.txt'));
    expect(down.gpus[4]).toMatchObject({ allInactive: true, unsupported: false, links: [] });
    expect(down.gpus[3]?.allInactive).toBe(false);
    const pcie = parseNvlinkStatus(fx('l4-2gpu-nvlink-unsupported.txt'));
    expect(pcie.gpus.map((g) => [g.unsupported, g.allInactive])).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it('keeps unknown link values and other messages apart', () => {
    const r = parseNvlinkStatus('GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1)\n\t Link 0: N/A\nUnknown Error\n');
    expect(r.gpus[0]?.links[0]?.state).toBe('unknown');
    expect(r.gpus[0]?.errors).toEqual(['Unknown Error']);
  });

  it('rejects text with no GPU line', () => {
    try {
      parseNvlinkStatus('Link 0: 25 GB/s\n');
      expect.unreachable();
    } catch (e) {
      expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
    }
  });
});
