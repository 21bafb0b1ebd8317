import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expectOnlyParseFailed } from '../../test/helpers/parse-fuzz.ts';
import {
  ncclVersionFromFileName,
  parseCudaVersionFile,
  parseNcclHeader,
  parseNvidiaVersion,
  parseOfedInfo,
  parseProcModules,
  parseSmiDriverVersions,
  parseSmiHeader,
  parseSystemctlIsActive,
} from './parse.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/driver');
const samples = [
  'proc-driver-nvidia-version',
  'proc-modules',
  'nvidia-smi',
  'ofed',
  'cuda-12.2',
  'cuda-11.0',
  'nccl-include',
]
  .flatMap((d) => readdirSync(path.join(FIX, d)).map((f) => path.join(FIX, d, f)))
  .filter((f) => statSync(f).isFile())
  .map((f) => readFileSync(f, 'utf8'));

/** Real-format text with lines dropped, cut short, or spans replaced by junk. */
function mutated(base: string): fc.Arbitrary<string> {
  const lines = base.split('\n');
  return fc.oneof(
    fc.nat(base.length).map((n) => base.slice(0, n)),
    fc
      .array(fc.boolean(), { minLength: lines.length, maxLength: lines.length })
      .map((keep) => lines.filter((_, i) => keep[i]).join('\n')),
    fc
      .tuple(fc.nat(base.length), fc.nat(16), fc.string({ maxLength: 12 }))
      .map(([i, len, s]) => base.slice(0, i) + s + base.slice(i + len)),
    fc
      .tuple(
        fc.nat(base.length),
        fc.constantFrom('\u0000', '999999999999999999999', '-', ':', '"', '\r\n', 'Live', ' NVRM version: '),
      )
      .map(([i, s]) => base.slice(0, i) + s + base.slice(i)),
  );
}

const anyInput = fc.oneof(fc.string(), fc.json(), fc.constantFrom(...samples).chain(mutated));

const onlyParseFailed = (fn: (s: string) => unknown) => expectOnlyParseFailed(fn, anyInput);

describe('driver parsers on arbitrary and mutated input', () => {
  it('parseNvidiaVersion', () => onlyParseFailed(parseNvidiaVersion));
  it('parseProcModules', () => onlyParseFailed(parseProcModules));
  it('parseSmiHeader', () => onlyParseFailed(parseSmiHeader));
  it('parseSmiDriverVersions', () => onlyParseFailed(parseSmiDriverVersions));
  it('parseCudaVersionFile', () => onlyParseFailed(parseCudaVersionFile));
  it('parseOfedInfo', () => onlyParseFailed(parseOfedInfo));
  it('parseSystemctlIsActive', () => onlyParseFailed(parseSystemctlIsActive));
  it('parseNcclHeader and ncclVersionFromFileName never throw', () =>
    onlyParseFailed((s) => {
      parseNcclHeader(s);
      ncclVersionFromFileName(s);
      return undefined;
    }));
});
