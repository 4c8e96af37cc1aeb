import net from 'node:net';

/** Resolves true when `port` can be bound on `host` right now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export class PortInUseError extends Error {
  readonly code = 'MG_ERR_DEMO_PORT_IN_USE';
  constructor(port: number, flag: string) {
    super(`port ${port} is already in use: choose another with ${flag} (for example ${flag} ${port + 1})`);
    this.name = 'PortInUseError';
  }
}
