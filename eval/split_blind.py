"""Split the blind-written question collections once, at random, into dev and test.

Run once, before anyone ran the bot on them (2026-11-30):
    python eval/split_blind.py /work/blind
The writers' files (q/w1..w6.yaml, conv/a.yaml, conv/b.yaml) are merged in file order, then each
style is shuffled with a fixed seed and its first 40 % goes to test (rounded up), the rest to dev.
Conversations are shuffled whole and split in half. The seed is recorded here so that the split
can be checked, not so that it can be redrawn: the test parts are frozen.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import yaml

SEED = 20261130
TEST_SHARE = 0.4
HEADER = """\
# {what}: written blind by {writers} writers who saw only the sources (knowledge/*.yaml,
# ../shared/seeds, ../shared/data), never the code, the bot's answers or the other eval files.
# Split once at random by eval/split_blind.py (seed {seed}), stratified by style.
# {role}
# Fields: q, style, writer, gold (ids a correct answer cites first; [] = must decline),
# answer_has (optional: a short fact the answer text must contain; a list = any of them),
# compare (optional: a comparison; both sides are in gold and should be cited).
"""


def _dump(path: Path, header: str, items: list[dict]) -> None:
    body = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + "\n" + body, encoding="utf-8")


def main(blind: Path, out: Path) -> None:
    rng = random.Random(SEED)
    questions: list[dict] = []
    for path in sorted((blind / "q").glob("w*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            entry = {"q": item["q"], "style": item["style"], "writer": path.stem}
            entry["gold"] = list(item.get("gold") or [])
            if item.get("answer_has"):
                entry["answer_has"] = item["answer_has"]
            if item.get("compare"):
                entry["compare"] = True
            questions.append(entry)
    by_style: dict[str, list[dict]] = {}
    for entry in questions:
        by_style.setdefault(entry["style"], []).append(entry)
    dev: list[dict] = []
    test: list[dict] = []
    for style in sorted(by_style):
        group = by_style[style]
        rng.shuffle(group)
        cut = math.ceil(len(group) * TEST_SHARE)
        test += group[:cut]
        dev += group[cut:]
    writers = len({q["writer"] for q in questions})
    _dump(
        out / "dev.yaml",
        HEADER.format(what="Dev set", writers=writers, seed=SEED, role="Tune on this one."),
        dev,
    )
    _dump(
        out / "test.yaml",
        HEADER.format(
            what="Test set (frozen)",
            writers=writers,
            seed=SEED,
            role="Frozen: read its results once, at the end; never tune on it.",
        ),
        test,
    )
    conversations: list[dict] = []
    for path in sorted((blind / "conv").glob("*.yaml")):
        for conv in yaml.safe_load(path.read_text(encoding="utf-8")):
            turns = []
            for turn in conv["turns"]:
                t = {"q": turn["q"], "kind": turn["kind"], "gold": list(turn.get("gold") or [])}
                for key in ("resolved", "answer_has"):
                    if turn.get(key):
                        t[key] = turn[key]
                if turn.get("compare"):
                    t["compare"] = True
                turns.append(t)
            conversations.append({"id": conv["id"], "turns": turns})
    rng.shuffle(conversations)
    half = len(conversations) // 2
    for i, conv in enumerate(conversations):
        conv["split"] = "test" if i < half else "dev"
    conversations.sort(key=lambda c: c["id"])
    header = (
        "# Conversations of 2-3 turns, written blind by 2 writers who saw only the sources.\n"
        f"# Split once at random by eval/split_blind.py (seed {SEED}): `split: test` ones are\n"
        "# frozen (read once, at the end); tune on `split: dev`.\n"
        "# kind: first | follow-up (depends on the earlier turns) | switch (a new topic).\n"
        "# resolved: what the turn means read alone. gold: ids a correct answer cites first.\n"
    )
    body = yaml.safe_dump(
        [{"id": c["id"], "split": c["split"], "turns": c["turns"]} for c in conversations],
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    (out / "conversations.yaml").write_text(header + "\n" + body, encoding="utf-8")
    print(f"questions: {len(dev)} dev, {len(test)} test; conversations: {len(conversations)}")


def add_dev_batch(blind: Path, out: Path) -> None:
    """Append a later blind batch (q2/*.yaml, conv2/*.yaml) to the dev parts only.

    Run once (2026-11-30, after the first tuning round) to give the fitted models more data:
        python eval/split_blind.py /work/blind --dev-batch
    The test parts are untouched.
    """
    dev_path = out / "dev.yaml"
    header, _, _ = dev_path.read_text(encoding="utf-8").partition("\n- q:")
    dev = yaml.safe_load(dev_path.read_text(encoding="utf-8"))
    for path in sorted((blind / "q2").glob("w*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            entry = {"q": item["q"], "style": item["style"], "writer": path.stem}
            entry["gold"] = list(item.get("gold") or [])
            if item.get("answer_has"):
                entry["answer_has"] = item["answer_has"]
            if item.get("compare"):
                entry["compare"] = True
            dev.append(entry)
    header = header.rstrip("\n") + (
        "\n# A second blind batch (writers w7, w8; same rules) was added to dev only by\n"
        "# `python eval/split_blind.py BLIND --dev-batch`.\n"
    )
    _dump(dev_path, header, dev)
    conv_path = out / "conversations.yaml"
    text = conv_path.read_text(encoding="utf-8")
    conversations = yaml.safe_load(text)
    for path in sorted((blind / "conv2").glob("*.yaml")):
        for conv in yaml.safe_load(path.read_text(encoding="utf-8")):
            turns = []
            for turn in conv["turns"]:
                t = {"q": turn["q"], "kind": turn["kind"], "gold": list(turn.get("gold") or [])}
                for key in ("resolved", "answer_has"):
                    if turn.get(key):
                        t[key] = turn[key]
                if turn.get("compare"):
                    t["compare"] = True
                turns.append(t)
            conversations.append({"id": conv["id"], "split": "dev", "turns": turns})
    comments = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    comments += "# A second blind batch (c01-c45) was added to the dev split only.\n"
    body = yaml.safe_dump(conversations, sort_keys=False, allow_unicode=True, width=100)
    conv_path.write_text(comments + "\n" + body, encoding="utf-8")
    print(f"dev: {len(dev)} questions; conversations: {len(conversations)}")


if __name__ == "__main__":
    if "--dev-batch" in sys.argv[2:]:
        add_dev_batch(Path(sys.argv[1]), Path(__file__).resolve().parent)
    else:
        main(Path(sys.argv[1]), Path(__file__).resolve().parent)
