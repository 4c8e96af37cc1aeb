"""Independent Modbus client for the simulator tests: pymodbus (Debian python3-pymodbus 3.0).

usage: modbus_client.py tcp HOST PORT REQUESTS_JSON
       modbus_client.py rtu PATH BAUD REQUESTS_JSON
REQUESTS_JSON: [[unit, function, address, count], ...]; prints one JSON result per request.
"""
import json
import sys

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.pdu import ExceptionResponse


def main():
    mode, where, arg, reqs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    if mode == "tcp":
        client = ModbusTcpClient(where, port=int(arg), timeout=2, retries=0)
    else:
        client = ModbusSerialClient(port=where, baudrate=int(arg), timeout=1, retries=0)
    if not client.connect():
        print(json.dumps({"error": "connect failed"}))
        sys.exit(1)
    out = []
    for unit, fn, address, count in reqs:
        read = client.read_input_registers if fn == 4 else client.read_holding_registers
        try:
            rr = read(address, count, slave=unit)
        except Exception as e:  # noqa: BLE001 - report, do not crash the test peer
            out.append({"error": repr(e)})
            continue
        if isinstance(rr, ExceptionResponse):
            out.append({"exception": rr.exception_code})
        elif rr.isError():
            out.append({"error": str(rr)})
        else:
            out.append({"registers": list(rr.registers)})
    client.close()
    print(json.dumps(out))


main()
