"""Keys typed ahead land where they would have landed had the user waited.

Textual hands a key to the focused widget's own message queue and takes the next key at
once. A key that is not the widget's (tab, enter, a letter bound on the screen) travels up
through the queues of the widget's ancestors before its binding runs, and what that binding
starts (a dialog composing itself, focus moving to the next field, a form's answer reaching
the screen) takes a few more turns of those queues. Keys typed meanwhile — the normal case
over SSH, where a whole line arrives at once — overtook it: characters landed in the field
being left, or reached a dialog before it had a focused field and were lost.

`TypeAhead` lets one key (or paste) into the app at a time: the next one waits until every
message queue of the app has been worked off (the key's whole journey and everything it
caused), then goes on its way exactly as if it had just been typed. Keys wait at most
`LIMIT` seconds for any one queue, so a widget that never goes quiet cannot swallow input.
While the app is not ready (the tree is still loading) keys wait for it, except a key that
quits with no key waiting before it (typed after others, it quits after them, in turn).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

LIMIT = 5.0  # seconds a typed-ahead key waits at most for one queue to be worked off
Typed = events.Key | events.Paste


def _busy(pump: MessagePump) -> bool:
    """Whether a message queue has work waiting, or a widget is still being mounted.

    A handler under way is not seen here unless it awaits something (a mount, whose new
    widgets are seen as not yet mounted); handlers that do not await have run to the end
    whenever this task runs.
    """
    if pump._closing or pump._closed:
        return False
    if not pump._mounted_event.is_set() or pump._next_callbacks or not pump._message_queue.empty():
        return True
    return isinstance(pump, Screen) and pump.is_current and bool(pump._callbacks)  # call_after_refresh


async def _worked_off(pump: MessagePump) -> bool:
    """Wait until `pump` is not busy (True), or `LIMIT` seconds (False).

    A message posted behind the queued ones (as Textual's Pilot does) runs when they are
    done; a queue closed meanwhile (a dialog dismissed by the key) never runs it, so look
    again every 50 ms too.
    """
    end = time.monotonic() + LIMIT
    while _busy(pump):
        if time.monotonic() > end:
            return False
        done = asyncio.Event()
        if pump._mounted_event.is_set() and not pump._message_queue.empty():
            pump.call_later(done.set)
            waiter = done.wait()
        elif not pump._mounted_event.is_set():
            waiter = pump._mounted_event.wait()
        else:
            waiter = asyncio.sleep(0.01)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, 0.05)
    return True


def typed_enter(event: Typed) -> Typed:
    """Enter typed before kpitui took over the terminal arrives as ctrl+j: read it as enter.

    Until the terminal is switched to raw mode its line discipline turns the carriage return
    of the Enter key into a line feed (ICRNL), which Textual reads as ctrl+j. Keys typed
    right after the command (the normal case over a slow link) were already in that buffer.
    """
    if isinstance(event, events.Key) and event.key == "ctrl+j":
        enter = events.Key("enter", "\r")
        if event._sender is not None:
            enter.set_sender(event._sender)
        return enter
    return event


class TypeAhead:
    """One typed key at a time: the next is held until the app has settled after the last."""

    def __init__(
        self,
        app: App[Any],
        ready: Callable[[], bool] = lambda: True,
        urgent: Callable[[Typed, bool], bool] = lambda _event, _behind: False,
    ) -> None:
        """`ready`: False while the app cannot take keys yet (they wait for it);
        `urgent(event, behind)`: whether a key acts at once while the app is not ready (a quit
        key), `behind` saying whether other keys wait before it."""
        self.app = app
        self.ready = ready
        self.urgent = urgent
        self.held: deque[Typed] = deque()
        self.released: list[Typed] = []
        self.task: asyncio.Task[None] | None = None

    def admit(self, event: Typed) -> bool:
        """True: dispatch `event` now; False: it is held and will be posted again in turn."""
        for index, released in enumerate(self.released):
            if released is event:
                del self.released[index]
                return True
        if not self.ready() and self.urgent(event, bool(self.held)):
            return True
        if self.task is not None or self.held or not self.ready():
            self.held.append(event)
            self._settle_later()
            return False
        return True

    def drop(self) -> int:
        """Forget the keys held (a question the user has not seen yet must not take them); how many."""
        count = len(self.held)
        self.held.clear()
        return count

    def dispatched(self) -> None:
        """The admitted event was handed on: hold the next until its effects have settled."""
        self._settle_later()

    def _settle_later(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._settle())

    def _pumps(self) -> Iterable[MessagePump]:
        yield self.app
        yield from list(self.app._registry)

    async def _settled(self) -> None:
        """Return once the app is ready and no queue has anything to do (each waited for `LIMIT` at most)."""
        patient = True
        quiet_rounds = 0
        while self.app.is_running:
            busy = [pump for pump in self._pumps() if _busy(pump)] if patient else []
            if not busy and self.ready():
                quiet_rounds += 1
                if quiet_rounds == 2:  # quiet across a turn of the event loop as well
                    return
                await asyncio.sleep(0)
                continue
            quiet_rounds = 0
            if not busy:  # not ready: the tree is still loading
                await asyncio.sleep(0.05)
                continue
            for pump in busy:
                if not await _worked_off(pump):
                    patient = False  # a queue that never empties: stop waiting for queues
                    break
            await asyncio.sleep(0)

    async def _settle(self) -> None:
        try:
            await self._settled()
        finally:
            self.task = None
        if self.held and self.app.is_running:
            event = self.held.popleft()
            self.released.append(event)
            self.app.post_message(event)
