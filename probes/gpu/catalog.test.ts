import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIONS, FINDING_KINDS, SEVERITIES } from '../../core/finding.ts';
import { gpuCatalog } from './catalog.ts';

describe('gpuCatalog', () => {
  it('lists each code once, with a valid severity, action, kind and a meaning', () => {
    const codes = gpuCatalog.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of gpuCatalog) {
      expect(c.code).toMatch(/^gpu\.[a-z0-9_.]+$/);
      expect(SEVERITIES).toContain(c.severity);
      expect(ACTIONS).toContain(c.action);
      expect(FINDING_KINDS).toContain(c.kind);
      expect(c.meaning.length).toBeGreaterThan(20);
    }
  });

  it('covers every code the rules name, and names no code the rules never use', () => {
    const src = readFileSync(path.join(import.meta.dirname, 'rules.ts'), 'utf8');
    const used = new Set([...src.matchAll(/'(gpu\.[a-z0-9_.]+)'/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(gpuCatalog.map((c) => c.code).sort());
  });

  it('carries the severities the brief fixes', () => {
    const by = Object.fromEntries(gpuCatalog.map((c) => [c.code, c]));
    expect(by['gpu.missing']).toMatchObject({ severity: 'fatal', action: 'drain' });
    expect(by['gpu.rowremap.failure']).toMatchObject({ severity: 'fatal', action: 'drain' });
    expect(by['gpu.rowremap.pending']).toMatchObject({ severity: 'degraded', action: 'reset-gpu' });
    expect(by['gpu.retired_pages.pending']?.action).toBe('reset-gpu');
    expect(by['gpu.smi.lost']?.severity).toBe('fatal');
    expect(by['gpu.persistence.off']?.severity).toBe('warn');
    expect(by['gpu.ecc.sbe.rate']?.severity).toBe('warn');
  });
});
