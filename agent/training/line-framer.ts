/**
 * Splits a byte stream into lines (LF or CRLF), decoding UTF-8 across chunk boundaries.
 * A line longer than the cap is dropped whole (counted), never buffered without bound. Pure.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineFramer {
  private buf = '';
  private skipping = false;
  private readonly decoder = new StringDecoder('utf8');
  /** Lines dropped for being longer than the cap. */
  overlong = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Feed a chunk; returns the complete lines it finished (without the newline). */
  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        this.buf = '';
        continue;
      }
      const line = this.buf + piece;
      this.buf = '';
      if (line.length > this.maxLineBytes) {
        this.overlong += 1;
        continue;
      }
      out.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (!this.skipping) {
      this.buf += text.slice(start);
      if (this.buf.length > this.maxLineBytes) {
        this.overlong += 1;
        this.skipping = true;
        this.buf = '';
      }
    }
    return out;
  }

  /** The unterminated rest, as a last line (at end of input). */
  flush(): string[] {
    const rest = this.buf + this.decoder.end();
    this.buf = '';
    const skipped = this.skipping;
    this.skipping = false;
    return rest !== '' && !skipped && rest.length <= this.maxLineBytes ? [rest] : [];
  }
}
