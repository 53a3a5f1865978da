"""Toasts by topic: a newer toast on a topic (a setting, the speed, a chart option) replaces the
last, so a burst of key presses leaves one toast, not a stack.

Textual's public ``App.notify`` posts a message, so in a burst the previous toast is not yet in
the app's collection when the next key looks for it to replace; this does what ``notify``'s
handler does, at once. It is the one place that touches Textual's private notification API
(``App._notifications``, ``App._unnotify``, ``App._refresh_notifications``);
``tests/ui/test_toasts.py`` pins that behaviour, so an upgrade that changes it fails there.
"""

from __future__ import annotations

from textual.app import App
from textual.notifications import Notification


class Toasts:
    def __init__(self, app: App) -> None:
        self.app = app
        self._by_topic: dict[str, Notification] = {}

    def say(
        self,
        text: str,
        *,
        severity: str = "information",
        timeout: float = 2,
        topic: str | None = None,
    ) -> Notification:
        app = self.app
        old = self._by_topic.get(topic) if topic else None
        if old is not None and old in app._notifications:
            app._unnotify(old, refresh=False)
        notification = Notification(text, "", severity, timeout, markup=True)
        app._notifications.add(notification)
        app._refresh_notifications()
        if topic:
            self._by_topic[topic] = notification
        return notification

    def clear(self, topic: str) -> None:
        """Take the toast on ``topic`` away, if it is still shown."""
        old = self._by_topic.pop(topic, None)
        if old is not None and old in self.app._notifications:
            self.app._unnotify(old)

    def shown(self) -> list[Notification]:
        """The toasts on screen now."""
        return list(self.app._notifications)


def show_toasts(screen, shown: bool) -> None:
    """Show or hide ``screen``'s toasts (hidden ones wait, and time out as usual), by a class
    on their rack that the app's styles read. The rack itself stays as Textual keeps it,
    invisible, with only its toasts drawn: made visible, it blanked the whole width of the
    rows behind it."""
    from textual.widgets._toast import ToastRack

    for rack in screen.query(ToastRack):
        rack.set_class(not shown, "-toasts-hidden")
