"""Answer the calls that arrive while one is being answered together, as one batch.

An assessment is CPU work under the GIL whose cost barely depends on the number of rows (the schema, the
pipeline, TreeSHAP and the reasons work per column: 20 rows cost about what one does). One call at a time per
worker made twenty concurrent clients wait in line (p95 1.6-3 s on this 2-core machine); answering the queue as
one batch serves them in the time of a few calls. Nothing waits for a batch to fill: a lone call is answered at
once, exactly as before, so a single client's latency is unchanged. This is dynamic batching as model servers
do it (e.g. NVIDIA Triton's dynamic batcher), without the wait window.

Written here rather than taken from a library: the asyncio pieces are twenty lines, and the model servers that
offer it (Triton, Ray Serve, BentoML) are whole platforms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

Item = TypeVar("Item")
Result = TypeVar("Result")
log = logging.getLogger("chestpain.ehr")


class MicroBatcher(Generic[Item, Result]):
    """``await batcher.submit(item)``: ``work`` runs on everything queued, one batch at a time, in a thread.

    ``work`` maps a list of items to a list of results in the same order. If it raises on a batch of several,
    each item is retried alone, so one bad item fails only its own call.
    """

    def __init__(self, work: Callable[[Sequence[Item]], Sequence[Result]], *, max_batch: int = 32) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._work = work
        self._max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None
        self.batch_sizes: list[int] = []  # how many calls each batch answered (for tests and benchmarks)

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            self.batch_sizes.append(len(batch))
            try:
                results = await self._run([item for item, _ in batch])
            except Exception as error:  # noqa: BLE001 - isolate the item that fails; each then gets its own outcome
                if len(batch) == 1:
                    _fail(batch[0][1], error)
                    continue
                log.info("a batch of %d failed; answering its calls one by one", len(batch))
                for item, future in batch:
                    try:
                        (result,) = await self._run([item])
                    except Exception as alone:  # noqa: BLE001 - reported to that call alone
                        _fail(future, alone)
                    else:
                        _succeed(future, result)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                _succeed(future, result)

    async def _run(self, items: list[Item]) -> list[Result]:
        results = list(await run_in_threadpool(self._work, items))
        if len(results) != len(items):
            raise RuntimeError(f"batch work returned {len(results)} results for {len(items)} items")
        return results


def _succeed(future: asyncio.Future, result: object) -> None:
    if not future.done():  # a caller that went away has a cancelled future
        future.set_result(result)


def _fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
