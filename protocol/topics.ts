import { ProtocolError } from './errors.js';

/**
 * The MQTT topic scheme of ARCHITECTURE.md:
 *   {prefix}/meters/{meterId}/reading | event | state | cmd/{name}
 *   {prefix}/edges/{edgeId}/state
 * Ids are single topic levels, so they may not contain `/`, `+`, `#` or NUL [MQTT-4.7.1-1], [MQTT-4.7.3-2].
 */
export const DEFAULT_TOPIC_PREFIX = 'metergate/v1';

/** A meter, edge or command id: a conservative subset that is safe as a topic level, a file name and a URL segment. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const ID_RE = new RegExp(ID_PATTERN);

export type TopicKind = 'reading' | 'event' | 'state' | 'cmd' | 'edge-state';

export type ParsedTopic =
  | { ok: true; kind: 'reading' | 'event' | 'state'; meterId: string }
  | { ok: true; kind: 'cmd'; meterId: string; command: string }
  | { ok: true; kind: 'edge-state'; edgeId: string }
  | { ok: false; reason: string };

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id);
}

function assertId(what: string, id: string): string {
  if (!isValidId(id)) {
    throw new ProtocolError('MG_ERR_PROTOCOL_ID', `${what} ${JSON.stringify(id)} must match ${ID_PATTERN}`);
  }
  return id;
}

function validatePrefix(prefix: string): string {
  const levels = prefix.split('/');
  if (
    prefix.length === 0 ||
    levels.some((l) => l.length === 0 || /[+#]/.test(l) || l.includes('\u0000')) ||
    prefix.startsWith('$')
  ) {
    throw new ProtocolError(
      'MG_ERR_PROTOCOL_TOPIC',
      `prefix ${JSON.stringify(prefix)} must be non-empty levels without wildcards, '$' start or empty levels`,
    );
  }
  return prefix;
}

export class TopicScheme {
  readonly prefix: string;
  private readonly levels: number;

  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    this.prefix = validatePrefix(prefix);
    this.levels = prefix.split('/').length;
  }

  reading(meterId: string): string {
    return `${this.prefix}/meters/${assertId('meter id', meterId)}/reading`;
  }
  event(meterId: string): string {
    return `${this.prefix}/meters/${assertId('meter id', meterId)}/event`;
  }
  state(meterId: string): string {
    return `${this.prefix}/meters/${assertId('meter id', meterId)}/state`;
  }
  command(meterId: string, name: string): string {
    return `${this.prefix}/meters/${assertId('meter id', meterId)}/cmd/${assertId('command name', name)}`;
  }
  edgeState(edgeId: string): string {
    return `${this.prefix}/edges/${assertId('edge id', edgeId)}/state`;
  }

  /** Subscription filters. `meterId` narrows to one meter; without it, every meter (`+`). */
  readingFilter(meterId = '+'): string {
    return `${this.prefix}/meters/${meterId === '+' ? '+' : assertId('meter id', meterId)}/reading`;
  }
  meterFilter(meterId = '+'): string {
    return `${this.prefix}/meters/${meterId === '+' ? '+' : assertId('meter id', meterId)}/#`;
  }
  /** MQTT 5 shared subscription so several gateway workers split the reading stream [MQTT-4.8.2]. */
  sharedReadingFilter(group = 'ingest'): string {
    return `$share/${assertId('share group', group)}/${this.readingFilter()}`;
  }

  parse(topic: string): ParsedTopic {
    if (typeof topic !== 'string') return { ok: false, reason: 'topic must be a string' };
    const parts = topic.split('/');
    const head = parts.slice(0, this.levels).join('/');
    if (head !== this.prefix) return { ok: false, reason: `topic does not start with prefix ${this.prefix}` };
    const rest = parts.slice(this.levels);
    const [collection, id, leaf, name, ...extra] = rest;
    if (collection === 'meters') {
      if (!isValidId(id))
        return { ok: false, reason: `meter id ${JSON.stringify(id ?? '')} must match ${ID_PATTERN}` };
      if ((leaf === 'reading' || leaf === 'event' || leaf === 'state') && name === undefined) {
        return { ok: true, kind: leaf, meterId: id };
      }
      if (leaf === 'cmd' && extra.length === 0) {
        if (!isValidId(name))
          return { ok: false, reason: `command name ${JSON.stringify(name ?? '')} must match ${ID_PATTERN}` };
        return { ok: true, kind: 'cmd', meterId: id, command: name };
      }
      return {
        ok: false,
        reason: `unknown meter topic leaf ${JSON.stringify(rest.slice(2).join('/'))} (expected reading, event, state or cmd/{name})`,
      };
    }
    if (collection === 'edges') {
      if (!isValidId(id))
        return { ok: false, reason: `edge id ${JSON.stringify(id ?? '')} must match ${ID_PATTERN}` };
      if (leaf === 'state' && name === undefined) return { ok: true, kind: 'edge-state', edgeId: id };
      return {
        ok: false,
        reason: `unknown edge topic leaf ${JSON.stringify(rest.slice(2).join('/'))} (expected state)`,
      };
    }
    return {
      ok: false,
      reason: `unknown collection ${JSON.stringify(collection ?? '')} (expected meters or edges)`,
    };
  }
}
