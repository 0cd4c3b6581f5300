"""Credentials out of everything ossprov prints or stores: one function for URLs, one for any text.

Registry answers carry the user's own credentials back (a PyPI index `https://__token__:TOKEN@host/simple/`
whose relative file links resolve under the same user info; a packument whose tarball or repository URL embeds
`user:password@`; a signed download URL with a token in its query). Records are serialised in one place
(`ossprov.model.to_json`), which passes every string through `redact_text`, so JSON output, the results
database, `db export` and batch transport never hold them.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MASK = "***"
_URL = re.compile(r"""[a-z][a-z0-9+.-]*://[^\s<>"'`]+""", re.I)
_SECRET_KEY = re.compile(r"token|secret|passw|pwd|auth|key|sig|credential|session|code|x-amz-|x-goog-", re.I)
_SECRET_PARAM = re.compile(r"(?<=[?&;])([\w.-]*(?:token|secret|passw|auth|apikey|api_key|signature|credential)[\w.-]*)"
                           r"=[^&\s\"'#<>]+", re.I)
"""`?access_token=...` outside a URL (a file name cut from one): the value is masked wherever it appears."""
_TOKEN_LIKE = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_.~+/=-]{24,}$")
"""A value that reads like a token whatever its key is called (a bare `?t=ghp_...`)."""


def redact_url(url: str) -> str:
    """The URL with its user info masked (`***@`) and the values of its secret-looking query parameters too.

    The host, path and harmless parameters (a gitweb `?p=repo.git`) stay, so the record still says where."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # not parseable as a URL: mask whatever sits between `://` and `@`
        return re.sub(r"(://)[^/@\s]*@", rf"\1{MASK}@", url)
    netloc = parts.netloc
    if "@" in netloc:  # the mask stays, so a reader knows credentials were used
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    elif port is None and parts.hostname is None:
        return url
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if pairs:
            query = "&".join(
                f"{quote(k, safe='')}={MASK if _SECRET_KEY.search(k) or _TOKEN_LIKE.match(v) else quote(v, safe='/:.')}"
                for k, v in pairs)
        elif _TOKEN_LIKE.match(query):
            query = MASK
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """`text` with every URL in it passed through `redact_url`, and secret-looking `?key=value` parameters
    masked wherever they are; text with neither is returned as is."""
    if "://" in text:
        text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    if "=" in text:
        text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return text
