#!/usr/bin/python3
"""An independent Modbus slave (pymodbus 3.0, Debian python3-pymodbus) serving an Eastron
SDM630-style map: input registers (function 4), IEEE 754 float32, high word first.

usage: pymodbus_server.py rtu DEVICE UNIT_IDS JSON_VALUES [JSON_EXTRA]
       pymodbus_server.py tcp PORT   UNIT_IDS JSON_VALUES [JSON_EXTRA]
       pymodbus_server.py rtu-tcp PORT UNIT_IDS JSON_VALUES [JSON_EXTRA]   (RTU frames over TCP)
       pymodbus_server.py ascii DEVICE UNIT_IDS JSON_VALUES [JSON_EXTRA]   (Modbus ASCII, serial)
       pymodbus_server.py ascii-tcp PORT UNIT_IDS JSON_VALUES [JSON_EXTRA] (ASCII frames over TCP)
UNIT_IDS is a comma-separated list; JSON_VALUES maps a register address (decimal string) to the
float stored there (every unit serves the same values).
JSON_EXTRA (optional) adds, by address (decimal string):
  "ir_words" / "hr_words": raw 16-bit words of input / holding registers,
  "coils" / "di": bits of coils / discrete inputs,
  "slow": seconds an input-register read starting at that address blocks the server before it
          answers (a meter that answers after the master's timeout).
"""
import json
import logging
import struct
import sys
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer, StartTcpServer
from pymodbus.transaction import ModbusAsciiFramer, ModbusRtuFramer, ModbusSocketFramer

logging.basicConfig(level=logging.WARNING)

# Input registers end at 0x200 (reads beyond get exception 2); the other tables are larger.
IR_SIZE = 0x200
SIZE = 0x1000


class SlowBlock(ModbusSequentialDataBlock):
    """Input registers whose reads at some addresses answer late (blocking, like a busy meter)."""

    def __init__(self, address, values, slow):
        super().__init__(address, values)
        self.slow = slow

    def getValues(self, address, count=1):
        delay = self.slow.get(address)
        if delay:
            time.sleep(delay)
        return super().getValues(address, count)


def block(words_by_addr, base=None):
    words = list(base) if base is not None else [0] * SIZE
    for addr, word in words_by_addr.items():
        words[int(addr)] = int(word)
    return words


def slave(values, extra):
    words = [0] * IR_SIZE
    for addr, value in values.items():
        hi, lo = struct.unpack(">HH", struct.pack(">f", float(value)))
        words[int(addr)] = hi
        words[int(addr) + 1] = lo
    words = block(extra.get("ir_words", {}), words)
    slow = {int(a): float(s) for a, s in extra.get("slow", {}).items()}
    # zero_mode: request address N is data-block index N (no 1-based shift).
    return ModbusSlaveContext(
        ir=SlowBlock(0, words, slow),
        hr=ModbusSequentialDataBlock(0, block(extra.get("hr_words", {}))),
        co=ModbusSequentialDataBlock(0, block(extra.get("coils", {}))),
        di=ModbusSequentialDataBlock(0, block(extra.get("di", {}))),
        zero_mode=True,
    )


def main() -> None:
    mode, where, units, values = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    context = ModbusServerContext(slaves={int(u): slave(values, extra) for u in units.split(",")}, single=False)
    print("serving", mode, where, "units", units, flush=True)
    if mode == "rtu":
        StartSerialServer(context=context, framer=ModbusRtuFramer, port=where, baudrate=9600, timeout=0.05)
    elif mode == "ascii":
        StartSerialServer(context=context, framer=ModbusAsciiFramer, port=where, baudrate=9600, timeout=0.05)
    elif mode == "ascii-tcp":
        StartTcpServer(context=context, framer=ModbusAsciiFramer, address=("127.0.0.1", int(where)))
    elif mode == "rtu-tcp":
        # A serial device server: RTU frames (address, PDU, CRC) carried over a TCP socket.
        StartTcpServer(context=context, framer=ModbusRtuFramer, address=("127.0.0.1", int(where)))
    else:
        StartTcpServer(context=context, framer=ModbusSocketFramer, address=("127.0.0.1", int(where)))


if __name__ == "__main__":
    main()
