import type { LoadProfile } from './load-profile.js';

/**
 * Instantaneous electrical quantities consistent with a total active power: per-phase powers that
 * sum to the total, voltages near 230 V (with a small load-dependent drop), power factors near 0.95,
 * currents I = P / (V · PF), apparent and reactive power from the per-phase triangle, frequency
 * near 50 Hz. Values are in OBIS units (kW, V, A, kVA, kvar, Hz).
 */
export const NOMINAL_VOLTAGE = 230;
export const NOMINAL_FREQUENCY = 50;

export interface PhaseValues {
  readonly powerKw: number;
  readonly voltage: number;
  readonly current: number;
  readonly powerFactor: number;
}

export interface Electrical {
  readonly phases: readonly PhaseValues[];
  readonly powerKw: number;
  readonly apparentKva: number;
  readonly reactiveKvar: number;
  readonly powerFactor: number;
  readonly frequency: number;
}

const MINUTE = 60_000;

export function electricalAt(profile: LoadProfile, phases: 1 | 3, totalKw: number, t: number): Electrical {
  const minute = Math.floor(t / MINUTE);
  const slot = Math.floor(t / (15 * MINUTE));
  // Phase shares: a fixed per-meter imbalance that drifts a little per quarter hour, normalised so
  // the phase powers sum exactly to the total.
  const raw = Array.from(
    { length: phases },
    (_, i) => (0.7 + 0.6 * profile.draw(0x100 + i)) * Math.exp(0.1 * profile.gauss(slot, 0x110 + i)),
  );
  const sum = raw.reduce((a, b) => a + b, 0);
  const out: PhaseValues[] = raw.map((r, i) => {
    const powerKw = (totalKw * r) / sum;
    const voltage = NOMINAL_VOLTAGE * (1 + 0.008 * profile.gauss(minute, 0x120 + i)) - 0.4 * powerKw;
    const powerFactor = Math.min(0.999, Math.max(0.8, 0.95 + 0.02 * profile.gauss(slot, 0x130 + i)));
    const current = (powerKw * 1000) / (voltage * powerFactor);
    return { powerKw, voltage, current, powerFactor };
  });
  const apparentKva = out.reduce((a, p) => a + p.powerKw / p.powerFactor, 0);
  const reactiveKvar = out.reduce((a, p) => a + p.powerKw * Math.tan(Math.acos(p.powerFactor)), 0);
  const powerFactor = apparentKva > 0 ? totalKw / apparentKva : 1;
  const frequency = NOMINAL_FREQUENCY + 0.02 * profile.gauss(Math.floor(t / 10_000), 0x140);
  return { phases: out, powerKw: totalKw, apparentKva, reactiveKvar, powerFactor, frequency };
}
