"""Passwords, tokens, ID-number encryption with a blind index, masking and validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from functools import lru_cache

import bcrypt
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def _prehash(password: str) -> bytes:
    """SHA-256 then base64, so passphrases of any length (CJK > 72 bytes) keep all their entropy."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, *, rounds: int = 12) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=rounds)).decode()


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    """A hash of nothing in particular, checked for unknown users so timing does not reveal them."""
    return bcrypt.hashpw(b"timing-equaliser", bcrypt.gensalt(rounds=rounds))


def verify_password(password: str, password_hash: str | None, *, rounds: int = 12) -> bool:
    """Check a password; with no hash, spend as long as a real check at `rounds` and return False."""
    if not password_hash:
        bcrypt.checkpw(_prehash(password), _dummy_hash(rounds))
        return False
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode())
    except ValueError:
        return False


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _derive(data_key: str, purpose: str) -> bytes:
    return hmac.new(data_key.encode(), purpose.encode(), hashlib.sha256).digest()


def _fernet(data_keys: list[str]) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(k, "id-encryption"))) for k in data_keys])


def encrypt_id(id_number: str, data_key: str) -> str:
    return _fernet([data_key]).encrypt(id_number.encode()).decode()


def decrypt_id(token: str, data_keys: list[str]) -> str:
    """Decrypt with the current key, or an old one during rotation."""
    try:
        return _fernet(data_keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("id number cannot be decrypted with the configured keys") from exc


def blind_index(value: str, data_key: str, purpose: str = "id") -> str:
    """A keyed hash for exact-match look-ups without storing the value."""
    return hmac.new(_derive(data_key, f"index-{purpose}"), value.encode(), hashlib.sha256).hexdigest()


def normalise_id(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def valid_id_number(value: str) -> bool:
    """GB 11643 checksum of an 18-digit resident ID number."""
    v = normalise_id(value)
    if not ID_RE.match(v):
        return False
    total = sum(int(d) * w for d, w in zip(v[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == v[17]


def normalise_phone(value: str) -> str:
    v = re.sub(r"[\s\-]", "", value.strip())
    return v[3:] if v.startswith("+86") else v


def valid_phone(value: str) -> bool:
    return bool(PHONE_RE.match(normalise_phone(value)))


def mask_id(value: str | None) -> str:
    if not value:
        return ""
    v = normalise_id(value)
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if len(v) > 8 else "*" * len(v)


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    v = normalise_phone(value)
    return v[:3] + "****" + v[-4:] if len(v) >= 8 else "*" * len(v)


def mask_name(name: str | None) -> str:
    """张三 → 张某; an organisation or Latin name keeps its first character."""
    if not name:
        return ""
    return name[0] + "某"
