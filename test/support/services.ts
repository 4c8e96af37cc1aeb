import { execFileSync } from 'node:child_process';
import net from 'node:net';

/**
 * Connection settings of the real services the integration tier uses, from the environment with
 * localhost defaults. A missing service is a failure that says how to start it, never a skip.
 */
export const SERVICES = {
  postgres: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/metergate_test',
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  mqtt: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
  influx: process.env.INFLUX_URL ?? 'http://127.0.0.1:8086',
};

const HOW_TO_START =
  'run `scripts/services.sh` (installs with apt and starts it), or point the variable at a running server';

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defaultPort) };
}

async function tcpReachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function requireTcp(name: string, envVar: string, url: string, defaultPort: number): Promise<void> {
  const { host, port } = hostPort(url, defaultPort);
  if (!(await tcpReachable(host, port))) {
    throw new Error(`${name} is not reachable at ${host}:${port} (${envVar}=${url}): ${HOW_TO_START}`);
  }
}

export const requirePostgres = () => requireTcp('PostgreSQL', 'DATABASE_URL', SERVICES.postgres, 5432);
export const requireRedis = () => requireTcp('Redis', 'REDIS_URL', SERVICES.redis, 6379);
export const requireMosquitto = () => requireTcp('Mosquitto', 'MQTT_URL', SERVICES.mqtt, 1883);
export const requireInflux = () => requireTcp('InfluxDB', 'INFLUX_URL', SERVICES.influx, 8086);

/** A third-party command-line peer (mbpoll, socat, mosquitto_pub, chromium …) must be installed. */
export function requireCommand(command: string, debianPackage = command): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${command} is not installed (Debian package ${debianPackage}): ${HOW_TO_START}`);
  }
}

/** Debian's python3 (with python3-pymodbus), not whatever python3 a version manager puts first on PATH. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function requirePythonModule(module: string, debianPackage: string): void {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `python module ${module} is missing for ${DEBIAN_PYTHON} (Debian package ${debianPackage}): ${HOW_TO_START}`,
    );
  }
}

/** A free TCP port on loopback for a server under test. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
