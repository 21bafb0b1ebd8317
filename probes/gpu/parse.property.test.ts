/** Property tests: no gpu parser throws anything but KeelsonError('PARSE_FAILED'), whatever the input. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { gpuAnalyzers } from './analyzers.ts';
import { parseNvlinkStatus, parseSmiCsv, parseSmiTable, parseSmiText, parseSmiXml, scanSmiIssues } from './parse.ts';
import { evaluateGpu } from './rules.ts';
import { DEFAULT_GPU_SETTINGS } from './settings.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');

type Parser = (t: string) => unknown;
const PARSERS: [string, Parser, string][] = [
  ['xml', parseSmiXml, fx('h100-1gpu-idle-gen1.xml')],
  ['xml-old', parseSmiXml, fx('v100-retired-pages-pending.xml')],
  ['text', parseSmiText, fx('a100-4gpu-q-legacy-faulty.txt')],
  ['csv', (t) => parseSmiCsv(t), fx('v100-4gpu-query-legacy-faulty.csv')],
  ['nvlink', parseNvlinkStatus, fx('h100-8gpu-nvlink-two-inactive.txt')],
  ['table', parseSmiTable, fx('h100-4gpu-table-err-ecc.txt')],
];

/** Run a parser; a PARSE_FAILED is fine, anything else thrown fails the property. Returns the result or undefined. */
function tolerant(parse: Parser, text: string): unknown {
  try {
    return parse(text);
  } catch (e) {
    if (isKeelsonError(e, 'PARSE_FAILED')) return undefined;
    throw e;
  }
}

/** A real-format text mutated: lines dropped, truncated, a slice replaced with arbitrary text. */
const mutated = (base: string) => {
  const lines = base.split('\n');
  return fc
    .record({
      drop: fc.array(fc.nat({ max: lines.length - 1 }), { maxLength: 12 }),
      cut: fc.option(fc.nat({ max: base.length }), { nil: undefined }),
      at: fc.nat({ max: lines.length - 1 }),
      junk: fc.string({ maxLength: 40 }),
      dup: fc.boolean(),
    })
    .map(({ drop, cut, at, junk, dup }) => {
      const gone = new Set(drop);
      let out = lines.filter((_, i) => !gone.has(i));
      out = out.map((l, i) => (i === at ? l.slice(0, Math.floor(l.length / 2)) + junk : l));
      if (dup) out = [...out, ...out.slice(0, 5)];
      const text = out.join('\n');
      return cut === undefined ? text : text.slice(0, cut);
    });
};

describe('gpu parsers never throw anything but PARSE_FAILED', () => {
  for (const [name, parse, base] of PARSERS) {
    it(`${name}: arbitrary strings`, () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 400 }), (s) => {
          tolerant(parse, s);
        }),
        { numRuns: 200 },
      );
    });
    it(`${name}: mutated real-format input, and the rules accept whatever parses`, () => {
      fc.assert(
        fc.property(mutated(base), (text) => {
          const r = tolerant(parse, text);
          const issues = scanSmiIssues(text);
          if (r && typeof r === 'object' && 'gpus' in r && name !== 'nvlink') {
            const ev = evaluateGpu({ snapshot: r as never, issues }, undefined, 0, DEFAULT_GPU_SETTINGS, 'snapshot');
            expect(Array.isArray(ev.observations)).toBe(true);
          }
        }),
        { numRuns: 120 },
      );
    });
  }

  it('analyzers: sniff never throws and analyze throws only PARSE_FAILED', () => {
    const bases = PARSERS.map(([, , b]) => b);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), ...bases.map(mutated)), (text) => {
        for (const a of gpuAnalyzers) {
          if (a.input !== 'text') continue;
          if (a.sniff(text)) tolerant((t) => a.analyze(t, 0), text);
        }
      }),
      { numRuns: 150 },
    );
  });
});
