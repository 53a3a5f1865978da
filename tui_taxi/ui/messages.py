"""What the app hears from the trainer's thread: past-tense facts."""

from __future__ import annotations

from textual.message import Message

from tui_taxi.protocol import Event, Snapshot


class SnapshotReady(Message):
    """A new snapshot; a newer one waiting in the queue replaces it (stale frames are dropped)."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class TrainerEvent(Message):
    """Saved, loaded, a bad value, or training failed: shown as a notification."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
