/**
 * The unix socket writers notify (KEELSON_CKPT_SOCKET): NDJSON `ckpt-saved` / `ckpt-skipped`
 * lines. A saved note kicks the flush engine; a skipped one becomes a `ckpt.save.skipped`
 * event. Bad lines are dropped: a trainer can never make the agent fail.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { type CkptNote, ckptNoteSchema } from '../../checkpoint-lib/notify.ts';
import { capEvidence, type Observation } from '../../core/finding.ts';
import { ckptEntry } from './catalog.ts';

const MAX_LINE = 64 * 1024;

/** The observation of a skipped save. */
export function skippedObservation(n: Extract<CkptNote, { type: 'ckpt-skipped' }>, at: number): Observation {
  const e = ckptEntry('ckpt.save.skipped');
  return {
    code: e.code,
    component: `job:${n.job}`,
    severity: e.severity,
    action: e.action,
    kind: e.kind,
    message: `rank ${n.rank} skipped the checkpoint of step ${n.step}: ${n.reason}`,
    evidence: capEvidence(JSON.stringify(n)),
    at,
  };
}

/** Listen for notes; resolves with the server (close it to stop). */
export function listenForNotes(path: string, onNote: (n: CkptNote) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        sock.destroy();
        return;
      }
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const r = ckptNoteSchema.safeParse(JSON.parse(line));
          if (r.success) onNote(r.data);
        } catch {}
        nl = buf.indexOf('\n');
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
