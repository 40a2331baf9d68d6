"""Password hashing (argon2id) and the password policy."""
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from services.common import config

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3

_dummy_hash = None


def _hasher():
    """The hasher of PASSWORD_HASH_PARAMETERS, read when used, so a process started with other
    parameters hashes with those."""
    time_cost, memory_kib, parallelism = (int(part) for part in config.get("PASSWORD_HASH_PARAMETERS").split(","))
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hash_password(password):
    return _hasher().hash(password)


def verify_password(password_hash, password):
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_dummy(password):
    """Spend the time of one verification and return False, for logins of unknown users."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("not a real password, only for timing")
    verify_password(_dummy_hash, password)
    return False


def needs_rehash(password_hash):
    """True when the hash was made with other parameters than today's (rehash at next login)."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _dictionary_words(user_inputs):
    """The inputs plus their parts: "ana.lopez@plant.example" also yields "ana", "lopez", "plant"."""
    words = []
    for value in user_inputs:
        if value:
            value = str(value).lower()
            words.append(value)
            words.extend(part for part in re.split(r"[^a-z0-9]+", value) if len(part) >= 3)
    return words


def check_password_policy(password, user_inputs=()):
    """-> a list of problems with ``password`` in plain English, empty when it is acceptable.

    ``user_inputs`` (username, e-mail, name) count as easy to guess.
    """
    if not isinstance(password, str) or not password:
        return ["Enter a password."]
    if len(password) < MIN_LENGTH:
        return ["Use at least %d characters." % MIN_LENGTH]
    if len(password) > MAX_LENGTH:
        return ["Use at most %d characters." % MAX_LENGTH]
    result = zxcvbn(password, user_inputs=_dictionary_words(user_inputs), max_length=MAX_LENGTH)
    if result["score"] >= MIN_SCORE:
        return []
    feedback = result["feedback"]
    hint = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
    return [("This password is too easy to guess. " + hint).strip()]
