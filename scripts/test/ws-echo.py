#!/usr/bin/python3
"""ws-echo.py HOST ADDRESS CA_FILE: opens wss://HOST/ws at ADDRESS:443 trusting CA_FILE, sends
one text frame ("ping") and prints the text frame that comes back (scripts/test/https.sh)."""
import base64
import hashlib
import os
import socket
import ssl
import sys

host, address, ca = sys.argv[1:4]
context = ssl.create_default_context(cafile=ca)
s = context.wrap_socket(socket.create_connection((address, 443), timeout=20), server_hostname=host)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head and len(head) < 8192:
    head += s.recv(1)
if not head.startswith(b"HTTP/1.1 101"):
    sys.exit("no upgrade: " + head.decode(errors="replace").splitlines()[0])
expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
if f"sec-websocket-accept: {expected}".lower() not in head.decode().lower():
    sys.exit("wrong Sec-WebSocket-Accept: " + head.decode(errors="replace"))
message = b"ping"
mask = os.urandom(4)
s.sendall(bytes([0x81, 0x80 | len(message)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(message)))
frame = s.recv(2)
length = frame[1] & 127
data = b""
while len(data) < length:
    data += s.recv(length - len(data))
print(data.decode())
