# deadlinewatch service image.
#   docker build -t deadlinewatch .
#   docker run -p 8080:8080 -v "$PWD/config:/config:ro" -v dw-data:/data \
#       -e SLACK_BOT_TOKEN -e SMTP_HOST deadlinewatch
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first (exact pins, time zone rules from the pinned tzdata), so code changes reuse the layer.
COPY requirements.lock /tmp/build/requirements.lock
RUN pip install -r /tmp/build/requirements.lock

COPY pyproject.toml README.md /tmp/build/
COPY src /tmp/build/src
RUN pip install --no-deps /tmp/build && rm -rf /tmp/build

RUN groupadd --system --gid 10001 deadlinewatch \
    && useradd --system --uid 10001 --gid deadlinewatch --home-dir /home/deadlinewatch --create-home \
       --shell /usr/sbin/nologin deadlinewatch \
    && mkdir -p /config /data \
    && chown deadlinewatch:deadlinewatch /data

# The example config (SPEC §1's seed case); mount your own over /config.
COPY --chown=root:root config/ /config/

ENV DEADLINEWATCH_CONFIG=/config \
    DEADLINEWATCH_DATABASE_URL=sqlite:////data/deadlinewatch.db

VOLUME ["/config", "/data"]
WORKDIR /data
USER deadlinewatch:deadlinewatch
EXPOSE 8080

# No curl in slim images: ask the service itself with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]

# SIGTERM drains in-flight deliveries and exits within 10 s (docker stop waits 10 s by default).
STOPSIGNAL SIGTERM
CMD ["deadlinewatch", "run", "--config", "/config", "--http", "0.0.0.0:8080"]
