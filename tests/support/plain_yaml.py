"""YAML files read as written. nameko's command line, once run in a test process, teaches
PyYAML's SafeLoader to expand `${VAR:...}` from the environment; deployment files are read here
with a loader it never touched, so `${SECRET:?...}` stays what the file says."""
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner


class PlainLoader(Reader, Scanner, Parser, Composer, SafeConstructor, Resolver):
    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def load(stream):
    return yaml.load(stream, Loader=PlainLoader)


def load_all(stream):
    return list(yaml.load_all(stream, Loader=PlainLoader))
