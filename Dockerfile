# One image for every process of Factory CRM: the four nameko services and the gateway.
# The process is chosen by the command (see docker-compose.yml and deploy/processes.py);
# the default is the gateway. The web UI is built in a first stage from its lock file.
FROM node:20-slim AS ui

WORKDIR /ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONWARNINGS=ignore::Warning:nameko.containers,ignore::Warning:nameko.cli.commands

RUN groupadd --system --gid 10001 crm \
    && useradd --system --uid 10001 --gid crm --home-dir /app --shell /usr/sbin/nologin crm

WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

COPY . .
COPY --from=ui /ui/dist ./ui/dist

# The code stays owned by root (read-only for the process); only var/ is writable.
# var/keys and var/broker are where the keys and broker-definitions volumes are mounted; created
# here so a new named volume starts owned by the non-root user.
RUN mkdir -p /app/var/keys /app/var/signing /app/var/broker \
    && chown -R crm:crm /app/var \
    && chmod 0700 /app/var/signing

USER crm

EXPOSE 8000 8001

CMD ["python", "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "gateway.wsgi:app"]
