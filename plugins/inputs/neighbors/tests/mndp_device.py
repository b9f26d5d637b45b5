#!/usr/bin/env python3
"""An MNDP-only device (like a SwOS switch) for the neighbors netns test.

Listens on UDP 5678; every 4-byte solicitation gets one announcement
broadcast to 255.255.255.255:5678 (TLVs: 1 MAC, 5 identity in latin-1,
8 platform, 10 uptime little-endian, 12 board, 16 interface, 17 IPv4).
Usage: mndp_device.py MAC IDENTITY IPV4
"""
import os
import socket
import struct
import sys

mac, identity, ipv4 = sys.argv[1], os.fsencode(sys.argv[2]), sys.argv[3]  # identity: raw bytes (latin-1)


def tlv(t, v):
    return struct.pack(">HH", t, len(v)) + v


packet = (b"\x00\x00\x00\x00" + tlv(1, bytes.fromhex(mac.replace(":", ""))) +
          tlv(5, identity) + tlv(8, b"MikroTik") + tlv(10, struct.pack("<I", 4242)) +
          tlv(12, b"CSS326-24G-2S+") + tlv(16, b"Port1") + tlv(17, socket.inet_aton(ipv4)))

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("0.0.0.0", 5678))
print("ready", flush=True)
while True:
    data, _ = s.recvfrom(2048)
    if len(data) == 4:
        s.sendto(packet, ("255.255.255.255", 5678))
