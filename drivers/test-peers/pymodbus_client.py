#!/usr/bin/python3
"""An independent Modbus TCP master (pymodbus 3.0, Debian python3-pymodbus): runs the reads (and
writes) given as JSON and prints one JSON line with the answers, so tests can check our servers with
a client nobody here wrote.

usage: pymodbus_client.py PORT UNIT JSON_OPS
JSON_OPS is a list of {"op": "hr"|"ir"|"co"|"di", "address": A, "count": N}
                   or {"op": "write_coil", "address": A, "value": true|false}.
"""
import json
import sys

from pymodbus.client import ModbusTcpClient


def main() -> None:
    port, unit, ops = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    client = ModbusTcpClient("127.0.0.1", port=port)
    if not client.connect():
        print(json.dumps({"error": "cannot connect"}), flush=True)
        sys.exit(1)
    out = []
    for op in ops:
        kind = op["op"]
        if kind == "hr":
            r = client.read_holding_registers(op["address"], op["count"], slave=unit)
        elif kind == "ir":
            r = client.read_input_registers(op["address"], op["count"], slave=unit)
        elif kind == "co":
            r = client.read_coils(op["address"], op["count"], slave=unit)
        elif kind == "di":
            r = client.read_discrete_inputs(op["address"], op["count"], slave=unit)
        elif kind == "write_coil":
            r = client.write_coil(op["address"], bool(op["value"]), slave=unit)
        else:
            raise SystemExit(f"unknown op {kind}")
        if r.isError():
            out.append({"error": str(r)})
        elif kind in ("co", "di"):
            out.append({"bits": [1 if b else 0 for b in r.bits[: op["count"]]]})
        elif kind == "write_coil":
            out.append({"ok": True})
        else:
            out.append({"registers": list(r.registers)})
    client.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
