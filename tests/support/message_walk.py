"""The messages of the source, found by walking it: the message and fields given to the domain errors,
marshmallow's ``ValidationError`` and the exceptions whose text becomes a message, and the
``error=``/``error_messages=`` of fields and validators. A message held in a variable, a constant of
another module, a function's answer or a function's parameter (the arguments of its calls) is
followed to its texts; a text built with ``%``, ``.format`` or an f-string is filled with the values
the walk knows, else with a sample. What it cannot follow it names in ``Walk.unseen``."""
import ast
import itertools
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
SAMPLE = "7"

# Calls whose arguments are messages: name -> (position of the message, position of the fields).
DOMAIN_ERRORS = ("CrmError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "PayloadTooLarge",
                 "ValidationFailed", "TooManyAttempts", "Unavailable")
CARRIERS = {name: (0, 1) for name in DOMAIN_ERRORS}
# Exceptions whose text becomes a message (an import file's, a webhook target's) and werkzeug's.
CARRIERS.update({name: (0, None) for name in ("ValidationError", "FileError", "WorkbookError", "Refused",
                                              "UnsupportedMediaType")})
CARRIERS["error_response"] = (2, 3)
# Keywords of a field's or a validator's own message (in a call of a class, or of a field kind: ``Text``).
OWN_MESSAGES = ("error", "error_messages")


class Source:
    """One module of the source: its tree, each node's parent, and what it imports."""

    def __init__(self, path):
        self.name = path.relative_to(ROOT).as_posix()
        self.module = self.name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        self.tree = ast.parse(path.read_text(encoding="utf-8"), self.name)
        self.parents = {child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}
        self.imports = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (alias.name, None)

    def scope(self, node):
        """The function ``node`` is in, or the module."""
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return node
        return self.tree


def _inside(scope):
    """The nodes of ``scope`` outside the functions defined in it."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))


def _is(node, name):
    return isinstance(node, ast.Name) and node.id == name


def _position(target, name):
    """None when ``target`` is ``name`` (or an item of it), the index when ``name`` is unpacked from it,
    False when it does not bind ``name``."""
    if _is(target, name) or isinstance(target, ast.Subscript) and _is(target.value, name):
        return None
    if isinstance(target, ast.Tuple):
        for index, element in enumerate(target.elts):
            if _is(element, name):
                return index
    return False


def bindings(scope, name):
    """``[(expression, index)]``: what ``scope`` gives ``name`` (assigned, stored under a key, appended,
    iterated over), with the index it is unpacked from, if any."""
    found = []
    for node in _inside(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                index = _position(target, name)
                if index is not False:
                    found.append((node.value, index))
        elif isinstance(node, (ast.comprehension, ast.For)):
            index = _position(node.target, name)
            if index is not False:
                found.append((node.iter, ("each", index)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is(node.func.value, name) \
                and node.func.attr in ("append", "extend", "insert", "setdefault", "add") and node.args:
            found.append((node.args[-1], None))
    return found


def _parameters(function):
    arguments = function.args
    return {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs} | \
        {a.arg for a in (arguments.vararg, arguments.kwarg) if a}


class Walk:
    """The texts of every message in ``services/`` and ``gateway/``; ``unseen`` holds what the walk
    could not follow, as ``(file, expression)``."""

    def __init__(self, folders=("services", "gateway")):
        paths = sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))
        self.sources = {source.module: source for source in map(Source, paths)}
        self.found = set()
        self.unseen = set()
        for source in self.sources.values():
            for node in ast.walk(source.tree):
                if isinstance(node, ast.Call):
                    for argument in self.message_arguments(node):
                        self.found.update((text, source.name) for text in self.texts(source, argument))

    @staticmethod
    def message_arguments(call):
        name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
        arguments = [keyword.value for keyword in call.keywords
                     if keyword.arg in OWN_MESSAGES and name and name[0].isupper()]
        if name in CARRIERS:
            for position, keyword in zip(CARRIERS[name], ("message", "fields")):
                if position is not None and len(call.args) > position:
                    arguments.append(call.args[position])
                arguments.extend(k.value for k in call.keywords if k.arg == keyword)
        return arguments

    def texts(self, source, node, index=None, strict=True, depth=0):
        """The texts ``node`` may hold. Unfollowed: recorded in ``unseen`` (``strict``) or None."""
        if depth > 12:
            return self._unfollowed(source, node, strict)
        found = self._texts(source, node, index, strict, depth + 1)
        return self._unfollowed(source, node, strict) if found is None else found

    def _unfollowed(self, source, node, strict):
        if strict:
            self.unseen.add((source.name, ast.unparse(node)))
            return []
        return None

    def _all(self, source, nodes, strict, depth, index=None):
        results = [self.texts(source, node, index, strict, depth) for node in nodes]
        if any(result is None for result in results):
            return None
        return [text for result in results for text in result]

    def _texts(self, source, node, index, strict, depth):
        """One case per kind of expression; None for one the walk cannot follow."""
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else [str(node.value)] if not strict else []
        if isinstance(node, ast.JoinedStr):
            pieces = [[part.value] if isinstance(part, ast.Constant) else self.filled(source, part.value, depth)
                      for part in node.values]
            return ["".join(choice) for choice in itertools.islice(itertools.product(*pieces), 50)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            pieces = [self.filled(source, value, depth) for value in values]
            templates = self.texts(source, node.left, None, strict, depth) or []
            return [self.percent(template, choice) for template in templates
                    for choice in itertools.islice(itertools.product(*pieces), 50)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = (self.texts(source, side, None, strict, depth) for side in (node.left, node.right))
            return None if left is None or right is None else [a + b for a in left for b in right]
        if isinstance(node, ast.IfExp):
            return self._all(source, [node.body, node.orelse], strict, depth, index)
        if isinstance(node, ast.BoolOp):
            return self._all(source, node.values, strict, depth)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            if isinstance(index, int) and isinstance(node, ast.Tuple):
                return self.texts(source, node.elts[index], None, strict, depth)
            return self._all(source, node.elts, strict, depth)
        if isinstance(node, ast.Dict):
            return self._all(source, node.values, strict, depth)
        if isinstance(node, ast.DictComp):
            return self.texts(source, node.value, None, strict, depth)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.texts(source, node.elt, None, strict, depth)
        if isinstance(node, ast.Subscript):
            return self.texts(source, node.value, None, strict, depth)
        if isinstance(node, ast.Name):
            return self.name_texts(source, node, index, strict, depth)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            other = self.imported_module(source, node.value.id)
            if other is not None:
                return self.bound_texts(other, other.tree, node.attr, index, strict, depth)
        if isinstance(node, ast.Call):
            return self.call_texts(source, node, index, strict, depth)
        return None

    def name_texts(self, source, node, index, strict, depth):
        scope = source.scope(node)
        while True:
            if bindings(scope, node.id):
                return self.bound_texts(source, scope, node.id, index, strict, depth)
            if scope is source.tree:
                break
            if node.id in _parameters(scope):
                return self.argument_texts(source, scope, node.id, strict, depth)
            scope = source.scope(scope)
        module, name = source.imports.get(node.id, (None, None))
        other = self.sources.get(module)
        if other is None or name is None:
            return None
        return self.bound_texts(other, other.tree, name, index, strict, depth)

    def bound_texts(self, source, scope, name, index, strict, depth):
        found = []
        bound = bindings(scope, name)
        if not bound:
            return None
        for value, position in bound:
            if isinstance(position, tuple):  # iterated over: ``for a, b in x.items()`` or ``for a in x``
                position = position[1]
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                        and value.func.attr in ("items", "values"):
                    if value.func.attr == "items" and position == 0:
                        continue
                    value, position = value.func.value, None
            texts = self.texts(source, value, position if position is not None else index, strict, depth)
            if texts is None:
                return None
            found.extend(texts)
        return found

    def call_texts(self, source, node, index, strict, depth):
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr == "format":
            templates = self.texts(source, function.value, None, strict, depth) or []
            return [re.sub(r"\{[^{}]*\}", SAMPLE, template) for template in templates]
        if isinstance(function, ast.Name) and function.id == "str" and len(node.args) == 1:
            return self.texts(source, node.args[0], index, strict, depth)
        if isinstance(function, ast.Name) and function.id == "map" and node.args:
            function = node.args[0]
        if isinstance(function, ast.Name):
            owner, name = source, function.id
            if not any(isinstance(n, ast.FunctionDef) and n.name == name for n in source.tree.body):
                module, name = source.imports.get(function.id, (None, None))
                owner = self.sources.get(module)
        elif isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            owner, name = self.imported_module(source, function.value.id), function.attr
        else:
            return None
        definitions = [n for n in (owner.tree.body if owner else [])
                       if isinstance(n, ast.FunctionDef) and n.name == name]
        if not definitions:
            return None
        answers = [n.value for n in _inside(definitions[0]) if isinstance(n, ast.Return) and n.value is not None]
        return self._all(owner, answers, strict, depth, index)

    def argument_texts(self, owner, function, parameter, strict, depth):
        """The texts every call of ``function`` (of module ``owner``) passes as ``parameter``, or its default."""
        names = [a.arg for a in function.args.posonlyargs + function.args.args]
        method = names[:1] in (["self"], ["cls"])
        position = names.index(parameter) - method if parameter in names else None
        defaults = dict(zip(reversed(names), reversed(function.args.defaults)))
        defaults.update((a.arg, d) for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d)
        found = []
        for source, call in self.calls_of(owner, getattr(function, "name", None), method):
            given = [k.value for k in call.keywords if k.arg == parameter]
            if not given and position is not None and len(call.args) > position:
                given = [call.args[position]]
            for value in given or [defaults.get(parameter)]:
                texts = [] if value is None else self.texts(source, value, None, strict, depth)
                if texts is None:
                    return None
                found.extend(texts)
        return found if found or not strict else None

    def calls_of(self, owner, name, method):
        """``(source, call)`` of every call of the function ``name`` of ``owner`` (of any method so named)."""
        for source in self.sources.values():
            for call in ast.walk(source.tree):
                if not isinstance(call, ast.Call):
                    continue
                function = call.func
                if isinstance(function, ast.Attribute) and function.attr == name:
                    if method or isinstance(function.value, ast.Name) and \
                            self.imported_module(source, function.value.id) is owner:
                        yield source, call
                elif isinstance(function, ast.Name) and function.id == name and not method and (
                        source is owner or source.imports.get(name) == (owner.module, name)):
                    yield source, call

    def imported_module(self, source, alias):
        module, name = source.imports.get(alias, (None, None))
        return self.sources.get("%s.%s" % (module, name) if name else module)

    def filled(self, source, node, depth):
        """What a value formatted into a text may be: its texts where the walk knows them, else a sample."""
        texts = self.texts(source, node, None, False, depth)
        return texts[:10] if texts else [SAMPLE]

    @staticmethod
    def percent(template, values):
        values = iter(values)
        return re.sub(r"%%|%[-#0 +]*\d*(?:\.\d+)?[sdrfi]",
                      lambda found: "%" if found.group() == "%%" else
                      repr(next(values, SAMPLE)) if found.group().endswith("r") else str(next(values, SAMPLE)),
                      template)
