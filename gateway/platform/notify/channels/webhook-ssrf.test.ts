import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isForbiddenAddress } from './address-guard.js';
import type { ChannelAddress, OutgoingMessage } from './channel.js';
import { WebhookChannel } from './webhook.js';

const message = {
  idempotencyKey: 'n-1',
  kind: 'low-credit',
  customerId: 'C1',
  language: 'fr',
  subject: 's',
  text: 't',
  params: {},
} as unknown as OutgoingMessage;

let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    hits.push(req.url ?? '');
    req.resume();
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/target` }).end();
    } else if (req.url === '/huge') {
      res.writeHead(200);
      res.end(Buffer.alloc(256 * 1024, 97));
    } else if (req.url === '/silent') {
      // never answers: the channel's time bound ends it
    } else {
      res.writeHead(204).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const to = (path: string, host = '127.0.0.1'): ChannelAddress =>
  ({ to: `http://${host}:${port}${path}`, secret: 'a-signing-secret-of-length' }) as ChannelAddress;

describe('webhook channel against SSRF', () => {
  it('classifies loopback, private, CGNAT, link-local/metadata and their IPv6 forms as forbidden', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      'fc00::5',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::10.0.0.1',
      'ff02::1',
    ]) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isForbiddenAddress(a), a).toBe(false);
    }
  });

  it('refuses http unless an operator allows it', async () => {
    await expect(new WebhookChannel().send(message, to('/ok'))).rejects.toMatchObject({
      code: 'MG_ERR_NOTIFY_WEBHOOK_URL',
      details: { reason: 'only https' },
    });
    await expect(
      new WebhookChannel().send(message, { ...to('/ok'), to: 'ftp://example.org/x' } as ChannelAddress),
    ).rejects.toMatchObject({ code: 'MG_ERR_NOTIFY_WEBHOOK_URL' });
  });

  it('refuses a local server on 127.0.0.1 unless private addresses are allowed', async () => {
    const before = hits.length;
    await expect(new WebhookChannel({ allowHttp: true }).send(message, to('/ok'))).rejects.toMatchObject({
      code: 'MG_ERR_NOTIFY_WEBHOOK_URL',
    });
    // By name: the address is checked when the socket connects.
    await expect(
      new WebhookChannel({ allowHttp: true }).send(message, to('/ok', 'localhost')),
    ).rejects.toMatchObject({ code: 'MG_ERR_NOTIFY_WEBHOOK_ADDRESS' });
    expect(hits.length).toBe(before);
    await new WebhookChannel({ allowHttp: true, allowPrivateAddresses: true }).send(message, to('/ok'));
    expect(hits.at(-1)).toBe('/ok');
  });

  it('stops DNS rebinding: a name that resolves to loopback at delivery is refused at connect time', async () => {
    let calls = 0;
    // First answer public (what a validation would have seen), then loopback (the rebinding).
    const resolve = async () => {
      calls++;
      return calls === 1 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    };
    const channel = new WebhookChannel({ allowHttp: true, resolve });
    await resolve(); // the "validation" lookup
    const before = hits.length;
    await expect(channel.send(message, to('/ok', 'rebind.example'))).rejects.toMatchObject({
      code: 'MG_ERR_NOTIFY_WEBHOOK_ADDRESS',
    });
    expect(hits.length).toBe(before);
    // A name with one public and one private record gets nothing either.
    const mixed = new WebhookChannel({
      allowHttp: true,
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ],
    });
    await expect(mixed.send(message, to('/ok', 'mixed.example'))).rejects.toMatchObject({
      code: 'MG_ERR_NOTIFY_WEBHOOK_ADDRESS',
    });
  });

  it('never follows redirects, and bounds the answer in size and time', async () => {
    const open = new WebhookChannel({ allowHttp: true, allowPrivateAddresses: true, timeoutMs: 300 });
    await expect(open.send(message, to('/redirect'))).rejects.toMatchObject({
      code: 'MG_ERR_NOTIFY_CHANNEL_FAILED',
      message: expect.stringMatching(/redirect/),
    });
    expect(hits).not.toContain('/target');
    await expect(open.send(message, to('/huge'))).rejects.toMatchObject({
      code: 'MG_ERR_NOTIFY_CHANNEL_FAILED',
      message: expect.stringMatching(/over 65536 bytes/),
    });
    await expect(open.send(message, to('/silent'))).rejects.toMatchObject({
      code: 'MG_ERR_NOTIFY_CHANNEL_FAILED',
      message: expect.stringMatching(/in time/),
    });
  });
});
