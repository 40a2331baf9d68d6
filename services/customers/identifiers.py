"""Company identifiers and names: the USCC check digit, phone numbers, name normalisation, search keys."""
import re
import unicodedata

import phonenumbers
from pypinyin import lazy_pinyin

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# Legal-form words that do not tell two companies apart (longest first).
COMPANY_SUFFIXES = sorted({suffix.rstrip(" .,") for suffix in [
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团公司", "股份公司", "集团", "股份", "公司",
    "co., ltd.", "co.,ltd.", "co. ltd.", "co ltd", "company limited", "corporation", "limited", "ltd.", "ltd",
    "inc.", "inc", "gmbh", "co.", "corp.", "corp", "llc", "plc", "s.a.", "ag",
]}, key=len, reverse=True)
NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
CJK = re.compile(r"[\u3400-\u9fff]")


def uscc_check_digit(first17):
    total = sum(USCC_ALPHABET.index(ch) * weight for ch, weight in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def looks_like_uscc(value):
    return len(value) == 18 and value[:2].isalnum() and value[2:8].isdigit()


def valid_uscc(value):
    """True for an 18-character unified social credit code with the right check digit."""
    value = (value or "").strip().upper()
    return bool(USCC_SHAPE.match(value)) and uscc_check_digit(value[:17]) == value[17]



def valid_phone(value, region="CN"):
    """Whether ``value`` is a valid phone number for ``region`` (ISO 3166 alpha-2)."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def tax_id_key(value):
    return re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", value or "")).upper()


def fold(text):
    """Full-width to half-width, lower case, no surrounding space."""
    return unicodedata.normalize("NFKC", text or "").lower().strip()


def name_key(name):
    """A company name reduced to what tells it apart: width, case, spaces, punctuation and legal
    suffixes ignored ("华为技术有限公司" and "华为技术" and "ＨＵＡＷＥＩ Co., Ltd." compare by core)."""
    text = fold(name)
    changed = True
    while changed:
        changed = False
        stripped = text.rstrip(" .,，。")
        for suffix in COMPANY_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                text = stripped[: -len(suffix)]
                changed = True
                break
    return NOT_WORD.sub("", text)


def text_keys(text):
    """Search keys for prefix search: the folded text, its words, and for Chinese every suffix and the
    pinyin keys (``pinyin_keys``)."""
    folded = NOT_WORD.sub(" ", fold(text)).strip()
    if not folded:
        return set()
    keys = {folded.replace(" ", "")}
    keys.update(word for word in folded.split() if word)
    compact = folded.replace(" ", "")
    if CJK.search(compact):
        keys.update(compact[i:] for i in range(1, min(len(compact), 40)))
        keys |= pinyin_keys(compact)
    return keys


MIXED_CHARACTERS = 3  # at most this many characters typed before the initials of the rest ("苏州jm")


def pinyin_keys(text):
    """Keys that find a name with Chinese characters by its pinyin: the whole pinyin
    ("suzhoujingmijixie…"), the initials ("szjmjx…"), and the first one to three characters followed
    by the initials of the rest ("苏zjm…", "苏州jm…", "苏州精m…"). Letters and digits in the name stay
    as they are. Polyphonic characters read as pypinyin reads them in their phrase (重庆 chongqing,
    银行 yinhang); a name it reads otherwise is found by its characters, not that pinyin."""
    text = compact(text)
    if not CJK.search(text):
        return set()
    chunks = _pinyin_chunks(text)
    full = "".join(syllable for _, syllable in chunks)
    initials = [syllable[:1] if CJK.match(chunk) else syllable for chunk, syllable in chunks]
    keys = {full, "".join(initials)}
    for typed in range(1, min(MIXED_CHARACTERS, len(chunks) - 1) + 1):
        if CJK.match(chunks[typed - 1][0]):
            keys.add("".join(chunk for chunk, _ in chunks[:typed]) + "".join(initials[typed:]))
    keys.discard("")
    return keys


SORT_KEY_MAX = 400


def sort_key(name):
    """A name's place in alphabetical order, as a Chinese reader orders names: by pinyin, syllable by
    syllable (安徽… before 北京… before 重庆…, 西安 before 先锋), Latin letters and digits among them as
    they are; equal readings by their characters. Width, case and punctuation are ignored."""
    words = NOT_WORD.sub(" ", fold(name)).split()
    syllables = [syllable for word in words for _, syllable in _pinyin_chunks(word)]
    return (" ".join(syllables)[:SORT_KEY_MAX] + "\x01" + compact(name))[:2 * SORT_KEY_MAX]


def _pinyin_chunks(text):
    """``[(chunk, syllable)]``: each Chinese character with its pinyin (read in its phrase), each run
    of other characters with itself."""
    chunks, syllables = [], iter(lazy_pinyin(text, errors=lambda run: [run]))
    position = 0
    for syllable in syllables:
        if position >= len(text):
            break
        if CJK.match(text[position]):
            chunks.append((text[position], syllable.lower()))
            position += 1
        else:
            chunks.append((syllable, syllable))
            position += len(syllable)
    return chunks


def phone_key(phone):
    return re.sub(r"\D", "", phone or "")


def phone_forms(digits):
    """A phone's digits as people type them: with and without China's country code."""
    national = re.sub(r"^(00)?86", "", digits) if len(digits) > 11 else digits
    forms = {digits, national}
    if len(national) == 11 and national.startswith("1"):
        forms.add("86" + national)
    return {form for form in forms if form}


def compact(text):
    """Folded text without spaces or punctuation: the form search keys and search text share."""
    return NOT_WORD.sub("", fold(text))


def prefix_lookup(text):
    """The range of ``all_keys`` entries that start with ``text``: a search's candidates, each holding
    a key that starts with it (None for an empty text, or one whose last character has none after it)."""
    following = _following(text)
    return {"$gte": text, "$lt": following} if text and following is not None else None


def _following(text):
    """The first text after every text starting with ``text`` (None where no character follows its last)."""
    code = ord(text[-1]) + 1 if text else 0
    if not text or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return text[:-1] + chr(code)
