"""Log filter that removes query strings: tokens and passwords travel in them (seeds 001, 002)."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^\s\"']*")


def strip_query(value: object) -> object:
    return _QUERY.sub("", value) if isinstance(value, str) else value


class StripQueryStringFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = strip_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(strip_query(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: strip_query(arg) for key, arg in record.args.items()}
        return True
