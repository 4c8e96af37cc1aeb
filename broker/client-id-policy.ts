import type { CredentialStore } from './credential-store.js';
import type { DeviceIdentity } from './identity.js';

/**
 * Which MQTT client ids an identity may use, so that one authenticated device cannot take over
 * another's session. [MQTT-3.1.4-2] a CONNECT with a client id that is already connected
 * disconnects the existing client, and with CleanSession=0 [MQTT-3.1.2-4] the newcomer inherits the
 * stored subscriptions and queued messages; so the client id is as sensitive as the credential.
 *
 * A client id C belongs to the identity (first rule that applies):
 * 1. whose id is C's head, the part before the first `:` (ids cannot contain `:`), so `gw`,
 *    `gw:host-a` and `gw:host-a:ingest` all belong to the identity `gw`;
 * 2. whose credentials record lists C in `clientIds` (exact, or a `prefix*` entry);
 * 3. that holds C now: the first identity to connect with an otherwise unowned id (a random
 *    `mqttjs_…` id, say) binds it, for as long as its session lives (persistent sessions: until a
 *    clean connect ends them; the binding is stored with the session in the durable store).
 * A connection whose client id belongs to another identity is refused with CONNACK 5 (MQTT 3.1.1
 * §3.2.2.3 "not authorized"; MQTT 5 reason code 0x87), before aedes registers it, so the existing
 * connection and session are untouched. With `strict`, an unowned id is refused too: every client
 * must use its own id, `{id}:…` or a listed id.
 *
 * Anonymous clients (when allowed) share one identity: they may not use an id that belongs to a
 * device, but one anonymous client can still replace another's connection.
 */
export type ClientIdDecision = { ok: true } | { ok: false; owner: string | undefined; detail: string };

/** Bindings that outlive a broker restart (the durable persistence implements this). */
export interface ClientIdBindingStore {
  clientIdBindings(): ReadonlyMap<string, string>;
  bindClientId(clientId: string, owner: string | undefined): void;
}

export function clientIdHead(clientId: string): string {
  const i = clientId.indexOf(':');
  return i === -1 ? clientId : clientId.slice(0, i);
}

/** Stable key of an identity for ownership comparisons; every anonymous client has the same one. */
export function identityKey(identity: DeviceIdentity): string {
  return identity.via === 'anonymous' ? 'anonymous' : `${identity.role}/${identity.id}`;
}

interface Binding {
  owner: string;
  /** The connection that holds it; only that connection's end releases a clean-session binding. */
  holder: object | undefined;
}

export class ClientIdPolicy {
  private readonly bindings = new Map<string, Binding>();

  constructor(
    private readonly options: {
      credentials?: CredentialStore | undefined;
      strict?: boolean | undefined;
      store?: ClientIdBindingStore | undefined;
    },
  ) {
    for (const [c, owner] of options.store?.clientIdBindings() ?? [])
      this.bindings.set(c, { owner, holder: undefined });
  }

  get size(): number {
    return this.bindings.size;
  }

  /** The identity key that owns `clientId`, if any. */
  async ownerOf(clientId: string): Promise<string | undefined> {
    const store = this.options.credentials;
    const head = clientIdHead(clientId);
    const byName = head ? await store?.lookup(head) : undefined;
    if (byName) return `${byName.role}/${byName.username}`;
    const listed = await store?.clientIdOwner?.(clientId);
    if (listed !== undefined) {
      const rec = await store?.lookup(listed);
      if (rec) return `${rec.role}/${rec.username}`;
    }
    return this.bindings.get(clientId)?.owner;
  }

  async check(identity: DeviceIdentity, clientId: string): Promise<ClientIdDecision> {
    const me = identityKey(identity);
    // Rule 1 for identities that are not in the store (certificate-only devices).
    if (identity.via !== 'anonymous' && clientIdHead(clientId) === identity.id) return { ok: true };
    const owner = await this.ownerOf(clientId);
    if (owner === me) return { ok: true };
    if (owner !== undefined)
      return { ok: false, owner, detail: `client id ${JSON.stringify(clientId)} belongs to ${owner}` };
    if (this.options.strict && identity.via !== 'anonymous') {
      return {
        ok: false,
        owner: undefined,
        detail: `client id ${JSON.stringify(clientId)} is not ${identity.id}, ${identity.id}:… or listed for it`,
      };
    }
    return { ok: true };
  }

  /** After a successful CONNECT: `clientId` is held by `identity` through `holder`. */
  bind(clientId: string, identity: DeviceIdentity, holder: object, persistent: boolean): void {
    const owner = identityKey(identity);
    const had = this.bindings.get(clientId);
    this.bindings.set(clientId, { owner, holder });
    if (persistent && had?.owner !== owner) this.options.store?.bindClientId(clientId, owner);
    if (!persistent && had) this.options.store?.bindClientId(clientId, undefined);
  }

  /** A connection ended: a clean session ends with it, and so does its hold on the id. */
  release(clientId: string, holder: object, persistent: boolean): void {
    const b = this.bindings.get(clientId);
    if (!b || b.holder !== holder || persistent) return;
    this.bindings.delete(clientId);
  }
}
