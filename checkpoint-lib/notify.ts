/**
 * The writer's note to the agent: one NDJSON line per save over a unix socket
 * (KEELSON_CKPT_SOCKET). Fire and forget: a missing or slow agent never blocks a save; the
 * agent also finds committed slots by scanning shm, so a lost note only delays the flush.
 */
import { createConnection, type Socket } from 'node:net';
import { z } from 'zod';

/** A save committed to a slot. */
export const ckptSavedNoteSchema = z.object({
  type: z.literal('ckpt-saved'),
  job: z.string(),
  rank: z.number().int().nonnegative(),
  world: z.number().int().positive(),
  step: z.number().int().nonnegative(),
  slot: z.number().int().nonnegative(),
  saveId: z.string(),
});
/** A save that did not happen, and why. */
export const ckptSkippedNoteSchema = z.object({
  type: z.literal('ckpt-skipped'),
  job: z.string(),
  rank: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  reason: z.string().max(256),
});
export const ckptNoteSchema = z.discriminatedUnion('type', [ckptSavedNoteSchema, ckptSkippedNoteSchema]);
export type CkptNote = z.infer<typeof ckptNoteSchema>;

/** A lazily connected notifier that drops notes when the agent is not there. */
export class AgentNotifier {
  private sock: Socket | undefined;
  private broken = false;

  constructor(private readonly path: string | undefined) {}

  send(note: CkptNote): void {
    if (!this.path) return;
    if (!this.sock || this.broken) {
      this.broken = false;
      const s = createConnection(this.path);
      s.on('error', () => {
        this.broken = true;
      });
      s.unref();
      this.sock = s;
    }
    if (this.sock.writableLength < 1 << 20) this.sock.write(`${JSON.stringify(note)}\n`);
  }

  close(): void {
    this.sock?.end();
    this.sock = undefined;
  }
}
