import assert from 'node:assert';
import { createRequire } from 'node:module';
import { describe, it } from 'vitest';
import { IndexedMemoryPersistence } from './indexed-memory-persistence.js';

// aedes-persistence's own abstract suite (written for node:test), run under vitest: every
// persistence aedes accepts must pass it, and it covers the outgoing queue methods we replace.
const require = createRequire(import.meta.url);
const abstractPersistence = require('aedes-persistence/abstract.js') as (opts: {
  test: (name: string, fn: (t: unknown) => Promise<void> | void) => void;
  persistence: () => unknown;
  testAsync: boolean;
}) => void;

describe('IndexedMemoryPersistence: aedes-persistence abstract suite', () => {
  abstractPersistence({
    test: (name, fn) => it(name, () => fn({ assert, plan: () => undefined, diagnostic: () => undefined })),
    persistence: () => new IndexedMemoryPersistence(),
    testAsync: true,
  });
});

describe('IndexedMemoryPersistence: a deep gateway queue', () => {
  it('finds, updates and clears packets anywhere in a queue of 50,000, keeping enqueue order', async () => {
    const p = new IndexedMemoryPersistence();
    const broker = { id: 'b1', counter: 0 };
    await p.setup(broker);
    const client = { id: 'gw' } as never;
    const n = 50_000;
    for (let i = 1; i <= n; i++) {
      await p.outgoingEnqueue({ clientId: 'gw' }, {
        cmd: 'publish',
        topic: 't',
        payload: Buffer.from(String(i)),
        qos: 1,
        retain: false,
        dup: false,
        brokerId: 'b1',
        brokerCounter: i,
      } as never);
    }
    // Sent in order with 16-bit packet identifiers that wrap, as aedes assigns them.
    for (let i = 1; i <= n; i++) {
      await p.outgoingUpdate(client, {
        brokerId: 'b1',
        brokerCounter: i,
        messageId: ((i - 1) % 65535) + 1,
      } as never);
    }
    // PUBACKs for every odd message, out of order at the end.
    for (let i = 1; i <= n - 10; i += 2) {
      const cleared = (await p.outgoingClearMessageId(client, { messageId: i } as never)) as {
        payload: Buffer;
      };
      assert.equal(cleared.payload.toString(), String(i));
    }
    for (let i = n - 1; i > n - 10; i -= 2) await p.outgoingClearMessageId(client, { messageId: i } as never);
    const left: string[] = [];
    for await (const pkt of p.outgoingStream(client))
      left.push((pkt as { payload: Buffer }).payload.toString());
    assert.equal(left.length, n / 2);
    assert.deepEqual(left.slice(0, 3), ['2', '4', '6']);
    assert.equal(left.at(-1), String(n));
    await assert.rejects(
      p.outgoingUpdate(client, { brokerId: 'b1', brokerCounter: n + 1, messageId: 7 } as never),
      /no such packet/,
    );
  });
});
