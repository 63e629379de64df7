"""What a sync does, decided from two listings (and, for a CopiedPrefix, the record of what it wrote): pure
functions, no I/O. The command and the resource share one rule for "already in step" (batch.in_sync: same ETag, or
same MD5 where both stores give one, or same size and a copy newer than its source when neither can tell).

A command keeps no state, so it trusts the listings alone: it copies what is not in sync, and its prune deletes
every destination key with no source key (as `aws s3 sync --delete`). The resource knows what it wrote (record.py):
it copies again only what changed at the source since it copied it, or what was edited or deleted at the
destination; it adopts an object already holding the source's content instead of copying it; it prunes, and later
destroys, only keys it wrote whose destination still holds what it wrote.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..batch import in_sync
from ..urls import ObjectURL
from .listing import Entry, url_of
from .record import Record, Written

# Why a key is copied
NEW, CHANGED, RESTORE, REPLACE, OPTIONS = "new", "changed", "restore", "replace", "options"


@dataclass
class Plan:
    copy: list[tuple[str, str]] = field(default_factory=list)   # (relative key, why)
    adopt: list[str] = field(default_factory=list)              # holds the source's content: recorded, not copied
    unchanged: int = 0
    prune: list[str] = field(default_factory=list)              # deleted at the destination
    left: list[str] = field(default_factory=list)               # gone from the source, changed by someone: left
    kept: list[str] = field(default_factory=list)               # gone from the source, kept (prune is off)
    forgotten: list[str] = field(default_factory=list)          # gone from both sides: dropped from the record

    @property
    def copy_keys(self) -> list[str]:
        return [rel for rel, _ in self.copy]

    def bytes_to_copy(self, source: Mapping[str, Entry]) -> int:
        return sum(source[rel].size for rel, _ in self.copy)


class _Pair:
    """Listing entries as ObjectInfo, made only when batch.in_sync has to judge a pair."""

    def __init__(self, src_root: ObjectURL, dst_root: ObjectURL):
        self.src_root, self.dst_root = src_root, dst_root

    def in_sync(self, rel: str, src: Entry, dst: Entry) -> bool:
        return in_sync(src.info(url_of(self.src_root, rel)), dst.info(url_of(self.dst_root, rel)))


def plan_stateless(source: Mapping[str, Entry], dest: Mapping[str, Entry], src_root: ObjectURL,
                   dst_root: ObjectURL, *, prune: bool) -> Plan:
    """`objectcopy sync`: both listings, no record. Listings are already filtered, so an excluded destination key
    is never pruned."""
    pair, plan = _Pair(src_root, dst_root), Plan()
    for rel, src in source.items():
        dst = dest.get(rel)
        if dst is None:
            plan.copy.append((rel, NEW))
        elif pair.in_sync(rel, src, dst):
            plan.unchanged += 1
        else:
            plan.copy.append((rel, CHANGED))
    if prune:
        plan.prune = [rel for rel in dest if rel not in source]
    return plan


def plan_resource(source: Mapping[str, Entry], dest: Mapping[str, Entry], record: Mapping[str, Written],
                  src_root: ObjectURL, dst_root: ObjectURL, *, prune: bool, copy_all: bool = False) -> Plan:
    """A CopiedPrefix's update. `copy_all`: the copy options changed, so every object is written again (the
    listing cannot show metadata or tags, so content alone proves nothing)."""
    pair, plan = _Pair(src_root, dst_root), Plan()
    for rel, src in source.items():
        dst, mine = dest.get(rel), record.get(rel)
        if dst is None:
            plan.copy.append((rel, NEW if mine is None else RESTORE))
        elif mine is not None and mine.holds(dst.etag):
            if copy_all:
                plan.copy.append((rel, OPTIONS))
            elif mine.copied(src.etag):
                plan.unchanged += 1
            else:
                plan.copy.append((rel, CHANGED))
        elif not copy_all and pair.in_sync(rel, src, dst):
            plan.adopt.append(rel)  # not ours yet (or rewritten with the same content): ours from now on
        else:
            plan.copy.append((rel, REPLACE if mine is None else RESTORE))
    for rel, mine in record.items():
        if rel in source:
            continue
        dst = dest.get(rel)
        if dst is None:
            plan.forgotten.append(rel)
        elif not mine.holds(dst.etag):
            plan.left.append(rel)
        elif prune:
            plan.prune.append(rel)
        else:
            plan.kept.append(rel)
    return plan


def next_record(record: Mapping[str, Written], plan: Plan, source: Mapping[str, Entry],
                dest: Mapping[str, Entry], written: Mapping[str, tuple[str | None, str | None]],
                pruned: set[str]) -> Record:
    """The record after a plan was carried out: `written` maps each key copied to (ETag written, source ETag),
    `pruned` the keys deleted. A copy or delete that failed leaves the key as it was recorded."""
    out: Record = dict(record)
    for rel in plan.adopt:
        out[rel] = Written.of(dest[rel].etag, source[rel].etag)
    for rel, (etag, source_etag) in written.items():
        out[rel] = Written.of(etag, source_etag)
    for rel in list(pruned) + plan.left + plan.forgotten:
        out.pop(rel, None)
    return out


@dataclass(frozen=True)
class Pending:
    """What an update will do as far as the source listing and the record tell (the destination is listed only by
    the update itself): keys changed at the source, new, and gone from it."""

    changed: list[str]
    new: list[str]
    gone: list[str]

    def __bool__(self) -> bool:
        return bool(self.changed or self.new or self.gone)

    def describe(self, *, prune: bool, first: int = 5) -> str:
        parts = [f"{len(keys):,} {what}" for keys, what in ((self.changed, "changed"), (self.new, "new"),
                                                            (self.gone, "gone from the source")) if keys]
        if not parts:
            return "nothing changed at the source"
        keys = (self.changed + self.new + self.gone)[:first]
        more = len(self.changed) + len(self.new) + len(self.gone) - len(keys)
        text = ", ".join(parts) + ": " + ", ".join(keys) + (f", ... ({more:,} more)" if more else "")
        if self.gone:
            text += "; gone objects are " + ("deleted (prune)" if prune else "kept (prune is off)")
        return text


def pending(source: Mapping[str, Entry], record: Mapping[str, Written]) -> Pending:
    changed, new = [], []
    for rel in sorted(source):
        mine = record.get(rel)
        if mine is None:
            new.append(rel)
        elif not mine.copied(source[rel].etag):
            changed.append(rel)
    gone = sorted(rel for rel in record if rel not in source)
    return Pending(changed, new, gone)
