import fs from 'node:fs';
import path from 'node:path';
import type { MeterEvent } from '../../protocol/index.js';
import { DriverError } from '../errors.js';

/** What a command's answer said, kept so a redelivery can be told what came of the first delivery. */
export type RecordedAnswer = Pick<MeterEvent, 'outcome' | 'field' | 'value' | 'relay' | 'detail'>;

export interface CommandRecord {
  /** When the edge took the command (ms since the epoch). */
  readonly at: number;
  /** When the record may be forgotten: the command's expiry (it is never executed after it anyway). */
  readonly until: number;
  /** Absent when the edge stopped (or crashed) between taking the command and answering it. */
  answer?: RecordedAnswer;
}

export interface ExecutedCommandsOptions {
  /** Directory of the journal (beside the outbox); memory only when absent. */
  dir?: string;
  /** Commands remembered at most (the oldest are forgotten first). */
  max?: number;
  /** How long a command without `expiresAt` is remembered, ms (default 7 days). */
  retentionMs?: number;
  now?: () => number;
}

/** Default bound: ten thousand commands, about 1.5 MB of journal after compaction. */
export const DEFAULT_REMEMBERED_COMMANDS = 10_000;
export const DEFAULT_COMMAND_RETENTION_MS = 7 * 24 * 3600_000;
const FILE = 'executed.jsonl';

type JournalLine = { k: string; at: number; until: number } | { k: string; answer: RecordedAnswer };

/**
 * The command ids this edge has taken, across restarts: an MQTT QoS 1 command may be delivered again
 * after the edge restarts (its persistent session, or the gateway's retry), and a relay must not be
 * switched twice for one command. A journal of JSON lines, one when a command is taken (written and
 * fsynced *before* it is executed: at most once, even across a crash) and one with its answer.
 * At start the journal is read, expired and surplus records are dropped, and it is rewritten compacted
 * (temp file, fsync, rename); it is compacted again once it holds four times the bound.
 */
export class ExecutedCommands {
  private readonly opts: ExecutedCommandsOptions;
  private readonly records = new Map<string, CommandRecord>();
  private fd: number | null = null;
  private lines = 0;

  constructor(opts: ExecutedCommandsOptions = {}) {
    this.opts = opts;
  }

  private get file(): string | null {
    return this.opts.dir ? path.join(this.opts.dir, FILE) : null;
  }

  private get max(): number {
    return this.opts.max ?? DEFAULT_REMEMBERED_COMMANDS;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    const file = this.file;
    if (!file || this.fd !== null) return;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      if (fs.existsSync(file)) {
        for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
          if (!text) continue;
          let line: JournalLine;
          try {
            line = JSON.parse(text) as JournalLine;
          } catch {
            continue; // a line torn by a crash mid-append: its command was not executed yet
          }
          this.apply(line);
        }
      }
      this.prune();
      this.compact();
    } catch (err) {
      throw new DriverError('MG_ERR_DRIVER_OUTBOX_IO', `${file}: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  /** The record of a command taken before (and not yet expired), if any. */
  get(key: string): CommandRecord | undefined {
    const r = this.records.get(key);
    if (r && r.until <= this.now()) {
      this.records.delete(key);
      return undefined;
    }
    return r;
  }

  /** Records that the command is being taken; durable when this returns (throws on I/O failure). */
  begin(key: string, expiresAt?: number): void {
    const at = this.now();
    const until = expiresAt ?? at + (this.opts.retentionMs ?? DEFAULT_COMMAND_RETENTION_MS);
    this.records.set(key, { at, until });
    this.append({ k: key, at, until });
    if (this.records.size > this.max) this.prune();
  }

  /** Records the answer the command got. */
  finish(key: string, answer: RecordedAnswer): void {
    const r = this.records.get(key);
    if (!r) return;
    r.answer = answer;
    this.append({ k: key, answer });
  }

  get size(): number {
    return this.records.size;
  }

  private apply(line: JournalLine): void {
    if (typeof line?.k !== 'string') return;
    if ('answer' in line) {
      const r = this.records.get(line.k);
      if (r) r.answer = line.answer;
    } else if (Number.isFinite(line.at) && Number.isFinite(line.until)) {
      this.records.delete(line.k); // re-inserted: insertion order stays the order commands were taken
      this.records.set(line.k, { at: line.at, until: line.until });
    }
  }

  /** Forgets expired records, then the oldest beyond the bound. */
  private prune(): void {
    const now = this.now();
    for (const [k, r] of this.records) if (r.until <= now) this.records.delete(k);
    for (const k of this.records.keys()) {
      if (this.records.size <= this.max) break;
      this.records.delete(k);
    }
  }

  private append(line: JournalLine): void {
    const file = this.file;
    if (!file) return;
    if (this.fd === null) throw new DriverError('MG_ERR_DRIVER_NOT_STARTED', `${file}`);
    try {
      fs.writeSync(this.fd, `${JSON.stringify(line)}\n`);
      fs.fdatasyncSync(this.fd);
      this.lines++;
      if (this.lines > 4 * this.max) {
        this.prune();
        this.compact();
      }
    } catch (err) {
      if (err instanceof DriverError) throw err;
      throw new DriverError('MG_ERR_DRIVER_OUTBOX_IO', `${file}: ${(err as Error).message}`);
    }
  }

  /** Rewrites the journal with one or two lines per remembered command (temp file, fsync, rename). */
  private compact(): void {
    const file = this.file!;
    const out: string[] = [];
    for (const [k, r] of this.records) {
      out.push(JSON.stringify({ k, at: r.at, until: r.until }));
      if (r.answer) out.push(JSON.stringify({ k, answer: r.answer }));
    }
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    fs.writeSync(fd, out.length ? `${out.join('\n')}\n` : '');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    if (this.fd !== null) fs.closeSync(this.fd);
    fs.renameSync(tmp, file);
    this.fd = fs.openSync(file, 'a', 0o600);
    this.lines = out.length;
  }
}
