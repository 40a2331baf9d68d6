"""Every text the API can answer as an error message or a per-field message is in the message
catalogues (``services/common/locale/<ll_CC>/LC_MESSAGES/messages.po``), in both languages.

The inventory of those texts: the messages of the source (``tests.support.message_walk``; what
the walk cannot follow is checked by hand, ``BY_HAND``), the default messages of the domain
errors, marshmallow's, webargs' and werkzeug's own messages, and zxcvbn's password hints.
"""
import ast
import inspect
import itertools
import re
from unittest import mock

import marshmallow
import pytest
import webargs.core
import webargs.fields
import webargs.flaskparser
import werkzeug.exceptions
from babel.messages.pofile import read_po
from marshmallow import validate
from zxcvbn import feedback as zxcvbn_feedback

from deploy.processes import SERVICES
from services.accounts import passwords, sessions
from services.common import errors, messages
from services.customers import access, import_convert, import_parts, import_people, import_rows
from tests.support.message_walk import ROOT, Walk

LANGUAGES = ("en", "zh_CN")

# What the walk cannot follow, each checked by hand: where its texts come from.
BY_HAND = {
    ("gateway/errors.py", "exc.message"): "a domain error's message: the walk's texts, or a class default",
    ("gateway/errors.py", "exc.fields"): "a domain error's fields: the walk's texts",
    ("gateway/errors.py", "exc.description"): "werkzeug's descriptions (werkzeug_texts) and UnsupportedMediaType's",
    ("gateway/routes/surveys.py", "exc.message"): "a domain error's message: the walk's texts",
    ("gateway/routes/surveys.py", "s.SurveyAnswerSchema().validate(body)"): "marshmallow's messages",
    ("services/common/schemas.py", "exc.messages"): "marshmallow's messages and the schemas' ValidationErrors",
    ("services/common/schemas.py", "messages"): "marshmallow's messages and the schemas' ValidationErrors",
    ("services/accounts/passwords.py", "('This password is too easy to guess. ' + hint).strip()"):
        "zxcvbn's warnings and suggestions (password_texts)",
    ("services/customers/import_jobs.py", "exc"): "a FileError's text: the walk's texts",
    ("services/customers/tabular.py", "exc"): "a WorkbookError's text: the walk's texts",
    ("services/notifications/egress.py", "refused"): "a Refused's text: the walk's texts",
}


# The libraries' own messages

def marshmallow_texts():
    """The default messages of every field (marshmallow's and webargs') and schema, as they read
    when a field fails to load (``format`` is a message of dumping only)."""
    classes = [cls for module in (marshmallow.fields, webargs.fields) for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, marshmallow.fields.Field)
               and not cls.__name__.startswith("_")]
    texts = set(marshmallow.Schema._default_error_messages.values())
    for cls in classes:
        defaults = {}
        for klass in reversed(cls.__mro__):
            defaults.update(getattr(klass, "default_error_messages", {}))
        for key, template in defaults.items():
            if key != "format" and (key != "invalid_awareness" or hasattr(cls, "AWARENESS")):
                texts.add(template.format(obj_type=getattr(cls, "OBJ_TYPE", "datetime"), choices="a, b",
                                          awareness=getattr(cls, "AWARENESS", "aware")))
    return texts


def validator_texts():
    """The messages of marshmallow's validators, made by letting each fail."""
    failing = [(validate.Length(min=2), "a"), (validate.Length(max=2), "abc"), (validate.Length(min=1, max=2), ""),
               (validate.Length(equal=2), "a"), (validate.Equal(1), 2), (validate.Regexp("a"), "b"),
               (validate.Email(), "x"), (validate.URL(), "x"), (validate.OneOf(["a", "b"]), "c"),
               (validate.ContainsOnly(["a"]), ["b"]), (validate.ContainsNoneOf(["a"]), ["a"]),
               (validate.NoneOf(["a"]), "a"), (validate.Predicate("isdigit"), "x"), (validate.And(lambda v: False), 1)]
    for low, high in itertools.product((True, False), repeat=2):
        failing += [(validate.Range(min=1, min_inclusive=low), 0), (validate.Range(max=1, max_inclusive=high), 2),
                    (validate.Range(min=1, max=2, min_inclusive=low, max_inclusive=high), 5)]
    texts = set()
    for validator, value in failing:
        try:
            validator(value)
        except marshmallow.ValidationError as refused:
            texts.update(refused.messages)
    assert len(texts) >= 20
    return texts


def webargs_texts():
    assert "Invalid JSON body." in inspect.getsource(webargs.flaskparser)
    return {"Invalid JSON body.", webargs.core.Parser.DEFAULT_VALIDATION_MESSAGE}


def werkzeug_texts():
    """The descriptions of the HTTP errors werkzeug and Flask raise before a view runs (unknown route,
    wrong method, too large a body, a body of another type, a malformed one)."""
    return {werkzeug.exceptions.default_exceptions[status].description for status in (400, 404, 405, 413, 415)}


def password_texts():
    """``passwords.check_password_policy``'s refusal of a guessable password with each hint zxcvbn can
    give: a warning, else its suggestions (the default pair, "add a word", or that with the dictionary's)."""
    matches = [{"pattern": "spatial", "turns": turns} for turns in (1, 2)]
    matches += [{"pattern": "repeat", "base_token": base} for base in ("a", "ab")]
    matches += [{"pattern": "sequence"}, {"pattern": "date"}]
    matches += [{"pattern": "regex", "regex_name": name} for name in ("recent_year", "other")]
    for name, rank, guesses, token, backwards, l33t in itertools.product(
            ("passwords", "english_wikipedia", "surnames", "us_tv_and_film"), (5, 50, 500), (3, 5),
            ("word", "Word", "WORD"), (False, True), (False, True)):
        matches.append({"pattern": "dictionary", "dictionary_name": name, "rank": rank, "guesses_log10": guesses,
                        "token": token, "reversed": backwards, "l33t": l33t})
    feedbacks = [zxcvbn_feedback.get_feedback(0, [])]
    for match in matches:
        match.setdefault("token", "longer")
        for sequence in ([match], [match, {"pattern": "bruteforce", "token": "x"}]):
            feedbacks.append(zxcvbn_feedback.get_feedback(1, [dict(item) for item in sequence]))
    texts = set()
    for answer in feedbacks:
        with mock.patch.object(passwords, "zxcvbn", lambda *args, **kwargs: {"score": 0, "feedback": answer}):
            texts.update(passwords.check_password_policy("x" * passwords.MIN_LENGTH))
    assert len(texts) > 20
    return texts


# The inventory

def default_texts():
    """The domain errors' default messages (their docstrings)."""
    return {cls.__doc__.strip() for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, errors.CrmError) and cls is not errors.CrmError}


def row_texts():
    """The messages of an import row that the row's schema does not give (errors and remarks)."""
    return {import_rows.UNREADABLE, import_rows.EXTRA_CELLS, import_rows.UNPLACED, import_rows.NO_PARENT,
            import_people.UNKNOWN, import_people.AMBIGUOUS, import_people.NOT_ALLOWED, import_people.NOT_ASKED,
            import_parts.AMBIGUOUS_CUSTOMER, import_parts.NO_AMOUNT, *import_parts.NO_CUSTOMER.values(),
            import_convert.NOT_A_CHOICE, import_convert.NOT_A_COUNTRY}


def filled_texts(walk):
    """``{text: word}`` of texts whose placeholder would carry an English word, as the code fills them
    (a stale version of each thing, each missing part of a customer, each service...): each has an
    entry of its own, where the word is no parameter."""
    stale = [call for source in walk.sources.values() for call in ast.walk(source.tree)
             if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "stale_version"]
    filled = {}
    for call in stale:
        thing = ast.literal_eval(call.args[0])
        plural = {k.arg: ast.literal_eval(k.value) for k in call.keywords}.get("plural", False)
        filled[errors.stale_version(thing, plural).message] = thing
    assert len(filled) >= 8
    filled.update({"No such %s." % name.replace("_", " "): name.replace("_", " ") for name in access.ENTITY.values()})
    filled.update({template % service: service for service in SERVICES for template in (
        "The %s service did not answer in time.", "The %s service is unavailable.",
        "The %s service cannot answer this yet.")})
    filled.update({"A user with this %s already exists." % field: field for field in ("username", "email")})
    filled.update({"Unknown %s: a, b." % what: what for what in ("role", "permission")})
    return filled


def inventory():
    walk = Walk()
    texts = {text for text, _ in walk.found} | default_texts() | row_texts() | marshmallow_texts() | \
        validator_texts() | webargs_texts() | werkzeug_texts() | password_texts() | set(filled_texts(walk))
    return walk, texts


WALK, TEXTS = inventory()


# The catalogues

def entries(language):
    """``[(code, English, text)]`` of the messages PO file of ``language``, as written."""
    path = ROOT / "services/common/locale" / language / "LC_MESSAGES/messages.po"
    with path.open("rb") as source:
        return [(entry.context, entry.id, entry.string) for entry in read_po(source) if entry.id]


def placeholders(text):
    return sorted(re.findall(r"\{(\w+)\}", text))


def sample(english):
    """``english`` with each placeholder filled with a sample value."""
    return re.sub(r"\{(\w+)\}", lambda found: "<%s>" % found.group(1), english)


# The tests

def test_what_the_walk_cannot_follow_is_checked_by_hand():
    assert sorted(WALK.unseen - BY_HAND.keys()) == []
    assert sorted(BY_HAND.keys() - WALK.unseen) == []


def test_every_message_the_api_can_answer_is_in_the_catalogue():
    assert len(TEXTS) > 300
    assert sorted(text for text in TEXTS if messages.recognise(text)[0] is None) == []


def test_a_placeholder_carrying_an_english_word_has_an_entry_for_each_word():
    assert sorted(text for text, word in filled_texts(WALK).items()
                  if messages.recognise(text)[0] is None or word in messages.recognise(text)[1].values()) == []


def test_both_catalogues_hold_the_same_codes_and_english_texts():
    english, chinese = ({code: text for code, text, _ in entries(language)} for language in LANGUAGES)
    assert english == chinese
    assert all(text == translated for _, text, translated in entries("en"))


def test_codes_and_english_texts_are_unique():
    for language in LANGUAGES:
        codes = [code for code, _, _ in entries(language)]
        texts = [text for _, text, _ in entries(language)]
        assert all(codes) and len(set(codes)) == len(codes)
        assert len(set(texts)) == len(texts)
        assert all(re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", code) for code in codes)


def test_every_text_has_the_placeholders_of_its_english():
    for language in LANGUAGES:
        assert [(code, text, translated) for code, text, translated in entries(language)
                if placeholders(text) != placeholders(translated)] == []


def test_every_chinese_text_is_chinese():
    """Given, and in Chinese, but where the English has no words (only placeholders)."""

    def worded(text):
        return re.search(r"[A-Za-z]", re.sub(r"\{\w+\}", "", text))

    untranslated = [(code, text) for code, text, translated in entries("zh_CN")
                    if not translated or worded(text) and not re.search(r"[\u4e00-\u9fff]", translated)]
    assert untranslated == []


def test_each_entry_is_recognised_as_itself_with_its_parameters():
    """No pattern claims another entry's text: exact texts first, then the most specific pattern."""
    wrong = []
    for code, text, _ in entries("en"):
        expected = {name: "<%s>" % name for name in placeholders(text)}
        if messages.recognise(sample(text)) != (code, expected):
            wrong.append((code, messages.recognise(sample(text))))
    assert wrong == []


def test_a_text_reads_in_either_language_with_its_code_and_parameters():
    assert messages.localize("Missing data for required field.", "zh-CN") == {
        "code": "field.required", "params": {}, "message": "此项为必填项。"}
    assert messages.localize("Longer than maximum length 100.", "zh-CN") == {
        "code": "field.too_long", "params": {"max": "100"}, "message": "长度不能超过 100。"}
    assert messages.localize("Longer than maximum length 100.", "en")["message"] == "Longer than maximum length 100."
    assert messages.localize("Must be greater than or equal to 0 and less than or equal to 5.", "zh-CN") == {
        "code": "field.range", "params": {"min": "0", "max": "5"}, "message": "必须大于或等于 0，且小于或等于 5。"}
    assert messages.localize("Must be one of: open, closed.", "zh-CN")["message"] == "必须是以下之一：open, closed。"
    assert messages.localize("No such contact.", "zh-CN")["message"] == "联系人不存在。"
    assert messages.localize("The customer was changed by someone else; reload and try again.", "zh-CN") == {
        "code": "stale.customer", "params": {}, "message": "客户已被他人修改，请重新加载后重试。"}
    assert messages.localize("Unknown or disabled site: s1, s2.", "zh-CN") == {
        "code": "user.unknown_sites", "params": {"sites": "s1, s2"}, "message": "工厂不存在或已停用：s1, s2。"}
    assert messages.localize(sessions.THROTTLED, "zh-CN")["message"] == "登录尝试次数过多，请稍后再试。"
    assert messages.localize("Something no catalogue knows.", "zh-CN") == {
        "code": None, "params": {}, "message": "Something no catalogue knows."}


# The reasons services give and the download headers: their own catalogues, checked the same way.

def reason_texts():
    """Every reason the rules write, made by the rules themselves."""
    import datetime

    from services.customers import followups, lifecycle, tiering
    thresholds = {"vip_amount": 1e6, "vip_loyal_amount": 5e5, "vip_loyal_years": 3, "key_amount": 2e5, "key_orders": 6}
    texts = []
    for amount, orders, years in ((2e6, 1, 0), (6e5, 1, 4), (3e5, 8, 0), (1e3, 1, 0)):
        texts += tiering.computed_tier(amount, orders, years, thresholds)["reasons"]
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    for expires in ("2027-01-01T00:00:00Z", None):
        override = {"level": "vip", "reason": "战略客户", "expires_at": expires}
        texts += tiering.effective_tier({"level": "general", "reasons": []}, override, now)["reasons"]
    today = datetime.date(2026, 12, 1)
    for low in (1, 2):
        stats = {"cadence_days": 30, "days_since_last": 90, "amount_prev_12m": 1e6, "amount_12m": 1e5}
        scores = [{"rating": 1, "nps": None, "at": today}] * low
        texts += lifecycle.churn_risk(stats, scores, today)["reasons"]
    for level in ("vip", "key", "general"):
        for last in (now, None):
            texts.append(followups.next_followup(level, {level: 30}, last, now, None)[2])
    texts.append(followups.next_followup("key", {"key": 30}, now, now, {"_id": "f1", "due_date": "2026-12-02",
                                                                        "title": "回访"})[2])
    from services.customers import customer_record
    from services.common.auth import Caller
    texts += customer_record.new_customer({"legal_name": "x"}, Caller("u1", ["s1"]), "s1")["tier"]["reasons"]
    return texts


def test_every_reason_the_rules_write_is_in_the_reasons_catalogue():
    texts = reason_texts()
    assert len(texts) >= 16
    unknown = [text for text in texts if messages.recognise(text, "reasons")[0] is None]
    assert unknown == []


def test_a_level_an_import_set_reads_in_either_language():
    """An import's level is an override whose reason is a word of the code (``import_rows.IMPORTED``),
    not one a user typed: it and the tier's reason have entries of their own."""
    import datetime

    from services.customers import tiering
    override = {"level": "key", "reason": import_rows.IMPORTED, "expires_at": None}
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    reason, = tiering.effective_tier({"level": "general", "reasons": []}, override, now)["reasons"]
    assert messages.localize(reason, "zh-CN", "reasons") == {
        "code": "tier.set_by_import", "params": {}, "message": "人工设定：导入时指定"}
    assert messages.localize(reason, "en", "reasons")["message"] == reason
    assert messages.localize(import_rows.IMPORTED, "zh-CN", "reasons")["message"] == "导入时指定"


@pytest.mark.parametrize("domain", ["reasons", "columns", "labels"])
def test_the_other_catalogues_hold_the_same_codes_in_both_languages(domain):
    english = messages.catalogue(domain, "en")
    chinese = messages.catalogue(domain, "zh-CN")
    assert set(english) == set(chinese) and english
    for code, (source, text) in chinese.items():
        assert english[code][0] == source and placeholders(text) == placeholders(source), code
        assert text and (text != source or not re.search(r"[a-z]{3}", source) or domain == "columns"), code


def test_several_known_texts_in_one_are_each_translated_and_a_typed_text_is_left_as_typed():
    both = "Missing data for required field.; Not a valid URL."
    said = messages.localize(both, "zh-CN")
    assert said["code"] is None and "；" in said["message"] and "Missing" not in said["message"]
    typed = "大客户; 战略合作 (board decision)"
    assert messages.localize(typed, "zh-CN") == {"code": None, "params": {}, "message": typed}
    partly = "Missing data for required field.; whatever the user wrote"
    assert messages.localize(partly, "zh-CN")["message"] == partly
