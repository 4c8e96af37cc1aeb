import fs from 'node:fs';
import path from 'node:path';
import { BrokerError } from './errors.js';

/**
 * An append-only log of JSON lines plus a snapshot, in one directory: what the durable broker
 * persistence writes its changes to. No embedded store on npm fits aedes 1.2's async persistence
 * and ships without native code for every Node we run on, so this is our own, and small:
 *
 * - `append(record)` queues a line; lines queued in the same tick go out in one write() (group
 *   commit) and the returned promise resolves once the OS has them, so a killed process loses
 *   nothing that was acknowledged. `fsync: 'always'` also waits for fdatasync (power loss); the
 *   default syncs every `fsyncIntervalMs`.
 * - when the log passes `compactBytes`, the owner's current state is written as a snapshot
 *   (`snapshot.ndjson`, written to a temporary file, synced, renamed) and the log starts over.
 *   Both carry a generation number: a log older than the snapshot (a crash between the two
 *   renames) is ignored, since the snapshot already holds it.
 * - on open, a torn last line (a crash mid-write) is cut off; a corrupt line elsewhere is skipped
 *   and counted.
 * Files are 0600, the directory 0700.
 */
export interface JournalOptions {
  dir: string;
  fsync?: 'always' | 'interval';
  fsyncIntervalMs?: number;
  compactBytes?: number;
}

export interface ReplayStats {
  records: number;
  snapshotRecords: number;
  tornBytes: number;
  corruptLines: number;
}

const LOG = 'journal.ndjson';
const SNAPSHOT = 'snapshot.ndjson';
const NL = 0x0a;

export class Journal {
  private pending: string[] = [];
  private batch: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  private writing = false;
  private scheduled = false;
  private dirty = false;
  private closed = false;
  private bytes: number;
  private syncTimer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];

  private constructor(
    private readonly options: JournalOptions,
    private fd: number,
    private gen: number,
    bytes: number,
    private readonly snapshotSource: () => Iterable<object>,
  ) {
    this.bytes = bytes;
    if (options.fsync !== 'always') {
      this.syncTimer = setInterval(() => this.syncNow(), options.fsyncIntervalMs ?? 1000);
      this.syncTimer.unref();
    }
  }

  /** Replay the snapshot then the log through `apply`, and open the log for appending. */
  static async open(
    options: JournalOptions,
    apply: (record: Record<string, unknown>) => Promise<void> | void,
    snapshotSource: () => Iterable<object>,
  ): Promise<{ journal: Journal; stats: ReplayStats }> {
    const dir = options.dir;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
    } catch (err) {
      throw new BrokerError('MG_ERR_BROKER_STORE', `${dir}: ${(err as Error).message}`);
    }
    const stats: ReplayStats = { records: 0, snapshotRecords: 0, tornBytes: 0, corruptLines: 0 };
    let gen = 0;
    const snapFile = path.join(dir, SNAPSHOT);
    if (fs.existsSync(snapFile)) {
      let header: { gen?: unknown } | undefined;
      let complete = false;
      await readLines(snapFile, async (rec) => {
        if (!header) return void (header = rec);
        if ('end' in rec) return void (complete = true);
        await apply(rec);
        stats.snapshotRecords++;
      });
      if (!header || typeof header.gen !== 'number' || !complete)
        throw new BrokerError('MG_ERR_BROKER_STORE', `${snapFile} is incomplete; refusing to start on it`);
      gen = header.gen;
    }
    const logFile = path.join(dir, LOG);
    let bytes = 0;
    if (fs.existsSync(logFile)) {
      let header: { gen?: unknown } | undefined;
      let stale = false;
      const r = await readLines(logFile, async (rec) => {
        if (!header) {
          header = rec;
          stale = header.gen !== gen;
          return;
        }
        if (stale) return;
        await apply(rec);
        stats.records++;
      });
      stats.tornBytes = r.tornBytes;
      stats.corruptLines = r.corrupt;
      if (header && !stale) {
        if (r.tornBytes) fs.truncateSync(logFile, r.validBytes);
        bytes = r.validBytes;
      }
    }
    let fd: number;
    if (bytes === 0) fd = startLog(dir, gen);
    else {
      fd = fs.openSync(logFile, 'a', 0o600);
      fs.fchmodSync(fd, 0o600);
    }
    return { journal: new Journal(options, fd, gen, bytes, snapshotSource), stats };
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Resolves when the record is in the OS (and on disk with fsync 'always'). */
  append(record: object): Promise<void> {
    if (this.closed) return Promise.reject(new BrokerError('MG_ERR_BROKER_STATE', 'journal is closed'));
    this.pending.push(JSON.stringify(record) + '\n');
    if (!this.batch) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.batch = { promise, resolve, reject };
    }
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return this.batch.promise;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.writing) return;
    const batch = this.batch;
    if (!batch || this.pending.length === 0) return this.wakeIdle();
    const buf = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.batch = undefined;
    this.writing = true;
    writeAll(this.fd, buf, (err) => {
      if (!err && this.options.fsync === 'always') {
        fs.fdatasync(this.fd, (e) => this.written(batch, buf.length, e));
      } else this.written(batch, buf.length, err);
    });
  }

  private written(batch: NonNullable<Journal['batch']>, n: number, err: Error | null): void {
    this.writing = false;
    if (err) batch.reject(new BrokerError('MG_ERR_BROKER_STORE', `journal write failed: ${err.message}`));
    else {
      this.bytes += n;
      this.dirty = true;
      if (this.bytes > (this.options.compactBytes ?? 64 << 20)) this.compact();
      batch.resolve();
    }
    if (this.pending.length) this.flush();
    else this.wakeIdle();
  }

  private wakeIdle(): void {
    for (const w of this.idle.splice(0)) w();
  }

  /**
   * Write the whole state as a snapshot and start an empty log. Synchronous on purpose: the state
   * must not change while it is written, and records still pending belong to it already.
   */
  compact(): void {
    const dir = this.options.dir;
    const next = this.gen + 1;
    const tmp = path.join(dir, `${SNAPSHOT}.tmp`);
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      const chunks: string[] = [JSON.stringify({ snapshot: 1, gen: next }) + '\n'];
      let size = 0;
      let n = 0;
      for (const rec of this.snapshotSource()) {
        const line = JSON.stringify(rec) + '\n';
        chunks.push(line);
        size += line.length;
        n++;
        if (size > 1 << 20) {
          fs.writeSync(fd, chunks.join(''));
          chunks.length = 0;
          size = 0;
        }
      }
      chunks.push(JSON.stringify({ end: n }) + '\n');
      fs.writeSync(fd, chunks.join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(dir, SNAPSHOT));
    syncDir(dir);
    fs.closeSync(this.fd);
    this.fd = startLog(dir, next);
    this.gen = next;
    this.bytes = 0;
    // What was pending is in the snapshot now.
    this.pending = [];
    const batch = this.batch;
    this.batch = undefined;
    batch?.resolve();
  }

  private syncNow(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    fs.fdatasync(this.fd, () => undefined);
  }

  /** Write what is pending, snapshot if the log is large, sync and close. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.writing || this.pending.length) {
      await new Promise<void>((r) => {
        this.idle.push(r);
        if (!this.writing) this.flush();
      });
    }
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.bytes > 1 << 20) this.compact();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
  }
}

function startLog(dir: string, gen: number): number {
  const tmp = path.join(dir, `${LOG}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o600);
  fs.writeSync(fd, JSON.stringify({ journal: 1, gen }) + '\n');
  fs.fsyncSync(fd);
  fs.renameSync(tmp, path.join(dir, LOG));
  syncDir(dir);
  return fd;
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeAll(fd: number, buf: Buffer, done: (err: Error | null) => void, offset = 0): void {
  fs.write(fd, buf, offset, buf.length - offset, null, (err, n) => {
    if (err) return done(err);
    if (offset + n < buf.length) writeAll(fd, buf, done, offset + n);
    else done(null);
  });
}

/**
 * Feed every complete JSON line to `onRecord`, tracking byte offsets: a last line without its
 * newline is torn (not applied); an unparsable line with a newline is corrupt (skipped).
 */
async function readLines(
  file: string,
  onRecord: (rec: Record<string, unknown>) => Promise<void> | void,
): Promise<{ validBytes: number; tornBytes: number; corrupt: number }> {
  let carry = Buffer.alloc(0);
  let validBytes = 0;
  let corrupt = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let nl = buf.indexOf(NL, start); nl !== -1; nl = buf.indexOf(NL, start)) {
      const text = buf.toString('utf8', start, nl);
      validBytes += nl + 1 - start;
      start = nl + 1;
      let rec: unknown;
      try {
        rec = JSON.parse(text);
      } catch {
        rec = undefined;
      }
      if (rec && typeof rec === 'object' && !Array.isArray(rec))
        await onRecord(rec as Record<string, unknown>);
      else corrupt++;
    }
    carry = Buffer.from(buf.subarray(start));
  }
  return { validBytes, tornBytes: carry.length, corrupt };
}
