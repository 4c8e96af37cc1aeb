import fs from 'node:fs';
import path from 'node:path';
import { DriverError } from '../errors.js';
import type { DropListener, DropReason, Outbox, OutboxEntry, OutboxStats } from './outbox.js';

export interface FileOutboxOptions {
  dir: string;
  maxBytes: number;
  maxAgeHours: number;
  /** Rotate the active segment past this size; whole segments are what the size bound drops. */
  segmentBytes?: number;
  /** fdatasync batching window. */
  syncIntervalMs?: number;
  onDrop?: DropListener;
  now?: () => number;
}

interface Segment {
  readonly file: string;
  readonly firstId: number;
  lastId: number;
  bytes: number;
  live: number;
}

interface Slot {
  entry: OutboxEntry;
  seg: Segment;
}

const SEGMENT_RE = /^seg-(\d{16})\.jsonl$/;
const ACKS_FILE = 'acks.log';

/**
 * Append-only segment files on disk.
 *
 * Why this design: the writer only ever appends (one JSON line per reading to the active
 * `seg-<firstId>.jsonl`, one id per line to `acks.log` on PUBACK), which is the simplest layout that
 * survives a crash at any instant: a torn last line is detected by JSON.parse and skipped, nothing
 * is rewritten in place. `writeSync` hands every line to the kernel before `append` returns, so a
 * process crash or SIGKILL loses nothing; `fdatasync` runs batched every `syncIntervalMs` (and on
 * stop) so a power loss costs at most that window, without an fsync per reading. A segment whose
 * entries are all acknowledged is deleted; the ack log is compacted when segments go. Bounds drop
 * whole oldest segments (size) or oldest entries (age), always counted and reported via `onDrop`.
 * A lost ack (crash between PUBACK and the ack line) means one duplicate delivery, never a loss:
 * QoS 1 is at-least-once and readings carry (meter, seq) for idempotent ingest.
 */
export class FileOutbox implements Outbox {
  private readonly opts: Required<Omit<FileOutboxOptions, 'onDrop'>> & { onDrop?: DropListener };
  private readonly slots = new Map<number, Slot>();
  private segments: Segment[] = [];
  private active: Segment | null = null;
  private segFd: number | null = null;
  private ackFd: number | null = null;
  private nextId = 1;
  private dirty = false;
  private syncing = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private ackLines = 0;
  private readonly dropped: Record<DropReason, number> = { 'max-bytes': 0, 'max-age': 0, corrupt: 0 };

  constructor(opts: FileOutboxOptions) {
    this.opts = {
      segmentBytes: Math.max(4096, Math.min(4 * 2 ** 20, Math.floor(opts.maxBytes / 8))),
      syncIntervalMs: 100,
      now: Date.now,
      ...opts,
    };
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    const acked = this.loadAcks();
    for (const name of fs.readdirSync(this.opts.dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (m) this.loadSegment(name, Number(m[1]), acked);
    }
    for (const seg of [...this.segments]) if (seg.live === 0) this.removeSegment(seg);
    this.rewriteAcks();
    this.sweepAge();
    this.syncTimer = setInterval(() => this.syncNow(), this.opts.syncIntervalMs);
    this.syncTimer.unref();
    this.sweepTimer = setInterval(() => this.sweepAge(), 60_000);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.syncTimer = this.sweepTimer = null;
    await this.waitForSync();
    this.syncNow(true);
    if (this.segFd !== null) fs.closeSync(this.segFd);
    if (this.ackFd !== null) fs.closeSync(this.ackFd);
    this.segFd = this.ackFd = null;
    this.active = null;
  }

  append(topic: string, body: Record<string, unknown>): OutboxEntry {
    const json = JSON.stringify(body);
    const entry: OutboxEntry = {
      id: this.nextId++,
      ts: this.opts.now(),
      topic,
      body,
      json,
      recovered: false,
    };
    const line = `{"id":${entry.id},"ts":${entry.ts},"topic":${JSON.stringify(topic)},"body":${json}}\n`;
    const bytes = Buffer.byteLength(line);
    if (!this.active || this.active.bytes + bytes > this.opts.segmentBytes) this.rotate(entry.id);
    const seg = this.active!;
    try {
      fs.writeSync(this.segFd!, line);
    } catch (err) {
      throw new DriverError('MG_ERR_DRIVER_OUTBOX_IO', `append to ${seg.file}: ${(err as Error).message}`);
    }
    seg.bytes += bytes;
    seg.lastId = entry.id;
    seg.live++;
    this.slots.set(entry.id, { entry, seg });
    this.dirty = true;
    this.enforceSize();
    return entry;
  }

  pending(limit: number, skip?: ReadonlySet<number>): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const { entry } of this.slots.values()) {
      if (out.length >= limit) break;
      if (!skip?.has(entry.id)) out.push(entry);
    }
    return out;
  }

  ack(id: number): void {
    const slot = this.slots.get(id);
    if (!slot) return; // already dropped by a bound, or a duplicate PUBACK
    this.forget(id, slot);
    this.writeAck(id);
  }

  stats(): OutboxStats {
    let bytes = 0;
    for (const s of this.segments) bytes += s.bytes;
    const droppedTotal = this.dropped['max-bytes'] + this.dropped['max-age'] + this.dropped.corrupt;
    return { depth: this.slots.size, bytes, dropped: droppedTotal, droppedByReason: { ...this.dropped } };
  }

  async flush(): Promise<void> {
    await this.waitForSync();
    this.syncNow(true);
  }

  private async waitForSync(): Promise<void> {
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
  }

  private forget(id: number, slot: Slot): void {
    this.slots.delete(id);
    slot.seg.live--;
    if (slot.seg.live === 0 && slot.seg !== this.active) {
      this.removeSegment(slot.seg);
      if (this.ackLines > 10_000) this.rewriteAcks();
    }
  }

  private writeAck(id: number): void {
    if (this.ackFd === null) return;
    fs.writeSync(this.ackFd, `${id}\n`);
    this.ackLines++;
    this.dirty = true;
  }

  private rotate(firstId: number): void {
    if (this.segFd !== null) {
      // Its last lines are already in the kernel; make them stable off the event loop, then close.
      // (A pending batched fdatasync on this fd is harmless: close waits for no one, and fdatasync
      // on a closed fd only reports EBADF to a callback that ignores it.)
      const old = this.segFd;
      fs.fdatasync(old, () => fs.close(old, () => undefined));
    }
    const prev = this.active;
    const file = path.join(this.opts.dir, `seg-${String(firstId).padStart(16, '0')}.jsonl`);
    this.segFd = fs.openSync(file, 'a');
    this.active = { file, firstId, lastId: firstId - 1, bytes: 0, live: 0 };
    this.segments.push(this.active);
    if (prev && prev.live === 0) this.removeSegment(prev);
  }

  private removeSegment(seg: Segment): void {
    this.segments = this.segments.filter((s) => s !== seg);
    fs.rmSync(seg.file, { force: true });
  }

  private enforceSize(): void {
    for (;;) {
      let total = 0;
      for (const s of this.segments) total += s.bytes;
      if (total <= this.opts.maxBytes) return;
      const oldest = this.segments[0];
      if (!oldest) return;
      if (oldest === this.active) {
        // A single oversized segment: start a new one so the old one can be dropped whole.
        this.rotate(this.nextId);
        continue;
      }
      let n = 0;
      for (let id = oldest.firstId; id <= oldest.lastId; id++) {
        const slot = this.slots.get(id);
        if (slot) {
          this.slots.delete(id);
          n++;
        }
      }
      oldest.live = 0;
      this.removeSegment(oldest);
      this.reportDrop(n, 'max-bytes');
    }
  }

  private sweepAge(): void {
    const cutoff = this.opts.now() - this.opts.maxAgeHours * 3_600_000;
    let n = 0;
    for (const [id, slot] of this.slots) {
      if (slot.entry.ts >= cutoff) break; // ids are in time order
      this.forget(id, slot);
      this.writeAck(id);
      n++;
    }
    this.reportDrop(n, 'max-age');
  }

  private reportDrop(n: number, reason: DropReason): void {
    if (n <= 0) return;
    this.dropped[reason] += n;
    this.opts.onDrop?.(n, reason);
  }

  private loadAcks(): Set<number> {
    const file = path.join(this.opts.dir, ACKS_FILE);
    const acked = new Set<number>();
    if (!fs.existsSync(file)) return acked;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const id = Number(line);
      if (line !== '' && Number.isSafeInteger(id)) acked.add(id);
    }
    return acked;
  }

  private loadSegment(name: string, firstId: number, acked: Set<number>): void {
    const file = path.join(this.opts.dir, name);
    const text = fs.readFileSync(file, 'utf8');
    const seg: Segment = { file, firstId, lastId: firstId - 1, bytes: Buffer.byteLength(text), live: 0 };
    this.segments.push(seg);
    let corrupt = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let rec: { id?: unknown; ts?: unknown; topic?: unknown; body?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        corrupt++; // a torn write from a crash mid-line
        continue;
      }
      if (
        typeof rec.id !== 'number' ||
        typeof rec.ts !== 'number' ||
        typeof rec.topic !== 'string' ||
        typeof rec.body !== 'object' ||
        rec.body === null
      ) {
        corrupt++;
        continue;
      }
      seg.lastId = Math.max(seg.lastId, rec.id);
      this.nextId = Math.max(this.nextId, rec.id + 1);
      if (acked.has(rec.id) || this.slots.has(rec.id)) continue;
      const entry: OutboxEntry = {
        id: rec.id,
        ts: rec.ts,
        topic: rec.topic,
        body: rec.body as Record<string, unknown>,
        json: JSON.stringify(rec.body),
        recovered: true,
      };
      this.slots.set(rec.id, { entry, seg });
      seg.live++;
    }
    this.reportDrop(corrupt, 'corrupt');
  }

  /** Rewrites acks.log to the acks still needed (ids inside segments that remain). */
  private rewriteAcks(): void {
    const file = path.join(this.opts.dir, ACKS_FILE);
    const lines: string[] = [];
    for (const seg of this.segments)
      for (let id = seg.firstId; id <= seg.lastId; id++) if (!this.slots.has(id)) lines.push(String(id));
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    const fd = fs.openSync(tmp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    if (this.ackFd !== null) fs.closeSync(this.ackFd);
    fs.renameSync(tmp, file);
    this.ackFd = fs.openSync(file, 'a');
    this.ackLines = lines.length;
  }

  /**
   * fdatasync off the event loop (libuv thread pool): a slow disk must not stall polling. At most one
   * sync runs at a time; `final` (stop) syncs synchronously before the files are closed.
   */
  private syncNow(final = false): void {
    if (final) {
      this.dirty = false;
      if (this.segFd !== null) fs.fdatasyncSync(this.segFd);
      if (this.ackFd !== null) fs.fdatasyncSync(this.ackFd);
      return;
    }
    if (!this.dirty || this.syncing) return;
    this.dirty = false;
    const fds = [this.segFd, this.ackFd].filter((fd): fd is number => fd !== null);
    this.syncing = true;
    let left = fds.length;
    const done = () => {
      if (--left <= 0) this.syncing = false;
    };
    if (left === 0) this.syncing = false;
    for (const fd of fds) fs.fdatasync(fd, done);
  }
}
