"""Answer sets for the default instrument, built from its spec."""

from __future__ import annotations


def answers(spec, level: str = "low", **chosen) -> dict[str, str]:
    """Answers to every item: "low" picks each item's lowest score, "high" its highest
    non-emergency score; ``chosen`` overrides single items."""
    picked = {}
    for key, item in spec.items.items():
        options = [(score, value) for value, (_l, score, emergency) in item.options.items()]
        safe = [(score, value) for value, (_l, score, e) in item.options.items() if not e]
        if level == "low":
            picked[key] = min(options)[1]
        else:
            picked[key] = max(safe)[1]
    picked.update(chosen)
    return picked


def answers_scoring(spec, target: int) -> dict[str, str]:
    """Low answers raised item by item (non-emergency) until the unweighted total reaches
    ``target`` exactly (the default instrument's weights are all 1)."""
    picked = answers(spec, "low")
    total = 0
    for key, item in spec.items.items():
        if total >= target:
            break
        best = None
        for value, (_label, score, emergency) in sorted(
            item.options.items(), key=lambda o: o[1][1]
        ):
            if not emergency and score <= target - total:
                best = (value, score)
        if best:
            picked[key] = best[0]
            total += best[1]
    assert total == target
    return picked
