# The bot in a container. The knowledge folder and config.yaml are mounted over /app/knowledge and
# /app/config.yaml, the question log lives in the /app/data volume, and the token comes from the
# DISCORD_TOKEN environment variable, never the image.
# See "Deploy" in the README, and compose.yaml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md config.example.yaml ./
COPY bot ./bot
COPY knowledge ./knowledge
# The README's install command (without its virtualenv: the image is the environment).
RUN pip install -e .
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin bot
# The question log (config `database`, default data/bot.sqlite3): the one place the bot writes.
RUN mkdir /app/data && chown bot:bot /app/data
VOLUME ["/app/data"]
USER bot

# SIGTERM lets answers in flight finish for up to 5 s; `docker stop` waits 10 s before SIGKILL.
STOPSIGNAL SIGTERM
# A connected bot touches the health file every 30 s; `health` fails once it is 90 s old.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health", "--health-file", "/tmp/bot-health"]
CMD ["python", "-m", "bot", "run", "--health-file", "/tmp/bot-health"]
