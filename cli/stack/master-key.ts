import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AesGcmSecurityModule } from '../../gateway/prepaid/vending/index.js';

/**
 * The vault's master key: METERGATE_MASTER_KEY / METERGATE_MASTER_KEY_FILE in production. Only the
 * demo may create one, in its own data directory with mode 0600, so a newcomer needs no set-up; the
 * key is never printed.
 */
export function securityModuleFor(env: NodeJS.ProcessEnv, demoDataDir?: string): AesGcmSecurityModule {
  if (env.METERGATE_MASTER_KEY || env.METERGATE_MASTER_KEY_FILE || !demoDataDir) {
    return AesGcmSecurityModule.fromEnv(env);
  }
  const file = join(demoDataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return AesGcmSecurityModule.fromEnv({ ...env, METERGATE_MASTER_KEY: readFileSync(file, 'utf8').trim() });
}
