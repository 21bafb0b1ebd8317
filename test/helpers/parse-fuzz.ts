/** Property-test helper for parsers: over many inputs, `fn` may only throw KeelsonError('PARSE_FAILED'). */
import fc from 'fast-check';
import { KeelsonError } from '../../core/errors.ts';

/** Assert that `fn` throws nothing but PARSE_FAILED on any of `inputs`. */
export function expectOnlyParseFailed(fn: (s: string) => unknown, inputs: fc.Arbitrary<string>, numRuns = 300): void {
  fc.assert(
    fc.property(inputs, (text) => {
      try {
        fn(text);
      } catch (err) {
        if (!(err instanceof KeelsonError) || err.code !== 'PARSE_FAILED') throw err;
      }
    }),
    { numRuns },
  );
}
