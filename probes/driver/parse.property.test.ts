import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expectOnlyParseFailed, mutatedText, withTokenInserted } from '../../test/helpers/parse-fuzz.ts';
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

/** Real-format text mutated, or with one of the driver captures' awkward tokens inserted. */
const mutated = (base: string) =>
  mutatedText(
    base,
    withTokenInserted(base, ['\u0000', '999999999999999999999', '-', ':', '"', '\r\n', 'Live', ' NVRM version: ']),
  );

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
