import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import {
  GPU_QUERY_FIELDS,
  GPU_QUERY_FIELDS_LEGACY,
  GPU_QUERY_FIELDS_R535,
  isQueryCsvHeader,
  parseSmiCsv,
} from './parse-csv.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');
const headerNames = (csv: string) =>
  (csv.split('\n')[0] ?? '').split(',').map((h) => h.trim().replace(/\s*\[[^\]]*\]$/, ''));

describe('GPU_QUERY_FIELDS', () => {
  it('asks for the fields every rule needs, in both naming generations', () => {
    for (const f of [
      'index',
      'pci.bus_id',
      'ecc.errors.uncorrected.volatile.total',
      'retired_pages.pending',
      'remapped_rows.failure',
      'clocks_event_reasons.hw_slowdown',
      'gpu_recovery_action',
      'pcie.link.gen.max',
    ]) {
      expect(GPU_QUERY_FIELDS).toContain(f);
    }
    expect(GPU_QUERY_FIELDS_LEGACY).toContain('clocks_throttle_reasons.hw_slowdown');
    expect(GPU_QUERY_FIELDS_LEGACY.some((f) => f.startsWith('clocks_event_reasons'))).toBe(false);
    expect(GPU_QUERY_FIELDS_R535).not.toContain('gpu_recovery_action');
    expect(new Set(GPU_QUERY_FIELDS).size).toBe(GPU_QUERY_FIELDS.length);
  });

  it('matches the header of the fixtures, which were rendered from those lists', () => {
    expect(headerNames(fx('h100-8gpu-query-healthy.csv'))).toEqual([...GPU_QUERY_FIELDS]);
    expect(headerNames(fx('v100-4gpu-query-legacy-faulty.csv'))).toEqual([...GPU_QUERY_FIELDS_LEGACY]);
  });
});

describe('parseSmiCsv', () => {
  it('reads a healthy 8x H100 query with units in header and cells', () => {
    const snap = parseSmiCsv(fx('h100-8gpu-query-healthy.csv'));
    expect(snap.format).toBe('csv');
    expect(snap.driverVersion).toBe('550.127.08');
    expect(snap.gpus).toHaveLength(8);
    const g = snap.gpus[7]!;
    expect(g.index).toBe(7);
    expect(g.busId).toBe('00000000:DB:00.0');
    expect(g.power).toEqual({ draw: 661.17, limit: 700 });
    expect(g.memory).toEqual({ usedMiB: 74210, totalMiB: 81559 });
    expect(g.utilization).toEqual({ gpu: 100, memory: 45 });
    expect(g.clockEvents).toMatchObject({ swPowerCap: true, hwSlowdown: false });
    expect(g.temperature).toEqual({ gpu: 62, memory: 65, tlimitMargin: 23 });
    expect(g.retiredPages).toEqual({ sbe: undefined, dbe: undefined, pending: undefined });
    expect(g.remappedRows).toEqual({ correctable: 0, uncorrectable: 0, pending: false, failure: false });
    expect(g.recoveryAction).toBe('None');
    expect(g.fabric).toEqual({ state: 'Completed', status: 'Success', health: undefined });
  });

  it('reads a legacy-field faulty query: DBE, pending retirement, throttle names, [Unknown Error] and [Not Supported]', () => {
    const snap = parseSmiCsv(fx('v100-4gpu-query-legacy-faulty.csv'));
    const [, dbe, slow, err] = snap.gpus;
    expect(dbe?.ecc.volatile).toEqual({ sbe: 3, dbe: 1 });
    expect(dbe?.retiredPages).toEqual({ sbe: 0, dbe: 1, pending: true });
    expect(slow?.clockEvents).toMatchObject({ hwSlowdown: true, hwPowerBrakeSlowdown: true, hwThermalSlowdown: false });
    expect(slow?.mig).toEqual({ current: undefined, pending: undefined });
    expect(err?.temperature.gpu).toBeUndefined();
    expect(err?.retiredPages.sbe).toBeUndefined();
    expect(err?.fieldErrors).toEqual(['temperature.gpu=[Unknown Error]', 'power.draw=[Unknown Error]']);
    expect(err?.remappedRows).toBeUndefined();
  });

  it('reads headerless output when told the field list', () => {
    const snap = parseSmiCsv('3, 00000000:5D:00.0, Enabled\n', ['index', 'pci.bus_id', 'persistence_mode']);
    expect(snap.gpus[0]).toMatchObject({ index: 3, busId: '00000000:5D:00.0', persistenceMode: true });
  });

  it('treats the deprecated-functionality cell as absent', () => {
    const snap = parseSmiCsv(
      'index, persistence_mode, power.draw [W]\n0, [Requested functionality has been deprecated], [N/A]\n',
    );
    expect(snap.gpus[0]?.persistenceMode).toBeUndefined();
    expect(snap.gpus[0]?.power.draw).toBeUndefined();
    expect(snap.gpus[0]?.fieldErrors).toEqual([]);
  });

  it('rejects output that is not a query CSV', () => {
    for (const bad of ['', 'Field "foo" is not a valid field to query.', 'a, b, c\n1, 2, 3']) {
      try {
        parseSmiCsv(bad);
        expect.unreachable();
      } catch (e) {
        expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
      }
    }
    expect(isQueryCsvHeader('index, name')).toBe(true);
    expect(isQueryCsvHeader('# gpu    pwr  gtemp')).toBe(false);
  });
});
