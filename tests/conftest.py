"""Root fixtures: a real RabbitMQ vhost and real MongoDB-wire servers (one per service) per test run."""
import asyncio
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import os  # noqa: E402

# Browser tests run in a pytest of their own (`make test` runs both): Playwright's sync API
# hangs on teardown under eventlet's monkey patching, which the nameko tests need.
BROWSER_RUN = os.environ.get("CRM_TEST_BROWSER") == "1"

if not BROWSER_RUN:
    import eventlet

    eventlet.monkey_patch()  # nameko's pytest plugin no longer does it

import uuid  # noqa: E402

import pytest  # noqa: E402

from tests.support import servers  # noqa: E402

BROWSER_DIR = os.path.join(os.path.dirname(__file__), "e2e", "browser")


def pytest_ignore_collect(collection_path, config):
    """The browser tests belong to the browser run only, and that run holds nothing else."""
    inside = str(collection_path).startswith(BROWSER_DIR)
    if BROWSER_RUN:
        return None if inside or BROWSER_DIR.startswith(str(collection_path)) else True
    return True if inside else None


RUN_ID = uuid.uuid4().hex[:8]
ADMIN_EMAIL = "admin@factory.test"
ADMIN_PASSWORD = "Copper-kettle-morning-2026"


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory, request):
    """One embedded server per service, as `make run` starts them (``servers.ServiceServers``). The
    run's broker vhost is created while they start (each takes a second or two)."""
    each = servers.ServiceServers(tmp_path_factory.mktemp("db"))
    each.launch()
    try:
        request.getfixturevalue("amqp_uri")
        each.wait_started()
    except BaseException:
        each.stop()
        raise
    yield each
    servers.close_clients()
    each.stop()


@pytest.fixture(scope="session")
def amqp_uri():
    vhost = "crm_test_%s" % RUN_ID
    servers.add_vhost(vhost)
    yield servers.amqp_uri_for(vhost)
    servers.delete_vhost(vhost)


class SmtpSink:
    """A real SMTP server (aiosmtpd) in this process, keeping every message it receives, and the
    session (connection) each recipient's last one came in (``session_of``). A test may have it
    refuse recipients (``refused``), or drop the connection once it has accepted a message to one
    of ``drop_after`` (one asyncio loop runs in a process of green threads: the sink is shared)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.port = servers.free_port()
        self.messages = []
        self.session_of, self.refused, self.drop_after = {}, set(), set()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        for address in envelope.rcpt_tos:
            self.session_of[address] = id(session)
        if self.drop_after & set(envelope.rcpt_tos):
            asyncio.get_running_loop().call_soon(server.transport.close)  # once the reply is written
        return "250 Message accepted"

    def to(self, address):
        """The messages received for ``address`` so far, oldest first."""
        return [m for m in list(self.messages) if address.lower() in str(m["To"]).lower()]


@pytest.fixture(scope="session")
def smtp_server():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture(scope="session")
def test_env(mongo_server, amqp_uri, smtp_server, tmp_path_factory):
    """The environment of this run, also exported to the test process itself. Each service's
    database is on its own server (``<SERVICE>_MONGO_URI``); MONGO_URI names one of them, for the
    throwaway databases of ``db_factory``."""
    env = {
        **mongo_server.env(),
        "MONGO_URI": mongo_server.uri,
        "AMQP_URI": amqp_uri,
        "CRM_DB_PREFIX": "test_%s" % RUN_ID,
        "CRM_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "RPC_TIMEOUT": "3",
        # Tests check what a search finds; on a machine loaded by the suite a 1 000-customer page can
        # take seconds. The refusal of a slow search has a test of its own (tests/common/test_paging.py).
        "SEARCH_TIME_LIMIT": "30",
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CRM_PUBLIC_URL": "http://crm.test",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_server.port),
        "WEBHOOK_RETRY_SCHEDULE": "1,2,4,8,16,32",
        # A campaign test writes to a thousand contacts: its mail must not hold up the next tests' for a minute.
        "NOTIFICATIONS_BATCH": "100",
        # Still argon2id, at its cheapest: a hash costs a few milliseconds instead of a quarter of a
        # second of CPU, and the suite signs users in by the thousand. The default parameters have a
        # test of their own (tests/accounts/test_passwords.py).
        "PASSWORD_HASH_PARAMETERS": "1,1024,1",
        # Users speak the language the tests read: English answers to API tests, the Chinese UI in
        # the browser. Both languages have tests of their own.
        "CRM_DEFAULT_LANGUAGE": "zh-CN" if BROWSER_RUN else "en",
    }
    os.environ.update(env)
    return env


@pytest.fixture
def db_factory(test_env):
    """A fresh database per test: ``db_factory("accounts")``."""
    from services.common.mongo import connect

    client = connect(test_env["MONGO_URI"])
    names = []

    def make(service):
        name = "t%s_%s_%s" % (RUN_ID, service, uuid.uuid4().hex[:6])
        names.append(name)
        return client[name]

    yield make
    for name in names:
        client.drop_database(name)
    client.close()


@pytest.fixture(scope="session")
def stack(test_env, tmp_path_factory):
    """The four services and the gateway running as processes against this run's broker and DB."""
    from tests.support.stack import Stack

    system = Stack(test_env, tmp_path_factory.mktemp("logs"))
    try:
        system.start_all()
        yield system
    finally:
        system.stop_all()


@pytest.fixture(autouse=True)
def stack_outlives_each_test(request):
    """A process of the stack that died during a test fails that test, with the end of its log,
    and is started again, so one death does not turn every later test into an error."""
    yield
    if "stack" not in request.fixturenames:
        return
    system = request.getfixturevalue("stack")
    dead = system.dead()
    if not dead:
        return
    report = system.exited()
    for name in dead:
        system.start(name)
    system.wait_ready()
    pytest.fail("a process of the system exited during this test:\n%s" % report, pytrace=False)


@pytest.fixture(scope="session")
def admin_api(stack):
    """The bootstrapped first admin, signed in through the gateway."""
    from tests.support.api import Api, eventually

    api = Api(stack.url)
    eventually(lambda: api.post("/auth/login", {"identifier": "admin", "password": ADMIN_PASSWORD}),
               lambda r: r.status_code == 200, timeout=20)
    return api.login("admin", ADMIN_PASSWORD)
