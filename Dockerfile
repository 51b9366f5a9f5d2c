# launchready in a container: `docker build -t launchready .`, then
#   docker run --rm -v "$PWD:/work" launchready secrets . --history
# Stage 1 builds the wheel with the project's own build (python -m build); stage 2 installs it
# with its dependencies into a slim Python and runs as an unprivileged user.
FROM python:3.12-slim AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir "build>=1.2,<2"
COPY pyproject.toml README.md CHANGELOG.md ./
COPY src ./src
RUN python -m build --wheel --outdir /dist

FROM python:3.12-slim
LABEL org.opencontainers.image.title="launchready" \
      org.opencontainers.image.description="Make a SaaS prototype safe to demo: one config, one command, one ranked risk list."
# git: `secrets --history`, `--staged` and `build` read repositories with it. Not pinned: the
# base image's Debian release fixes its version, and a pin would break at its next point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /dist/ /tmp/dist/
RUN python -m pip install --no-cache-dir /tmp/dist/*.whl \
    && rm -rf /tmp/dist
RUN useradd --create-home --uid 10001 --user-group launchready
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["launchready"]
CMD ["--help"]
