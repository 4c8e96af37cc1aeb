"""Independent Modbus client for the simulator tests: pymodbus (Debian python3-pymodbus 3.0).

usage: modbus_client.py tcp HOST PORT REQUESTS_JSON
       modbus_client.py rtu PATH BAUD REQUESTS_JSON
       modbus_client.py ascii PATH BAUD REQUESTS_JSON   (Modbus ASCII framing)
REQUESTS_JSON: [[unit, function, address, count], ...]; prints one JSON result per request
(registers, exception or error, and the time the request took in ms).
"""
import json
import sys
import time

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.pdu import ExceptionResponse
from pymodbus.transaction import ModbusAsciiFramer


def main():
    mode, where, arg, reqs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    if mode == "tcp":
        client = ModbusTcpClient(where, port=int(arg), timeout=2, retries=0)
    elif mode == "ascii":
        # The tests run on a pty, which has no UART: 7E1 would not change a character on it, and Linux
        # refuses to set it again on a reopened pty (EINVAL), so the line settings stay the default.
        client = ModbusSerialClient(port=where, framer=ModbusAsciiFramer, baudrate=int(arg), timeout=3, retries=0)
    else:
        client = ModbusSerialClient(port=where, baudrate=int(arg), timeout=3, retries=0)
    if not client.connect():
        print(json.dumps({"error": "connect failed"}))
        sys.exit(1)
    out = []
    for unit, fn, address, count in reqs:
        read = client.read_input_registers if fn == 4 else client.read_holding_registers
        started = time.monotonic()
        try:
            rr = read(address, count, slave=unit)
        except Exception as e:  # noqa: BLE001 - report, do not crash the test peer
            out.append({"error": repr(e)})
            continue
        elapsed = round((time.monotonic() - started) * 1000, 1)
        if isinstance(rr, ExceptionResponse):
            out.append({"exception": rr.exception_code, "ms": elapsed})
        elif rr.isError():
            out.append({"error": str(rr), "ms": elapsed})
        else:
            out.append({"registers": list(rr.registers), "ms": elapsed})
    client.close()
    print(json.dumps(out))


main()
