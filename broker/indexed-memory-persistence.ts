import { Readable } from 'node:stream';
import type { Client } from 'aedes';
import type { AedesPacket } from 'aedes-packet';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';

export type Outgoing = AedesPacket & { messageId?: number };

// The class's typings omit the Packet constructor it exports (aedes-packet: stamps brokerId/counter).
export const Packet = (MemoryPersistence as unknown as { Packet: new (p: AedesPacket) => Outgoing }).Packet;

interface Entry {
  /** Enqueue order: the order a reconnecting client gets its queue back in. */
  seq: number;
  packet: Outgoing;
  live: boolean;
}

/** One client's outgoing QoS 1/2 queue, indexed both ways aedes looks packets up. */
export class OutgoingQueue {
  private entries: Entry[] = [];
  private head = 0;
  private nextSeq = 0;
  private readonly byCounter = new Map<string, Entry>();
  private readonly byMessageId = new Map<number, Entry[]>();
  /** Live (unacknowledged) entries. */
  size = 0;

  push(packet: Outgoing): void {
    this.size++;
    const e: Entry = { seq: this.nextSeq++, packet, live: true };
    this.entries.push(e);
    this.byCounter.set(counterKey(packet), e);
    if (packet.messageId !== undefined) this.indexMessageId(e);
  }

  /** Same outcome as aedes-persistence's scan: the earliest entry that is this packet, or that another broker sent under its messageId. */
  update(packet: Outgoing): 'own' | 'foreign' {
    const own = this.byCounter.get(counterKey(packet));
    const foreign = this.byMessageId
      .get(packet.messageId!)
      ?.find((e) => e.packet.brokerId !== packet.brokerId);
    const target = own && (!foreign || own.seq < foreign.seq) ? own : foreign;
    if (!target) throw new Error('no such packet');
    this.unindexMessageId(target);
    if (target === own) {
      target.packet.messageId = packet.messageId;
    } else {
      this.byCounter.delete(counterKey(target.packet));
      target.packet = packet;
      this.byCounter.set(counterKey(packet), target);
    }
    this.indexMessageId(target);
    return target === own ? 'own' : 'foreign';
  }

  clear(messageId: number): Outgoing | undefined {
    const e = this.byMessageId.get(messageId)?.[0];
    if (!e) return undefined;
    e.live = false;
    this.size--;
    this.unindexMessageId(e);
    this.byCounter.delete(counterKey(e.packet));
    this.compact();
    return e.packet;
  }

  snapshot(): Outgoing[] {
    const out: Outgoing[] = [];
    for (let i = this.head; i < this.entries.length; i++)
      if (this.entries[i]!.live) out.push(this.entries[i]!.packet);
    return out;
  }

  private indexMessageId(e: Entry): void {
    const id = e.packet.messageId;
    if (id === undefined) return;
    const list = this.byMessageId.get(id);
    if (!list) this.byMessageId.set(id, [e]);
    else {
      list.push(e);
      list.sort((a, b) => a.seq - b.seq);
    }
  }

  private unindexMessageId(e: Entry): void {
    const id = e.packet.messageId;
    if (id === undefined) return;
    const list = this.byMessageId.get(id);
    if (!list) return;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byMessageId.delete(id);
  }

  // Acknowledgements come in order, so dead entries gather at the front: drop them there, and
  // reclaim the array once the dead prefix is as long as what is left.
  private compact(): void {
    while (this.head < this.entries.length && !this.entries[this.head]!.live) this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

function counterKey(p: Outgoing): string {
  return `${p.brokerId}\u0000${p.brokerCounter}`;
}

/**
 * aedes' in-memory persistence with the outgoing queues indexed. The stock one keeps each client's
 * unacknowledged QoS 1 messages in an array and scans it on every send (outgoingUpdate) and every
 * PUBACK: fine for devices with a handful in flight, but the gateway holds its PUBACKs until a batch
 * is durable, so its queue is thousands deep and the scans became a fifth of the broker's CPU.
 * Everything else (subscriptions, retained, wills, incoming) is the library's own; no published
 * library indexes this queue, hence these few methods of our own. aedes-persistence's abstract test
 * suite runs against it (indexed-memory-persistence.test.ts).
 */
export interface QueueBoundOptions {
  /**
   * Unacknowledged QoS 1/2 messages kept per client. When a client's queue is full a new message
   * for it is dropped (the newest goes, as Mosquitto's max_queued_messages does: what is queued
   * stays in order) and `onDrop` is called. Default 100,000 (~40 MB of readings per client).
   */
  maxQueuedPerClient?: number;
  onDrop?: (clientId: string, packet: AedesPacket) => void;
}

export const DEFAULT_MAX_QUEUED_PER_CLIENT = 100_000;

export class IndexedMemoryPersistence extends MemoryPersistence {
  private readonly queues = new Map<string, OutgoingQueue>();
  private readonly maxQueued: number;
  private readonly onDrop: ((clientId: string, packet: AedesPacket) => void) | undefined;

  constructor(options: QueueBoundOptions = {}) {
    super();
    this.maxQueued = options.maxQueuedPerClient ?? DEFAULT_MAX_QUEUED_PER_CLIENT;
    this.onDrop = options.onDrop;
  }

  protected queue(clientId: string): OutgoingQueue {
    let q = this.queues.get(clientId);
    if (!q) this.queues.set(clientId, (q = new OutgoingQueue()));
    return q;
  }

  /** Client ids with a queue (possibly empty), for snapshots. */
  protected queuedClients(): IterableIterator<[string, OutgoingQueue]> {
    return this.queues.entries();
  }

  /** Enqueue within the bound; false when the message was dropped. */
  protected enqueueFor(clientId: string, packet: Outgoing): boolean {
    const q = this.queue(clientId);
    if (q.size >= this.maxQueued) {
      this.onDrop?.(clientId, packet);
      return false;
    }
    q.push(packet);
    return true;
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void> {
    this.enqueueFor(sub.clientId, new Packet(packet));
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPacket): Promise<void> {
    for (const sub of subs) this.enqueueFor(sub.clientId, new Packet(packet));
  }

  override async outgoingUpdate(client: Client, packet: AedesPacket): Promise<void> {
    this.queue(client.id).update(packet as Outgoing);
  }

  override async outgoingClearMessageId(client: Client, packet: AedesPacket): Promise<AedesPacket> {
    // The stock persistence also answers undefined for an unknown messageId.
    return this.queues.get(client.id)?.clear((packet as Outgoing).messageId!) as AedesPacket;
  }

  override outgoingStream(client: Client): Readable {
    return Readable.from(this.queues.get(client.id)?.snapshot() ?? []);
  }
}
