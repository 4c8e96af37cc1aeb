import type { Client } from 'aedes';
import type { AedesPacket } from 'aedes-packet';
import type { ClientIdBindingStore } from './client-id-policy.js';
import {
  IndexedMemoryPersistence,
  Packet,
  type Outgoing,
  type QueueBoundOptions,
} from './indexed-memory-persistence.js';
import { Journal, type JournalOptions, type ReplayStats } from './journal.js';

/**
 * The broker's sessions on disk: persistent subscriptions, offline and in-flight QoS 1/2 queues,
 * retained messages, wills, QoS 2 incoming state and client-id bindings, so a broker restart (or a
 * kill) loses nothing that was acknowledged. The state lives in memory (IndexedMemoryPersistence,
 * fast lookups); every change is also appended to a Journal (journal.ts) and aedes' promise
 * resolves only after that write, so a publisher's PUBACK means the message is in the OS.
 * aedes-persistence's abstract suite runs against it (durable-persistence.test.ts).
 */
export interface DurablePersistenceOptions extends QueueBoundOptions, Omit<JournalOptions, 'dir'> {
  dir: string;
  /** Retained messages to keep when loading (retained junk from before a policy change is dropped). */
  keepRetained?: (topic: string, payload: Buffer) => boolean;
}

/** What aedes hands a persistence for a PUBLISH (its AedesPacket typing leaves these out). */
type P = Outgoing & { topic: string; payload: Buffer; brokerId?: string };
type Sub = { topic: string; qos: number; rh?: number; rap?: boolean; nl?: boolean };
type Rec = Record<string, unknown>;

function encode(packet: AedesPacket): Rec {
  const p = packet as P;
  const out: Rec = {};
  for (const [k, v] of Object.entries(p)) if (k !== 'payload' && v !== undefined) out[k] = v;
  out.payload = Buffer.from(p.payload ?? '').toString('base64');
  return out;
}
function decode(r: unknown): P {
  const o = { ...(r as Rec) };
  o.payload = Buffer.from(String(o.payload ?? ''), 'base64');
  return o as unknown as P;
}
const asClient = (id: unknown) => ({ id: String(id) }) as Client;

export class DurablePersistence extends IndexedMemoryPersistence implements ClientIdBindingStore {
  private journal: Journal | undefined;
  private replayStats: ReplayStats | undefined;
  private droppedRetainedOnLoad = 0;
  // Mirrors of what the base class keeps in private fields, for snapshots.
  private readonly subs = new Map<string, Map<string, Sub>>();
  private readonly retained = new Map<string, Outgoing>();
  private readonly wills = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, Map<number, Outgoing>>();
  private readonly bindings = new Map<string, string>();

  constructor(private readonly opts: DurablePersistenceOptions) {
    super(opts);
  }

  get loadStats(): (ReplayStats & { droppedRetained: number }) | undefined {
    return this.replayStats && { ...this.replayStats, droppedRetained: this.droppedRetainedOnLoad };
  }

  get journalBytes(): number {
    return this.journal?.sizeBytes ?? 0;
  }

  override async setup(broker: Parameters<IndexedMemoryPersistence['setup']>[0]): Promise<void> {
    await super.setup(broker);
    const { journal, stats } = await Journal.open(
      { ...this.opts, dir: this.opts.dir },
      (rec) => this.apply(rec),
      () => this.snapshot(),
    );
    this.journal = journal;
    this.replayStats = stats;
  }

  /** Write the state as a snapshot now and start an empty log. */
  compact(): void {
    this.journal?.compact();
  }

  /** Flush and close the journal (after aedes has closed its clients). */
  override async destroy(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
    await super.destroy();
  }

  private record(rec: Rec): Promise<void> {
    return this.journal ? this.journal.append(rec) : Promise.resolve();
  }

  // --- replay -------------------------------------------------------------------------------

  private async apply(r: Rec): Promise<void> {
    switch (r.t) {
      case 'sub':
        return this.addSubscriptions(asClient(r.c), r.s as Sub[]);
      case 'unsub':
        return this.removeSubscriptions(asClient(r.c), r.s as string[]);
      case 'clean':
        return this.cleanSubscriptions(asClient(r.c));
      case 'ret': {
        const p = decode(r.p);
        const keep = this.opts.keepRetained;
        if (p.payload.length && keep && !keep(p.topic, p.payload)) {
          this.droppedRetainedOnLoad++;
          return;
        }
        return this.storeRetained(p);
      }
      case 'q': {
        const p = decode(r.p);
        for (const c of r.c as string[]) {
          const pk = new Packet(p);
          if (typeof p.messageId === 'number') pk.messageId = p.messageId;
          this.enqueueFor(c, pk);
        }
        return;
      }
      case 'u':
        return void this.queue(String(r.c)).update(
          r.p ? decode(r.p) : ({ brokerId: r.b, brokerCounter: r.n, messageId: r.m } as Outgoing),
        );
      case 'x':
        return void (await this.outgoingClearMessageId(asClient(r.c), { messageId: r.m } as Outgoing));
      case 'in':
        return this.incomingStorePacket(asClient(r.c), decode(r.p));
      case 'indel':
        return this.incomingDelPacket(asClient(r.c), { messageId: r.m } as Outgoing).catch(() => undefined);
      case 'inclean':
        return this.cleanIncoming(asClient(r.c));
      case 'will': {
        const p = decode(r.p);
        await this.putWill(asClient(r.c), p);
        // putWill stamps the running broker's id; a will from before the restart keeps its own.
        p.brokerId = (r.p as Rec).brokerId as string;
        return;
      }
      case 'unwill':
        return void (await this.delWill(asClient(r.c)));
      case 'bind':
        return this.bindClientId(String(r.c), r.o === undefined ? undefined : String(r.o));
    }
  }

  private *snapshot(): Iterable<Rec> {
    for (const [c, m] of this.subs) yield { t: 'sub', c, s: [...m.values()] };
    for (const p of this.retained.values()) yield { t: 'ret', p: encode(p) };
    for (const [c, p] of this.wills) yield { t: 'will', c, p: encode(p) };
    for (const [c, m] of this.incoming) for (const p of m.values()) yield { t: 'in', c, p: encode(p) };
    for (const [c, o] of this.bindings) yield { t: 'bind', c, o };
    for (const [c, q] of this.queuedClients())
      for (const p of q.snapshot()) yield { t: 'q', c: [c], p: encode(p) };
  }

  // --- client-id bindings (client-id-policy.ts) --------------------------------------------------

  clientIdBindings(): ReadonlyMap<string, string> {
    return this.bindings;
  }

  bindClientId(clientId: string, owner: string | undefined): void {
    if (owner === undefined) this.bindings.delete(clientId);
    else this.bindings.set(clientId, owner);
    void this.record({ t: 'bind', c: clientId, o: owner }).catch(() => undefined);
  }

  // --- journaled changes: mutate (synchronously, inside the base method), append, then wait ------

  override async addSubscriptions(client: Client, subs: Sub[]): Promise<void> {
    const done = super.addSubscriptions(client, subs as never);
    let m = this.subs.get(client.id);
    if (!m) this.subs.set(client.id, (m = new Map()));
    const clean = subs.map((s) => ({ topic: s.topic, qos: s.qos, rh: s.rh, rap: s.rap, nl: s.nl }));
    for (const s of clean) m.set(s.topic, s);
    await Promise.all([done, this.record({ t: 'sub', c: client.id, s: clean })]);
  }

  override async removeSubscriptions(client: Client, topics: string[]): Promise<void> {
    const done = super.removeSubscriptions(client, topics);
    const m = this.subs.get(client.id);
    for (const t of topics) m?.delete(t);
    if (m && m.size === 0) this.subs.delete(client.id);
    await Promise.all([done, this.record({ t: 'unsub', c: client.id, s: topics })]);
  }

  override async cleanSubscriptions(client: Client): Promise<void> {
    const done = super.cleanSubscriptions(client);
    this.subs.delete(client.id);
    await Promise.all([done, this.record({ t: 'clean', c: client.id })]);
  }

  override async storeRetained(pkt: AedesPacket): Promise<void> {
    const packet = pkt as P;
    const done = super.storeRetained(packet);
    if (packet.payload.length === 0) this.retained.delete(packet.topic);
    else this.retained.set(packet.topic, { ...packet } as Outgoing);
    await Promise.all([done, this.record({ t: 'ret', p: encode(packet) })]);
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void> {
    return this.outgoingEnqueueCombi([sub], packet);
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPacket): Promise<void> {
    if (subs.length === 0) return;
    const ids: string[] = [];
    for (const s of subs) if (this.enqueueFor(s.clientId, new Packet(packet))) ids.push(s.clientId);
    if (ids.length) await this.record({ t: 'q', c: ids, p: encode(packet) });
  }

  override async outgoingUpdate(client: Client, packet: AedesPacket): Promise<void> {
    const p = packet as Outgoing;
    const kind = this.queue(client.id).update(p);
    await this.record(
      kind === 'own'
        ? { t: 'u', c: client.id, b: p.brokerId, n: p.brokerCounter, m: p.messageId }
        : { t: 'u', c: client.id, p: encode(p) },
    );
  }

  override async outgoingClearMessageId(client: Client, packet: AedesPacket): Promise<AedesPacket> {
    const cleared = await super.outgoingClearMessageId(client, packet);
    if (cleared && this.journal)
      await this.record({ t: 'x', c: client.id, m: (packet as Outgoing).messageId });
    return cleared;
  }

  override async incomingStorePacket(client: Client, packet: AedesPacket): Promise<void> {
    const done = super.incomingStorePacket(client, packet);
    let m = this.incoming.get(client.id);
    if (!m) this.incoming.set(client.id, (m = new Map()));
    const p = packet as Outgoing;
    m.set(p.messageId!, p);
    await Promise.all([done, this.record({ t: 'in', c: client.id, p: encode(p) })]);
  }

  override async incomingDelPacket(client: Client, packet: AedesPacket): Promise<void> {
    await super.incomingDelPacket(client, packet);
    this.incoming.get(client.id)?.delete((packet as Outgoing).messageId!);
    await this.record({ t: 'indel', c: client.id, m: (packet as Outgoing).messageId });
  }

  override async cleanIncoming(client: Client): Promise<void> {
    const done = super.cleanIncoming(client);
    const had = this.incoming.delete(client.id);
    await Promise.all([done, had ? this.record({ t: 'inclean', c: client.id }) : undefined]);
  }

  override async putWill(client: Client, packet: AedesPacket): Promise<void> {
    await super.putWill(client, packet);
    this.wills.set(client.id, packet as Outgoing);
    await this.record({ t: 'will', c: client.id, p: encode(packet) });
  }

  override async delWill(client: Client): ReturnType<IndexedMemoryPersistence['delWill']> {
    const will = await super.delWill(client);
    if (this.wills.delete(client.id)) await this.record({ t: 'unwill', c: client.id });
    return will;
  }
}
