/** The generated XID catalog: in sync with the TSV, covers the common codes, and maps buckets sensibly. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_MAP,
  parseXidTable,
  renderXidCatalog,
  XID_CATALOG_PATH,
  XID_TABLE_PATH,
} from '../../scripts/gen-xid-catalog.ts';
import { catalogEntry, kernelLogCatalog, resolveXid, xidCatalog, xidCatalogEntries } from './catalog.ts';
import { parseKernelLogSettings } from './settings.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('xid-catalog.generated.ts', () => {
  it('is exactly what scripts/gen-xid-catalog.ts produces from the TSV (never hand-edited)', () => {
    const tsv = readFileSync(path.join(ROOT, XID_TABLE_PATH), 'utf8');
    const generated = readFileSync(path.join(ROOT, XID_CATALOG_PATH), 'utf8');
    expect(generated).toBe(renderXidCatalog(tsv));
    expect(generated.startsWith('// GENERATED FILE')).toBe(true);
  });

  it('covers the commonly seen codes', () => {
    const codes = new Set(xidCatalogEntries.map((e) => e.xid));
    for (const c of [
      13, 31, 32, 43, 45, 48, 61, 62, 63, 64, 68, 69, 74, 79, 92, 94, 95, 109, 119, 120, 121, 140, 143, 154,
    ]) {
      expect(codes.has(c), `xid ${c}`).toBe(true);
    }
    for (let c = 144; c <= 150; c++) expect(codes.has(c), `xid ${c}`).toBe(true);
  });

  it("keeps NVIDIA's immediate action and maps it to severity/action", () => {
    const e = (x: number) => xidCatalogEntries.find((r) => r.xid === x);
    expect(e(79)).toMatchObject({ nvidiaImmediate: 'RESTART_BM', severity: 'fatal', action: 'reboot' });
    expect(e(48)).toMatchObject({ nvidiaImmediate: 'WORKFLOW_XID_48', severity: 'degraded', action: 'reset-gpu' });
    expect(e(13)).toMatchObject({ nvidiaImmediate: 'RESTART_APP', severity: 'warn', action: 'restart-job' });
    expect(e(63)).toMatchObject({ nvidiaImmediate: 'IGNORE', severity: 'info', action: 'none' });
    expect(e(1)).toMatchObject({ meaning: 'Unused', severity: 'warn', action: 'inspect-hardware' });
  });

  it('exposes concrete gpu.xid.<n> catalog entries', () => {
    expect(xidCatalog.find((e) => e.code === 'gpu.xid.119')).toMatchObject({ severity: 'degraded', kind: 'event' });
    expect(xidCatalog).toHaveLength(xidCatalogEntries.length);
  });
});

describe('the generator', () => {
  it('rejects unknown buckets, duplicates and short rows', () => {
    const head = 'xid\tmnemonic\tdescription\timmediate_action\tinvestigatory_action\tcategories\n';
    expect(() => parseXidTable(`${head}1\tA\tB\tREPLACE_EVERYTHING\t\t\n`)).toThrow(/unknown immediate action/);
    expect(() => parseXidTable(`${head}1\tA\tB\tIGNORE\t\t\n1\tA\tB\tIGNORE\t\t\n`)).toThrow(/duplicate/);
    expect(() => parseXidTable(`${head}1\tA\tB\n`)).toThrow(/6 tab-separated/);
  });
  it('maps every bucket to a valid severity and action', () => {
    for (const v of Object.values(BUCKET_MAP)) {
      expect(['info', 'warn', 'degraded', 'fatal']).toContain(v.severity);
      expect(['none', 'restart-job', 'reset-gpu', 'reboot', 'drain', 'inspect-hardware']).toContain(v.action);
    }
  });
});

describe('resolveXid and settings', () => {
  it('falls back to warn/inspect-hardware for unknown codes', () => {
    expect(resolveXid(4242)).toMatchObject({ severity: 'warn', action: 'inspect-hardware', known: false });
  });
  it('applies overrides parsed from settings', () => {
    const s = parseKernelLogSettings({ xidOverrides: { '13': { severity: 'degraded', action: 'reset-gpu' } } });
    expect(resolveXid(13, s.xidOverrides)).toMatchObject({ severity: 'degraded', action: 'reset-gpu', known: true });
  });
  it('rejects bad settings with CONFIG_INVALID naming the key', () => {
    expect(() => parseKernelLogSettings({ xidOverrides: { '13': { severity: 'awful' } } })).toThrow(
      /xidOverrides\.13\.severity/,
    );
    expect(() => parseKernelLogSettings({ xidOverrides: { abc: {} } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('xidOverrides.abc') }),
    );
    expect(() => parseKernelLogSettings({ flapTransitions: 1 })).toThrow(/flapTransitions/);
    expect(parseKernelLogSettings(undefined)).toMatchObject({
      burstWindowSec: 180,
      flapTransitions: 4,
      source: 'auto',
    });
  });
  it('lists each non-XID code once with a valid kind', () => {
    const codes = kernelLogCatalog.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(catalogEntry('ib.link.flap').kind).toBe('condition');
    expect(() => catalogEntry('no.such.code')).toThrow();
  });
});
