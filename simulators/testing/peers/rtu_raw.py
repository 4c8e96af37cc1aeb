"""Raw RTU frames for the simulator tests, CRC from pymodbus (an implementation independent of ours).

usage: rtu_raw.py PATH — runs the scenario and prints JSON:
  badCrc: bytes answered to a read with a corrupted CRC (must be empty)
  goodCrc: the answer to the same read with the right CRC (hex)
  overlap: answers to a request and a second one sent while the first is answered (one outstanding request)
"""
import json
import struct
import sys
import time

import serial
from pymodbus.utilities import computeCRC


def frame(unit, fn, address, count):
    body = struct.pack(">BBHH", unit, fn, address, count)
    return body + struct.pack(">H", computeCRC(body))


def read_for(port, seconds):
    end = time.time() + seconds
    data = b""
    while time.time() < end:
        data += port.read(256)
    return data


def main():
    port = serial.Serial(sys.argv[1], 9600, timeout=0.05)
    good = frame(1, 4, 0, 2)
    bad = good[:-1] + bytes([good[-1] ^ 0x5A])
    port.write(bad)
    bad_answer = read_for(port, 0.5)
    port.write(good)
    good_answer = read_for(port, 0.5)
    # At 9600 baud a 60-register answer is on the wire until ~140 ms after the request starts: a
    # second request (to unit 2) 40 ms in arrives while the slave is answering and must be dropped.
    port.write(frame(1, 4, 0, 60))
    time.sleep(0.04)
    port.write(frame(2, 4, 0, 2))
    overlap = read_for(port, 0.8)
    crc_ok = len(good_answer) > 2 and computeCRC(good_answer[:-2]) == struct.unpack(">H", good_answer[-2:])[0]
    print(json.dumps({"badCrc": bad_answer.hex(), "goodCrc": good_answer.hex(), "goodCrcValid": crc_ok, "overlap": overlap.hex()}))


main()
