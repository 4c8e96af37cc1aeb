"""Independent IEC 62056-21 mode C readout client (pyserial) for the simulator tests.

usage: iec_client.py PATH [ADDRESS] — prints JSON {ident, lines, bcc, bccComputed, baud}.
"""
import json
import sys

import serial

BAUDS = {ord(str(i)): b for i, b in enumerate([300, 600, 1200, 2400, 4800, 9600, 19200])}


def main():
    address = sys.argv[2] if len(sys.argv) > 2 else ""
    port = serial.Serial(sys.argv[1], 300, bytesize=7, parity=serial.PARITY_EVEN, stopbits=1, timeout=4)
    port.write(b"/?" + address.encode() + b"!\r\n")
    ident = port.readline()
    if not ident.startswith(b"/"):
        print(json.dumps({"error": "no identification", "got": ident.decode("ascii", "replace")}))
        return
    z = ident[4]
    port.write(b"\x060" + bytes([z]) + b"0\r\n")
    port.flush()
    port.baudrate = BAUDS[z]
    data = b""
    while b"\x03" not in data:
        c = port.read(1)
        if not c:
            break
        data += c
    bcc_byte = port.read(1)
    stx = data.find(b"\x02")
    etx = data.find(b"\x03")
    computed = 0
    for b in data[stx + 1 : etx + 1]:
        computed ^= b
    print(
        json.dumps(
            {
                "ident": ident.decode("ascii").strip(),
                "baud": BAUDS[z],
                "lines": data[stx + 1 : etx].decode("ascii").split("\r\n"),
                "bcc": bcc_byte[0] if bcc_byte else None,
                "bccComputed": computed & 0x7F,
            }
        )
    )


main()
