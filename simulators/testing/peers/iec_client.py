"""Independent IEC 62056-21 mode C readout client (pyserial) for the simulator tests.

usage: iec_client.py PATH [ADDRESS] — prints JSON {ident, lines, bcc, bccComputed, baud}.
"""
import json
import sys
import os

import serial

BAUDS = {ord(str(i)): b for i, b in enumerate([300, 600, 1200, 2400, 4800, 9600, 19200])}


def open_port(path):
    # Mode C starts at 300 baud 7E1. A Linux pty always carries 8-bit bytes without parity (asking it
    # for 7E1 fails with EINVAL once the pty was configured), so on a pty the 7-bit framing is
    # emulated by masking every received byte to 7 bits, as a 7E1 UART would deliver it.
    kwargs = {} if os.path.realpath(path).startswith("/dev/pts/") else {"bytesize": 7, "parity": serial.PARITY_EVEN}
    return serial.Serial(path, 300, timeout=4, **kwargs)


def main():
    address = sys.argv[2] if len(sys.argv) > 2 else ""
    port = open_port(sys.argv[1])
    port.write(b"/?" + address.encode() + b"!\r\n")
    ident = bytes(b & 0x7F for b in port.readline())
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
        data += bytes([c[0] & 0x7F])
    bcc_byte = bytes(b & 0x7F for b in port.read(1))
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
