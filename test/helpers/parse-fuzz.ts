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

/**
 * Real-format text cut short, with lines dropped, or a span replaced by random junk; `more` adds
 * mutations of the area's own (a token inserted, a JSON value swapped).
 */
export function mutatedText(base: string, ...more: fc.Arbitrary<string>[]): fc.Arbitrary<string> {
  const lines = base.split('\n');
  return fc.oneof(
    fc.nat(base.length).map((n) => base.slice(0, n)),
    fc
      .array(fc.boolean(), { minLength: lines.length, maxLength: lines.length })
      .map((keep) => lines.filter((_, i) => keep[i]).join('\n')),
    fc
      .tuple(fc.nat(base.length), fc.nat(16), fc.string({ maxLength: 12 }))
      .map(([i, len, s]) => base.slice(0, i) + s + base.slice(i + len)),
    ...more,
  );
}

/** `base` with one of `tokens` (the area's awkward values and keywords) inserted anywhere. */
export function withTokenInserted(base: string, tokens: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat(base.length), fc.constantFrom(...tokens))
    .map(([i, s]) => base.slice(0, i) + s + base.slice(i));
}
