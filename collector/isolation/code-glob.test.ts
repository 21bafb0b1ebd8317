import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globToRegExp, matchesAnyGlob } from './code-glob.ts';

describe('globToRegExp', () => {
  it('matches codes the way policies write them', () => {
    expect(globToRegExp('gpu.xid.*').test('gpu.xid.79')).toBe(true);
    expect(globToRegExp('gpu.xid.*').test('gpu.xidx79')).toBe(false);
    expect(globToRegExp('gpu.*').test('gpu.ecc.dbe')).toBe(true);
    expect(globToRegExp('gpu.xid.7?').test('gpu.xid.79')).toBe(true);
    expect(globToRegExp('gpu.xid.7?').test('gpu.xid.791')).toBe(false);
    expect(globToRegExp('train.hang').test('train.hang.x')).toBe(false);
  });

  it('a pattern without wildcards matches exactly itself', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (lit, other) => {
          const re = globToRegExp(lit);
          expect(re.test(lit)).toBe(true);
          if (other !== lit) expect(re.test(other)).toBe(false);
        },
      ),
    );
  });

  it('prefix* matches exactly the strings with that prefix', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (prefix, s) => {
          expect(globToRegExp(`${prefix}*`).test(s)).toBe(s.startsWith(prefix));
          expect(globToRegExp(`${prefix}*`).test(prefix + s)).toBe(true);
        },
      ),
    );
  });

  it('an empty list matches nothing', () => {
    expect(matchesAnyGlob([], 'gpu.xid.79')).toBe(false);
    expect(matchesAnyGlob([globToRegExp('*')], '')).toBe(true);
  });
});
