#!/usr/bin/python3
"""An independent Modbus slave (pymodbus 3.0, Debian python3-pymodbus) serving an Eastron
SDM630-style map: input registers (function 4), IEEE 754 float32, high word first.

usage: pymodbus_server.py rtu DEVICE UNIT_IDS JSON_VALUES
       pymodbus_server.py tcp PORT   UNIT_IDS JSON_VALUES
UNIT_IDS is a comma-separated list; JSON_VALUES maps a register address (decimal string) to the
float stored there (every unit serves the same values).
"""
import json
import logging
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer, StartTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

logging.basicConfig(level=logging.WARNING)


def slave(values):
    words = [0] * 0x200
    for addr, value in values.items():
        hi, lo = struct.unpack(">HH", struct.pack(">f", float(value)))
        words[int(addr)] = hi
        words[int(addr) + 1] = lo
    # zero_mode: request address N is data-block index N (no 1-based shift).
    return ModbusSlaveContext(
        ir=ModbusSequentialDataBlock(0, words), hr=ModbusSequentialDataBlock(0, [0] * 16), zero_mode=True
    )


def main() -> None:
    mode, where, units, values = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    context = ModbusServerContext(slaves={int(u): slave(values) for u in units.split(",")}, single=False)
    print("serving", mode, where, "units", units, flush=True)
    if mode == "rtu":
        StartSerialServer(context=context, framer=ModbusRtuFramer, port=where, baudrate=9600, timeout=0.05)
    else:
        StartTcpServer(context=context, framer=ModbusSocketFramer, address=("127.0.0.1", int(where)))


if __name__ == "__main__":
    main()
