import net from 'node:net';
import { Aedes } from 'aedes';

/**
 * A bare in-process aedes on a free loopback port, for tests and the ingest benchmark (the gateway
 * itself never embeds a broker: it talks MQTT to one). MQTT 3.1.1 only, persistent sessions in memory.
 */
export async function startTestBroker(): Promise<{
  url: string;
  port: number;
  broker: Aedes;
  stop: () => Promise<void>;
}> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    broker,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
