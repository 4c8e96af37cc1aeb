import { SerialPort } from 'serialport';
import { SimulatorError } from '../errors.js';

export interface SerialLineOptions {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

/**
 * Open the meter's end of a serial line and feed what arrives to `onData`. Line errors are ignored
 * on purpose: a simulated meter on a broken line simply stops answering, as a real one would.
 */
export async function openSerialLine(
  options: SerialLineOptions,
  onData: (chunk: Buffer) => void,
): Promise<SerialPort> {
  const port = new SerialPort({ ...options, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err ? reject(new SimulatorError('MG_ERR_SIM_LISTEN', `${options.path}: ${err.message}`)) : resolve(),
    ),
  );
  port.on('data', onData);
  port.on('error', () => undefined);
  return port;
}
