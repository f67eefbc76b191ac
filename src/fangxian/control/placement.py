"""Where a measure is carried out when it is not at home. Control knows places only through this hook: the
sites app, which stands on control (a stay belongs to a measure), plugs its quarantine sites in when it loads,
so control imports nothing of it and the two apps do not form a cycle."""

from typing import Protocol


class Places(Protocol):
    def open_to(self, user, capability: str):
        """The active places (sites) `user` sees through `capability`, by name: a queryset whose rows have
        `uuid`, `name` and `rooms` (each with a `floor`)."""

    def place(self, *, actor, key: str, measure) -> str:
        """Move `measure`'s person into the place `key` (集中隔离); the place and room as text. Raises
        ValidationError or PermissionDenied, or Http404 for a place the actor may not use."""

    def send(self, *, actor, key: str, measure) -> str:
        """Arrange the person's transfer to the place `key` (转运安排): its staff see them coming and check
        them in. The place's name; raises as place()."""

    def cancel_send(self, *, actor, measure) -> str:
        """Take back the person's pending transfer; the place's name."""

    def pending(self, measure) -> str | None:
        """The place the person has been sent to and has not reached yet, by name."""

    def cancellable(self, actor, measure) -> bool:
        """Whether `actor` may take back the person's pending transfer (the sender's side, never the place)."""

    def neighbours(self, measure) -> list:
        """The open stays on the person's floor and the floors above and below, in the same place (not the
        person's own): objects with `person`, `person_id`, `measure` (or None) and `room`."""


class _Nowhere:
    """Before (or without) the sites app: home isolation only."""

    def open_to(self, user, capability):
        return []

    def place(self, *, actor, key, measure):
        from django.core.exceptions import ValidationError

        raise ValidationError("未启用集中隔离点")

    def send(self, *, actor, key, measure):
        return self.place(actor=actor, key=key, measure=measure)

    def cancel_send(self, *, actor, measure):
        return self.place(actor=actor, key="", measure=measure)

    def pending(self, measure):
        return None

    def cancellable(self, actor, measure):
        return False

    def neighbours(self, measure):
        return []


_places: Places = _Nowhere()


def provide(places: Places) -> None:
    global _places
    _places = places


def places() -> Places:
    return _places
