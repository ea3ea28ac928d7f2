# syntax=docker/dockerfile:1
#
# Worker image of the AWS Lambda scope: the nullplatform worker bridge runs
# `bash $NP_SCOPE_ENTRYPOINT --service-path=$NP_SERVICE_PATH` for every action, so the
# image carries the release package (the static lambda-scope binary and the workflows it
# runs) and the OpenTofu the tofu steps call. Built per platform (linux/amd64, linux/arm64):
#   docker buildx build --platform linux/amd64 -t lambda-scope .

# ── build: the package tree, as `scripts/dist --stage` lays it out ──────────────────
# The Alpine Rust image targets musl natively, so the host build is already the static
# <arch>-unknown-linux-musl binary the package ships (stripped by scripts/dist).
FROM rust:1.95.0-alpine3.23 AS build
# bash, tar: scripts/dist is a bash script using GNU tar (busybox tar lacks some of its
# options). musl-dev: libc headers and start files for the C that ring and aws-lc-sys
# compile (gcc comes with the image). cmake, make: aws-lc-sys builds with cc on these
# targets and falls back to CMake when cc cannot be used.
# Versions come from the Alpine branch the pinned tag names.
# hadolint ignore=DL3018
RUN apk add --no-cache bash tar musl-dev cmake make
WORKDIR /src
COPY . .
# Cache mounts keep the registry and target/ out of every layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    scripts/dist --stage /out/lambda-scope

# ── runtime: the worker bridge with the package baked in ────────────────────────────
# worker-bridge 2.x ships bash, jq, np, curl and CA certificates, creates the runtime
# user (uid 10001, HOME=/home/app) and leaves the switch to that user to each image.
FROM public.ecr.aws/nullplatform/scopes/worker-bridge:2.0.1

# OpenTofu >= 1.10 (S3 backend `use_lockfile`); Alpine's package is older, so the official
# release tarball, checked against its pinned sha256 (tofu_<version>_SHA256SUMS of the
# release) before it is unpacked. A bump changes the version and both sums together.
ARG TOFU_VERSION=1.13.1
ARG TOFU_SHA256_AMD64=378ada19d4bc70c43732004e8159be771b23b9a5afdf059e5f8a2b3fa2c70a69
ARG TOFU_SHA256_ARM64=9c1ef375aa1852db0b2888aa921b640c71f8140d4682aa4fec99378a64fa7dc3
ARG TARGETARCH
RUN set -eu; \
    case "${TARGETARCH:-}" in \
      amd64) sum="$TOFU_SHA256_AMD64" ;; \
      arm64) sum="$TOFU_SHA256_ARM64" ;; \
      *) echo "❌ no OpenTofu checksum for TARGETARCH '${TARGETARCH:-}' (build with buildx --platform linux/amd64 or linux/arm64)" >&2; exit 1 ;; \
    esac; \
    curl -fsSL -o /tmp/tofu.tar.gz \
      "https://github.com/opentofu/opentofu/releases/download/v${TOFU_VERSION}/tofu_${TOFU_VERSION}_linux_${TARGETARCH}.tar.gz"; \
    printf '%s  /tmp/tofu.tar.gz\n' "$sum" > /tmp/tofu.sha256; \
    sha256sum -c /tmp/tofu.sha256; \
    tar -xzf /tmp/tofu.tar.gz -C /usr/local/bin tofu; \
    rm -f /tmp/tofu.tar.gz /tmp/tofu.sha256; \
    HOME=/tmp tofu version

# Owned by the runtime uid: np changes the mode of the action script in place, which a
# root-owned tree would refuse.
COPY --chown=10001:10001 --from=build /out/lambda-scope /app/pkg/lambda-scope
ENV NP_PACKAGE_NAME=lambda-scope \
    NP_SERVICE_PATH=/app/pkg/lambda-scope \
    NP_SCOPE_ENTRYPOINT=/app/pkg/lambda-scope/entrypoint

# Numeric, so a runAsNonRoot admission check can prove it is not root.
USER 10001:10001
