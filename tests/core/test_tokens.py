from __future__ import annotations

import random
import string

from hypothesis import given
from hypothesis import strategies as st

from pagetoken.core import tokens


def test_format_prefix_length_and_entropy() -> None:
    t = tokens.new_token()
    assert t.startswith("EAA") and len(t) == tokens.TOKEN_LEN
    assert tokens.BODY_LEN * 5.954 >= 256  # log2(62) bits per character
    assert tokens.is_well_formed(t)
    assert len({tokens.new_token() for _ in range(2000)}) == 2000


def test_checksum_catches_every_single_character_change() -> None:
    t = tokens.new_token()
    for i in range(3, len(t)):
        for c in "0aZ":
            if t[i] != c:
                assert not tokens.is_well_formed(t[:i] + c + t[i + 1:])


def test_no_false_positives_on_random_text() -> None:
    rnd = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    width = tokens.BODY_LEN + tokens.CHECK_LEN
    hits = sum(tokens.is_well_formed("EAA" + "".join(rnd.choice(alphabet) for _ in range(width)))
               for _ in range(20000))
    assert hits == 0


def test_find_tokens_in_text_and_not_inside_words() -> None:
    t = tokens.new_token()
    text = f"GET /me?access_token={t}&x=1 and again '{t}'"
    assert [f[2] for f in tokens.find_tokens(text)] == [t, t]
    assert tokens.find_tokens("x" + t) == []
    assert tokens.find_tokens(t + "x") == []


@given(st.text())
def test_find_tokens_never_raises_on_any_text(text: str) -> None:
    assert all(tokens.is_well_formed(tok) for _start, _end, tok in tokens.find_tokens(text))


@given(st.lists(st.one_of(st.text(), st.builds(tokens.new_token)), min_size=1))
def test_find_tokens_finds_every_token_among_any_text(pieces: list[str]) -> None:
    """Real tokens between arbitrary text (space-separated): every one is found, at its place."""
    text = " ".join(pieces)
    found = tokens.find_tokens(text)
    planted = [p for p in pieces if tokens.is_well_formed(p) and p.startswith("EAA")]
    assert all(text[start:end] == tok and tokens.is_well_formed(tok) for start, end, tok in found)
    assert [tok for _s, _e, tok in found if tok in planted] == planted


def test_keyed_hash_depends_on_key_and_token() -> None:
    t = tokens.new_token()
    h1 = tokens.token_hash(t, b"k" * 32)
    assert h1 == tokens.token_hash(t, b"k" * 32)
    assert h1 != tokens.token_hash(t, b"j" * 32)
    assert t not in h1 and len(h1) == 64


def test_fingerprint_hides_the_token() -> None:
    t = tokens.new_token()
    fp = tokens.fingerprint(t)
    assert fp.startswith("EAA") and fp.endswith(t[-4:]) and len(fp) < 16


def test_app_secret_shape() -> None:
    s = tokens.new_app_secret()
    assert len(s) == 32 and all(c in "0123456789abcdef" for c in s)


def test_app_token_is_appid_bar_an_opaque_checksummed_part_found_by_scan_and_redaction() -> None:
    from pagetoken.core.redact import redact

    key, secret = b"k" * 32, "0123456789abcdef0123456789abcdef"
    tok = tokens.app_token("1234567890", secret, key)
    assert tok == tokens.app_token("1234567890", secret, key)  # stateless: same inputs, same token
    assert tok != tokens.app_token("1234567890", "f" * 32, key)  # a new secret, a new token
    app_id, _, opaque = tok.partition("|")
    assert app_id == "1234567890" and opaque.startswith("EAA") and len(opaque) == tokens.TOKEN_LEN
    assert secret not in tok and tokens.is_well_formed(tok) and tokens.is_well_formed(opaque)
    assert not tokens.is_well_formed(tok[:-1] + ("a" if tok[-1] != "a" else "b"))
    line = f"the token {tok} leaked"
    assert [found for _, _, found in tokens.find_tokens(line)] == [tok]
    assert opaque not in redact(line) and "1234567890|" in redact(line)
