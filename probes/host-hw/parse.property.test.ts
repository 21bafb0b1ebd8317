import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeelsonError } from '../../core/errors.ts';
import { expectOnlyParseFailed, mutatedText, withTokenInserted } from '../../test/helpers/parse-fuzz.ts';
import {
  mountOf,
  parseChronyTracking,
  parseEdacCount,
  parseMounts,
  parseStatFsType,
  parseTimedatectlShow,
} from './parse.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/host-hw');
const samples = ['chrony', 'timedatectl', 'proc-mounts'].flatMap((d) =>
  readdirSync(path.join(FIX, d)).map((f) => readFileSync(path.join(FIX, d, f), 'utf8')),
);

/** Real-format text mutated, or with one of the host captures' awkward tokens inserted. */
const mutated = (base: string) =>
  mutatedText(base, withTokenInserted(base, ['\\777', '\\0', ' : ', '=', 'e999', 'NaN', 'Not synchronised', '\n\n']));

const anyInput = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom(...samples).chain(mutated));

const onlyParseFailed = (fn: (s: string) => unknown) => expectOnlyParseFailed(fn, anyInput);

describe('host-hw parsers on arbitrary and mutated input', () => {
  it('parseEdacCount', () => onlyParseFailed(parseEdacCount));
  it('parseMounts (and mountOf on what it returns)', () =>
    onlyParseFailed((s) => mountOf(parseMounts(s), '/lustre/ckpt')));
  it('parseStatFsType', () => onlyParseFailed(parseStatFsType));
  it('parseChronyTracking', () => onlyParseFailed(parseChronyTracking));
  it('parseTimedatectlShow', () => onlyParseFailed(parseTimedatectlShow));
  it('a parsed chrony offset is always finite', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples).chain(mutated), (text) => {
        try {
          const t = parseChronyTracking(text);
          expect(t.offsetSec === undefined || Number.isFinite(t.offsetSec)).toBe(true);
        } catch (err) {
          if (!(err instanceof KeelsonError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
