import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runUntilSignal, watchSignals } from './run-until-signal.js';

/** A stand-in for `process`: signals are emitted by the test, exit is recorded. */
function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    exits,
    proc: {
      on: (e: string, f: (...a: unknown[]) => void) => (emitter.on(e, f), undefined),
      off: (e: string, f: (...a: unknown[]) => void) => (emitter.off(e, f), undefined),
      exit: (code?: number) => void exits.push(code ?? 0),
    } as unknown as Pick<NodeJS.Process, 'on' | 'off' | 'exit'>,
  };
}

describe('runUntilSignal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal} and resolves with it`, async () => {
      const f = fakeProcess();
      let stopped = false;
      const run = runUntilSignal({
        stop: async () => void (stopped = true),
        log: () => undefined,
        proc: f.proc,
      });
      f.emitter.emit(signal, signal);
      await expect(run).resolves.toBe(signal);
      expect(stopped).toBe(true);
      expect(f.exits).toEqual([]);
      expect(f.emitter.listenerCount('SIGINT') + f.emitter.listenerCount('SIGTERM')).toBe(0);
    });
  }

  it('exits 1 when the stop overruns its grace period', async () => {
    const f = fakeProcess();
    const logs: string[] = [];
    void runUntilSignal({
      stop: () => new Promise(() => undefined),
      log: (_l, m) => logs.push(m),
      graceMs: 9_000,
      proc: f.proc,
    });
    f.emitter.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(8_999);
    expect(f.exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.exits).toEqual([1]);
    expect(logs.at(-1)).toContain('did not stop within 9 s');
  });

  it('exits 1 at once on a second signal while stopping', async () => {
    const f = fakeProcess();
    void runUntilSignal({ stop: () => new Promise(() => undefined), log: () => undefined, proc: f.proc });
    f.emitter.emit('SIGINT', 'SIGINT');
    await vi.advanceTimersByTimeAsync(0);
    f.emitter.emit('SIGINT', 'SIGINT');
    expect(f.exits).toEqual([1]);
  });
});

describe('watchSignals', () => {
  it('remembers a signal that came during start-up; the role stops once started', async () => {
    const f = fakeProcess();
    const signals = watchSignals(f.proc);
    f.emitter.emit('SIGTERM', 'SIGTERM'); // before the role is ready: no default action, remembered
    let stopped = false;
    await expect(
      runUntilSignal({
        stop: async () => void (stopped = true),
        log: () => undefined,
        signals,
        proc: f.proc,
      }),
    ).resolves.toBe('SIGTERM');
    expect(stopped).toBe(true);
    expect(f.exits).toEqual([]);
    expect(f.emitter.listenerCount('SIGINT') + f.emitter.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 1 on a second signal during start-up', () => {
    const f = fakeProcess();
    watchSignals(f.proc);
    f.emitter.emit('SIGINT', 'SIGINT');
    f.emitter.emit('SIGINT', 'SIGINT');
    expect(f.exits).toEqual([1]);
  });
});
