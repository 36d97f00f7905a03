# A NATS server from Debian's own nats-server package, for MESHRPC_TRANSPORT=nats://... deployments
# (deploy/compose.nats.yaml runs three of these as one cluster).
#   docker build -f deploy/nats.Dockerfile -t meshrpc/nats-server deploy
# DEBIAN_IMAGE: any Debian bookworm image; CI here uses one made locally (deploy/podman-setup.sh).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
 && nats-server --version
USER nobody
# 4222 clients, 6222 cluster routes, 8222 monitoring (/healthz).
EXPOSE 4222 6222 8222
ENTRYPOINT ["nats-server"]
CMD ["--port", "4222", "--http_port", "8222"]
