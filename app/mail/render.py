"""Email templates (app/mail/templates/): `<name>.txt` (first line `Subject: ...`, then a
blank line, then the plain-text body) and `<name>.html`, both `string.Template` text with
`$placeholders`."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template

import msgspec

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class Rendered(msgspec.Struct, frozen=True):
    subject: str
    text: str
    html: str


class UnknownTemplate(LookupError):
    pass


@cache
def _load(name: str) -> tuple[Template, Template, Template]:
    if not name.isidentifier():
        raise UnknownTemplate(name)
    text_file, html_file = TEMPLATES_DIR / f"{name}.txt", TEMPLATES_DIR / f"{name}.html"
    if not text_file.is_file() or not html_file.is_file():
        raise UnknownTemplate(name)
    first, _, body = text_file.read_text(encoding="utf-8").partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"mail template {name}.txt must open with a 'Subject: ' line")
    return (
        Template(first.removeprefix("Subject: ").strip()),
        Template(body.lstrip("\n")),
        Template(html_file.read_text(encoding="utf-8")),
    )


def render(name: str, values: dict[str, str]) -> Rendered:
    """The message `name` with `values`; KeyError names a placeholder without a value."""
    subject, text, markup = _load(name)
    escaped = {key: html.escape(value) for key, value in values.items()}
    return Rendered(
        subject=" ".join(subject.substitute(values).split()),  # no header injection
        text=text.substitute(values),
        html=markup.substitute(escaped),
    )
