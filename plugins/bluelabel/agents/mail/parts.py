"""A parsed message's tree of parts, walked without recursion where its depth is untrusted:
how deep it nests, whether one part holds another, and IMAP's number of a part."""

from __future__ import annotations

from email.message import Message


def deeper_than(message: Message, limit: int) -> bool:
    """Whether ``message``'s parts (attached messages included) nest more than ``limit``
    deep; iterative, so any depth is measured without recursion."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > limit:
            return True
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list):
            stack.extend((c, depth + 1) for c in children if isinstance(c, Message))
    return False


def contains(container: Message, target: Message) -> bool:
    if container is target:
        return True
    children = container.get_payload() if container.is_multipart() else None
    return isinstance(children, list) and any(
        isinstance(c, Message) and contains(c, target) for c in children
    )


def part_number(message: Message, target: Message, prefix: str = "") -> str:
    """IMAP's number of ``target`` within ``message`` ("1" for a single-part message)."""
    if message is target:
        return prefix or "1"
    children = message.get_payload() if message.is_multipart() else None
    for index, child in enumerate(children if isinstance(children, list) else [], 1):
        if isinstance(child, Message) and contains(child, target):
            return part_number(child, target, f"{prefix}.{index}" if prefix else str(index))
    return prefix or "1"
