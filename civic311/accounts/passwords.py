"""Password hashing (argon2id) and TOTP second factors."""

from __future__ import annotations

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str, issuer: str = "civic311") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def totp_step_if_valid(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step the code belongs to, if it is valid and newer than the last one used."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(__import__("datetime").datetime.now())
    for step in (now_step - 1, now_step, now_step + 1):  # one step of clock drift either way
        if totp.generate_otp(step) == code and (last_step is None or step > last_step):
            return step
    return None
