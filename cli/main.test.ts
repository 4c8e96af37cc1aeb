import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from './index.js';
import type { CliContext } from './context.js';
import { createLogger } from './logger.js';

function ctx(): CliContext & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: {},
    logger: () => createLogger('silent'),
    exitCode: 0,
    out: () => out,
    err: () => err,
  };
}

describe('metergate CLI', () => {
  it('prints help and version', async () => {
    const c = ctx();
    expect(await main(['--help'], c)).toBe(0);
    expect(c.out()).toMatch(/Usage: metergate/);
    expect(c.out()).toMatch(/config/);
    const v = ctx();
    expect(await main(['--version'], v)).toBe(0);
    expect(v.out().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('fails on an unknown command', async () => {
    const c = ctx();
    expect(await main(['frobnicate'], c)).not.toBe(0);
    expect(c.err()).toMatch(/unknown command/);
  });

  it('config check reports the bad key and exits 1', async () => {
    const c = ctx();
    expect(await main(['config', 'check', '/nonexistent.yaml'], c)).toBe(1);
    expect(c.err()).toMatch(/cannot read file/);
  });
});
