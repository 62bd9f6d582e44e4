"""Host names as a browser and a resolver see them, so that every check compares like with like.

A URL's host can be spelled many ways that all reach the same place: `ex\u0430mple.com` (with a
Cyrillic a) is `xn--exmple-4nf.com` on the wire, and `127.1`, `0x7f.0.0.1`, `2130706433` and
`[::ffff:127.0.0.1]` are all 127.0.0.1 (browsers parse IPv4 hosts like `inet_aton`, WHATWG URL
standard, "IPv4 parser"). Links and webhooks both normalise hosts here before they validate or
store them:

- a non-ASCII host (or an `xn--` label) goes through IDNA 2008 with the UTS 46 mapping (the
  maintained `idna` package); a host IDNA refuses is refused;
- a label that mixes scripts is refused unless the mix is one Unicode's "Highly Restrictive"
  profile allows (UTS 39 section 5.2: Latin with Han and Hiragana/Katakana, Bopomofo or Hangul),
  so `xn--exmple-4nf.com` (Latin and Cyrillic) is an error, never a silent redirect to a look-alike;
  a host wholly in another script (`пример.рф`) is accepted, stored as punycode;
- the rest of a URL keeps its ASCII as given and has its non-ASCII characters percent-encoded
  as UTF-8 (RFC 3986 section 2.1), so that a `Location` built from it is always ASCII.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, quote, urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Scripts a single label may combine (UTS 39, "Highly Restrictive"); any one script alone is fine.
_ALLOWED_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SCRIPT_NEUTRAL = frozenset({"COMMON", "INHERITED"})  # digits, hyphens, combining marks
# Every printable ASCII character stays as it is (existing %XX escapes included).
_ASCII_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))
# What the WHATWG IPv4 parser takes for a number: decimal, 0x hex or 0 octal parts.
_IPV4_NUMBERS = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?")


class InvalidHost(ValueError):
    """The host cannot be used; the message says why and fits a problem's detail."""


def _ip_literal(host: str) -> IPAddress | None:
    """The address a host spells, in any form a browser accepts (`127.1`, `[::1]` ...)."""
    name = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if not _IPV4_NUMBERS.fullmatch(name):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name.rstrip(".")))
    except OSError:
        return None


def _scripts(label: str) -> frozenset[str]:
    # Imported here: its Unicode tables cost tens of milliseconds, only IDN hosts need them.
    from confusable_homoglyphs import categories

    return frozenset(categories.unique_aliases(label)) - _SCRIPT_NEUTRAL


def _refuse_mixed_scripts(host: str) -> None:
    for label in host.split("."):
        scripts = _scripts(label)
        if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_SCRIPT_MIXES):
            names = " and ".join(sorted(name.title() for name in scripts))
            raise InvalidHost(
                f"host label {label!r} mixes {names} letters, as look-alike hosts do; "
                "use a host written in one script"
            )


def ascii_host(host: str) -> str:
    """The host as it goes on the wire: IP literals and plain ASCII names as they are, names
    with non-ASCII or punycode labels in their IDNA 2008 ASCII form (InvalidHost if refused)."""
    if _ip_literal(host) is not None:
        return host
    labels = host.split(".")
    if host.isascii() and not any(label.lower().startswith("xn--") for label in labels):
        return host
    unicode_host = host
    try:
        if not host.isascii():
            unicode_host = idna.decode(idna.encode(host, uts46=True))
        ascii_form = idna.encode(unicode_host, uts46=True).decode("ascii")
        unicode_host = idna.decode(ascii_form)
    except (idna.IDNAError, UnicodeError) as error:
        raise InvalidHost(f"host is not a valid internationalized domain name ({error})") from None
    _refuse_mixed_scripts(unicode_host)
    return ascii_form


def _ascii_text(text: str) -> str:
    return quote(text, safe=_ASCII_SAFE)


def ascii_url(url: str) -> str:
    """The URL with its host in ASCII form and every other non-ASCII character percent-encoded;
    an ASCII URL comes back unchanged. InvalidHost if the host is refused."""
    parts = urlsplit(url)
    if url.isascii():
        ascii_host(parts.hostname or "")  # a punycode label must still be valid IDNA
        return url
    return SplitResult(
        parts.scheme,
        _ascii_netloc(parts),
        _ascii_text(parts.path),
        _ascii_text(parts.query),
        _ascii_text(parts.fragment),
    ).geturl()


def _ascii_netloc(parts: SplitResult) -> str:
    userinfo, at, host_and_port = parts.netloc.rpartition("@")
    if host_and_port.startswith("["):  # an IPv6 literal is ASCII or invalid anyway
        host = host_and_port[: host_and_port.find("]") + 1]
    else:
        host = ascii_host(host_and_port.partition(":")[0])
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{_ascii_text(userinfo)}{at}{host}{port}"


def canonical_host(host: str) -> str:
    """One spelling per place: lower case, no trailing dot, IP addresses in standard form."""
    address = _ip_literal(host)
    if address is not None:
        return str(address)
    return ascii_host(host).rstrip(".").lower()


def is_loopback(host: str) -> bool:
    """Whether the host is this machine: localhost names (RFC 6761), 127.0.0.0/8, ::1, the
    unspecified addresses (0.0.0.0 and :: connect to loopback) and IPv4-mapped forms of them."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip_literal(name)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and (address.is_loopback or address.is_unspecified)
