"""A real SMTP server for the end-to-end tests (Python standard library only).

Accepts every message and writes it, exactly as received, to <folder>/<time>-<n>.eml,
so that the tests read what an SMTP server really got from Guichet's delivery worker.
Usage: python3 smtp_sink.py PORT FOLDER
"""

import asyncio
import itertools
import os
import sys
import time

PORT = int(sys.argv[1])
FOLDER = sys.argv[2]
COUNTER = itertools.count(1)


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    def send(line: str) -> None:
        writer.write(line.encode() + b"\r\n")

    send("220 guichet-e2e-sink ESMTP")
    await writer.drain()
    while True:
        raw = await reader.readline()
        if not raw:
            break
        command = raw.decode("latin-1").strip().upper()
        if command.startswith("EHLO"):
            send("250-guichet-e2e-sink")
            send("250 8BITMIME")
        elif command.startswith("HELO"):
            send("250 guichet-e2e-sink")
        elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
            send("250 OK")
        elif command == "DATA":
            send("354 End data with <CR><LF>.<CR><LF>")
            await writer.drain()
            lines = []
            while True:
                line = await reader.readline()
                if not line or line in (b".\r\n", b".\n"):
                    break
                if line.startswith(b".."):
                    line = line[1:]
                lines.append(line)
            name = f"{time.time_ns()}-{next(COUNTER):06d}"
            tmp = os.path.join(FOLDER, name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(b"".join(lines))
            os.replace(tmp, os.path.join(FOLDER, name + ".eml"))
            send("250 OK: queued")
        elif command == "QUIT":
            send("221 Bye")
            await writer.drain()
            break
        else:
            send("502 Command not implemented")
        await writer.drain()
    writer.close()


async def main() -> None:
    os.makedirs(FOLDER, exist_ok=True)
    server = await asyncio.start_server(session, "127.0.0.1", PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
