"""Holds N SSE connections to /api/v1/stream/metrics and reports the server's CPU use.

Usage: bench_sse.py PORT API_KEY SERVER_PID CLIENTS SECONDS
Only 127.0.0.1 is contacted; the run is bounded by SECONDS.
"""
import asyncio
import os
import sys
import time

PORT, KEY, PID, CLIENTS, SECONDS = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
TICK = os.sysconf("SC_CLK_TCK")
events = 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def client(stop):
    global events
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(f"GET /api/v1/stream/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    while not stop.is_set():
        try:
            chunk = await asyncio.wait_for(reader.read(65536), 1.0)
        except asyncio.TimeoutError:
            continue
        if not chunk:
            break
        events += chunk.count(b"event: metrics")
    writer.close()


async def main():
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client(stop)) for _ in range(CLIENTS)]
    await asyncio.sleep(3)  # connect and settle
    start_events, c0, t0 = events, cpu_seconds(PID), time.monotonic()
    await asyncio.sleep(SECONDS)
    c1, t1 = cpu_seconds(PID), time.monotonic()
    got = events - start_events
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    share = (c1 - c0) / (t1 - t0) * 100
    print(f"SSE: {CLIENTS} clients, {got} events in {t1 - t0:.1f} s "
          f"({got / (t1 - t0) / CLIENTS:.2f}/client/s); server CPU {share:.1f} % of one core")


asyncio.run(main())
