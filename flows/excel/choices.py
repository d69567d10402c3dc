"""Choice columns: what a person may type for a choice (its Chinese label, short label, English label or value)."""

from django.utils import translation

from flows.excel import reading


def _variants(value, label) -> set:
    out = {reading.label(value)}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            text = str(label)
        out.add(reading.label(text))
        out.add(reading.label(text.split("（")[0].split("(")[0]))  # 书记（第一责任人） → 书记
    return {v for v in out if v}


def lookup(choices) -> dict:
    """{normalised typed text: stored value} for a TextChoices class."""
    table = {}
    for value, label in choices.choices:
        for v in _variants(value, label):
            table.setdefault(v, value)
    return table


def zh_label(choices, value) -> str:
    if not value:
        return ""
    with translation.override("zh-hans"):
        return str(choices(value).label)


def zh_labels(choices) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for _v, label in choices.choices]
