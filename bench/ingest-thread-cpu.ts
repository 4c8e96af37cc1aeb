import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * CPU time per thread of this process, from Linux's /proc/self/task/<tid>/stat, so `bench ingest`
 * can say which thread a reading's CPU goes to (process.cpuUsage() only gives the sum; the event
 * loop utilisation counts a thread as busy while the scheduler has it waiting on a loaded machine).
 * utime and stime are in clock ticks: USER_HZ is 100 on every Linux ABI Node supports.
 * Elsewhere (no /proc) the snapshots are empty and the bench reports no breakdown.
 */
const TICK_US = 1e6 / 100;

export type ThreadTimes = Map<number, number>;

/** CPU µs so far of each thread, by thread id. */
export function threadTimes(): ThreadTimes {
  const out: ThreadTimes = new Map();
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after "(comm) ": state is field 3, utime 14, stime 15 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_US);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** The calling thread's id (a worker's own, not the process's), or undefined without /proc. */
export function currentThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

/**
 * CPU µs per item between two snapshots: the main thread, the devices thread, the busiest other
 * thread (`database`: PGlite's worker when the store is PGlite) and the rest (`helpers`: V8's GC
 * and compiler threads, libuv's pool).
 */
export function cpuPerItem(
  before: ThreadTimes,
  after: ThreadTimes,
  ids: { main: number; devices: number | undefined },
  items: number,
): { main: number; devices: number; database: number; helpers: number } | undefined {
  if (after.size === 0 || items <= 0) return undefined;
  const used = (tid: number) => (after.get(tid) ?? 0) - (before.get(tid) ?? 0);
  const others = [...after.keys()].filter((t) => t !== ids.main && t !== ids.devices).map(used);
  const database = Math.max(0, ...others);
  const helpers = others.reduce((a, b) => a + b, 0) - database;
  const per = (us: number) => Math.round((us / items) * 10) / 10;
  return {
    main: per(used(ids.main)),
    devices: per(ids.devices === undefined ? 0 : used(ids.devices)),
    database: per(database),
    helpers: per(helpers),
  };
}
