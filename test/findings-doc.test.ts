import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIONS, FINDING_KINDS, SEVERITIES } from '../core/finding.ts';
import { allCatalogs, renderFindingsDoc } from '../scripts/findings-doc.ts';

describe('finding catalog', () => {
  it('docs/FINDINGS.md is generated from the current catalogs (run scripts/gen-findings-doc.ts)', () => {
    expect(readFileSync(new URL('../docs/FINDINGS.md', import.meta.url), 'utf8')).toBe(renderFindingsDoc());
  });

  it('lists each code once, with a valid severity, action and kind and a meaning', () => {
    const seen = new Map<string, string>();
    for (const { area, entries } of allCatalogs()) {
      for (const e of entries) {
        expect(seen.get(e.code), `${e.code} in ${area} and ${seen.get(e.code)}`).toBeUndefined();
        seen.set(e.code, area);
        expect(e.code).toMatch(/^[a-z][a-z0-9_-]*(\.[a-z0-9_<>-]+)+$/);
        expect(SEVERITIES).toContain(e.severity);
        expect(ACTIONS).toContain(e.action);
        expect(FINDING_KINDS).toContain(e.kind);
        expect(e.meaning.length).toBeGreaterThan(10);
      }
    }
    expect(seen.size).toBeGreaterThan(200);
  });
});
