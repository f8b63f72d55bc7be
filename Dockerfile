# One image for the trainer, the worker and the replay producer; docker-compose.yml
# chooses the command of each.
#
#   docker build -t feedback-classifier:local .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# PyPI's Linux wheel of torch depends on several GB of CUDA libraries, and everything
# here runs on the CPU. Installing the CPU build first leaves `pip install .` nothing
# to fetch for the `torch` requirement in pyproject.toml.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch

# Dependencies come from pyproject.toml alone. The first install runs before any source
# is copied (setuptools finds no package yet), so this layer is rebuilt only when
# pyproject.toml or README.md change, not on every code change.
COPY pyproject.toml README.md ./
RUN pip install .

COPY model/ model/
COPY training/ training/
COPY worker/ worker/
COPY data/ data/
RUN pip install --no-deps .

# An unprivileged user. /artifacts belongs to it so that the named volume mounted
# there, which Docker seeds from the image on first use, is writable by the trainer.
RUN useradd --create-home --uid 10001 app \
    && mkdir /artifacts \
    && chown app:app /artifacts
USER app

# The worker reads its settings from WORKER_* variables or flags given after the image.
CMD ["python", "-m", "worker"]
