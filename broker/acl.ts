import type { TopicScheme } from '../protocol/index.js';
import { isValidId, type ParsedTopic } from '../protocol/index.js';
import type { DeviceIdentity } from './identity.js';

/**
 * Topic ACLs derived from the protocol topic scheme, deny by default (STYLE.md §6).
 *
 * Publish: the gateway may publish any scheme topic (and is the only one allowed `cmd`); an edge
 * publishes reading/event/state for the meters assigned to it and its own edge state; a meter only
 * for itself; dashboards never publish.
 *
 * Subscribe: the gateway may subscribe to anything. Every other filter is checked against every
 * scheme topic it could match, so a wildcard cannot smuggle in what a literal filter could not:
 * dashboards read reading/event/state of every meter and every edge state, but no `cmd`; an edge
 * reads `cmd` and `state` of its meters and its own edge state; a meter its own `cmd` and `state`.
 */
export type AclDecision = { ok: true } | { ok: false; reason: string };

const ALLOW: AclDecision = Object.freeze({ ok: true });
const deny = (reason: string): AclDecision => ({ ok: false, reason });

// [MQTT-4.7.2-1] topics starting with `$` are the server's ($SYS); clients may not publish there.
const RESERVED = '$';
// MQTT 5 shared subscription syntax `$share/{group}/{filter}` [MQTT-4.8.2].
const SHARE = '$share/';

type Kind = Exclude<ParsedTopic, { ok: false }>['kind'];

export function decidePublish(identity: DeviceIdentity, topic: string, scheme: TopicScheme): AclDecision {
  if (topic.startsWith(RESERVED)) return deny(`topic ${JSON.stringify(topic)} is reserved for the broker`);
  const parsed = scheme.parse(topic);
  if (!parsed.ok) return deny(parsed.reason);
  switch (identity.role) {
    case 'gateway':
      return ALLOW;
    case 'dashboard':
      return deny('dashboards are read-only');
    case 'edge':
    case 'meter':
      if (parsed.kind === 'cmd') return deny('only the gateway publishes cmd topics');
      if (parsed.kind === 'edge-state') {
        return identity.role === 'edge' && parsed.edgeId === identity.id
          ? ALLOW
          : deny(`edge state ${parsed.edgeId} belongs to another edge`);
      }
      return identity.meters.has(parsed.meterId)
        ? ALLOW
        : deny(`meter ${parsed.meterId} is not assigned to ${identity.role} ${identity.id}`);
  }
}

/** May this identity receive a message on a concrete scheme topic of this kind and id? */
function mayRead(identity: DeviceIdentity, kind: Kind, id: string): boolean {
  switch (identity.role) {
    case 'gateway':
      return true;
    case 'dashboard':
      return kind !== 'cmd';
    case 'edge':
      if (kind === 'edge-state') return id === identity.id;
      return (kind === 'cmd' || kind === 'state') && identity.meters.has(id);
    case 'meter':
      return (kind === 'cmd' || kind === 'state') && id === identity.id;
  }
}

/** May it read this kind for *every* id (the filter has a wildcard where the id goes)? */
function mayReadAll(identity: DeviceIdentity, kind: Kind): boolean {
  return identity.role === 'gateway' || (identity.role === 'dashboard' && kind !== 'cmd');
}

const ID = Symbol('id');
const NAME = Symbol('name');
type Level = string | typeof ID | typeof NAME;
interface Template {
  kind: Kind;
  levels: Level[];
}

const templateCache = new WeakMap<TopicScheme, Template[]>();

/** Every topic shape of the scheme, with placeholders where ids go. */
function templates(scheme: TopicScheme): Template[] {
  let t = templateCache.get(scheme);
  if (!t) {
    const p = scheme.prefix.split('/');
    t = [
      { kind: 'reading', levels: [...p, 'meters', ID, 'reading'] },
      { kind: 'event', levels: [...p, 'meters', ID, 'event'] },
      { kind: 'state', levels: [...p, 'meters', ID, 'state'] },
      { kind: 'cmd', levels: [...p, 'meters', ID, 'cmd', NAME] },
      { kind: 'edge-state', levels: [...p, 'edges', ID, 'state'] },
    ];
    templateCache.set(scheme, t);
  }
  return t;
}

/**
 * Match a filter against a template. Returns null when no topic of that shape can match, else the
 * id the filter pins (a string) or `'*'` when any id matches. [MQTT-4.7.1-2] `#` matches the parent
 * level and any number of children; [MQTT-4.7.1-3] `+` matches exactly one level.
 */
function matchTemplate(filter: string[], template: Level[]): string | null {
  let id: string | null = null;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#') return i <= template.length ? (id ?? '*') : null;
    if (i >= template.length) return null;
    const t = template[i]!;
    if (f === '+') {
      if (t === ID) id = '*';
      continue;
    }
    if (t === ID) {
      if (!isValidId(f)) return null;
      id = f;
    } else if (t === NAME) {
      if (!isValidId(f)) return null;
    } else if (t !== f) return null;
  }
  return filter.length === template.length ? (id ?? '*') : null;
}

export function decideSubscribe(identity: DeviceIdentity, filter: string, scheme: TopicScheme): AclDecision {
  if (identity.role === 'gateway') return ALLOW;
  let f = filter;
  if (f.startsWith(SHARE)) {
    const rest = f.slice(SHARE.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return deny('malformed shared subscription');
    f = rest.slice(slash + 1);
  }
  if (f.startsWith(RESERVED)) return deny(`filter ${JSON.stringify(filter)} is reserved for the broker`);
  const levels = f.split('/');
  let matchedAny = false;
  for (const t of templates(scheme)) {
    const id = matchTemplate(levels, t.levels);
    if (id === null) continue;
    matchedAny = true;
    const ok = id === '*' ? mayReadAll(identity, t.kind) : mayRead(identity, t.kind, id);
    if (!ok) {
      const what =
        id === '*'
          ? `${t.kind} topics of every ${t.kind === 'edge-state' ? 'edge' : 'meter'}`
          : `${t.kind} of ${id}`;
      return deny(`${identity.role} ${identity.id} may not read ${what}`);
    }
  }
  return matchedAny ? ALLOW : deny(`filter ${JSON.stringify(filter)} matches no metergate topic`);
}
