# The intake service: `intake serve` (SMTP listener, IMAP watcher, pipeline, outbox, reminders,
# web) as a non-root user, its data in the INTAKE_HOME volume. docs/it-guide.md explains it;
# tests/test_deploy.py keeps the settings and commands named here in step with the code.
FROM python:3.11-slim-bookworm

# DejaVu: the forms' embedded Unicode font (documents/pdf/fonts.py); without it, Helvetica.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 intake \
    && useradd --system --uid 10001 --gid intake --home-dir /var/lib/intake --shell /usr/sbin/nologin intake \
    && install -d -o intake -g intake -m 0700 /var/lib/intake

WORKDIR /srv/intake
COPY pyproject.toml README.md LICENSE ./
COPY intake ./intake
COPY documents ./documents
COPY notifier ./notifier
COPY store ./store
COPY portal ./portal
COPY templates ./templates
RUN pip install --no-cache-dir . && rm -rf /srv/intake/build

# The same settings as README.md; listeners on every interface of the container, since the
# container's own network is the boundary. Secrets come from the environment at run time.
ENV INTAKE_HOME=/var/lib/intake \
    INTAKE_SMTP_LISTEN=0.0.0.0:8025 \
    INTAKE_WEB_LISTEN=0.0.0.0:8000 \
    INTAKE_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1

USER intake
WORKDIR /var/lib/intake
VOLUME ["/var/lib/intake"]
EXPOSE 8025 8000

# /healthz answers 200 when the database is reachable, 503 when not. No curl in the slim image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# `intake serve` creates or upgrades the database before it starts (as `intake init` does).
ENTRYPOINT ["intake"]
CMD ["serve"]
