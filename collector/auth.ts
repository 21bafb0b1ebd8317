/** Agent authentication: bearer tokens compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Holds the accepted tokens as digests, so comparisons take the same time whatever the input. */
export class TokenSet {
  private readonly digests: Buffer[];
  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  /** Whether an `Authorization` header carries an accepted bearer token. */
  acceptsHeader(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return false;
    const d = digest(m[1]!);
    let ok = false;
    // Compare against every token so timing does not reveal which (or whether one) matched early.
    for (const t of this.digests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  }
}
