"""The one module that touches Textual's private notification API (tui_taxi.ui.toasts): what it
relies on, pinned here, so a Textual upgrade that changes it fails in this one place."""

from __future__ import annotations

from textual.app import App

from tui_taxi.ui.toasts import Toasts


class Plain(App[None]):
    pass


async def test_a_burst_on_one_topic_leaves_one_toast_and_topics_do_not_mix():
    app = Plain()
    async with app.run_test() as pilot:
        toasts = Toasts(app)
        for value in range(10):  # ten key presses before any message is handled
            toasts.say(f"epsilon = {value}", topic="epsilon")
        toasts.say("speed: turbo", topic="speed")
        toasts.say("saved to run.npz")  # no topic: never replaced
        toasts.say("saved to run.npz")
        await pilot.pause()
        shown = [n.message for n in toasts.shown()]
        assert shown == ["epsilon = 9", "speed: turbo", "saved to run.npz", "saved to run.npz"]
        # what the module relies on: the app's collection is what the toast rack shows
        assert [n.message for n in app._notifications] == shown


async def test_a_toast_expires_as_textuals_own_do():
    app = Plain()
    async with app.run_test() as pilot:
        note = Toasts(app).say("brief", timeout=0.01, topic="t")
        await pilot.pause(0.1)
        assert note.has_expired and note not in list(app._notifications)  # reaped


async def test_a_topic_can_be_cleared():
    app = Plain()
    async with app.run_test() as pilot:
        toasts = Toasts(app)
        toasts.say("slipped: moved Down", topic="surprise")
        toasts.say("speed: turbo", topic="speed")
        toasts.clear("surprise")
        toasts.clear("nothing said")
        await pilot.pause()
        assert [n.message for n in toasts.shown()] == ["speed: turbo"]
