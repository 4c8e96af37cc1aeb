import fs from 'node:fs';
import { DEBIAN_PYTHON, freePort, requireCommand, requirePythonModule } from '../../test/support/services.js';
import {
  PYMODBUS_SERVER,
  SDM630_RAW,
  startProcess,
  startPtyPair,
  tcpOpen,
  tempDir,
  waitFor,
} from '../test-peers/peers.js';
import { RtuTransport } from './rtu-transport.js';
import { TcpTransport } from './tcp-transport.js';
import { transportConformance } from './transport-conformance.js';

// The first three SDM630 floats (V L1..L3) as big-endian words, encoded here by Node, served by pymodbus.
function words(values: number[]): number[] {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatBE(v, i * 4));
  return Array.from({ length: values.length * 2 }, (_, i) => b.readUInt16BE(i * 2));
}
const KNOWN = {
  function: 4 as const,
  address: 0,
  registers: words([SDM630_RAW[0]!, SDM630_RAW[2]!, SDM630_RAW[4]!]),
};
const ILLEGAL = { function: 4 as const, address: 0x1f0, count: 100 };

/** pymodbus serving the SDM630 plan over TCP in `mode`, read by a TcpTransport with `framing`. */
async function overTcp(
  mode: 'tcp' | 'ascii-tcp',
  unitId: number,
  transportOptions: Partial<ConstructorParameters<typeof TcpTransport>[0]>,
  silentUnitId?: number,
) {
  requirePythonModule('pymodbus', 'python3-pymodbus');
  const port = await freePort();
  const server = startProcess(DEBIAN_PYTHON, [
    PYMODBUS_SERVER,
    mode,
    String(port),
    String(unitId),
    JSON.stringify(SDM630_RAW),
  ]);
  await waitFor(() => tcpOpen(port), 15_000, `pymodbus ${mode} (${server.output()})`);
  const transport = new TcpTransport({ host: '127.0.0.1', port, timeoutMs: 1000, ...transportOptions });
  await transport.start();
  return {
    transport,
    unitId,
    known: KNOWN,
    illegal: ILLEGAL,
    ...(silentUnitId !== undefined ? { silentUnitId } : {}),
    teardown: async () => {
      await transport.stop();
      await server.stop();
    },
  };
}

/** pymodbus serving the SDM630 plan as unit 9 on one end of a socat pty, read on the other end. */
async function overPty(
  mode: 'rtu' | 'ascii',
  transportOptions: Omit<ConstructorParameters<typeof RtuTransport>[0], 'path'>,
) {
  requireCommand('socat');
  requirePythonModule('pymodbus', 'python3-pymodbus');
  const dir = tempDir(`mg-conf-${mode}-`);
  const pty = await startPtyPair(dir);
  const server = startProcess(DEBIAN_PYTHON, [PYMODBUS_SERVER, mode, pty.b, '9', JSON.stringify(SDM630_RAW)]);
  const transport = new RtuTransport({ path: pty.a, ...transportOptions });
  await transport.start();
  await waitFor(
    async () => (await transport.read({ unitId: 9, function: 4, address: 0, count: 1 })).ok,
    15_000,
    `pymodbus ${mode} (${server.output()})`,
  );
  return {
    transport,
    unitId: 9,
    known: KNOWN,
    illegal: ILLEGAL,
    silentUnitId: 10,
    teardown: async () => {
      await transport.stop();
      await server.stop();
      await pty.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

transportConformance('TcpTransport ↔ pymodbus TCP server', () => overTcp('tcp', 1, { maxInFlight: 4 }));

transportConformance('RtuTransport ↔ pymodbus RTU server over a socat pty', () =>
  overPty('rtu', { baudRate: 9600, parity: 'none', timeoutMs: 1000 }),
);

transportConformance('TcpTransport (ASCII framing) ↔ pymodbus ASCII server over TCP', () =>
  overTcp('ascii-tcp', 5, { framing: 'ascii' }, 6),
);

transportConformance('RtuTransport (ASCII framing) ↔ pymodbus ASCII server over a socat pty', () =>
  overPty('ascii', { baudRate: 9600, parity: 'even', framing: 'ascii', timeoutMs: 1000 }),
);
