import type { Static } from '@sinclair/typebox';
import type { DlmsPushConfig } from '../edge/config.js';
import { DlmsError } from './errors.js';
import { printableText } from './cosem-json.js';
import type { PowerEventKind } from './cosem-readings.js';
import { DlmsPushListener, pushPowerEvent, pushValues, type PushEvent } from './push-listener.js';

/**
 * The edge's DLMS push listener (edge.yaml `dlmsPush`): pushed DataNotifications become readings of
 * the configured meter, found by its logical device name (first element of the push body) or by
 * the source wPort. Keys of ciphering meters come from the environment variables the file names.
 * An element the object list names as the standard event code (0-0:96.11.0.255) holding code 1 or 2
 * is a power-down ("last gasp") or power-up event of that meter.
 */
export interface PushedReading {
  readonly meterId: string;
  readonly ts: string;
  readonly values: Record<string, number>;
}

/** A pushed power-down ("last gasp") or power-up event of a configured meter. */
export interface PushedPowerEvent {
  readonly meterId: string;
  readonly ts: string;
  readonly kind: PowerEventKind;
}

export function dlmsPushListenerFor(
  cfg: Static<typeof DlmsPushConfig>,
  env: NodeJS.ProcessEnv,
  onReading: (r: PushedReading) => void,
  onError: (err: DlmsError) => void,
  onPowerEvent?: (e: PushedPowerEvent) => void,
): DlmsPushListener {
  const keys = new Map<string, { ek: Uint8Array; ak: Uint8Array }>();
  for (const m of cfg.meters) {
    if (!m.systemTitle) continue;
    const ek = m.ekEnv ? env[m.ekEnv] : undefined;
    const ak = m.akEnv ? env[m.akEnv] : undefined;
    if (!ek || !ak || !/^[0-9a-fA-F]{32}$/.test(ek) || !/^[0-9a-fA-F]{32}$/.test(ak))
      throw new DlmsError(
        'MG_ERR_DLMS_USAGE',
        `dlmsPush meter ${m.id}: ekEnv/akEnv must name variables holding 16-byte hex keys`,
      );
    keys.set(m.systemTitle.toLowerCase(), { ek: Buffer.from(ek, 'hex'), ak: Buffer.from(ak, 'hex') });
  }
  const find = (e: PushEvent) => {
    const first = e.body.type === 'structure' ? e.body.value[0] : undefined;
    const name = first ? printableText(first) : undefined;
    const title = e.systemTitle ? Buffer.from(e.systemTitle).toString('hex') : undefined;
    return cfg.meters.find(
      (m) =>
        (m.deviceName !== undefined && m.deviceName === name) ||
        (m.systemTitle !== undefined && m.systemTitle.toLowerCase() === title) ||
        (m.wPort !== undefined && m.wPort === e.sourceWPort),
    );
  };
  return new DlmsPushListener({
    host: cfg.host,
    port: cfg.port,
    keysFor: (t) => keys.get(t),
    onError,
    onEvent: (e) => {
      const m = find(e);
      if (!m)
        return onError(
          new DlmsError('MG_ERR_DLMS_PROTOCOL', `push from an unconfigured meter (wPort ${e.sourceWPort})`),
        );
      const ts = new Date(e.time ?? Date.now()).toISOString();
      const values = pushValues(e.body, cfg.objects);
      if (Object.keys(values).length > 0) onReading({ meterId: m.id, ts, values });
      const kind = pushPowerEvent(e.body, cfg.objects);
      if (kind) onPowerEvent?.({ meterId: m.id, ts, kind });
    },
  });
}
