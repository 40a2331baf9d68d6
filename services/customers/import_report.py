"""What became of an import's rows: the errors of the rows refused and the remarks on rows kept,
each naming its column by the file's own header."""

# An error names its column by the file's own header, cut to this length.
LABEL_CHARS = 100


def flatten(messages, field=None):
    """A schema's nested messages as ``(field, text)`` pairs (list items under their field)."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            inner = str(key)
            yield from flatten(value, field if inner.isdigit() else inner)
    elif isinstance(messages, (list, tuple)):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            yield field or "_row", "; ".join(texts)
        for item in messages:
            if not isinstance(item, str):
                yield from flatten(item, field)
    else:
        yield field or "_row", str(messages)


class RowReport:
    """``errors`` and ``warnings`` of a batch of ``job``'s rows; ``counts["failed"]`` counts the rows refused."""

    def __init__(self, job, counts):
        self.job = job
        self.counts = counts
        self.errors = []
        self.warnings = {}
        labels = dict(zip(job["columns"], job["headers"]))
        self.label = lambda field: labels.get(field, field)
        # A workbook's rows are numbered within their sheet: its errors name the sheet too.
        self.sheet = {"sheet": job["sheet"]} if job.get("plan") else {}
        self.prefix = job["_id"] + (":%d" % job["sheet_index"] if job.get("plan") else "")

    def _entry(self, number, field, message):
        return dict(self.sheet, _id="%s:%08d:%s" % (self.prefix, number, field), import_id=self.job["_id"],
                    row=number, field=(self.label(field) if field != "_row" else "")[:LABEL_CHARS], message=message)

    def fail(self, numbers, problems):
        for number in numbers:
            self.counts["failed"] += 1
            for field, message in problems:
                self.errors.append(self._entry(number, field, message))

    def warn(self, number, field, message):
        """A remark on a kept row (one per row and field)."""
        self.warnings["%08d:%s" % (number, field)] = dict(self._entry(number, field, message), warning=True)

    def warned_rows(self):
        return len({warning["row"] for warning in self.warnings.values()})
