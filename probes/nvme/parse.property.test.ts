import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectOnlyParseFailed, mutatedText } from '../../test/helpers/parse-fuzz.ts';
import { nvmeAnalyzers } from './analyzers.ts';
import { nvmeCliTemperatureC, parseNvmeList, parseSmartLog } from './parse.ts';
import { parseSmartctlJson, parseSmartctlScan } from './parse-smartctl.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/nvme');
const samples = readdirSync(FIX)
  .filter((f) => f.endsWith('.json'))
  .map((f) => readFileSync(path.join(FIX, f), 'utf8'));

/** Real-format text mutated, or with one JSON value swapped for an awkward one. */
function mutated(base: string): fc.Arbitrary<string> {
  const lines = base.split('\n');
  const awkward = ['null', '[]', '{}', '"x"', '-1', '1e999', '"0x"', '"18446744073709551616"', 'true', '{"value":"a"}'];
  return mutatedText(
    base,
    fc
      .tuple(fc.nat(lines.length), fc.constantFrom(...awkward))
      .map(([i, v]) => lines.map((l, j) => (j === i ? l.replace(/:\s*.*?(,?)$/, `: ${v}$1`) : l)).join('\n')),
  );
}

const anyInput = fc.oneof(fc.string(), fc.json(), fc.constantFrom(...samples).chain(mutated));

const onlyKeelsonErrors = (fn: (s: string) => unknown) => expectOnlyParseFailed(fn, anyInput);

describe('nvme parsers on arbitrary and mutated input', () => {
  it('parseNvmeList throws nothing but PARSE_FAILED', () => onlyKeelsonErrors(parseNvmeList));
  it('parseSmartLog throws nothing but PARSE_FAILED', () => onlyKeelsonErrors(parseSmartLog));
  it('parseSmartctlJson throws nothing but PARSE_FAILED', () => onlyKeelsonErrors(parseSmartctlJson));
  it('parseSmartctlScan throws nothing but PARSE_FAILED', () => onlyKeelsonErrors(parseSmartctlScan));
  it('every analyzer throws nothing but PARSE_FAILED', () => {
    for (const a of nvmeAnalyzers) onlyKeelsonErrors((s) => a.sniff(s) && a.analyze(s, 0));
  });
  it('nvmeCliTemperatureC never throws and gives a finite number or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.jsonValue()), (v) => {
        const t = nvmeCliTemperatureC(v);
        expect(t === undefined || Number.isFinite(t)).toBe(true);
      }),
    );
  });
  it('parsed SMART values are never negative or non-finite', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples).chain(mutated), (text) => {
        let h: ReturnType<typeof parseSmartLog> | undefined;
        try {
          h = parseSmartLog(text);
        } catch {
          return;
        }
        expect(h.criticalWarning).toBeGreaterThanOrEqual(0);
        expect(h.criticalWarning).toBeLessThanOrEqual(255);
        for (const v of [h.mediaErrors, h.percentageUsed, h.availableSpare]) {
          expect(v === undefined || (Number.isFinite(v) && v >= 0)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
