"""What changed between two knowledge bases, for the /reload report; pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bot.core.models import KnowledgeBase, SourceKind


class Ref(NamedTuple):
    """A record named by its kind and id, e.g. ``paper 1910.13461``."""

    kind: SourceKind
    id: str

    def __str__(self) -> str:
        return self.kind if self.kind == "profile" else f"{self.kind} {self.id}"


@dataclass(frozen=True, slots=True)
class KnowledgeDiff:
    """Records added, removed and changed (same id, different content), each sorted."""

    added: tuple[Ref, ...]
    removed: tuple[Ref, ...]
    changed: tuple[Ref, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_knowledge(old: KnowledgeBase, new: KnowledgeBase) -> KnowledgeDiff:
    """Compare two knowledge bases record by record, keyed by id (the profile is one record)."""
    added: list[Ref] = []
    removed: list[Ref] = []
    changed: list[Ref] = []
    if old.profile != new.profile:
        changed.append(Ref("profile", "profile"))
    kinds: tuple[tuple[SourceKind, dict[str, object], dict[str, object]], ...] = (
        ("paper", {p.id: p for p in old.papers}, {p.id: p for p in new.papers}),
        ("post", {p.id: p for p in old.posts}, {p.id: p for p in new.posts}),
    )
    for kind, before, after in kinds:
        added.extend(Ref(kind, i) for i in sorted(after.keys() - before.keys()))
        removed.extend(Ref(kind, i) for i in sorted(before.keys() - after.keys()))
        changed.extend(
            Ref(kind, i) for i in sorted(before.keys() & after.keys()) if before[i] != after[i]
        )
    return KnowledgeDiff(added=tuple(added), removed=tuple(removed), changed=tuple(changed))
