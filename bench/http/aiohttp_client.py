"""bench/http's aiohttp side: N GET requests to URL with CONCURRENCY in flight over one
keep-alive session (after 200 untimed warm-up calls); prints requests/s."""
import asyncio
import sys
import time

import aiohttp


async def main(url, n, concurrency):
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        sem = asyncio.Semaphore(concurrency)
        failed = 0

        async def one():
            nonlocal failed
            async with sem:
                async with session.get(url) as r:
                    await r.read()
                    failed += r.status != 200

        await asyncio.gather(*(one() for _ in range(200)))
        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        secs = time.perf_counter() - t0
    print(f"aiohttp c={concurrency} rps={n / secs:.0f} failed={failed}")


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
