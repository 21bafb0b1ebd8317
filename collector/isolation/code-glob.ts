/**
 * Glob patterns over finding codes and components (`gpu.xid.*`, `gpu:*`): `*` matches any run of
 * characters (dots included), `?` one character; everything else is literal.
 */

/** Compile a glob into an anchored regular expression. Pure. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** True when `value` matches any of the globs (an empty list matches nothing). */
export function matchesAnyGlob(globs: readonly RegExp[], value: string): boolean {
  return globs.some((g) => g.test(value));
}
