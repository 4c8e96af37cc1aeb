// @ts-check
/** The OBIS codes the views show (IEC 62056-61; units as in protocol/obis.ts). */
export const OBIS = {
  energyImport: '1-0:1.8.0', // kWh register
  powerImport: '1-0:1.7.0', // kW
  voltageL1: '1-0:32.7.0', // V
  currentL1: '1-0:31.7.0', // A
  water: '8-0:1.0.0', // m3
  gas: '7-0:3.0.0', // m3
};

/** A meter is online when its last reading is younger than this. */
export const ONLINE_WINDOW_MS = 5 * 60_000;
