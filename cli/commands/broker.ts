import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import {
  CA_FILES,
  FileCredentialStore,
  createMetergateBroker,
  hashPassword,
  isRole,
  type MetergateBrokerOptions,
  ROLES,
} from '../../broker/index.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`port ${JSON.stringify(value)} must be 0–65535`);
  return n;
}
function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${JSON.stringify(value)} must be a positive integer`);
  return n;
}

interface BrokerFlags {
  port?: number;
  host: string;
  tlsPort?: number;
  caDir?: string;
  requireClientCert?: boolean;
  wsPort?: number;
  credentials?: string;
  allowAnonymous?: boolean;
  anonymousRole: string;
  redis?: string;
  redisPrefix?: string;
  topicPrefix?: string;
  maxPayload?: number;
  maxConnections?: number;
  connRate?: number;
  connBurst?: number;
  dataDir: string;
  memory?: boolean;
  fsync: string;
  maxQueued?: number;
  strictClientIds?: boolean;
}

async function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** `metergate broker`: run the MQTT broker until SIGINT/SIGTERM; `broker passwd`: hash a device password. */
export function registerBrokerCommands(program: Command, ctx: CliContext): void {
  const broker = program
    .command('broker')
    .description(
      'run the metergate MQTT broker (aedes): device auth, topic ACLs, limits; stops on SIGINT/SIGTERM',
    )
    .option('--port <port>', 'MQTT/TCP port (default 1883 when no other listener is given)', port)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--tls-port <port>', 'MQTT/TLS port (needs --ca-dir)', port)
    .option(
      '--ca-dir <dir>',
      'device CA directory from `metergate ca init` (server cert, client CA, revocations)',
    )
    .option('--require-client-cert', 'refuse TLS clients without a device certificate')
    .option('--ws-port <port>', 'MQTT over WebSocket port (dashboards)', port)
    .option(
      '--credentials <file>',
      'YAML/JSON credentials file (users: username, role, meters, password hash)',
    )
    .option('--allow-anonymous', 'accept clients without credentials (they get --anonymous-role)')
    .option('--anonymous-role <role>', `role of anonymous clients: ${ROLES.join(', ')}`, 'dashboard')
    .option('--redis <url>', 'join a broker cluster through Redis (redis://host:port/db)')
    .option('--redis-prefix <prefix>', 'Redis key and channel prefix of this cluster')
    .option('--topic-prefix <prefix>', 'MQTT topic prefix (or MQTT_PREFIX)')
    .option('--max-payload <bytes>', 'largest PUBLISH payload', positive)
    .option('--max-connections <n>', 'open connections on this node', positive)
    .option('--conn-rate <n>', 'new connections per second per source address', positive)
    .option('--conn-burst <n>', 'connection burst per source address', positive)
    .option(
      '--data-dir <dir>',
      'keep sessions, queued QoS 1 messages and retained messages here across restarts',
      '.data/broker',
    )
    .option('--memory', 'keep sessions in memory only (a restart loses queued messages)')
    .option(
      '--fsync <when>',
      'durable store: interval (every second) or always (before each PUBACK)',
      'interval',
    )
    .option('--max-queued <n>', 'queued QoS 1/2 messages kept per client; newer ones are dropped', positive)
    .option(
      '--strict-client-ids',
      'clients must use their own id, {id}:… or a clientIds entry of their credentials',
    )
    .action(async (flags: BrokerFlags) => {
      const log = ctx.logger();
      if (!isRole(flags.anonymousRole))
        throw new Error(`--anonymous-role must be one of ${ROLES.join(', ')}`);
      if (flags.fsync !== 'always' && flags.fsync !== 'interval')
        throw new Error('--fsync must be always or interval');
      if (flags.tlsPort !== undefined && !flags.caDir)
        throw new Error('--tls-port needs --ca-dir (run metergate ca init)');
      const credentials = flags.credentials
        ? new FileCredentialStore({ file: flags.credentials })
        : undefined;
      const options: MetergateBrokerOptions = {
        host: flags.host,
        ...(flags.port !== undefined ? { port: flags.port } : {}),
        ...(flags.wsPort !== undefined ? { ws: { port: flags.wsPort } } : {}),
        ...(credentials ? { credentials } : {}),
        allowAnonymous: Boolean(flags.allowAnonymous),
        anonymousRole: flags.anonymousRole,
        logger: log,
        ...(flags.memory ? {} : { dataDir: path.resolve(flags.dataDir), fsync: flags.fsync }),
        ...(flags.maxQueued ? { maxQueuedPerClient: flags.maxQueued } : {}),
        ...(flags.strictClientIds ? { strictClientIds: true } : {}),
        limits: {
          ...(flags.maxPayload ? { maxPayloadBytes: flags.maxPayload } : {}),
          ...(flags.maxConnections ? { maxConnections: flags.maxConnections } : {}),
          ...(flags.connRate || flags.connBurst
            ? { connectionRate: { perSecond: flags.connRate ?? 20, burst: flags.connBurst ?? 50 } }
            : {}),
        },
      };
      const topicPrefix = flags.topicPrefix ?? ctx.env.MQTT_PREFIX;
      if (topicPrefix) options.topicPrefix = topicPrefix;
      if (flags.redis)
        options.redis = { url: flags.redis, ...(flags.redisPrefix ? { keyPrefix: flags.redisPrefix } : {}) };
      if (flags.tlsPort !== undefined && flags.caDir) {
        const f = (name: string) => readFile(path.join(flags.caDir!, name));
        options.tls = {
          port: flags.tlsPort,
          cert: await f(CA_FILES.serverCert),
          key: await f(CA_FILES.serverKey),
          ca: await f(CA_FILES.cert),
          requireClientCert: Boolean(flags.requireClientCert),
          revokedFile: path.join(flags.caDir, CA_FILES.revoked),
        };
      }
      if (!credentials && !options.allowAnonymous && !options.tls) {
        log.warn({}, 'no --credentials, no --allow-anonymous and no TLS: every client will be refused');
      }
      const b = createMetergateBroker(options);
      await b.start();
      // One line on stdout so scripts and tests can wait for readiness and learn ephemeral ports.
      ctx.stdout.write(`${JSON.stringify({ listening: b.ports })}\n`);
      await new Promise<void>((resolve) => {
        const onHup = () => {
          credentials?.reload().then(
            () => log.info({}, 'credentials reloaded'),
            (err: Error) =>
              log.error({ err: err.message }, 'credentials reload failed; old credentials stay'),
          );
        };
        const done = (signal: string) => {
          log.info({ signal }, 'broker stopping');
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          process.off('SIGHUP', onHup);
          resolve();
        };
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
        process.on('SIGHUP', onHup);
      });
      // Stop within 10 s whatever a client does; the store is flushed by stop() before that.
      const guard = setTimeout(() => {
        log.error({}, 'broker did not stop within 9 s; exiting');
        process.exit(1);
      }, 9000);
      guard.unref();
      await b.stop();
      clearTimeout(guard);
      log.info({}, 'broker stopped');
    });

  broker
    .command('passwd')
    .description('read a password from stdin (first line) and print its scrypt hash for a credentials file')
    .option('--user <username>', 'print a whole YAML credentials entry for this username')
    .option('--role <role>', `role of the entry: ${ROLES.join(', ')}`, 'edge')
    .option('--meters <ids>', 'comma-separated meter ids the edge serves', '')
    .action(async (opts: { user?: string; role: string; meters: string }) => {
      const password = await readLine(ctx.stdin);
      if (password.length < 8) {
        ctx.stderr.write(
          'metergate: password must be at least 8 characters (read from the first line of stdin)\n',
        );
        ctx.exitCode = 1;
        return;
      }
      const hash = await hashPassword(password);
      if (!opts.user) {
        ctx.stdout.write(`${hash}\n`);
        return;
      }
      if (!isRole(opts.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const meters = opts.meters.split(',').filter(Boolean);
      ctx.stdout.write(
        `  - username: ${opts.user}\n    role: ${opts.role}\n    meters: [${meters.join(', ')}]\n    password: "${hash}"\n`,
      );
    });
}
