import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePayload, TopicScheme, type MeterEvent } from '../../protocol/index.js';
import { CommandHandler, type CommandTarget } from './commands.js';
import { ExecutedCommands } from './executed-commands.js';

const topics = new TopicScheme('t/v1');
const NOW = Date.parse('2026-12-03T12:00:00Z');

function setup(executed?: ExecutedCommands, now: () => number = () => NOW) {
  const writes: Array<[string, number | boolean]> = [];
  let polls = 0;
  const target: CommandTarget = {
    relayField: 'relay',
    writeField: async (k, v) => {
      writes.push([k, v]);
      return k === 'broken' ? { ok: false, reason: 'exception 4 (server device failure)' } : { ok: true };
    },
    poll: async () => {
      polls++;
      return { ok: true, values: { '1-0:1.8.0': 1 } };
    },
  };
  const events: MeterEvent[] = [];
  const reads: string[] = [];
  const h = new CommandHandler({
    topics,
    targets: new Map([['m1', target]]),
    publishEvent: (_id, e) => {
      expect(decodePayload('event', JSON.stringify(e)).ok).toBe(true); // every answer is a valid event
      events.push(e);
    },
    onRead: (id) => reads.push(id),
    now,
    ...(executed ? { executed } : {}),
  });
  const send = (name: string, body: object, meter = 'm1') =>
    h.handle(topics.command(meter, name), Buffer.from(JSON.stringify({ v: 1, ...body })));
  return { h, writes, events, reads, send, polls: () => polls };
}

describe('CommandHandler (cmd/relay, cmd/set, cmd/read)', () => {
  it('opens and closes the relay by writing the relay field, answering on the event topic', async () => {
    const { writes, events, send, h } = setup();
    expect(CommandHandler.filters(topics, ['m1', 'm2'])).toEqual([
      't/v1/meters/m1/cmd/+',
      't/v1/meters/m2/cmd/+',
    ]);
    expect(h).toBeInstanceOf(CommandHandler);
    await send('relay', { id: 'c1', action: 'open', reason: 'unpaid' });
    await send('relay', { id: 'c2', action: 'close' });
    expect(writes).toEqual([
      ['relay', false],
      ['relay', true],
    ]);
    expect(events.map((e) => [e.kind, e.command, e.cmd, e.outcome, e.relay])).toEqual([
      ['command', 'relay', 'c1', 'done', 'disconnected'],
      ['command', 'relay', 'c2', 'done', 'connected'],
    ]);
  });

  it('is idempotent by command id and does not execute expired commands', async () => {
    const { writes, events, send } = setup();
    await send('relay', { id: 'c1', action: 'open' });
    await send('relay', { id: 'c1', action: 'open' }); // QoS 1 redelivery
    await send('relay', { id: 'c3', action: 'close', expiresAt: '2026-12-03T11:59:59Z' });
    expect(writes).toEqual([['relay', false]]);
    expect(events.map((e) => e.outcome)).toEqual(['done', 'duplicate', 'expired']);
  });

  it('sets writable fields, reports meter failures, reads now, and rejects bad payloads', async () => {
    const { writes, events, reads, send, polls } = setup();
    await send('set', { id: 's1', field: 'tariff', value: 2 });
    await send('set', { id: 's2', field: 'broken', value: 1 });
    await send('read', { id: 'r1' });
    await send('relay', { id: 'x', action: 'explode' });
    await send('relay', { id: 'c9', action: 'open' }, 'not-mine');
    expect(writes).toEqual([
      ['tariff', 2],
      ['broken', 1],
    ]);
    expect(polls()).toBe(1);
    expect(reads).toEqual(['m1']);
    expect(events.map((e) => [e.command, e.outcome])).toEqual([
      ['set', 'done'],
      ['set', 'failed'],
      ['read', 'done'],
      ['relay', 'rejected'],
    ]);
    expect(events[1]!.detail).toMatch(/exception 4/);
  });
});

describe('CommandHandler across an edge restart (command ids journalled beside the outbox)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-cmd-ids-'));
    dirs.push(d);
    return path.join(d, 'commands');
  };
  /** One edge life: a journal on `dir` and a handler using it. */
  const life = async (dir: string, now: () => number = () => NOW, max?: number) => {
    const executed = new ExecutedCommands({ dir, now, ...(max ? { max } : {}) });
    await executed.start();
    return { executed, ...setup(executed, now) };
  };
  const later = '2026-12-03T12:05:00Z';

  it('does not execute a command redelivered after a restart, and answers it with the first outcome', async () => {
    const dir = tempDir();
    const first = await life(dir);
    await first.send('relay', { id: 'c1', action: 'open', expiresAt: later });
    await first.send('set', { id: 's1', field: 'broken', value: 1, expiresAt: later });
    expect(first.writes).toEqual([
      ['relay', false],
      ['broken', 1],
    ]);
    await first.executed.stop();
    expect(fs.statSync(path.join(dir, 'executed.jsonl')).mode & 0o777).toBe(0o600);

    const second = await life(dir); // a new edge process on the same outbox directory
    await second.send('relay', { id: 'c1', action: 'open', expiresAt: later }); // QoS 1 redelivery
    await second.send('set', { id: 's1', field: 'broken', value: 1, expiresAt: later });
    await second.send('relay', { id: 'c2', action: 'close', expiresAt: later }); // a new command runs
    expect(second.writes).toEqual([['relay', true]]);
    expect(second.events.map((e) => [e.cmd, e.outcome, e.relay, e.field])).toEqual([
      ['c1', 'duplicate', 'disconnected', 'relay'],
      ['s1', 'duplicate', undefined, 'broken'],
      ['c2', 'done', 'connected', 'relay'],
    ]);
    expect(second.events[0]!.detail).toBe('first delivered at 2026-12-03T12:00:00.000Z, answered done');
    expect(second.events[1]!.detail).toMatch(/answered failed; exception 4/);
    await second.executed.stop();
  });

  it('never executes a command taken before a crash, even without its answer', async () => {
    const dir = tempDir();
    const first = await life(dir);
    first.executed.begin('m1/c5', Date.parse(later)); // taken, then the process died mid-write
    // the crash also tore the journal's last line
    fs.appendFileSync(path.join(dir, 'executed.jsonl'), '{"k":"m1/c6","at":17');
    await first.executed.stop();
    const second = await life(dir);
    await second.send('relay', { id: 'c5', action: 'open', expiresAt: later });
    await second.send('relay', { id: 'c6', action: 'open', expiresAt: later }); // torn: never taken
    expect(second.writes).toEqual([['relay', false]]);
    expect(second.events.map((e) => [e.cmd, e.outcome])).toEqual([
      ['c5', 'duplicate'],
      ['c6', 'done'],
    ]);
    expect(second.events[0]!.detail).toMatch(/no answer recorded.*not executed again/);
    await second.executed.stop();
  });

  it('forgets a command once it expires and keeps at most `max` commands', async () => {
    const dir = tempDir();
    let now = NOW;
    const first = await life(dir, () => now, 3);
    for (const id of ['a', 'b', 'c', 'd']) await first.send('read', { id, expiresAt: later });
    await first.send('read', { id: 'e' }); // no expiry: kept for the default retention (7 days)
    expect(first.executed.size).toBe(3);
    await first.executed.stop();

    now = Date.parse(later) + 1; // past the expiry of a..d
    const second = await life(dir, () => now, 3);
    expect(second.executed.size).toBe(1); // only e remains
    expect(fs.readFileSync(path.join(dir, 'executed.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    await second.send('read', { id: 'd', expiresAt: later }); // redelivered too late: expired, not run
    await second.send('read', { id: 'e' });
    expect(second.polls()).toBe(0);
    expect(second.events.map((e) => [e.cmd, e.outcome])).toEqual([
      ['d', 'expired'],
      ['e', 'duplicate'],
    ]);
    await second.executed.stop();
  });
});
