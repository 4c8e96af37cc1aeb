import { describe, expect, it } from 'vitest';
import { FaultInjector } from './faults.js';

describe('FaultInjector', () => {
  it('draws faults with their probability, reproducibly', () => {
    const mk = () =>
      new FaultInjector({
        seed: 's',
        faults: [
          { kind: 'busy', probability: 0.25 },
          { kind: 'late-reply', delayMs: 50 },
        ],
      });
    const a = mk();
    const b = mk();
    const da = Array.from({ length: 2000 }, () => a.decide());
    const db = Array.from({ length: 2000 }, () => b.decide());
    expect(da).toEqual(db);
    const busy = da.filter((d) => d.busy).length;
    expect(busy).toBeGreaterThan(400);
    expect(busy).toBeLessThan(600);
    expect(da.every((d) => d.delayMs === 50 && !d.drop)).toBe(true);
    expect(a.injected.busy).toBe(busy);
  });

  it('goes offline for a window and comes back', () => {
    let wall = 1000;
    const f = new FaultInjector({
      faults: [{ kind: 'offline', startMs: 100, durationMs: 50, periodMs: 1000 }],
      wallClock: () => wall,
    });
    expect(f.decide().drop).toBe(false); // origin = 1000
    wall = 1120;
    expect(f.decide().drop).toBe(true);
    wall = 1160;
    expect(f.decide().drop).toBe(false);
    wall = 2130;
    expect(f.decide().drop).toBe(true);
    wall = 3000;
    f.goOffline(10);
    expect(f.decide().drop).toBe(true);
    wall = 3011;
    expect(f.decide().drop).toBe(false);
  });

  it('combines no-reply, bad-crc and slow-bytes', () => {
    const f = new FaultInjector({ faults: [{ kind: 'bad-crc' }, { kind: 'slow-bytes', byteDelayMs: 3 }] });
    expect(f.decide()).toEqual({ drop: false, delayMs: 0, busy: false, corrupt: true, byteDelayMs: 3 });
    expect(new FaultInjector({ faults: [{ kind: 'no-reply' }] }).decide().drop).toBe(true);
  });
});
