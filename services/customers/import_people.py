"""The people an import file names by display name, username or e-mail (an owner, an assignee),
matched against the site's active users as accounts listed them when the job started."""
import unicodedata

UNKNOWN = ("No active user of this site is named {name} (by display name, username or e-mail); "
           "the field is left as it was.")
AMBIGUOUS = "Several users of this site are named {name}; the field is left as it was."
NOT_ALLOWED = "The user {name} lacks the {permission} permission; the field is left as it was."
NOT_ASKED = ("Users could not be looked up (the accounts service was unavailable when the import started); "
             "the field is left as it was.")


def fold(text):
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


class People:
    """``find(text) -> (user id or None, problem or None)`` for users holding ``permission``; ``people``
    None: accounts could not be asked."""

    def __init__(self, people, permission):
        self.permission = permission
        self.asked = people is not None
        self.by_key = {}
        for person in people or ():
            for key in ("email", "username", "display_name"):
                if person.get(key):
                    self.by_key.setdefault(fold(person[key]), {})[person["id"]] = person

    def find(self, text):
        if not self.asked:
            return None, NOT_ASKED
        found = list(self.by_key.get(fold(text), {}).values())
        name = str(text)[:100]
        if not found:
            return None, UNKNOWN.format(name=name)
        if len(found) > 1:
            return None, AMBIGUOUS.format(name=name)
        if self.permission not in (found[0].get("permissions") or ()):
            return None, NOT_ALLOWED.format(name=name, permission=self.permission)
        return found[0]["id"], None
