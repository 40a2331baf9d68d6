import pytest

from services.accounts import passwords
from services.accounts.passwords import check_password_policy, hash_password, needs_rehash, verify_password

STRONG = "violet tractor hums beside quiet harbour"


def test_hash_is_argon2id_and_verifies():
    h = hash_password(STRONG)
    assert h.startswith("$argon2id$")
    assert h != hash_password(STRONG)
    assert verify_password(h, STRONG)
    assert not verify_password(h, STRONG + "!")


def test_verify_with_garbage_hash_is_false():
    assert not verify_password("not-a-hash", STRONG)
    assert not verify_password("", STRONG)


def test_verify_dummy_is_false():
    assert passwords.verify_dummy(STRONG) is False


def test_needs_rehash():
    assert not needs_rehash(hash_password(STRONG))
    weak = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$MTIzNDU2Nzg5MDEyMzQ1Ng"
    assert needs_rehash(weak)
    assert needs_rehash("not-a-hash")


def test_new_hashes_use_the_configured_parameters_and_the_default_is_rfc_9106_low_memory(monkeypatch):
    monkeypatch.delenv("PASSWORD_HASH_PARAMETERS", raising=False)
    assert "$m=65536,t=3,p=4$" in hash_password(STRONG)
    monkeypatch.setenv("PASSWORD_HASH_PARAMETERS", "2,19456,1")
    cheaper = hash_password(STRONG)
    assert "$m=19456,t=2,p=1$" in cheaper and verify_password(cheaper, STRONG)
    assert not needs_rehash(cheaper)
    monkeypatch.setenv("PASSWORD_HASH_PARAMETERS", "3,65536,4")
    assert needs_rehash(cheaper) and verify_password(cheaper, STRONG)


def test_policy_accepts_strong_passphrase():
    assert check_password_policy(STRONG, user_inputs=["ana", "ana.lopez@plant.example"]) == []


def test_policy_rejects_common_password():
    problems = check_password_policy("password1234")
    assert len(problems) == 1
    assert "too easy to guess" in problems[0]


@pytest.mark.parametrize("password", ["", None, "Sh0rt!x", "a1b2c3d4e5f"])
def test_policy_rejects_short_or_missing(password):
    assert check_password_policy(password)


def test_policy_length_limits():
    assert check_password_policy("x" * 129) == ["Use at most 128 characters."]
    assert check_password_policy("Kx7#qP2!vL9@") == []
    long_ok = (STRONG + " ") * 3
    assert check_password_policy(long_ok[:128]) == []


def test_policy_uses_user_inputs():
    email = "ana.lopez@plant.example"
    assert check_password_policy(email) == []
    assert check_password_policy(email, user_inputs=["ana", email])
