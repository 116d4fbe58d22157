"""Path converters for the pages.

`text` is Django's `str` without the NUL character: a `%00` in an address would
otherwise reach a query, and PostgreSQL refuses NUL in any string it is given
(a server error where the address merely names nothing).
"""

from django.urls import register_converter


class TextConverter:
    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def register() -> None:
    register_converter(TextConverter, "text")
