from __future__ import annotations

import pytest

from pagetoken.core import proof
from pagetoken.core.keyring import KeyError_, KeyRing, WrongKey, decode_key, encode_key, new_key


def test_keyring_seals_with_first_and_opens_with_any() -> None:
    old, new = new_key(), new_key()
    sealed_old = KeyRing([old]).seal(b"secret", b"row:1")
    ring = KeyRing([new, old])
    assert ring.open(sealed_old, b"row:1") == b"secret"
    sealed_new = ring.seal(b"secret", b"row:1")
    assert ring.sealed_with_primary(sealed_new) and not ring.sealed_with_primary(sealed_old)
    assert b"secret" not in sealed_new


def test_keyring_binds_values_to_their_row_and_refuses_wrong_keys() -> None:
    ring = KeyRing([new_key()])
    sealed = ring.seal(b"secret", b"row:1")
    with pytest.raises(WrongKey):
        ring.open(sealed, b"row:2")
    with pytest.raises(WrongKey):
        KeyRing([new_key()]).open(sealed, b"row:1")
    with pytest.raises(WrongKey):
        ring.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), b"row:1")
    with pytest.raises(WrongKey):
        ring.open(b"junk", b"row:1")


def test_key_encoding() -> None:
    k = new_key()
    assert decode_key(encode_key(k)) == k
    with pytest.raises(KeyError_):
        decode_key("c2hvcnQ")
    with pytest.raises(KeyError_):
        KeyRing([])


def test_appsecret_proof_matches_the_graph_definition() -> None:
    # HMAC-SHA256 of the token keyed by the secret, hex (checked against an independent computation).
    import hashlib
    import hmac

    assert proof.appsecret_proof("tok", "sec") == hmac.new(b"sec", b"tok", hashlib.sha256).hexdigest()
    assert proof.proof_matches("tok", "sec", proof.appsecret_proof("tok", "sec").upper())
    assert not proof.proof_matches("tok", "sec", "00" * 32)


def test_signed_request_round_trip_and_tamper() -> None:
    sr = proof.make_signed_request({"user_id": "1", "issued_at": 5}, "s3cret")
    payload = proof.parse_signed_request(sr, "s3cret")
    assert payload == {"algorithm": "HMAC-SHA256", "issued_at": 5, "user_id": "1"}
    assert proof.parse_signed_request(sr, "other") is None
    sig, body = sr.split(".")
    assert proof.parse_signed_request(sig + "." + body[:-2] + "xx", "s3cret") is None
    assert proof.parse_signed_request("garbage", "s3cret") is None
