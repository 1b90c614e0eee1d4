"""Keys are handled while the model streams at full speed: the screen batches tokens, never blocks."""

import asyncio
import threading

from scripted_engine import ScriptedEngine
from textual.widgets import Input, RichLog
from tui_support import SIZE, wait_for

from kog.agent.ask import ModelCaller
from kog.agent.budget import Budget
from kog.agent.events import EventBus, StepStarted
from kog.agent.tui.app import KogApp
from kog.agent.tui.stream import TokenStream
from kog.engine.api import SamplingParams

LINES = 8_000


def test_keys_typed_during_a_stream_of_a_hundred_thousand_chunks_land_before_it_ends(example_repo):
    root = example_repo("pagination")
    reply = "```python\n" + "".join(f"total_{i} = add({i}, {i + 1})\n" for i in range(LINES)) + "```\n"
    engine = ScriptedEngine([reply], chunk_chars=2)  # one chunk (one token) per two characters
    chunks = -(-len(reply) // 2)
    assert chunks > 100_000
    app = KogApp(root, "scripted", load=lambda name, device, progress: engine)  # a `tui` session

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.model is not None, "the model")
            # The agent's own model caller, publishing on a bus the screen listens to, as a run does.
            bus = EventBus()
            bus.subscribe(app.inbox.put)
            bus.publish(StepStarted(step=1, kind="edit", attempt=1))
            caller = ModelCaller(engine, bus, Budget(max_tokens=10 * chunks))
            ended = threading.Event()

            def stream() -> None:
                caller.ask("write the totals", SamplingParams(max_tokens=10 * chunks), step=1)
                ended.set()

            # Each change of the task's text, with whether the stream had ended by then.
            typed: list[tuple[str, bool, int]] = []
            task = app.query_one("#task", Input)
            app.watch(
                task,
                "value",
                lambda value: typed.append((value, ended.is_set(), len(app.view.stream_text))),
                init=False,
            )
            thread = threading.Thread(target=stream)
            thread.start()
            try:
                await wait_for(pilot, lambda: app.view.stream_text, "the first tokens on screen")
                await pilot.press(*"test_add")
                await wait_for(pilot, ended.is_set, "the end of the stream")
            finally:
                thread.join()
            await pilot.pause(0.2)

            assert [value for value, _, _ in typed] == [
                "t",
                "te",
                "tes",
                "test",
                "test_",
                "test_a",
                "test_ad",
                "test_add",
            ]
            first_key, ended_by_then, shown_then = typed[0]
            assert not ended_by_then  # the key's effect came before the stream's end
            assert 0 < shown_then < len(reply)  # while the screen was showing the stream as it grew
            assert app.view.stream_text == reply and caller.tokens == chunks  # nothing lost or reordered
            log = app.query_one(TokenStream).query_one(RichLog)
            assert log.scroll_y == log.max_scroll_y > 0  # following the end
            # Too fast to read: some repaint skipped to the tail. (Which line the note is on depends on
            # how many lines the first repaint found: with 40 or fewer it shows the reply's start.)
            assert any("lines streamed past" in str(line.text) for line in log.lines)

    asyncio.run(scenario())
