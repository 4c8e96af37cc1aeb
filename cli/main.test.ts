import { captureContext } from './test-context.js';
import { describe, expect, it } from 'vitest';
import { main } from './index.js';

describe('metergate CLI', () => {
  it('prints help and version', async () => {
    const c = captureContext();
    expect(await main(['--help'], c)).toBe(0);
    expect(c.out()).toMatch(/Usage: metergate/);
    expect(c.out()).toMatch(/config/);
    const v = captureContext();
    expect(await main(['--version'], v)).toBe(0);
    expect(v.out().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('fails on an unknown command', async () => {
    const c = captureContext();
    expect(await main(['frobnicate'], c)).not.toBe(0);
    expect(c.err()).toMatch(/unknown command/);
  });

  it('config check reports the bad key and exits 1', async () => {
    const c = captureContext();
    expect(await main(['config', 'check', '/nonexistent.yaml'], c)).toBe(1);
    expect(c.err()).toMatch(/cannot read file/);
  });
});
