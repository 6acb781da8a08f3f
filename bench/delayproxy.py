#!/usr/bin/env python3
"""bench/delayproxy.py: a TCP proxy that delays every byte by a fixed time.

    python3 bench/delayproxy.py LISTEN_PORT TARGET_PORT DELAY_MS

Listens on 127.0.0.1:LISTEN_PORT and forwards each connection to
127.0.0.1:TARGET_PORT.  Whatever is read in either direction is written on
DELAY_MS later, in order, so a round trip through it costs 2 x DELAY_MS on
top of loopback's: a wide-area link's latency, where this kernel has no
sch_netem.  It never shapes the rate.  It prints "ready" once listening.
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    """Copy reader to writer, each chunk delay seconds after it came."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()


async def serve(listen, target, delay):
    async def handle(creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1",
                                                             target)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, swriter, delay),
                             pump(sreader, cwriter, delay),
                             return_exceptions=True)
        cwriter.close()
        swriter.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    listen, target, ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    asyncio.run(serve(listen, target, ms / 1000.0))


if __name__ == "__main__":
    main()
