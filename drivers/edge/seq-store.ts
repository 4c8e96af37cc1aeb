import fs from 'node:fs';
import path from 'node:path';
import { DriverError } from '../errors.js';

/** Sequence numbers handed out per reservation write; a crash skips at most this many, never reuses. */
export const SEQ_BLOCK = 1000;

/**
 * Per-meter reading sequence numbers that only ever increase, across restarts. The file holds, per
 * meter, a number no issued seq has reached: it is raised a block ahead (atomic write + rename +
 * fsync) before a seq beyond it is used, and set to the exact next value on a clean stop. So a clean
 * restart continues without a gap and a crash leaves a gap, but a seq is never issued twice.
 */
export class SeqStore {
  private readonly file: string;
  private next = new Map<string, number>();
  private reserved = new Map<string, number>();

  constructor(opts: { dir: string }) {
    this.file = path.join(opts.dir, 'seq.json');
  }

  /** Loads the file and reserves a block for every meter in `meters` with one write. */
  async start(meters: readonly string[] = []): Promise<void> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    if (fs.existsSync(this.file)) {
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, unknown>;
      } catch {
        // Written by rename, so never torn; unreadable means damaged by hand: refuse rather than reuse seqs.
        throw new DriverError('MG_ERR_DRIVER_OUTBOX_IO', `${this.file} is not valid JSON; fix or remove it`);
      }
      for (const [meter, v] of Object.entries(data)) {
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
          this.next.set(meter, v);
          this.reserved.set(meter, v);
        }
      }
    }
    if (meters.length > 0) {
      for (const m of meters) this.reserved.set(m, (this.next.get(m) ?? 0) + SEQ_BLOCK);
      this.write(this.reserved);
    }
  }

  /** The next seq for `meter` (starting at 0). */
  take(meter: string): number {
    const seq = this.next.get(meter) ?? 0;
    if (seq >= (this.reserved.get(meter) ?? 0)) {
      this.reserved.set(meter, seq + SEQ_BLOCK);
      this.write(this.reserved);
    }
    this.next.set(meter, seq + 1);
    return seq;
  }

  /** Records exact next values so a clean restart has no gap. */
  async stop(): Promise<void> {
    this.write(this.next);
    this.reserved = new Map(this.next);
  }

  private write(values: Map<string, number>): void {
    const merged: Record<string, number> = {};
    for (const [m, v] of this.reserved) merged[m] = v;
    for (const [m, v] of values) merged[m] = v;
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, JSON.stringify(merged));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.file);
  }
}
