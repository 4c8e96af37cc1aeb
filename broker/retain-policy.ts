import { decodePayload, type TopicScheme } from '../protocol/index.js';

/**
 * Which retained messages the broker keeps. Only `…/meters/{id}/state` and `…/edges/{id}/state`
 * carry a "last known value" worth handing to every new subscriber; a retained reading, event or
 * command would be replayed to each new subscriber forever (a retained `cmd` re-sent to a meter on
 * every reconnect). So the retain flag of anything else is cleared before the message is routed
 * (it is still delivered), and a retained state must pass the protocol schema and name the meter or
 * edge of its topic. An empty payload is always allowed: it removes a retained message
 * [MQTT-3.3.1-10], which is how old junk is cleared.
 */
export type RetainDecision = { keep: true } | { keep: false; detail: string };

const KEEP: RetainDecision = Object.freeze({ keep: true });

export function retainDecision(scheme: TopicScheme, topic: string, payload: Uint8Array): RetainDecision {
  if (payload.byteLength === 0) return KEEP;
  const t = scheme.parse(topic);
  if (!t.ok) return { keep: false, detail: 'not a metergate topic' };
  if (t.kind === 'state') {
    const d = decodePayload('state', payload);
    if (!d.ok) return { keep: false, detail: `invalid state: ${d.message}` };
    return d.value.meter === t.meterId ? KEEP : { keep: false, detail: `state names meter ${d.value.meter}` };
  }
  if (t.kind === 'edge-state') {
    const d = decodePayload('edge-state', payload);
    if (!d.ok) return { keep: false, detail: `invalid edge state: ${d.message}` };
    return d.value.edge === t.edgeId
      ? KEEP
      : { keep: false, detail: `edge state names edge ${d.value.edge}` };
  }
  return { keep: false, detail: `${t.kind} messages are not retained` };
}
