import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { FileCredentialStore, type CredentialRecord } from './credential-store.js';
import { hashPassword } from './password-hash.js';

/**
 * Shared by broker tests and the bench: a few devices with cheap scrypt hashes (log2 N = 10, test
 * only) and helpers around mqtt.js. Not exported from index.ts.
 */
export const TEST_PASSWORD = 'correct horse battery staple';

export async function testCredentials(): Promise<FileCredentialStore> {
  const hash = await hashPassword(TEST_PASSWORD, 10);
  const records: CredentialRecord[] = [
    { username: 'edge-1', role: 'edge', meters: ['M-1', 'M-2'], passwordHash: hash },
    { username: 'edge-2', role: 'edge', meters: ['M-3'], passwordHash: hash },
    { username: 'M-1', role: 'meter', meters: [], passwordHash: hash },
    { username: 'dash', role: 'dashboard', meters: [], passwordHash: hash },
    { username: 'gw', role: 'gateway', meters: [], passwordHash: hash },
  ];
  return new FileCredentialStore({ records });
}

/**
 * Connect once (no reconnects). Rejects on a refused CONNACK, an error, or the connection closing
 * before CONNACK (e.g. a TLS peer dropped after the handshake), where connectAsync would wait forever.
 */
export function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    const fail = (err: Error) => {
      c.removeAllListeners('connect');
      c.end(true);
      reject(err);
    };
    c.once('connect', () => {
      c.removeListener('error', fail);
      resolve(c);
    });
    c.once('error', fail);
    c.once('close', () => {
      if (!c.connected) fail(new Error('connection closed before CONNACK'));
    });
  });
}

/** Poll until `read()` matches `re` (log lines cross a pipe asynchronously). */
export async function eventually(read: () => string, re: RegExp, ms = 5000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const text = read();
    if (re.test(text) || Date.now() > until) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function asUser(username: string, opts: IClientOptions = {}): IClientOptions {
  return { username, password: TEST_PASSWORD, ...opts };
}

/** Resolves with the first message on `topic`, or undefined after `ms` (used to prove non-delivery). */
export function nextMessage(client: MqttClient, topic: string, ms = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      client.off('message', on);
      resolve(undefined);
    }, ms);
    const on = (tp: string, payload: Buffer) => {
      if (tp !== topic) return;
      clearTimeout(t);
      client.off('message', on);
      resolve(payload);
    };
    client.on('message', on);
  });
}

/** Resolves when the client is closed by the broker. */
export function closed(client: MqttClient, ms = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    client.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** SUBACK return codes in filter order; 128 = refused [MQTT-3.9.3]. mqtt.js rejects on any 128. */
export async function subackCodes(client: MqttClient, filters: string[], qos: 0 | 1 = 0): Promise<number[]> {
  const subs = Object.fromEntries(filters.map((f) => [f, { qos }]));
  try {
    const granted = await client.subscribeAsync(subs);
    return filters.map((f) => granted.find((g) => g.topic === f)?.qos ?? -1);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted;
  }
}
