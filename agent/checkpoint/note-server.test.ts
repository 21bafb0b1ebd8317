import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CkptNote } from '../../checkpoint-lib/notify.ts';
import { waitFor } from '../../test/helpers/processes.ts';
import { listenForNotes, skippedObservation } from './note-server.ts';

describe('listenForNotes', () => {
  it('passes valid NDJSON notes on, split across writes, and drops garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'knote-'));
    const path = join(dir, 'ckpt.sock');
    const got: CkptNote[] = [];
    const server = await listenForNotes(path, (n) => got.push(n));
    const c = createConnection(path);
    c.write('not json\n{"type":"ckpt-saved","job":"j","rank":1,"world":2,"st');
    c.write(
      'ep":3,"slot":0,"saveId":"a"}\n{"type":"ckpt-skipped","job":"j","rank":1,"step":4,"reason":"all-slots-busy"}\n',
    );
    await waitFor(() => got.length === 2, 5000, 'notes');
    c.end();
    server.close();
    rmSync(dir, { recursive: true, force: true });
    expect(got[0]).toMatchObject({ type: 'ckpt-saved', step: 3 });
    const skipped = got[1];
    if (skipped?.type !== 'ckpt-skipped') throw new Error('expected a skipped note');
    const o = skippedObservation(skipped, 5);
    expect([o.code, o.severity, o.component]).toEqual(['ckpt.save.skipped', 'warn', 'job:j']);
  });
});
