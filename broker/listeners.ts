import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { BrokerError } from './errors.js';

/**
 * The three network front doors: MQTT over TCP [MQTT-4.2], over TLS, and over WebSocket
 * (subprotocol `mqtt`, [MQTT-6.0]) for browser dashboards. Each hands a stream to `onStream`;
 * `admit` sees every raw socket first (rate and connection limits) and may refuse it.
 */
export interface TlsListenerOptions {
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
  /** CA certificates client certificates must chain to (the device CA). */
  ca?: string | Buffer;
  /** Refuse the TLS handshake without a valid client certificate. Default: optional. */
  requireClientCert?: boolean;
}

export interface ListenerOptions {
  host: string;
  tcpPort?: number | undefined;
  tls?: TlsListenerOptions | undefined;
  ws?: { port: number; path?: string } | undefined;
  /** WebSocket frame limit, so a huge frame is refused before it is buffered. */
  maxFrameBytes: number;
  admit(socket: net.Socket): boolean;
  onStream(stream: Duplex, transport: Transport, socket: net.Socket): void;
  onTlsRefused(socket: net.Socket | tls.TLSSocket, reason: string): void;
}

export type Transport = 'tcp' | 'tls' | 'ws';

export interface Listeners {
  ports: { tcp?: number; tls?: number; ws?: number };
  close(): Promise<void>;
}

function listen(server: net.Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) =>
      reject(new BrokerError('MG_ERR_BROKER_LISTEN', `${what} on ${host}:${port}: ${err.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export async function startListeners(opts: ListenerOptions): Promise<Listeners> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const ports: Listeners['ports'] = {};
  const track = (server: net.Server) => {
    servers.push(server);
    server.on('connection', (socket: net.Socket) => {
      if (!opts.admit(socket)) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  };

  try {
    if (opts.tcpPort !== undefined) {
      // Nagle stays on (Mosquitto's default too, set_tcp_nodelay false): small PUBACKs coalesce.
      // With TCP_NODELAY, QoS 1 throughput in bench/broker.ts fell by about a third.
      const server = net.createServer((socket) => opts.onStream(socket, 'tcp', socket));
      track(server);
      ports.tcp = await listen(server, opts.tcpPort, opts.host, 'MQTT/TCP');
    }
    if (opts.tls) {
      const t = opts.tls;
      const server = tls.createServer({
        cert: t.cert,
        key: t.key,
        ...(t.ca ? { ca: t.ca } : {}),
        requestCert: Boolean(t.ca),
        // Checked below so a refusal is logged and counted, not just a failed handshake.
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      });
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        const cert = socket.getPeerCertificate();
        const presented = cert && Object.keys(cert).length > 0;
        if (presented && !socket.authorized) {
          opts.onTlsRefused(socket, `client certificate rejected: ${String(socket.authorizationError)}`);
          socket.destroy();
          return;
        }
        if (!presented && t.requireClientCert) {
          opts.onTlsRefused(socket, 'client certificate required');
          socket.destroy();
          return;
        }
        opts.onStream(socket, 'tls', socket);
      });
      server.on('tlsClientError', (err, socket) => {
        opts.onTlsRefused(socket, `TLS handshake failed: ${err.message}`);
      });
      track(server);
      ports.tls = await listen(server, t.port, opts.host, 'MQTT/TLS');
    }
    if (opts.ws) {
      const server = http.createServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
      });
      const wss = new WebSocketServer({
        server,
        ...(opts.ws.path ? { path: opts.ws.path } : {}),
        maxPayload: opts.maxFrameBytes,
        // [MQTT-6.0.0-3] the server selects the "mqtt" subprotocol when offered.
        handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
      });
      wss.on('connection', (ws, req) => {
        const stream = createWebSocketStream(ws);
        opts.onStream(stream, 'ws', req.socket);
      });
      wss.on('error', () => undefined);
      track(server);
      ports.ws = await listen(server, opts.ws.port, opts.host, 'MQTT/WebSocket');
    }
  } catch (err) {
    await closeAll(servers, sockets);
    throw err;
  }
  return { ports, close: () => closeAll(servers, sockets) };
}

async function closeAll(servers: net.Server[], sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.listening) return resolve();
          s.close(() => resolve());
        }),
    ),
  );
}
