"""gunicorn entry: ``gunicorn -c deploy/gunicorn.conf.py gateway.wsgi:app``."""
from gateway import security
from gateway.app import create_app

app = create_app()
security.watch_revocations()
