import type { TopicScheme } from '../../protocol/index.js';
import { CommandHandler } from './commands.js';

export interface EdgeAclOptions {
  /** The MQTT username the edge logs in with (mosquitto matches ACL stanzas by username). */
  username: string;
  edgeId: string;
  meterIds: readonly string[];
  topics: TopicScheme;
}

/**
 * The Mosquitto `acl_file` stanza for one edge (mosquitto.conf(5), "acl_file": `user <name>`
 * followed by `topic read|write|readwrite <filter>` lines), giving it what the embedded broker's
 * ACL gives an edge (broker/acl.ts) and nothing more: it reads only its own meters' commands — the
 * exact filters the edge subscribes to — and their retained state, and writes their readings,
 * events and state and its own edge state. No wildcard stands where a meter id goes, so an edge
 * never sees another edge's commands.
 */
export function mosquittoEdgeAcl(o: EdgeAclOptions): string {
  if (/[\s#+]/.test(o.username) || o.username === '') {
    throw new Error(`username ${JSON.stringify(o.username)} cannot be named in a mosquitto ACL`);
  }
  const lines = [`# metergate edge ${o.edgeId}: ${o.meterIds.length} meter(s)`, `user ${o.username}`];
  const commands = CommandHandler.filters(o.topics, o.meterIds);
  o.meterIds.forEach((id, i) => {
    lines.push(
      `topic read ${commands[i]}`,
      `topic write ${o.topics.reading(id)}`,
      `topic write ${o.topics.event(id)}`,
      `topic readwrite ${o.topics.state(id)}`,
    );
  });
  lines.push(`topic readwrite ${o.topics.edgeState(o.edgeId)}`, '');
  return lines.join('\n');
}
