"""Configuration from environment variables, with defaults that work on a developer machine.

Every variable the code reads is listed in ``VARIABLES``; the README's table and the
docker compose test are checked against it.
"""
import os

VARIABLES = {
    "AMQP_URI": ("amqp://guest:guest@localhost:5672/", "RabbitMQ connection URI."),
    "MONGO_URI": ("", "MongoDB URI of every service's database. Unset: `make run` starts one embedded server "
                      "per service under ./var/db."),
    "ACCOUNTS_MONGO_URI": ("", "MongoDB URI of the accounts database (unset: MONGO_URI)."),
    "CUSTOMERS_MONGO_URI": ("", "MongoDB URI of the customers database (unset: MONGO_URI)."),
    "FEEDBACK_MONGO_URI": ("", "MongoDB URI of the feedback database (unset: MONGO_URI)."),
    "NOTIFICATIONS_MONGO_URI": ("", "MongoDB URI of the notifications database (unset: MONGO_URI)."),
    "CRM_DB_PREFIX": ("crm", "Prefix of database names (`<prefix>_accounts`, ...)."),
    "CRM_EMBEDDED_MONGO_PORT": ("27117", "Port of the first embedded MongoDB-wire server (accounts'); customers, "
                                         "feedback and notifications get the next three."),
    "CRM_EMBEDDED_MONGO_CACHE_SIZE": ("512M", "Cache bound of each embedded server (`256M`, `1G`, ...)."),
    "CRM_VAR_DIR": ("./var", "Where local runs keep data, keys and mail."),
    "GATEWAY_PORT": ("8000", "Port the gateway listens on."),
    "GATEWAY_INTERNAL_PORT": ("8001", "Port of the gateway's internal listener: `/metrics` and per-service health "
                                      "(never publish it; 0: not served)."),
    "CRM_UI_DIR": ("", "Built web UI the gateway serves at `/` (default: ui/dist of the checkout)."),
    "GATEWAY_WORKERS": ("3", "gunicorn worker processes of the gateway."),
    "GATEWAY_THREADS": ("8", "Threads per gunicorn worker."),
    "GATEWAY_KEEPALIVE": ("75", "Seconds the gateway keeps an idle client connection open; longer than the idle "
                                "timeout of the proxy in front, which would otherwise reuse a connection the "
                                "gateway is closing (a 502, or a dropped request)."),
    "CRM_TRUSTED_PROXIES": ("0", "Reverse proxies in front of the gateway that set X-Forwarded-For (e.g. 1 behind "
                                 "one ingress); the client address sign-in throttling counts comes from there. "
                                 "0: the header is ignored."),
    "RPC_TIMEOUT": ("5", "Seconds the gateway (and a service calling another) waits for an RPC reply."),
    "SEARCH_TIME_LIMIT": ("4", "Seconds a list or search may spend in the database before it is refused "
                                "(503 `search_too_broad`); keep it under RPC_TIMEOUT."),
    "RPC_POOL_SIZE": ("8", "Started RPC proxies kept per process (the gateway's and each service's)."),
    "MAX_BODY_BYTES": ("10485760", "Largest request body the gateway accepts (413 above)."),
    "OUTBOX_INTERVAL": ("0.5", "Seconds between outbox relay runs in each service."),
    "FEEDBACK_SLA_SCAN_INTERVAL": ("60", "Seconds between the feedback service's scans for SLA breaches."),
    "CUSTOMERS_RECOMPUTE_INTERVAL": ("86400", "Seconds between recomputes of every customer's tier, lifecycle and churn risk."),
    "CUSTOMERS_SCAN_INTERVAL": ("3600", "Seconds between the customers service's scans for due follow-ups and expiring contracts."),
    "CUSTOMERS_JOB_RETENTION_DAYS": ("90", "Days finished imports (with their uploads and row errors) and merges are "
                                           "kept; a merge that can still be reverted is kept longer."),
    "CUSTOMERS_LIST_SAMPLE": ("4000", "Customers sampled to cut the customer list into windows; each window of a "
                                      "page reads about (archive size / this) customers per site."),
    "CUSTOMERS_LIST_SAMPLE_SECONDS": ("300", "Seconds a process keeps its sample of the customer list before "
                                             "taking it again (sooner once the archive grew or shrank by a "
                                             "fifth)."),
    "CUSTOMERS_RECOUNT_INTERVAL": ("86400", "Seconds between recounts of the customer list's kept totals (they "
                                            "are kept by every write; a recount mends a failure between writes)."),
    "SMTP_HOST": ("localhost", "SMTP server for outgoing mail."),
    "SMTP_PORT": ("8025", "SMTP port."),
    "CRM_PUBLIC_URL": ("http://localhost:8000", "Public base URL, used for links in mail."),
    "CRM_DEFAULT_LANGUAGE": ("zh-CN", "Language setting of users created without one (zh-CN or en): the language of "
                                      "their notifications and of the API's texts to them."),
    "CRM_ADMIN_EMAIL": ("admin@example.com", "E-mail of the first admin, created once if no user exists."),
    "CRM_ADMIN_PASSWORD": ("", "Password of the first admin; unset: one is generated and printed once."),
    "PASSWORD_HASH_PARAMETERS": ("3,65536,4", "argon2id time cost, memory (KiB) and parallelism of new password "
                                              "hashes (RFC 9106's low-memory choice); a password hashed with other "
                                              "parameters is hashed again at its next sign-in."),
    "JWT_PRIVATE_KEY_FILE": ("", "PEM private key accounts signs access tokens with (generated under CRM_VAR_DIR/keys if unset)."),
    "JWT_PUBLIC_KEY_FILE": ("", "PEM public key every service verifies tokens with."),
    "CRM_SECRET_KEY": ("", "Secret shared by every process: signs list cursors and events, seals secret event "
                           "fields, encrypts webhook secrets (unset: generated under CRM_VAR_DIR/keys)."),
    "LOG_LEVEL": ("INFO", "Log level of every process."),
    "LOG_FORMAT": ("json", "`json`: one JSON object per log line, with the request id; `plain`: text lines."),
    "CRM_METRICS_PORT": ("0", "Port a service process serves its Prometheus metrics on (0: not served)."),
    "WEBHOOK_ALLOW_PRIVATE": ("false", "`true` allows webhook targets on private, loopback or link-local addresses."),
    "WEBHOOK_RETRY_SCHEDULE": ("60,300,1800,7200,21600,43200",
                               "Seconds before each retry of a failed webhook delivery; after the last it is exhausted."),
    "NOTIFICATIONS_EMAIL_RETRY_SCHEDULE": ("30,120,600,1800,7200",
                                           "Seconds before each retry of a failed e-mail; after the last it is failed."),
    "NOTIFICATIONS_MAIL_FROM": ("Factory CRM <crm@localhost>", "Sender of the mail notifications sends."),
    "NOTIFICATIONS_SMS_PROVIDER": ("logging", "SMS provider: `logging`, or `package.module:Class` of your own."),
    "NOTIFICATIONS_INTERVAL": ("1", "Seconds between runs of the e-mail and webhook delivery timers "
                                    "(new e-mails and webhook deliveries go out at once)."),
    "NOTIFICATIONS_BATCH": ("20", "E-mails, and webhook deliveries, one timer run claims at most (a backlog of "
                                  "e-mails goes a batch every 0.2 s)."),
}


def get(name):
    """The value of a configuration variable, or its default."""
    default = VARIABLES[name][0]
    value = os.environ.get(name, "")
    return value if value != "" else default


def get_int(name):
    return int(get(name))


def get_float(name):
    return float(get(name))


# The services owning a database, in the order of their embedded servers' ports.
SERVICE_NAMES = ("accounts", "customers", "feedback", "notifications")


def mongo_uri_variable(service):
    return "%s_MONGO_URI" % service.upper()


def embedded_mongo_port(service):
    """The port of ``service``'s embedded server: CRM_EMBEDDED_MONGO_PORT + its place in SERVICE_NAMES."""
    return get_int("CRM_EMBEDDED_MONGO_PORT") + SERVICE_NAMES.index(service)


def configured_mongo_uri(service):
    """``<SERVICE>_MONGO_URI`` (a service of ``SERVICE_NAMES``; any other, a test's, has only
    MONGO_URI), else MONGO_URI; "" when neither is set (`make run` then starts the service's
    embedded server)."""
    own = get(mongo_uri_variable(service)) if service in SERVICE_NAMES else ""
    return own or get("MONGO_URI")


def mongo_uri(service):
    """Where ``service``'s database is: the configured URI, else its embedded server."""
    return configured_mongo_uri(service) or "mongodb://127.0.0.1:%d/" % embedded_mongo_port(service)


def database_name(service):
    return "%s_%s" % (get("CRM_DB_PREFIX"), service)


def nameko_config():
    """The nameko config dict for a standalone proxy or a test container."""
    return {"AMQP_URI": get("AMQP_URI"), "serializer": "json"}
