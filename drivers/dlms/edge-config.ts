import type { Static } from '@sinclair/typebox';
import type { DlmsTransportConfig } from '../edge/config.js';
import { DlmsError } from './errors.js';
import { DlmsEdgeReader } from './edge-reader.js';

/**
 * An edge.yaml `transport: { type: dlms, … }` to a reader. The LLS password and the HLS-GMAC keys
 * are read from the environment variables the file names (passwordEnv, ekEnv, akEnv): key material
 * never sits in the config file and is never logged.
 */
export function dlmsReaderFor(
  meterId: string,
  t: Static<typeof DlmsTransportConfig>,
  timeoutMs: number | undefined,
  stateDir: string,
  env: NodeJS.ProcessEnv,
): DlmsEdgeReader {
  const auth = t.auth ?? 'none';
  const secret = (name: string | undefined, what: string) => {
    const v = name ? env[name] : undefined;
    if (!v)
      throw new DlmsError(
        'MG_ERR_DLMS_USAGE',
        `meter ${meterId}: ${what} environment variable ${name ?? '(not named)'} is not set`,
      );
    return v;
  };
  const hexKey = (name: string | undefined, what: string) => {
    const v = secret(name, what);
    if (!/^[0-9a-fA-F]{32}$/.test(v))
      throw new DlmsError('MG_ERR_DLMS_USAGE', `meter ${meterId}: ${name} must be 16 bytes of hex`);
    return new Uint8Array(Buffer.from(v, 'hex'));
  };
  return new DlmsEdgeReader({
    meterId,
    session: {
      host: t.host,
      port: t.port ?? 4059,
      transport: t.framing ?? 'wrapper',
      clientSap: t.client,
      server: t.server,
      serverLower: t.serverLower,
      auth,
      password: auth === 'low' ? Buffer.from(secret(t.passwordEnv, 'LLS password'), 'latin1') : undefined,
      keys:
        auth === 'high-gmac'
          ? { ek: hexKey(t.ekEnv, 'block cipher key'), ak: hexKey(t.akEnv, 'authentication key') }
          : undefined,
      timeoutMs,
    },
    objects: t.objects,
    profile: t.profile,
    stateDir,
  });
}
