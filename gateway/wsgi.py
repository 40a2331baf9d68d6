"""gunicorn entry: ``gunicorn -c deploy/gunicorn.conf.py gateway.wsgi:app``."""
from gateway.app import create_app

app = create_app()
