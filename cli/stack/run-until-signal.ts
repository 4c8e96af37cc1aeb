/** How long a role may take to drain and stop after SIGTERM/SIGINT (docker's default grace is 10 s). */
export const STOP_GRACE_MS = 9_000;

type SignalProcess = Pick<NodeJS.Process, 'on' | 'off' | 'exit'>;

/**
 * SIGINT and SIGTERM caught from the moment a role begins to start, not only once it is ready: a
 * signal during start-up (a slow database, `docker stop` right after `docker run`) is remembered and
 * the role stops as soon as its start returns, instead of dying half-started by the default action.
 * One listener per signal stays installed until `dispose()`; the first signal settles `signal`, any
 * later one goes to `onAgain` (by default: exit 1 at once).
 */
export interface SignalWatch {
  readonly signal: Promise<NodeJS.Signals>;
  onAgain(handler: (sig: NodeJS.Signals) => void): void;
  dispose(): void;
}

export function watchSignals(proc: SignalProcess = process): SignalWatch {
  let received = 0;
  let settle!: (sig: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((resolve) => (settle = resolve));
  let again: (sig: NodeJS.Signals) => void = () => proc.exit(1);
  const handler = (sig: NodeJS.Signals) => {
    received += 1;
    if (received === 1) settle(sig);
    else again(sig);
  };
  proc.on('SIGINT', handler);
  proc.on('SIGTERM', handler);
  return {
    signal,
    onAgain: (h) => void (again = h),
    dispose: () => {
      proc.off('SIGINT', handler);
      proc.off('SIGTERM', handler);
    },
  };
}

export interface RunUntilSignalOptions {
  /** Drains and stops the role (the composition root's lifecycle, in reverse). */
  stop: () => Promise<void>;
  log: (level: 'info' | 'error', message: string) => void;
  graceMs?: number;
  /** The watch installed before the role started (watchSignals); without one, installed now. */
  signals?: SignalWatch;
  /** For tests: the process to watch and to exit. */
  proc?: SignalProcess;
}

/**
 * Runs a role until SIGINT or SIGTERM, then stops it cleanly. The stop has `graceMs` (default 9 s) to
 * drain what the role holds; past that, or on a second signal, the process exits with status 1 and
 * says so. Once stopped, a process that stays alive a second longer (a handle some library left
 * open) is exited too, so `docker stop` and Ctrl-C never hang. Resolves with the signal.
 */
export async function runUntilSignal(options: RunUntilSignalOptions): Promise<NodeJS.Signals> {
  const proc = options.proc ?? process;
  const grace = options.graceMs ?? STOP_GRACE_MS;
  const watch = options.signals ?? watchSignals(proc);
  watch.onAgain((sig) => {
    options.log('error', `${sig} while stopping: exiting now`);
    proc.exit(1);
  });
  const signal = await watch.signal;
  options.log('info', `${signal}: stopping (up to ${Math.round(grace / 1000)} s to drain)`);
  const deadline = setTimeout(() => {
    options.log('error', `did not stop within ${Math.round(grace / 1000)} s: exiting`);
    proc.exit(1);
  }, grace);
  try {
    await options.stop();
  } finally {
    clearTimeout(deadline);
    watch.dispose();
  }
  // Unref'd: it fires only if something else still keeps the process alive.
  setTimeout(() => {
    options.log('error', 'stopped, but a handle kept the process alive: exiting');
    proc.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
  }, 1_000).unref();
  return signal;
}
